"""Ranking formulas: pure functions of a post's votes and time, stored on ``PostScore``.

Every formula here is time-invariant: two posts keep their relative order as both age, so one
stored, indexed column serves each ranking and nothing needs recomputing as the clock runs.
(Hacker News-style gravity, ``score / (age + 2) ** 1.8``, changes every post's value every
second, so it cannot be a stored column; it is deliberately absent.)

``ranking_expressions.py`` builds the same formulas as SQL expressions, so a vote updates the stored
columns inside the database in one statement; the tests check the two agree.
"""

import math
from datetime import UTC, datetime, timedelta

from django.utils.translation import gettext_lazy as _

# The rankings a listing or a promoted block can use, and the windows "top" can look back over:
# the one vocabulary every form, tab, feed title and query reads.
RANKINGS = {"hot": _("Hot"), "best": _("Best"), "top": _("Top"), "new": _("New")}
WINDOWS = {
    "day": (_("Today"), timedelta(days=1)),
    "week": (_("This week"), timedelta(days=7)),
    "month": (_("This month"), timedelta(days=30)),
    "year": (_("This year"), timedelta(days=365)),
    "all": (_("All time"), None),
}


def window_labels():
    """``{window: label}``, for choices and tabs."""
    return {key: label for key, (label, _delta) in WINDOWS.items()}


def window_delta(window):
    """How far back ``window`` looks (``None``: all time); unknown windows mean all time."""
    return WINDOWS.get(window, WINDOWS["all"])[1]


# Reddit's epoch (2005-12-08 07:46:43 UTC); any fixed instant works, it only shifts every value.
EPOCH = datetime(2005, 12, 8, 7, 46, 43, tzinfo=UTC)


def time_score(rank_time, tau=45000.0):
    """Return the time part of "hot": seconds from the epoch to ``rank_time``, over ``tau``."""
    if rank_time is None:
        return 0.0
    return (rank_time - EPOCH).total_seconds() / tau


def hot(net_score, rank_time, tau=45000.0):
    """Return the Reddit "hot" rank of a post.

    ``sign(s) * log10(max(|s|, 1)) + (t - epoch) / tau``, with ``s`` the net score and ``t`` the
    post's ranking time. Source: reddit's ``_sorts.pyx`` (``_hot``), explained in Amir
    Salihefendic, "How Reddit ranking algorithms work" (2010). Each tenfold score is worth
    ``tau`` seconds (45000 s = 12.5 h) of freshness, and the order of two posts never changes
    with the clock, only with votes.

    >>> round(hot(0, EPOCH), 6), round(hot(10, EPOCH), 6), round(hot(-100, EPOCH), 6)
    (0.0, 1.0, -2.0)
    """
    return hot_from_time_score(net_score, time_score(rank_time, tau))


def hot_from_time_score(net_score, time_part):
    order = math.log10(max(abs(net_score), 1))
    sign = (net_score > 0) - (net_score < 0)
    return sign * order + time_part


def wilson_lower_bound(up, down, z=1.96):
    """Return the lower bound of the Wilson score interval for the share of up votes.

    ``(p + z²/2n - z * sqrt((p(1-p) + z²/4n) / n)) / (1 + z²/n)``, ``p = up / n``, ``n = up +
    down``; 0 with no votes. Source: Evan Miller, "How Not To Sort By Average Rating" (2009);
    E. B. Wilson, JASA 22 (1927). ``z = 1.96`` gives 95% confidence that the true share is at
    least this high, so one lucky up vote does not outrank a hundred mostly-up votes.

    >>> round(wilson_lower_bound(1, 0), 4), round(wilson_lower_bound(100, 10), 4)
    (0.2065, 0.8407)
    """
    n = up + down
    if n == 0:
        return 0.0
    p = up / n
    z2 = z * z
    return (p + z2 / (2 * n) - z * math.sqrt((p * (1 - p) + z2 / (4 * n)) / n)) / (1 + z2 / n)


def bayesian_average(vote_sum, vote_count, prior_votes=5.0, prior_mean=3.0):
    """Return the Bayesian (IMDb "weighted rating") average of star ratings.

    ``v / (v + m) * R + m / (v + m) * C`` with ``R`` the post's mean, ``v`` its number of votes,
    ``m`` the prior's weight in votes and ``C`` the prior mean; equal to
    ``(sum + m * C) / (v + m)``. Source: IMDb's published Top 250 formula. A post with few
    votes is pulled towards ``C``, so three five-star votes do not beat fifty fours.

    >>> bayesian_average(15, 3), round(bayesian_average(200, 50), 4)
    (3.75, 3.9091)
    """
    return (vote_sum + prior_votes * prior_mean) / (vote_count + prior_votes)


def block_minimums(ranking, min_votes, min_score, rule_votes, rule_score):
    """Return the ``(min_votes, min_score)`` a promoted block applies (``None``: no minimum).

    An empty "Minimum votes" (``None``) means the site's promotion rule, ``rule_votes`` and
    ``rule_score`` (a "Minimum score" set in the block still wins): only posts readers have
    endorsed reach a ranked front page, so a new post cannot get there on its first couple of
    votes (docs/explanation/community-health.md measures what this does). A number, ``0``
    included, is the editor's own choice, used with the block's "Minimum score" as it stands.
    "New" lists posts by date and applies only minimums set in the block.

    >>> block_minimums("hot", None, None, 5, 3), block_minimums("hot", 0, None, 5, 3)
    ((5, 3), (0, None))
    >>> block_minimums("hot", None, 10, 5, 3), block_minimums("new", None, None, 5, 3)
    ((5, 10), (0, None))
    """
    if min_votes is not None:
        return min_votes, min_score
    if ranking == "new":
        return 0, min_score
    return rule_votes, rule_score if min_score is None else min_score
