"""Fixtures both browser suites use (tests/browser/ on the example site, tests/outsider/ on a
site built from the wheel), registered for both by ``pytest_plugins`` in tests/conftest.py."""

import pytest

from tests.browser.support import Checker, NuValidator


@pytest.fixture(scope="session")
def nu_validator(tmp_path_factory):
    validator = NuValidator(tmp_path_factory.mktemp("vnu"))
    yield validator
    validator.stop()


@pytest.fixture
def check(nu_validator):
    """``check(page, "what")``: axe-core and the HTML validator on the page as it is now."""
    return Checker(nu_validator)


@pytest.fixture(scope="session")
def browser_timeout():
    """Milliseconds a browser action or expectation waits (a suite may override it)."""
    return 10_000


@pytest.fixture
def new_page(new_context, browser_timeout):
    """``new_page()``: a page in a new browser context (a new reader with their own cookies);
    ``new_page(java_script_enabled=False)`` for a reader without JavaScript."""

    def make(**context_args):
        context = new_context(**context_args)
        context.set_default_timeout(browser_timeout)
        return context.new_page()

    return make
