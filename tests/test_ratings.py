"""Readers vote; each vote moves the post's stored scores in the same transaction."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.management import call_command
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone
from wagtail.models import PageViewRestriction

from tests.factories import make_blog, make_post, make_user, make_voter
from wagtail_communityblog.models import PostScore, Rating
from wagtail_communityblog.ranking import hot, wilson_lower_bound
from wagtail_communityblog.services.members import suspend_member, unsuspend_member
from wagtail_communityblog.services.ratings import (
    VoteError,
    fold_in_matured_votes,
    rate_post,
    recompute_post,
    recompute_posts,
    tally_from_votes,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def post(blog):
    return make_post(blog, title="Rated post")


def score_of(post):
    return PostScore.objects.get(pk=post.pk)


def rate_url(post_id):
    return reverse("wagtail_communityblog:rate", kwargs={"post_id": post_id})


def test_up_and_down_votes_update_counts_score_hot_and_best(post):
    voters = [make_voter() for _ in range(4)]
    for voter in voters[:3]:
        rate_post(post, voter, 1)
    rate_post(post, voters[3], -1)

    score = score_of(post)
    assert (score.up_count, score.down_count, score.vote_count, score.score) == (3, 1, 4, 2)
    assert score.hot == pytest.approx(hot(2, score.rank_time))
    assert score.best == pytest.approx(wilson_lower_bound(3, 1))


def test_a_reader_changes_and_withdraws_their_vote(post):
    voter = make_voter()
    rate_post(post, voter, 1)
    rate_post(post, voter, -1)
    score = score_of(post)
    assert (score.up_count, score.down_count, score.score, score.vote_count) == (0, 1, -1, 1)

    result = rate_post(post, voter, 0)

    score = score_of(post)
    assert (score.up_count, score.down_count, score.score, score.vote_count) == (0, 0, 0, 0)
    assert result.value == 0
    assert not Rating.objects.exists()


def test_voting_the_same_way_twice_is_idempotent(post):
    voter = make_voter()
    rate_post(post, voter, 1)
    rate_post(post, voter, 1)
    assert Rating.objects.count() == 1
    assert score_of(post).vote_count == 1
    rate_post(post, voter, 0)
    rate_post(post, voter, 0)
    assert score_of(post).vote_count == 0


@pytest.mark.parametrize(
    "scheme,value", [("updown", 2), ("updown", 5), ("recommend", -1), ("stars", 6), ("stars", -1)]
)
def test_values_the_scheme_does_not_allow_are_refused(post, scheme, value):
    with (
        override_settings(WAGTAIL_COMMUNITYBLOG_RATING_SCHEME=scheme),
        pytest.raises(VoteError) as error,
    ):
        rate_post(post, make_voter(), value)
    assert error.value.status == 400
    assert not Rating.objects.exists()


@override_settings(WAGTAIL_COMMUNITYBLOG_RATING_SCHEME="stars")
def test_star_ratings_give_a_bayesian_best_and_a_net_score_around_three(post):
    for stars in (5, 5, 4, 1):
        rate_post(post, make_voter(), stars)
    score = score_of(post)
    assert (score.vote_count, score.vote_sum, score.score) == (4, 15, 3)
    assert (score.up_count, score.down_count) == (3, 1)
    assert score.best == pytest.approx((15 + 5 * 3) / (4 + 5))
    assert score.average == pytest.approx(3.75)


@override_settings(WAGTAIL_COMMUNITYBLOG_RATING_SCHEME="recommend")
def test_recommendations_count_up(post):
    rate_post(post, make_voter(), 1)
    rate_post(post, make_voter(), 1)
    assert (score_of(post).up_count, score_of(post).score) == (2, 2)


def test_readers_may_not_vote_on_their_own_post_or_while_suspended_or_anonymously(post, member):
    with pytest.raises(VoteError) as own:
        rate_post(post, member, 1)
    assert own.value.status == 403
    suspended = make_voter()
    suspend_member(suspended)
    for value in (1, 0):  # casting, or withdrawing a vote they never had
        with pytest.raises(VoteError) as susp:
            rate_post(post, suspended, value)
        assert susp.value.status == 403
    with pytest.raises(VoteError) as anon:
        rate_post(post, AnonymousUser(), 1)
    assert anon.value.status == 403
    assert score_of(post).vote_count == 0


@pytest.mark.parametrize("value", [1, -1, 0])
def test_a_suspended_reader_cannot_change_or_withdraw_the_vote_they_had(post, value):
    voter = make_voter()
    rate_post(post, voter, -1 if value == 1 else 1)
    suspend_member(voter)
    before = Rating.objects.get()

    with pytest.raises(VoteError) as error:
        rate_post(post, voter, value)

    assert error.value.status == 403
    after = Rating.objects.get()
    assert (after.value, after.counted, after.updated_at) == (
        before.value,
        before.counted,
        before.updated_at,
    )
    assert score_of(post).vote_count == 0


def test_a_new_accounts_vote_is_recorded_but_counts_only_once_it_comes_of_age(post):
    newcomer = make_user()  # joined just now
    result = rate_post(post, newcomer, 1)

    assert not result.counted
    assert Rating.objects.get().counted is False
    assert score_of(post).vote_count == 0

    type(newcomer).objects.filter(pk=newcomer.pk).update(
        date_joined=timezone.now() - timedelta(days=2)
    )
    assert fold_in_matured_votes() == 1

    assert Rating.objects.get().counted is True
    assert (score_of(post).vote_count, score_of(post).score) == (1, 1)


@override_settings(WAGTAIL_COMMUNITYBLOG_MIN_ACCOUNT_AGE_TO_VOTE=timedelta(hours=1))
def test_a_site_can_refuse_votes_from_brand_new_accounts(post):
    with pytest.raises(VoteError) as error:
        rate_post(post, make_user(), 1)
    assert error.value.status == 403


def test_a_suspended_readers_votes_stop_counting_and_return_on_unsuspension(post):
    voter = make_voter()
    rate_post(post, voter, 1)
    rate_post(post, make_voter(), 1)
    assert score_of(post).score == 2

    suspend_member(voter)
    assert score_of(post).score == 1
    unsuspend_member(voter)
    assert score_of(post).score == 2


def test_deleting_an_account_removes_its_votes_and_recomputes_the_scores(post):
    voter = make_voter()
    rate_post(post, voter, 1)
    rate_post(post, make_voter(), -1)

    voter.delete()

    score = score_of(post)
    assert (score.up_count, score.down_count, score.score) == (0, 1, -1)
    assert Rating.objects.count() == 1


def test_recompute_repairs_drift_and_reports_it(post):
    rate_post(post, make_voter(), 1)
    rate_post(post, make_voter(), 1)
    PostScore.objects.filter(pk=post.pk).update(up_count=99, score=99, vote_count=99)

    assert recompute_post(post.pk) is True
    assert (score_of(post).up_count, score_of(post).score) == (2, 2)
    assert recompute_post(post.pk) is False


def test_the_recompute_command_rebuilds_every_post_and_says_what_it_repaired(post, capsys):
    rate_post(post, make_voter(), 1)
    PostScore.objects.filter(pk=post.pk).update(score=-5, up_count=0)

    call_command("communityblog_recompute_scores")

    out = capsys.readouterr().out
    assert "Drift repaired on 1 post(s)" in out
    assert score_of(post).score == 1
    assert tally_from_votes(post.pk).net == 1


def test_the_recompute_works_in_batches_and_writes_only_what_is_wrong(
    blog, django_assert_num_queries
):
    posts = [make_post(blog) for _ in range(6)]
    for number, post in enumerate(posts):
        for _ in range(number):
            rate_post(post, make_voter(), 1)
    PostScore.objects.filter(pk=posts[2].pk).update(up_count=40, score=40, vote_count=40)
    ids = [post.pk for post in posts]

    # Per batch of three: savepoint, lock the rows, one GROUP BY over the votes, the posts the
    # promotion rule may now pick up, release; plus the drifted row's two UPDATEs.
    with django_assert_num_queries(2 * 5 + 2):
        assert recompute_posts(ids, batch_size=3) == [posts[2].pk]
    with django_assert_num_queries(2 * 5):
        assert recompute_posts(ids, batch_size=3) == []
    assert [score_of(post).score for post in posts] == [0, 1, 2, 3, 4, 5]


def test_the_recompute_brings_hot_and_best_in_line_after_a_ranking_setting_changes(post):
    for _ in range(3):
        rate_post(post, make_voter(), 1)
    rate_post(post, make_voter(), -1)
    before = score_of(post)

    with override_settings(
        WAGTAIL_COMMUNITYBLOG_WILSON_Z=1.0, WAGTAIL_COMMUNITYBLOG_HOT_TAU=90000.0
    ):
        assert recompute_post(post.pk) is False  # the counters had not drifted
        after = score_of(post)
    assert after.best == pytest.approx(wilson_lower_bound(3, 1, z=1.0))
    assert after.best > before.best
    assert after.hot == pytest.approx(hot(2, after.rank_time, tau=90000.0))
    assert (after.up_count, after.down_count, after.score) == (3, 1, 2)


def test_the_check_refuses_a_scheme_change_that_would_change_the_meaning_of_votes(post):
    from wagtail_communityblog.checks import check_rating_scheme_matches_votes

    rate_post(post, make_voter(), -1)
    assert check_rating_scheme_matches_votes(None, databases=["default"]) == []
    with override_settings(WAGTAIL_COMMUNITYBLOG_RATING_SCHEME="stars"):
        [error] = check_rating_scheme_matches_votes(None, databases=["default"])
    assert error.id == "wagtail_communityblog.E006"
    assert "updown" in error.msg


def test_recommend_votes_carry_over_to_updown(post):
    from wagtail_communityblog.checks import check_rating_scheme_matches_votes

    with override_settings(WAGTAIL_COMMUNITYBLOG_RATING_SCHEME="recommend"):
        rate_post(post, make_voter(), 1)
    assert check_rating_scheme_matches_votes(None, databases=["default"]) == []


# --- the endpoint ------------------------------------------------------------------------


def test_the_endpoint_answers_json_with_the_vote_and_the_scores(client, post):
    voter = make_voter()
    client.force_login(voter)

    response = client.post(rate_url(post.pk), {"value": "1"}, HTTP_ACCEPT="application/json")

    assert response.status_code == 200
    data = response.json()
    assert data["post_id"] == post.pk
    assert data["value"] == 1
    assert data["vote_count"] == 1
    assert data["scores"]["score"] == 1
    assert data["scores"]["up"] == 1
    assert data["scores"]["best"] == pytest.approx(wilson_lower_bound(1, 0))
    assert "hot" in data["scores"]


def test_without_javascript_the_form_post_goes_back_to_the_page(client, post):
    client.force_login(make_voter())
    response = client.post(rate_url(post.pk), {"value": "1", "next": post.url})
    assert response.status_code == 302
    assert response["Location"] == post.url
    page = client.get(post.url).content.decode()
    assert 'aria-pressed="true"' in page
    # The pressed button now withdraws the vote.
    assert 'name="value" value="0" data-vote="1" aria-pressed="true"' in page


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/",
        "//evil.example/x",
        "/\\evil.example/",
        "\\\\evil.example",
        "javascript:alert(1)",
        "http://testserver@evil.example/",
    ],
)
def test_the_endpoint_never_redirects_off_site(client, post, target):
    client.force_login(make_voter())
    response = client.post(rate_url(post.pk), {"value": "1", "next": target})
    assert response["Location"] == post.url


def test_the_refusal_page_never_links_off_site(client, post, member):
    client.force_login(member)  # their own post: refused
    response = client.post(rate_url(post.pk), {"value": "1", "next": "//evil.example/x"})
    assert response.status_code == 403
    assert "evil.example" not in response.content.decode()


@pytest.mark.parametrize("value", ["2", "up", "", "1.5", "-2", "99999999999999999999"])
def test_malformed_or_disallowed_values_are_a_json_400_that_changes_nothing(client, post, value):
    client.force_login(make_voter())
    response = client.post(rate_url(post.pk), {"value": value}, HTTP_ACCEPT="application/json")
    assert response.status_code == 400
    assert response.json()["error"]
    assert not Rating.objects.exists()


def test_anonymous_suspended_and_own_post_votes_are_403(client, post, member):
    assert (
        client.post(rate_url(post.pk), {"value": "1"}, HTTP_ACCEPT="application/json").status_code
        == 403
    )
    client.force_login(member)
    own = client.post(rate_url(post.pk), {"value": "1"}, HTTP_ACCEPT="application/json")
    assert own.status_code == 403
    assert "own post" in own.json()["error"]
    suspended = make_voter()
    suspend_member(suspended)
    client.force_login(suspended)
    assert (
        client.post(rate_url(post.pk), {"value": "1"}, HTTP_ACCEPT="application/json").status_code
        == 403
    )
    assert not Rating.objects.exists()


@pytest.mark.parametrize("value", ["1", "-1", "0"])
def test_a_suspended_reader_cannot_change_or_withdraw_their_vote_through_the_endpoint(
    client, post, value
):
    voter = make_voter()
    rate_post(post, voter, -1 if value == "1" else 1)
    suspend_member(voter)
    before = Rating.objects.get()
    client.force_login(voter)

    response = client.post(rate_url(post.pk), {"value": value}, HTTP_ACCEPT="application/json")

    assert response.status_code == 403
    assert "suspended" in response.json()["error"]
    after = Rating.objects.get()
    assert (after.value, after.updated_at) == (before.value, before.updated_at)


def test_a_suspended_reader_withdrawing_a_vote_they_never_had_is_403(client, post):
    voter = make_voter()
    suspend_member(voter)
    client.force_login(voter)

    response = client.post(rate_url(post.pk), {"value": "0"}, HTTP_ACCEPT="application/json")

    assert response.status_code == 403
    assert "suspended" in response.json()["error"]


def test_a_vote_reads_the_post_once_and_asks_about_suspension_only_in_its_own_statements(
    client, post
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from wagtail_communityblog.models import CommunityMember, CommunityPostPage

    client.force_login(make_voter())
    with CaptureQueriesContext(connection) as queries:
        response = client.post(rate_url(post.pk), {"value": "1"}, HTTP_ACCEPT="application/json")

    assert response.status_code == 200
    selects = [q["sql"] for q in queries.captured_queries if q["sql"].startswith("SELECT")]
    post_reads = [sql for sql in selects if CommunityPostPage._meta.db_table in sql]
    # One read of the post, of the page and post rows alone (not the score row), which also
    # asks whether a view restriction covers it (no query of every restriction on its own).
    assert len(post_reads) == 1
    assert PostScore._meta.db_table not in post_reads[0]
    assert len([sql for sql in selects if PageViewRestriction._meta.db_table in sql]) == 1
    # The suspension check rides on the vote's own INSERT, not a query of its own.
    assert not [sql for sql in selects if CommunityMember._meta.db_table in sql]


def test_a_post_that_lost_its_score_row_gets_one_back_when_voted_on(client, post):
    PostScore.objects.filter(pk=post.pk).delete()
    client.force_login(make_voter())

    response = client.post(rate_url(post.pk), {"value": "1"}, HTTP_ACCEPT="application/json")

    assert response.status_code == 200
    assert response.json()["vote_count"] == 1
    score = score_of(post)
    assert (score.vote_count, score.up_count, score.is_listed) == (1, 1, True)


def test_missing_unpublished_and_private_posts_are_404(client, blog, post):
    client.force_login(make_voter())
    draft = make_post(blog, publish=False)
    private = make_post(blog)
    PageViewRestriction.objects.create(page=private, restriction_type="login")
    for post_id in (999999, draft.pk, private.pk):
        response = client.post(rate_url(post_id), {"value": "1"}, HTTP_ACCEPT="application/json")
        assert response.status_code == 404
    assert not Rating.objects.exists()


def test_posts_in_a_private_blog_are_404_and_a_private_sibling_changes_nothing(
    client, community, blog, post
):
    client.force_login(make_voter())
    private_blog = make_blog(community, make_user(), slug="private-blog")
    hidden = make_post(private_blog)
    PageViewRestriction.objects.create(page=private_blog, restriction_type="login")
    PageViewRestriction.objects.create(page=make_post(blog), restriction_type="login")

    hidden_vote = client.post(rate_url(hidden.pk), {"value": "1"}, HTTP_ACCEPT="application/json")
    public_vote = client.post(rate_url(post.pk), {"value": "1"}, HTTP_ACCEPT="application/json")

    assert hidden_vote.status_code == 404
    assert public_vote.status_code == 200
    assert list(Rating.objects.values_list("post_id", flat=True)) == [post.pk]


def test_voting_is_post_only_and_needs_csrf(post):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(make_voter())
    assert client.get(rate_url(post.pk)).status_code == 405
    assert client.post(rate_url(post.pk), {"value": "1"}).status_code == 403
    assert not Rating.objects.exists()


@override_settings(WAGTAIL_COMMUNITYBLOG_RATE_LIMITS={"vote": "3/m"})
def test_voting_too_fast_is_a_429(client, blog):
    client.force_login(make_voter())
    posts = [make_post(blog) for _ in range(4)]
    statuses = [
        client.post(rate_url(p.pk), {"value": "1"}, HTTP_ACCEPT="application/json").status_code
        for p in posts
    ]
    assert statuses == [200, 200, 200, 429]
    assert Rating.objects.count() == 3


def test_errors_without_javascript_are_a_page_with_the_message(client, post):
    response = client.post(rate_url(post.pk), {"value": "1"})
    assert response.status_code == 403
    assert "Log in to vote" in response.content.decode()


def test_the_widget_shows_the_score_and_a_login_link_to_anonymous_readers(client, post):
    rate_post(post, make_voter(), 1)
    page = client.get(post.url).content.decode()
    assert "data-rating-score>1<" in page
    assert "Log in to vote" in page
    assert 'name="value"' not in page


def test_listings_show_each_readers_own_votes_in_a_fixed_number_of_queries(
    client, community, blog, django_assert_max_num_queries
):
    voter = make_voter()
    posts = [make_post(blog) for _ in range(3)]
    rate_post(posts[0], voter, 1)
    client.force_login(voter)
    with django_assert_max_num_queries(100) as few:
        page = client.get(community.url).content.decode()
    assert page.count('aria-pressed="true"') == 1
    for _ in range(10):
        make_post(blog)
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(community.url)


def test_the_members_dashboard_shows_each_posts_score(client, post, member):
    rate_post(post, make_voter(), 1)
    rate_post(post, make_voter(), 1)
    client.force_login(member)
    dashboard = client.get(reverse("wagtail_communityblog:dashboard")).content.decode()
    assert "2 (2 votes)" in dashboard


def test_the_json_answer_carries_a_translated_summary_and_announcement(client, post):
    client.force_login(make_voter())
    data = client.post(rate_url(post.pk), {"value": "1"}, HTTP_ACCEPT="application/json").json()
    assert data["label"] == "1 point (1 vote)"
    assert data["message"] == "You voted up. 1 point (1 vote)."
    data = client.post(rate_url(post.pk), {"value": "0"}, HTTP_ACCEPT="application/json").json()
    assert data["message"].startswith("Your vote is withdrawn.")


def test_a_new_accounts_vote_is_announced_as_pending(client, post):
    client.force_login(make_user())
    data = client.post(rate_url(post.pk), {"value": "1"}, HTTP_ACCEPT="application/json").json()
    assert data["counted"] is False
    assert "once your account is a little older" in data["message"]
