"""One cache "generation" for everything the package renders from rankings.

Anything that could change what a promoted-posts block shows (a vote, a publish or unpublish,
an editor's decision, a suspension) moves the generation on; cached fragments are keyed by it,
so none outlives the change. Works with any cache backend Django supports.
"""

from django.core.cache import cache
from django.db import transaction

GENERATION_KEY = "wagtail_communityblog:generation"


def generation():
    value = cache.get(GENERATION_KEY)
    if value is None:
        cache.add(GENERATION_KEY, 1, timeout=None)
        value = cache.get(GENERATION_KEY, 1)
    return value


def _bump():
    try:
        cache.incr(GENERATION_KEY)
    except ValueError:
        cache.add(GENERATION_KEY, 2, timeout=None)


def rankings_changed():
    """Invalidate cached rankings now, and again when the current transaction commits (so a
    render between the two cannot keep what the transaction is about to change)."""
    _bump()
    transaction.on_commit(_bump)
