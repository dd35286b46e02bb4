"""System check W030: ``LOGIN_URL`` must lead to a log-in that the site serves (issue 16: on a
site without sign-up pages every member link led to ``/accounts/login/``, a 404)."""

import pytest
from django.test import override_settings

from wagtail_communityblog.checks import check_login_url


@pytest.mark.parametrize(
    "login_url",
    [
        "account_login",  # django-allauth, by URL name
        "/accounts/login/",  # the same, by path
        "/admin/login/",  # Wagtail's own log-in
        "https://sso.party.example/login",  # single sign-on on another host
    ],
)
def test_a_login_url_the_site_serves_passes(login_url):
    with override_settings(LOGIN_URL=login_url):
        assert check_login_url(None) == []


@pytest.mark.parametrize(
    "login_url, says",
    [
        ("no_such_view", "names no URL of this site"),
        ("/members/sign-in/", "only Wagtail's page tree answers"),
    ],
)
def test_a_login_url_that_leads_nowhere_is_a_warning(login_url, says):
    with override_settings(LOGIN_URL=login_url):
        [warning] = check_login_url(None)

    assert warning.id == "wagtail_communityblog.W030"
    assert says in warning.msg
    assert "LOGIN_URL" in warning.hint
