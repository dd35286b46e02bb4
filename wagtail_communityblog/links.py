"""Links the package puts in e-mails and pages, built in one place."""

from urllib.parse import urlencode, urljoin

from django.conf import settings
from django.core import signing
from django.shortcuts import resolve_url
from django.urls import reverse

UNSUBSCRIBE_SALT = "wagtail_communityblog.comment_unsubscribe"


def login_url_for(next_url):
    """The site's log-in page, coming back to ``next_url`` afterwards."""
    return f"{resolve_url(settings.LOGIN_URL)}?{urlencode({'next': next_url})}"


def dashboard_url_for(page):
    """The member dashboard's absolute URL on ``page``'s site (for e-mails)."""
    site = page.get_site()
    root_url = site.root_url if site else ""
    return urljoin(root_url + "/", reverse("wagtail_communityblog:dashboard"))


def comment_unsubscribe_url(post, user_id):
    """Absolute one-click link that stops e-mails about new comments on ``post``."""
    site = post.get_site()
    root_url = site.root_url if site else ""
    return urljoin(
        root_url + "/",
        reverse(
            "wagtail_communityblog:comment_unsubscribe",
            kwargs={"token": unsubscribe_token(user_id, post.pk)},
        ),
    )


def unsubscribe_token(user_id, post_id):
    """The signed token of ``comment_unsubscribe_url`` (read back by the unsubscribe view)."""
    return signing.dumps([user_id, post_id], salt=UNSUBSCRIBE_SALT, compress=True)
