"""The crowd hold (``CROWD_HOLD``): a post pushed before its promotion by accounts that follow
the crowd is kept off the front page until an editor has looked.

A farming ring's accounts build long, ordinary histories by voting on what is already on the
front page; almost none of their votes are **early** (cast on a post not yet promoted). The
rules are ``vote_rings.follows_crowd`` and ``vote_rings.crowd_pushed``, shared with the
community simulation (docs/explanation/community-health.md). Two halves:

- ``refresh_crowd``, off the vote path with the ring detection: for the accounts that voted
  since the last refresh, count their votes and early votes (cast before their post's
  ``PostScore.promoted_at``, or on a post never promoted) and set
  ``CommunityMember.follows_crowd``.
- ``check_push``, at the vote, inside the vote's transaction, for a counted up vote on a post
  not yet promoted: only when the voter follows the crowd (one indexed read otherwise), count
  the post's up votes and those by accounts that follow the crowd, and hold the post when
  they are enough, with the evidence editors see.
"""

from datetime import timedelta

from django.db.models import Count, F, Max, Q
from django.utils import timezone

from .. import vote_rings as detection
from ..conf import app_settings
from ..models import CommunityMember, PostHold, Rating
from .holds import hold_posts

# Votes are read from a little before the last refresh: a vote whose transaction was still
# open when the last refresh read the table is not missed.
OVERLAP = timedelta(minutes=5)
CHUNK = 500


def histories(user_ids):
    """user id -> (votes in its life, early votes among them), for these accounts."""
    early = Q(post__score__promoted_at__isnull=True) | Q(
        created_at__lt=F("post__score__promoted_at")
    )
    user_ids = list(user_ids)
    result = {}
    for start in range(0, len(user_ids), CHUNK):
        rows = (
            Rating.objects.filter(user_id__in=user_ids[start : start + CHUNK])
            .values("user_id")
            .annotate(votes=Count("pk"), early=Count("pk", filter=early))
            .values_list("user_id", "votes", "early")
        )
        result.update((user_id, (votes, early)) for user_id, votes, early in rows)
    return result


def _follows(votes, early):
    return detection.follows_crowd(
        votes,
        early,
        min_votes=app_settings.CROWD_MIN_VOTES,
        max_early_share=app_settings.CROWD_MAX_EARLY_SHARE,
    )


def refresh_crowd(now=None):
    """Set ``follows_crowd`` for the accounts that voted since the last refresh (at most
    ``RING_WINDOW`` back); return how many accounts now follow the crowd among them."""
    if not app_settings.CROWD_HOLD:
        return 0
    now = now or timezone.now()
    since = now - app_settings.RING_WINDOW
    last = CommunityMember.objects.aggregate(last=Max("crowd_checked_at"))["last"]
    if last is not None:
        since = max(since, last - OVERLAP)
    voters = set(
        Rating.objects.filter(created_at__gte=since)
        .values_list("user_id", flat=True)
        .order_by()
        .distinct()
    )
    if not voters:
        return 0
    crowd = {
        user_id for user_id, (votes, early) in histories(voters).items() if _follows(votes, early)
    }
    others = list(voters - crowd)
    crowd = list(crowd)
    for start in range(0, len(crowd), CHUNK):
        chunk = crowd[start : start + CHUNK]
        known = set(
            CommunityMember.objects.filter(user_id__in=chunk).values_list("user_id", flat=True)
        )
        CommunityMember.objects.bulk_create(
            [CommunityMember(user_id=user_id) for user_id in chunk if user_id not in known],
            ignore_conflicts=True,
        )
        CommunityMember.objects.filter(user_id__in=chunk).update(
            follows_crowd=True, crowd_checked_at=now
        )
    for start in range(0, len(others), CHUNK):
        CommunityMember.objects.filter(user_id__in=others[start : start + CHUNK]).update(
            follows_crowd=False, crowd_checked_at=now
        )
    return len(crowd)


def check_push(post_id, user_id, up_values, *, follows_crowd=None):
    """At a counted up vote on a post not yet promoted: hold the post if accounts that follow
    the crowd pushed it (``vote_rings.crowd_pushed``); return the hold, or ``None``.

    ``up_values``: the rating scheme's values that count as up votes; ``follows_crowd``: the
    voter's flag if the vote's own statements read it (else it is read here). Held for this
    reason once at most: an editor has looked at its early votes already.
    """
    if follows_crowd is None:
        follows_crowd = CommunityMember.objects.filter(user_id=user_id, follows_crowd=True).exists()
    if not follows_crowd:
        return None
    up_votes = Rating.objects.filter(post_id=post_id, value__in=up_values, counted=True)
    counts = up_votes.aggregate(
        early=Count("pk"), crowd=Count("pk", filter=Q(user__community_member__follows_crowd=True))
    )
    if not detection.crowd_pushed(
        counts["early"], counts["crowd"], min_votes=app_settings.CROWD_HOLD_MIN_VOTES
    ):
        return None
    if PostHold.objects.filter(post_id=post_id, reason=PostHold.REASON_CROWD).exists():
        return None
    pushers = list(
        up_votes.filter(user__community_member__follows_crowd=True)
        .select_related("user")
        .order_by("created_at")
    )
    history = histories(vote.user_id for vote in pushers)
    evidence = {
        "early_up_votes": counts["early"],
        "crowd_up_votes": counts["crowd"],
        "min_votes": app_settings.CROWD_MIN_VOTES,
        "max_early_share": app_settings.CROWD_MAX_EARLY_SHARE,
        "accounts": [
            {
                "user_id": vote.user_id,
                "name": str(vote.user),
                "votes": history.get(vote.user_id, (0, 0))[0],
                "early_votes": history.get(vote.user_id, (0, 0))[1],
            }
            for vote in pushers
        ],
    }
    holds = hold_posts([post_id], PostHold.REASON_CROWD, evidence={post_id: {"evidence": evidence}})
    return holds[0] if holds else None
