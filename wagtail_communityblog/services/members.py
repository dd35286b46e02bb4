"""Who may blog, suspending members, and what happens when a member's account is deleted."""

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from wagtail.log_actions import log

from .. import signals
from ..adapter import get_adapter
from ..cache import rankings_changed
from ..conf import app_settings
from ..models import CommunityMember, CommunityPostPage, MemberBlogPage, PostScore, Rating
from . import comments
from .listing import refresh_listed
from .ratings import counts_now, recompute_posts, set_votes_counted


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
        refresh_listed(CommunityPostPage.objects.filter(author=user))
        # Votes held by a vote ring stay held until an editor decides about the ring.
        if counts_now(user) and not membership.votes_held:
            set_votes_counted(user, True)
        rankings_changed()
        log(instance=membership, action="wagtail_communityblog.unsuspend_member", user=by)
        signals.send_on_commit(signals.member_unsuspended, CommunityMember, user=user, by=by)


def member_leaving(user):
    """``user``'s account is about to be deleted (by anyone: the admin, an account flow, the
    shell): inside the deletion's transaction, before the row goes.

    Their votes are deleted here, not left to the database's cascade, so the scores they moved
    are recomputed from the votes that remain; their comments, recommendations and reports go
    as ``comments.member_leaving`` says. Their blogs and posts, per ``ON_MEMBER_DELETE``:
    ``"keep_others"`` deletes the posts nobody else has commented on or voted on and keeps the
    others (and the blogs holding them) under a "former member" byline; ``"delete"`` deletes
    every blog with its posts; ``"keep"`` keeps them all.
    """
    mode = app_settings.ON_MEMBER_DELETE
    with transaction.atomic():
        votes = Rating.objects.filter(user=user)
        voted = list(votes.values_list("post_id", flat=True))
        votes.delete()
        recompute_posts(voted)
        comments.member_leaving(user)
        for blog in MemberBlogPage.objects.filter(member=user):
            if mode == "delete":
                # Page.delete() removes the posts below too and keeps the page tree consistent.
                blog.delete()
            elif mode == "keep_others":
                _delete_undiscussed(blog)
        rankings_changed()


def _delete_undiscussed(blog):
    """Delete the posts in ``blog`` that hold nobody else's words or votes, then the blog if
    nothing is left in it."""
    posts = CommunityPostPage.objects.child_of(blog)
    # The member's own comments are gone or emptied by now (comments.member_leaving), and
    # their votes deleted: any comment or vote left is someone else's.
    discussed = posts.filter(Q(comments__is_removed=False) | Q(ratings__isnull=False))
    for post in posts.exclude(pk__in=discussed.values("pk")):
        post.delete()
    if not blog.get_children().exists():
        blog.delete()
