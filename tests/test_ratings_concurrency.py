"""Votes under real concurrency: separate threads, each with its own database connection.

Runs on whichever database the suite runs on (SQLite in a file, and PostgreSQL in CI).
Afterwards every stored aggregate must equal the recompute from the vote rows.
"""

import random
import threading

import pytest
from django.db import connection

from tests.factories import make_blog, make_community, make_post, make_user, make_voter
from wagtail_communityblog.models import PostScore, Rating
from wagtail_communityblog.services.ratings import STORED_COUNTERS, rate_post, tally_from_votes

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("site_tree")]

THREADS = 8


def run_in_threads(work_per_thread):
    """Run each list of callables in its own thread, all starting together; return errors."""
    barrier = threading.Barrier(len(work_per_thread))
    errors = []

    def worker(jobs):
        try:
            barrier.wait()
            for job in jobs:
                job()
        except Exception as error:  # noqa: BLE001 - reported by the test
            errors.append(repr(error))
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(jobs,)) for jobs in work_per_thread]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return errors


def assert_scores_match_votes(posts):
    for post in posts:
        stored = PostScore.objects.filter(pk=post.pk).values_list(*STORED_COUNTERS).get()
        tally = tally_from_votes(post.pk)
        assert stored == (tally.up, tally.down, tally.count, tally.total, tally.net), post.pk


def test_many_readers_voting_changing_and_withdrawing_at_once_lose_nothing():
    community = make_community()
    posts = [make_post(make_blog(community, make_user())) for _ in range(3)]
    voters = [make_voter() for _ in range(16)]
    rng = random.Random(7)
    plan = [[] for _ in range(THREADS)]
    # Each voter's actions stay in one thread (in order), but every thread hits the same posts.
    for index, voter in enumerate(voters):
        for _ in range(12):
            post = rng.choice(posts)
            value = rng.choice([1, 1, -1, 0])
            plan[index % THREADS].append(lambda p=post, v=voter, x=value: rate_post(p, v, x))

    errors = run_in_threads(plan)

    assert errors == []
    assert_scores_match_votes(posts)
    assert Rating.objects.values("post", "user").distinct().count() == Rating.objects.count()
    assert PostScore.objects.filter(vote_count__gt=0).exists()


def test_one_reader_double_submitting_from_many_tabs_counts_once():
    community = make_community()
    post = make_post(make_blog(community, make_user()))
    voter = make_voter()

    errors = run_in_threads([[lambda: rate_post(post, voter, 1)] for _ in range(THREADS)])

    assert errors == []
    assert Rating.objects.filter(post=post, user=voter).count() == 1
    score = PostScore.objects.get(pk=post.pk)
    assert (score.vote_count, score.up_count, score.score) == (1, 1, 1)


def test_one_reader_changing_their_vote_in_many_tabs_at_once_stays_consistent():
    community = make_community()
    post = make_post(make_blog(community, make_user()))
    voter = make_voter()
    values = [1, -1, 0, 1, -1, 0, 1, -1]

    errors = run_in_threads([[lambda v=value: rate_post(post, voter, v)] for value in values])

    assert errors == []
    assert Rating.objects.filter(post=post, user=voter).count() <= 1
    assert_scores_match_votes([post])
