"""ActivityPub documents (``WAGTAIL_COMMUNITYBLOG_ACTIVITYPUB``, off by default): what the
fediverse reads of the community.

Each member blog is an actor (a ``Person``: ``@<blog slug>@<site host>``) and each community
index one (a ``Group``); each post is an ``Article`` attributed to its blog. Their ids are the
pages' own URLs: asked for with ``Accept: application/activity+json``, the pages answer with
these documents (``FederationMixin``), so a post's link pasted into a Mastodon search finds the
post. WebFinger and NodeInfo (``activitypub_urls.py``) lead other servers to them.

What a member wrote goes out as the site shows it: the body through the package's allow-list
sanitiser, titles and summaries as text; a post readers cannot see (a draft, private, a
suspended member's) is not served to anyone.
"""

import re

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.db import IntegrityError, transaction
from django.http import JsonResponse
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from wagtail.rich_text import expand_db_html

from ..conf import app_settings
from ..sanitize import clean_rendered_html, escape_text

AS_CONTEXT = "https://www.w3.org/ns/activitystreams"
SECURITY_CONTEXT = "https://w3id.org/security/v1"
PUBLIC = "https://www.w3.org/ns/activitystreams#Public"
CONTENT_TYPE = "application/activity+json"
PAGE_SIZE = 20

# What a server asks for when it wants the ActivityPub document rather than the page (the
# page itself first: a browser's ``*/*`` gets HTML).
_OFFERED = [
    "text/html",
    "application/activity+json",
    'application/ld+json; profile="https://www.w3.org/ns/activitystreams"',
    "application/ld+json",
]


def enabled():
    return bool(app_settings.ACTIVITYPUB)


def wants_activity(request):
    """Does the request prefer ActivityPub JSON to HTML (``Accept``, with its q-values)?"""
    if "json" not in request.headers.get("Accept", "").lower():
        return False
    preferred = request.get_preferred_type(_OFFERED)
    return preferred is not None and preferred != "text/html"


def activity_response(data, status=200):
    response = JsonResponse(
        data, status=status, content_type=CONTENT_TYPE, json_dumps_params={"ensure_ascii": False}
    )
    patch_vary_headers(response, ["Accept"])
    return response


# Keys --------------------------------------------------------------------------------------


def actor_key(page):
    """The actor's key pair (``models.ActorKey``), made the first time it is needed."""
    from ..models import ActorKey

    key = ActorKey.objects.filter(page_id=page.pk).first()
    if key is not None:
        return key
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private_pem = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    public_pem = (
        private.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    try:
        with transaction.atomic():
            return ActorKey.objects.create(
                page_id=page.pk, public_key_pem=public_pem, private_key_pem=private_pem
            )
    except IntegrityError:  # made at the same moment by another request: theirs stands
        return ActorKey.objects.get(page_id=page.pk)


# Addresses ---------------------------------------------------------------------------------


def _absolute(page, path):
    from ..links import absolute_url

    return absolute_url(page, path)


def actor_id(page):
    from ..links import page_full_url

    return page_full_url(page)


def endpoint(page, name):
    """The absolute URL of one of the actor's collections (``inbox``, ``outbox``,
    ``followers``)."""
    return _absolute(
        page, reverse(f"wagtail_communityblog:activitypub_{name}", kwargs={"actor_id": page.pk})
    )


def shared_inbox(page):
    return _absolute(page, reverse("wagtail_communityblog:activitypub_shared_inbox"))


# Documents ---------------------------------------------------------------------------------


def _image(image, spec, page):
    """An ``Image`` of a rendition, its URL absolute on ``page``'s site; None without a file."""
    if image is None:
        return None
    try:
        rendition = image.get_rendition(spec)
    except (OSError, ValueError):
        return None
    url = rendition.url
    if url.startswith("/") and not url.startswith("//"):
        url = _absolute(page, url)
    return {"type": "Image", "url": url, "mediaType": _media_type(url)}


def _media_type(url):
    lower = url.lower().split("?")[0]
    for ending, kind in ((".png", "image/png"), (".webp", "image/webp"), (".gif", "image/gif")):
        if lower.endswith(ending):
            return kind
    return "image/jpeg"


def actor_document(page):
    """The actor of a member blog (``Person``) or of a community index (``Group``)."""
    from ..models import MemberBlogPage

    key = actor_key(page)
    url = actor_id(page)
    is_blog = isinstance(page, MemberBlogPage)
    data = {
        "@context": [AS_CONTEXT, SECURITY_CONTEXT],
        "id": url,
        "type": "Person" if is_blog else "Group",
        "preferredUsername": page.slug,
        "name": page.title,
        "url": url,
        "inbox": endpoint(page, "inbox"),
        "outbox": endpoint(page, "outbox"),
        "followers": endpoint(page, "followers"),
        "endpoints": {"sharedInbox": shared_inbox(page)},
        "manuallyApprovesFollowers": False,
        "discoverable": True,
        "publicKey": {
            "id": f"{url}#main-key",
            "owner": url,
            "publicKeyPem": key.public_key_pem,
        },
    }
    intro = page.intro if is_blog else ""
    if intro:
        data["summary"] = escape_text(intro)
    if page.first_published_at:
        data["published"] = page.first_published_at.isoformat(timespec="seconds")
    if is_blog:
        icon = _image(page.avatar, "fill-400x400", page)
        if icon:
            data["icon"] = icon
    return data


def article(post):
    """A post as an ``Article``: its title, summary, sanitised body, tags and header image."""
    from ..links import page_full_url

    blog = post.get_blog()
    url = page_full_url(post)
    community = getattr(blog, "community", None)
    data = {
        "id": url,
        "type": "Article",
        "attributedTo": actor_id(blog) if blog else None,
        "name": post.title,
        "content": clean_rendered_html(expand_db_html(post.body), _absolute(post, "/")),
        "mediaType": "text/html",
        "url": url,
        "published": post.first_published_at.isoformat(timespec="seconds")
        if post.first_published_at
        else None,
        "updated": post.last_published_at.isoformat(timespec="seconds")
        if post.last_published_at
        else None,
        "to": [PUBLIC],
        "cc": [endpoint(blog, "followers")] if blog else [],
    }
    if post.intro:
        data["summary"] = escape_text(post.intro)
    if community is not None:
        tag_base = page_full_url(community)
        data["tag"] = [
            {
                "type": "Hashtag",
                "name": f"#{hashtag}",
                "href": tag_base + community.reverse_subpage("tag_view", args=(tag.slug,)),
            }
            for tag in post.tags.all()
            if (hashtag := hashtag_name(tag.name))
        ]
    image = _image(post.header_image, "fill-1200x630", post)
    if image:
        data["image"] = image
    return {key: value for key, value in data.items() if value is not None}


def hashtag_name(name):
    """A tag's name as a hashtag: its letters, digits and underscores (``#climate_action``)."""
    return re.sub(r"\W+", "", name.replace(" ", "_").replace("-", "_"))


def create_activity(post):
    """The ``Create`` of a post, as its blog's outbox lists it."""
    note = article(post)
    return {
        "id": f"{note['id']}#create",
        "type": "Create",
        "actor": note.get("attributedTo"),
        "published": note.get("published"),
        "to": note["to"],
        "cc": note["cc"],
        "object": note,
    }


def announce_activity(community, post):
    """A community's boost of a post readers promoted, as its outbox lists it."""
    note = article(post)
    promoted = post.score.promoted_at
    return {
        "id": f"{actor_id(community)}#announce-{post.pk}",
        "type": "Announce",
        "actor": actor_id(community),
        "published": promoted.isoformat(timespec="seconds") if promoted else None,
        "to": [PUBLIC],
        "cc": [endpoint(community, "followers"), note.get("attributedTo")],
        "object": note["id"],
    }


def ordered_collection(collection_id, total, items=None, page=None, per_page=PAGE_SIZE):
    """An ``OrderedCollection`` (``items`` None) or one of its pages."""
    if page is None:
        data = {
            "@context": AS_CONTEXT,
            "id": collection_id,
            "type": "OrderedCollection",
            "totalItems": total,
        }
        if total:
            data["first"] = f"{collection_id}?page=1"
            data["last"] = f"{collection_id}?page={max(1, -(-total // per_page))}"
        return data
    data = {
        "@context": AS_CONTEXT,
        "id": f"{collection_id}?page={page}",
        "type": "OrderedCollectionPage",
        "partOf": collection_id,
        "totalItems": total,
        "orderedItems": items,
    }
    if page * per_page < total:
        data["next"] = f"{collection_id}?page={page + 1}"
    if page > 1:
        data["prev"] = f"{collection_id}?page={page - 1}"
    return data


def refusal(page):
    """Why ``page`` is not federated (a status and a message), or None: not live or public, a
    suspended member's blog or post."""
    from ..models import CommunityPostPage, MemberBlogPage
    from ..models.members import is_suspended_id

    if not page.live or page.get_view_restrictions().exists():
        return 404, "Not found."
    owner_id = None
    if isinstance(page, MemberBlogPage):
        owner_id = page.owner_id
    elif isinstance(page, CommunityPostPage):
        owner_id = page.author_id
    if owner_id is not None and is_suspended_id(owner_id):
        return 410, "This account no longer federates."
    return None


def document_for(page):
    """The ActivityPub document a package page answers with, or None (not federated)."""
    from ..models import CommunityIndexPage, CommunityPostPage, MemberBlogPage

    if refusal(page) is not None:
        return None
    if isinstance(page, CommunityPostPage):
        return {"@context": AS_CONTEXT, **article(page)}
    if isinstance(page, (MemberBlogPage, CommunityIndexPage)):
        return actor_document(page)
    return None


class FederationMixin:
    """A page that answers ``Accept: application/activity+json`` with its ActivityPub
    document when federation is on (and varies on ``Accept`` then, for caches)."""

    def activity_document(self):
        return document_for(self)

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        context["activitypub_enabled"] = enabled()
        return context

    def serve(self, request, *args, **kwargs):
        if not enabled():
            return super().serve(request, *args, **kwargs)
        if wants_activity(request) and not getattr(request, "is_preview", False):
            from ..http_caching import cache_headers

            refused = refusal(self)
            if refused is not None:
                status, message = refused
                return cache_headers(request, activity_response({"error": message}, status))
            document = self.activity_document()
            if document is not None:
                return cache_headers(request, activity_response(document))
        response = super().serve(request, *args, **kwargs)
        patch_vary_headers(response, ["Accept"])
        return response
