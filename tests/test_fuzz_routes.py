"""No route answers 500, whatever it is sent: a Hypothesis fuzz over every front-end route,
their path ids and query parameters, as an anonymous reader and as a logged-in member.

A 4xx with a message is the right answer to bad input; a 500 is a bug. The test client
re-raises a view's exception, so a failing example names the input and the traceback.
"""

import pytest
from django.test import Client
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.factories import make_blog, make_community, make_post, make_user, make_voter

pytestmark = pytest.mark.django_db

FUZZ = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# Numbers a path id or a ?page= could be: ordinary, at and past the 64-bit edge, zero.
numbers = st.one_of(
    st.integers(min_value=0, max_value=10**4),
    st.integers(min_value=2**63 - 3, max_value=2**63 + 3),
    st.integers(min_value=10**19, max_value=10**40),
)
# Any text a query parameter could carry: control characters, quotes, surrogates excluded
# (a browser cannot send them), very long values.
texts = st.one_of(
    st.text(max_size=40),
    st.sampled_from(['"', "\x00", "Infinity", "NaN", "-1", "1e999", "' OR 1=1 --", "%00"]),
    st.text(alphabet="0123456789", min_size=15, max_size=30),
    st.binary(max_size=60).map(lambda b: b.decode("latin-1")),
)
cursors = st.one_of(
    texts,
    st.sampled_from(
        [
            # base64 of JSON: out-of-range numbers, Infinity, wrong shapes, deep nesting
            "WzFlOTk5LDFd",  # [1e999,1]
            "W0luZmluaXR5LDFd",  # [Infinity,1]
            "Wzk5OTk5OTk5OTk5OTk5OTk5OTk5OTk5LDk5OTk5OTk5OTk5OTk5OTk5OTk5OV0",
            "W1tbW1tbW1tbW11dXV1dXV1dXV0",
            "eyJhIjoxfQ",
        ]
    ),
)
QUERY_KEYS = ["page", "after", "before", "q", "sort", "window", "comments", "next", "blog", "new"]
queries = st.dictionaries(
    st.sampled_from(QUERY_KEYS), st.one_of(texts, numbers.map(str), cursors), max_size=4
)

POST_ROUTES = ["post_edit", "post_preview", "post_delete", "post_unpublish", "rate", "flag"]
POST_COMMENT_ROUTES = ["comment_create", "comment_follow", "comment_close"]
COMMENT_ROUTES = [
    "comment_reply",
    "comment_edit",
    "comment_delete",
    "comment_recommend",
    "comment_flag",
]
PLAIN_ROUTES = ["dashboard", "blog_edit", "post_create", "comment_preferences", "image_upload"]


@pytest.fixture
def site(db):
    community = make_community()
    member = make_voter("amara")
    blog = make_blog(community, member)
    post = make_post(blog, title="Hello", tags=["housing"])
    reader = make_voter("bea")
    clients = {"anonymous": Client()}
    for name, user in (("member", member), ("reader", reader)):
        client = Client()
        client.force_login(user)
        clients[name] = client
    make_user("nobody")
    return {"community": community, "blog": blog, "post": post, "clients": clients}


def send(client, method, path, data):
    response = getattr(client, method)(path, data)
    assert response.status_code < 500, (method, path, data, response.status_code)
    return response


@FUZZ
@given(
    route=st.sampled_from(POST_ROUTES + POST_COMMENT_ROUTES + COMMENT_ROUTES),
    number=numbers,
    who=st.sampled_from(["anonymous", "member", "reader"]),
    method=st.sampled_from(["get", "post"]),
    data=queries,
)
def test_routes_with_an_id_never_answer_500(site, route, number, who, method, data):
    key = "comment_id" if route in COMMENT_ROUTES else "post_id"
    if number == 0 or number > 2**63 - 1:
        # No route matches an id no row can have.
        path = reverse(f"wagtail_communityblog:{route}", kwargs={key: 1}).replace(
            "/1/", f"/{number}/", 1
        )
    else:
        path = reverse(f"wagtail_communityblog:{route}", kwargs={key: number})
    send(site["clients"][who], method, path, data)


@FUZZ
@given(
    route=st.sampled_from(PLAIN_ROUTES),
    who=st.sampled_from(["anonymous", "member", "reader"]),
    method=st.sampled_from(["get", "post"]),
    data=queries,
)
def test_routes_without_an_id_never_answer_500(site, route, who, method, data):
    send(site["clients"][who], method, reverse(f"wagtail_communityblog:{route}"), data)


PAGE_PATHS = [
    ("community", suffix)
    for suffix in ["", "feed/", "feed/atom/", "search/", "tag/housing/", "tag/housing/feed/"]
] + [("blog", ""), ("blog", "feed/"), ("blog", "feed/atom/"), ("post", "")]


@FUZZ
@given(
    where=st.sampled_from(PAGE_PATHS),
    who=st.sampled_from(["anonymous", "reader"]),
    data=queries,
)
def test_pages_listings_feeds_and_search_never_answer_500(site, where, who, data):
    page, suffix = where
    send(site["clients"][who], "get", site[page].url + suffix, data)


@FUZZ
@given(path=st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-_/.%日本", max_size=40))
def test_any_path_under_the_community_is_a_page_or_a_404(site, path):
    send(site["clients"]["anonymous"], "get", site["community"].url + path, {})
