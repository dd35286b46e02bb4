"""``DatabaseUnavailableMiddleware``: 503 rather than 500 while the database cannot be reached.

Add it to ``MIDDLEWARE`` (anywhere after ``SessionMiddleware``). While PostgreSQL restarts or
fails over, a request whose view cannot reach it gets ``503 Service Unavailable`` with
``Retry-After`` and a short page (or ``{"error": ...}`` for a script), never the site's 500
page, and a warning in the log. Every write the package makes is one transaction, so a
request cut off this way has written nothing. The page is rendered without the site's base
template, which may itself need the database.
"""

import logging

from django.db import InterfaceError, OperationalError
from django.http import JsonResponse
from django.template.response import SimpleTemplateResponse
from django.utils.translation import gettext as _

logger = logging.getLogger(__name__)

RETRY_AFTER = 10  # seconds


class DatabaseUnavailableMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, (OperationalError, InterfaceError)):
            return None
        logger.warning(
            "The database is unavailable (%s: %s): answered %s %s with 503.",
            type(exception).__name__,
            str(exception).strip().splitlines()[0] if str(exception).strip() else "",
            request.method,
            request.path,
        )
        message = _("The site is busy for a moment. Please try again in a minute.")
        if "application/json" in request.headers.get("Accept", ""):
            response = JsonResponse({"error": message}, status=503)
        else:
            response = SimpleTemplateResponse(
                "wagtail_communityblog/unavailable.html", {"message": message}, status=503
            ).render()
        response["Retry-After"] = str(RETRY_AFTER)
        response["Cache-Control"] = "no-store"
        return response
