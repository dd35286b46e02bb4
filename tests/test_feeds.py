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
