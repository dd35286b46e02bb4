"""Browser tests: Playwright for Python driving Debian's Chromium against a live test server.

Every test in this directory is marked ``browser``. The main suite leaves them out
(``-m "not browser"`` in pyproject.toml); ``make test-browser`` runs them alone and ``make test``
runs them after the SQLite and PostgreSQL runs when Chromium is installed.

The pages are the example site's: the test settings build on its settings, and
``tests/browser/urls.py`` is its URLconf plus the media files (uploaded images) that Django
only serves itself when ``DEBUG`` is on.
"""

import os
import shutil
from pathlib import Path

import pytest

from tests.browser.support import CHROMIUM, chromium_launch_args, chromium_missing_reason

HERE = Path(__file__).resolve().parent


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    reason = chromium_missing_reason()
    for item in items:
        if HERE in Path(str(item.fspath)).resolve().parents:
            item.add_marker(pytest.mark.browser)
            if reason:
                item.add_marker(pytest.mark.skip(reason=reason))


@pytest.fixture(scope="session", autouse=True)
def django_allow_async_unsafe():
    """Playwright's sync API runs an asyncio event loop in the test's thread, so Django would
    refuse the test's own ORM calls (SynchronousOnlyOperation). Set only once a browser test
    runs: the main suite, run without them, keeps Django's check."""
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    yield
    if previous is None:
        del os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"]
    else:
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture(scope="session")
def browser_type_launch_args(django_allow_async_unsafe, browser_type_launch_args):
    return chromium_launch_args(browser_type_launch_args)


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args, live_server):
    return {
        **browser_context_args,
        "base_url": live_server.url,
        "viewport": {"width": 1200, "height": 800},
        "device_scale_factor": 1,
        "locale": "en-GB",
        "timezone_id": "Europe/London",
        "reduced_motion": "reduce",
    }


@pytest.fixture(autouse=True)
def example_site(settings, transactional_db, site_tree):
    """The example site's URLs, a fresh page tree and the root collection uploads go into
    (a transactional test's flush empties every table, the data migrations' rows included)."""
    from wagtail.models import Collection

    settings.ROOT_URLCONF = "tests.browser.urls"
    if not Collection.objects.exists():
        Collection.add_root(name="Root")
    return site_tree


def pytest_addoption(parser):
    parser.addoption(
        "--screenshots-dir",
        default=None,
        help="Save the browser tests' screenshots here (make screenshots: docs/images); "
        "by default they go to a temporary directory.",
    )


@pytest.fixture(scope="session")
def screenshots_dir(request, tmp_path_factory):
    option = request.config.getoption("--screenshots-dir", default=None)
    if option:
        directory = Path(option).resolve()
        directory.mkdir(parents=True, exist_ok=True)
        return directory
    return tmp_path_factory.mktemp("screenshots")


@pytest.fixture
def page(new_page):
    return new_page()


def pytest_report_header(config):
    reason = chromium_missing_reason()
    if reason:
        return f"browser tests: SKIPPED ({reason})"
    java = shutil.which("java") or "not found"
    return f"browser tests: {CHROMIUM}; java for the Nu Html Checker: {java}"
