"""Local development: debug on, e-mail printed to the console."""

import os

from .base import *  # noqa: F403

DEBUG = True
SECRET_KEY = "django-insecure-example-site-only-for-local-development"  # noqa: S105
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "[::1]"]
EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"

# Federation (docs/how-to/activitypub.md): on, so the demo shows it; `make run-second` serves a
# second site on 127.0.0.1:8001 to federate with. Private addresses (both sites are on
# 127.0.0.1, over http) are allowed only here, with DEBUG on.
WAGTAIL_COMMUNITYBLOG_ACTIVITYPUB = os.environ.get("ACTIVITYPUB", "1") == "1"
WAGTAIL_COMMUNITYBLOG_ACTIVITYPUB_ALLOW_PRIVATE_ADDRESSES = True
