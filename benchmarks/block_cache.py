"""Block cache while votes stream in: how often a promoted-posts block is served from the cache.

Reader threads render the front page's two ``PromotedPostsBlock``s (hot; top of the week) for
logged-in members at a steady rate of page views (100 a second by default, spread over the
readers), while a voter thread casts votes at a steady rate (50 a second by default) through
``rate_post()``, mostly on the posts the blocks list. Each
configuration runs for the same time on the same data: ``BLOCK_SCORES_MAX_AGE`` at 0 (every
counted vote invalidates every cached block: the package before issue 20) and at its default
(60 s: a vote leaves the cache alone). It prints, for each, the block cache's hit ratio, the
renders a second, and the oldest fragment served (seconds since it was rendered).

    .venv/bin/python benchmarks/block_cache.py                      # PostgreSQL, ~2 min
    .venv/bin/python benchmarks/block_cache.py --db sqlite --seconds 20

Without a PostgreSQL ``DATABASE_URL`` the run is restarted under ``scripts/pg_cluster.sh run``
(a throwaway cluster). The block cache is the test settings' local-memory cache: one process,
so every thread shares it as every app server shares Redis in production. See
docs/performance.md ("Block cache while votes stream in").
"""

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path[:0] = [str(HERE)]

import vote_path  # noqa: E402

RESULTS = HERE / "results"


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("--db", choices=["postgres", "sqlite"], default="postgres")
    parser.add_argument("--seconds", type=float, default=30.0, help="each configuration")
    parser.add_argument("--votes-per-s", type=float, default=50.0)
    parser.add_argument("--readers", type=int, default=4, help="reader threads")
    parser.add_argument(
        "--views-per-s", type=float, default=100.0, help="page views a second, all readers"
    )
    parser.add_argument("--posts", type=int, default=300)
    parser.add_argument("--voters", type=int, default=3000)
    parser.add_argument("--max-ages", default="0,60", help="BLOCK_SCORES_MAX_AGE values")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", type=Path, default=RESULTS / "block_cache.json")
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    url = os.environ.get("DATABASE_URL", "")
    if args.db == "sqlite":
        os.environ.pop("DATABASE_URL", None)
    elif not url.startswith(("postgres://", "postgresql://")):
        command = ["bash", str(ROOT / "scripts" / "pg_cluster.sh"), "run", "--"]
        command += [sys.executable, str(Path(__file__).resolve()), *(argv or sys.argv[1:])]
        return subprocess.run(command, cwd=ROOT).returncode
    os.environ.setdefault("DATABASE_CONN_MAX_AGE", "600")
    vote_path.setup_django("benchmarks.settings")
    from django.test.utils import setup_databases, teardown_databases

    config = setup_databases(verbosity=0, interactive=False, serialized_aliases=[])
    try:
        result = run(args)
    finally:
        teardown_databases(config, verbosity=0)
    print(report(result))
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(result, indent=2) + "\n")
    print(f"JSON results: {args.json}")
    return 0


def run(args):
    from wagtail_communityblog import blocks
    from wagtail_communityblog.services.ratings import rate_post

    vote_path.log(f"[{args.db}] {args.posts} posts, {args.voters} voters ...")
    posts, voters, _seconds = vote_path.build_data(args.posts, 10, args.voters)
    readers = voters[: args.readers]
    voters = voters[args.readers :]
    block = blocks.PromotedPostsBlock()
    values = [
        block.to_python({"ranking": "hot", "count": 5, "min_votes": 0}),
        block.to_python({"ranking": "top", "window": "week", "count": 5, "min_votes": 0}),
    ]
    rng = random.Random(args.seed)
    # Some votes first, so the rankings have a top to vote on.
    for voter in voters[:200]:
        rate_post(rng.choice(posts), voter, 1)
    results = []
    for max_age in [int(value) for value in args.max_ages.split(",")]:
        results.append(measure(args, max_age, block, values, posts, voters, readers, rng))
        vote_path.log(f"[{args.db}] BLOCK_SCORES_MAX_AGE={max_age}: {results[-1]}")
    return {
        "benchmark": "block_cache",
        "db": args.db,
        "git": vote_path.git_state(),
        "settings": vars(args) | {"json": str(args.json)},
        "results": results,
    }


def report(result):
    settings = result["settings"]
    lines = [
        f"commit {(result['git']['head'] or '?')[:12]}; python benchmarks/block_cache.py "
        f"--db {result['db']} --seconds {settings['seconds']:g} "
        f"--votes-per-s {settings['votes_per_s']:g} --views-per-s {settings['views_per_s']:g} "
        f"--readers {settings['readers']}",
        "",
        f"Two promoted blocks (hot; top of the week) on each page view by {settings['readers']} "
        f"reader threads for logged-in members while votes stream in; {settings['posts']} "
        f"posts, {settings['seconds']:g} s each",
        f"{'BLOCK_SCORES_MAX_AGE':>20} {'votes/s':>8} {'views/s':>8} {'renders':>8} "
        f"{'renders/s':>9} "
        f"{'hit ratio':>9} {'oldest hit':>10} {'median age':>10} {'vote errors':>11}",
    ]
    for row in result["results"]:
        lines.append(
            f"{row['max_age']:>20} {row['votes_per_s']:8.1f} {row['views_per_s']:8.1f} "
            f"{row['renders']:8,} "
            f"{row['renders_per_s']:9.0f} {row['hit_ratio']:9.3f} {row['oldest_hit_s']:9.1f}s "
            f"{row['median_hit_age_s']:9.1f}s {row['vote_errors']:>11}"
        )
    return "\n".join(lines)


def measure(args, max_age, block, values, posts, voters, readers, rng):
    """One configuration: readers and the voter for ``args.seconds``; the block cache's figures."""
    from django.contrib.auth.models import AnonymousUser
    from django.core.cache import cache
    from django.db import connection, connections
    from django.test import RequestFactory, override_settings
    from wagtail.models import Site

    from wagtail_communityblog import blocks
    from wagtail_communityblog.models import PostScore
    from wagtail_communityblog.services.ratings import rate_post

    site = Site.objects.get(is_default_site=True)
    served = []  # (hit, age of the fragment in seconds)
    lock = threading.Lock()
    stop = threading.Event()
    rendered_at = {}
    votes = {"cast": 0, "errors": 0}
    original_fetch, original_store = blocks.fetch, blocks.store

    def fetch(key, default=None):
        html = original_fetch(key, default)
        with lock:
            born = rendered_at.get(key)
            served.append((html is not None, time.monotonic() - born if born else 0.0))
        return html

    def store(key, html, timeout):
        with lock:
            rendered_at[key] = time.monotonic()
        original_store(key, html, timeout)

    def reader(user):
        request = RequestFactory().get("/")
        request.user = user if user is not None else AnonymousUser()
        request.site = site
        context = {"request": request}
        interval = args.readers / args.views_per_s
        next_at = time.monotonic() + random.random() * interval
        while not stop.is_set():
            time.sleep(max(0.0, next_at - time.monotonic()))
            for value in values:  # one page view: both blocks
                block.render(value, context)
            next_at += interval
        connection.close()

    def voter():
        by_pk = {post.pk: post for post in posts}
        interval = 1.0 / args.votes_per_s
        next_at = time.monotonic()
        index = 0
        while not stop.is_set():
            top = list(
                PostScore.objects.filter(is_listed=True)
                .order_by("-hot")
                .values_list("post_id", flat=True)[:10]
            )
            pk = rng.choice(top) if top and rng.random() < 0.8 else rng.choice(list(by_pk))
            try:
                rate_post(by_pk[pk], voters[index % len(voters)], rng.choice((1, 1, -1)))
                votes["cast"] += 1
            except Exception:  # noqa: BLE001 - counted and reported
                votes["errors"] += 1
            index += 1
            next_at += interval
            time.sleep(max(0.0, next_at - time.monotonic()))
        connection.close()

    with override_settings(WAGTAIL_COMMUNITYBLOG_BLOCK_SCORES_MAX_AGE=max_age):
        blocks.fetch, blocks.store = fetch, store
        try:
            cache.clear()
            threads = [threading.Thread(target=reader, args=(user,)) for user in readers]
            threads.append(threading.Thread(target=voter))
            started = time.monotonic()
            for thread in threads:
                thread.start()
            time.sleep(args.seconds)
            stop.set()
            for thread in threads:
                thread.join()
            elapsed = time.monotonic() - started
        finally:
            blocks.fetch, blocks.store = original_fetch, original_store
    connections.close_all()
    hits = sum(hit for hit, _age in served)
    ages = [age for hit, age in served if hit]
    return {
        "max_age": max_age,
        "views_per_s": len(served) / len(values) / elapsed,
        "renders": len(served),
        "renders_per_s": len(served) / elapsed,
        "hit_ratio": hits / len(served) if served else 0.0,
        "votes": votes["cast"],
        "votes_per_s": votes["cast"] / elapsed,
        "vote_errors": votes["errors"],
        "oldest_hit_s": max(ages) if ages else 0.0,
        "median_hit_age_s": statistics.median(ages) if ages else 0.0,
    }


if __name__ == "__main__":
    sys.exit(main())
