"""Links the package puts in e-mails and pages, built in one place."""

import uuid
from urllib.parse import urlencode, urljoin

from django.conf import settings
from django.core import signing
from django.shortcuts import resolve_url
from django.urls import reverse

UNSUBSCRIBE_SALT = "wagtail_communityblog.comment_unsubscribe"


def login_url_for(next_url):
    """The site's log-in page, coming back to ``next_url`` afterwards."""
    return f"{resolve_url(settings.LOGIN_URL)}?{urlencode({'next': next_url})}"


def site_root_url(page):
    """The address e-mails link to for ``page``, without a trailing slash.

    On the default site, ``WAGTAILADMIN_BASE_URL`` when it is set: the site's public address,
    which Wagtail's own e-mails use too (a fresh site's ``Site`` record says
    ``http://localhost``). On any other site of a multi-site install, and when the setting is
    not set, the page's ``Site`` record (its hostname and port).
    """
    site = page.get_site()
    base = getattr(settings, "WAGTAILADMIN_BASE_URL", "") or ""
    if base and (site is None or site.is_default_site):
        return base.rstrip("/")
    return site.root_url.rstrip("/") if site else base.rstrip("/")


def absolute_url(page, path):
    """``path`` (a URL path on ``page``'s site) as an absolute URL for e-mails."""
    return urljoin(site_root_url(page) + "/", path)


def page_full_url(page):
    """``page``'s absolute URL for e-mails (``Page.full_url``, on ``site_root_url``)."""
    parts = page.get_url_parts()
    if parts is None:
        return ""
    _site_id, _root_url, path = parts
    return absolute_url(page, path)


def dashboard_url_for(page):
    """The member dashboard's absolute URL on ``page``'s site (for e-mails)."""
    return absolute_url(page, reverse("wagtail_communityblog:dashboard"))


def one_click_unsubscribe(url):
    """The headers of an e-mail that ``url`` unsubscribes from with one click (RFC 2369 and
    RFC 8058): mail clients then offer their own "Unsubscribe" button, which POSTs to it."""
    return {
        "List-Unsubscribe": f"<{url}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }


def comment_unsubscribe_url(post, user_id):
    """Absolute one-click link that stops e-mails about new comments on ``post``."""
    return absolute_url(
        post,
        reverse(
            "wagtail_communityblog:comment_unsubscribe",
            kwargs={"token": unsubscribe_token(user_id, post.pk)},
        ),
    )


def unsubscribe_token(user_id, post_id):
    """The signed token of ``comment_unsubscribe_url`` (read back by the unsubscribe view)."""
    return signing.dumps([json_key(user_id), post_id], salt=UNSUBSCRIBE_SALT, compress=True)


def json_key(value):
    """A key as JSON holds it (a signed token, the e-mail outbox): a ``UUIDField`` key, which a
    site's user model may have, as its text, which the ORM takes back in a lookup."""
    return str(value) if isinstance(value, uuid.UUID) else value
