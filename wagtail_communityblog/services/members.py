"""Who may blog, and suspending members."""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from wagtail.log_actions import log

from ..cache import rankings_changed
from ..conf import app_settings
from ..models import CommunityMember, PostScore
from ..models.members import (  # noqa: F401  (the reads services share)
    held_sql,
    is_held_id,
    is_suspended,
    is_suspended_id,
    suspended_sql,
)


def blogging_refusal(user):
    """Return why ``user`` may not blog, or ``None`` when they may."""
    if not user.is_authenticated:
        return _("Please log in to write for the community.")
    if not user.is_active:
        return _("Your account is not active.")
    group = app_settings.MEMBER_GROUP
    if group and not user.groups.filter(name=group).exists():
        return _("Writing for the community is open to members of “%(group)s” only.") % {
            "group": group
        }
    return None


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
