"""What every front-end view answers with, in one place.

A view answers JSON when the request asks for it (``Accept: application/json``, as the
package's scripts send) and HTML otherwise: a redirect with a message after a write, or a page
that says why not. Refusals are the services' ``ActionRefused`` errors, whose ``status`` is the
HTTP status. Where a view goes back to is always checked by ``safe_next``.
"""

from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import JsonResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse as DjangoTemplateResponse
from django.utils.http import url_has_allowed_host_and_scheme

from ..layout import layout_context
from ..links import login_url_for
from ..services.members import blogging_refusal

MEMBER_TEMPLATES = "wagtail_communityblog/member/"


class TemplateResponse(DjangoTemplateResponse):
    """Django's ``TemplateResponse``, with what the package's layout needs in its context
    (``layout.layout_context``: the site's base template or the package's own)."""

    def resolve_context(self, context):
        return super().resolve_context(layout_context(self._request, dict(context or {})))


def wants_json(request):
    return "application/json" in request.headers.get("Accept", "")


def form_errors(form):
    """A form's errors as one sentence, for a JSON answer."""
    return " ".join(error for errors in form.errors.values() for error in errors)


def safe_next(request, fallback="/"):
    """The ``next`` the request names (POST, then GET) if it is on this site, else ``fallback``.

    The same rule as Wagtail's admin (``get_valid_next_url_from_request``): Django's
    ``url_has_allowed_host_and_scheme`` against the request's own host, https-only on a secure
    request. It refuses other hosts, scheme-relative ``//host`` and ``/\\host`` URLs and
    ``javascript:`` and other schemes.
    """
    target = request.POST.get("next") or request.GET.get("next")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return fallback


def done(request, *, data, redirect_to, message=None, status=200):
    """A write went through: ``data`` as JSON, or ``message`` flashed and a redirect."""
    if wants_json(request):
        return JsonResponse(data, status=status)
    if message:
        messages.success(request, message)
    return redirect(redirect_to)


def refuse(request, error, *, template, context=None, extra=None):
    """An action was refused: ``{"error": ...}`` (plus ``extra``) as JSON, or ``template``
    rendered with ``context`` and ``message``; both with the error's status (and, over a rate
    limit, ``Retry-After``)."""
    if wants_json(request):
        return json_refusal(error, extra)
    context = {"message": str(error), **(context or {})}
    return with_retry_after(
        TemplateResponse(request, template, context, status=error.status), error
    )


def json_refusal(error, extra=None):
    """``{"error": ..., "retry_after": seconds (over a rate limit)}`` with the error's status."""
    data = {"error": str(error), **(extra or {})}
    if getattr(error, "retry_after", None):
        data["retry_after"] = error.retry_after
    return with_retry_after(JsonResponse(data, status=error.status), error)


def with_retry_after(response, error):
    """``Retry-After`` on ``response`` when ``error`` is a rate limit's (RFC 9110, 10.2.3)."""
    seconds = getattr(error, "retry_after", None)
    if seconds:
        response["Retry-After"] = str(seconds)
    return response


def member_required(view):
    """Logged in, active and (if the site says so) in the member group; otherwise say why."""

    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        refusal = blogging_refusal(request.user)
        if refusal:
            return TemplateResponse(
                request, MEMBER_TEMPLATES + "not_allowed.html", {"reason": refusal}, status=403
            )
        return view(request, *args, **kwargs)

    return wrapper


def login_first(request, error, back):
    """An anonymous reader tried something that needs an account: to the log-in page (HTML) or
    a 403 with where to log in (JSON)."""
    if wants_json(request):
        return JsonResponse({"error": str(error), "login_url": login_url_for(back)}, status=403)
    return redirect(login_url_for(back))
