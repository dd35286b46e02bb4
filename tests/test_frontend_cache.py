"""Purging the caching proxy (issue 17): an editor's decision, a promotion, a publication or a
suspension purges exactly the pages that show the post, through Wagtail's frontend_cache;
a vote alone purges nothing."""

import json
from urllib.parse import urlsplit

import pytest
from django.test import override_settings
from wagtail.contrib.frontend_cache.backends.base import BaseBackend
from wagtail.models import Page

from tests.factories import make_blog, make_community, make_post, make_user, make_voter
from wagtail_communityblog.services import curation
from wagtail_communityblog.services.members import suspend_member
from wagtail_communityblog.services.ratings import rate_post

pytestmark = pytest.mark.django_db

PURGED = []


class RecordingBackend(BaseBackend):
    """A proxy that notes what it is asked to purge."""

    def purge(self, url):
        PURGED.append(url)


FRONTEND_CACHE = {"default": {"BACKEND": "tests.test_frontend_cache.RecordingBackend"}}


@pytest.fixture
def purged():
    PURGED.clear()
    with override_settings(WAGTAILFRONTENDCACHE=FRONTEND_CACHE):
        yield lambda: sorted({urlsplit(url).path for url in PURGED})


@pytest.fixture
def site(site_tree):
    home = site_tree.root_page.specific
    home.body = json.dumps([{"type": "promoted_posts", "value": {"heading": "From members"}}])
    home.save_revision().publish()
    elsewhere = home.add_child(instance=Page(title="About us", slug="about"))  # no block
    community = make_community()
    amara = make_user("amara")
    blog = make_blog(community, amara, slug="amara")
    post = make_post(blog, title="Ten doors", tags=["housing", "transport"])
    other = make_post(make_blog(community, make_user("ben"), slug="ben"), title="Other")
    return {"home": home, "elsewhere": elsewhere, "post": post, "other": other, "amara": amara}


def pages_showing(post):
    return sorted(
        [
            post.url,
            "/community/amara/",
            "/community/amara/feed/",
            "/community/amara/feed/atom/",
            "/community/",
            "/community/blogs/",
            "/community/search/",
            "/community/feed/",
            "/community/feed/atom/",
            "/community/tag/housing/",
            "/community/tag/housing/feed/",
            "/community/tag/housing/feed/atom/",
            "/community/tag/transport/",
            "/community/tag/transport/feed/",
            "/community/tag/transport/feed/atom/",
            "/",  # the home page's promoted block
        ]
    )


@pytest.mark.parametrize("action", ["pin", "hide", "reup"])
def test_an_editors_decision_purges_the_pages_that_show_the_post(
    site, purged, action, django_capture_on_commit_callbacks
):
    editor = make_user("editor", is_staff=True)
    post = site["post"]
    with django_capture_on_commit_callbacks(execute=True):
        if action == "hide":
            curation.hide(post, editor, "Off topic")
        else:
            getattr(curation, action)(post, editor)
    assert purged() == pages_showing(post)
    assert "/about/" not in purged() and site["other"].url not in purged()


def test_a_vote_alone_purges_nothing(site, purged, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        rate_post(site["post"], make_voter("reader"), 1)
    assert purged() == []


@override_settings(
    WAGTAIL_COMMUNITYBLOG_PROMOTION_MIN_VOTES=1, WAGTAIL_COMMUNITYBLOG_PROMOTION_MIN_SCORE=1
)
def test_the_vote_that_promotes_a_post_purges_it(site, purged, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        rate_post(site["post"], make_voter("reader"), 1)
    assert purged() == pages_showing(site["post"])


def test_publishing_and_unpublishing_purge(site, purged, django_capture_on_commit_callbacks):
    post = site["post"]
    with django_capture_on_commit_callbacks(execute=True):
        post.unpublish()
    assert "/community/" in purged() and "/" in purged()
    PURGED.clear()
    with django_capture_on_commit_callbacks(execute=True):
        post.save_revision().publish()
    assert purged() == pages_showing(post)


def test_a_suspension_purges_every_post_of_the_member(
    site, purged, django_capture_on_commit_callbacks
):
    second = make_post(site["post"].get_parent().specific, title="Second")
    with django_capture_on_commit_callbacks(execute=True):
        suspend_member(site["amara"], reason="Spam")
    assert {site["post"].url, second.url} <= set(purged())
    assert site["other"].url not in purged()


def test_nothing_is_queued_when_the_site_has_no_frontend_cache(
    site, django_capture_on_commit_callbacks
):
    PURGED.clear()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        curation.pin(site["post"], make_user("editor", is_staff=True))
    assert PURGED == []
    assert callbacks  # the signal was sent; only the purge had nothing to do


def test_a_block_nested_in_a_struct_or_list_block_is_found_by_its_top_level_name():
    """Blocks inside a StructBlock or a ListBlock are stored without a "type" of their own:
    the page is found by the top-level block that holds them."""
    from wagtail import blocks

    from wagtail_communityblog.blocks import PromotedPostsBlock
    from wagtail_communityblog.frontend_cache import promoted_block_names

    stream = blocks.StreamBlock(
        [
            ("section", blocks.StructBlock([("promo", PromotedPostsBlock())])),
            ("column", blocks.ListBlock(PromotedPostsBlock())),
            ("promoted", PromotedPostsBlock()),
            ("text", blocks.RichTextBlock()),
        ]
    )
    assert promoted_block_names(stream) == {"section", "column", "promoted"}
