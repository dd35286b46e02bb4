"""Per-member rate limits, counted in Django's cache (shared between app servers in production).

Built on django-ratelimit's counters; the limits themselves are the site's
``WAGTAIL_COMMUNITYBLOG_RATE_LIMITS`` setting, read on every call. Every write a member can make
has an allowance of its own (``ACTIONS``); one over its allowance is refused with 429 and how
long to wait (``Retry-After``), in JSON and in HTML alike (``views.responses.refuse``).

When the cache cannot count (Redis down), the limits **fail closed**: every limited write is
refused with 503, "try again in a minute", ``Retry-After``, and a warning in the log, and
nothing is written; reading goes on. A site that would rather let members write uncounted
for the outage sets django-ratelimit's ``RATELIMIT_FAIL_OPEN = True``.
"""

import logging

from django.conf import settings
from django.utils.translation import gettext_lazy as _
from django_ratelimit import ALL
from django_ratelimit.core import get_usage

from . import cache
from .conf import app_settings

logger = logging.getLogger(__name__)

UNAVAILABLE = _("The site cannot accept this for a moment. Please try again in a minute.")
UNAVAILABLE_RETRY_AFTER = 30  # seconds

# Each action with an allowance, and what the member is told when they are over it.
ACTIONS = {
    "post_create": _("You have started too many posts recently. Try again later."),
    "post_edit": _(
        "You have saved your posts too many times recently. Wait a little and save again: "
        "your text is still here."
    ),
    "blog_edit": _("You have changed your blog too many times recently. Try again later."),
    "image_upload": _("You have uploaded too many images recently. Try later."),
    "vote": _("You are voting too fast. Please wait a little."),
    "comment": _("You are commenting too fast. Please wait a little."),
    "comment_edit": _(
        "You have edited comments too many times recently. Wait a little and save again: your "
        "text is still here."
    ),
    "recommend": _("You are recommending comments too fast. Please wait a little."),
    "flag": _("You have sent too many reports recently. Try later."),
    "follow": _("You have changed what you follow too many times recently. Try again later."),
    "subscribe": _(
        "Too many requests to follow by e-mail have come from here recently. Try again later."
    ),
    "activitypub_fetch": _(
        "Too many requests from here have made this site fetch keys or accounts from other "
        "servers recently. Try again later."
    ),
}


def over_limit(request, action, error_class, *, increment=True):
    """Count one ``action`` by the requesting member; ``None`` while they are within its
    allowance, else an ``error_class`` (429) saying so, with ``retry_after`` (seconds).

    Call it just before the write, after validation, so rejected forms do not use up a
    member's allowance and a refused action leaves nothing half-saved.
    """
    rate = app_settings.RATE_LIMITS.get(action)
    if not rate or not getattr(settings, "RATELIMIT_ENABLE", True):
        return None
    try:
        usage = get_usage(
            request,
            group=f"wagtail_communityblog.{action}",
            # The member; a reader who is not logged in (following by e-mail), their
            # address (RATELIMIT_IP_META_KEY behind a proxy: docs/how-to/deploy.md).
            key="user_or_ip",
            rate=rate,
            method=ALL,
            increment=increment,
        )
    except Exception as error:  # noqa: BLE001 - a cache backend that raises when it is down
        cache.unavailable("rate limit", error)
        usage = None if getattr(settings, "RATELIMIT_FAIL_OPEN", False) else {"time_left": -1}
    if usage is None:
        return None
    if usage["time_left"] < 0:
        # django-ratelimit's answer when the cache could not count (a real window never has
        # negative time left): closed, unless the site chose RATELIMIT_FAIL_OPEN.
        cache.warn_now_and_then(
            logger,
            "rate limits",
            "Rate-limit counters unavailable (is the cache down?): refusing members' writes "
            "with 503 (%s by user %s).",
            action,
            request.user.pk,
        )
        error = error_class(UNAVAILABLE, 503)
        error.retry_after = UNAVAILABLE_RETRY_AFTER
        return error
    if not usage["should_limit"]:
        return None
    error = error_class(ACTIONS[action], 429)
    error.retry_after = max(1, usage["time_left"])
    return error


def check_limits(request, error_class, *actions):
    """Count each of ``actions`` in turn; raise the first one over its allowance (see
    ``over_limit``)."""
    for action in actions:
        error = over_limit(request, action, error_class)
        if error is not None:
            raise error


def limit_reached(request, action, *, increment=True):
    """Count one ``action``; is the requesting member over its allowance?"""
    return over_limit(request, action, Exception, increment=increment) is not None
