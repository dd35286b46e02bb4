"""PostgreSQL restarting: requests that cannot reach the database get a clean 503 with
Retry-After (DatabaseUnavailableMiddleware), nothing is half-written, and the log says why."""

import pytest
from django.db import OperationalError
from django.test import override_settings
from django.urls import reverse

from tests.factories import make_post, make_voter
from wagtail_communityblog.models import PostScore, Rating
from wagtail_communityblog.services import ratings

pytestmark = pytest.mark.usefixtures("with_middleware")


@pytest.fixture
def with_middleware(settings):
    settings.MIDDLEWARE = [
        *settings.MIDDLEWARE,
        "wagtail_communityblog.middleware.DatabaseUnavailableMiddleware",
    ]


@pytest.fixture
def post(blog):
    return make_post(blog, title="Ten doors knocked before lunch")


def rate(client, post, accept="application/json"):
    return client.post(
        reverse("wagtail_communityblog:rate", kwargs={"post_id": post.pk}),
        {"value": "1"},
        HTTP_ACCEPT=accept,
    )


@pytest.mark.parametrize("accept", ["application/json", "text/html"])
def test_a_vote_cut_off_by_the_database_is_a_503_and_writes_nothing(
    client, post, monkeypatch, caplog, accept
):
    client.force_login(make_voter())

    def connection_lost(*args, **kwargs):
        raise OperationalError("server closed the connection unexpectedly\n\tThis probably...")

    # The vote's row is written, then the score update loses the connection.
    monkeypatch.setattr(ratings, "apply_delta", connection_lost)
    response = rate(client, post, accept)
    assert response.status_code == 503
    assert response["Retry-After"] == "10"
    assert response["Cache-Control"] == "no-store"
    if accept == "application/json":
        assert response.json()["error"].startswith("The site is busy for a moment")
    else:
        assert "Try again in a minute" in response.content.decode()
    assert not Rating.objects.exists()
    assert PostScore.objects.get(pk=post.pk).vote_count == 0
    assert "The database is unavailable (OperationalError: server closed" in caplog.text


def test_other_errors_are_not_hidden(client, post, monkeypatch):
    client.force_login(make_voter())

    def bug(*args, **kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr(ratings, "apply_delta", bug)
    with pytest.raises(RuntimeError):
        rate(client, post)


@override_settings(DEBUG=False)
def test_the_page_needs_nothing_from_the_database(client, post, monkeypatch):
    """Rendered without the site's base template or context processors, which may query."""
    from wagtail_communityblog import middleware

    response = middleware.DatabaseUnavailableMiddleware(lambda request: None).process_exception(
        client.get("/").wsgi_request, OperationalError("the database system is shutting down")
    )
    assert response.status_code == 503
    assert "<h1>Try again in a minute</h1>" in response.content.decode()
