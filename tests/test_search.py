"""Wagtail search over community posts."""

import pytest

from tests.factories import make_post

pytestmark = pytest.mark.django_db


def results(client, community, query):
    response = client.get(community.url + "search/", {"q": query})
    assert response.status_code == 200
    return [post.title for post in response.context["posts"] or []]


def test_search_finds_posts_by_title_body_and_summary(
    client, community, blog, django_capture_on_commit_callbacks
):
    # Some Wagtail versions update the search index when the transaction commits.
    with django_capture_on_commit_callbacks(execute=True):
        make_post(blog, title="Bus lanes", body="<p>Nothing else.</p>")
        make_post(blog, title="Rents", body="<p>The landlord registry is overdue.</p>")
        make_post(blog, title="Schools", intro="Breakfast clubs for every primary.")

    assert results(client, community, "bus") == ["Bus lanes"]
    assert results(client, community, "landlord") == ["Rents"]
    assert results(client, community, "breakfast") == ["Schools"]


def test_search_ignores_drafts_and_shows_nothing_for_an_empty_query(
    client, community, blog, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        make_post(blog, title="Secret draft about trams", publish=False)

    assert results(client, community, "trams") == []
    response = client.get(community.url + "search/")
    assert response.context["posts"] is None
    assert b"Search posts" in response.content


def test_search_without_matches_says_so(client, community, blog):
    make_post(blog, title="Something")
    response = client.get(community.url + "search/", {"q": "zeppelin"})
    assert "No posts match “zeppelin”".encode() in response.content


def test_search_leaves_out_a_suspended_members_posts(
    client, community, blog, member, django_capture_on_commit_callbacks
):
    from wagtail_communityblog.services.members import suspend_member

    with django_capture_on_commit_callbacks(execute=True):
        make_post(blog, title="Tram timetables")
    suspend_member(member)
    assert results(client, community, "tram") == []
