"""The journeys in a site we did not write: run by ``scripts/outsider_site.py`` (``make
test-outsider``), which builds the wheel, makes the site with ``wagtail start``, follows the
tutorial and serves it; these tests then drive it in Chromium from the outside, through HTTP
only. They are marked ``outsider`` and left out of every other run.

The site is one, shared by the tests in file order: an editor creates the community section,
members write and vote, the editor curates. ``site_shell`` runs Python in the site's own
virtualenv and settings (accounts, ids), as its web team would with ``manage.py shell``.
"""

import os
import subprocess
from pathlib import Path

import pytest

from tests.browser.support import chromium_launch_args, chromium_missing_reason

HERE = Path(__file__).resolve().parent


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    for item in items:
        if HERE in Path(str(item.fspath)).resolve().parents:
            item.add_marker(pytest.mark.outsider)


@pytest.fixture(scope="session")
def outsider_url():
    url = os.environ.get("OUTSIDER_URL")
    if not url or not os.environ.get("OUTSIDER_SITE"):
        pytest.fail("tests/outsider/ runs against a served site: python scripts/outsider_site.py")
    reason = chromium_missing_reason()
    if reason:
        pytest.fail(reason)
    return url


@pytest.fixture(scope="session")
def site_shell(outsider_url):
    """``site_shell(code)``: run ``code`` in the outsider site's ``manage.py shell``; its
    printed output, stripped."""

    def run(code):
        result = subprocess.run(
            [os.environ["OUTSIDER_PYTHON"], "manage.py", "shell", "-v", "0", "-c", code],
            cwd=os.environ["OUTSIDER_SITE"],
            env={**os.environ, "DJANGO_SETTINGS_MODULE": "outsider.settings.served"},
            capture_output=True,
            text=True,
            check=False,
        )
        assert result.returncode == 0, result.stderr
        return result.stdout.strip()

    return run


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return chromium_launch_args(browser_type_launch_args)


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args, outsider_url):
    return {
        **browser_context_args,
        "base_url": outsider_url,
        "viewport": {"width": 1200, "height": 800},
        "locale": "en-GB",
        "reduced_motion": "reduce",
    }


@pytest.fixture(scope="session")
def browser_timeout():
    """The admin's pages of a site served by gunicorn take longer than the example's."""
    return 15_000
