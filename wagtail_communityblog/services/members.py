"""Who may blog, and suspending members."""

from django.db import transaction
from django.utils import timezone
from wagtail.log_actions import log

from .. import signals
from ..adapter import get_adapter
from ..cache import rankings_changed
from ..models import CommunityMember, PostScore
from ..models.members import (  # noqa: F401  (the reads services share)
    held_sql,
    is_held_id,
    is_suspended,
    is_suspended_id,
    suspended_sql,
)


def blogging_refusal(user):
    """Return why ``user`` may not blog, or ``None`` when they may (the site's adapter)."""
    return get_adapter().blogging_refusal(user)


def suspend_member(user, *, by=None, reason=""):
    """Suspend ``user``: they cannot publish or rate, and their posts leave every listing."""
    with transaction.atomic():
        membership, _created = CommunityMember.objects.update_or_create(
            user=user,
            defaults={
                "is_suspended": True,
                "suspended_at": timezone.now(),
                "suspended_by": by,
                "suspension_reason": reason,
            },
        )
        PostScore.objects.filter(author=user).update(is_listed=False)
        # Their votes stop counting too: recompute what they voted on.
        from .ratings import set_votes_counted

        set_votes_counted(user, False)
        rankings_changed()
        log(
            instance=membership,
            action="wagtail_communityblog.suspend_member",
            user=by,
            data={"reason": reason},
        )
        signals.send_on_commit(
            signals.member_suspended, CommunityMember, user=user, by=by, reason=reason
        )


def unsuspend_member(user, *, by=None):
    """Lift a suspension: the member's live posts return to the listings."""
    from ..models import CommunityPostPage

    with transaction.atomic():
        membership, _created = CommunityMember.objects.update_or_create(
            user=user,
            defaults={
                "is_suspended": False,
                "suspended_at": None,
                "suspended_by": None,
                "suspension_reason": "",
            },
        )
        from .listing import refresh_listed

        refresh_listed(CommunityPostPage.objects.filter(author=user))
        from .ratings import counts_now, set_votes_counted

        # Votes held by a vote ring stay held until an editor decides about the ring.
        if counts_now(user) and not membership.votes_held:
            set_votes_counted(user, True)
        rankings_changed()
        log(instance=membership, action="wagtail_communityblog.unsuspend_member", user=by)
        signals.send_on_commit(signals.member_unsuspended, CommunityMember, user=user, by=by)
