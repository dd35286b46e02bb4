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
from ..models import CommunityMember, PostHold, PostScore, Rating
from .holds import hold_posts

# Votes are read from a little before the last refresh: a vote whose transaction was still
# open when the last refresh read the table is not missed.
OVERLAP = timedelta(minutes=5)
CHUNK = 500


def histories(user_ids, *, exclude_post=None):
    """user id -> (votes in its life, early votes among them), for these accounts; without
    their votes on ``exclude_post`` (the history a hold's evidence shows: before the push)."""
    early = Q(post__score__promoted_at__isnull=True) | Q(
        created_at__lt=F("post__score__promoted_at")
    )
    user_ids = list(user_ids)
    result = {}
    for start in range(0, len(user_ids), CHUNK):
        votes = Rating.objects.filter(user_id__in=user_ids[start : start + CHUNK])
        if exclude_post is not None:
            votes = votes.exclude(post_id=exclude_post)
        rows = (
            votes.values("user_id")
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
    ``RING_WINDOW`` back); return how many accounts now follow the crowd among them.

    The first refresh on a site (no account checked yet: a new install, or the upgrade that
    brought the crowd hold) reads every account that ever voted, so a farm that stopped
    voting before the upgrade is known before it pushes.
    """
    if not app_settings.CROWD_HOLD:
        return 0
    now = now or timezone.now()
    last = CommunityMember.objects.aggregate(last=Max("crowd_checked_at"))["last"]
    votes = Rating.objects.all()
    if last is not None:
        votes = votes.filter(created_at__gte=max(now - app_settings.RING_WINDOW, last - OVERLAP))
    voters = list(votes.values_list("user_id", flat=True).order_by().distinct())
    if not voters:
        return 0
    crowd = {
        user_id for user_id, (total, early) in histories(voters).items() if _follows(total, early)
    }
    for start in range(0, len(voters), CHUNK):
        chunk = voters[start : start + CHUNK]
        # Every voter gets a member row, so the next run knows when this one was (the latest
        # crowd_checked_at) and reads only the votes since.
        known = set(
            CommunityMember.objects.filter(user_id__in=chunk).values_list("user_id", flat=True)
        )
        CommunityMember.objects.bulk_create(
            [CommunityMember(user_id=user_id) for user_id in chunk if user_id not in known],
            ignore_conflicts=True,
        )
        following = [user_id for user_id in chunk if user_id in crowd]
        CommunityMember.objects.filter(user_id__in=following).update(
            follows_crowd=True, crowd_checked_at=now
        )
        CommunityMember.objects.filter(user_id__in=chunk).exclude(user_id__in=following).update(
            follows_crowd=False, crowd_checked_at=now
        )
    return len(crowd)


def _busy_accounts():
    """The accounts named in the evidence of an open crowd hold: until an editor decides it,
    they count towards no other push, so three accounts hold one post at a time, not every
    new post."""
    busy = set()
    for evidence in PostHold.objects.filter(
        reason=PostHold.REASON_CROWD, status=PostHold.STATUS_OPEN
    ).values_list("evidence", flat=True):
        busy.update(account["user_id"] for account in (evidence or {}).get("accounts", []))
    return busy


def check_push(post_id, user_id, up_values, *, follows_crowd=None):
    """At a counted up vote on a post not yet promoted: hold the post if accounts that follow
    the crowd pushed it (``vote_rings.crowd_pushed``); return the hold, or ``None``.

    ``up_values``: the rating scheme's values that count as up votes; ``follows_crowd``: the
    voter's flag if the vote's own statements read it (else it is read here).
    """
    if follows_crowd is None:
        follows_crowd = CommunityMember.objects.filter(user_id=user_id, follows_crowd=True).exists()
    if not follows_crowd:
        return None
    return _hold_if_pushed(post_id, up_values)


def check_post(post_id, up_values):
    """For a post coming back into the rankings (unhidden by an editor, or its readers' reports
    dismissed): its votes were not checked while it was hidden. Hold it now if it is not
    promoted and accounts that follow the crowd pushed it; return the hold, or ``None``."""
    if not app_settings.CROWD_HOLD:
        return None
    if PostScore.objects.filter(pk=post_id, promoted_at__isnull=False).exists():
        return None
    return _hold_if_pushed(post_id, up_values)


def _hold_if_pushed(post_id, up_values):
    """Count the post's counted up votes and those by accounts that follow the crowd (not
    busy with another open crowd hold); hold the post, with the evidence, when they are
    enough. Held for this reason once at most: an editor has looked at its early votes."""
    busy = _busy_accounts()
    crowd = Q(user__community_member__follows_crowd=True) & ~Q(user_id__in=busy)
    up_votes = Rating.objects.filter(post_id=post_id, value__in=up_values, counted=True)
    counts = up_votes.aggregate(early=Count("pk"), crowd=Count("pk", filter=crowd))
    if not detection.crowd_pushed(
        counts["early"], counts["crowd"], min_votes=app_settings.CROWD_HOLD_MIN_VOTES
    ):
        return None
    if PostHold.objects.filter(post_id=post_id, reason=PostHold.REASON_CROWD).exists():
        return None
    pushers = list(up_votes.filter(crowd).order_by("created_at").values_list("user_id", flat=True))
    # Their history before this push: what made them count as following the crowd.
    history = histories(pushers, exclude_post=post_id)
    evidence = {
        "early_up_votes": counts["early"],
        "crowd_up_votes": counts["crowd"],
        "min_votes": app_settings.CROWD_MIN_VOTES,
        "max_early_share": app_settings.CROWD_MAX_EARLY_SHARE,
        # Ids only: names are read when an editor looks, so a deleted account leaves none.
        "accounts": [
            {
                "user_id": user_id,
                "votes": history.get(user_id, (0, 0))[0],
                "early_votes": history.get(user_id, (0, 0))[1],
            }
            for user_id in pushers
        ],
    }
    holds = hold_posts([post_id], PostHold.REASON_CROWD, evidence={post_id: {"evidence": evidence}})
    return holds[0] if holds else None
