"""Readers' comments under posts: threads, recommendations, reports and who follows a thread."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.html import strip_tags
from django.utils.text import Truncator
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from ..adapter import get_adapter
from ..links import page_full_url
from .curation import Report, reporters


class Comment(models.Model):
    """One comment or reply under a post.

    Threads are a parent link plus a stored ``depth``: a post's whole discussion is read in one
    query and put together in Python, which keeps rendering at a fixed number of queries.
    """

    # Not content editors link to: keep these rows out of Wagtail's reference index.
    wagtail_reference_index_ignore = True

    STATUS_PENDING = "pending"
    STATUS_APPROVED = "approved"
    STATUS_REJECTED = "rejected"
    STATUS_CHOICES = [
        (STATUS_PENDING, _("Awaiting moderation")),
        (STATUS_APPROVED, _("Approved")),
        (STATUS_REJECTED, _("Rejected")),
    ]

    post = models.ForeignKey(
        "wagtail_communityblog.CommunityPostPage",
        verbose_name=_("post"),
        on_delete=models.CASCADE,
        related_name="comments",
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("author"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="community_comments",
    )
    parent = models.ForeignKey(
        "self",
        verbose_name=_("in the thread of"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="children",
    )
    # The comment this one answers; differs from ``parent`` once a thread is at its deepest
    # level and replies continue beside it.
    reply_to = models.ForeignKey(
        "self",
        verbose_name=_("in reply to"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # A reply from the fediverse (ActivityPub): no member wrote it, a remote account did;
    # ``remote_id`` is its Note's id, by which it is edited or deleted from there.
    remote_actor = models.ForeignKey(
        "wagtail_communityblog.RemoteActor",
        verbose_name=_("fediverse account"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="comments",
    )
    remote_id = models.URLField(
        _("fediverse id"), max_length=500, null=True, blank=True, unique=True
    )
    depth = models.PositiveSmallIntegerField(_("depth"), default=0)
    body = models.TextField(_("comment"))
    status = models.CharField(
        _("status"), max_length=16, choices=STATUS_CHOICES, default=STATUS_APPROVED
    )
    is_hidden = models.BooleanField(_("hidden by an editor"), default=False)
    hidden_by_reports = models.BooleanField(_("hidden pending review"), default=False)
    # Deleted by its author or an editor while replies hang off it: the row stays, empty, so
    # the replies keep their place.
    is_removed = models.BooleanField(_("deleted"), default=False)
    recommend_count = models.PositiveIntegerField(_("recommendations"), default=0)
    report_count = models.PositiveIntegerField(_("reports"), default=0)
    best = models.FloatField(_("best"), default=0.0)
    created_at = models.DateTimeField(_("written at"), auto_now_add=True, db_index=True)
    edited_at = models.DateTimeField(_("edited at"), null=True, blank=True)
    moderated_at = models.DateTimeField(_("moderated at"), null=True, blank=True)
    moderated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("moderated by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("comment")
        verbose_name_plural = _("comments")
        indexes = [
            models.Index(fields=["post", "created_at"], name="wcb_comment_post"),
            models.Index(
                fields=["-created_at"],
                condition=Q(status="pending"),
                name="wcb_comment_pending",
            ),
            models.Index(fields=["author", "status"], name="wcb_comment_author"),
        ]

    def __str__(self):
        if self.is_removed:
            return str(_("Deleted comment"))
        return Truncator(strip_tags(self.body)).chars(60) or str(self.pk)

    @property
    def version(self):
        """What an edit form carries to tell a stale save (``base_version``): when the comment
        was last edited, in microseconds since the epoch; 0 if never."""
        return round(self.edited_at.timestamp() * 1_000_000) if self.edited_at else 0

    @property
    def is_visible(self):
        """Shown to every reader: approved, not hidden, not deleted."""
        return self.status == self.STATUS_APPROVED and not self.is_hidden and not self.is_removed

    @property
    def admin_state(self):
        """A short description of the comment's standing, for editors' listings."""
        if self.is_removed:
            return gettext("deleted")
        if self.is_hidden:
            return gettext("hidden pending review") if self.hidden_by_reports else gettext("hidden")
        return gettext("visible") if self.status == self.STATUS_APPROVED else "–"

    @property
    def report_reasons(self):
        """The latest open reports' reasons (loaded by the admin's listing query)."""
        flags = getattr(self, "open_flags", None)
        if flags is None:
            flags = self.flags.filter(status="open").order_by("-created_at")
        return " / ".join(flag.reason[:80] for flag in list(flags)[:3])

    @property
    def reporters(self):
        """Who made the open reports, latest first, marked if they do not count toward hiding
        (loaded by the admin's listing query)."""
        flags = getattr(self, "open_flags", None)
        if flags is None:
            flags = self.flags.filter(status="open").select_related(
                "user", "user__community_member"
            )
            flags = flags.order_by("-created_at")
        return reporters(flags)

    @property
    def anchor(self):
        return f"comment-{self.pk}"

    @property
    def author_name(self):
        if self.remote_actor_id is not None:
            return self.remote_actor.display_name
        return get_adapter().display_name(self.author)

    @property
    def admin_author(self):
        """Who wrote it, for editors: a fediverse author with their ``@user@server``."""
        if self.remote_actor_id is not None:
            return f"{self.remote_actor.display_name} ({self.remote_actor.handle})"
        return self.author_name

    @property
    def author_handle(self):
        """A fediverse author's ``@user@server`` (empty for a member)."""
        return self.remote_actor.handle if self.remote_actor_id is not None else ""

    def get_url(self, request=None):
        """The post's page at this comment."""
        url = self.post.get_url(request) or ""
        return f"{url}#{self.anchor}" if url else ""

    def get_full_url(self):
        """The post's absolute URL at this comment, as e-mails link to it."""
        url = page_full_url(self.post)
        return f"{url}#{self.anchor}" if url else ""


VISIBLE = Q(status=Comment.STATUS_APPROVED, is_hidden=False, is_removed=False)


class CommentRecommendation(models.Model):
    """A reader's recommendation of a comment: one per reader per comment."""

    wagtail_reference_index_ignore = True

    comment = models.ForeignKey(
        Comment,
        verbose_name=_("comment"),
        on_delete=models.CASCADE,
        related_name="recommendations",
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reader"),
        on_delete=models.CASCADE,
        related_name="community_comment_recommendations",
    )
    created_at = models.DateTimeField(_("recommended at"), auto_now_add=True)

    class Meta:
        verbose_name = _("comment recommendation")
        verbose_name_plural = _("comment recommendations")
        constraints = [
            models.UniqueConstraint(
                fields=["comment", "user"], name="wagtail_communityblog_one_recommend_per_reader"
            )
        ]

    def __str__(self):
        return f"{self.user} → {self.comment_id}"


class CommentFlag(Report):
    """A reader's report that a comment breaks the rules: one per reader per comment."""

    comment = models.ForeignKey(
        Comment, verbose_name=_("comment"), on_delete=models.CASCADE, related_name="flags"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reported by"),
        on_delete=models.CASCADE,
        related_name="community_comment_flags",
    )

    class Meta:
        verbose_name = _("comment report")
        verbose_name_plural = _("comment reports")
        constraints = [
            models.UniqueConstraint(
                fields=["comment", "user"], name="wagtail_communityblog_one_comment_flag"
            )
        ]

    def __str__(self):
        return f"{self.user} → {self.comment_id}"


class CommentSubscription(models.Model):
    """Whether a member hears about new comments on a post. An inactive row records that they
    unsubscribed, so commenting again or their defaults do not sign them up behind their back."""

    wagtail_reference_index_ignore = True

    post = models.ForeignKey(
        "wagtail_communityblog.CommunityPostPage",
        verbose_name=_("post"),
        on_delete=models.CASCADE,
        related_name="comment_subscriptions",
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("member"),
        on_delete=models.CASCADE,
        related_name="community_comment_subscriptions",
    )
    active = models.BooleanField(_("following"), default=True)
    changed_at = models.DateTimeField(_("changed at"), auto_now=True)

    class Meta:
        verbose_name = _("thread subscription")
        verbose_name_plural = _("thread subscriptions")
        constraints = [
            models.UniqueConstraint(
                fields=["post", "user"], name="wagtail_communityblog_one_subscription"
            )
        ]

    def __str__(self):
        return f"{self.user} → {self.post_id}"


class CommentPreferences(models.Model):
    """A member's defaults for comment notifications (no row: the defaults below)."""

    wagtail_reference_index_ignore = True

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("member"),
        primary_key=True,
        on_delete=models.CASCADE,
        related_name="community_comment_preferences",
    )
    follow_own_posts = models.BooleanField(_("E-mail me about comments on my posts"), default=True)
    follow_commented = models.BooleanField(_("Follow the discussions I comment in"), default=True)

    class Meta:
        verbose_name = _("comment preferences")
        verbose_name_plural = _("comment preferences")

    def __str__(self):
        return str(self.user)
