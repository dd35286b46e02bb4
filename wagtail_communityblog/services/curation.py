"""Editors' curation (pin, hide, re-up), promotion by readers' votes, and readers' reports."""

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from wagtail.log_actions import log

from .. import signals
from ..activitypub import enabled as activitypub_enabled
from ..cache import rankings_changed
from ..conf import app_settings
from ..errors import CurationError
from ..links import dashboard_url_for, page_full_url
from ..models import CommunityPostPage, Flag, PostScore, PromotionEvent
from ..models.curation import counted_reports, report_refusal
from ..rating_schemes import get_scheme
from . import deliveries
from .activitypub import community_followers_exist
from .follows import promoted_followers_exist
from .listing import set_rank_time


def _record(post, kind, by=None, reason="", log_action=None, data=None):
    PromotionEvent.objects.create(post_id=post.pk, kind=kind, by=by, reason=reason)
    if log_action:
        log(instance=post.specific, action=log_action, user=by, data=data or {})
    rankings_changed()
    signals.send_on_commit(
        signals.post_curated, CommunityPostPage, post_id=post.pk, action=kind, by=by
    )


def pin(post, by):
    """Pin a post to the front page: promoted blocks show it first."""
    with transaction.atomic():
        updated = PostScore.objects.filter(pk=post.pk, is_pinned=False).update(
            is_pinned=True, pinned_at=timezone.now()
        )
        if updated:
            _record(post, PromotionEvent.PINNED, by, log_action="wagtail_communityblog.pin")
    return bool(updated)


def unpin(post, by):
    with transaction.atomic():
        updated = PostScore.objects.filter(pk=post.pk, is_pinned=True).update(
            is_pinned=False, pinned_at=None
        )
        if updated:
            _record(post, PromotionEvent.UNPINNED, by, log_action="wagtail_communityblog.unpin")
    return bool(updated)


def set_hidden(post_id, hidden, *, reason="", by_reports=False, where=None):
    """The one writer of a post's "hidden" state: ``PostScore.is_hidden``, the reason its author
    sees and whether readers' reports did it; only while the row still matches ``where``.
    Return whether it changed. Callers record why (a ``PromotionEvent``, a ``PostHold``)."""
    fields = {
        "is_hidden": hidden,
        "hidden_reason": reason if hidden else "",
        "hidden_by_reports": by_reports and hidden,
    }
    return bool(PostScore.objects.filter(pk=post_id, **(where or {})).update(**fields))


def hide(post, by, reason):
    """Keep a post out of every ranking and promoted block; the author sees the reason."""
    if not reason or not reason.strip():
        raise CurationError(_("Say why the post is hidden: its author will see the reason."))
    with transaction.atomic():
        set_hidden(post.pk, True, reason=reason.strip())
        _record(
            post,
            PromotionEvent.HIDDEN,
            by,
            reason=reason.strip(),
            log_action="wagtail_communityblog.hide",
            data={"reason": reason.strip()},
        )


def unhide(post, by):
    """Put a hidden post back in the rankings. Its votes were not checked by the crowd hold
    while it was hidden, so they are now: a post a farm pushed while readers' reports kept it
    hidden is held instead of going straight to the front page."""
    # At call time: the crowd hold holds posts through this module (services/holds.py).
    from .crowd import check_post

    with transaction.atomic():
        updated = set_hidden(post.pk, False, where={"is_hidden": True})
        if updated:
            _record(post, PromotionEvent.UNHIDDEN, by, log_action="wagtail_communityblog.unhide")
            check_post(post.pk, get_scheme().up_values)
    return bool(updated)


def reup(post, by):
    """Give an overlooked post a fresh start in "hot" (Hacker News's second-chance pool)."""
    with transaction.atomic():
        set_rank_time(post.pk, timezone.now())
        _record(post, PromotionEvent.REUPPED, by, log_action="wagtail_communityblog.reup")


def awaiting_promotion():
    """Score rows that meet the promotion rule and have not been promoted yet."""
    return Q(
        promoted_at__isnull=True,
        is_listed=True,
        is_hidden=False,
        vote_count__gte=app_settings.PROMOTION_MIN_VOTES,
        score__gte=app_settings.PROMOTION_MIN_SCORE,
    )


def check_promotion(post_id):
    """Promote the post if it has just met the promotion rule; return True if it has.

    Runs inside the vote's transaction: the conditional ``UPDATE`` promotes a post exactly once,
    however many votes race past the threshold.
    """
    now = timezone.now()
    promoted = PostScore.objects.filter(awaiting_promotion(), pk=post_id).update(promoted_at=now)
    if not promoted:
        return False
    event = PromotionEvent.objects.create(post_id=post_id, kind=PromotionEvent.PROMOTED)
    deliveries.queue("promotion", f"promotion:{event.pk}", post_id)
    if promoted_followers_exist(post_id):
        deliveries.queue("followers_promoted", f"followers:promoted:{event.pk}", post_id)
    if activitypub_enabled() and community_followers_exist(post_id):
        deliveries.queue("activitypub_announce", f"activitypub:announce:{event.pk}", post_id)
    signals.send_on_commit(signals.post_promoted, CommunityPostPage, post_id=post_id)
    return True


def notify_promoted(post_id):
    """E-mail the author that readers have promoted their post (``send_promotion_email``'s
    work, done by the task worker: the vote that promotes a post only enqueues it)."""
    # At call time: the tasks import the services they run (see tasks.py).
    from ..tasks import send_member_email

    post = CommunityPostPage.objects.filter(pk=post_id).first()
    if post is None or post.author_id is None:
        return
    send_member_email.call(
        post.author_id,
        "wagtail_communityblog/emails/post_promoted",
        {
            "title": post.title,
            "url": page_full_url(post),
            "dashboard_url": dashboard_url_for(post),
        },
    )


def flag_post(post, user, reason):
    """Record a reader's report; enough open reports hide the post until an editor decides."""
    reason = (reason or "").strip()
    if not reason:
        raise CurationError(_("Please say what is wrong with this post."))
    refusal = report_refusal(post, user)
    if refusal is not None:
        raise refusal
    with transaction.atomic():
        try:
            with transaction.atomic():
                flag = Flag.objects.create(post=post, user=user, reason=reason[:1000])
        except IntegrityError:
            raise CurationError(_("You have already reported this post."), 409) from None
        threshold = app_settings.FLAG_HIDE_THRESHOLD
        if threshold:
            open_reports = counted_reports(Flag.objects.filter(post=post)).count()
            if open_reports >= threshold:
                hidden = set_hidden(
                    post.pk,
                    True,
                    reason=_("Reported by readers; waiting for an editor."),
                    by_reports=True,
                    where={"is_hidden": False},
                )
                if hidden:
                    _record(post, PromotionEvent.AUTO_HIDDEN, reason=f"{open_reports} reports")
    return flag


def resolve_reports(post, by, status):
    """Close the post's open reports as dismissed or acted on."""
    Flag.objects.filter(post=post, status=Flag.STATUS_OPEN).update(
        status=status, resolved_at=timezone.now(), resolved_by=by
    )


def dismiss_reports(post, by):
    """The reports were unfounded: close them, and undo an automatic hide."""
    with transaction.atomic():
        resolve_reports(post, by, Flag.STATUS_DISMISSED)
        if PostScore.objects.filter(pk=post.pk, hidden_by_reports=True).exists():
            unhide(post, by)
        log(instance=post.specific, action="wagtail_communityblog.dismiss_reports", user=by)
