"""Settings for the peers' benchmark: their apps, on the PostgreSQL server in DATABASE_URL."""

import os
from urllib.parse import urlsplit

url = urlsplit(os.environ["DATABASE_URL"])
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": url.path.lstrip("/"),
        "USER": url.username or "",
        "PASSWORD": url.password or "",
        "HOST": url.hostname or "",
        "PORT": str(url.port or ""),
    }
}
SECRET_KEY = "peers-benchmark-only"  # noqa: S105
USE_TZ = True
INSTALLED_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "vote",
    "star_ratings",
    "peerapp",
]
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"
# django-star-ratings: a vote can be withdrawn ("clear"), as in the plan.
STAR_RATINGS_CLEARABLE = True
STAR_RATINGS_RERATE = True
