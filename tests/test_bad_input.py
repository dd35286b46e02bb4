"""Input that used to reach the database and answer 500 (issue 15, finding 6): each is now a
404 or an ordinary page."""

import base64
import json

import pytest
from django.urls import reverse

from tests.factories import make_blog, make_community, make_post, make_voter

pytestmark = pytest.mark.django_db

POST_ROUTES = [
    "post_edit",
    "post_preview",
    "post_delete",
    "post_unpublish",
    "rate",
    "flag",
    "comment_create",
    "comment_follow",
    "comment_close",
]


@pytest.fixture
def community(db):
    community = make_community()
    blog = make_blog(community, make_voter("amara"))
    for number in range(3):
        make_post(blog, title=f"Post {number}")
    return community


@pytest.mark.parametrize("route", POST_ROUTES)
@pytest.mark.parametrize("number", [2**63, 2**63 - 1, 10**30])
def test_an_id_past_any_row_is_a_404_on_every_post_route(client, community, route, number):
    client.force_login(make_voter())
    path = reverse(f"wagtail_communityblog:{route}", kwargs={"post_id": 1}).replace(
        "/1/", f"/{number}/", 1
    )
    statuses = {
        client.post(path, {"value": "1", "reason": "x", "body": "x"}).status_code,
        client.get(path).status_code,
    }
    # No 500: a 404 for the method the route takes, 405 for the other.
    assert statuses <= {404, 405} and 404 in statuses


@pytest.mark.parametrize("page", ["9223372036854775807", "99999999999999999999999", "-5"])
def test_any_page_number_shows_a_page(client, community, page):
    response = client.get(community.url, {"page": page})
    assert response.status_code == 200
    assert "Post 0" in response.content.decode()  # the last page (there is only one)


def cursor(values):
    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    "token",
    [
        "WzFlOTk5LDFd",  # [1e999, 1]: a float past any column
        cursor(["Infinity", 1]).replace("IkluZmluaXR5Ig", "SW5maW5pdHk"),
        "W0luZmluaXR5LDFd",  # [Infinity, 1]
        cursor([1, 2**70]),
        cursor(["2026-01-01T00:00:00", 10**25]),
    ],
)
@pytest.mark.parametrize("direction", ["after", "before"])
def test_out_of_range_cursors_show_a_page(client, community, token, direction):
    for sort in ("new", "hot", "top", "best"):
        response = client.get(community.url, {direction: token, "sort": sort})
        assert response.status_code == 200, sort


@pytest.mark.parametrize("query", ['"', "\x00", 'rent "controls', "a\x00b"])
def test_search_text_is_escaped_for_the_backend(client, community, query):
    response = client.get(community.url + "search/", {"q": query})
    assert response.status_code == 200


def test_a_quoted_phrase_still_searches(client, community):
    response = client.get(community.url + "search/", {"q": '"Post 1"'})
    assert response.status_code == 200
    assert "Post 1" in response.content.decode()
