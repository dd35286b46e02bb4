"""Editors audit votes in the Wagtail admin: list, filter, inspect, delete (never add or edit)."""

import pytest
from django.urls import reverse

from tests.factories import make_post, make_user, make_voter
from wagtail_communityblog.models import PostScore, Rating
from wagtail_communityblog.services.ratings import rate_post

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    client.force_login(make_user("chief", is_superuser=True, is_staff=True))
    return client


@pytest.fixture
def votes(blog):
    post = make_post(blog, title="Contested")
    other = make_post(blog, title="Quiet")
    alice, bob = make_voter("alice"), make_voter("bob")
    rate_post(post, alice, 1)
    rate_post(post, bob, -1)
    rate_post(other, alice, 1)
    return post, other, alice, bob


def listing_url(**params):
    from urllib.parse import urlencode

    return reverse("wagtailsnippets_wagtail_communityblog_rating:list") + (
        "?" + urlencode(params) if params else ""
    )


def listed(response):
    return sorted((vote.user.username, vote.value) for vote in response.context["object_list"])


def test_votes_are_listed_with_post_voter_value_and_date(admin_client, votes):
    response = admin_client.get(listing_url())
    assert response.status_code == 200
    assert listed(response) == [("alice", 1), ("alice", 1), ("bob", -1)]
    assert "Contested" in response.content.decode()


def test_votes_can_be_filtered_by_post_voter_value_and_date_and_searched(admin_client, votes):
    post, other, alice, bob = votes
    assert listed(admin_client.get(listing_url(post=post.pk))) == [("alice", 1), ("bob", -1)]
    assert listed(admin_client.get(listing_url(voter="bob"))) == [("bob", -1)]
    assert listed(admin_client.get(listing_url(value=-1))) == [("bob", -1)]
    assert len(listed(admin_client.get(listing_url(created_at_from="2000-01-01")))) == 3
    assert listed(admin_client.get(listing_url(created_at_to="2000-01-01"))) == []
    assert listed(admin_client.get(listing_url(q="bob"))) == [("bob", -1)]


def test_a_vote_can_be_inspected(admin_client, votes):
    vote = Rating.objects.get(user__username="bob")
    response = admin_client.get(
        reverse("wagtailsnippets_wagtail_communityblog_rating:inspect", args=[vote.pk])
    )
    assert response.status_code == 200


def test_editors_cannot_create_or_edit_votes(admin_client, votes):
    vote = Rating.objects.get(user__username="bob")
    add = admin_client.get(reverse("wagtailsnippets_wagtail_communityblog_rating:add"))
    edit = admin_client.post(
        reverse("wagtailsnippets_wagtail_communityblog_rating:edit", args=[vote.pk]),
        {"value": 1},
    )
    assert add.status_code in (302, 403)
    assert edit.status_code in (302, 403)
    vote.refresh_from_db()
    assert vote.value == -1


def test_deleting_a_vote_in_the_admin_recomputes_the_post(admin_client, votes):
    post = votes[0]
    vote = Rating.objects.get(user__username="bob")
    response = admin_client.post(
        reverse("wagtailsnippets_wagtail_communityblog_rating:delete", args=[vote.pk])
    )
    assert response.status_code == 302
    score = PostScore.objects.get(pk=post.pk)
    assert (score.up_count, score.down_count, score.score) == (1, 0, 1)


def test_bulk_deleting_votes_recomputes_every_affected_post(admin_client, votes):
    post, other, alice, bob = votes
    ids = list(Rating.objects.filter(user=alice).values_list("pk", flat=True))
    url = reverse("wagtail_bulk_action", args=("wagtail_communityblog", "rating", "delete"))
    response = admin_client.post(url + "?" + "&".join(f"id={pk}" for pk in ids) + "&next=/admin/")
    assert response.status_code == 302
    assert not Rating.objects.filter(user=alice).exists()
    assert PostScore.objects.get(pk=post.pk).score == -1
    assert PostScore.objects.get(pk=other.pk).score == 0


def test_the_post_edit_page_shows_its_vote_breakdown(admin_client, votes):
    post = votes[0]
    response = admin_client.get(reverse("wagtailadmin_pages:edit", args=[post.pk]))
    content = response.content.decode()
    assert "Votes" in content
    assert "communityblog-vote-breakdown" in content


def test_the_vote_breakdown_counts_one_vote_in_the_singular(admin_client, votes):
    quiet = votes[1]  # one up vote, from an account old enough to count
    response = admin_client.get(reverse("wagtailadmin_pages:edit", args=[quiet.pk]))
    content = " ".join(response.content.decode().split())
    assert "Net score 1 from 1 counted vote (1 up, 0 down)." in content
    assert "1 vote recorded (1 up, 0 down); 1 counts in the rankings (1 up, 0 down)." in content
