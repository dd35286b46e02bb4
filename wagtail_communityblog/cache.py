"""One cache "generation" for everything the package renders from rankings.

Anything that changes which posts a promoted-posts block may show (a promotion, a publish or
unpublish, an editor's decision, a hold, a suspension) moves the generation on; cached
fragments are keyed by it, so none outlives the change. A vote alone does not: the scores and
the order a cached block shows may lag the votes by ``BLOCK_SCORES_MAX_AGE`` (blocks.py), so
the cache survives a night of votes. Works with any cache backend Django supports.

The cache is a help, never a condition: when it cannot be reached (Redis restarting),
``fetch`` misses, ``store`` and the generation's moves do nothing, and a warning says why in
the log (at most one every ``WARN_EVERY`` seconds per process), so pages are rendered from the
database instead of failing. What the cache counts for safety, the rate limits, fails closed instead
(``ratelimit.py``).
"""

import logging
import time

from django.core.cache import cache
from django.db import transaction

GENERATION_KEY = "wagtail_communityblog:generation"
WARN_EVERY = 10  # seconds

logger = logging.getLogger(__name__)
_warned = {}  # what was warned about -> (when, how many more since, not logged)


def warn_now_and_then(log, about, message, *args):
    """``log.warning(message, *args)``, at most once every ``WARN_EVERY`` seconds per process
    for one ``about``; the next warning says how many were left out in between."""
    now = time.monotonic()
    last, left_out = _warned.get(about, (None, 0))
    if last is not None and now - last < WARN_EVERY:
        _warned[about] = (last, left_out + 1)
        return
    _warned[about] = (now, 0)
    if left_out:
        message += " (%d more since the last warning)"
        args = (*args, left_out)
    log.warning(message, *args)


def unavailable(operation, error):
    """Log that the cache failed ``operation`` (now and then: an outage is not a flood)."""
    warn_now_and_then(
        logger,
        "cache",
        "The cache is unavailable (%s failed: %s: %s); rendering from the database until it "
        "is back.",
        operation,
        type(error).__name__,
        error,
    )


def fetch(key, default=None):
    try:
        return cache.get(key, default)
    except Exception as error:  # noqa: BLE001 - any backend's connection error
        unavailable("get", error)
        return default


def store(key, value, timeout):
    try:
        cache.set(key, value, timeout)
    except Exception as error:  # noqa: BLE001
        unavailable("set", error)


def generation():
    try:
        value = cache.get(GENERATION_KEY)
        if value is None:
            cache.add(GENERATION_KEY, 1, timeout=None)
            value = cache.get(GENERATION_KEY, 1)
    except Exception as error:  # noqa: BLE001
        unavailable("generation", error)
        return None
    return value


def _bump():
    try:
        try:
            cache.incr(GENERATION_KEY)
        except ValueError:
            cache.add(GENERATION_KEY, 2, timeout=None)
    except Exception as error:  # noqa: BLE001
        unavailable("incr", error)


def rankings_changed():
    """Invalidate cached rankings now, and again when the current transaction commits (so a
    render between the two cannot keep what the transaction is about to change)."""
    _bump()
    transaction.on_commit(_bump)
