"""Ranking formulas: pure functions of a post's votes and time, stored on ``PostScore``.

Every formula here is time-invariant: two posts keep their relative order as both age, so one
stored, indexed column serves each ranking and nothing needs recomputing as the clock runs.
"""

import math
from datetime import datetime

EPOCH = datetime(2005, 12, 8, 7, 46, 43).timestamp()  # Reddit's epoch; any fixed instant works.


def hot(net_score, rank_time, tau=45000.0):
    """Return the Reddit "hot" rank of a post.

    ``sign(s) * log10(max(|s|, 1)) + (t - epoch) / tau``, with ``s`` the net score and ``t`` the
    post's ranking time in seconds. Source: reddit's ``_sorts.pyx`` (``_hot``), explained in
    Amir Salihefendic, "How Reddit ranking algorithms work" (2010). Each factor of ten in score
    is worth ``tau`` seconds (45000 s = 12.5 h) of freshness.
    """
    order = math.log10(max(abs(net_score), 1))
    sign = (net_score > 0) - (net_score < 0)
    seconds = rank_time.timestamp() - EPOCH if rank_time is not None else 0.0
    return round(sign * order + seconds / tau, 7)
