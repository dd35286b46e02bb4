"""A shared link shows a full preview: the canonical URL, Open Graph and Twitter card tags and
schema.org JSON-LD, read from the served HTML as social sites and search engines read it
(extruct), the JSON-LD expanded by a JSON-LD processor (pyld); and the community's pages are in
Wagtail's sitemap with when they last changed."""

import io
import json
import xml.etree.ElementTree as ET
from datetime import datetime

import extruct
import pytest
from django.core.files.images import ImageFile
from PIL import Image as PILImage
from pyld import jsonld
from wagtail.images import get_image_model

from tests.factories import make_blog, make_community, make_post, make_user
from tests.hostile import HOSTILE_TEXT

pytestmark = pytest.mark.django_db

HOST = "http://localhost"  # the test site's root URL: page URLs are built on it
SCHEMA = "https://schema.org/"


def make_image(title="Tenants at the town hall", size=(1600, 1000)):
    buffer = io.BytesIO()
    PILImage.new("RGB", size, "teal").save(buffer, "PNG")
    buffer.seek(0)
    return get_image_model().objects.create(title=title, file=ImageFile(buffer, name="picture.png"))


@pytest.fixture
def author():
    return make_user("amara")


@pytest.fixture
def community():
    return make_community(title="Community")


@pytest.fixture
def blog(community, author):
    return make_blog(community, author, title="Amara on housing")


def served(client, url):
    response = client.get(url)
    assert response.status_code == 200
    html = response.content.decode()
    return html, extruct.extract(html, base_url=HOST + url, syntaxes=["json-ld", "opengraph"])


def graph(data):
    """The Open Graph properties of a page, name to the list of their values."""
    [og] = data["opengraph"]
    properties = {}
    for name, content in og["properties"]:
        properties.setdefault(name, []).append(content)
    return properties


def meta(html, name):
    """The content of every ``<meta name=...>`` (Twitter's cards use ``name``)."""
    import lxml.html

    return [
        element.get("content")
        for element in lxml.html.fromstring(html).iter("meta")
        if element.get("name") == name
    ]


def expanded(document):
    """``document`` expanded as JSON-LD, with schema.org's context as its vocabulary (what the
    published context amounts to for these terms; no network here)."""

    def loader(url, options=None):
        assert url.rstrip("/") in ("https://schema.org", "http://schema.org")
        return {
            "contextUrl": None,
            "documentUrl": url,
            "document": {"@context": {"@vocab": SCHEMA}},
        }

    [node] = jsonld.expand(document, {"documentLoader": loader})
    return node


def value(node, term):
    [item] = node[SCHEMA + term]
    return item.get("@value", item.get("@id", item))


def test_a_post_shows_title_summary_image_author_dates_and_tags_as_social_sites_read_them(
    client, blog
):
    post = make_post(blog, title="Rent caps now", intro="Why the council must act.")
    post.header_image = make_image()
    post.tags.add("housing", "rent")
    post.save_revision().publish()
    post.refresh_from_db()
    html, data = served(client, post.url)
    url = HOST + post.url

    og = graph(data)
    assert og["og:title"] == ["Rent caps now"]
    assert og["og:type"] == ["article"]
    assert og["og:url"] == [url]
    assert og["og:description"] == ["Why the council must act."]
    assert og["og:site_name"] == ["Example Party"]
    assert sorted(og["article:tag"]) == ["housing", "rent"]
    assert og["article:author"] == [HOST + blog.url]
    published = datetime.fromisoformat(og["article:published_time"][0])
    assert published == post.first_published_at.replace(microsecond=0)
    [image_url] = og["og:image"]
    assert image_url.startswith(HOST + "/") and image_url.endswith(".png")
    assert (og["og:image:width"], og["og:image:height"]) == (["1200"], ["630"])
    assert og["og:image:alt"] == ["Tenants at the town hall"]
    assert meta(html, "twitter:card") == ["summary_large_image"]
    assert meta(html, "twitter:image") == [image_url]
    assert f'<link rel="canonical" href="{url}">' in html

    [document] = data["json-ld"]
    node = expanded(document)
    assert node["@type"] == [SCHEMA + "BlogPosting"]
    assert value(node, "headline") == "Rent caps now"
    assert value(node, "url") == url
    assert value(node, "datePublished") == og["article:published_time"][0]
    [person] = node[SCHEMA + "author"]
    assert person["@type"] == [SCHEMA + "Person"]
    assert value(person, "name") == "amara"
    assert value(person, "url") == HOST + blog.url
    [picture] = node[SCHEMA + "image"]
    assert value(picture, "url") == image_url
    assert sorted(item["@value"] for item in node[SCHEMA + "keywords"]) == ["housing", "rent"]
    assert value(node[SCHEMA + "isPartOf"][0], "name") == "Amara on housing"


def test_a_post_without_a_summary_is_described_by_its_first_words_without_markup(client, blog):
    post = make_post(blog, body="<p>The <b>waiting list</b> is 4,000 &amp; growing.</p>")
    _, data = served(client, post.url)
    assert graph(data)["og:description"] == ["The waiting list is 4,000 & growing."]
    assert data["json-ld"][0]["description"] == "The waiting list is 4,000 & growing."


@pytest.mark.parametrize("payload", HOSTILE_TEXT)
def test_what_a_member_wrote_goes_out_as_text_in_the_tags_and_the_json_ld(client, blog, payload):
    post = make_post(blog, title=f"Title {payload}", intro=f"Intro {payload}")
    html, data = served(client, post.url)
    head = html[: html.index("</head>")]
    # Exactly one script element of JSON-LD, however the title tries to close it.
    assert head.count("<script") == head.count("</script>")
    assert head.count('<script type="application/ld+json">') == 1
    [document] = data["json-ld"]
    assert document["name"] == f"Title {payload}"  # nothing dropped: the words, as text
    assert document["description"] == f"Intro {payload}"
    assert graph(data)["og:title"] == [f"Title {payload}"]
    assert graph(data)["og:description"] == [f"Intro {payload}"]
    assert "<script>alert" not in head.replace('<script type="application/ld+json">', "")


def test_a_member_blog_shows_the_member_as_a_person(client, blog):
    blog.intro = "Councillor for Riverside."
    blog.avatar = make_image(title="Amara", size=(500, 500))
    blog.save_revision().publish()
    blog.refresh_from_db()
    html, data = served(client, blog.url)
    og = graph(data)
    assert og["og:type"] == ["profile"]
    assert og["og:title"] == ["Amara on housing"]
    assert og["og:description"] == ["Councillor for Riverside."]
    assert (og["og:image:width"], og["og:image:height"]) == (["400"], ["400"])
    assert meta(html, "twitter:card") == ["summary"]
    node = expanded(data["json-ld"][0])
    assert node["@type"] == [SCHEMA + "Blog"]
    [person] = node[SCHEMA + "author"]
    assert value(person, "name") == "amara"
    assert value(person, "image") == og["og:image"][0]


def test_the_community_index_and_a_tag_page_are_collections(client, community, blog):
    make_post(blog, tags=["housing"])
    _, data = served(client, community.url)
    node = expanded(data["json-ld"][0])
    assert node["@type"] == [SCHEMA + "CollectionPage"]
    assert value(node, "url") == HOST + community.url
    assert graph(data)["og:type"] == ["website"]

    tag_url = community.url + "tag/housing/"
    html, data = served(client, tag_url)
    assert f'<link rel="canonical" href="{HOST + tag_url}">' in html
    node = expanded(data["json-ld"][0])
    assert value(node[SCHEMA + "about"][0], "name") == "housing"


def test_the_canonical_url_drops_the_sort_but_keeps_the_page_number(client, community, blog):
    for _ in range(3):
        make_post(blog)
    html, _ = served(client, community.url + "?sort=top&window=week")
    assert f'<link rel="canonical" href="{HOST + community.url}">' in html
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("wagtail_communityblog.conf.AppSettings.POSTS_PER_PAGE", 2)
        html, _ = served(client, community.url + "?page=2&sort=new")
    assert f'<link rel="canonical" href="{HOST + community.url}?page=2">' in html


def test_the_blog_directory_is_its_own_page(client, community, blog):
    html, data = served(client, community.url + "blogs/")
    assert f'<link rel="canonical" href="{HOST + community.url}blogs/">' in html
    assert graph(data)["og:title"] == ["Member blogs · Community"]


def test_a_members_preview_and_a_draft_carry_nothing_to_share(client, blog, author):
    from wagtail_communityblog.models import CommunityPostPage

    draft = make_post(blog, title="Not yet", publish=False)
    client.force_login(author)
    response = client.get(f"/community/posts/{draft.pk}/preview/")
    if response.status_code == 404:  # the route's name is the promise, not its path
        from django.urls import reverse

        response = client.get(reverse("wagtail_communityblog:post_preview", args=[draft.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "og:title" not in html and "application/ld+json" not in html
    assert not CommunityPostPage.objects.get(pk=draft.pk).live


def test_a_site_whose_base_template_writes_its_own_tags_turns_them_off(client, blog, settings):
    settings.WAGTAIL_COMMUNITYBLOG_SHARE_META = False
    post = make_post(blog)
    html, data = served(client, post.url)
    assert data["opengraph"] == [] and data["json-ld"] == []
    assert 'rel="canonical"' not in html


def test_a_header_image_whose_file_is_gone_leaves_the_image_out_not_the_page(client, blog):
    post = make_post(blog)
    image = make_image()
    image.file.storage.delete(image.file.name)
    post.header_image = image
    post.save_revision().publish()
    _, data = served(client, post.url)
    assert "og:image" not in graph(data)
    assert "image" not in data["json-ld"][0]


def sitemap(client):
    response = client.get("/sitemap.xml")
    assert response.status_code == 200
    namespace = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}
    root = ET.fromstring(response.content)
    return {
        entry.find("s:loc", namespace).text: entry.findtext("s:lastmod", None, namespace)
        for entry in root.findall("s:url", namespace)
    }


def test_posts_blogs_tags_and_the_blog_directory_are_in_the_sitemap_with_lastmod(
    client, community, blog
):
    old = make_post(blog, tags=["housing"], when=datetime(2026, 1, 5, 12, 0).astimezone())
    new = make_post(blog, tags=["transport"])
    entries = sitemap(client)
    for page in (community, blog, old, new):
        assert HOST + page.url in entries
    day = f"{new.last_published_at:%Y-%m-%d}"
    assert entries[HOST + new.url] == day
    assert entries[HOST + blog.url] == day  # the blog changed when its newest post came out
    assert entries[HOST + community.url + "blogs/"] == day
    assert entries[HOST + community.url + "tag/housing/"] == f"{old.last_published_at:%Y-%m-%d}"
    assert entries[HOST + community.url + "tag/transport/"] == day


def test_a_tag_only_a_draft_uses_is_not_in_the_sitemap(client, community, blog):
    make_post(blog, tags=["secret-plan"], publish=False)
    make_post(blog, tags=["housing"])
    entries = sitemap(client)
    assert HOST + community.url + "tag/housing/" in entries
    assert not any("secret-plan" in location for location in entries)


def test_the_json_ld_escaping_round_trips():
    from wagtail_communityblog.sharing import json_ld

    data = {"headline": "</script><script>alert(1)</script> & <!--"}
    text = str(json_ld(data))
    assert "<" not in text and ">" not in text and "&" not in text
    assert json.loads(text) == data


@pytest.mark.parametrize("asked", ["999", "99999999999999999999999", "0", "-1", "two"])
def test_the_canonical_url_names_the_page_actually_served(client, community, blog, asked):
    for _ in range(3):
        make_post(blog)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("wagtail_communityblog.conf.AppSettings.POSTS_PER_PAGE", 2)
        response = client.get(community.url, {"page": asked})
    if response.status_code == 404:
        return  # an out-of-range page may be no page at all
    html = response.content.decode()
    served = response.context["posts"].number
    expected = HOST + community.url + (f"?page={served}" if served > 1 else "")
    assert f'<link rel="canonical" href="{expected}">' in html
