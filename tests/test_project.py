"""Things that keep the package installable: migrations, system checks, settings, the API."""

import os
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.test import override_settings

from tests.factories import make_post
from wagtail_communityblog.checks import check_settings

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.django_db
def test_migrations_are_complete():
    out = StringIO()
    call_command("makemigrations", "--check", "--dry-run", stdout=out)
    assert "No changes detected" in out.getvalue()


def test_the_package_reports_no_system_check_errors():
    assert check_settings(None) == []


def test_package_settings_follow_overrides_and_return_afterwards(settings):
    from wagtail_communityblog.conf import app_settings

    assert app_settings.POSTS_PER_PAGE == 20  # the default, now remembered
    with override_settings(WAGTAIL_COMMUNITYBLOG_POSTS_PER_PAGE=7):
        assert app_settings.POSTS_PER_PAGE == 7
    assert app_settings.POSTS_PER_PAGE == 20
    settings.WAGTAIL_COMMUNITYBLOG_POSTS_PER_PAGE = 9  # pytest-django's fixture
    assert app_settings.POSTS_PER_PAGE == 9


@override_settings(WAGTAIL_COMMUNITYBLOG_ON_MEMBER_DELETE="archive")
def test_a_misspelt_setting_is_reported_by_a_system_check():
    assert [error.id for error in check_settings(None)] == ["wagtail_communityblog.E001"]


@override_settings(WAGTAIL_COMMUNITYBLOG_POSTS_PER_PAGE=0)
def test_a_nonsensical_page_size_is_reported():
    assert [error.id for error in check_settings(None)] == ["wagtail_communityblog.E003"]


@pytest.mark.django_db
def test_posts_are_served_by_the_wagtail_api_with_author_tags_and_dates(client, blog):
    make_post(blog, title="API post", tags=["housing"])

    response = client.get(
        "/api/v2/pages/",
        {
            "type": "wagtail_communityblog.CommunityPostPage",
            "fields": "intro,author_name,blog_title,tags,first_published_at",
        },
    )

    assert response.status_code == 200
    [item] = response.json()["items"]
    assert item["title"] == "API post"
    assert item["author_name"] == "Amara Okafor"
    assert item["blog_title"] == "Notes from the doorstep"
    assert item["tags"] == ["housing"]
    assert item["meta"]["first_published_at"]
    assert "email" not in str(item)


PRODUCTION = {
    "DJANGO_SETTINGS_MODULE": "example.settings.production",
    "SECRET_KEY": "a-long-random-production-secret-" + "x" * 40,
    "ALLOWED_HOSTS": "www.example.org",
    "DATABASE_URL": "sqlite:////tmp/communityblog-deploy-check.sqlite3",
    "CACHE_URL": "redis://127.0.0.1:6379/0",  # not connected to by the checks
}


def production_check(*args, without=()):
    """``manage.py check ARGS`` on the example's production settings, with the variables in
    ``without`` left out of the environment."""
    env = {**os.environ, **PRODUCTION}
    for name in without:
        env.pop(name, None)
    return subprocess.run(
        [sys.executable, "manage.py", "check", *args],
        cwd=ROOT / "example_site",
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


def test_the_production_settings_pass_the_deployment_checks():
    result = production_check("--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("variable", ["CACHE_URL", "SECRET_KEY"])
def test_the_production_settings_refuse_to_start_without(variable):
    result = production_check(without=[variable])
    assert result.returncode != 0
    assert f"Set the {variable} environment variable" in result.stderr
