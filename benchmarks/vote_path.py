"""Vote-path benchmark: the package's vote service next to a raw-SQL upper bound.

W writer threads (each its own database connection) replay one fixed, seeded plan of N vote
actions (cast, change, withdraw) on P published posts through
``wagtail_communityblog.services.ratings.rate_post`` and, in the same run, on the same tables,
through a hand-written raw-SQL transaction per vote (the upper bound; see ``RawVoter``). After
each of them the stored aggregates are checked against a recompute from the ``Rating`` rows and
against a sequential replay of the plan (0 lost, 0 doubled). Each figure is the median of
``--runs`` runs with min and max; the service/raw ratio is taken within each run.

    .venv/bin/python benchmarks/vote_path.py                  # PostgreSQL and SQLite
    .venv/bin/python benchmarks/vote_path.py --db postgres --runs 5

Each database runs in its own child process (Django's settings are per process). Without a
PostgreSQL ``DATABASE_URL`` in the environment, the PostgreSQL child is started under
``scripts/pg_cluster.sh run`` (a throwaway cluster, deleted afterwards). Either way the
benchmark migrates a fresh ``test_*`` database of its own and drops it at the end.
See benchmarks/README.md and docs/performance.md.
"""

import argparse
import json
import os
import platform
import queue
import random
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_JSON = ROOT / "benchmarks" / "results" / "vote_path.json"
LOCK_RETRIES = 10  # as services/ratings.py
# What the lost-update check counts (check_consistency), summed over the runs.
CHECK_COUNTS = (
    "lost",
    "doubled",
    "drifted_posts",
    "posts_off_plan",
    "ranking_columns_off",
    "duplicate_rows",
    "missing_rows",
    "extra_rows",
    "wrong_values",
)
# The floor of an HTTP vote writes no vote: nothing to check.
NO_VOTES_CHECKED = dict.fromkeys(CHECK_COUNTS, 0) | {"clean": True}
VALUES = (1, 1, -1, 0)  # the value of each action: up twice as often as down; 0 withdraws
DB_LABELS = {"postgres": "PostgreSQL", "sqlite": "SQLite"}
TARGET_RATIO = 0.5
# One gunicorn worker per CPU: benchmarks/README.md, "The vote path over HTTP".
DEFAULT_HTTP_WORKERS = os.cpu_count() or 2

# --- command line and the parent process ---------------------------------------------------------


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description="Vote-path benchmark: rate_post() vs a raw-SQL upper bound, same run.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("--db", choices=["postgres", "sqlite", "both"], default="both")
    parser.add_argument("--writers", type=int, default=8, help="writer threads (connections)")
    parser.add_argument(
        "--mode",
        choices=["threads", "processes"],
        default="threads",
        help="writers as threads of one process (one GIL), or as forked processes",
    )
    parser.add_argument("--votes", type=int, default=3000, help="vote actions per run")
    parser.add_argument(
        "--sqlite-votes",
        type=int,
        default=None,
        help="vote actions per run on SQLite (default: same as --votes)",
    )
    parser.add_argument("--posts", type=int, default=1000, help="published posts")
    parser.add_argument("--blogs", type=int, default=20, help="member blogs the posts are in")
    parser.add_argument("--voters", type=int, default=2000, help="voter accounts")
    parser.add_argument(
        "--revisit",
        type=float,
        default=0.5,
        help="chance that an action targets a post the voter already acted on "
        "(changes and withdrawals)",
    )
    parser.add_argument(
        "--skew",
        type=float,
        default=0.0,
        help="Zipf exponent of post popularity (0 = uniform; 1 = a few hot posts)",
    )
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument(
        "--anatomy",
        type=int,
        default=500,
        help="actions replayed on one thread to count and time the queries of each vote "
        "(0: no anatomy)",
    )
    parser.add_argument(
        "--profile",
        action="store_true",
        help="also cProfile the service on one thread (saved next to the JSON results)",
    )
    parser.add_argument(
        "--on-loaded",
        action="store_true",
        help="run on the data set already in DATABASE_URL (benchmarks/scale.py loads it): "
        "--posts of its posts, --voters new accounts; only their votes are reset and checked",
    )
    parser.add_argument(
        "--http",
        action="store_true",
        help="also vote through the HTTP endpoint (wagtail_communityblog:rate) served by gunicorn "
        "worker processes (benchmarks/http_server.py), one HTTP client per writer, each voter "
        "logged in with its own session and CSRF token",
    )
    parser.add_argument(
        "--http-workers",
        type=int,
        default=DEFAULT_HTTP_WORKERS,
        help="gunicorn sync worker processes serving --http",
    )
    parser.add_argument(
        "--peers",
        action="store_true",
        help="also run django-vote and django-star-ratings (benchmarks/peers.py, in their own "
        "virtualenv, benchmarks/.venv-peers, made on first use) on the same PostgreSQL server",
    )
    parser.add_argument("--json", type=Path, default=DEFAULT_JSON, help="where to write results")
    parser.add_argument("--settings", default="benchmarks.settings", help="Django settings module")
    parser.add_argument("--child-out", type=Path, help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def forwarded_args(args, db):
    out = ["--db", db, "--writers", str(args.writers), "--mode", args.mode]
    out += ["--posts", str(args.posts)]
    votes = args.sqlite_votes if db == "sqlite" and args.sqlite_votes else args.votes
    out += ["--votes", str(votes)]
    out += ["--blogs", str(args.blogs), "--voters", str(args.voters)]
    out += ["--revisit", str(args.revisit), "--skew", str(args.skew), "--runs", str(args.runs)]
    out += ["--seed", str(args.seed), "--anatomy", str(args.anatomy), "--settings", args.settings]
    out += ["--json", str(args.json)]
    if args.profile:
        out.append("--profile")
    if args.on_loaded:
        out.append("--on-loaded")
    if args.http:
        out += ["--http", "--http-workers", str(args.http_workers)]
    return out


def run_child(args, db, out_path):
    command = [sys.executable, str(Path(__file__).resolve()), *forwarded_args(args, db)]
    command += ["--child-out", str(out_path)]
    env = dict(os.environ)
    if db == "sqlite":
        env.pop("DATABASE_URL", None)
    elif args.on_loaded:
        if not env.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")):
            raise SystemExit("--on-loaded needs DATABASE_URL pointing at the loaded data set")
    elif not env.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")):
        command = ["bash", str(ROOT / "scripts" / "pg_cluster.sh"), "run", "--", *command]
    log(f"[{db}] {' '.join(command)}")
    return subprocess.run(command, env=env, cwd=ROOT).returncode


def parent_main(args):
    dbs = ["postgres", "sqlite"] if args.db == "both" else [args.db]
    if args.on_loaded:
        dbs = ["postgres"]
    state = git_state()  # what is measured: the tree as the children import it
    results, failed = [], []
    with tempfile.TemporaryDirectory(prefix="vote-path-") as tmp:
        for db in dbs:
            out_path = Path(tmp) / f"{db}.json"
            rc = run_child(args, db, out_path)
            if rc != 0 or not out_path.exists():
                failed.append(f"{db} (exit {rc})")
                continue
            results.append(json.loads(out_path.read_text()))
    peers = None
    if args.peers:
        peers = run_peers(args)
        for result in results:
            if result["db"] == "postgres":
                result["peers"] = peers
    if results:
        if git_state() != state:
            state["changed_during_the_run"] = True
            log("warning: the package's files changed while the benchmark ran")
        dirty = state["package_uncommitted_changes"]
        print(
            f"\ncommit {(state['head'] or '?')[:12]}"
            + (f" with uncommitted package changes in {', '.join(dirty)}" if dirty else "")
            + f"; {' '.join(['python', *sys.argv])}\n"
        )
        for result in results:
            print(format_report(result))
            print()
        args.json.parent.mkdir(parents=True, exist_ok=True)
        payload = {
            "benchmark": "vote_path",
            "command": " ".join([Path(sys.executable).name, *sys.argv]),
            "git": state,
            "results": results,
        }
        args.json.write_text(json.dumps(payload, indent=2) + "\n")
        print(f"JSON results: {args.json}")
    if failed:
        print("FAILED: " + ", ".join(failed), file=sys.stderr)
        return 1
    bad = [r["db"] for r in results if not all(run["clean"] for run in r["all_runs"])]
    if bad:
        print("Consistency check FAILED on: " + ", ".join(bad), file=sys.stderr)
        return 2
    return 0


def run_peers(args):
    """django-vote and django-star-ratings on the same plan, in their own virtualenv."""
    venv = ROOT / "benchmarks" / ".venv-peers"
    python = venv / "bin" / "python"
    if not python.exists():
        log(f"creating {venv} for the peers ...")
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    # pip is a no-op when they are there already.
    done = subprocess.run(
        [
            str(python),
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "-r",
            str(ROOT / "benchmarks" / "peers" / "requirements.txt"),
        ],
        cwd=ROOT,
    )
    if done.returncode != 0:
        return {"error": "could not install the peers (see the output above)"}
    with tempfile.TemporaryDirectory(prefix="vote-peers-") as tmp:
        out_path = Path(tmp) / "peers.json"
        command = [str(python), str(ROOT / "benchmarks" / "peers" / "run.py")]
        command += ["--writers", str(args.writers), "--votes", str(args.votes)]
        command += ["--posts", str(args.posts), "--voters", str(args.voters)]
        command += ["--revisit", str(args.revisit), "--skew", str(args.skew)]
        command += ["--runs", str(args.runs), "--seed", str(args.seed), "--out", str(out_path)]
        env = dict(os.environ)
        if not env.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")):
            command = ["bash", str(ROOT / "scripts" / "pg_cluster.sh"), "run", "--", *command]
        log(" ".join(command))
        rc = subprocess.run(command, env=env, cwd=ROOT).returncode
        if rc != 0 or not out_path.exists():
            return {"error": f"the peers' benchmark failed (exit {rc})"}
        return json.loads(out_path.read_text())


def git_state():
    """The commit measured, and whether the package had uncommitted changes."""

    def git(*argv):
        done = subprocess.run(["git", *argv], cwd=ROOT, capture_output=True, text=True)
        return done.stdout.strip() if done.returncode == 0 else None

    changed = git("status", "--porcelain", "--", "wagtail_communityblog") or ""
    return {
        "head": git("rev-parse", "HEAD"),
        "package_uncommitted_changes": [line[3:] for line in changed.splitlines()],
    }


def log(message):
    print(message, file=sys.stderr, flush=True)


# --- the plan ------------------------------------------------------------------------------------


def make_plan(n_actions, n_posts, n_voters, revisit, skew, seed):
    """A list of (voter index, post index, value), the same for every method and run."""
    rng = random.Random(seed)
    cum_weights = None
    if skew > 0:
        total, cum_weights = 0.0, []
        for rank in range(1, n_posts + 1):
            total += 1.0 / rank**skew
            cum_weights.append(total)
    touched = [[] for _ in range(n_voters)]
    touched_sets = [set() for _ in range(n_voters)]
    plan = []
    for _ in range(n_actions):
        voter = rng.randrange(n_voters)
        if touched[voter] and rng.random() < revisit:
            post = rng.choice(touched[voter])
        else:
            if cum_weights is None:
                post = rng.randrange(n_posts)
            else:
                post = rng.choices(range(n_posts), cum_weights=cum_weights)[0]
            if post not in touched_sets[voter]:
                touched_sets[voter].add(post)
                touched[voter].append(post)
        plan.append((voter, post, rng.choice(VALUES)))
    return plan


def replay(plan):
    """Replay the plan sequentially: the final votes and what kind each action was."""
    state, kinds = {}, []
    for voter, post, value in plan:
        old = state.get((voter, post))
        if value == 0:
            kinds.append("withdraw" if old is not None else "withdraw_nothing")
            state.pop((voter, post), None)
        else:
            if old is None:
                kinds.append("cast")
            elif old == value:
                kinds.append("repeat")
            else:
                kinds.append("change")
            state[(voter, post)] = value
    return state, kinds


def split_by_thread(plan, writers):
    """Each voter's actions go to one thread, in plan order."""
    per_thread = [[] for _ in range(writers)]
    for index, (voter, _post, _value) in enumerate(plan):
        per_thread[voter % writers].append(index)
    return per_thread


# --- the child process: Django, the database, the data ------------------------------------------


def setup_django(settings_module):
    for path in (str(ROOT), str(ROOT / "example_site")):
        if path not in sys.path:
            sys.path.insert(0, path)
    os.environ["DJANGO_SETTINGS_MODULE"] = settings_module
    import django

    django.setup()


def build_data(n_posts, n_blogs, n_voters):
    """A community, blogs published through Wagtail, live posts with score rows, old voters."""
    from django.contrib.auth import get_user_model
    from django.db import transaction
    from django.utils import timezone

    from tests.factories import make_blog, make_community, make_user
    from wagtail_communityblog.models import CommunityPostPage, PostScore
    from wagtail_communityblog.services.listing import sync_post_score

    started = time.perf_counter()
    # One transaction (SQLite would otherwise sync the file after every page), and no search or
    # reference indexing of the posts, which voting does not use.
    with transaction.atomic(), without_page_indexing(CommunityPostPage):
        community = make_community(title="Benchmark community", slug="bench")
        blogs = [
            make_blog(community, make_user(f"author{i}"), slug=f"author{i}") for i in range(n_blogs)
        ]
        now = timezone.now()
        for i in range(n_posts):
            blog = blogs[i % n_blogs]
            when = now - timedelta(minutes=n_posts - i)
            post = CommunityPostPage(
                title=f"Benchmark post {i}",
                slug=f"post-{i}",
                body="<p>Body text.</p>",
                owner=blog.owner,
                author=blog.owner,
                live=True,
                first_published_at=when,
                last_published_at=when,
            )
            blog.add_child(instance=post)
            # What publishing does for the package (signal_handlers.py): create the score row.
            sync_post_score(post)
        user_model = get_user_model()
        joined = now - timedelta(days=30)
        user_model.objects.bulk_create(
            [
                user_model(
                    username=f"voter{i}",
                    email=f"voter{i}@example.org",
                    password="!",  # unusable
                    date_joined=joined,
                )
                for i in range(n_voters)
            ],
            batch_size=1000,
        )
    posts = list(CommunityPostPage.objects.live().public().order_by("pk"))
    voters = list(user_model.objects.filter(username__startswith="voter").order_by("pk"))
    assert len(posts) == n_posts, (len(posts), n_posts)
    assert len(voters) == n_voters
    assert PostScore.objects.filter(is_listed=True).count() == n_posts
    return posts, voters, time.perf_counter() - started


@contextmanager
def without_page_indexing(model):
    """Skip the search index and Wagtail's reference index while ``model`` pages are created."""
    from django.db.models.signals import post_save
    from wagtail.search.signal_handlers import post_save_signal_handler
    from wagtail.signal_handlers import disable_reference_index_auto_update

    disconnected = post_save.disconnect(post_save_signal_handler, sender=model)
    try:
        with disable_reference_index_auto_update():
            yield
    finally:
        if disconnected:
            post_save.connect(post_save_signal_handler, sender=model)


def table_names():
    from wagtail_communityblog.models import PostScore, Rating

    return Rating._meta.db_table, PostScore._meta.db_table


_BASELINE = {}
PHASE_SECONDS = Counter()  # where a benchmark run's own time goes (setup, resets, checks)


SNAPSHOT_TABLE = "vote_path_benchmark_scores"


# On a loaded data set (--on-loaded): the posts and voters the benchmark may touch. Empty when
# the benchmark made its own database.
SCOPE = {}
BENCH_VOTER_PREFIX = "benchvoter"


def pick_loaded_data(n_posts, n_voters, seed):
    """``n_posts`` posts of the loaded data set (a seeded sample, with their votes) and
    ``n_voters`` accounts of the benchmark's own (made once, joined 30 days ago, no votes)."""
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from wagtail_communityblog.models import CommunityPostPage, PostScore, Rating
    from wagtail_communityblog.services.ratings import recompute_posts

    started = time.perf_counter()
    listed = list(
        PostScore.objects.filter(is_listed=True, is_hidden=False)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    chosen = sorted(random.Random(seed).sample(listed, n_posts))
    posts = list(CommunityPostPage.objects.filter(pk__in=chosen).order_by("pk"))
    user_model = get_user_model()
    have = user_model.objects.filter(username__startswith=BENCH_VOTER_PREFIX).count()
    joined = timezone.now() - timedelta(days=30)
    user_model.objects.bulk_create(
        [
            user_model(
                username=f"{BENCH_VOTER_PREFIX}{i}",
                email=f"{BENCH_VOTER_PREFIX}{i}@example.org",
                password="!",
                date_joined=joined,
            )
            for i in range(have, n_voters)
        ],
        batch_size=1000,
    )
    voters = list(
        user_model.objects.filter(username__startswith=BENCH_VOTER_PREFIX).order_by("pk")[:n_voters]
    )
    voter_ids = [user.pk for user in voters]
    # Votes left by an interrupted earlier run: withdrawn, and their posts recomputed.
    leftover = list(
        Rating.objects.filter(user_id__in=voter_ids).values_list("post_id", flat=True).distinct()
    )
    if leftover:
        Rating.objects.filter(user_id__in=voter_ids).delete()
        recompute_posts(leftover)
    SCOPE.update(post_ids=[post.pk for post in posts], voter_ids=voter_ids)
    return posts, voters, time.perf_counter() - started


def take_baseline():
    """Remember the state after setup: a copy of the score table, the last row of each table.

    A vote may do more than write its row and move the counters (e.g. promote the post and log
    it); resetting to this snapshot makes every run start from the same state, whatever the
    vote path grows into.
    """
    from django.apps import apps
    from django.db import connection
    from django.db.models import Max

    from wagtail_communityblog.models import PostScore, Rating
    from wagtail_communityblog.rating_schemes import Tally

    _rating, score = table_names()
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {SNAPSHOT_TABLE}")
        if SCOPE:
            cursor.execute(
                f"CREATE TABLE {SNAPSHOT_TABLE} AS SELECT * FROM {score} WHERE post_id = ANY(%s)",
                [SCOPE["post_ids"]],
            )
        else:
            cursor.execute(f"CREATE TABLE {SNAPSHOT_TABLE} AS SELECT * FROM {score}")
    if SCOPE:
        # The votes the posts already had: the plan's votes come on top of them.
        SCOPE["baseline"] = {
            row[0]: Tally(*row[1:])
            for row in PostScore.objects.filter(pk__in=SCOPE["post_ids"]).values_list(
                "pk", "up_count", "down_count", "vote_count", "vote_sum", "score"
            )
        }
    _BASELINE["columns"] = ", ".join(
        connection.ops.quote_name(f.column) for f in PostScore._meta.concrete_fields
    )
    _BASELINE["last_pk"] = {}
    for model in apps.get_app_config("wagtail_communityblog").get_models():
        if model in (PostScore, Rating) or model._meta.pk.get_internal_type() not in (
            "AutoField",
            "BigAutoField",
        ):
            continue
        _BASELINE["last_pk"][model] = model.objects.aggregate(m=Max("pk"))["m"] or 0


def reset_votes(vendor):
    """Back to the state after setup (no votes), between runs; VACUUM ANALYZE on PostgreSQL."""
    from django.db import connection, transaction

    started = time.perf_counter()
    rating, score = table_names()
    columns = _BASELINE["columns"]
    with transaction.atomic():
        with connection.cursor() as cursor:
            if SCOPE:
                cursor.execute(
                    f"DELETE FROM {rating} WHERE user_id = ANY(%s)", [SCOPE["voter_ids"]]
                )
            else:
                cursor.execute(f"DELETE FROM {rating}")
        for model, last_pk in _BASELINE["last_pk"].items():
            model.objects.filter(pk__gt=last_pk).delete()
        with connection.cursor() as cursor:
            if SCOPE:
                cursor.execute(f"DELETE FROM {score} WHERE post_id = ANY(%s)", [SCOPE["post_ids"]])
            else:
                cursor.execute(f"DELETE FROM {score}")
            cursor.execute(
                f"INSERT INTO {score} ({columns}) SELECT {columns} FROM {SNAPSHOT_TABLE}"
            )
    with connection.cursor() as cursor:
        if vendor == "postgresql":
            cursor.execute(f"VACUUM ANALYZE {rating}, {score}")
        else:
            cursor.execute("ANALYZE")
    PHASE_SECONDS["reset"] += time.perf_counter() - started


# --- the two ways of voting --------------------------------------------------------------------


class ServiceVoter:
    """One thread's voter: the package's public service function."""

    name = "service"

    def __init__(self, posts, voters):
        from wagtail_communityblog.services.ratings import rate_post

        self.rate_post = rate_post
        self.posts, self.voters = posts, voters

    def open(self):
        from django.db import connection

        connection.ensure_connection()

    def vote(self, voter, post, value):
        self.rate_post(self.posts[post], self.voters[voter], value)

    def close(self):
        from django.db import connection

        connection.close()


class HttpVoter:
    """One thread's voter: a real HTTP client (``http.client``) against the site served by
    gunicorn's worker processes (``HttpServer``, benchmarks/http_server.py).

    Each voter is a reader logged in beforehand (``HttpVoter.log_in``: a session in the
    database, as logging in makes, and a CSRF cookie, as the first page view sets) and sends
    what the rating widget's script (rating.js) sends: a URL-encoded POST of the widget's
    form (``csrfmiddlewaretoken``, ``next``, ``value``) to the ``rate`` endpoint, with
    the session and CSRF cookies, ``Origin``, ``Accept: application/json`` and
    ``X-Requested-With``. The server checks the CSRF token as for any browser. gunicorn's sync
    workers close the connection after each answer (a proxy in front of them would keep the
    browser's); the client opens a new one to 127.0.0.1 for each vote."""

    name = "http"
    path_kind = "rate"
    server = None  # the running HttpServer, set by child_main
    credentials = {}  # voter index -> (Cookie header, masked CSRF token)
    urls = {}  # "rate": each post's endpoint; "next": each post's page (the form's next field)

    def __init__(self, posts, voters):
        self.paths, self.nexts = self.urls[self.path_kind], self.urls["next"]
        self.host, self.port = self.server.host, self.server.port
        self.origin = f"http://{self.host}:{self.port}"
        self.connection = None

    @classmethod
    def log_in(cls, posts, voters, indexes):
        """A session for each voter (``Client.force_login``: the session row and cookie that
        logging in makes) and a CSRF secret and masked token (``get_token``, what the first
        page with a form sets and embeds). Done once, before the runs."""
        from django.conf import settings
        from django.middleware.csrf import get_token
        from django.test import Client, RequestFactory
        from django.urls import reverse

        if not cls.urls:
            cls.urls = {
                "rate": [
                    reverse("wagtail_communityblog:rate", kwargs={"post_id": post.pk})
                    for post in posts
                ],
                "next": [post.get_url() or "/" for post in posts],
                "floor": [f"/bench/floor/{post.pk}/" for post in posts],
            }
        factory = RequestFactory()
        for index in sorted(indexes):
            if index in cls.credentials:
                continue
            client = Client()
            client.force_login(voters[index])
            session = client.cookies[settings.SESSION_COOKIE_NAME].value
            request = factory.get("/")
            token = get_token(request)
            secret = request.META["CSRF_COOKIE"]
            cookie = (
                f"{settings.CSRF_COOKIE_NAME}={secret}; {settings.SESSION_COOKIE_NAME}={session}"
            )
            cls.credentials[index] = (cookie, token)

    def open(self):
        import http.client

        self.connection = http.client.HTTPConnection(self.host, self.port, timeout=120)

    def body(self, fields):
        from urllib.parse import urlencode

        return urlencode(fields).encode()

    def vote(self, voter, post, value):
        cookie, token = self.credentials[voter]
        body = self.body(
            [("csrfmiddlewaretoken", token), ("next", self.nexts[post]), ("value", value)]
        )
        self.connection.request(
            "POST",
            self.paths[post],
            body=body,
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "Accept": "application/json",
                "X-Requested-With": "XMLHttpRequest",
                "Origin": self.origin,
                "Referer": self.origin + self.nexts[post],
                "Cookie": cookie,
            },
        )
        response = self.connection.getresponse()
        content = response.read()
        if response.will_close:
            self.connection.close()  # the next request connects again
        if response.status != 200:
            raise RuntimeError(f"HTTP {response.status}: {content[:200]!r}")
        if json.loads(content).get("value") != value:
            raise RuntimeError(f"unexpected answer: {content[:200]!r}")

    def close(self):
        if self.connection is not None:
            self.connection.close()


class HttpFloor(HttpVoter):
    """The floor of an HTTP vote, in the same run: the same requests, from the same clients, to
    the same server, but to a view that only answers (benchmarks/urls.py), behind the same
    middleware, session, user, CSRF check and form parsing. What the vote endpoint adds to it
    is the package's; the floor itself is Django's and the server's."""

    name = "floor"
    path_kind = "floor"


class HttpServer:
    """gunicorn serving the benchmark's settings (benchmarks/http_server.py) against the
    database this process uses, on a free port of 127.0.0.1; started once per database."""

    def __init__(self, settings_module, workers):
        self.settings_module, self.workers = settings_module, workers
        self.host, self.port, self.process = "127.0.0.1", None, None

    @staticmethod
    def database_url():
        """This process's database (the test database when the benchmark made one)."""
        from urllib.parse import quote

        from django.db import connection

        s = connection.settings_dict
        if connection.vendor == "sqlite":
            return f"sqlite:///{s['NAME']}"
        user = quote(s["USER"] or "", safe="")
        if s.get("PASSWORD"):
            user += ":" + quote(s["PASSWORD"], safe="")
        host = s["HOST"] or "localhost"
        port = f":{s['PORT']}" if s.get("PORT") else ""
        return f"postgres://{user}{'@' if user else ''}{host}{port}/{quote(s['NAME'], safe='')}"

    def start(self):
        import socket
        import urllib.request

        try:
            import gunicorn  # noqa: F401
        except ImportError:
            raise SystemExit(
                "--http needs gunicorn (the `bench` extra): pip install -e '.[test,example,bench]'"
                " (make bench-votes installs it)"
            ) from None
        with socket.socket() as probe:
            probe.bind((self.host, 0))
            self.port = probe.getsockname()[1]
        env = dict(os.environ, DATABASE_URL=self.database_url(), DATABASE_CONN_MAX_AGE="600")
        command = [sys.executable, str(ROOT / "benchmarks" / "http_server.py")]
        command += ["--bind", f"{self.host}:{self.port}", "--workers", str(self.workers)]
        command += ["--settings", self.settings_module]
        self.process = subprocess.Popen(command, env=env, cwd=ROOT)
        deadline = time.monotonic() + 120
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"the HTTP server exited ({self.process.returncode})")
            try:
                # A 404 is an answer too: the server is up.
                urllib.request.urlopen(f"http://{self.host}:{self.port}/robots-check/", timeout=5)
            except urllib.error.HTTPError:
                break
            except OSError:
                if time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError("the HTTP server did not answer within 120 s") from None
                time.sleep(0.2)
            else:
                break
        log(
            f"HTTP server up: gunicorn, {self.workers} sync workers, http://{self.host}:{self.port}"
        )

    def stop(self):
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


class RawVoter:
    """One thread's voter: the raw-SQL upper bound on the same tables, through the DB-API cursor.

    One transaction per vote, five round trips at most:

    1. ``BEGIN`` (``BEGIN IMMEDIATE`` on SQLite, as the package's settings do);
    2. ``SELECT value ... FOR UPDATE`` of the voter's own row (the old value, for the deltas;
       plain ``SELECT`` on SQLite, whose write lock is already held);
    3. the vote row: ``INSERT ... ON CONFLICT (post_id, user_id) DO UPDATE`` when casting or
       changing, ``DELETE`` when withdrawing (skipped when nothing changes);
    4. ``UPDATE postscore SET col = col + d, ...`` of the five counters and, in the same
       statement, ``hot`` and ``best`` from the new counters, exactly as the service stores
       them (skipped when the delta is zero);
    5. ``COMMIT``.
    """

    name = "raw"

    def __init__(self, posts, voters):
        from django.db import connection
        from django.utils import timezone

        from wagtail_communityblog.conf import app_settings
        from wagtail_communityblog.rating_schemes import get_scheme

        self.scheme = get_scheme()
        assert self.scheme.name in ("updown", "recommend"), "the raw bound implements up/down"
        self.post_ids = [post.pk for post in posts]
        self.user_ids = [user.pk for user in voters]
        self.vendor = connection.vendor
        self.now = timezone.now
        self.adapt = connection.ops.adapt_datetimefield_value
        self.sql = raw_statements(self.vendor, app_settings.WILSON_Z)
        self.cursor = None
        self.retries = 0

    def open(self):
        from django.db import connection

        connection.ensure_connection()
        self.cursor = connection.connection.cursor()

    def vote(self, voter, post, value):
        """One vote; on SQLite, a transaction refused with "database is locked" (which SQLite
        answers at once, without waiting, when waiting could deadlock) is rolled back and tried
        again, as ``rate_post`` does, so the bound is not spared work the service does."""
        for attempt in range(LOCK_RETRIES):
            try:
                return self._vote(voter, post, value)
            except Exception as error:
                if self.vendor != "sqlite" or "database is locked" not in str(error):
                    raise
                if attempt == LOCK_RETRIES - 1:
                    raise
                self.retries += 1
                time.sleep(min(0.01 * 2**attempt, 0.5) * (1 + random.random()))

    def _vote(self, voter, post, value):
        post_id, user_id = self.post_ids[post], self.user_ids[voter]
        cursor, sql = self.cursor, self.sql
        cursor.execute(sql["begin"])
        try:
            cursor.execute(sql["select"], {"post": post_id, "user": user_id})
            row = cursor.fetchone()
            old = row[0] if row else None
            if value and value != old:
                now = self.adapt(self.now())
                cursor.execute(
                    sql["upsert"],
                    {
                        "post": post_id,
                        "user": user_id,
                        "value": value,
                        "scheme": self.scheme.name,
                        "now": now,
                    },
                )
            elif not value and old is not None:
                cursor.execute(sql["delete"], {"post": post_id, "user": user_id})
            new = value or None
            if new != old:
                scheme = self.scheme
                up = (scheme.up(new) if new else 0) - (scheme.up(old) if old else 0)
                down = (scheme.down(new) if new else 0) - (scheme.down(old) if old else 0)
                count = (1 if new else 0) - (1 if old else 0)
                total = (new or 0) - (old or 0)
                cursor.execute(
                    sql["update"],
                    {
                        "post": post_id,
                        "du": up,
                        "dd": down,
                        "dc": count,
                        "dt": total,
                        "dn": total,  # updown and recommend: the net score is the sum
                        "now": self.adapt(self.now()),
                    },
                )
            cursor.execute("COMMIT")
        except BaseException:
            cursor.execute("ROLLBACK")
            raise

    def close(self):
        from django.db import connection

        if self.cursor is not None:
            self.cursor.close()
        connection.close()


def raw_statements(vendor, z):
    rating, score = table_names()
    if vendor == "postgresql":

        def p(name):
            return f"%({name})s"

        begin, lock, greatest = "BEGIN", " FOR UPDATE", "GREATEST"
    else:

        def p(name):
            return f":{name}"

        begin, lock, greatest = "BEGIN IMMEDIATE", "", "MAX"

    def flt(expression):
        return f"CAST({expression} AS DOUBLE PRECISION)"

    up, down = f"(up_count + {p('du')})", f"(down_count + {p('dd')})"
    net = f"(score + {p('dn')})"
    n = flt(f"{greatest}({up} + {down}, 1)")
    prob = f"({flt(up)} / {n})"
    z2 = repr(z * z)
    wilson = (
        f"(({prob} + {z2} / (2.0 * {n}) - {z!r} * SQRT(({prob} * (1.0 - {prob}) "
        f"+ {z2} / (4.0 * {n})) / {n})) / (1.0 + {z2} / {n}))"
    )
    # In an UPDATE every right-hand side reads the row's old values, so hot and best are
    # written from old + delta, as the service's F() expressions are.
    update = (
        f"UPDATE {score} SET up_count = up_count + {p('du')}, "
        f"down_count = down_count + {p('dd')}, vote_count = vote_count + {p('dc')}, "
        f"vote_sum = vote_sum + {p('dt')}, score = score + {p('dn')}, "
        f"hot = {flt(f'SIGN({net})')} * LN({flt(f'{greatest}(ABS({net}), 1)')}) / LN(10.0) "
        f"+ time_score, "
        f"best = CASE WHEN {up} + {down} > 0 THEN {wilson} ELSE 0.0 END, "
        f"updated_at = {p('now')} WHERE post_id = {p('post')}"
    )
    return {
        "begin": begin,
        "select": f"SELECT value FROM {rating} WHERE post_id = {p('post')} "
        f"AND user_id = {p('user')}{lock}",
        "upsert": (
            f"INSERT INTO {rating} (post_id, user_id, value, scheme, counted, created_at, "
            f"updated_at) VALUES ({p('post')}, {p('user')}, {p('value')}, {p('scheme')}, "
            f"TRUE, {p('now')}, {p('now')}) ON CONFLICT (post_id, user_id) DO UPDATE SET "
            "value = EXCLUDED.value, scheme = EXCLUDED.scheme, updated_at = EXCLUDED.updated_at"
        ),
        "delete": f"DELETE FROM {rating} WHERE post_id = {p('post')} AND user_id = {p('user')}",
        "update": update,
    }


# --- CPU time of the processes involved ---------------------------------------------------------

_TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _proc_stat(pid):
    """(ppid, own CPU s, reaped children's CPU s) from /proc, or None."""
    try:
        with open(f"/proc/{pid}/stat") as handle:
            fields = handle.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    # After the command: state ppid ... utime(12) stime(13) cutime(14) cstime(15), 0-based here.
    return (
        int(fields[1]),
        (int(fields[11]) + int(fields[12])) / _TICK,
        (int(fields[13]) + int(fields[14])) / _TICK,
    )


def tree_cpu_seconds(root_pid):
    """CPU seconds used so far by a process, its live descendants, and the descendants that
    have exited and been waited for (a PostgreSQL backend that closed its connection, a
    gunicorn worker that was replaced). None when the process is not on this machine."""
    if root_pid is None or _proc_stat(root_pid) is None:
        return None
    stats = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            stat = _proc_stat(int(entry))
            if stat is not None:
                stats[int(entry)] = stat
    children = defaultdict(list)
    for pid, (ppid, _own, _reaped) in stats.items():
        children[ppid].append(pid)
    total, stack = 0.0, [root_pid]
    while stack:
        pid = stack.pop()
        if pid in stats:
            total += stats[pid][1] + stats[pid][2]
            stack += children[pid]
    return total


def postmaster_pid():
    """The PostgreSQL server's main process, when it runs on this machine (else None)."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        backend = cursor.fetchone()[0]
    stat = _proc_stat(backend)
    return stat[0] if stat else None


def cpu_snapshot(server_pid=None, database_pid=None):
    import resource

    usage = resource.getrusage(resource.RUSAGE_SELF)
    forked = resource.getrusage(resource.RUSAGE_CHILDREN)  # writers of --mode processes, joined
    return {
        "client": usage.ru_utime + usage.ru_stime + forked.ru_utime + forked.ru_stime,
        "server": tree_cpu_seconds(server_pid),
        "database": tree_cpu_seconds(database_pid),
    }


# --- one timed run -----------------------------------------------------------------------------


def timed_run(method_cls, posts, voters, plan, per_thread, mode="threads", pids=None):
    """Run each writer's actions at once (threads, or forked processes); time from the barrier.

    ``pids``: the HTTP server's and the database server's main processes, whose CPU time (and
    this process's: the writers, or the HTTP clients) is measured over the run."""
    from django.db import connection

    if mode == "processes":
        import multiprocessing

        context = multiprocessing.get_context("fork")
        barrier, results = context.Barrier(len(per_thread) + 1), context.Queue()
        connection.close()  # no connection may cross the fork
    else:
        barrier, results = threading.Barrier(len(per_thread) + 1), queue.SimpleQueue()

    def worker(indexes):
        method = method_cls(posts, voters)
        latencies, errors = [], []
        try:
            method.open()
            barrier.wait(timeout=600)
            clock = time.perf_counter
            for index in indexes:
                voter, post, value = plan[index]
                started = clock()
                try:
                    method.vote(voter, post, value)
                except Exception as error:  # noqa: BLE001 - counted and reported
                    errors.append(f"action {index}: {error!r}")
                latencies.append(clock() - started)
        except Exception as error:  # noqa: BLE001 - a writer that could not start
            errors.append(f"writer: {error!r}")
        finally:
            method.close()
            results.put((latencies, errors, getattr(method, "retries", 0)))

    if mode == "processes":
        writers = [context.Process(target=worker, args=(ix,), daemon=True) for ix in per_thread]
    else:
        writers = [threading.Thread(target=worker, args=(ix,), daemon=True) for ix in per_thread]
    for writer in writers:
        writer.start()
    pids = pids or {}
    barrier.wait(timeout=600)
    cpu_before = cpu_snapshot(pids.get("server"), pids.get("database"))
    started = time.perf_counter()
    collected = [results.get(timeout=3600) for _ in writers]
    wall = time.perf_counter() - started
    for writer in writers:
        writer.join()
    cpu_after = cpu_snapshot(pids.get("server"), pids.get("database"))
    # CPU seconds per second of the run (1.0 = one CPU busy all along), per part.
    cpu = {
        part: (cpu_after[part] - cpu_before[part]) / wall
        for part in cpu_before
        if cpu_before[part] is not None and cpu_after[part] is not None
    }
    connection.close()  # the main thread's connection: a fresh one for the check
    flat = sorted(x for latencies, _errors, _retries in collected for x in latencies)
    errors = [e for _latencies, errors, _retries in collected for e in errors]
    return {
        "wall_s": wall,
        "votes_per_s": len(plan) / wall,
        "p50_ms": percentile(flat, 50) * 1000,
        "p95_ms": percentile(flat, 95) * 1000,
        "p99_ms": percentile(flat, 99) * 1000,
        "errors": len(errors),
        "error_samples": errors[:5],
        "retries": sum(retries for _latencies, _errors, retries in collected),
        "cpu": cpu,
        "load_average": os.getloadavg(),
    }


def percentile(sorted_values, pct):
    if not sorted_values:
        return float("nan")
    rank = (len(sorted_values) - 1) * pct / 100
    low = int(rank)
    high = min(low + 1, len(sorted_values) - 1)
    return sorted_values[low] + (sorted_values[high] - sorted_values[low]) * (rank - low)


# --- the lost-update check ---------------------------------------------------------------------


def check_consistency(posts, voters, expected_votes):
    """Stored aggregates vs. the recompute from the rows vs. the sequential replay of the plan."""
    from wagtail_communityblog.conf import app_settings
    from wagtail_communityblog.models import PostScore, Rating
    from wagtail_communityblog.ranking import hot_from_time_score, wilson_lower_bound
    from wagtail_communityblog.rating_schemes import Tally, get_scheme
    from wagtail_communityblog.services.ratings import STORED_COUNTERS, tally_from_votes

    started = time.perf_counter()
    scheme = get_scheme()
    post_index = {post.pk: i for i, post in enumerate(posts)}
    voter_index = {user.pk: i for i, user in enumerate(voters)}
    columns = (*STORED_COUNTERS, "hot", "best", "time_score")
    scores, ratings = PostScore.objects.all(), Rating.objects.all()
    if SCOPE:
        scores = scores.filter(pk__in=SCOPE["post_ids"])
        ratings = ratings.filter(user_id__in=SCOPE["voter_ids"])
    stored = {row[0]: row[1:] for row in scores.values_list("pk", *columns)}
    rows = Counter()
    actual_votes = {}
    for post_id, user_id, value in ratings.values_list("post_id", "user_id", "value"):
        key = (voter_index[user_id], post_index[post_id])
        rows[key] += 1
        actual_votes[key] = value
    expected_tally = defaultdict(Tally)
    for post_id, tally in SCOPE.get("baseline", {}).items():
        expected_tally[post_index[post_id]] = tally
    for (_voter, post), value in expected_votes.items():
        expected_tally[post] = _add(expected_tally[post], Tally.of(scheme, value))

    lost = doubled = drifted = off_plan = ranking_off = 0
    for post in posts:
        up, down, count, total, net, hot, best, time_part = stored[post.pk]
        recomputed = tally_from_votes(post.pk, scheme)
        as_stored = Tally(up, down, count, total, net)
        if as_stored != recomputed:
            drifted += 1
            lost += max(0, recomputed.up - up) + max(0, recomputed.down - down)
            doubled += max(0, up - recomputed.up) + max(0, down - recomputed.down)
        if as_stored != expected_tally[post_index[post.pk]]:
            off_plan += 1
        want_hot = hot_from_time_score(net, time_part)
        want_best = wilson_lower_bound(up, down, app_settings.WILSON_Z)
        if abs(hot - want_hot) > 1e-9 or abs(best - want_best) > 1e-9:
            ranking_off += 1
    duplicate_rows = sum(n - 1 for n in rows.values() if n > 1)
    missing_rows = sum(1 for key in expected_votes if key not in actual_votes)
    extra_rows = sum(1 for key in actual_votes if key not in expected_votes)
    wrong_values = sum(
        1 for key, value in expected_votes.items() if actual_votes.get(key, value) != value
    )
    result = {
        "rating_rows": sum(rows.values()),
        "expected_rows": len(expected_votes),
        "lost": lost,
        "doubled": doubled,
        "drifted_posts": drifted,
        "posts_off_plan": off_plan,
        "ranking_columns_off": ranking_off,
        "duplicate_rows": duplicate_rows,
        "missing_rows": missing_rows,
        "extra_rows": extra_rows,
        "wrong_values": wrong_values,
    }
    problems = [v for k, v in result.items() if k not in ("rating_rows", "expected_rows")]
    result["clean"] = not any(problems) and result["rating_rows"] == result["expected_rows"]
    PHASE_SECONDS["check"] += time.perf_counter() - started
    return result


def _add(a, b):
    from wagtail_communityblog.rating_schemes import Tally

    return Tally(a.up + b.up, a.down + b.down, a.count + b.count, a.total + b.total, a.net + b.net)


# --- anatomy of one vote: queries and where the time goes (one thread, no contention) ---------


def normalize_sql(sql):
    """A short, readable shape of a statement: tables, assigned columns and conditions."""
    sql = sql.replace('"', "").replace("wagtail_communityblog_", "")
    sql = re.sub(r"\b\w+\.(\w+)\b", r"\1", sql)  # table.column -> column
    sql = re.sub(r"'[^']*'", "?", sql)
    sql = re.sub(r"%\(\w+\)s|:\w+|%s|\b\d+(\.\d+)?\b", "?", sql)
    sql = re.sub(r"\s+", " ", sql).strip()
    if sql.startswith("SELECT"):
        table = re.search(r" FROM (\S+)", sql)
        where = re.search(r" WHERE (.*?)( ORDER BY| LIMIT| FOR UPDATE|$)", sql)
        limit = " LIMIT ?" if " LIMIT " in sql else ""
        lock = " FOR UPDATE" if "FOR UPDATE" in sql else ""
        return (
            f"SELECT ... FROM {table.group(1) if table else '?'}"
            f"{' WHERE ' + where.group(1) if where else ''}{limit}{lock}"
        )
    if sql.startswith("UPDATE"):
        table = sql.split()[1]
        assigned = re.findall(r"(?:SET |, )(\w+) = ", sql)
        where = sql.rsplit(" WHERE ", 1)[1] if " WHERE " in sql else ""
        return f"UPDATE {table} SET {', '.join(assigned)}{' WHERE ' + where if where else ''}"
    if sql.startswith("INSERT"):
        return (
            sql.split(" VALUES")[0].split(" (")[0]
            + " (...) VALUES (...)"
            + (" ON CONFLICT ..." if "ON CONFLICT" in sql else "")
        )
    return sql[:160]


def anatomy(posts, voters, plan, kinds, vendor, n_actions):
    """Replay the first actions on one thread; count and time each vote's statements."""
    from django.db import connection

    actions = range(min(n_actions, len(plan)))
    result = {}

    # The service, through Django's execute wrapper, which sees every statement it sends except
    # the transaction's own: COMMIT is timed by wrapping the connection's commit, and on
    # PostgreSQL psycopg sends BEGIN just before the first statement of the atomic block (its
    # time is inside that statement's; it is counted here as one more statement).
    reset_votes(vendor)
    service = ServiceVoter(posts, voters)
    current = {}

    def note(shape, seconds):
        current["queries"] += 1
        current["db"] += seconds
        current["shapes"].append(shape)

    def wrapper(execute, sql, params, many, context):
        if vendor == "postgresql" and connection.in_atomic_block and not current["in_tx"]:
            current["in_tx"] = True
            note("BEGIN (sent by psycopg)", 0.0)
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            note(normalize_sql(sql), time.perf_counter() - started)

    real_commit = connection._commit

    def timed_commit():
        started = time.perf_counter()
        try:
            return real_commit()
        finally:
            current["in_tx"] = False
            note("COMMIT", time.perf_counter() - started)

    connection.ensure_connection()
    connection._commit = timed_commit
    try:
        with connection.execute_wrapper(wrapper):
            result["service"] = time_actions(
                actions, kinds, current, lambda index: service.vote(*plan[index]), in_tx=False
            )
    finally:
        del connection._commit  # back to the class's method

    # The raw bound: count its own statements.
    reset_votes(vendor)
    raw = RawVoter(posts, voters)
    raw.open()
    real_cursor = raw.cursor

    class CountingCursor:
        def execute(self, sql, params=None):
            started = time.perf_counter()
            try:
                return real_cursor.execute(sql, params) if params else real_cursor.execute(sql)
            finally:
                current["queries"] += 1
                current["db"] += time.perf_counter() - started
                current["shapes"].append(normalize_sql(sql))

        def fetchone(self):
            return real_cursor.fetchone()

    raw.cursor = CountingCursor()
    result["raw"] = time_actions(actions, kinds, current, lambda index: raw.vote(*plan[index]))
    raw.cursor = real_cursor
    raw.close()
    reset_votes(vendor)
    return result


def time_actions(actions, kinds, current, do, **reset):
    """Run ``do(index)`` for each action one at a time and summarise, per kind of action, its
    time and the statements the caller's wrapper noted in ``current`` (queries, db, shapes)."""
    per_kind = defaultdict(lambda: {"calls": 0, "queries": 0, "seconds": 0.0, "db_seconds": 0.0})
    shapes = defaultdict(Counter)
    for index in actions:
        current.update(queries=0, db=0.0, shapes=[], **reset)
        started = time.perf_counter()
        do(index)
        elapsed = time.perf_counter() - started
        stats = per_kind[kinds[index]]
        stats["calls"] += 1
        stats["queries"] += current["queries"]
        stats["seconds"] += elapsed
        stats["db_seconds"] += current["db"]
        shapes[kinds[index]][tuple(current["shapes"])] += 1
    return summarize_anatomy(per_kind, shapes)


def summarize_anatomy(per_kind, shapes):
    """Per kind of action: statements per call and the time split between DB and Python
    (zeros when no action was replayed)."""
    kinds = {}
    calls = queries = 0
    seconds = db_seconds = 0.0
    for kind, stats in sorted(per_kind.items()):
        n = stats["calls"]
        common = shapes[kind].most_common(1)[0][0]
        kinds[kind] = {
            "calls": n,
            "statements_per_call": stats["queries"] / n,
            "us_per_call": stats["seconds"] / n * 1e6,
            "db_us_per_call": stats["db_seconds"] / n * 1e6,
            "statements": list(common),
        }
        calls += n
        queries += stats["queries"]
        seconds += stats["seconds"]
        db_seconds += stats["db_seconds"]
    per_call = max(calls, 1)
    return {
        "calls": calls,
        "statements_per_call": queries / per_call,
        "us_per_call": seconds / per_call * 1e6,
        "db_us_per_call": db_seconds / per_call * 1e6,
        "by_kind": kinds,
    }


def profile_service(posts, voters, plan, vendor, n_actions, out_dir):
    import cProfile
    import io
    import pstats

    reset_votes(vendor)
    service = ServiceVoter(posts, voters)
    profiler = cProfile.Profile()
    profiler.enable()
    for index in range(min(n_actions, len(plan))):
        service.vote(*plan[index])
    profiler.disable()
    reset_votes(vendor)
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"vote_path_service_{vendor}.prof"
    profiler.dump_stats(str(path))
    text = io.StringIO()
    pstats.Stats(profiler, stream=text).sort_stats("tottime").print_stats(25)
    return {"file": str(path), "top_tottime": text.getvalue()}


# --- anatomy of one HTTP vote: statements per request and where its time goes ------------------

# The parts of a request the profile names, by (file ending, function), in the order they run.
HTTP_PARTS = (
    ("session (SessionStore.load)", "django/contrib/sessions/backends/db.py", "load"),
    ("user (auth.get_user)", "django/contrib/auth/__init__.py", "get_user"),
    ("form parsing", "django/http/request.py", "_load_post_and_files"),
    ("CSRF check", "django/middleware/csrf.py", "process_view"),
    ("the rate view", "wagtail_communityblog/views/ratings.py", "rate"),
)
# Inside the view: what it calls, by function name.
VIEW_PARTS = {
    "to_vote_on": "post lookup (live, public)",
    "rate_post": "rate_post (the service: its checks, the rate limit, the vote)",
    "vote_payload": "JSON payload",
    "__init__": "JsonResponse",
}


def http_anatomy(posts, voters, plan, kinds, vendor, n_actions, out_dir):
    """The first ``n_actions`` votes as HTTP requests through Django's handler, one at a time in
    this process (no server, no network, no contention): the same POST, cookies and CSRF check as
    the benchmark's clients, the server's settings. Counts each request's statements, times it,
    then replays it under cProfile to split a request's time between middleware and view."""
    import cProfile
    import io
    import pstats

    from django.db import connection
    from django.test import Client, override_settings
    from http_server import VOTE_LIMIT

    actions = range(min(n_actions, len(plan)))
    urls = HttpVoter.urls
    from urllib.parse import urlencode

    clients = {}
    for index in actions:
        voter = plan[index][0]
        if voter not in clients:
            cookie, token = HttpVoter.credentials[voter]
            client = Client(enforce_csrf_checks=True)
            for pair in cookie.split("; "):
                name, value = pair.split("=", 1)
                client.cookies[name] = value
            clients[voter] = (client, token)

    def send(index):
        voter, post, value = plan[index]
        client, token = clients[voter]
        response = client.post(
            urls["rate"][post],
            urlencode({"csrfmiddlewaretoken": token, "next": urls["next"][post], "value": value}),
            content_type="application/x-www-form-urlencoded",  # as rating.js sends it
            HTTP_ACCEPT="application/json",
            HTTP_X_REQUESTED_WITH="XMLHttpRequest",
            HTTP_ORIGIN="http://testserver",
        )
        if response.status_code != 200:
            raise RuntimeError(f"HTTP {response.status_code}: {response.content[:200]!r}")

    current = {}

    def wrapper(execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            current["queries"] += 1
            current["db"] += time.perf_counter() - started
            current["shapes"].append(normalize_sql(sql))

    rate_limits = {"vote": VOTE_LIMIT}
    with override_settings(WAGTAIL_COMMUNITYBLOG_RATE_LIMITS=rate_limits):
        reset_votes(vendor)
        connection.ensure_connection()
        with connection.execute_wrapper(wrapper):
            result = time_actions(actions, kinds, current, send)

        reset_votes(vendor)
        profiler = cProfile.Profile()
        started = time.perf_counter()
        profiler.enable()
        for index in actions:
            send(index)
        profiler.disable()
        profiled_s = time.perf_counter() - started
        reset_votes(vendor)

    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"vote_path_http_{vendor}.prof"
    profiler.dump_stats(str(path))
    stats = pstats.Stats(profiler)
    n = len(actions)

    def entries(file_end, function):
        return [
            (key, value)
            for key, value in stats.stats.items()
            if key[0].replace(os.sep, "/").endswith(file_end) and key[2] == function
        ]

    total = profiled_s / n
    parts = []
    for label, file_end, function in HTTP_PARTS:
        seconds = sum(value[3] for _key, value in entries(file_end, function))
        parts.append({"part": label, "ms": seconds / n * 1000, "share": seconds / n / total})
    view = entries("wagtail_communityblog/views/ratings.py", "rate")
    view_keys = {key for key, _value in view}
    inside = []
    for key, value in stats.stats.items():
        edges = [edge for caller, edge in value[4].items() if caller in view_keys]
        if key[2] in VIEW_PARTS and edges:
            seconds = sum(edge[3] for edge in edges)
            inside.append(
                {"part": VIEW_PARTS[key[2]], "ms": seconds / n * 1000, "share": seconds / n / total}
            )
    text = io.StringIO()
    pstats.Stats(profiler, stream=text).sort_stats("cumulative").print_stats(40)
    result.update(
        profile_file=str(path),
        profiled_ms_per_request=total * 1000,
        parts=parts,
        view_parts=sorted(inside, key=lambda part: -part["ms"]),
        top_cumulative=text.getvalue(),
    )
    return result


# --- the child's main ----------------------------------------------------------------------------


def summarize(values):
    return {"median": statistics.median(values), "min": min(values), "max": max(values)}


def child_main(args):
    if args.http:
        # Persistent connections, as a production server keeps them: the test client's
        # end-of-request handler would otherwise close each thread's connection.
        os.environ.setdefault("DATABASE_CONN_MAX_AGE", "600")
    setup_django(args.settings)
    from django.db import connection
    from django.test.utils import setup_databases, teardown_databases

    from wagtail_communityblog.rating_schemes import get_scheme

    label = DB_LABELS[args.db]
    started = time.perf_counter()
    if args.on_loaded:
        old_config = None
        log(f"[{args.db}] on the loaded data set in DATABASE_URL")
    else:
        log(f"[{args.db}] migrating a fresh test database ...")
        old_config = setup_databases(verbosity=0, interactive=False, serialized_aliases=[])
    try:
        vendor = connection.vendor
        expected_vendor = "postgresql" if args.db == "postgres" else "sqlite"
        if vendor != expected_vendor:
            raise SystemExit(f"asked for {args.db} but DATABASE_URL gives {vendor}")
        migrate_s = time.perf_counter() - started
        if args.on_loaded:
            posts, voters, setup_s = pick_loaded_data(args.posts, args.voters, args.seed)
        else:
            log(
                f"[{args.db}] creating {args.posts} posts in {args.blogs} blogs, "
                f"{args.voters} voters"
            )
            posts, voters, setup_s = build_data(args.posts, args.blogs, args.voters)
        take_baseline()
        plan = make_plan(args.votes, args.posts, args.voters, args.revisit, args.skew, args.seed)
        expected_votes, kinds = replay(plan)
        per_thread = split_by_thread(plan, args.writers)
        log(
            f"[{args.db}] ready in {migrate_s:.0f} s (migrate) + {setup_s:.0f} s (data); "
            f"plan: {dict(Counter(kinds))}"
        )

        pids = {"database": postmaster_pid()}
        if args.http:
            started_login = time.perf_counter()
            HttpVoter.log_in(posts, voters, {voter for voter, _post, _value in plan})
            log(
                f"[{args.db}] {len(HttpVoter.credentials)} voters logged in "
                f"({time.perf_counter() - started_login:.0f} s)"
            )
            server = HttpServer(args.settings, args.http_workers)
            server.start()
            HttpVoter.server = server
            pids["server"] = server.process.pid

        runs = []
        methods = [ServiceVoter, RawVoter] + ([HttpVoter, HttpFloor] if args.http else [])
        names = [method.name for method in methods]
        for run in range(args.runs):
            # Who goes first changes from run to run.
            order = methods[run % len(methods) :] + methods[: run % len(methods)]
            measured = {}
            for method in order:
                reset_votes(vendor)
                figures = timed_run(method, posts, voters, plan, per_thread, args.mode, pids)
                figures["check"] = (
                    check_consistency(posts, voters, expected_votes)
                    if method is not HttpFloor
                    else NO_VOTES_CHECKED
                )
                measured[method.name] = figures
                log(
                    f"[{args.db}] run {run + 1}/{args.runs} {method.name:>7}: "
                    f"{figures['votes_per_s']:7.0f} votes/s, p50 {figures['p50_ms']:.2f} ms, "
                    f"p95 {figures['p95_ms']:.2f} ms, errors {figures['errors']}, "
                    + (f"retries {figures['retries']}, " if figures["retries"] else "")
                    + f"check {'clean' if figures['check']['clean'] else figures['check']}"
                )
            measured["ratio"] = measured["service"]["votes_per_s"] / measured["raw"]["votes_per_s"]
            if "http" in measured:
                measured["ratio_http"] = (
                    measured["http"]["votes_per_s"] / measured["raw"]["votes_per_s"]
                )
                measured["ratio_floor"] = (
                    measured["floor"]["votes_per_s"] / measured["raw"]["votes_per_s"]
                )
                measured["http_to_floor"] = (
                    measured["http"]["votes_per_s"] / measured["floor"]["votes_per_s"]
                )
            measured["order"] = [m.name for m in order]
            runs.append(measured)

        load_before = os.getloadavg()
        anatomy_result = http_anatomy_result = None
        if args.anatomy > 0:
            log(f"[{args.db}] anatomy of a vote (one thread, first {args.anatomy} actions) ...")
            anatomy_result = anatomy(posts, voters, plan, kinds, vendor, args.anatomy)
        if args.http and args.anatomy > 0:
            server.stop()  # its workers' connections are not needed any more
            log(f"[{args.db}] anatomy of an HTTP vote (one request at a time, in this process) ...")
            http_anatomy_result = http_anatomy(
                posts, voters, plan, kinds, vendor, args.anatomy, args.json.parent
            )
        profile = None
        if args.profile:
            log(f"[{args.db}] cProfile of the service (one thread) ...")
            profile = profile_service(
                posts, voters, plan, vendor, max(args.anatomy, 2000), args.json.parent
            )

        with connection.cursor() as cursor:
            if vendor == "postgresql":
                cursor.execute("SHOW server_version")
                server = "PostgreSQL " + cursor.fetchone()[0].split()[0]
                cursor.execute("SHOW synchronous_commit")
                durability = f"synchronous_commit={cursor.fetchone()[0]}"
                cursor.execute("SHOW fsync")
                durability += f", fsync={cursor.fetchone()[0]}"
            else:
                import sqlite3

                cursor.execute("PRAGMA journal_mode")
                journal = cursor.fetchone()[0]
                cursor.execute("PRAGMA synchronous")
                server = f"SQLite {sqlite3.sqlite_version}"
                durability = f"journal_mode={journal}, synchronous={cursor.fetchone()[0]}"
        import django
        import wagtail

        result = {
            "db": args.db,
            "label": label,
            "server": server,
            "durability": durability,
            "transaction_mode": connection.settings_dict.get("OPTIONS", {}).get(
                "transaction_mode", ""
            ),
            "python": platform.python_version(),
            "django": django.__version__,
            "wagtail": wagtail.__version__,
            "cpus": os.cpu_count(),
            "machine": platform.machine(),
            "scheme": get_scheme().name,
            "config": {
                "writers": args.writers,
                "mode": args.mode,
                "votes": args.votes,
                "posts": args.posts,
                "blogs": args.blogs,
                "voters": args.voters,
                "revisit": args.revisit,
                "skew": args.skew,
                "runs": args.runs,
                "seed": args.seed,
                "http_workers": args.http_workers if args.http else None,
            },
            "http_server": (
                {
                    "server": f"gunicorn {gunicorn_version()}",
                    "worker_class": "sync",
                    "workers": args.http_workers,
                    "settings": args.settings,
                }
                if args.http
                else None
            ),
            "plan": dict(Counter(kinds)),
            "expected_final_votes": len(expected_votes),
            "setup_s": {"migrate": migrate_s, "data": setup_s},
            "summary": {
                name: {
                    key: summarize([run[name][key] for run in runs])
                    for key in ("votes_per_s", "wall_s", "p50_ms", "p95_ms", "p99_ms")
                }
                for name in names
            },
            "ratio": summarize([run["ratio"] for run in runs]),
            "ratio_http": summarize([run["ratio_http"] for run in runs]) if args.http else None,
            "ratio_floor": summarize([run["ratio_floor"] for run in runs]) if args.http else None,
            "http_to_floor": (
                summarize([run["http_to_floor"] for run in runs]) if args.http else None
            ),
            "on_loaded": args.on_loaded,
            "loaded_posts": loaded_posts(),
            "checks": {
                name: {key: sum(run[name]["check"][key] for run in runs) for key in CHECK_COUNTS}
                | {"errors": sum(run[name]["errors"] for run in runs)}
                for name in names
            },
            "all_runs": [
                {name: run[name] for name in names}
                | {
                    "ratio": run["ratio"],
                    "ratio_http": run.get("ratio_http"),
                    "order": run["order"],
                    "clean": all(
                        run[name]["check"]["clean"] and not run[name]["errors"] for name in names
                    ),
                }
                for run in runs
            ],
            "cpu": {
                name: {
                    part: summarize([run[name]["cpu"][part] for run in runs])
                    for part in runs[0][name]["cpu"]
                }
                for name in names
            },
            "load_average_per_run": [
                {name: run[name]["load_average"] for name in names} for run in runs
            ],
            "anatomy": anatomy_result,
            "http_anatomy": http_anatomy_result,
            "profile": profile,
            "total_s": time.perf_counter() - started,
            "phase_s": dict(PHASE_SECONDS),
            "load_average": {"after_runs": load_before, "end": os.getloadavg()},
        }
    finally:
        if HttpVoter.server is not None:
            HttpVoter.server.stop()
        if old_config is not None:
            teardown_databases(old_config, verbosity=0)
        elif _BASELINE:
            reset_votes(connection.vendor)  # the loaded data set as it was
            with connection.cursor() as cursor:
                cursor.execute(f"DROP TABLE IF EXISTS {SNAPSHOT_TABLE}")
        remove_temporary_media()
    args.child_out.write_text(json.dumps(result, indent=2))
    if profile:
        log(profile["top_tottime"])
    return 0


def gunicorn_version():
    import gunicorn

    return gunicorn.__version__


def loaded_posts():
    from wagtail_communityblog.models import PostScore, Rating

    return {"posts": PostScore.objects.count(), "votes": Rating.objects.count()}


def remove_temporary_media():
    """tests.settings (which benchmarks.settings extends) makes a temporary MEDIA_ROOT on
    import; nothing is uploaded here."""
    import shutil

    from django.conf import settings

    media = Path(settings.MEDIA_ROOT)
    if media.name.startswith("communityblog-tests-media-") and media.parent == Path(
        tempfile.gettempdir()
    ):
        shutil.rmtree(media, ignore_errors=True)


# --- the report ----------------------------------------------------------------------------------


def fmt(summary, digits=0, thousands=True):
    def one(value):
        return f"{value:,.{digits}f}" if thousands else f"{value:.{digits}f}"

    return f"{one(summary['median'])} [{one(summary['min'])}-{one(summary['max'])}]"


def format_report(result):
    c = result["config"]
    lines = [
        f"Vote path on {result['server']} ({result['durability']}"
        + (f", {result['transaction_mode']} transactions" if result.get("transaction_mode") else "")
        + f"), {result['cpus']} CPUs, Python {result['python']}, Django {result['django']}, "
        f"Wagtail {result['wagtail']}",
        f"{c['writers']} writers ({c['mode']}), {c['votes']:,} vote actions on "
        f"{c['posts']:,} posts by {c['voters']:,} voters, scheme {result['scheme']}; "
        f"median [min-max] of {c['runs']} runs"
        + (
            f"; on a loaded data set of {result['loaded_posts']['posts']:,} posts and "
            f"{result['loaded_posts']['votes']:,} votes"
            if result.get("on_loaded")
            else ""
        ),
        "plan: "
        + ", ".join(f"{k} {v:,}" for k, v in sorted(result["plan"].items()))
        + f"; {result['expected_final_votes']:,} votes remain",
        "",
        f"{'method':<12} {'votes/s':>22} {'p50 ms':>20} {'p95 ms':>20} {'p99 ms':>20} "
        f"{'lost':>5} {'doubled':>7} {'drift':>5} {'errors':>6}",
    ]
    titles = {
        "service": "rate_post()",
        "http": "HTTP rate",
        "floor": "HTTP floor",
        "raw": "raw SQL",
    }
    for name, title in titles.items():
        if name not in result["summary"]:
            continue
        s, k = result["summary"][name], result["checks"][name]
        lines.append(
            f"{title:<12} {fmt(s['votes_per_s']):>22} {fmt(s['p50_ms'], 2):>20} "
            f"{fmt(s['p95_ms'], 2):>20} {fmt(s['p99_ms'], 1):>20} {k['lost']:>5} {k['doubled']:>7} "
            f"{k['drifted_posts']:>5} {k['errors']:>6}"
        )
    ratio = result["ratio"]
    verdict = "met" if ratio["median"] >= TARGET_RATIO else "NOT met"
    for peer in (result.get("peers") or {}).get("results", []):
        s, k = peer["summary"], peer["checks"]
        lines.append(
            f"{peer['name']:<12} {fmt(s['votes_per_s']):>22} {fmt(s['p50_ms'], 2):>20} "
            f"{fmt(s['p95_ms'], 2):>20} {fmt(s['p99_ms'], 1):>20} {k['lost']:>5} "
            f"{k['doubled']:>7} {k['drifted_posts']:>5} {k['errors']:>6}"
        )
    lines.append(
        f"{'service/raw':<12} {fmt(ratio, 2):>22}   (target >= {TARGET_RATIO:.2f}: {verdict})"
    )
    if result.get("ratio_http"):
        server = result.get("http_server") or {}
        lines.append(
            f"{'HTTP/raw':<12} {fmt(result['ratio_http'], 2):>22}   "
            f"({server.get('server', '?')}, {server.get('workers', '?')} "
            f"{server.get('worker_class', '?')} workers; {c['writers']} HTTP clients)"
        )
    if result.get("ratio_floor"):
        lines.append(
            f"{'floor/raw':<12} {fmt(result['ratio_floor'], 2):>22}   (the same requests to a "
            "view that only answers: middleware, session, user, CSRF, form)"
        )
        lines.append(
            f"{'HTTP/floor':<12} {fmt(result['http_to_floor'], 2):>22}   (what the vote "
            "endpoint keeps of the floor's rate)"
        )
    peers = result.get("peers") or {}
    if peers.get("error"):
        lines.append(f"peers: {peers['error']}")
    for peer in peers.get("results", []):
        lines.append(
            f"{peer['name'] + '/raw':<12} {fmt(peer['ratio_to_raw'], 2):>22}   "
            f"({peer['package']} {peer['version']}: {peer['api']}; raw bound on its tables, "
            "same process, alternating)"
        )
    for note in peers.get("notes", []):
        lines.append(f"  note: {note}")
    problems = {
        name: {k: v for k, v in checks.items() if v} for name, checks in result["checks"].items()
    }
    rows_ok = all(run["clean"] for run in result["all_runs"])
    lines.append(
        "consistency: "
        + (
            "every run clean (counters = recompute from rows = sequential replay of the plan; "
            "hot/best = ranking.py; no duplicate, missing or extra rows)"
            if rows_ok
            else f"PROBLEMS {problems}"
        )
    )
    lines += format_cpu(result)
    a = result["anatomy"]
    if not a:
        return "\n".join([*lines, "", "(no anatomy: --anatomy 0)"])
    lines += [
        "",
        f"one vote, one thread, first {a['service']['calls']:,} actions "
        "(statements incl. BEGIN/COMMIT; time per call, and the part spent in the database):",
        f"{'action':<18} {'n':>5} {'service stmts':>14} {'us':>7} {'db us':>7} "
        f"{'raw stmts':>10} {'us':>7} {'db us':>7}",
    ]
    for kind in sorted(a["service"]["by_kind"]):
        sv = a["service"]["by_kind"][kind]
        rw = a["raw"]["by_kind"].get(kind)
        lines.append(
            f"{kind:<18} {sv['calls']:>5} {sv['statements_per_call']:>14.2f} "
            f"{sv['us_per_call']:>7.0f} {sv['db_us_per_call']:>7.0f} "
            f"{rw['statements_per_call']:>10.2f} {rw['us_per_call']:>7.0f} "
            f"{rw['db_us_per_call']:>7.0f}"
        )
    sv, rw = a["service"], a["raw"]
    lines.append(
        f"{'all':<18} {sv['calls']:>5} {sv['statements_per_call']:>14.2f} "
        f"{sv['us_per_call']:>7.0f} {sv['db_us_per_call']:>7.0f} "
        f"{rw['statements_per_call']:>10.2f} {rw['us_per_call']:>7.0f} "
        f"{rw['db_us_per_call']:>7.0f}"
    )
    cast = sv["by_kind"].get("cast")
    if cast:
        lines.append("service statements for a first vote (cast), in order:")
        lines += [f"  {shape}" for shape in cast["statements"]]
    if result.get("http_anatomy"):
        lines += format_http_anatomy(result["http_anatomy"])
    return "\n".join(lines)


def format_cpu(result):
    """CPU used during the timed runs, per part, as CPUs kept busy and as ms per vote."""
    cpu = result.get("cpu")
    if not cpu:
        return []
    titles = {
        "service": "rate_post()",
        "http": "HTTP rate",
        "floor": "HTTP floor",
        "raw": "raw SQL",
    }
    parts = {
        "client": "voting process",
        "server": "HTTP server",
        "database": "PostgreSQL",
    }
    lines = [
        "",
        f"CPU during the runs (CPUs busy, median [min-max]; {result['cpus']} CPUs on the machine; "
        "ms of CPU per vote from the medians). For HTTP the voting process is the 8 clients.",
    ]
    for name, title in titles.items():
        if name not in cpu:
            continue
        rate = result["summary"][name]["votes_per_s"]["median"]
        cells = [
            f"{parts[part]} {fmt(figures, 2, thousands=False)} "
            f"({figures['median'] / rate * 1000:.2f} ms/vote)"
            for part, figures in cpu[name].items()
        ]
        lines.append(f"  {title:<12} " + "; ".join(cells))
    loads = [value for run in result.get("load_average_per_run", []) for value in run.values()]
    if loads:
        one_minute = [load[0] for load in loads]
        lines.append(
            f"  load average (1 min) at the end of each timed replay: "
            f"{min(one_minute):.2f}-{max(one_minute):.2f}"
        )
    return lines


def format_http_anatomy(h):
    lines = [
        "",
        f"one HTTP vote, one request at a time through Django's handler in one process (no "
        f"server, no network), first {h['calls']:,} actions: statements per request (BEGIN/"
        "COMMIT not counted) and time:",
        f"{'action':<18} {'n':>5} {'stmts':>6} {'us':>7} {'db us':>7}",
    ]
    for kind, k in sorted(h["by_kind"].items()):
        lines.append(
            f"{kind:<18} {k['calls']:>5} {k['statements_per_call']:>6.2f} "
            f"{k['us_per_call']:>7.0f} {k['db_us_per_call']:>7.0f}"
        )
    lines.append(
        f"{'all':<18} {h['calls']:>5} {h['statements_per_call']:>6.2f} "
        f"{h['us_per_call']:>7.0f} {h['db_us_per_call']:>7.0f}"
    )
    cast = h["by_kind"].get("cast")
    if cast:
        lines.append("statements of a first vote (cast) over HTTP, in order:")
        lines += [f"  {shape}" for shape in cast["statements"]]
    lines.append(
        f"where a request's time goes (cProfile, {h['profiled_ms_per_request']:.2f} ms a request "
        "under the profiler; parts overlap where one calls another):"
    )
    for part in h["parts"]:
        lines.append(f"  {part['part']:<44} {part['ms']:>6.2f} ms {part['share']:>5.0%}")
    for part in h["view_parts"]:
        lines.append(f"    {part['part']:<42} {part['ms']:>6.2f} ms {part['share']:>5.0%}")
    lines.append(f"  profile: {h['profile_file']}")
    return lines


def main(argv=None):
    args = parse_args(argv)
    if args.child_out:
        return child_main(args)
    return parent_main(args)


if __name__ == "__main__":
    sys.exit(main())
