"""Who may blog, and suspending members."""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from wagtail.log_actions import log

from ..cache import rankings_changed
from ..conf import app_settings
from ..models import CommunityMember, PostScore


def is_suspended(user):
    if user is None or not user.is_authenticated:
        return False
    return is_suspended_id(user.pk)


def is_suspended_id(user_id):
    """Is the account with this id suspended? Plain SQL: it runs on every page with a rating
    widget, where the ORM's per-call compilation would cost more than the query."""
    connection = transaction.get_connection()
    with connection.cursor() as cursor:
        cursor.execute(suspended_sql(connection), [user_id, True])
        return cursor.fetchone() is not None


def suspended_sql(connection):
    """``SELECT 1`` if the account is suspended; parameters: the user's id, then ``True``.

    The vote's own statements embed it as a subquery (services/ratings.py)."""
    q = connection.ops.quote_name
    return (
        f"SELECT 1 FROM {q(CommunityMember._meta.db_table)} "
        f"WHERE {q('user_id')} = %s AND {q('is_suspended')} = %s"
    )


def held_sql(connection):
    """``SELECT 1`` if the account's votes are held by a vote ring awaiting an editor's review;
    parameters: the user's id, then ``True``. The same row as ``suspended_sql`` reads, so the
    vote's statements embed both without another round trip (services/vote_rings.py)."""
    q = connection.ops.quote_name
    return (
        f"SELECT 1 FROM {q(CommunityMember._meta.db_table)} "
        f"WHERE {q('user_id')} = %s AND {q('votes_held')} = %s"
    )


def is_held_id(user_id):
    """Are this account's votes held by a vote ring awaiting review?"""
    connection = transaction.get_connection()
    with connection.cursor() as cursor:
        cursor.execute(held_sql(connection), [user_id, True])
        return cursor.fetchone() is not None


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
