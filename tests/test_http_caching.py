"""What a caching proxy may keep (issue 17): anonymous readers' pages are ``public`` for a
shared cache, with ``s-maxage`` and ``stale-while-revalidate``, no cookie and ``Vary: Cookie``;
anything for one reader is ``private``."""

import pytest
from django.test import Client, override_settings
from django.urls import reverse
from django.utils.cache import get_max_age

from tests.factories import make_blog, make_community, make_post, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def site(db):
    community = make_community()
    blog = make_blog(community, make_user("amara"), slug="amara")
    post = make_post(blog, title="Ten doors", tags=["housing"])
    urls = {
        "index": community.url,
        "blogs": community.url + "blogs/",
        "tag": community.url + "tag/housing/",
        "search": community.url + "search/?q=doors",
        "feed": community.url + "feed/",
        "atom": community.url + "feed/atom/",
        "blog": blog.url,
        "blog feed": blog.url + "feed/",
        "post": post.url,
    }
    return {"post": post, "urls": urls}


def directives(response):
    return {part.strip() for part in response.get("Cache-Control", "").split(",") if part.strip()}


def vary(response):
    return {part.strip().lower() for part in response.get("Vary", "").split(",")}


def test_anonymous_pages_are_public_for_a_shared_cache_only(client, site):
    for name, url in site["urls"].items():
        response = client.get(url)
        assert response.status_code == 200, name
        assert directives(response) == {
            "public",
            "max-age=0",  # browsers keep nothing: only the proxy is purged
            "s-maxage=60",
            "stale-while-revalidate=300",
        }, name
        assert "cookie" in vary(response), name
        assert not response.cookies, name
        assert b"csrfmiddlewaretoken" not in response.content, name


@override_settings(
    WAGTAIL_COMMUNITYBLOG_CACHE_MAX_AGE=600, WAGTAIL_COMMUNITYBLOG_CACHE_STALE_WHILE_REVALIDATE=30
)
def test_the_lifetimes_are_settings(client, site):
    response = client.get(site["urls"]["post"])
    assert {"s-maxage=600", "stale-while-revalidate=30"} <= directives(response)


@override_settings(WAGTAIL_COMMUNITYBLOG_CACHE_MAX_AGE=0)
def test_zero_marks_nothing_public(client, site):
    response = client.get(site["urls"]["post"])
    assert "public" not in directives(response)
    assert "s-maxage" not in response.get("Cache-Control", "")


def test_a_logged_in_readers_pages_are_private(client, site):
    client.force_login(make_user("reader"))
    for name, url in site["urls"].items():
        response = client.get(url)
        assert {"private", "no-cache"} <= directives(response), name
        assert "public" not in directives(response), name
        assert "cookie" in vary(response), name


def test_an_anonymous_reader_with_a_session_or_messages_gets_a_private_page(site):
    for cookie in ("sessionid", "messages"):
        client = Client()
        client.cookies[cookie] = "something"
        response = client.get(site["urls"]["post"])
        assert {"private", "no-cache"} <= directives(response), cookie


def test_member_views_are_private(client, site):
    assert {"private", "no-cache"} <= directives(
        client.get(reverse("wagtail_communityblog:dashboard"))
    )  # the redirect to the log-in
    client.force_login(site["post"].author)
    for name in ("dashboard", "post_create", "blog_edit"):
        response = client.get(reverse(f"wagtail_communityblog:{name}"))
        assert response.status_code == 200, name
        assert {"private", "no-cache"} <= directives(response), name
        assert get_max_age(response) is None, name


def test_a_page_preview_is_private(admin_client, site):
    post = site["post"]
    response = admin_client.get(reverse("wagtailadmin_pages:view_draft", args=[post.pk]))
    assert response.status_code == 200
    assert "public" not in directives(response)
