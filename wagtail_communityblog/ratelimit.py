"""Per-member rate limits, counted in Django's cache (shared between app servers in production).

Built on django-ratelimit's counters; the limits themselves are the site's
``WAGTAIL_COMMUNITYBLOG_RATE_LIMITS`` setting, read on every call.
"""

from django_ratelimit import ALL
from django_ratelimit.core import is_ratelimited

from .conf import app_settings


def limit_reached(request, action, *, increment=True):
    """Count one ``action`` by the requesting member; return True if it is over the limit.

    Call it just before the write, after validation, so rejected forms do not use up a
    member's allowance and a refused action leaves nothing half-saved.
    """
    rate = app_settings.RATE_LIMITS.get(action)
    if not rate:
        return False
    return is_ratelimited(
        request,
        group=f"wagtail_communityblog.{action}",
        key="user",
        rate=rate,
        method=ALL,
        increment=increment,
    )
