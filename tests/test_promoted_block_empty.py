"""A new or small community's promoted block (issue 16): it tells an editor why it is empty
and what to change, and it can fill its empty places with the newest posts. Readers only ever
see the plain empty state."""

from datetime import timedelta
from html import unescape

import pytest
from django.core.cache import cache
from django.test import RequestFactory
from django.utils import timezone
from django.utils.html import strip_tags

from tests.factories import make_blog, make_community, make_post, make_user, make_voter
from wagtail_communityblog.blocks import EXPLAIN, PromotedPostsBlock
from wagtail_communityblog.services.ratings import rate_post

pytestmark = pytest.mark.django_db


@pytest.fixture
def blog(db):
    return make_blog(make_community(), make_user("amara"))


def render(settings_=None, **context):
    block = PromotedPostsBlock()
    return text_of(block.render(block.to_python(settings_ or {}), context))


def text_of(html):
    return " ".join(unescape(strip_tags(html)).split())


def preview_request():
    request = RequestFactory().get("/")
    request.is_preview = True
    return request


def test_readers_see_only_the_plain_empty_state(blog):
    for number in range(3):
        make_post(blog, title=f"Post {number}")

    text = render()

    assert "No member posts to show yet." in text
    assert "published here" not in text and "Only editors" not in text


@pytest.mark.parametrize("context", ["page preview", "block preview"])
def test_an_editor_previewing_is_told_why_the_block_is_empty(blog, context):
    for number in range(3):
        make_post(blog, title=f"Post {number}")
    block = PromotedPostsBlock()
    if context == "page preview":
        parent = {"request": preview_request()}
    else:
        parent = block.get_preview_context(block.get_preview_value(), {})
        assert parent[EXPLAIN] is True

    text = text_of(block.render(block.to_python({}), parent))

    assert "3 posts are published here." in text
    assert "None has 5 counted votes yet." in text  # the promotion rule's default minimum
    assert "Votes count once the voter's account is 24 hours old." in text
    assert "Fill empty places with the newest posts" in text


def test_the_explanation_uses_singulars_and_names_a_missing_score(blog, settings):
    settings.WAGTAIL_COMMUNITYBLOG_MIN_ACCOUNT_AGE_TO_COUNT = timedelta(hours=1)
    post = make_post(blog, title="Only one")
    rate_post(post, make_voter(), 1)

    one_vote = render({"min_votes": 1, "min_score": 5}, request=preview_request())
    no_votes = render({"min_votes": 2}, request=preview_request())
    other_tag = render({"tag": "housing"}, request=preview_request())

    assert "1 post is published here." in one_vote
    assert "1 has enough votes, but none a score of 5." in one_vote
    assert "Votes count once the voter's account is 1 hour old." in one_vote
    assert "None has 2 counted votes yet." in no_votes
    assert "No published post matches this block's community, tag and window yet." in other_tag


def test_an_explained_render_is_never_served_to_readers(blog, settings):
    settings.WAGTAIL_COMMUNITYBLOG_BLOCK_CACHE_TIMEOUT = 300
    cache.clear()
    make_post(blog, title="Unvoted")

    assert "published here" in render(request=preview_request())
    assert "published here" not in render(request=RequestFactory().get("/"))


def test_empty_places_fill_with_the_newest_posts_after_the_qualifying_ones(blog):
    now = timezone.now()
    older = make_post(blog, title="Older", when=now - timedelta(days=3))
    make_post(blog, title="Newer", when=now - timedelta(hours=2))
    make_post(blog, title="Newest", when=now - timedelta(minutes=5))
    for _ in range(5):
        rate_post(older, make_voter(), 1)  # meets the promotion rule: 5 votes, score 5

    block = PromotedPostsBlock()
    without = block.get_posts(block.to_python({"count": 3}))
    filled = block.get_posts(block.to_python({"count": 3, "fill_with_newest": True}))
    two = block.get_posts(block.to_python({"count": 2, "fill_with_newest": True}))

    assert [post.title for post in without] == ["Older"]
    assert [post.title for post in filled] == ["Older", "Newest", "Newer"]
    assert [post.title for post in two] == ["Older", "Newest"]
