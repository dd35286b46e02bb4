"""Queue the package's periodic jobs on their schedule: one long-running process per site.

The scheduler is APScheduler's (``pip install "wagtail-communityblog[scheduler]"``): crontab
lines in the site's time zone, a run missed while the process was down made up once (not once
per missed slot), never two runs of a job at once. It only *queues* each job as a django-tasks
task; the site's task worker runs it, with its retries and logs. A second scheduler started by
mistake (two app servers each running one) queues nothing twice: each slot is claimed in the
shared cache first.
"""

import contextlib
import logging
import signal
from datetime import datetime
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.cache import cache
from django.core.management.base import BaseCommand, CommandError
from django.db import close_old_connections
from django.utils import timezone

from wagtail_communityblog.conf import app_settings
from wagtail_communityblog.tasks import PERIODIC

logger = logging.getLogger("wagtail_communityblog.scheduler")

# How late a slot may still run after the process was down, and how long a claim is kept.
MISFIRE_GRACE = 15 * 60
CLAIM_SECONDS = 6 * 60 * 60


def claim(name, slot):
    """True for the first scheduler to claim this job's slot (``slot``: its planned time)."""
    return cache.add(f"wagtail_communityblog:scheduled:{name}:{slot:%Y%m%dT%H%M}", 1, CLAIM_SECONDS)


def queue(name, slot):
    if not claim(name, slot):
        logger.info("%s at %s: already queued by another scheduler", name, slot)
        return None
    result = PERIODIC[name].enqueue()
    logger.info("%s at %s: queued as task %s", name, slot, result.id)
    return result


def triggers():
    """Each scheduled job's trigger, from ``WAGTAIL_COMMUNITYBLOG_SCHEDULE``."""
    try:
        from apscheduler.triggers.cron import CronTrigger
    except ImportError as error:
        raise CommandError(
            'The scheduler needs APScheduler: pip install "wagtail-communityblog[scheduler]".'
        ) from error
    jobs = {}
    for name, spec in app_settings.SCHEDULE.items():
        if name not in PERIODIC:
            raise CommandError(
                f"WAGTAIL_COMMUNITYBLOG_SCHEDULE names {name!r}, which is not a job: "
                f"use {', '.join(sorted(PERIODIC))}."
            )
        try:
            jobs[name] = CronTrigger.from_crontab(spec, timezone=settings.TIME_ZONE)
        except ValueError as error:
            raise CommandError(
                f"WAGTAIL_COMMUNITYBLOG_SCHEDULE[{name!r}] is {spec!r}, not a crontab line "
                f"(minute hour day month weekday): {error}"
            ) from error
    return jobs


class Command(BaseCommand):
    help = (
        "Queue the package's periodic jobs (vote-ring detection, counting matured votes, the "
        "nightly score rebuild) on the schedule in WAGTAIL_COMMUNITYBLOG_SCHEDULE, for the "
        "task worker to run. Run one per site, next to the worker; it runs until stopped."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--list", action="store_true", help="Print each job's schedule and next run; exit."
        )

    def handle(self, *args, **options):
        jobs = triggers()  # first: says so when APScheduler is missing
        from apscheduler.schedulers.blocking import BlockingScheduler  # an optional dependency

        scheduler = BlockingScheduler(
            timezone=settings.TIME_ZONE,
            job_defaults={
                "coalesce": True,
                "max_instances": 1,
                "misfire_grace_time": MISFIRE_GRACE,
            },
        )
        for name, trigger in jobs.items():
            scheduler.add_job(_run, trigger, args=[name], id=name, name=name)
        if options["list"]:
            now = datetime.now(ZoneInfo(settings.TIME_ZONE))
            for name, trigger in jobs.items():
                spec = app_settings.SCHEDULE[name]
                self.stdout.write(f"{name}: {spec} (next: {trigger.get_next_fire_time(None, now)})")
            return
        signal.signal(signal.SIGTERM, lambda *_: scheduler.shutdown(wait=False))
        self.stdout.write(f"Scheduling {', '.join(jobs)}; stop with Ctrl-C or SIGTERM.")
        with contextlib.suppress(KeyboardInterrupt):
            scheduler.start()


def _run(name):
    """APScheduler's job: queue the task for the slot it fired for (the current minute)."""
    close_old_connections()
    try:
        queue(name, timezone.localtime().replace(second=0, microsecond=0))
    finally:
        close_old_connections()
