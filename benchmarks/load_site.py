"""The load test's side inside the site (run by benchmarks/load.py with the stack's settings).

    python benchmarks/load_site.py setup --members 1000 --out plan.json
    python benchmarks/load_site.py check --plan plan.json --votes votes.jsonl --out check.json

``setup`` makes the accounts the load test votes with (members who joined 60 days ago, so their
votes count; one password hash shared by all, as hashing a thousand passwords would take
minutes) and a logged-in session and CSRF token for each, as logging in and a first page view
make them; and lists the URLs the readers visit. ``check`` answers, once the load is over,
what the issue asks: does every post's stored score equal a recompute from the votes, does
every member's last answered vote stand in the database, and what did the task worker do.
"""

import argparse
import json
import os
import sys
from collections import Counter
from datetime import timedelta
from importlib import import_module
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "example_site")]


def setup_django():
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "example.settings.production")
    django.setup()


def sessions_for(users):
    """A session (as ``django.contrib.auth.login`` stores it) and a CSRF cookie and masked
    token (as the first page with a form sets them) for each user."""
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.middleware.csrf import get_token
    from django.test import RequestFactory

    store = import_module(settings.SESSION_ENGINE).SessionStore
    factory = RequestFactory()
    backend = settings.AUTHENTICATION_BACKENDS[0]
    for user in users:
        session = store()
        session[SESSION_KEY] = str(user.pk)
        session[BACKEND_SESSION_KEY] = backend
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        session.create()
        request = factory.get("/")
        token = get_token(request)
        yield {
            "id": user.pk,
            "cookies": {
                settings.SESSION_COOKIE_NAME: session.session_key,
                settings.CSRF_COOKIE_NAME: request.META["CSRF_COOKIE"],
            },
            "csrf": token,
        }


def setup(options):
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password
    from django.urls import reverse
    from django.utils import timezone

    from wagtail_communityblog.models import CommunityIndexPage, CommunityPostPage, MemberBlogPage

    User = get_user_model()
    joined = timezone.now() - timedelta(days=60)
    shared_hash = make_password(options.password)
    names = [f"load{n:05d}" for n in range(options.members)]
    User.objects.bulk_create(
        [
            User(
                username=name, email=f"{name}@example.org", password=shared_hash, date_joined=joined
            )
            for name in [*names, "loadlimit"]
        ],
        ignore_conflicts=True,
    )
    members = list(User.objects.filter(username__in=names).order_by("username"))
    posts = list(CommunityPostPage.objects.live().public().order_by("pk"))
    community = CommunityIndexPage.objects.live().first()
    blogs = MemberBlogPage.objects.live().order_by("pk")
    tags = sorted({tag.slug for post in posts[:60] for tag in post.tags.all()})
    plan = {
        "members": list(sessions_for(members)),
        "limit_member": {"username": "loadlimit", "password": options.password},
        "posts": [
            {
                "id": post.pk,
                "url": post.get_url(),
                "rate": reverse("wagtail_communityblog:rate", kwargs={"post_id": post.pk}),
                "comment": reverse(
                    "wagtail_communityblog:comment_create", kwargs={"post_id": post.pk}
                ),
                "flag": reverse("wagtail_communityblog:flag", kwargs={"post_id": post.pk}),
            }
            for post in posts
        ],
        "community": community.get_url(),
        "blogs": [blog.get_url() for blog in blogs],
        "tags": [f"{community.get_url()}tag/{slug}/" for slug in tags],
        "login": reverse("account_login"),
    }
    # The viral post: one from the middle of the pack, which the spike's votes carry up.
    plan["spike"] = plan["posts"][len(posts) // 2]
    Path(options.out).write_text(json.dumps(plan))
    print(f"{len(members)} members with sessions, {len(posts)} posts, {len(tags)} tags")


def check(options):
    from django.db.models import Count

    from wagtail_communityblog.models import EmailDelivery, Rating
    from wagtail_communityblog.services.ratings import recompute_all

    plan = json.loads(Path(options.plan).read_text())
    # Every member's votes, as the load test saw them answered: the last answered value of
    # each (member, post) must be in the database, unless a later request's outcome is unknown
    # (a connection dropped by a fault), when that request's value may stand instead.
    expected = {}
    for line in Path(options.votes).read_text().splitlines():
        vote = json.loads(line)
        key = (vote["member"], vote["post"])
        allowed = expected.setdefault(key, {"last": None, "unknown": set()})
        if vote["outcome"] == "answered":
            allowed["last"], allowed["unknown"] = vote["value"], set()
        elif vote["outcome"] == "unknown":
            allowed["unknown"].add(vote["value"])
    stored = {
        (user_id, post_id): value
        for user_id, post_id, value in Rating.objects.filter(
            user_id__in=[member["id"] for member in plan["members"]]
        ).values_list("user_id", "post_id", "value")
    }
    lost = doubled = uncertain = 0
    for key, allowed in expected.items():
        value = stored.get(key, 0)
        if value == (allowed["last"] or 0):
            continue
        if value in allowed["unknown"] or (value == 0 and 0 in allowed["unknown"]):
            uncertain += 1
            continue
        lost += 1
    # A doubled vote is a second row for one member and post, or a counter that counted twice.
    doubled = (
        Rating.objects.values("user_id", "post_id")
        .annotate(rows=Count("pk"))
        .filter(rows__gt=1)
        .count()
    )
    _posts, drifted = recompute_all()
    result = {
        "votes_checked": len(expected),
        "votes_lost": lost,
        "votes_unknown_outcome": uncertain,
        "duplicate_rating_rows": doubled,
        "posts_with_drifted_scores": len(drifted),
        "tasks": task_summary(),
        "deliveries": dict(Counter(EmailDelivery.objects.values_list("status", flat=True))),
        "sent_delivery_ids": list(
            EmailDelivery.objects.filter(status=EmailDelivery.SENT).values_list("pk", flat=True)
        ),
    }
    Path(options.out).write_text(json.dumps(result))
    print(json.dumps({k: v for k, v in result.items() if k != "sent_delivery_ids"}, indent=2))


def task_summary():
    """The queued tasks by name and status (django-tasks' database backend)."""
    try:
        from django_tasks_db.models import DBTaskResult
    except ImportError:
        from django_tasks.backends.database.models import DBTaskResult
    counts = Counter(
        (path.rsplit(".", 1)[-1], status)
        for path, status in DBTaskResult.objects.values_list("task_path", "status")
    )
    return {f"{name} {status}": count for (name, status), count in sorted(counts.items())}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    make = commands.add_parser("setup")
    make.add_argument("--members", type=int, default=1000)
    make.add_argument("--password", default="load-test-password")
    make.add_argument("--out", required=True)
    verify = commands.add_parser("check")
    verify.add_argument("--plan", required=True)
    verify.add_argument("--votes", required=True)
    verify.add_argument("--out", required=True)
    options = parser.parse_args()
    setup_django()
    {"setup": setup, "check": check}[options.command](options)


if __name__ == "__main__":
    main()
