"""A second example site on one machine, to see federation between two sites (`make
run-second`, and tests/browser/test_federation_journey.py): the example's development
settings with their own SQLite database (``SECOND_SITE_DB``) and address (``SECOND_SITE_URL``),
federating with private addresses allowed (both sites are on 127.0.0.1, over http)."""

import os

from example.settings.dev import *  # noqa: F403

DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": os.environ.get("SECOND_SITE_DB", str(BASE_DIR / "second.sqlite3")),  # noqa: F405
    }
}
ALLOWED_HOSTS = ["*"]
WAGTAILADMIN_BASE_URL = os.environ.get("SECOND_SITE_URL", "http://127.0.0.1:8001")
WAGTAIL_COMMUNITYBLOG_ACTIVITYPUB = True
WAGTAIL_COMMUNITYBLOG_ACTIVITYPUB_ALLOW_PRIVATE_ADDRESSES = True
ACCOUNT_EMAIL_VERIFICATION = "none"
# Browsers share cookies between ports of one host: the second site's own names keep a log-in
# on one site from logging you out of the other.
SESSION_COOKIE_NAME = "second_sessionid"
CSRF_COOKIE_NAME = "second_csrftoken"
