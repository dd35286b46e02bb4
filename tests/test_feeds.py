"""RSS and Atom feeds, read back with a real feed parser."""

from datetime import timedelta

import feedparser
import pytest
from django.test import override_settings
from django.utils import timezone

from tests.factories import make_blog, make_post, make_user

pytestmark = pytest.mark.django_db


def fetch_feed(client, url):
    response = client.get(url)
    assert response.status_code == 200, url
    feed = feedparser.parse(response.content)
    assert not feed.bozo, feed.bozo_exception
    return response, feed


@pytest.mark.parametrize("suffix,version", [("feed/", "rss20"), ("feed/atom/", "atom10")])
def test_the_community_feed_carries_the_latest_posts(client, community, blog, suffix, version):
    now = timezone.now()
    make_post(blog, title="Older", when=now - timedelta(days=2), tags=["housing"])
    make_post(blog, title="Newer", when=now - timedelta(hours=2), intro="A short summary.")

    response, feed = fetch_feed(client, community.url + suffix)

    assert feed.version == version
    assert feed.feed.title == "Community"
    assert [entry.title for entry in feed.entries] == ["Newer", "Older"]
    newest = feed.entries[0]
    assert newest.link.startswith("http://testserver/community/amara/")
    assert newest.summary == "A short summary."
    assert newest.author == "Amara Okafor"
    assert [tag.term for tag in feed.entries[1].tags] == ["housing"]
    assert newest.published_parsed is not None


@pytest.mark.parametrize("suffix", ["feed/", "feed/atom/"])
def test_a_tag_feed_carries_only_that_tag(client, community, blog, suffix):
    make_post(blog, title="Rents", tags=["housing"])
    make_post(blog, title="Buses", tags=["transport"])

    _, feed = fetch_feed(client, community.url + "tag/housing/" + suffix)

    assert [entry.title for entry in feed.entries] == ["Rents"]
    assert "housing" in feed.feed.title


@pytest.mark.parametrize("suffix", ["feed/", "feed/atom/"])
def test_a_blog_feed_carries_only_that_blogs_posts(client, community, blog, suffix):
    make_post(blog, title="Mine")
    make_post(make_blog(community, make_user("fergus")), title="Theirs")

    _, feed = fetch_feed(client, blog.url + suffix)

    assert feed.feed.title == "Notes from the doorstep"
    assert [entry.title for entry in feed.entries] == ["Mine"]


def test_a_post_without_a_summary_is_described_by_its_body_without_markup(client, community, blog):
    make_post(blog, body="<p>Plain <b>words</b> here.</p>")

    _, feed = fetch_feed(client, community.url + "feed/")

    assert feed.entries[0].summary == "Plain words here."


@override_settings(WAGTAIL_COMMUNITYBLOG_FEED_ITEMS=3)
def test_feeds_are_limited_to_the_configured_number_of_items(client, community, blog):
    for _ in range(5):
        make_post(blog)

    _, feed = fetch_feed(client, community.url + "feed/")

    assert len(feed.entries) == 3


def test_unpublished_posts_are_not_in_feeds(client, community, blog):
    make_post(blog, title="Draft", publish=False)
    make_post(blog, title="Live")

    _, feed = fetch_feed(client, community.url + "feed/")

    assert [entry.title for entry in feed.entries] == ["Live"]


@pytest.mark.parametrize(
    "path", ["feed/rss/", "feed/atom/extra/", "feeds/", "tag/housing/feed/bogus/", "feed.xml"]
)
def test_malformed_feed_urls_are_404(client, community, blog, path):
    make_post(blog, tags=["housing"])

    assert client.get(community.url + path).status_code == 404
    assert client.get(blog.url + path).status_code == 404


def test_pages_advertise_their_feeds(client, community, blog):
    content = client.get(community.url).content.decode()
    assert 'type="application/rss+xml"' in content
    assert 'href="/community/feed/atom/"' in content
    assert 'href="/community/amara/feed/"' in client.get(blog.url).content.decode()


# The hostile corpus, typed into every field a feed carries: post titles, summaries and bodies,
# tag names, the blog's title and intro, the author's name. RSS 2.0 does not say which elements
# are HTML and readers guess, so every RSS element is read as HTML here; Atom says (``type``),
# so its ``type="html"`` elements are read as HTML and its text elements must carry the text
# exactly as typed.

ATOM = "{http://www.w3.org/2005/Atom}"
HOSTILE_TAG = "<img src=x onerror=alert(1)>"


def parse_xml(client, url):
    import xml.etree.ElementTree as ET

    response = client.get(url)
    assert response.status_code == 200, url
    return ET.fromstring(response.content)


@pytest.fixture
def hostile_community(community):
    from tests.hostile import HOSTILE
    from wagtail_communityblog.sanitize import clean_html

    author = make_user("mallory", first_name="<script>alert(1)</script>", last_name="'><b>x")
    blog = make_blog(community, author, title="'><img src=x onerror=alert(1)> & co")
    blog.intro = "<script>alert(1)</script> Tom & Jerry's <img src=x onerror=alert(1)>"
    blog.save_revision(user=author).publish(user=author, skip_permission_checks=True)
    posts = {}
    for index, payload in enumerate(HOSTILE):
        body = clean_html(payload) or "<p>text</p>"
        # Every other post has no summary, so its description is made from its body.
        intro = payload if index % 2 == 0 else ""
        post = make_post(blog, title=payload, intro=intro, body=body, tags=[HOSTILE_TAG, "ok"])
        posts[post.full_url.replace("http://localhost", "http://testserver")] = post
    blog.refresh_from_db()
    return blog, posts


@override_settings(WAGTAIL_COMMUNITYBLOG_FEED_ITEMS=500)
def test_no_hostile_text_runs_in_any_feed_and_plain_text_arrives_as_typed(
    client, community, hostile_community
):
    from taggit.models import Tag

    from tests.hostile import assert_inert_html, html_text

    blog, posts = hostile_community
    tag = Tag.objects.get(name=HOSTILE_TAG)
    tag_url = community.url + community.reverse_subpage("tag_view", args=[tag.slug])
    feeds = [community.url, tag_url, blog.url]

    for base in feeds:
        # RSS: every element is read as HTML; what a browser shows is the text as typed.
        rss = parse_xml(client, base + "feed/")
        for element in rss.iter():
            assert_inert_html(element.text or "", f"in RSS <{element.tag}> of {base}")
        channel = rss.find("channel")
        if base == blog.url:
            assert html_text(channel.findtext("title")) == blog.title
            assert html_text(channel.findtext("description")) == blog.intro
        items = channel.findall("item")
        assert len(items) == len(posts), base
        for item in items:
            post = posts[item.findtext("link")]
            assert html_text(item.findtext("title")) == post.title
            if post.intro:
                assert html_text(item.findtext("description")) == post.intro
            assert sorted(html_text(c.text) for c in item.findall("category")) == sorted(
                [HOSTILE_TAG, "ok"]
            )
            creator = item.findtext("{http://purl.org/dc/elements/1.1/}creator")
            assert html_text(creator) == "<script>alert(1)</script> '><b>x"

        # Atom: HTML where the feed says HTML, plain text (as typed) everywhere else.
        atom = parse_xml(client, base + "feed/atom/")
        for element in atom.iter():
            kind = element.get("type", "text")
            assert kind in ("text", "html"), element.tag
            if kind == "html":
                assert_inert_html(element.text or "", f"in Atom <{element.tag}> of {base}")
        if base == blog.url:
            assert atom.findtext(ATOM + "title") == blog.title
            assert atom.findtext(ATOM + "subtitle") == blog.intro
        entries = atom.findall(ATOM + "entry")
        assert len(entries) == len(posts), base
        for entry in entries:
            post = posts[entry.find(ATOM + "link").get("href")]
            assert entry.findtext(ATOM + "title") == post.title
            summary = entry.find(ATOM + "summary")
            assert summary.get("type") == "html"
            if post.intro:
                assert html_text(summary.text) == post.intro
            assert sorted(c.get("term") for c in entry.findall(ATOM + "category")) == sorted(
                [HOSTILE_TAG, "ok"]
            )


def test_a_summary_made_from_the_body_keeps_its_words_apart_and_its_text_escaped(
    client, community, blog
):
    from tests.hostile import html_text

    make_post(blog, body="<p>First para.</p><p>Says &lt;script&gt; in <b>bo</b>ld.</p>")

    for suffix in ("feed/", "feed/atom/"):
        _, feed = fetch_feed(client, community.url + suffix)
        assert html_text(feed.entries[0].summary) == "First para. Says <script> in bold."
