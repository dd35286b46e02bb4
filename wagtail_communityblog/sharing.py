"""What a shared link shows: the canonical URL, Open Graph and Twitter card tags, and
schema.org JSON-LD (``BlogPosting`` for a post, ``Blog`` with its ``Person`` for a member
blog, ``CollectionPage`` for the community index and its tag pages).

``{% communityblog_share_meta %}`` (``templatetags``) renders them in each package page's
``extra_head`` block from ``metadata(context)``. Everything in them comes from what members
wrote, so it goes out as text: attribute values escaped by the template, the JSON-LD encoded
with ``<``, ``>`` and ``&`` escaped so that no value can close its ``<script>`` element.
Only live pages get them (a member's preview is no one's to share) and only when
``WAGTAIL_COMMUNITYBLOG_SHARE_META`` is on: a site whose base template already writes these
tags (an SEO package) turns it off.
"""

import json
from html import unescape

from django.core.serializers.json import DjangoJSONEncoder
from django.utils.html import strip_tags
from django.utils.safestring import mark_safe
from django.utils.text import Truncator
from django.utils.translation import get_language, to_locale
from wagtail.images.models import SourceImageIOError
from wagtail.models import Site

from .conf import app_settings

# The image social sites show large (1.91:1, the size Facebook and LinkedIn ask for), and
# the square one for a member's avatar.
LARGE_IMAGE = "fill-1200x630"
SQUARE_IMAGE = "fill-400x400"

DESCRIPTION_CHARS = 200
HEADLINE_CHARS = 110  # what search engines show of a BlogPosting's headline

_JSON_ESCAPES = {ord("<"): "\\u003C", ord(">"): "\\u003E", ord("&"): "\\u0026"}


def plain_text(value, limit=DESCRIPTION_CHARS):
    """The text ``value`` on one line, at most ``limit`` characters: as written, markup-like
    words included (they go out escaped)."""
    return Truncator(" ".join(str(value or "").split())).chars(limit)


def html_text(value, limit=DESCRIPTION_CHARS):
    """The words of the HTML ``value`` (a post's sanitised body), without its markup."""
    return plain_text(unescape(strip_tags(str(value or ""))), limit)


def json_ld(data):
    """``data`` as the body of a ``<script type="application/ld+json">`` element."""
    text = json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False, separators=(",", ":"))
    return mark_safe(text.translate(_JSON_ESCAPES))  # noqa: S308 - escaped above


def _image(image, spec, request):
    """An image's rendition as ``{"url", "width", "height", "alt"}``, or None when the
    original file is gone (a shared link then has no image rather than the page an error)."""
    if image is None:
        return None
    try:
        rendition = image.get_rendition(spec)
    except (SourceImageIOError, OSError, ValueError):
        return None
    return {
        "url": _absolute(rendition.url, request),
        "width": rendition.width,
        "height": rendition.height,
        "alt": plain_text(image.default_alt_text, 420),
    }


def _site(request):
    """The Wagtail site serving the request: its root URL is the one page URLs are built on."""
    return Site.find_for_request(request)


def _site_name(request):
    site = _site(request)
    return (site.site_name if site else "") or request.get_host()


def _absolute(url, request):
    """``url`` (a path, or already absolute: a CDN's) on the site's own root URL."""
    if url.startswith("/") and not url.startswith("//"):
        site = _site(request)
        return (site.root_url if site else request.build_absolute_uri("/").rstrip("/")) + url
    return request.build_absolute_uri(url)


def _publisher(request):
    return {"@type": "Organization", "name": _site_name(request), "url": _absolute("/", request)}


def _language():
    """The language of the response, as BCP 47 (``en-GB``)."""
    return to_locale(get_language() or "en").replace("_", "-")


def _compact(data):
    """``data`` without the keys that have no value."""
    return {key: value for key, value in data.items() if value not in (None, "", [], {})}


def _person(blog, request):
    if blog is None:
        return None
    person = {"@type": "Person", "name": blog.member_name, "url": blog.get_full_url(request)}
    avatar = _image(blog.avatar, SQUARE_IMAGE, request)
    if avatar:
        person["image"] = avatar["url"]
    return person


def _iso(moment):
    return moment.isoformat(timespec="seconds") if moment else None


def _canonical(url, listing):
    """The page's URL without its sorting and filtering, but with the number of the listing's
    page it serves (``listing``: the paginated page in the context, if any)."""
    number = getattr(listing, "number", 1)
    return f"{url}?page={number}" if isinstance(number, int) and number > 1 else url


def _post(post, request):
    blog = post.get_blog()
    url = post.get_full_url(request)
    title = post.seo_title or post.title
    description = plain_text(post.search_description or post.intro) or html_text(post.body)
    image = _image(post.header_image, LARGE_IMAGE, request)
    if image is None and blog is not None:
        image = _image(blog.avatar, SQUARE_IMAGE, request)
    tags = [tag.name for tag in post.tags.all()]
    author = _person(blog, request)
    data = {
        "@context": "https://schema.org",
        "@type": "BlogPosting",
        "headline": Truncator(title).chars(HEADLINE_CHARS),
        "name": title,
        "description": description,
        "url": url,
        "mainEntityOfPage": {"@type": "WebPage", "@id": url},
        "datePublished": _iso(post.first_published_at),
        "dateModified": _iso(post.last_published_at or post.first_published_at),
        "inLanguage": _language(),
        "publisher": _publisher(request),
    }
    if author:
        data["author"] = author
        data["isPartOf"] = {"@type": "Blog", "name": blog.title, "url": author["url"]}
    if image:
        data["image"] = {"@type": "ImageObject", **_schema_image(image)}
    if tags:
        data["keywords"] = tags
    properties = [
        ("og:type", "article"),
        ("article:published_time", data["datePublished"]),
        ("article:modified_time", data["dateModified"]),
    ]
    if author:
        properties.append(("article:author", author["url"]))
    properties += [("article:tag", tag) for tag in tags]
    return _tags(request, url, url, title, description, image, properties, data)


def _blog(blog, request, listing=None):
    url = blog.get_full_url(request)
    title = blog.seo_title or blog.title
    description = plain_text(blog.search_description or blog.intro)
    image = _image(blog.avatar, SQUARE_IMAGE, request)
    data = {
        "@context": "https://schema.org",
        "@type": "Blog",
        "name": title,
        "description": description,
        "url": url,
        "inLanguage": _language(),
        "author": _person(blog, request),
    }
    properties = [("og:type", "profile"), ("profile:username", blog.slug)]
    return _tags(
        request, url, _canonical(url, listing), title, description, image, properties, data
    )


def _community(index, request, tag=None, route=None, listing=None):
    url = index.get_full_url(request)
    title = index.seo_title or index.title
    description = plain_text(index.search_description) or html_text(index.intro)
    if tag is not None:
        url = url + index.reverse_subpage("tag_view", args=(tag.slug,))
        title = f"{tag.name} · {title}"
    elif route is not None:
        url, title = url + index.reverse_subpage(route[0]), f"{route[1]} · {title}"
    data = {
        "@context": "https://schema.org",
        "@type": "CollectionPage",
        "name": title,
        "url": url,
        "inLanguage": _language(),
        "publisher": _publisher(request),
    }
    if description:
        data["description"] = description
    if tag is not None:
        data["about"] = {"@type": "Thing", "name": tag.name}
    properties = [("og:type", "website")]
    return _tags(request, url, _canonical(url, listing), title, description, None, properties, data)


def _schema_image(image):
    return {"url": image["url"], "width": image["width"], "height": image["height"]}


def _tags(request, url, canonical, title, description, image, properties, data):
    """The ``<meta>`` tags (as ``(attribute, name, content)``) and the JSON-LD of a page."""
    meta = [
        ("property", "og:title", title),
        ("property", "og:url", url),
        ("property", "og:site_name", _site_name(request)),
        ("property", "og:locale", _language().replace("-", "_")),
    ]
    if description:
        meta.append(("property", "og:description", description))
    meta += [("property", name, value) for name, value in properties if value]
    large = image is not None and image["width"] > image["height"]
    meta.append(("name", "twitter:card", "summary_large_image" if large else "summary"))
    meta.append(("name", "twitter:title", title))
    if description:
        meta.append(("name", "twitter:description", description))
    if image:
        meta += [
            ("property", "og:image", image["url"]),
            ("property", "og:image:width", str(image["width"])),
            ("property", "og:image:height", str(image["height"])),
            ("property", "og:image:alt", image["alt"]),
            ("name", "twitter:image", image["url"]),
            ("name", "twitter:image:alt", image["alt"]),
        ]
    return {"canonical": canonical, "meta": meta, "json_ld": json_ld(_compact(data))}


def metadata(context, route=None):
    """The sharing metadata of the page a package template renders, or None (not a live
    package page, no request, or ``WAGTAIL_COMMUNITYBLOG_SHARE_META`` off). ``route`` is
    ``(name, title)`` of the community index's route being shown (e.g. its blog directory),
    when it is not the index itself or a tag page."""
    from .models import CommunityIndexPage, CommunityPostPage, MemberBlogPage

    request = context.get("request")
    page = context.get("page")
    if not app_settings.SHARE_META or request is None or page is None:
        return None
    if not page.live or getattr(request, "is_preview", False) or context.get("is_member_preview"):
        return None
    if isinstance(page, CommunityPostPage):
        return _post(page, request)
    # The listing's page being served (posts, or the blog directory's blogs).
    listing = context.get("posts") or context.get("blogs")
    if isinstance(page, MemberBlogPage):
        return _blog(page, request, listing)
    if isinstance(page, CommunityIndexPage):
        return _community(page, request, tag=context.get("tag"), route=route, listing=listing)
    return None
