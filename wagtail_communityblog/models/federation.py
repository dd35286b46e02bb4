"""ActivityPub (``WAGTAIL_COMMUNITYBLOG_ACTIVITYPUB``): what the site knows of the fediverse.

- ``ActorKey``: the key pair of each local actor (a member blog or a community index). What it
  signs (its deliveries to other servers) is signed with its private key; other servers check
  those signatures with the public key its actor document publishes. Kept here rather than on
  the page: publishing a page from a revision would otherwise put an old key back.
- ``RemoteServer``: another server, by host name: blocked by an editor, or given up on after
  its deliveries failed for too long.
- ``RemoteActor``: an account on another server that has spoken to us, with the public key
  its signatures are checked against (fetched, cached, fetched again when it rotates).
- ``RemoteFollower``: a remote account following a local actor.
- ``RemoteReaction``: a like or a boost of a post from the fediverse: shown as counts, never a
  vote (only members vote).
- ``ActivityDelivery``: one activity for one inbox, signed and sent by the task worker,
  retried with back-off, given up on.
"""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from wagtail.models import Page

from .deliveries import OutboxRow


class ActorKey(models.Model):
    page = models.OneToOneField(
        Page, verbose_name=_("actor"), on_delete=models.CASCADE, related_name="+"
    )
    public_key_pem = models.TextField(_("public key"))
    private_key_pem = models.TextField(_("private key"))
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("ActivityPub actor key")
        verbose_name_plural = _("ActivityPub actor keys")

    def __str__(self):
        return f"key of page {self.page_id}"


class RemoteServer(models.Model):
    """A server of the fediverse, by its host name."""

    wagtail_reference_index_ignore = True

    domain = models.CharField(_("domain"), max_length=255, unique=True)
    is_blocked = models.BooleanField(
        _("blocked"),
        default=False,
        help_text=_(
            "Nothing from a blocked server is accepted (follows, replies, likes, boosts) and "
            "nothing is delivered to it; its accounts' follows and reactions are removed."
        ),
    )
    reason = models.TextField(_("reason"), blank=True)
    blocked_at = models.DateTimeField(_("blocked at"), null=True, blank=True)
    # Deliveries: failing since when; given up on (nothing queued for it) until it speaks again.
    failing_since = models.DateTimeField(_("failing since"), null=True, blank=True)
    is_unavailable = models.BooleanField(_("given up on"), default=False)
    created_at = models.DateTimeField(_("first seen"), default=timezone.now)

    class Meta:
        verbose_name = _("fediverse server")
        verbose_name_plural = _("fediverse servers")
        ordering = ["domain"]

    def __str__(self):
        return self.domain


class RemoteActor(models.Model):
    """An account on another server, as its actor document described it when last fetched."""

    wagtail_reference_index_ignore = True

    url = models.URLField(_("actor id"), max_length=500, unique=True)
    server = models.ForeignKey(
        RemoteServer, verbose_name=_("server"), on_delete=models.CASCADE, related_name="actors"
    )
    username = models.CharField(_("user name"), max_length=255, blank=True)
    name = models.CharField(_("name"), max_length=255, blank=True)
    profile_url = models.URLField(_("profile"), max_length=500, blank=True)
    inbox = models.URLField(_("inbox"), max_length=500)
    shared_inbox = models.URLField(_("shared inbox"), max_length=500, blank=True)
    key_id = models.CharField(_("key id"), max_length=500, db_index=True)
    public_key_pem = models.TextField(_("public key"))
    fetched_at = models.DateTimeField(_("fetched at"), default=timezone.now)
    is_blocked = models.BooleanField(
        _("blocked"),
        default=False,
        help_text=_(
            "Nothing from a blocked account is accepted and nothing is delivered to it; its "
            "follows and reactions are removed."
        ),
    )
    blocked_at = models.DateTimeField(_("blocked at"), null=True, blank=True)

    class Meta:
        verbose_name = _("fediverse account")
        verbose_name_plural = _("fediverse accounts")
        ordering = ["server__domain", "username"]

    def __str__(self):
        return self.handle

    @property
    def handle(self):
        """``@user@server``, as people on the fediverse write it."""
        return f"@{self.username or '?'}@{self.server.domain}"

    @property
    def display_name(self):
        return self.name or self.handle


class RemoteFollower(models.Model):
    """A remote account following a local actor (a member blog or a community index)."""

    wagtail_reference_index_ignore = True

    page = models.ForeignKey(
        Page, verbose_name=_("followed actor"), on_delete=models.CASCADE, related_name="+"
    )
    actor = models.ForeignKey(
        RemoteActor,
        verbose_name=_("follower"),
        on_delete=models.CASCADE,
        related_name="follows",
    )
    follow_id = models.URLField(_("follow activity"), max_length=500)
    created_at = models.DateTimeField(_("followed at"), default=timezone.now)

    class Meta:
        verbose_name = _("fediverse follower")
        verbose_name_plural = _("fediverse followers")
        constraints = [
            models.UniqueConstraint(
                fields=["page", "actor"], name="wagtail_communityblog_one_remote_follow"
            )
        ]

    def __str__(self):
        return f"{self.actor_id} follows page {self.page_id}"


class RemoteReaction(models.Model):
    """A like or a boost of a post from another server: counted on ``PostScore``
    (``fediverse_likes``, ``fediverse_boosts``), never a vote."""

    LIKE, BOOST = "like", "boost"
    KINDS = [(LIKE, _("Like")), (BOOST, _("Boost"))]

    wagtail_reference_index_ignore = True

    post = models.ForeignKey(
        "wagtail_communityblog.CommunityPostPage",
        verbose_name=_("post"),
        on_delete=models.CASCADE,
        related_name="remote_reactions",
    )
    actor = models.ForeignKey(
        RemoteActor,
        verbose_name=_("account"),
        on_delete=models.CASCADE,
        related_name="reactions",
    )
    kind = models.CharField(_("kind"), max_length=8, choices=KINDS)
    activity_id = models.URLField(_("activity"), max_length=500)
    created_at = models.DateTimeField(_("at"), default=timezone.now)

    class Meta:
        verbose_name = _("fediverse reaction")
        verbose_name_plural = _("fediverse reactions")
        constraints = [
            models.UniqueConstraint(
                fields=["post", "actor", "kind"], name="wagtail_communityblog_one_reaction"
            )
        ]

    def __str__(self):
        return f"{self.kind} of post {self.post_id} by {self.actor_id}"


class ActivityDelivery(OutboxRow):
    """One activity for one inbox: claimed, signed with the actor's key and sent by the task
    worker (``services.activitypub.deliver``); retried with ``ACTIVITYPUB_RETRY_MINUTES``,
    then given up on. ``key`` keeps one delivery per activity and inbox however often the
    event that made it is replayed."""

    wagtail_reference_index_ignore = True

    key = models.CharField(_("key"), max_length=255, unique=True)
    page = models.ForeignKey(
        Page,
        verbose_name=_("sending actor"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    inbox = models.URLField(_("inbox"), max_length=500)
    server = models.ForeignKey(
        RemoteServer, verbose_name=_("server"), on_delete=models.CASCADE, related_name="+"
    )
    activity = models.JSONField(_("activity"))

    class Meta:
        verbose_name = _("ActivityPub delivery")
        verbose_name_plural = _("ActivityPub deliveries")
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                condition=models.Q(status__in=["pending", "sending"]),
                name="communityblog_ap_due",
            )
        ]

    def __str__(self):
        return f"{self.activity.get('type', '?')} to {self.inbox} ({self.status})"


class RemoteFollowing(models.Model):
    """A member's blog following an account on another server (the member's reading list):
    asked with a signed ``Follow``, in force once that server sends its ``Accept``."""

    wagtail_reference_index_ignore = True

    page = models.ForeignKey(
        Page, verbose_name=_("following blog"), on_delete=models.CASCADE, related_name="+"
    )
    actor = models.ForeignKey(
        RemoteActor,
        verbose_name=_("followed account"),
        on_delete=models.CASCADE,
        related_name="followed_by",
    )
    follow_id = models.URLField(_("follow activity"), max_length=500, unique=True)
    created_at = models.DateTimeField(_("asked at"), default=timezone.now)
    accepted_at = models.DateTimeField(_("accepted at"), null=True, blank=True)

    class Meta:
        verbose_name = _("fediverse account followed")
        verbose_name_plural = _("fediverse accounts followed")
        constraints = [
            models.UniqueConstraint(
                fields=["page", "actor"], name="wagtail_communityblog_one_remote_following"
            )
        ]

    def __str__(self):
        return f"page {self.page_id} follows {self.actor_id}"

    @property
    def is_accepted(self):
        return self.accepted_at is not None


class RemotePost(models.Model):
    """A post from an account members follow, as its server delivered it (``Create``), kept
    sanitised for the members' reading lists; ``Update`` and ``Delete`` follow it."""

    wagtail_reference_index_ignore = True

    actor = models.ForeignKey(
        RemoteActor, verbose_name=_("account"), on_delete=models.CASCADE, related_name="posts"
    )
    object_id = models.URLField(_("fediverse id"), max_length=500, unique=True)
    url = models.URLField(_("address"), max_length=500, blank=True)
    name = models.CharField(_("title"), max_length=255, blank=True)
    summary = models.TextField(_("summary"), blank=True)
    content = models.TextField(_("content"), blank=True)
    published_at = models.DateTimeField(_("published at"), default=timezone.now, db_index=True)
    received_at = models.DateTimeField(_("received at"), default=timezone.now)

    class Meta:
        verbose_name = _("post from the fediverse")
        verbose_name_plural = _("posts from the fediverse")
        ordering = ["-published_at"]

    def __str__(self):
        return self.name or self.object_id

    @property
    def link(self):
        return self.url or self.object_id


def reading_list(blogs, limit=20):
    """A member's fediverse dashboard: their federated ``blogs``, whom those follow, and the
    latest posts of the accounts that accepted (three queries)."""
    page_ids = [blog.pk for blog in blogs]
    followings = list(
        RemoteFollowing.objects.filter(page_id__in=page_ids)
        .select_related("actor__server")
        .order_by("-created_at")
    )
    accepted = {f.actor_id for f in followings if f.accepted_at is not None}
    posts = list(
        RemotePost.objects.filter(actor_id__in=accepted)
        .select_related("actor__server")
        .order_by("-published_at")[:limit]
    )
    return {"blogs": blogs, "followings": followings, "posts": posts}
