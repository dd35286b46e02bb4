"""Following by e-mail, from the public site: the follow form (a member's one button, or an
address for anyone else), the page that manages what an address follows, the confirmation of a
new address (double opt-in) and the one-click unsubscribe of each e-mail (RFC 8058).

The pages a link in an e-mail opens are found by the follower's secret token, never by a
log-in; none of them writes on GET: each asks for a button press (a POST).
"""

from django import forms
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from ..converters import row_id
from ..errors import FollowError
from ..models import Follow, Follower
from ..ratelimit import check_limits
from ..services import follows as service
from .responses import TemplateResponse, refuse, wants_json

TEMPLATE_DIR = "wagtail_communityblog/follows/"


class FollowForm(forms.Form):
    email = forms.EmailField(
        label=gettext_lazy("Your e-mail address"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )


def _error(request, error, status=None):
    if status is not None:
        error.status = status
    return refuse(request, error, template=TEMPLATE_DIR + "error.html")


def _target(request):
    data = request.POST if request.method == "POST" else request.GET
    for name in ("blog", "community"):
        if data.get(name) and row_id(data[name]) is None:
            raise FollowError(_("Choose what to follow."))
    return service.target(
        community_id=row_id(data.get("community")),
        blog_id=row_id(data.get("blog")),
        tag_slug=(data.get("tag") or "").strip()[:100] or None,
        kind=data.get("kind") or None,
    )


def _hidden_fields(what):
    kind, community, blog, tag = what
    if blog is not None:
        return {"blog": blog.pk}
    fields = {"community": community.pk}
    if tag is not None:
        fields["tag"] = tag.slug
    else:
        fields["kind"] = kind
    return fields


def _back(what):
    kind, community, blog, tag = what
    if blog is not None:
        return blog.url
    if tag is not None:
        return community.url + community.reverse_subpage("tag_view", args=(tag.slug,))
    return community.url


def _description(what):
    kind, community, blog, tag = what
    return Follow(kind=kind, community=community, blog=blog, tag=tag).describe()


@require_http_methods(["GET", "POST"])
def follow(request):
    """Follow a blog (``blog``), a tag of a community (``community`` and ``tag``), or a
    community's promoted posts or weekly digest (``community`` and ``kind``) by e-mail."""
    try:
        what = _target(request)
    except FollowError as error:
        return _error(request, error)
    member = request.user.is_authenticated
    form = FollowForm(request.POST if request.method == "POST" and not member else None)
    context = {
        "description": _description(what),
        "fields": _hidden_fields(what),
        "back": _back(what),
        "form": form,
    }
    if request.method == "GET":
        return TemplateResponse(request, TEMPLATE_DIR + "follow.html", context)
    if not member and not form.is_valid():
        if wants_json(request):
            return JsonResponse({"error": " ".join(form.errors.get("email", []))}, status=400)
        return TemplateResponse(request, TEMPLATE_DIR + "follow.html", context, status=400)
    try:
        check_limits(request, FollowError, "follow" if member else "subscribe")
        followed, confirmation_needed = service.follow(
            what,
            user=request.user if member else None,
            email=None if member else form.cleaned_data["email"],
        )
    except FollowError as error:
        return _error(request, error)
    if wants_json(request):
        # The same answer for an address that followed already: nothing to learn about it.
        return JsonResponse({"following": member, "confirmation_needed": not member})
    context["member"] = member
    context["manage_url"] = (
        reverse("wagtail_communityblog:follow_manage", kwargs={"token": followed.follower.token})
        if member
        else None
    )
    return TemplateResponse(request, TEMPLATE_DIR + "follow_done.html", context)


def _follower_or_404(token):
    follower = Follower.objects.filter(token=token).first() if len(token) <= 64 else None
    if follower is None:
        raise FollowError(
            _("This link is not valid any more. Follow again from the site to get a new one."),
            404,
        )
    return follower


def _follows(follower):
    return list(follower.follows.select_related("community", "blog", "tag").order_by("kind", "pk"))


@require_http_methods(["GET", "POST"])
def follow_manage(request, token):
    """What an address follows, each with a button to stop it, and one to stop everything."""
    try:
        follower = _follower_or_404(token)
    except FollowError as error:
        return _error(request, error)
    if request.method == "POST":
        choice = request.POST.get("unfollow", "")
        if choice == "all":
            service.unfollow(follower)
            message = _("You follow nothing by e-mail any more.")
        elif row_id(choice) and follower.follows.filter(pk=row_id(choice)).exists():
            service.unfollow(follower, row_id(choice))
            message = _("Stopped: you will get no more of these e-mails.")
        else:
            return _error(request, FollowError(_("Choose what to stop following.")))
        if wants_json(request):
            return JsonResponse({"message": message, "following": len(_follows(follower))})
        messages.success(request, message)
        return redirect(request.path)
    return TemplateResponse(
        request,
        TEMPLATE_DIR + "manage.html",
        {"follower": follower, "follows": _follows(follower)},
    )


@require_http_methods(["GET", "POST"])
def follow_confirm(request, token):
    """The link of the confirmation e-mail: a button that starts the address's waiting
    follows (link checkers that open the link confirm nothing)."""
    try:
        follower = _follower_or_404(token)
    except FollowError as error:
        return _error(request, error)
    confirmed = None
    if request.method == "POST":
        confirmed = service.confirm(follower)
    return TemplateResponse(
        request,
        TEMPLATE_DIR + "confirm.html",
        {
            "follower": follower,
            "waiting": [f for f in _follows(follower) if f.confirmed_at is None],
            "confirmed": confirmed,
        },
    )


# A mail client's one-click unsubscribe (RFC 8058) POSTs without a session or CSRF token: the
# follower's secret token is the credential, and all it can do is stop e-mails.
@csrf_exempt
@require_http_methods(["GET", "POST"])
def follow_unsubscribe(request, token, follow_id):
    """Stop the e-mails of one follow, from the link in each of them; no log-in needed."""
    try:
        follower = _follower_or_404(token)
    except FollowError as error:
        return _error(request, error)
    followed = follower.follows.filter(pk=follow_id).select_related("community", "blog", "tag")
    followed = followed.first()
    done = False
    if request.method == "POST":
        done = True
        if followed is not None:
            service.unfollow(follower, followed.pk)
    return TemplateResponse(
        request,
        TEMPLATE_DIR + "unsubscribe.html",
        {"follower": follower, "follow": followed, "done": done},
    )


def following(request):
    """A member's own page of what they follow by e-mail (from the dashboard)."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    follower = Follower.objects.filter(user=request.user).first()
    if follower is not None:
        return redirect("wagtail_communityblog:follow_manage", token=follower.token)
    return TemplateResponse(request, TEMPLATE_DIR + "manage.html", {"follows": []})
