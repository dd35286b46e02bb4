"""A second example site on loopback, for the federation journey
(test_federation_journey.py): the example's development settings with their own SQLite
database and address, federating with private addresses allowed (both sites are on
127.0.0.1 over http)."""

import os

from example.settings.dev import *  # noqa: F403

DATABASES = {
    "default": {"ENGINE": "django.db.backends.sqlite3", "NAME": os.environ["SECOND_SITE_DB"]}
}
ALLOWED_HOSTS = ["*"]
WAGTAILADMIN_BASE_URL = os.environ["SECOND_SITE_URL"]
WAGTAIL_COMMUNITYBLOG_ACTIVITYPUB = True
WAGTAIL_COMMUNITYBLOG_ACTIVITYPUB_ALLOW_PRIVATE_ADDRESSES = True
ACCOUNT_EMAIL_VERIFICATION = "none"
