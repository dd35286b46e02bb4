"""Vote rings: detecting them off the vote path, holding their votes, and editors' decisions.

The detection (``detect_rings``) runs from the ``communityblog_detect_rings`` command or the
``detect_vote_rings`` task, never during a vote. It reads the recent votes, finds groups of
low-history accounts that voted together (``wagtail_communityblog.vote_rings``) and, for each
new group, records a ``VoteCluster`` and **holds** every member's votes but one: they are
recorded and stop counting, so the group weighs as one voter until an editor looks.
The vote path only reads the member's ``votes_held`` flag, from the row its suspension check
already reads.

With ``RING_HOLD_POSTS`` (the default) the posts the group pushed up (``detection.pushed_posts``)
are also **held** (a ``PostHold``): hidden from every ranking and promoted block, with a reason
their author sees, so the ring's target does not reach the front page on the vote its
representative keeps. ``hold_fast_climbers`` (``CLIMB_HOLD``) holds a post whose first-hour up
votes were abnormally many for the community, whoever cast them: the one defence here that
does not need the voters to be new.

An editor then **confirms** (the accounts are suspended, their votes deleted, the scores
recomputed) or **clears** (the votes count again, and the accounts are not compared again).
Either way the posts the ring held are released, unless an editor has hidden them for a
reason of their own since, and compete again on the votes that count. A held post can also be
released or kept hidden on its own (``decide_hold``, Community > Held posts).
"""

from collections import defaultdict

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _
from wagtail.log_actions import log

from .. import vote_rings as detection
from ..cache import rankings_changed
from ..conf import app_settings
from ..models import (
    CommunityMember,
    CommunityPostPage,
    PostHold,
    PostScore,
    PromotionEvent,
    Rating,
    VoteCluster,
    VoteClusterMember,
)
from ..rating_schemes import get_scheme
from .crowd import check_post
from .curation import set_hidden
from .holds import hold_posts
from .members import suspend_member
from .ratings import counts_now, recompute_posts, set_votes_counted


class ClusterError(Exception):
    pass


def _seconds(moment):
    return moment.timestamp()


def detect_rings(now=None):
    """Find vote rings in the recent votes, record and hold them; return the clusters touched.

    Suspended accounts and accounts an editor cleared are not compared. A group that overlaps
    a cluster still awaiting review is added to it (its new accounts held too), so a ring
    acting over several runs of the detection still weighs as one voter.
    """
    if not app_settings.RING_DETECTION:
        return []
    now = now or timezone.now()
    since = now - app_settings.RING_WINDOW
    excluded = set(
        CommunityMember.objects.filter(is_suspended=True).values_list("user_id", flat=True)
    ) | set(
        VoteClusterMember.objects.filter(cluster__status=VoteCluster.STATUS_CLEARED).values_list(
            "user_id", flat=True
        )
    )
    rows = list(
        Rating.objects.filter(created_at__gte=since)
        .exclude(user_id__in=excluded)
        .values_list("user_id", "post_id", "value", "created_at")
    )
    voters = {row[0] for row in rows}
    lifetime = dict(
        Rating.objects.filter(user_id__in=voters)
        .values("user_id")
        .annotate(n=Count("pk"))
        .values_list("user_id", "n")
    )
    low_history = {
        user_id
        for user_id in voters
        if detection.is_low_history(lifetime.get(user_id, 0), app_settings.RING_LOW_HISTORY_VOTES)
    }
    votes = [
        detection.Vote(user_id, post_id, value, _seconds(at))
        for user_id, post_id, value, at in rows
        if user_id in low_history
    ]
    clusters = detection.find_clusters(
        votes,
        low_history,
        closeness=app_settings.RING_CLOSENESS.total_seconds(),
        min_shared=app_settings.RING_MIN_SHARED,
        min_similarity=app_settings.RING_MIN_SIMILARITY,
        min_size=app_settings.RING_MIN_SIZE,
    )
    votes_by_account = defaultdict(int)
    for vote in votes:
        votes_by_account[vote.account] += 1
    touched = []
    for cluster in clusters:
        record = _record(cluster, votes_by_account)
        if record is not None:
            touched.append(record)
    return touched


def set_votes_held(user, held):
    """The one writer of ``CommunityMember.votes_held``: while it is set, none of the member's
    votes count (the vote path reads the flag). Why is on record in the ring the member is part
    of (``VoteClusterMember``) and in the log entry of the decision that lifted it. Holding
    also stops the votes already cast from counting; lifting leaves them to the caller, which
    knows whether anything else (a suspension, the account's age) still stops them."""
    if held:
        CommunityMember.objects.update_or_create(user=user, defaults={"votes_held": True})
        set_votes_counted(user, False)
    else:
        CommunityMember.objects.filter(user=user).update(votes_held=False)


def _member_similarity(cluster, account):
    values = [value for pair, value in cluster.links.items() if account in pair]
    return sum(values) / len(values) if values else 0.0


def _evidence(cluster):
    return [
        {"post_id": post_id, "sign": sign, "accounts": n}
        for (post_id, sign), n in sorted(
            cluster.posts.items(), key=lambda item: (-item[1], item[0])
        )
    ]


def _record(cluster, votes_by_account):
    """Record a detected group (new, or grown from an open cluster) and hold its votes.

    Returns the cluster, or ``None`` when nothing is new (the same accounts, already held,
    and no new post to hold).
    """
    with transaction.atomic():
        existing = (
            VoteCluster.objects.select_for_update()
            .filter(status=VoteCluster.STATUS_OPEN, members__user_id__in=cluster.accounts)
            .order_by("pk")
            .first()
        )
        known = set(existing.members.values_list("user_id", flat=True)) if existing else set()
        new_accounts = [account for account in cluster.accounts if account not in known]
        to_hold = _posts_to_hold(cluster)
        if existing is not None and not new_accounts and not to_hold:
            return None
        if existing is None:
            record = VoteCluster.objects.create(
                similarity=round(cluster.similarity, 4), posts=_evidence(cluster)
            )
            representative = cluster.representative if app_settings.RING_KEEP_ONE_VOTE else None
            action = "wagtail_communityblog.ring_detected"
        else:
            record = existing
            record.similarity = round(cluster.similarity, 4)
            record.posts = _evidence(cluster)
            record.save(update_fields=["similarity", "posts", "updated_at"])
            representative = None
            action = "wagtail_communityblog.ring_grown"
        VoteClusterMember.objects.bulk_create(
            VoteClusterMember(
                cluster=record,
                user_id=account,
                similarity=round(_member_similarity(cluster, account), 4),
                votes_in_window=votes_by_account.get(account, 0),
                is_representative=account == representative,
            )
            for account in new_accounts
        )
        held = [account for account in new_accounts if account != representative]
        User = get_user_model()
        for user in User.objects.filter(pk__in=held):
            set_votes_held(user, True)
        held_posts = [
            hold.post_id for hold in hold_posts(to_hold, PostHold.REASON_RING, cluster=record)
        ]
        rankings_changed()
        if new_accounts:
            log(
                instance=record,
                action=action,
                user=None,
                data={
                    "accounts": len(new_accounts),
                    "similarity": record.similarity,
                    "posts_held": held_posts,
                },
            )
    return record


def _posts_to_hold(cluster):
    """The posts the group pushed up that have never been held."""
    if not app_settings.RING_HOLD_POSTS:
        return []
    candidates = [post for post, sign in cluster.posts if sign > 0]
    if not candidates:
        return []
    up_votes = dict(
        Rating.objects.filter(post_id__in=candidates, value__gt=0)
        .values("post_id")
        .annotate(n=Count("pk"))
        .values_list("post_id", "n")
    )
    # Held once at most by a ring (this one or another): editors have looked at it already.
    # (A post under an open hold of any kind is skipped by hold_posts.)
    already = set(
        PostHold.objects.filter(post_id__in=candidates, reason=PostHold.REASON_RING).values_list(
            "post_id", flat=True
        )
    )
    return [post for post in detection.pushed_posts(cluster, up_votes) if post not in already]


def decide_hold(hold, *, by, keep=False):
    """Release a held post into the rankings, or keep it hidden; return whether it changed.

    Releasing only unhides the post if it is still hidden for this hold's reason: a post an
    editor or readers' reports hid meanwhile stays hidden. Keeping leaves the post hidden as if
    an editor had hidden it (any editor can unhide it later).
    """
    if hold.status != PostHold.STATUS_OPEN:
        raise ClusterError(_("This held post has already been decided."))
    with transaction.atomic():
        changed = False
        if not keep:
            changed = set_hidden(
                hold.post_id,
                False,
                where={
                    "is_hidden": True,
                    "hidden_by_reports": False,
                    "hidden_reason": hold.hidden_reason,
                },
            )
            if changed:
                PromotionEvent.objects.create(
                    post_id=hold.post_id, kind=PromotionEvent.UNHIDDEN, by=by
                )
                # Back in the rankings: the crowd hold has not seen the votes it got while
                # held (a crowd hold is not made twice, so releasing one is final).
                check_post(hold.post_id, get_scheme().up_values)
        hold.status = PostHold.STATUS_KEPT if keep else PostHold.STATUS_RELEASED
        hold.decided_by = by
        hold.decided_at = timezone.now()
        hold.save(update_fields=["status", "decided_by", "decided_at"])
        log(
            instance=hold.post.specific,
            action=(
                "wagtail_communityblog.post_hold_kept"
                if keep
                else "wagtail_communityblog.post_released"
            ),
            user=by,
            data={"hold": hold.pk, "reason": hold.reason},
        )
        rankings_changed()
    return changed


def _release_ring_posts(cluster, by):
    for hold in cluster.post_holds.filter(status=PostHold.STATUS_OPEN).select_related("post"):
        decide_hold(hold, by=by)


def hold_fast_climbers(now=None):
    """Hold the recent posts whose first-hour up votes were abnormally many; return the holds.

    Off the vote path, with the ring detection (``communityblog_detect_rings``, the
    ``detect_vote_rings`` task). The reference is the posts published in the last
    ``RING_WINDOW`` whose first hour is over (see ``detection.fast_climbers``). A post is held
    for a climb once at most, and never while another hold is open.
    """
    if not app_settings.CLIMB_HOLD:
        return []
    now = now or timezone.now()
    since = now - app_settings.RING_WINDOW
    published = {
        post_id: _seconds(at)
        for post_id, at in PostScore.objects.filter(
            published_at__gte=since, is_listed=True
        ).values_list("post_id", "published_at")
    }
    if not published:
        return []
    votes = [
        detection.Vote(user_id, post_id, value, _seconds(at))
        for user_id, post_id, value, at in Rating.objects.filter(
            post_id__in=list(published), value__gt=0, created_at__gte=since
        ).values_list("user_id", "post_id", "value", "created_at")
    ]
    counts = detection.first_hour_up_votes(votes, published)
    climbers, threshold = detection.fast_climbers(
        counts,
        published,
        _seconds(now),
        factor=app_settings.CLIMB_FACTOR,
        min_votes=app_settings.CLIMB_MIN_VOTES,
    )
    if not climbers:
        return []
    # Held for a climb before: an editor has looked at its first hour already. A post a ring
    # held can be held again for its climb once the ring is decided: after a confirmation, its
    # first hour may still hold a rush of votes by accounts the detection did not link.
    decided = set(
        PostHold.objects.filter(post_id__in=climbers, reason=PostHold.REASON_CLIMB).values_list(
            "post_id", flat=True
        )
    )
    fresh = [post for post in climbers if post not in decided]
    evidence = {
        post: {"first_hour_up_votes": counts[post], "threshold": threshold} for post in fresh
    }
    return hold_posts(fresh, PostHold.REASON_CLIMB, evidence=evidence)


def confirm_cluster(cluster, *, by, reason=""):
    """An editor confirms a ring: suspend its accounts, delete their votes, recompute."""
    if cluster.status != VoteCluster.STATUS_OPEN:
        raise ClusterError(_("This vote ring has already been decided."))
    reason = reason or _("Your account voted as part of a vote ring.")
    with transaction.atomic():
        users = [member.user for member in cluster.members.select_related("user")]
        post_ids = set()
        for user in users:
            suspend_member(user, by=by, reason=reason)
            votes = Rating.objects.filter(user=user)
            post_ids.update(votes.values_list("post_id", flat=True))
            votes.delete()
            set_votes_held(user, False)
        recompute_posts(post_ids)
        _release_ring_posts(cluster, by)
        _decide(cluster, VoteCluster.STATUS_CONFIRMED, by)
        rankings_changed()
        log(
            instance=cluster,
            action="wagtail_communityblog.ring_confirmed",
            user=by,
            data={"accounts": len(users), "posts": sorted(post_ids)},
        )
        _log_posts(post_ids, cluster, "wagtail_communityblog.ring_votes_dropped", by)
    return post_ids


def clear_cluster(cluster, *, by):
    """An editor clears a cluster: its accounts' votes count again (if nothing else stops them)."""
    if cluster.status != VoteCluster.STATUS_OPEN:
        raise ClusterError(_("This vote ring has already been decided."))
    with transaction.atomic():
        post_ids = set()
        for member in cluster.members.select_related("user", "user__community_member"):
            user = member.user
            set_votes_held(user, False)
            standing = getattr(user, "community_member", None)
            if counts_now(user) and not (standing and standing.is_suspended):
                post_ids.update(set_votes_counted(user, True))
        _release_ring_posts(cluster, by)
        _decide(cluster, VoteCluster.STATUS_CLEARED, by)
        rankings_changed()
        log(instance=cluster, action="wagtail_communityblog.ring_cleared", user=by)
        _log_posts(post_ids, cluster, "wagtail_communityblog.ring_votes_restored", by)
    return post_ids


def _decide(cluster, status, by):
    cluster.status = status
    cluster.decided_by = by
    cluster.decided_at = timezone.now()
    cluster.save(update_fields=["status", "decided_by", "decided_at", "updated_at"])


def _log_posts(post_ids, cluster, action, by):
    for post in CommunityPostPage.objects.filter(pk__in=post_ids):
        log(instance=post, action=action, user=by, data={"vote_ring": cluster.pk})
