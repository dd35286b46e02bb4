"""``communityblog_scheduler``: the periodic jobs on a schedule, each slot queued once however
many schedulers run (issue 17: they waited for a cron job nobody set up)."""

import io
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import override_settings
from django.utils import timezone

from tests.factories import make_post, make_user
from wagtail_communityblog.management.commands import communityblog_scheduler as scheduler
from wagtail_communityblog.models import PostScore, Rating
from wagtail_communityblog.services.ratings import rate_post
from wagtail_communityblog.tasks import PERIODIC

pytestmark = pytest.mark.django_db

SLOT = datetime(2026, 12, 3, 21, 10, tzinfo=ZoneInfo("UTC"))


def test_the_default_schedule_lists_every_job_with_its_next_run():
    out = io.StringIO()
    call_command("communityblog_scheduler", "--list", stdout=out)
    lines = out.getvalue().splitlines()
    assert [line.split(":")[0] for line in lines] == sorted(PERIODIC, key=list(PERIODIC).index)
    assert "detect_vote_rings: */10 * * * * (next: " in lines[0]


@override_settings(WAGTAIL_COMMUNITYBLOG_SCHEDULE={"recompute_scores": None})
def test_a_job_set_to_none_is_left_out():
    assert set(scheduler.triggers()) == set(PERIODIC) - {"recompute_scores"}


@pytest.mark.parametrize(
    "schedule, says",
    [
        ({"detect_vote_rings": "every ten minutes"}, "not a crontab line"),
        ({"send_newsletter": "0 8 * * 1"}, "is not a job"),
    ],
)
def test_a_bad_schedule_is_refused_with_what_is_wrong(schedule, says):
    with (
        override_settings(WAGTAIL_COMMUNITYBLOG_SCHEDULE=schedule),
        pytest.raises(CommandError) as refused,
    ):
        call_command("communityblog_scheduler", "--list", stdout=io.StringIO())
    assert says in str(refused.value)


class CountingJob:
    """Stands in for a task: counts what is queued."""

    def __init__(self):
        self.queued = 0

    def enqueue(self):
        self.queued += 1
        return type("Result", (), {"id": f"task-{self.queued}"})()


def test_each_slot_is_queued_once_however_many_schedulers_run(monkeypatch):
    job = CountingJob()
    monkeypatch.setitem(PERIODIC, "detect_vote_rings", job)
    assert scheduler.queue("detect_vote_rings", SLOT) is not None
    assert scheduler.queue("detect_vote_rings", SLOT) is None  # a second scheduler, same slot
    assert scheduler.queue("detect_vote_rings", SLOT + timedelta(minutes=10)) is not None
    assert job.queued == 2


def test_the_matured_votes_job_counts_the_votes_of_accounts_that_came_of_age(blog):
    post = make_post(blog)
    newcomer = make_user("newcomer")  # joined just now: the vote waits
    rate_post(post, newcomer, 1)
    assert PostScore.objects.get(pk=post.pk).vote_count == 0
    type(newcomer).objects.filter(pk=newcomer.pk).update(
        date_joined=timezone.now() - timedelta(days=2)
    )
    assert PERIODIC["fold_matured_votes"].call() == 1  # the task's body, as the worker runs it
    assert Rating.objects.get(user=newcomer).counted
    assert PostScore.objects.get(pk=post.pk).vote_count == 1


def test_the_nightly_rebuild_repairs_drift(blog):
    post = make_post(blog)
    rate_post(post, make_user("old", date_joined=timezone.now() - timedelta(days=9)), 1)
    PostScore.objects.filter(pk=post.pk).update(vote_count=40, score=40)
    assert PERIODIC["recompute_scores"].call() == [post.pk]
    assert PostScore.objects.get(pk=post.pk).vote_count == 1
