"""A short run of the community simulation (benchmarks/community), asserting the ordering the
full benchmark shows: rings buy the front page from the formula alone and from the age rule,
not from the package's defaults, which hold the post a detected ring pushed until an editor
decides; a farming ring's post is held at the vote by the crowd hold (without it, it reaches
the front page before the climb hold takes it off); the adaptive ring still gets through. The
full run is ``make bench-community``."""

import sys
from pathlib import Path

import pytest
from django.test import override_settings

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks" / "community"))

import model  # noqa: E402

SHORT = {"days": 6, "attack_days": (2, 3, 4), "seed": 5}
DEFAULTS = ("age", "clusters", "climb", "crowd")
NO_CROWD = ("age", "clusters", "climb")  # CROWD_HOLD = False
RING_HOLD = ("age", "clusters")  # CLIMB_HOLD = False
VOTES_ONLY = ("age", "clusters", "votes_only")  # RING_HOLD_POSTS = CLIMB_HOLD = False


def run(**overrides):
    return model.simulate(**SHORT, **overrides)


@pytest.fixture(scope="module")
def alone():
    return {defences: run(defences=defences) for defences in ((), ("age",), NO_CROWD, DEFAULTS)}


@pytest.mark.parametrize("kind", ["fresh", "patient"])
def test_a_ring_of_twenty_buys_the_front_page_from_plain_hot(alone, kind):
    result = run(ring_kind=kind)

    assert all(result["target_reached"])
    assert min(result["target_hours"]) > 15
    assert sum(result["target_hours"]) > sum(alone[()]["target_hours"]) + 40


def test_the_age_rule_alone_does_not_stop_a_patient_ring(alone):
    result = run(ring_kind="patient", defences=("age",))

    assert all(result["target_reached"])
    assert sum(result["target_hours"]) > sum(alone[("age",)]["target_hours"]) + 40


@pytest.mark.parametrize("kind", ["fresh", "patient"])
def test_under_the_defaults_a_rings_target_never_reaches_the_front_page(alone, kind):
    result = run(ring_kind=kind, defences=DEFAULTS)

    assert result["ring_detected"] == result["ring_accounts"] == 60
    assert result["targets_held"] == 3
    assert not any(result["target_reached"])
    # The same posts alone sometimes do: the hold stops the ring, not the post's own readers.
    assert any(alone[DEFAULTS]["target_reached"])
    assert result["honest_held"] == result["honest_posts_held"] == 0
    assert result["quality_ratio"] >= alone[()]["quality_ratio"] - 0.05


def test_holding_only_the_votes_leaves_a_patient_ring_its_one_vote(alone):
    result = run(ring_kind="patient", defences=VOTES_ONLY)

    assert result["targets_held"] == 0
    assert sum(result["target_hours"]) > sum(
        run(ring_kind="patient", defences=DEFAULTS)["target_hours"]
    )


def test_without_the_crowd_hold_a_farming_ring_reaches_the_front_page_until_the_climb_hold(alone):
    # With CROWD_HOLD off, the climb hold is what is left against farming rings, at the factor
    # it had before the crowd hold (the defaults' 8 lets this ring's climb through).
    with override_settings(WAGTAIL_COMMUNITYBLOG_CLIMB_FACTOR=4):
        result = run(ring_kind="farming", defences=NO_CROWD)
    without = run(ring_kind="farming", defences=RING_HOLD)

    assert result["ring_detected"] == without["ring_detected"] == 0  # not low-history accounts
    assert all(result["target_reached"]) and all(without["target_reached"])
    assert result["targets_held"] == 3 and without["targets_held"] == 0
    assert sum(result["target_hours"]) < sum(without["target_hours"]) / 4


def test_the_crowd_hold_stops_a_farming_ring_at_the_vote_and_holds_nothing_more_alone(alone):
    farming = run(ring_kind="farming", defences=DEFAULTS)

    assert farming["ring_detected"] == 0
    assert not any(farming["target_reached"])
    assert farming["targets_held"] == 3
    # Without a ring, the crowd hold holds no honest post the other holds did not.
    assert alone[DEFAULTS]["honest_posts_held"] == alone[NO_CROWD]["honest_posts_held"]
    assert alone[DEFAULTS]["target_hours"] == alone[NO_CROWD]["target_hours"]


def test_the_run_is_reproducible():
    assert run(ring_kind="patient") == run(ring_kind="patient")


def test_an_adaptive_farming_ring_spreads_its_push_and_escapes_the_holds(alone):
    # The attacker no defence here stops yet (docs/explanation/community-health.md): its
    # camouflage gives its accounts early votes, and its spread push no first-hour burst.
    farming = run(ring_kind="farming", defences=DEFAULTS)
    adaptive = run(ring_kind="adaptive", defences=DEFAULTS)

    assert adaptive["ring_detected"] == 0
    assert all(adaptive["target_reached"]) and not any(farming["target_reached"])
    assert adaptive["targets_held"] == 0 and farming["targets_held"] == 3
    assert min(adaptive["target_hours"]) > 10
