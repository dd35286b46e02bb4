"""What readers see on the community index, tag pages, blog pages and post pages."""

import html
import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from wagtail.models import PageViewRestriction

from tests.factories import make_blog, make_post, make_user
from wagtail_communityblog.models import CommunityPostPage, PostScore
from wagtail_communityblog.models.querysets import LISTING_KEYS
from wagtail_communityblog.pagination import encode_cursor

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


# --- keyset pagination ---------------------------------------------------------------------


def next_link(response):
    """The URL of the "Next page" link, or None."""
    found = re.search(r'<a href="([^"]+)" rel="next"', response.content.decode())
    return html.unescape(found.group(1)) if found else None


def previous_link(response):
    found = re.search(r'<a href="([^"]+)" rel="prev"', response.content.decode())
    return html.unescape(found.group(1)) if found else None


def absolute(community, link):
    return link if link.startswith("/") else community.url + link


@pytest.fixture
def tied_posts(community, blog):
    """Seven posts whose scores tie in every ranking column but the last keys."""
    now = timezone.now()
    posts = [make_post(blog, title=f"Post {n}", when=now - timedelta(hours=n)) for n in range(7)]
    # Pairs of equal scores; equal publication times for two posts: only the id separates them.
    for number, post in enumerate(posts):
        PostScore.objects.filter(pk=post.pk).update(
            score=number // 2, best=0.25 * (number // 2), vote_count=1, hot=float(number // 3)
        )
    PostScore.objects.filter(pk=posts[6].pk).update(published_at=posts[5].first_published_at)
    return posts


def expected_order(sort):
    keys = LISTING_KEYS[sort]
    return list(
        CommunityPostPage.objects.filter(score__is_listed=True)
        .order_by(*(f"-{key}" for key in keys))
        .values_list("title", flat=True)
    )


@pytest.mark.parametrize("sort", ["new", "hot", "best", "top"])
@override_settings(WAGTAIL_COMMUNITYBLOG_POSTS_PER_PAGE=2)
def test_next_and_previous_links_walk_every_sort_with_each_post_once(
    client, community, tied_posts, sort
):
    url = community.url + ("" if sort == "new" else f"?sort={sort}&window=all")
    pages, response = [], client.get(url)
    while True:
        pages.append(titles_in(response))
        link = next_link(response)
        if link is None:
            break
        assert "after=" in link
        response = client.get(absolute(community, link))
        assert response.context["posts"].number == len(pages) + 1

    assert [title for page in pages for title in page] == expected_order(sort)
    assert [len(page) for page in pages] == [2, 2, 2, 1]
    # And back up, page by page, to the first page.
    for page in reversed(pages[:-1]):
        response = client.get(absolute(community, previous_link(response)))
        assert titles_in(response) == page
    assert previous_link(response) is None


@override_settings(WAGTAIL_COMMUNITYBLOG_POSTS_PER_PAGE=2)
def test_a_page_read_by_cursor_neither_counts_the_listing_nor_skips_rows_with_offset(
    client, community, tied_posts
):
    second = next_link(client.get(community.url + "?sort=top"))
    third = next_link(client.get(absolute(community, second)))

    with CaptureQueriesContext(connection) as captured:
        response = client.get(absolute(community, third))

    assert response.context["posts"].number == 3
    statements = [q["sql"] for q in captured.captured_queries]
    assert not [sql for sql in statements if "COUNT(" in sql.upper()]
    listing = [sql for sql in statements if "LIMIT 3" in sql]
    assert len(listing) == 1
    assert "OFFSET" not in listing[0]


@override_settings(WAGTAIL_COMMUNITYBLOG_POSTS_PER_PAGE=2)
def test_posts_published_while_a_reader_pages_through_are_not_shown_twice(
    client, community, blog, tied_posts
):
    first = client.get(community.url)
    make_post(blog, title="Just published")

    second = client.get(absolute(community, next_link(first)))

    assert titles_in(first) == ["Post 0", "Post 1"]
    assert titles_in(second) == ["Post 2", "Post 3"]


@override_settings(WAGTAIL_COMMUNITYBLOG_POSTS_PER_PAGE=2)
def test_a_malformed_or_stale_cursor_falls_back_quietly(client, community, tied_posts):
    for junk in ["not-a-cursor", "W10", "WyJ4Il0", "e30", "x" * 600]:
        response = client.get(community.url, {"after": junk, "page": 2})
        assert response.status_code == 200
        assert titles_in(response) == ["Post 2", "Post 3"]  # ?page=2, as if no cursor
    last = CommunityPostPage.objects.get(title=expected_order("new")[-1])
    past_the_end = encode_cursor(last, LISTING_KEYS["new"])
    response = client.get(community.url, {"after": past_the_end, "page": 9})
    assert titles_in(response) == [last.title]  # the last page


def test_ranked_listings_join_only_what_every_post_needs(client, community, blog):
    """Each joined table adds planning time; nine tables took PostgreSQL longer to plan than
    to run at 100,000 posts. Community and header image are fetched apart, once per page."""
    make_post(blog, tags=["one"])
    for sort in ["new", "hot"]:
        with CaptureQueriesContext(connection) as captured:
            client.get(community.url, {"sort": sort})
        listing = [q["sql"] for q in captured.captured_queries if "LIMIT" in q["sql"]]
        assert listing
        assert listing[0].count(" JOIN ") <= 5, listing[0]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's plans")
@pytest.mark.parametrize("sort", ["new", "hot", "best", "top"])
@override_settings(WAGTAIL_COMMUNITYBLOG_POSTS_PER_PAGE=2)
def test_on_postgresql_a_deep_page_is_one_index_range_scan_without_a_sort(
    client, community, tied_posts, sort
):
    response = client.get(community.url, {"sort": sort, "window": "all"})
    deep = absolute(community, next_link(response))
    with CaptureQueriesContext(connection) as captured:
        client.get(deep)
    listing = next(q["sql"] for q in captured.captured_queries if "LIMIT 3" in q["sql"])
    with connection.cursor() as cursor:
        # A seven-post table is cheaper to scan whole; forbid that to see whether the index
        # can serve the page's order and its starting point on its own.
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_sort = off")
        cursor.execute("EXPLAIN " + listing)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    index = {"new": "wcb_score_listed_new"}.get(sort, f"wcb_score_{sort}")
    assert f"using {index} on" in plan, plan
    assert re.search(r"Index Cond: .*ROW\(", plan), plan
    assert not re.search(r"(?<!Incremental )Sort\b", plan.replace("Sort Key", "")), plan
