"""System checks W040 and W041 (``check --deploy``): the package refuses to be misdeployed with
a per-process cache or tasks run in the request (issue 17)."""

import io

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.test import override_settings

from wagtail_communityblog.checks import check_shared_cache, check_task_backend

LOCMEM = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
DUMMY = {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}
REDIS = {
    "default": {
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": "redis://127.0.0.1:6379/0",
        "OPTIONS": {"IGNORE_EXCEPTIONS": True},
    }
}
QUEUED = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
IMMEDIATE = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


def ids(messages):
    return [message.id for message in messages]


@pytest.mark.parametrize("caches", [LOCMEM, DUMMY], ids=["locmem", "dummy"])
def test_a_per_process_cache_in_production_is_a_warning(caches):
    with override_settings(DEBUG=False, CACHES=caches):
        messages = check_shared_cache(None)
    assert ids(messages) == ["wagtail_communityblog.W040"]
    assert "rate limits are counted per process" in messages[0].msg


def test_the_rate_limit_cache_is_checked_too():
    caches = {**REDIS, "ratelimit": LOCMEM["default"]}
    with override_settings(DEBUG=False, CACHES=caches, RATELIMIT_USE_CACHE="ratelimit"):
        messages = check_shared_cache(None)
    assert ids(messages) == ["wagtail_communityblog.W040"]
    assert "'ratelimit' cache" in messages[0].msg


@pytest.mark.parametrize(
    "backend, options",
    [
        ("django.core.cache.backends.redis.RedisCache", {}),
        ("django_redis.cache.RedisCache", {}),
        ("django_redis.cache.RedisCache", {"IGNORE_EXCEPTIONS": False}),
    ],
    ids=["django's redis", "django-redis raising", "django-redis told to raise"],
)
def test_a_cache_that_raises_while_redis_restarts_is_a_warning(backend, options):
    caches = {"default": {"BACKEND": backend, "LOCATION": "redis://x/0", "OPTIONS": options}}
    with override_settings(DEBUG=False, CACHES=caches):
        messages = check_shared_cache(None)
    assert ids(messages) == ["wagtail_communityblog.W042"]
    assert "every page of the site" in messages[0].msg and "IGNORE_EXCEPTIONS" in messages[0].hint
    caches["default"]["OPTIONS"] = {}
    with override_settings(DEBUG=False, CACHES=caches, DJANGO_REDIS_IGNORE_EXCEPTIONS=True):
        expected = [] if backend.startswith("django_redis") else ["wagtail_communityblog.W042"]
        assert ids(check_shared_cache(None)) == expected


def test_a_shared_cache_or_debug_passes():
    with override_settings(DEBUG=False, CACHES=REDIS):
        assert check_shared_cache(None) == []
    with override_settings(DEBUG=True, CACHES=LOCMEM):
        assert check_shared_cache(None) == []


@pytest.mark.parametrize(
    "tasks, says",
    [
        (IMMEDIATE, "waits for the mail server"),
        ({}, "waits for the mail server"),  # django-tasks' default is the immediate backend
        (
            {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}},
            "never sent",
        ),
    ],
    ids=["immediate", "unset", "dummy"],
)
def test_tasks_run_in_the_request_in_production_is_a_warning(tasks, says):
    with override_settings(DEBUG=False, TASKS=tasks):
        messages = check_task_backend(None)
    assert ids(messages) == ["wagtail_communityblog.W041"]
    assert says in messages[0].msg


def test_a_queued_task_backend_or_debug_passes():
    with override_settings(DEBUG=False, TASKS=QUEUED):
        assert check_task_backend(None) == []
    with override_settings(DEBUG=True, TASKS=IMMEDIATE):
        assert check_task_backend(None) == []


def test_both_show_in_check_deploy_and_not_in_a_plain_check():
    with override_settings(DEBUG=False, CACHES=LOCMEM, TASKS=IMMEDIATE):
        out = io.StringIO()
        call_command("check", stdout=out, stderr=out)
        assert "W040" not in out.getvalue() and "W041" not in out.getvalue()
        with pytest.raises(SystemCheckError) as failed:
            call_command(
                "check",
                "--deploy",
                "--fail-level",
                "WARNING",
                stdout=io.StringIO(),
                stderr=io.StringIO(),
            )
    assert "wagtail_communityblog.W040" in str(failed.value)
    assert "wagtail_communityblog.W041" in str(failed.value)
