"""Readers' votes: one row per (post, reader)."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from ..adapter import get_adapter
from ..errors import VoteError
from .members import SUSPENSION_STOPS, is_suspended_id


class Rating(models.Model):
    # Not content: keep these rows out of Wagtail's reference index (which would otherwise
    # be written on every vote).
    wagtail_reference_index_ignore = True

    post = models.ForeignKey(
        "wagtail_communityblog.CommunityPostPage",
        verbose_name=_("post"),
        on_delete=models.CASCADE,
        related_name="ratings",
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("voter"),
        on_delete=models.CASCADE,
        related_name="community_ratings",
    )
    value = models.SmallIntegerField(_("value"))
    # The rating scheme the vote was cast under, so a later change of scheme is detected
    # (see checks.py) instead of silently reinterpreting old votes.
    scheme = models.CharField(_("scheme"), max_length=16)
    # Whether the vote counts in the post's scores: not while the voter's account is younger
    # than the minimum age, nor while the voter is suspended.
    counted = models.BooleanField(_("counted"), default=True)
    created_at = models.DateTimeField(_("cast at"), auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(_("changed at"), auto_now=True)

    class Meta:
        verbose_name = _("rating")
        verbose_name_plural = _("ratings")
        constraints = [
            models.UniqueConstraint(
                fields=["post", "user"], name="wagtail_communityblog_one_rating_per_reader"
            ),
            models.CheckConstraint(
                condition=Q(value__gte=-1, value__lte=5) & ~Q(value=0),
                name="wagtail_communityblog_rating_value_range",
            ),
        ]
        indexes = [
            models.Index(fields=["user", "counted"], name="wcb_rating_user_counted"),
        ]

    def __str__(self):
        return f"{self.user} → {self.post_id}: {self.value:+d}"


def lasting_vote_refusal(post, user, *, suspended=False):
    """Why ``user`` cannot vote on ``post`` as things stand (a ``VoteError``), or ``None``.

    The refusals that do not lift by themselves: logged out, inactive, the reader's own post,
    suspended (when the caller knows), and the site's adapter (``vote_refusal``). The rating
    widget shows its buttons exactly when this is ``None``; a refusal that time lifts (an
    account too new to vote) is explained when the reader votes (``services.ratings``).
    """
    if user is None or not user.is_authenticated:
        return VoteError(gettext("Log in to vote."), 403)
    if not user.is_active:
        return VoteError(gettext("Your account is not active."), 403)
    if post.author_id == user.pk:
        return VoteError(gettext("You cannot vote on your own post."), 403)
    if suspended:
        return suspended_vote_refusal()
    message = get_adapter().vote_refusal(user, post)
    if message:
        return VoteError(message, 403)
    return None


def suspended_vote_refusal():
    return VoteError(SUSPENSION_STOPS["vote"], 403)


def viewer_context(request, posts):
    """What the rating widgets on a page need about the reader, in two queries at most."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"communityblog_votes": {}, "communityblog_viewer": {"suspended": False}}
    post_ids = [post.pk for post in posts]
    votes = dict(
        Rating.objects.filter(user=user, post_id__in=post_ids).values_list("post_id", "value")
    )
    suspended = is_suspended_id(user.pk)
    return {"communityblog_votes": votes, "communityblog_viewer": {"suspended": suspended}}
