"""What readers see on the community index, tag pages, blog pages and post pages."""

from datetime import timedelta

import pytest
from django.test import override_settings
from django.utils import timezone
from wagtail.models import PageViewRestriction

from tests.factories import make_blog, make_post, make_user

pytestmark = pytest.mark.django_db


def titles_in(response):
    return [post.title for post in response.context["posts"]]


def test_the_community_index_lists_posts_from_every_blog_newest_first(client, community, blog):
    other_blog = make_blog(community, make_user("carys"))
    now = timezone.now()
    make_post(blog, title="Oldest", when=now - timedelta(days=3))
    make_post(other_blog, title="Newest", when=now - timedelta(hours=1))
    make_post(blog, title="Middle", when=now - timedelta(days=1))

    response = client.get(community.url)

    assert response.status_code == 200
    assert titles_in(response) == ["Newest", "Middle", "Oldest"]
    assert b"Newest" in response.content


def test_drafts_and_unpublished_posts_are_not_listed(client, community, blog):
    make_post(blog, title="Published")
    make_post(blog, title="Draft only", publish=False)
    withdrawn = make_post(blog, title="Withdrawn")
    withdrawn.unpublish()

    assert titles_in(client.get(community.url)) == ["Published"]
    assert titles_in(client.get(blog.url)) == ["Published"]


def test_posts_behind_a_view_restriction_are_not_listed(client, community, blog):
    make_post(blog, title="Public")
    private = make_post(blog, title="Members only")
    PageViewRestriction.objects.create(page=private, restriction_type="login")

    assert titles_in(client.get(community.url)) == ["Public"]


def test_a_member_blog_lists_only_its_own_posts(client, community, blog):
    other_blog = make_blog(community, make_user("dominik"))
    make_post(blog, title="Mine")
    make_post(other_blog, title="Someone else's")

    response = client.get(blog.url)

    assert titles_in(response) == ["Mine"]
    assert b"Amara Okafor" in response.content


@override_settings(WAGTAIL_COMMUNITYBLOG_POSTS_PER_PAGE=2)
def test_listings_are_paginated_and_bad_page_numbers_fall_back_to_a_valid_page(
    client, community, blog
):
    now = timezone.now()
    for number in range(5):
        make_post(blog, title=f"Post {number}", when=now - timedelta(hours=number))

    assert titles_in(client.get(community.url)) == ["Post 0", "Post 1"]
    assert titles_in(client.get(community.url, {"page": 2})) == ["Post 2", "Post 3"]
    last = client.get(community.url, {"page": 999})
    assert last.status_code == 200
    assert titles_in(last) == ["Post 4"]
    assert titles_in(client.get(community.url, {"page": "not-a-number"})) == ["Post 0", "Post 1"]
    assert titles_in(client.get(community.url, {"page": "-3"})) == ["Post 4"]
    assert b'rel="next"' in client.get(community.url).content


def test_a_tag_page_lists_only_posts_with_that_tag(client, community, blog):
    make_post(blog, title="About housing", tags=["housing", "rent"])
    make_post(blog, title="About buses", tags=["transport"])

    response = client.get(community.url + "tag/housing/")

    assert response.status_code == 200
    assert titles_in(response) == ["About housing"]
    assert b"Posts tagged" in response.content


def test_an_unknown_tag_is_a_404(client, community, blog):
    make_post(blog, tags=["housing"])

    assert client.get(community.url + "tag/no-such-tag/").status_code == 404
    assert client.get(community.url + "tag/no-such-tag/feed/").status_code == 404


def test_a_tag_used_only_in_another_community_is_a_404_here(client, community):
    from tests.factories import make_community

    elsewhere = make_community(title="Elsewhere", slug="elsewhere")
    make_post(make_blog(elsewhere), tags=["only-there"])

    assert client.get(community.url + "tag/only-there/").status_code == 404
    assert client.get(elsewhere.url + "tag/only-there/").status_code == 200


def test_a_post_page_shows_title_author_date_tags_and_body(client, community, blog):
    post = make_post(
        blog, title="Ten doors", tags=["campaigning"], body="<p>We knocked on ten doors.</p>"
    )

    response = client.get(post.url)

    content = response.content.decode()
    assert response.status_code == 200
    assert "<h1>Ten doors</h1>" in content
    assert f'href="{blog.url}" rel="author">Amara Okafor</a>' in content
    assert "<time datetime=" in content
    assert 'href="/community/tag/campaigning/" rel="tag">campaigning</a>' in content
    assert "We knocked on ten doors." in content


def test_the_blog_directory_lists_blogs_with_their_post_counts(client, community, blog):
    make_post(blog)
    make_post(blog)
    make_blog(community, make_user("elena"), title="Small print")

    response = client.get(community.url + "blogs/")

    blogs = {b.title: b.post_count for b in response.context["blogs"]}
    assert blogs == {"Notes from the doorstep": 2, "Small print": 0}


def test_listing_queries_do_not_grow_with_the_number_of_posts(
    client, community, blog, django_assert_max_num_queries
):
    for _ in range(3):
        make_post(blog, tags=["one", "two"])
    with django_assert_max_num_queries(100) as few:
        client.get(community.url)
    for _ in range(12):
        make_post(blog, tags=["one", "two"])
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(community.url)
