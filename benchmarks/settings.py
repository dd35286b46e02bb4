"""Settings for the benchmarks: the test settings, with members' e-mails queued, not sent.

A production site runs django-tasks with a queued backend and a worker (docs/reference/
settings.md, ``TASKS``); the test settings' default ``ImmediateBackend`` would render and send
the "your post was promoted" e-mail inside the vote that promotes it, and the benchmark would
time e-mail rendering instead of voting. ``DummyBackend`` records the enqueued task and nothing
more (the cost a queue adds is one insert per promoted post, not per vote).
"""

from tests.settings import *  # noqa: F403

TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}

# The example site's URLs, and the floor of an HTTP vote (benchmarks/urls.py).
ROOT_URLCONF = "benchmarks.urls"
