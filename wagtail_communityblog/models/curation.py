"""Readers' reports on posts, and the history of each post's promotion."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from ..adapter import get_adapter
from ..conf import app_settings
from ..errors import CurationError
from .members import SUSPENSION_STOPS, is_suspended_id

# The one permission that makes an editor of the community: curating posts, moderating
# comments and members, deciding about vote rings (granted to the "Community curators" group).
CURATE_PERMISSION = "wagtail_communityblog.curate_community"


def can_curate(user):
    """Is ``user`` an active editor of the community?"""
    return bool(user and user.is_authenticated and user.is_active) and user.has_perm(
        CURATE_PERMISSION
    )


def report_refusal(post, user, *, suspended=None):
    """Why ``user`` may not report ``post`` (a ``CurationError``), or ``None``: readers who are
    logged in, active and not suspended report other people's posts. ``suspended``: the
    reader's state when the caller has it already (otherwise one query)."""
    if user is None or not user.is_authenticated:
        return CurationError(gettext("Log in to report a post."), 403)
    if not user.is_active:
        return CurationError(gettext("Your account is not active."), 403)
    if post.author_id == user.pk:
        return CurationError(gettext("You cannot report your own post."), 403)
    if suspended is None:
        suspended = is_suspended_id(user.pk)
    if suspended:
        return CurationError(SUSPENSION_STOPS["report"], 403)
    return None


def counted_reports(reports, now=None):
    """The reports among ``reports`` that count toward hiding a post or comment: open, from
    active accounts old enough for their votes to count (``MIN_ACCOUNT_AGE_TO_COUNT``), not
    suspended and not held as part of a vote ring. The others stay on record for editors.

    Read when a report comes in, so a reporter suspended since, or a ring found since, no longer
    counts toward the next decision."""
    cutoff = (now or timezone.now()) - app_settings.MIN_ACCOUNT_AGE_TO_COUNT
    return (
        reports.filter(
            status=Report.STATUS_OPEN, user__is_active=True, user__date_joined__lte=cutoff
        )
        .exclude(user__community_member__is_suspended=True)
        .exclude(user__community_member__votes_held=True)
    )


class Report(models.Model):
    """What a reader's report on a post or a comment records, and an editor's decision on it."""

    # Not content: keep these rows out of Wagtail's reference index (which would otherwise
    # be written on every report).
    wagtail_reference_index_ignore = True

    STATUS_OPEN = "open"
    STATUS_DISMISSED = "dismissed"
    STATUS_ACTIONED = "actioned"
    STATUS_CHOICES = [
        (STATUS_OPEN, _("Open")),
        (STATUS_DISMISSED, _("Dismissed")),
        (STATUS_ACTIONED, _("Acted on")),
    ]

    reason = models.TextField(_("reason"), max_length=1000)
    status = models.CharField(
        _("status"), max_length=16, choices=STATUS_CHOICES, default=STATUS_OPEN, db_index=True
    )
    created_at = models.DateTimeField(_("reported at"), auto_now_add=True)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("resolved by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        abstract = True

    def not_counted_because(self, now=None):
        """Why this open report does not count toward hiding (as ``counted_reports`` decides,
        for one report whose ``user`` is loaded), or ``""`` when it counts."""
        user = self.user
        standing = getattr(user, "community_member", None)
        if not user.is_active:
            return gettext("inactive account")
        if standing is not None and standing.is_suspended:
            return gettext("suspended")
        if standing is not None and standing.votes_held:
            return gettext("in a vote ring under review")
        cutoff = (now or timezone.now()) - app_settings.MIN_ACCOUNT_AGE_TO_COUNT
        if user.date_joined > cutoff:
            return gettext("new account")
        return ""

    def reporter_label(self, now=None):
        """The reporter's public name, and why their report does not count if it does not."""
        name = get_adapter().display_name(self.user)
        why = self.not_counted_because(now)
        return (
            gettext("%(name)s (not counted: %(why)s)") % {"name": name, "why": why} if why else name
        )


def reporters(reports, limit=5):
    """Who made these open reports, latest first, each marked if it does not count (for the
    editors' listings): one string."""
    now = timezone.now()
    rows = list(reports[:limit])
    return ", ".join(report.reporter_label(now) for report in rows)


class Flag(Report):
    """A reader's report that a post breaks the rules: one per reader per post."""

    post = models.ForeignKey(
        "wagtail_communityblog.CommunityPostPage",
        verbose_name=_("post"),
        on_delete=models.CASCADE,
        related_name="flags",
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reported by"),
        on_delete=models.CASCADE,
        related_name="community_flags",
    )

    class Meta:
        verbose_name = _("report")
        verbose_name_plural = _("reports")
        constraints = [
            models.UniqueConstraint(
                fields=["post", "user"], name="wagtail_communityblog_one_flag_per_reader"
            )
        ]

    def __str__(self):
        return f"{self.user} → {self.post_id}"


class PromotionEvent(models.Model):
    """One step in a post's promotion history: promoted, pinned, hidden, re-upped..."""

    wagtail_reference_index_ignore = True

    PROMOTED = "promoted"
    PINNED = "pinned"
    UNPINNED = "unpinned"
    HIDDEN = "hidden"
    UNHIDDEN = "unhidden"
    REUPPED = "reupped"
    AUTO_HIDDEN = "auto_hidden"
    KIND_CHOICES = [
        (PROMOTED, _("Promoted by readers' votes")),
        (PINNED, _("Pinned to the front page")),
        (UNPINNED, _("Unpinned")),
        (HIDDEN, _("Hidden from promotion")),
        (UNHIDDEN, _("Unhidden")),
        (REUPPED, _("Given a fresh start")),
        (AUTO_HIDDEN, _("Hidden pending review of reports")),
    ]

    post = models.ForeignKey(
        "wagtail_communityblog.CommunityPostPage",
        verbose_name=_("post"),
        on_delete=models.CASCADE,
        related_name="promotion_events",
    )
    kind = models.CharField(_("what happened"), max_length=16, choices=KIND_CHOICES)
    at = models.DateTimeField(_("when"), auto_now_add=True, db_index=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    reason = models.TextField(_("reason"), blank=True)

    class Meta:
        verbose_name = _("promotion event")
        verbose_name_plural = _("promotion events")
        ordering = ["-at"]

    def __str__(self):
        return f"{self.get_kind_display()} ({self.post_id})"
