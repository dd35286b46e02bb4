"""What a shared cache (a caching proxy, a CDN) may keep of the package's responses.

An anonymous reader's page (the community section, its listings, tags, search and feeds, blogs,
posts) is the same for every anonymous reader: it is marked ``public`` for a shared cache for
``WAGTAIL_COMMUNITYBLOG_CACHE_MAX_AGE`` seconds (``s-maxage``), to be served stale for
``WAGTAIL_COMMUNITYBLOG_CACHE_STALE_WHILE_REVALIDATE`` more while it is fetched again. Browsers
keep nothing (``max-age=0``): only the proxy is purged when editors act (``frontend_cache.py``).

Anything that may differ by reader is ``private, no-cache``: a logged-in reader, a request
carrying a session or messages cookie, a preview, a response that sets a cookie or used the CSRF
token, and everything the member views answer. ``Vary: Cookie`` goes on both.
"""

from functools import wraps

from django.conf import settings
from django.template.response import SimpleTemplateResponse
from django.utils.cache import patch_cache_control, patch_vary_headers

from .conf import app_settings

CACHEABLE_STATUSES = {200, 203, 301, 404, 410}
MESSAGES_COOKIE = "messages"  # django.contrib.messages' CookieStorage


def is_personal(request, response):
    """Whether this response may depend on who asked, or hand them something of their own."""
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return True
    if getattr(request, "is_preview", False):
        return True
    if {settings.SESSION_COOKIE_NAME, MESSAGES_COOKIE} & set(request.COOKIES):
        return True
    if response.cookies or request.META.get("CSRF_COOKIE_NEEDS_UPDATE"):
        return True
    session = getattr(request, "session", None)
    return bool(session is not None and session.modified)


def mark(request, response):
    """Set the response's caching headers (unless the view chose its own)."""
    if response.has_header("Cache-Control"):
        return response
    patch_vary_headers(response, ["Cookie"])
    if is_personal(request, response) or request.method not in ("GET", "HEAD"):
        patch_cache_control(response, private=True, no_cache=True)
        return response
    max_age = app_settings.CACHE_MAX_AGE
    if max_age and response.status_code in CACHEABLE_STATUSES:
        patch_cache_control(
            response,
            public=True,
            max_age=0,
            s_maxage=max_age,
            stale_while_revalidate=app_settings.CACHE_STALE_WHILE_REVALIDATE,
        )
    return response


def cache_headers(request, response):
    """``mark()`` once the response is final: a template response after it has rendered, when
    whether it used the CSRF token or the session is known."""
    if isinstance(response, SimpleTemplateResponse) and not response.is_rendered:
        response.add_post_render_callback(lambda rendered: mark(request, rendered))
        return response
    return mark(request, response)


def private(view):
    """For the member views: never kept by a shared cache."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        if not response.has_header("Cache-Control"):
            patch_cache_control(response, private=True, no_cache=True)
        patch_vary_headers(response, ["Cookie"])
        return response

    return wrapper


class HttpCachingMixin:
    """For the package's page models: every response they serve (the page, its routes, its
    feeds, previews) carries the right caching headers."""

    def serve(self, request, *args, **kwargs):
        return cache_headers(request, super().serve(request, *args, **kwargs))

    def get_cached_paths(self):
        """What ``wagtail.contrib.frontend_cache`` purges with the page: its URL and each of its
        routes that takes no argument (the directory, search, the feeds)."""
        paths = list(super().get_cached_paths())
        for pattern in getattr(self, "get_subpage_urls", list)():
            route = str(pattern.pattern)
            if route and "<" not in route and "(" not in route:
                paths.append("/" + route.lstrip("^").rstrip("$"))
        return paths
