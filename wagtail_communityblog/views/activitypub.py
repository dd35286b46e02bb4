"""ActivityPub's discovery and collections (``WAGTAIL_COMMUNITYBLOG_ACTIVITYPUB``): WebFinger,
NodeInfo, and each actor's outbox, followers and inbox. With federation off, every one of them
is a 404.

WebFinger and NodeInfo live at the root of the site (``/.well-known/...``), so they are in
``wagtail_communityblog.activitypub_urls``, which a site includes at its root; the actors'
collections are routes of the package's URLs.
"""

import json
import logging
import re
from functools import wraps
from urllib.parse import quote, urlsplit

from django.contrib import messages
from django.core.exceptions import RequestDataTooBig
from django.db.models import Q
from django.http import JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods
from wagtail.models import Page, Site

from .. import __version__, activitypub
from ..conf import app_settings
from ..converters import row_id
from ..errors import FederationError
from ..models import (
    CommunityIndexPage,
    CommunityPostPage,
    MemberBlogPage,
    RemoteFollower,
    RemoteFollowing,
)
from ..models.members import CommunityMember
from ..ratelimit import check_limits
from ..services import activitypub as federation
from .responses import TemplateResponse, member_required, refuse

logger = logging.getLogger(__name__)

ACCT = re.compile(r"^acct:(?P<user>[A-Za-z0-9_.~-]{1,255})@(?P<host>[A-Za-z0-9.:\[\]-]{1,255})$")
NODEINFO_SCHEMA = "http://nodeinfo.diaspora.software/ns/schema/2.1"


def _error(message, status):
    return JsonResponse({"error": message}, status=status)


def federated(view):
    """404 while federation is off."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not activitypub.enabled():
            return _error("Not found.", 404)
        return view(request, *args, **kwargs)

    return wrapper


def _hosts(request):
    """The host names this site answers WebFinger for: the request's and its Wagtail site's."""
    hosts = {request.get_host().lower()}
    site = Site.find_for_request(request)
    if site is not None:
        hosts.add(site.hostname.lower())
        if site.port not in (80, 443):
            hosts.add(f"{site.hostname}:{site.port}".lower())
    return hosts


def _federated_blogs():
    """The member blogs that are actors: live, public, of members who are not suspended."""
    suspended = CommunityMember.objects.filter(is_suspended=True).values("user_id")
    return MemberBlogPage.objects.live().public().exclude(owner__in=suspended)


def _actor_by_slug(slug):
    """The live, public member blog with this slug (the oldest, if communities share it), else
    the community index with it."""
    blog = _federated_blogs().filter(slug__iexact=slug).order_by("pk").first()
    if blog is not None:
        return blog
    return (
        CommunityIndexPage.objects.live().public().filter(slug__iexact=slug).order_by("pk").first()
    )


@federated
@require_GET
def webfinger(request):
    """``/.well-known/webfinger?resource=acct:<blog slug>@<host>`` (RFC 7033)."""
    resource = request.GET.get("resource", "").strip()
    match = ACCT.match(resource)
    if not match:
        return _error("Ask for resource=acct:<name>@<host>.", 400)
    if match["host"].lower() not in _hosts(request):
        return _error("That account is not on this site.", 404)
    actor = _actor_by_slug(match["user"])
    if actor is None:
        return _error("No such account.", 404)
    url = activitypub.actor_id(actor)
    response = JsonResponse(
        {
            "subject": f"acct:{actor.slug}@{match['host'].lower()}",
            "aliases": [url],
            "links": [
                {"rel": "self", "type": activitypub.CONTENT_TYPE, "href": url},
                {"rel": "http://webfinger.net/rel/profile-page", "type": "text/html", "href": url},
                {
                    "rel": "http://ostatus.org/schema/1.0/subscribe",
                    "template": request.build_absolute_uri(
                        reverse("wagtail_communityblog:activitypub_interact")
                    )
                    + "?uri={uri}",
                },
            ],
        },
        content_type="application/jrd+json",
    )
    response["Access-Control-Allow-Origin"] = "*"
    return response


@federated
@require_GET
def nodeinfo_links(request):
    """``/.well-known/nodeinfo``: where the NodeInfo document is."""
    href = request.build_absolute_uri(reverse("wagtail_communityblog_nodeinfo"))
    return JsonResponse({"links": [{"rel": NODEINFO_SCHEMA, "href": href}]})


@federated
@require_GET
def nodeinfo(request):
    """NodeInfo 2.1: what software this is and how many blogs and posts it has."""
    posts = CommunityPostPage.objects.listed().count()
    blogs = _federated_blogs().count()
    return JsonResponse(
        {
            "version": "2.1",
            "software": {
                "name": "wagtail-communityblog",
                "version": __version__,
                "homepage": "https://github.com/wagtail-communityblog/wagtail-communityblog",
            },
            "protocols": ["activitypub"],
            "services": {"inbound": [], "outbound": ["atom1.0", "rss2.0"]},
            "openRegistrations": False,
            "usage": {"users": {"total": blogs}, "localPosts": posts},
            "metadata": {},
        },
        content_type=f'application/json; profile="{NODEINFO_SCHEMA}#"',
    )


def _actor_or_error(actor_id):
    page = Page.objects.filter(pk=actor_id).first()
    page = page.specific if page is not None else None
    if not isinstance(page, (MemberBlogPage, CommunityIndexPage)):
        return None, _error("No such actor.", 404)
    refused = activitypub.refusal(page)
    if refused is not None:
        return None, _error(refused[1], refused[0])
    return page, None


def _page_number(request):
    value = request.GET.get("page")
    if value is None:
        return None
    if not (value.isascii() and value.isdigit()) or not 0 < int(value) < 100_000:
        raise ValueError
    return int(value)


@federated
@require_GET
def outbox(request, actor_id):
    """A blog's posts as ``Create`` activities, or a community's promoted posts as
    ``Announce`` activities; newest first, ``PAGE_SIZE`` a page."""
    page, error = _actor_or_error(actor_id)
    if error:
        return error
    try:
        number = _page_number(request)
    except ValueError:
        return _error("page must be a whole number from 1.", 400)
    collection = activitypub.endpoint(page, "outbox")
    if isinstance(page, MemberBlogPage):
        posts = CommunityPostPage.objects.listed().filter(score__blog=page)
        posts = posts.order_by("-score__published_at", "-pk")
    else:
        posts = CommunityPostPage.objects.listed().filter(
            Q(score__community=page) & Q(score__promoted_at__isnull=False)
        )
        posts = posts.order_by("-score__promoted_at", "-pk")
    total = posts.count()
    if number is None:
        return activitypub.activity_response(activitypub.ordered_collection(collection, total))
    size = activitypub.PAGE_SIZE
    chosen = posts.select_related("header_image")[(number - 1) * size : number * size]
    if isinstance(page, MemberBlogPage):
        items = [activitypub.create_activity(post) for post in chosen]
    else:
        items = [activitypub.announce_activity(page, post) for post in chosen]
    return activitypub.activity_response(
        activitypub.ordered_collection(collection, total, items, page=number)
    )


@federated
@require_GET
def followers(request, actor_id):
    """The actor's followers on other servers: only how many (who they are is theirs to
    tell)."""
    page, error = _actor_or_error(actor_id)
    if error:
        return error
    collection = activitypub.endpoint(page, "followers")
    total = RemoteFollower.objects.filter(page_id=page.pk).count()
    document = activitypub.ordered_collection(collection, total)
    # No pages to point to: a client following ``first`` would be sent back here.
    document.pop("first", None)
    document.pop("last", None)
    return activitypub.activity_response(document)


@csrf_exempt
@federated
@require_http_methods(["POST"])
def inbox(request, actor_id=None):
    """Activities from other servers (an actor's inbox, or the shared one).

    Refused with a 4xx and a message, changing nothing: a body over ``ACTIVITYPUB_MAX_BYTES``
    (413), not a JSON activity (400), unsigned or badly signed (401), from a blocked account or
    server or signed by someone other than its actor (403). Accepted ones answer 202.
    """
    if actor_id is not None:
        _page, error = _actor_or_error(actor_id)
        if error:
            return error
    limit = app_settings.ACTIVITYPUB_MAX_BYTES
    length = request.META.get("CONTENT_LENGTH") or ""
    if length.isdigit() and int(length) > limit:
        return _error(f"An activity may be at most {limit} bytes.", 413)
    try:
        body = request.read(limit + 1)
    except (OSError, RequestDataTooBig):
        return _error("The request body could not be read.", 400)
    if len(body) > limit:
        return _error(f"An activity may be at most {limit} bytes.", 413)
    try:
        activity = json.loads(body)
    except (ValueError, UnicodeDecodeError, RecursionError):
        return _error("Send an ActivityPub activity as JSON.", 400)
    if not isinstance(activity, dict) or not isinstance(activity.get("type"), str):
        return _error("Send an ActivityPub activity: a JSON object with a type.", 400)
    try:
        actor = federation.verified_actor(request, body)
        claimed = activity.get("actor")
        claimed = claimed.get("id") if isinstance(claimed, dict) else claimed
        if claimed != actor.url:
            raise federation.InboxError("The activity's actor did not sign it.", 403)
        outcome = federation.receive(activity, actor)
    except federation.InboxError as error:
        logger.info("Inbox refused an activity (%s): %s", error.status, error.message)
        response = _error(str(error.message), error.status)
        if getattr(error, "retry_after", None):
            response["Retry-After"] = str(error.retry_after)
        return response
    return JsonResponse({"status": outcome}, status=202)


# Members following the fediverse ------------------------------------------------------------

TEMPLATE_DIR = "wagtail_communityblog/activitypub/"


def _refused(request, error):
    return refuse(request, error, template=TEMPLATE_DIR + "error.html")


def _members_blog(request, value):
    """The requesting member's blog with id ``value`` (their first one when it is empty)."""
    blogs = list(MemberBlogPage.objects.of_member(request.user).live())
    blog_id = row_id(value) if value else None
    if value and blog_id is None:
        raise FederationError(_("Choose one of your blogs."))
    chosen = next((b for b in blogs if blog_id is None or b.pk == blog_id), None)
    if chosen is None:
        raise FederationError(
            _("Follow accounts from your blog: start a blog, publish it, then follow."), 403
        )
    return chosen


def _to_dashboard():
    return redirect(reverse("wagtail_communityblog:dashboard") + "#communityblog-fediverse")


def _follow(request, handle_or_url):
    """The member's chosen blog (``blog``) follows ``handle_or_url``; back to the dashboard."""
    try:
        check_limits(request, FederationError, "follow", "activitypub_fetch")
        blog = _members_blog(request, request.POST.get("blog"))
        following = federation.follow_remote(request.user, blog, handle_or_url)
    except FederationError as error:
        return _refused(request, error)
    messages.success(
        request,
        _("Asked to follow %(handle)s: its posts appear here once its server accepts.")
        % {"handle": following.actor.handle},
    )
    return _to_dashboard()


@federated
@member_required
@require_http_methods(["POST"])
def following_add(request):
    """A member's blog follows an account on another server (``handle``: ``@name@server``)."""
    return _follow(request, request.POST.get("handle", ""))


@federated
@member_required
@require_http_methods(["POST"])
def following_remove(request, following_id):
    following = (
        RemoteFollowing.objects.filter(pk=following_id).select_related("actor__server").first()
    )
    try:
        if following is None:
            raise FederationError(_("That is not one of your follows."), 404)
        federation.unfollow_remote(request.user, following)
    except FederationError as error:
        return _refused(request, error)
    messages.success(
        request, _("You no longer follow %(handle)s.") % {"handle": following.actor.handle}
    )
    return _to_dashboard()


@federated
@member_required
@require_http_methods(["GET", "POST"])
def interact(request):
    """Where another site sends its reader to follow an account from here (WebFinger's
    subscribe template, ``?uri=``): the account, and a button to follow it from one of the
    member's blogs."""
    if request.method == "POST":
        return _follow(request, request.POST.get("uri", "").strip())
    uri = request.GET.get("uri", "").strip()
    try:
        check_limits(request, FederationError, "activitypub_fetch")
        actor = federation.describe(uri.removeprefix("acct:"))  # nothing written on GET
        blogs = [
            b
            for b in MemberBlogPage.objects.of_member(request.user).live()
            if activitypub.refusal(b) is None
        ]
    except FederationError as error:
        return _refused(request, error)
    return TemplateResponse(
        request, TEMPLATE_DIR + "interact.html", {"actor": actor, "uri": uri, "blogs": blogs}
    )


@federated
@require_GET
def remote_follow(request):
    """ "Follow from the fediverse" on a blog or a community: the handle to search for, and a
    form for the reader's own account (``handle``); given one, a link to follow from their own
    server (its subscribe template), when it has one."""
    page, error = _actor_or_error(row_id(request.GET.get("actor", "")) or 0)
    if error:
        return error
    host = request.get_host().lower()
    context = {"page": page, "handle": f"@{page.slug}@{host}", "uri": activitypub.actor_id(page)}
    handle = request.GET.get("handle", "").strip()
    if handle:
        try:
            _user, their_host = federation.parse_handle(handle)
            check_limits(request, FederationError, "follow", "activitypub_fetch")
            template = federation.subscribe_template(handle)
        except FederationError as error:
            context["message"] = str(error)
            return TemplateResponse(
                request, TEMPLATE_DIR + "remote_follow.html", context, status=error.status
            )
        if template:
            target = template.replace("{uri}", quote(context["uri"], safe=""))
            parts = urlsplit(target)
            # Only to the reader's own server, over http(s), and as a link they follow rather
            # than a redirect: an address on this site never sends anyone elsewhere by itself.
            if parts.scheme in ("https", "http") and (parts.netloc or "").lower() == their_host:
                context.update(continue_url=target, their_host=their_host)
                return TemplateResponse(request, TEMPLATE_DIR + "remote_follow.html", context)
        context["message"] = _(
            "Your server does not say how to follow from another site: search for %(handle)s "
            "on it instead."
        ) % {"handle": context["handle"]}
    return TemplateResponse(request, TEMPLATE_DIR + "remote_follow.html", context)
