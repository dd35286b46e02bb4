"""The shared cache goes down (Redis restarting): readers are still served, members' writes are
refused cleanly (the rate limits fail closed) and the log says why.

Wagtail itself reads the default cache on every page (the sites' root paths), so a site's
default cache must answer nothing rather than raise when Redis is gone (django-redis with
``IGNORE_EXCEPTIONS``, check W042); the package's own cache calls survive either kind.
"""

import json
import logging

import pytest
from django.test import override_settings
from django.urls import reverse

from tests.factories import make_blog, make_post, make_user, make_voter
from wagtail_communityblog import cache
from wagtail_communityblog.models import PostScore, Rating

UNREACHABLE = {"default": {"BACKEND": "tests.cache_backends.UnreachableCache"}}
SILENT = {"default": {"BACKEND": "tests.cache_backends.SilentCache"}}
# One Redis for the limits that raises, beside a default cache that answers nothing.
LIMITS_UNREACHABLE = {**SILENT, "limits": UNREACHABLE["default"]}


@pytest.fixture(autouse=True)
def fresh_cache(monkeypatch):
    """The suite's autouse fixture clears the cache, which is down here; and each test's
    outage warns afresh."""
    monkeypatch.setattr(cache, "_warned", {})


@pytest.fixture
def post(blog):
    return make_post(blog, title="Ten doors knocked before lunch")


def vote(client, post, value="1"):
    return client.post(
        reverse("wagtail_communityblog:rate", kwargs={"post_id": post.pk}),
        {"value": value},
        HTTP_ACCEPT="application/json",
    )


def test_pages_are_served_from_the_database_when_the_cache_is_down(client, site_tree, post):
    home = site_tree.root_page.specific
    home.body = json.dumps(
        [{"type": "promoted_posts", "value": {"heading": "Members", "fill_with_newest": True}}]
    )
    home.save_revision().publish()
    with override_settings(CACHES=SILENT):
        for url in ["/", post.url, post.get_parent().url, "/community/"]:
            response = client.get(url)
            assert response.status_code == 200, url
        assert "Ten doors knocked before lunch" in client.get("/").content.decode()


@override_settings(CACHES=UNREACHABLE)
def test_the_packages_cache_calls_survive_a_cache_that_raises(caplog, db, monkeypatch):
    with caplog.at_level(logging.WARNING, logger="wagtail_communityblog.cache"):
        assert cache.generation() is None
        assert cache.fetch("key", "missing") == "missing"
        cache.store("key", "value", 60)
        cache.rankings_changed()
    warnings = [r.getMessage() for r in caplog.records]
    # One line says why; the rest of the outage is not a flood.
    assert len(warnings) == 1 and "The cache is unavailable (generation failed" in warnings[0]
    monkeypatch.setattr(cache, "WARN_EVERY", 0)
    with caplog.at_level(logging.WARNING, logger="wagtail_communityblog.cache"):
        cache.fetch("key")
    # fetch(), store() and the bump failed after the first warning.
    assert "(3 more since the last warning)" in caplog.records[-1].getMessage()


@pytest.mark.parametrize("caches", [SILENT, LIMITS_UNREACHABLE], ids=["answers nothing", "raises"])
def test_votes_and_comments_fail_closed_with_a_503_and_change_nothing(client, post, caches, caplog):
    client.force_login(make_voter())
    with override_settings(
        CACHES=caches, RATELIMIT_USE_CACHE="limits" if "limits" in caches else "default"
    ):
        response = vote(client, post)
        comment = client.post(
            reverse("wagtail_communityblog:comment_create", kwargs={"post_id": post.pk}),
            {"body": "Count me in for Saturday."},
            HTTP_ACCEPT="application/json",
        )
    assert response.status_code == 503
    assert response.json()["error"] == (
        "The site cannot accept this for a moment. Please try again in a minute."
    )
    assert response["Retry-After"] == "30"
    assert comment.status_code == 503
    assert not Rating.objects.exists()
    assert PostScore.objects.get(pk=post.pk).vote_count == 0
    assert not post.comments.exists()
    assert "Rate-limit counters unavailable" in caplog.text


def test_without_javascript_the_refusal_is_a_page_saying_so(client, post):
    client.force_login(make_voter())
    with override_settings(CACHES=SILENT):
        response = client.post(
            reverse("wagtail_communityblog:rate", kwargs={"post_id": post.pk}), {"value": "1"}
        )
    assert response.status_code == 503
    assert "cannot accept this for a moment" in response.content.decode()


@override_settings(
    CACHES=LIMITS_UNREACHABLE, RATELIMIT_USE_CACHE="limits", RATELIMIT_FAIL_OPEN=True
)
def test_a_site_may_choose_to_fail_open(client, post):
    client.force_login(make_voter())
    assert vote(client, post).status_code == 200
    assert Rating.objects.get().value == 1


def test_when_the_cache_is_back_the_limits_count_again(client, post, blog):
    client.force_login(make_voter())
    with override_settings(CACHES=SILENT):
        assert vote(client, post).status_code == 503
    with override_settings(WAGTAIL_COMMUNITYBLOG_RATE_LIMITS={"vote": "1/m"}):
        assert vote(client, post).status_code == 200
        other = make_post(make_blog(blog.get_parent().specific, make_user()))
        assert vote(client, other).status_code == 429
