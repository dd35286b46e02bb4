"""The ranking formulas against worked examples, and the SQL versions against the Python ones."""

import math
from datetime import UTC, datetime, timedelta

import pytest
from django.test import override_settings

from wagtail_communityblog.ranking import (
    EPOCH,
    bayesian_average,
    hot,
    time_score,
    wilson_lower_bound,
)


def test_hot_matches_reddits_formula_on_worked_examples():
    # A post at the epoch: only the score term remains.
    assert hot(0, EPOCH) == 0
    assert hot(1, EPOCH) == 0
    assert hot(10, EPOCH) == pytest.approx(1.0)
    assert hot(100, EPOCH) == pytest.approx(2.0)
    assert hot(-10, EPOCH) == pytest.approx(-1.0)
    # 12.5 hours later is worth exactly one tenfold of score.
    later = EPOCH + timedelta(seconds=45000)
    assert hot(1, later) == pytest.approx(hot(10, EPOCH))
    # Reddit's own numbers: a post with score 1 at 2024-01-01 00:00 UTC.
    when = datetime(2024, 1, 1, tzinfo=UTC)
    assert hot(1, when) == pytest.approx((when - EPOCH).total_seconds() / 45000)


def test_hot_is_time_invariant_two_posts_keep_their_order_as_they_age():
    a, b = (5, EPOCH + timedelta(hours=3)), (50, EPOCH)
    # 50 votes three hours earlier beat 5 votes: log10(50) - (log10(5) + 3 h / tau).
    assert hot(*b) - hot(*a) == pytest.approx(1 - 3 * 3600 / 45000)
    # However far both posts move in time, the gap between them, so their order, is the same:
    # the stored value never needs recomputing as the clock runs.
    for shift in (timedelta(days=1), timedelta(days=400), timedelta(days=3650)):
        gap = hot(b[0], b[1] + shift) - hot(a[0], a[1] + shift)
        assert gap == pytest.approx(hot(*b) - hot(*a))


def test_tau_sets_how_much_freshness_a_tenfold_score_is_worth():
    assert time_score(EPOCH + timedelta(seconds=90000), tau=90000) == pytest.approx(1.0)


def test_wilson_lower_bound_matches_evan_millers_examples():
    assert wilson_lower_bound(0, 0) == 0
    assert wilson_lower_bound(1, 0) == pytest.approx(0.2065, abs=1e-4)
    assert wilson_lower_bound(100, 10) == pytest.approx(0.8407, abs=1e-4)
    assert wilson_lower_bound(5, 5) == pytest.approx(0.2366, abs=1e-4)
    # Many mostly-positive votes beat one lucky vote; all-negative is close to zero.
    assert wilson_lower_bound(90, 10) > wilson_lower_bound(1, 0)
    assert wilson_lower_bound(0, 50) == pytest.approx(0.0, abs=1e-12)
    # A lower confidence (smaller z) is less cautious.
    assert wilson_lower_bound(3, 0, z=1.0) > wilson_lower_bound(3, 0, z=1.96)


def test_bayesian_average_is_imdbs_weighted_rating():
    # v=3 votes averaging 5 stars, prior of m=5 votes at C=3: (15 + 15) / 8.
    assert bayesian_average(15, 3, prior_votes=5, prior_mean=3) == pytest.approx(3.75)
    assert bayesian_average(0, 0, prior_votes=5, prior_mean=3) == 3
    # Fifty fours beat three fives.
    assert bayesian_average(200, 50) > bayesian_average(15, 3)
    # Equal to IMDb's v/(v+m)*R + m/(v+m)*C.
    v, m, r, c = 40, 25, 4.2, 3.1
    assert bayesian_average(v * r, v, m, c) == pytest.approx(v / (v + m) * r + m / (v + m) * c)


@pytest.mark.django_db
@pytest.mark.parametrize("scheme", ["updown", "stars", "recommend"])
def test_the_database_computes_the_same_scores_as_the_python_formulas(scheme, community, blog):
    from tests.factories import make_post
    from wagtail_communityblog.models import PostScore
    from wagtail_communityblog.ranking_expressions import absolute_updates
    from wagtail_communityblog.rating_schemes import Tally, get_scheme

    with override_settings(WAGTAIL_COMMUNITYBLOG_RATING_SCHEME=scheme):
        post = make_post(blog, when=datetime(2026, 3, 1, tzinfo=UTC))
        for tally in [
            Tally(),
            Tally(7, 2, 9, 5, 5),
            Tally(0, 40, 40, -40, -40),
            Tally(3, 1, 4, 17, 5),
        ]:
            PostScore.objects.filter(pk=post.pk).update(**absolute_updates(get_scheme(), tally))
            stored = PostScore.objects.get(pk=post.pk)
            assert stored.hot == pytest.approx(hot(tally.net, stored.rank_time), abs=1e-9)
            if scheme == "stars":
                expected_best = bayesian_average(tally.total, tally.count)
            else:
                expected_best = wilson_lower_bound(tally.up, tally.down)
            assert stored.best == pytest.approx(expected_best, abs=1e-9)
            assert not math.isnan(stored.best)
