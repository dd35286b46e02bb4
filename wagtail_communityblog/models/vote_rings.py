"""Vote rings the detection found, posts held for an editor's look, and editors' decisions.

Only what an editor needs to judge a cluster is stored: which accounts (one row each, deleted
with the account), how similar each account's votes were to the others', and which posts the
group voted on together. No IP address or other network data is stored, ever.
"""

from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection, models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from ..conf import app_settings
from ..rating_schemes import get_scheme
from .ratings import Rating


class VoteCluster(models.Model):
    # Not content: keep these rows out of Wagtail's reference index.
    wagtail_reference_index_ignore = True

    STATUS_OPEN = "open"
    STATUS_CONFIRMED = "confirmed"
    STATUS_CLEARED = "cleared"
    STATUS_CHOICES = [
        (STATUS_OPEN, _("Awaiting review")),
        (STATUS_CONFIRMED, _("Confirmed: accounts suspended, votes dropped")),
        (STATUS_CLEARED, _("Cleared: votes count again")),
    ]

    status = models.CharField(
        _("status"), max_length=16, choices=STATUS_CHOICES, default=STATUS_OPEN, db_index=True
    )
    detected_at = models.DateTimeField(_("detected"), auto_now_add=True)
    updated_at = models.DateTimeField(_("last seen"), auto_now=True)
    similarity = models.FloatField(_("similarity"), default=0.0)
    # [{"post_id": 12, "sign": 1, "accounts": 18}, ...]: the posts the group voted on together
    # (how many of its accounts voted that way), without naming anyone.
    posts = models.JSONField(_("posts voted on together"), default=list, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)

    class Meta:
        verbose_name = _("vote ring")
        verbose_name_plural = _("vote rings")
        ordering = ["-detected_at"]

    def __str__(self):
        return _("Vote ring #%(id)s") % {"id": self.pk}


class VoteClusterMember(models.Model):
    wagtail_reference_index_ignore = True

    cluster = models.ForeignKey(
        VoteCluster, verbose_name=_("vote ring"), on_delete=models.CASCADE, related_name="members"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("account"),
        on_delete=models.CASCADE,
        related_name="community_vote_clusters",
    )
    # Mean similarity of this account's votes to the other members' it is linked with.
    similarity = models.FloatField(_("similarity"), default=0.0)
    votes_in_window = models.PositiveIntegerField(_("votes in the window"), default=0)
    # The one account whose votes still count while the cluster awaits review.
    is_representative = models.BooleanField(_("still counted"), default=False)

    class Meta:
        verbose_name = _("vote ring member")
        verbose_name_plural = _("vote ring members")
        constraints = [
            models.UniqueConstraint(
                fields=["cluster", "user"], name="wagtail_communityblog_one_membership_per_ring"
            )
        ]
        ordering = ["-similarity", "user_id"]

    def __str__(self):
        return str(self.user)


class PostHold(models.Model):
    """A post kept out of every ranking and promoted block until an editor has looked.

    Made by the detection: for a post a detected vote ring pushed up (``RING_HOLD_POSTS``) or a
    post that climbed abnormally fast in its first hour (``CLIMB_HOLD``); or at the vote, for a
    post pushed before its promotion by accounts that follow the crowd (``CROWD_HOLD``). The
    post is hidden as an editor would hide it (``PostScore.is_hidden`` with ``hidden_reason``);
    the hold records why, the evidence, and what an editor decided.
    """

    wagtail_reference_index_ignore = True

    REASON_RING = "ring"
    REASON_CLIMB = "climb"
    REASON_CROWD = "crowd"
    REASON_CHOICES = [
        (REASON_RING, _("Pushed up by a vote ring")),
        (REASON_CLIMB, _("Climbed abnormally fast")),
        (REASON_CROWD, _("Pushed early by accounts that follow the crowd")),
    ]
    STATUS_OPEN = "open"
    STATUS_RELEASED = "released"
    STATUS_KEPT = "kept"
    STATUS_CHOICES = [
        (STATUS_OPEN, _("Held: awaiting review")),
        (STATUS_RELEASED, _("Released: back in the rankings")),
        (STATUS_KEPT, _("Kept hidden by an editor")),
    ]

    post = models.ForeignKey(
        "wagtail_communityblog.CommunityPostPage",
        verbose_name=_("post"),
        on_delete=models.CASCADE,
        related_name="holds",
    )
    reason = models.CharField(_("why"), max_length=16, choices=REASON_CHOICES)
    cluster = models.ForeignKey(
        VoteCluster,
        verbose_name=_("vote ring"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="post_holds",
    )
    status = models.CharField(
        _("status"), max_length=16, choices=STATUS_CHOICES, default=STATUS_OPEN, db_index=True
    )
    held_at = models.DateTimeField(_("held"), auto_now_add=True)
    # A climb's evidence: up votes in the post's first hour, and the threshold they reached.
    first_hour_up_votes = models.PositiveIntegerField(_("up votes in its first hour"), null=True)
    threshold = models.FloatField(_("threshold"), null=True)
    # A crowd hold's evidence: {"early_up_votes": n, "crowd_up_votes": n, "accounts":
    # [{"user_id", "votes", "early_votes"}, ...]} for the accounts that follow the crowd.
    evidence = models.JSONField(_("evidence"), default=dict, blank=True)
    # The reason the author saw: releasing only unhides a post still hidden for this reason.
    hidden_reason = models.TextField(_("reason shown to the author"), blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)

    class Meta:
        verbose_name = _("held post")
        verbose_name_plural = _("held posts")
        ordering = ["-held_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["post"],
                condition=Q(status="open"),
                name="wagtail_communityblog_one_open_hold_per_post",
            )
        ]

    def __str__(self):
        return _("Hold on post %(id)s") % {"id": self.post_id}


def name_crowd_accounts(holds):
    """Give each crowd hold ``crowd_accounts``: its evidence's accounts with ``user`` (``None``
    for a deleted account), ``votes`` and ``early_votes``. One query for any number of holds;
    the evidence keeps ids only, so a deleted account leaves no name behind."""
    holds = list(holds)
    ids = {
        account["user_id"]
        for hold in holds
        if hold.reason == PostHold.REASON_CROWD
        for account in (hold.evidence or {}).get("accounts", [])
    }
    users = get_user_model().objects.in_bulk(ids) if ids else {}
    for hold in holds:
        hold.crowd_accounts = [
            {**account, "user": users.get(account["user_id"])}
            for account in (hold.evidence or {}).get("accounts", [])
        ]
    return holds


# --- "why is this here" ---------------------------------------------------------------------


@dataclass
class Explanation:
    """How a post's recorded votes turn into its ranking."""

    raw_up: int = 0
    raw_down: int = 0
    counted_up: int = 0
    counted_down: int = 0
    # reason -> (up, down): votes recorded but not counted, and why.
    discounted: dict = field(default_factory=dict)
    rings: list = field(default_factory=list)  # open or confirmed clusters that voted on it
    holds: list = field(default_factory=list)  # the post's holds, newest first, with evidence

    @property
    def raw_total(self):
        return self.raw_up + self.raw_down

    @property
    def counted_total(self):
        return self.counted_up + self.counted_down


REASON_YOUNG = "young"
REASON_SUSPENDED = "suspended"
REASON_HELD = "held"


def reason_label(reason):
    return {
        REASON_YOUNG: gettext("account younger than the minimum age to count (folded in later)"),
        REASON_SUSPENDED: gettext("voter suspended"),
        REASON_HELD: gettext("voter held by a vote ring awaiting review"),
    }.get(reason, reason)


def explain_post(post_id, scheme=None):
    """Raw votes, counted votes and the discounted votes with their reasons, for one post."""
    scheme = scheme or get_scheme()
    explanation = Explanation()
    cutoff = timezone.now() - app_settings.MIN_ACCOUNT_AGE_TO_COUNT
    rows = Rating.objects.filter(post_id=post_id).values_list(
        "value",
        "counted",
        "user__date_joined",
        "user__community_member__is_suspended",
        "user__community_member__votes_held",
    )
    for value, counted, joined, suspended, held in rows:
        up, down = scheme.up(value), scheme.down(value)
        explanation.raw_up += up
        explanation.raw_down += down
        if counted:
            explanation.counted_up += up
            explanation.counted_down += down
            continue
        if suspended:
            reason = REASON_SUSPENDED
        elif held:
            reason = REASON_HELD
        elif joined > cutoff:
            reason = REASON_YOUNG
        else:
            reason = gettext("not yet folded in")
        before = explanation.discounted.get(reason, (0, 0))
        explanation.discounted[reason] = (before[0] + up, before[1] + down)
    explanation.discounted = {
        reason_label(reason): pair for reason, pair in explanation.discounted.items()
    }
    explanation.rings = list(
        VoteCluster.objects.filter(
            status__in=[VoteCluster.STATUS_OPEN, VoteCluster.STATUS_CONFIRMED],
            posts__contains=[{"post_id": post_id}],
        )
        if _json_contains_supported()
        else [
            cluster
            for cluster in VoteCluster.objects.filter(
                status__in=[VoteCluster.STATUS_OPEN, VoteCluster.STATUS_CONFIRMED]
            )
            if any(entry.get("post_id") == post_id for entry in cluster.posts)
        ]
    )
    explanation.holds = name_crowd_accounts(
        PostHold.objects.filter(post_id=post_id).select_related("cluster").order_by("-held_at")
    )
    return explanation


def _json_contains_supported():
    return connection.features.supports_json_field_contains
