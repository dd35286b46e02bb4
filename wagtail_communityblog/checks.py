"""System checks that catch configuration mistakes before they surface as odd behaviour."""

from urllib.parse import urlsplit

from django.apps import apps
from django.conf import settings
from django.core.checks import Error, Tags, Warning, register
from django.db import DatabaseError
from django.shortcuts import resolve_url
from django.urls import NoReverseMatch, Resolver404, resolve
from django.utils.module_loading import import_string

from .conf import (
    MEMBER_DELETION_CHOICES,
    MODERATION_CHOICES,
    RATING_SCHEME_CHOICES,
    app_settings,
)
from .layout import CONTENT_BLOCK, HEAD_BLOCK, block_names
from .models import Rating
from .rating_schemes import SCHEMES


@register()
def check_settings(app_configs, **kwargs):
    errors = []
    if app_settings.ON_MEMBER_DELETE not in MEMBER_DELETION_CHOICES:
        errors.append(
            Error(
                "WAGTAIL_COMMUNITYBLOG_ON_MEMBER_DELETE must be one of "
                f"{', '.join(MEMBER_DELETION_CHOICES)}.",
                id="wagtail_communityblog.E001",
            )
        )
    if not apps.is_installed("wagtail.contrib.routable_page"):
        errors.append(
            Error(
                "wagtail_communityblog needs 'wagtail.contrib.routable_page' in INSTALLED_APPS.",
                hint="Add 'wagtail.contrib.routable_page' to INSTALLED_APPS.",
                id="wagtail_communityblog.E002",
            )
        )
    try:
        per_page = int(app_settings.POSTS_PER_PAGE)
    except (TypeError, ValueError):
        per_page = 0
    if per_page < 1:
        errors.append(
            Error(
                "WAGTAIL_COMMUNITYBLOG_POSTS_PER_PAGE must be a positive integer.",
                id="wagtail_communityblog.E003",
            )
        )
    if app_settings.MODERATION not in MODERATION_CHOICES:
        errors.append(
            Error(
                f"WAGTAIL_COMMUNITYBLOG_MODERATION must be one of {', '.join(MODERATION_CHOICES)}.",
                id="wagtail_communityblog.E004",
            )
        )
    if app_settings.RATING_SCHEME not in RATING_SCHEME_CHOICES:
        errors.append(
            Error(
                "WAGTAIL_COMMUNITYBLOG_RATING_SCHEME must be one of "
                f"{', '.join(RATING_SCHEME_CHOICES)}.",
                id="wagtail_communityblog.E005",
            )
        )
    for name, value in [
        ("HOT_TAU", _number(lambda: app_settings.HOT_TAU)),
        ("BAYES_PRIOR_VOTES", _number(lambda: app_settings.BAYES_PRIOR_VOTES)),
        ("WILSON_Z", _number(lambda: app_settings.WILSON_Z)),
    ]:
        if value is None or value <= 0:
            errors.append(
                Error(
                    f"WAGTAIL_COMMUNITYBLOG_{name} must be a number greater than 0.",
                    id="wagtail_communityblog.E007",
                )
            )
    if not settings.USE_TZ:
        # Votes, ranking times, windows, holds and schedules compare aware datetimes
        # throughout; with naive ones publishing a post would fail.
        errors.append(
            Error(
                "wagtail_communityblog needs USE_TZ = True (Django's default since 5.0).",
                hint="Set USE_TZ = True; TIME_ZONE still sets the time zone pages are shown in.",
                id="wagtail_communityblog.E009",
            )
        )
    errors.extend(_hold_settings_errors())
    return errors


def _hold_settings_errors():
    """The holds' numbers: a bad one would make every detection run, or every vote of an account
    that follows the crowd, fail."""
    errors = []
    rules = [
        ("CLIMB_FACTOR", lambda: app_settings.CLIMB_FACTOR, 0, None, "a number greater than 0"),
        ("CLIMB_MIN_VOTES", lambda: app_settings.CLIMB_MIN_VOTES, -1, None, "0 or more"),
        ("CROWD_MIN_VOTES", lambda: app_settings.CROWD_MIN_VOTES, 0, None, "1 or more"),
        (
            "CROWD_MAX_EARLY_SHARE",
            lambda: app_settings.CROWD_MAX_EARLY_SHARE,
            0,
            1,
            "a share between 0 and 1, e.g. 0.02",
        ),
        ("CROWD_HOLD_MIN_VOTES", lambda: app_settings.CROWD_HOLD_MIN_VOTES, 0, None, "1 or more"),
    ]
    for name, read, above, at_most, expected in rules:
        value = _number(read)
        if value is None or value <= above or (at_most is not None and value > at_most):
            errors.append(
                Error(
                    f"WAGTAIL_COMMUNITYBLOG_{name} must be {expected}.",
                    id="wagtail_communityblog.E008",
                )
            )
    return errors


def _number(read):
    try:
        return float(read())
    except (TypeError, ValueError):
        return None


@register(Tags.database)
def check_rating_scheme_matches_votes(app_configs, databases=None, **kwargs):
    """Refuse a change of rating scheme that would reinterpret the votes already cast.

    Up/down votes keep their meaning when a site moves from "recommend" to "updown"; every
    other change would turn, say, a down vote into a one-star rating. Runs with the database
    checks (``manage.py check --database default``, and before ``migrate``).
    """
    scheme = SCHEMES.get(app_settings.RATING_SCHEME)
    if scheme is None or not databases:
        return []
    try:
        stale = sorted(
            Rating.objects.exclude(scheme__in=scheme.compatible_with)
            .values_list("scheme", flat=True)
            .distinct()
        )
    except DatabaseError:
        return []  # Not migrated yet: nothing to compare.
    if not stale:
        return []
    return [
        Error(
            f"WAGTAIL_COMMUNITYBLOG_RATING_SCHEME is {scheme.name!r}, but the site has votes cast "
            f"under {', '.join(map(repr, stale))}; their values would change meaning.",
            hint=(
                "Set the setting back, or remove those votes (they are Rating rows) and run "
                "communityblog_recompute_scores. Only 'recommend' votes carry over, to 'updown'."
            ),
            id="wagtail_communityblog.E006",
        )
    ]


@register()
def check_comment_settings(app_configs, **kwargs):
    """Comment settings: ``COMMENT_MODERATION`` names a mode (or is ``None``); the numbers are
    numbers."""
    errors = []
    moderation = getattr(settings, "WAGTAIL_COMMUNITYBLOG_COMMENT_MODERATION", None)
    if moderation is not None and moderation not in MODERATION_CHOICES:
        errors.append(
            Error(
                "WAGTAIL_COMMUNITYBLOG_COMMENT_MODERATION must be None (follow MODERATION) or "
                f"one of {', '.join(MODERATION_CHOICES)}.",
                id="wagtail_communityblog.E020",
            )
        )
    for name in ("COMMENT_MAX_DEPTH", "COMMENT_MAX_LENGTH", "COMMENT_HIDE_THRESHOLD"):
        try:
            value = int(getattr(app_settings, name))
        except (TypeError, ValueError):
            value = -1
        if value < 0 or (name == "COMMENT_MAX_LENGTH" and value < 1):
            errors.append(
                Error(
                    f"WAGTAIL_COMMUNITYBLOG_{name} must be a whole number"
                    f"{' greater than 0' if name == 'COMMENT_MAX_LENGTH' else ', 0 or more'}.",
                    id="wagtail_communityblog.E021",
                )
            )
    return errors


@register()
def check_adapter(app_configs, **kwargs):
    """``WAGTAIL_COMMUNITYBLOG_ADAPTER`` names a class that can be imported."""
    path = app_settings.ADAPTER
    try:
        import_string(path)
    except ImportError as error:
        return [
            Error(
                f"WAGTAIL_COMMUNITYBLOG_ADAPTER is {path!r}, which cannot be imported: {error}",
                hint="Give the dotted path of a subclass of "
                "wagtail_communityblog.adapter.DefaultCommunityBlogAdapter.",
                id="wagtail_communityblog.E010",
            )
        ]
    return []


@register(Tags.urls)
def check_login_url(app_configs, **kwargs):
    """``LOGIN_URL`` leads somewhere members can log in: every member link goes there."""
    hint = (
        "Point LOGIN_URL at your site's log-in: 'account_login' with django-allauth, 'login' "
        "with django.contrib.auth.urls, or '/admin/login/' for Wagtail's own. See "
        "docs/tutorial/installation.md, 'Members log in'."
    )
    try:
        target = str(resolve_url(settings.LOGIN_URL))
    except NoReverseMatch:
        problem = "names no URL of this site"
    else:
        url = urlsplit(target)
        if url.scheme or url.netloc:
            return []  # log-in on another host (single sign-on): not ours to check
        try:
            match = resolve(url.path or "/")
        except Resolver404:
            problem = f"is {target!r}, which no URL pattern answers"
        else:
            if match.url_name != "wagtail_serve":
                return []
            problem = (
                f"is {target!r}, which only Wagtail's page tree answers (a 404 unless a page "
                "there logs people in)"
            )
    return [
        Warning(
            f"LOGIN_URL {problem}: members following a log-in link will not find one.",
            hint=hint,
            id="wagtail_communityblog.W030",
        )
    ]


@register(Tags.templates)
def check_base_template(app_configs, **kwargs):
    """``WAGTAIL_COMMUNITYBLOG_BASE_TEMPLATE`` exists and has the blocks the package fills."""
    name = app_settings.BASE_TEMPLATE
    if not name:
        return []
    names = block_names(name)
    if names is None:
        return [
            Error(
                f"WAGTAIL_COMMUNITYBLOG_BASE_TEMPLATE is {name!r}, which no template loader finds.",
                hint="Name your site's base template as {% extends %} would, e.g. 'base.html'.",
                id="wagtail_communityblog.E030",
            )
        ]
    messages = []
    if CONTENT_BLOCK not in names:
        messages.append(
            Error(
                f"The base template {name!r} has no {{% block {CONTENT_BLOCK} %}}: the "
                "package's pages would render empty.",
                hint=f"Add {{% block {CONTENT_BLOCK} %}}{{% endblock %}} where the main content "
                "goes, or give the package a template of its own that has it.",
                id="wagtail_communityblog.E031",
            )
        )
    if HEAD_BLOCK not in names:
        messages.append(
            Warning(
                f"The base template {name!r} has no {{% block {HEAD_BLOCK} %}} in its <head>: "
                "feed autodiscovery links, posts' meta descriptions, canonical links and what "
                "shared links show (Open Graph, Twitter cards, JSON-LD) are left out (the "
                "package's stylesheet and scripts still arrive, in the content).",
                hint=f"Add {{% block {HEAD_BLOCK} %}}{{% endblock %}} inside <head>.",
                id="wagtail_communityblog.W031",
            )
        )
    return messages


PER_PROCESS_CACHES = {
    "django.core.cache.backends.locmem.LocMemCache": "keeps its entries in each process",
    "django.core.cache.backends.dummy.DummyCache": "keeps nothing",
}
IN_REQUEST_TASK_BACKENDS = {
    "ImmediateBackend": "runs every task inside the request that queues it",
    "DummyBackend": "never runs the tasks it is given",
}


@register(Tags.caches, deploy=True)
def check_shared_cache(app_configs, **kwargs):
    """In production the cache must be shared by every app server: rate limits, the promoted
    block's cache and its generation live there."""
    if settings.DEBUG:
        return []
    aliases = {"default"} | {getattr(settings, "RATELIMIT_USE_CACHE", "default")}
    messages = []
    for alias in sorted(aliases):
        backend = settings.CACHES.get(alias, {}).get("BACKEND", "")
        if backend in PER_PROCESS_CACHES:
            messages.append(
                Warning(
                    f"The {alias!r} cache ({backend.rsplit('.', 1)[-1]}) "
                    f"{PER_PROCESS_CACHES[backend]}: with several app servers or workers, "
                    "rate limits are counted per process (each member gets the limit once per "
                    "process) and the promoted blocks' cache is not invalidated everywhere.",
                    hint="Use a cache every app server shares, e.g. Redis through django-redis "
                    "('django_redis.cache.RedisCache'). See docs/how-to/deploy.md.",
                    id="wagtail_communityblog.W040",
                )
            )
    if raises_when_down(settings.CACHES.get("default", {})):
        messages.append(
            Warning(
                "The default cache raises an error whenever Redis cannot be reached: while "
                "Redis restarts, every page of the site (Wagtail reads this cache on each "
                "request) answers 500.",
                hint="Use django-redis with OPTIONS {'IGNORE_EXCEPTIONS': True}: pages are "
                "then rendered from the database during the outage, and members' writes are "
                "refused with 503 until the rate limits can count again. See "
                "docs/how-to/deploy.md#when-redis-is-down.",
                id="wagtail_communityblog.W042",
            )
        )
    return messages


def raises_when_down(config):
    """Is this a Redis cache that raises, rather than misses, when Redis is unreachable?"""
    backend = config.get("BACKEND", "")
    if backend == "django.core.cache.backends.redis.RedisCache":
        return True
    if backend == "django_redis.cache.RedisCache":
        ignoring = config.get("OPTIONS", {}).get("IGNORE_EXCEPTIONS")
        return not (ignoring or getattr(settings, "DJANGO_REDIS_IGNORE_EXCEPTIONS", False))
    return False


@register(deploy=True)
def check_task_backend(app_configs, **kwargs):
    """In production the package's e-mails (to authors, followers of a discussion, members
    an editor acted on) are sent by a worker, not in the request that queues them."""
    if settings.DEBUG:
        return []
    tasks = getattr(settings, "TASKS", {}) or {}
    backend = tasks.get("default", {}).get(
        "BACKEND", "django_tasks.backends.immediate.ImmediateBackend"
    )
    kind = backend.rsplit(".", 1)[-1]
    if kind not in IN_REQUEST_TASK_BACKENDS:
        return []
    return [
        Warning(
            f"The task backend ({kind}) {IN_REQUEST_TASK_BACKENDS[kind]}: "
            + (
                "a vote, a comment or an editor's decision waits for the mail server, and "
                "fails when it is down."
                if kind == "ImmediateBackend"
                else "members' e-mails are never sent."
            ),
            hint="Use a queued backend with a worker process, e.g. the database backend "
            "('django_tasks_db.DatabaseBackend' from django-tasks-db, or "
            "'django_tasks.backends.database.DatabaseBackend' with django-tasks before 0.9) "
            "and `manage.py db_worker`. See docs/how-to/deploy.md.",
            id="wagtail_communityblog.W041",
        )
    ]


@register(Tags.urls)
def check_activitypub(app_configs, **kwargs):
    """With federation on, other servers can find the actors (WebFinger at the site's root)
    and the ids they remember are on the public https address."""
    if not app_settings.ACTIVITYPUB:
        return []
    messages = []
    try:
        match = resolve("/.well-known/webfinger")
    except Resolver404:
        match = None
    if match is None or match.url_name != "wagtail_communityblog_webfinger":
        messages.append(
            Warning(
                "WAGTAIL_COMMUNITYBLOG_ACTIVITYPUB is on but /.well-known/webfinger is not the "
                "package's: other servers cannot find the members' blogs.",
                hint='Add path("", include("wagtail_communityblog.activitypub_urls")) to your '
                "root URLconf, before Wagtail's include(wagtail_urls).",
                id="wagtail_communityblog.W050",
            )
        )
    base = getattr(settings, "WAGTAILADMIN_BASE_URL", "") or ""
    if not settings.DEBUG and not base.startswith("https://"):
        messages.append(
            Warning(
                f"WAGTAIL_COMMUNITYBLOG_ACTIVITYPUB is on and WAGTAILADMIN_BASE_URL is {base!r}: "
                "the actors' ids are built on it, and other servers remember them (an id that "
                "changes is a new account to them; most servers refuse http).",
                hint="Set WAGTAILADMIN_BASE_URL to the site's public https address before "
                "federating.",
                id="wagtail_communityblog.W051",
            )
        )
    if not settings.DEBUG and app_settings.ACTIVITYPUB_ALLOW_PRIVATE_ADDRESSES:
        messages.append(
            Warning(
                "WAGTAIL_COMMUNITYBLOG_ACTIVITYPUB_ALLOW_PRIVATE_ADDRESSES is on with DEBUG off: "
                "any server can make this site fetch from (and post to) addresses on its own "
                "network, over plain http.",
                hint="Turn it off on a public site; it is for two sites on one machine and tests.",
                id="wagtail_communityblog.W052",
            )
        )
    return messages
