"""Production settings. Everything secret or site-specific comes from the environment:

- ``SECRET_KEY`` (required): a long random string.
- ``ALLOWED_HOSTS`` (required): comma-separated host names, e.g. ``www.example.org``.
- ``DATABASE_URL``: e.g. ``postgres://user:password@db:5432/site`` (SQLite if unset).
- ``CSRF_TRUSTED_ORIGINS``: comma-separated origins, e.g. ``https://www.example.org``.
- ``WAGTAILADMIN_BASE_URL``: the public base URL, for links in e-mails.
- ``EMAIL_URL``-style settings are not used; set ``EMAIL_HOST``, ``EMAIL_PORT``,
  ``EMAIL_HOST_USER``, ``EMAIL_HOST_PASSWORD`` and ``DEFAULT_FROM_EMAIL``.
- ``FRONTEND_CACHE_URL``: the caching proxy to purge, e.g. ``http://127.0.0.1:6081``.
- ``SECURE_COOKIES``: ``false`` only for plain HTTP on loopback (the stack of scripts/stack.py).
- ``CACHE_URL`` (required): ``redis://host:6379/0``, the cache every app server shares (rate
  limits and the promoted blocks' cache live there; a per-process cache would count each
  member's limit once per process).

Tasks (members' e-mails) are queued in the database by django-tasks-db and run by its worker,
``manage.py db_worker``; the periodic jobs are run by ``manage.py communityblog_scheduler``.
See docs/how-to/deploy.md.
"""

import os
from importlib import metadata

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403


def _required(name):
    value = os.environ.get(name)
    if not value:
        raise ImproperlyConfigured(f"Set the {name} environment variable.")
    return value


DEBUG = False

# Serve static files from the app server (collected with ``collectstatic``).
MIDDLEWARE.insert(  # noqa: F405
    MIDDLEWARE.index("django.middleware.security.SecurityMiddleware") + 1,  # noqa: F405
    "whitenoise.middleware.WhiteNoiseMiddleware",
)
# Each process keeps its database connection (checked at the start of each request): a new
# connection per request cost PostgreSQL four times the CPU under load (docs/performance.md).
DATABASES["default"]["CONN_MAX_AGE"] = int(  # noqa: F405
    os.environ.get("DATABASE_CONN_MAX_AGE", "60")
)

# 503 with Retry-After, not 500, while PostgreSQL restarts (docs/how-to/deploy.md).
MIDDLEWARE.append("wagtail_communityblog.middleware.DatabaseUnavailableMiddleware")  # noqa: F405
SECRET_KEY = _required("SECRET_KEY")
ALLOWED_HOSTS = [host.strip() for host in _required("ALLOWED_HOSTS").split(",") if host.strip()]
CSRF_TRUSTED_ORIGINS = [
    origin.strip()
    for origin in os.environ.get("CSRF_TRUSTED_ORIGINS", "").split(",")
    if origin.strip()
]

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# Readers who are not logged in are rate limited by address (following by e-mail): the one
# the proxy saw, not the proxy's own.
RATELIMIT_IP_META_KEY = "example.client_ip.client_ip"
SECURE_SSL_REDIRECT = os.environ.get("SECURE_SSL_REDIRECT", "true").lower() == "true"
SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", str(60 * 60 * 24 * 365)))
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_CONTENT_TYPE_NOSNIFF = True
# Only over HTTPS; SECURE_COOKIES=false for a stack on loopback over plain HTTP (scripts/stack.py).
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = (
    os.environ.get("SECURE_COOKIES", "true").lower() == "true"
)
X_FRAME_OPTIONS = "DENY"

STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")
EMAIL_FILE_PATH = os.environ.get("EMAIL_FILE_PATH")  # for the file-based backend
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = os.environ.get("EMAIL_USE_TLS", "false").lower() == "true"

CACHE_URL = _required("CACHE_URL")
if not CACHE_URL.startswith(("redis://", "rediss://", "unix://")):
    raise ImproperlyConfigured("CACHE_URL must be a Redis URL, e.g. redis://127.0.0.1:6379/0.")
CACHES = {
    "default": {
        # django-redis rather than Django's own Redis backend: while Redis restarts it misses
        # instead of raising, so pages are rendered from the database (and the log says so),
        # and the package refuses members' writes with 503 until the rate limits count again.
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": CACHE_URL,
        "OPTIONS": {
            "IGNORE_EXCEPTIONS": True,
            # A Redis that is gone must not hold a request for long.
            "SOCKET_CONNECT_TIMEOUT": 0.5,
            "SOCKET_TIMEOUT": 0.5,
        },
    }
}
DJANGO_REDIS_LOG_IGNORED_EXCEPTIONS = True

# Errors and warnings to standard error, where the process manager (systemd, the stack of
# scripts/stack.py) keeps them: a request that failed, the cache or the database unreachable.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"},
    },
    # django-redis logs each error it ignores, with its traceback: one every ten seconds.
    "filters": {"now_and_then": {"()": "example.log_filters.NowAndThen"}},
    "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "loggers": {"django_redis.cache": {"filters": ["now_and_then"]}},
    "root": {"handlers": ["stderr"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
}
# A caching proxy in front (Varnish, nginx, a CDN): Wagtail purges it when pages change, and
# the package when what its pages show changes (docs/how-to/deploy.md#caching-proxy).
if os.environ.get("FRONTEND_CACHE_URL"):
    INSTALLED_APPS += ["wagtail.contrib.frontend_cache"]  # noqa: F405
    WAGTAILFRONTENDCACHE = {
        "proxy": {
            "BACKEND": "wagtail.contrib.frontend_cache.backends.HTTPBackend",
            "LOCATION": os.environ["FRONTEND_CACHE_URL"],
        }
    }

# Sessions in the database, read through the shared cache.
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"

# Tasks queued in the database, run by `manage.py db_worker`. Since django-tasks 0.9 the
# database backend is a package of its own (django-tasks-db); Wagtail 7.0 brings django-tasks
# 0.7, which has it built in.
DJANGO_TASKS = tuple(int(part) for part in metadata.version("django-tasks").split(".")[:2])
if DJANGO_TASKS >= (0, 9):
    INSTALLED_APPS += ["django_tasks_db"]  # noqa: F405
    TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
else:
    INSTALLED_APPS += ["django_tasks", "django_tasks.backends.database"]  # noqa: F405
    TASKS = {"default": {"BACKEND": "django_tasks.backends.database.DatabaseBackend"}}

ACCOUNT_EMAIL_VERIFICATION = os.environ.get("ACCOUNT_EMAIL_VERIFICATION", "mandatory")

# A task worker killed while sending an e-mail leaves it to be sent again after this long.
WAGTAIL_COMMUNITYBLOG_EMAIL_CLAIM_SECONDS = int(os.environ.get("EMAIL_CLAIM_SECONDS", "300"))
