"""The admin's action views go back to ``?next=`` only when it is on this site."""

from urllib.parse import urlencode

import pytest
from django.test import override_settings
from django.urls import reverse

from tests.factories import make_post, make_user
from wagtail_communityblog.services import comments as comment_service

pytestmark = pytest.mark.django_db

HOSTILE = [
    "https://evil.example/phish",
    "//evil.example/x",
    "/\\evil.example/",
    "javascript:alert(1)",
    "http://testserver.evil.example/",
]


@pytest.fixture
def post(blog):
    return make_post(blog, title="Curated post")


@pytest.fixture
def comment(post):
    with override_settings(WAGTAIL_COMMUNITYBLOG_MODERATION="none"):
        return comment_service.create_comment(post, make_user("bea"), "Hello there.")


def action_urls(post, comment):
    """(confirm URL, where the action goes back to by default), one per kind of action."""
    return [
        (
            reverse("wagtail_communityblog_posts:action", args=[post.pk, "pin"]),
            reverse("wagtail_communityblog_posts:list"),
        ),
        (
            reverse("wagtail_communityblog_reports:action", args=[post.pk, "dismiss"]),
            reverse("wagtail_communityblog_reports:index"),
        ),
        (
            reverse("wagtail_communityblog_comments:action", args=[comment.pk, "hide"]),
            reverse("wagtail_communityblog_comments:list"),
        ),
    ]


@pytest.mark.parametrize("target", HOSTILE)
def test_an_off_site_next_is_never_followed_nor_offered_as_cancel(
    client, curator, post, comment, target
):
    client.force_login(curator)
    for url, fallback in action_urls(post, comment):
        with_next = f"{url}?{urlencode({'next': target})}"

        page = client.get(with_next)
        assert page.status_code == 200, url
        assert page.context["cancel_url"] == fallback
        assert target not in page.content.decode()

        response = client.post(with_next, {"reason": "Off-topic"})
        assert response.status_code == 302, url
        assert response["Location"] == fallback


def test_a_next_on_this_site_is_followed(client, curator, post, comment):
    client.force_login(curator)
    back = "/admin/pages/"
    for url, _fallback in action_urls(post, comment):
        with_next = f"{url}?{urlencode({'next': back})}"
        assert client.get(with_next).context["cancel_url"] == back
        assert client.post(with_next, {"reason": "Off-topic"})["Location"] == back
