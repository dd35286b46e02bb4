"""Readers' reports on posts."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from ..forms.frontend import FlagForm
from ..models import CommunityPostPage
from ..ratelimit import check_limits
from ..services.curation import CurationError, flag_post
from .responses import TemplateResponse, done, form_errors, refuse

TEMPLATE = "wagtail_communityblog/flag_form.html"


@login_required
@require_http_methods(["GET", "POST"])
def flag(request, post_id):
    """Report a post to the editors (a reason is required; one report per reader per post)."""
    post = get_object_or_404(CommunityPostPage.objects.live().public(), pk=post_id)
    form = FlagForm(request.POST if request.method == "POST" else None)
    if request.method != "POST":
        return TemplateResponse(request, TEMPLATE, {"form": form, "post": post})
    try:
        _report(request, form, post)
    except CurationError as error:
        return refuse(request, error, template=TEMPLATE, context={"form": form, "post": post})
    return done(
        request,
        data={"post_id": post.pk, "reported": True},
        status=201,
        redirect_to=post.get_url(request) or "/",
        message=_("Thank you. The editors will look at your report."),
    )


def _report(request, form, post):
    if not form.is_valid():
        raise CurationError(form_errors(form))
    try:
        check_limits(request, CurationError, "flag")
        flag_post(post, request.user, form.cleaned_data["reason"])
    except CurationError as error:
        form.add_error(None, str(error))
        raise
