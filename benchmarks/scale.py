"""Scale benchmark: the front page, the rankings and the community listing at 10k-1M posts.

For each size, a database of its own on one throwaway PostgreSQL cluster is migrated and
loaded (``scale_data.py``: COPY and INSERT ... SELECT, 10 votes per post, 50 posts per member
blog), checked (Wagtail's tree, the stored scores against a recompute from the votes), then
measured in a child process through Django's test client with the block cache off:

- the home page with two ``PromotedPostsBlock``s (hot; top of the week) against the same page
  without them: time and queries, blocks of 5 and of 50 posts;
- each ranking's top-N: the block's whole data fetch (``PromotedPostsBlock.get_posts()``: its
  ranking query, pinned posts and the posts by id), the package's ranking query
  (``PostScore.objects.ranking()``), the same order through a bare ORM query on the
  score table, and raw SQL, with the package query's ``EXPLAIN ANALYZE`` checked (index scan,
  no full sort, no votes table);
- the community listing for each sort, first page and a deep page (page 500) reached by
  ``?page=`` and by the keyset cursor the "Next" links carry;
- peak RSS of one process serving the front page (at the largest size).

Then, on the largest loaded size, the vote path (``vote_path.py --on-loaded``: the service,
the HTTP endpoint, the raw-SQL bound and the peers). Each figure is the median of ``--runs``
with min and max; every comparison is a ratio taken within the same run.

    .venv/bin/python benchmarks/scale.py                        # 10k and 100k posts
    .venv/bin/python benchmarks/scale.py --sizes 10000,100000,1000000

See benchmarks/README.md and docs/performance.md.
"""

import argparse
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "example_site"), str(ROOT / "benchmarks")]
DEFAULT_JSON = ROOT / "benchmarks" / "results" / "scale.json"
POSTS_PER_BLOG = 50
VOTES_PER_POST = 10
DEEP_PAGE = 500
SORTS = ("new", "hot", "best", "top")


def log(message):
    print(message, file=sys.stderr, flush=True)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n")[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("--sizes", default="10000,100000", help="numbers of posts, comma-separated")
    parser.add_argument("--runs", type=int, default=7, help="timed repetitions of each figure")
    parser.add_argument("--count", type=int, default=5, help="posts in each promoted block")
    parser.add_argument(
        "--votes",
        type=int,
        default=20000,
        help="vote actions of the vote-path run at scale (0 skips the vote path)",
    )
    parser.add_argument("--vote-runs", type=int, default=3, help="runs of the vote path")
    parser.add_argument(
        "--growth-vote-runs",
        type=int,
        default=1,
        help="runs of the vote path on the sizes below the largest",
    )
    parser.add_argument(
        "--vote-sizes",
        default=None,
        help="sizes the vote path runs on (default: every size)",
    )
    parser.add_argument(
        "--no-peers", action="store_true", help="skip django-vote and django-star-ratings"
    )
    parser.add_argument(
        "--no-http",
        action="store_true",
        help="skip the vote path through the HTTP endpoint (vote_path.py --http)",
    )
    parser.add_argument(
        "--recompute",
        action="store_true",
        help="also time communityblog_recompute_scores (a full rebuild) on each size",
    )
    parser.add_argument("--json", type=Path, default=DEFAULT_JSON)
    parser.add_argument("--settings", default="benchmarks.settings")
    parser.add_argument("--child", choices=["load", "read", "memory"], help=argparse.SUPPRESS)
    parser.add_argument("--size", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--child-out", type=Path, help=argparse.SUPPRESS)
    return parser.parse_args(argv)


# --- the parent: the cluster, one database per size, the children -----------------------------


def parent_main(args):
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    vote_sizes = (
        [int(s) for s in args.vote_sizes.split(",") if s.strip()] if args.vote_sizes else sizes
    )
    cluster_dir = None
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        done = subprocess.run(
            ["bash", str(ROOT / "scripts" / "pg_cluster.sh"), "start"],
            capture_output=True,
            text=True,
            check=True,
        )
        exports = dict(re.findall(r"export (\w+)=(\S+)", done.stdout))
        url, cluster_dir = exports["DATABASE_URL"], exports["PGCLUSTER_DIR"]
        log(f"throwaway PostgreSQL cluster in {cluster_dir}")
    base_url = url.rsplit("/", 1)[0]
    started = time.perf_counter()
    results = {"sizes": {}, "vote_path": {}}
    try:
        for size in sizes:
            db_url = f"{base_url}/communityblog_scale_{size}"
            recreate_database(url, f"communityblog_scale_{size}")
            entry = {}
            for child in ("load", "read"):
                entry[child] = run_child(args, child, size, db_url)
                results["sizes"][str(size)] = entry
                save(results, args.json)  # what is measured is kept, whatever happens next
        largest = max(sizes)
        results["memory"] = run_child(
            args, "memory", largest, f"{base_url}/communityblog_scale_{largest}"
        )
        if args.votes:
            for size in vote_sizes:
                # The peers have their own tables (the size of the package's data set does
                # not change them): once, beside the largest size.
                results["vote_path"][str(size)] = run_vote_path(
                    args,
                    f"{base_url}/communityblog_scale_{size}",
                    peers=size == max(vote_sizes) and not args.no_peers,
                    runs=args.vote_runs if size == max(vote_sizes) else args.growth_vote_runs,
                )
                save(results, args.json)
    finally:
        if cluster_dir:
            subprocess.run(["bash", str(ROOT / "scripts" / "pg_cluster.sh"), "stop", cluster_dir])
    import django
    import wagtail

    results["environment"] = {
        "python": platform.python_version(),
        "django": django.__version__,
        "wagtail": wagtail.__version__,
        "cpus": os.cpu_count(),
        "load_average_end": os.getloadavg(),
        "total_s": time.perf_counter() - started,
    }
    results["command"] = " ".join(["python", *sys.argv])
    results["git"] = git_head()
    save(results, args.json)
    print(format_report(results))
    print(f"\nJSON results: {args.json}")


def save(results, path):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(results, indent=2, default=str) + "\n")
    return 0


def git_head():
    done = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True)
    dirty = subprocess.run(
        ["git", "status", "--porcelain", "--", "wagtail_communityblog"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    ).stdout.split()
    return {"head": done.stdout.strip(), "package_uncommitted_changes": dirty[1::2]}


def recreate_database(admin_url, name):
    import psycopg

    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')


def run_child(args, child, size, db_url):
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as out:
        out_path = Path(out.name)
    command = [sys.executable, str(Path(__file__).resolve()), "--child", child]
    command += ["--size", str(size), "--runs", str(args.runs), "--count", str(args.count)]
    command += ["--settings", args.settings, "--child-out", str(out_path)]
    if args.recompute:
        command.append("--recompute")
    env = dict(os.environ, DATABASE_URL=db_url)
    log(f"[{size:,}] {child} ...")
    rc = subprocess.run(command, env=env, cwd=ROOT).returncode
    if rc != 0:
        raise SystemExit(f"[{size}] {child} failed with exit status {rc}")
    result = json.loads(out_path.read_text())
    out_path.unlink()
    return result


def run_vote_path(args, db_url, peers, runs):
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as out:
        out_path = Path(out.name)
    command = [sys.executable, str(ROOT / "benchmarks" / "vote_path.py"), "--db", "postgres"]
    command += ["--on-loaded", "--votes", str(args.votes), "--runs", str(runs)]
    if not args.no_http:
        command.append("--http")
    command += ["--json", str(out_path)]
    if peers:
        command.append("--peers")
    env = dict(os.environ, DATABASE_URL=db_url)
    log(" ".join(command))
    rc = subprocess.run(command, env=env, cwd=ROOT).returncode
    result = json.loads(out_path.read_text()) if out_path.exists() else {}
    out_path.unlink(missing_ok=True)
    return {"exit_status": rc, **result}


# --- the children ---------------------------------------------------------------------------


def setup_django(settings_module):
    os.environ["DJANGO_SETTINGS_MODULE"] = settings_module
    import django

    django.setup()


def summarize(values):
    return {"median": statistics.median(values), "min": min(values), "max": max(values)}


def timed(function, runs, warmup=2):
    for _ in range(warmup):
        function()
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        function()
        times.append((time.perf_counter() - started) * 1000)
    return times


def child_load(args):
    import scale_data
    from django.core.management import call_command

    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    migrate_s = time.perf_counter() - started
    size = args.size
    result = scale_data.load(
        n_posts=size,
        n_blogs=max(1, size // POSTS_PER_BLOG),
        n_votes=size * VOTES_PER_POST,
        n_voters=max(2000, size // 2),
        log=lambda message: log(f"[{size:,}] {message}"),
    )
    result["migrate_s"] = migrate_s
    result["home_urls"] = scale_data.set_up_home_pages(args.count)
    result["checks"] = check_data(args.recompute)
    return result


def check_data(run_recompute):
    """Wagtail's tree is sound and every stored counter equals the recompute from the votes."""
    from django.core.management import call_command
    from django.db import connection
    from wagtail.models import Page

    from wagtail_communityblog.models import PostScore, Rating

    started = time.perf_counter()
    score, rating = PostScore._meta.db_table, Rating._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM wagtailcore_page")
        pages = cursor.fetchone()[0]
        if pages <= 20000:
            # treebeard's own check: one query per page, minutes at 100,000 pages.
            problems = [len(p) for p in Page.find_problems()]
        else:
            problems = tree_problems_sql(cursor, Page.steplen, Page.alphabet)

        # The drift check as one query (the command does the same, a batch at a time).
        cursor.execute(
            f"SELECT count(*) FROM {score} s LEFT JOIN (SELECT post_id, "
            "count(*) FILTER (WHERE value > 0) AS up, count(*) FILTER (WHERE value < 0) AS down, "
            f"sum(value) AS total FROM {rating} WHERE counted GROUP BY post_id) r "
            "ON r.post_id = s.post_id WHERE s.up_count <> coalesce(r.up, 0) "
            "OR s.down_count <> coalesce(r.down, 0) OR s.vote_sum <> coalesce(r.total, 0) "
            "OR s.score <> coalesce(r.total, 0)"
        )
        drifted = cursor.fetchone()[0]
        cursor.execute(f"SELECT count(*), sum(vote_count) FROM {score} WHERE is_listed")
        listed, votes = cursor.fetchone()
    result = {
        "tree_problems": problems,
        "drifted_posts_sql": drifted,
        "listed_posts": listed,
        "counted_votes": votes,
        "check_s": time.perf_counter() - started,
    }
    if run_recompute:
        import io

        out = io.StringIO()
        started = time.perf_counter()
        call_command("communityblog_recompute_scores", stdout=out)
        result["recompute_command"] = out.getvalue().strip().splitlines()
        result["recompute_s"] = time.perf_counter() - started
    return result


def tree_problems_sql(cursor, steplen, alphabet):
    """treebeard's ``find_problems()`` as five set-based queries: bad characters, bad step
    length, orphans, wrong depth, wrong number of children (the same order)."""
    table = "wagtailcore_page"
    counts = []
    for sql in (
        f"SELECT count(*) FROM {table} WHERE path !~ '^[{alphabet}]*$'",
        f"SELECT count(*) FROM {table} WHERE length(path) % {steplen} <> 0",
        f"SELECT count(*) FROM {table} c WHERE c.depth > 1 AND NOT EXISTS (SELECT 1 FROM "
        f"{table} p WHERE p.path = substr(c.path, 1, length(c.path) - {steplen}))",
        f"SELECT count(*) FROM {table} WHERE depth <> length(path) / {steplen}",
        f"SELECT count(*) FROM {table} p LEFT JOIN (SELECT substr(path, 1, length(path) - "
        f"{steplen}) AS parent, count(*) AS n FROM {table} WHERE depth > 1 GROUP BY 1) c "
        "ON c.parent = p.path WHERE p.numchild <> coalesce(c.n, 0)",
    ):
        cursor.execute(sql)
        counts.append(cursor.fetchone()[0])
    return counts


class QueryCounter:
    def __init__(self):
        from django.db import connection

        self.connection = connection

    def __call__(self, function):
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(self.connection) as captured:
            function()
        return len(captured.captured_queries), [q["sql"] for q in captured.captured_queries]


def plan_nodes(node):
    yield node
    for child in node.get("Plans", []):
        yield from plan_nodes(child)


def explain(queryset):
    """``EXPLAIN ANALYZE`` of a queryset, and what the plan shows.

    The issue's rule: the score table read through one of its indexes, no sort of the whole
    table (a Sort node fed more than a tenth of the listed posts), no read of the votes table.
    """
    from wagtail_communityblog.models import PostScore, Rating

    listed = PostScore.objects.filter(is_listed=True).count()
    tree = json.loads(queryset.explain(analyze=True, format="json"))[0]
    text = queryset.explain(analyze=True)
    nodes = list(plan_nodes(tree["Plan"]))
    score_table, rating_table = PostScore._meta.db_table, Rating._meta.db_table
    score_access = sorted(
        {
            f"{n['Node Type']} using {n.get('Index Name')}"
            if n.get("Index Name")
            else n["Node Type"]
            for n in nodes
            if n.get("Relation Name") == score_table
        }
    )
    sorts = [
        {
            "node": n["Node Type"],
            "key": n.get("Sort Key"),
            "input_rows": n["Plans"][0].get("Actual Rows", 0)
            * n["Plans"][0].get("Actual Loops", 1),
        }
        for n in nodes
        if n["Node Type"] == "Sort"
    ]
    big_sorts = [sort for sort in sorts if sort["input_rows"] > listed / 10]
    reads_votes = any(n.get("Relation Name") == rating_table for n in nodes)
    index_on_scores = bool(score_access) and all("Index" in access for access in score_access)
    return {
        "score_table_access": score_access,
        "sorts": sorts,
        "whole_table_sorts": big_sorts,
        "reads_votes_table": reads_votes,
        "planning_ms": tree.get("Planning Time"),
        "execution_ms": tree.get("Execution Time"),
        "ok": index_on_scores and not big_sorts and not reads_votes,
        "plan": text,
    }


def child_read(args):
    from django.db import connection
    from django.test import Client
    from django.test.utils import override_settings, setup_test_environment

    setup_test_environment()
    runs = args.runs
    result = {"runs": runs}
    counter = QueryCounter()
    client = Client()
    with override_settings(WAGTAIL_COMMUNITYBLOG_BLOCK_CACHE_TIMEOUT=0, DEBUG=False):
        result["front_page"] = front_page(client, counter, runs, args.count)
        result["rankings"] = rankings(counter, runs, args.count)
        result["listing"] = listing(client, counter, runs)
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        result["server"] = "PostgreSQL " + cursor.fetchone()[0].split()[0]
    return result


def front_page(client, counter, runs, count):
    import scale_data

    def get(url):
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        return response

    out = {}
    for size in sorted({count, 50}):
        scale_data.set_up_home_pages(size)
        get("/bare/")
        assert get("/").content.count(b"<article") >= 2 * min(size, 2)
        with_blocks, without = [], []
        for _ in range(2):  # warm-up
            get("/")
            get("/bare/")
        for run in range(runs):
            pair = [("/", with_blocks), ("/bare/", without)]
            for url, sink in pair if run % 2 == 0 else pair[::-1]:
                started = time.perf_counter()
                get(url)
                sink.append((time.perf_counter() - started) * 1000)
        queries_with, sql_with = counter(lambda: get("/"))
        queries_without, _sql = counter(lambda: get("/bare/"))
        ratios = [a / b for a, b in zip(with_blocks, without, strict=True)]
        out[str(size)] = {
            "posts_per_block": size,
            "with_blocks_ms": summarize(with_blocks),
            "without_blocks_ms": summarize(without),
            "ratio": summarize(ratios),
            "added_ms": summarize([a - b for a, b in zip(with_blocks, without, strict=True)]),
            "queries_with": queries_with,
            "queries_without": queries_without,
            "queries_added": queries_with - queries_without,
            "sql_with": sql_with,
        }
    scale_data.set_up_home_pages(count)
    return out


def rankings(counter, runs, count):
    """Each block's top-N: the package's query, the indexed ORM query, raw SQL, in turns."""
    from datetime import timedelta

    import scale_data
    from django.db import connection
    from django.utils import timezone

    from wagtail_communityblog.blocks import PromotedPostsBlock
    from wagtail_communityblog.models import PostScore
    from wagtail_communityblog.models.scores import RANKED

    ranking_query = PostScore.objects.ranking

    block = PromotedPostsBlock()
    table = PostScore._meta.db_table
    week_ago = timezone.now() - timedelta(days=7)
    cases = {
        "hot": {
            "block": scale_data.promoted_value("hot", "Hot", count),
            "package": lambda: ranking_query("hot").values_list("post_id", flat=True),
            "orm": lambda: PostScore.objects.filter(RANKED).order_by("-hot"),
            "sql": (
                f"SELECT * FROM {table} WHERE is_listed AND NOT is_hidden "
                "ORDER BY hot DESC LIMIT %s",
                [],
            ),
        },
        "top_week": {
            "block": scale_data.promoted_value("top", "Top", count, window="week"),
            "package": lambda: ranking_query("top", window="week").values_list(
                "post_id", flat=True
            ),
            "orm": lambda: PostScore.objects.filter(RANKED, published_at__gte=week_ago).order_by(
                "-score", "-published_at"
            ),
            "sql": (
                f"SELECT * FROM {table} WHERE is_listed AND NOT is_hidden "
                "AND published_at >= %s ORDER BY score DESC, published_at DESC LIMIT %s",
                [week_ago],
            ),
        },
    }
    out = {}
    for name, case in cases.items():
        value = block.to_python(case["block"])
        sql, params = case["sql"]

        def raw(sql=sql, params=params):
            with connection.cursor() as cursor:
                cursor.execute(sql, [*params, count])
                return cursor.fetchall()

        methods = {
            "block": lambda value=value: block.get_posts(value),
            "package_query": lambda case=case: list(case["package"]()[:count]),
            "orm_indexed": lambda case=case: list(case["orm"]()[:count]),
            "raw_sql": raw,
        }
        # Same top-N from each (the package's ties are broken further, by id).
        package_ids = methods["package_query"]()
        orm_ids = [s.post_id for s in methods["orm_indexed"]()]
        times = {key: [] for key in methods}
        for _ in range(2):
            for function in methods.values():
                function()
        for run in range(runs):
            order = list(methods.items())
            if run % 2:
                order.reverse()
            for key, function in order:
                started = time.perf_counter()
                function()
                times[key].append((time.perf_counter() - started) * 1000)
        ratios = {
            f"{key}/orm_indexed": summarize(
                [a / b for a, b in zip(times[key], times["orm_indexed"], strict=True)]
            )
            for key in ("block", "package_query", "raw_sql")
        }
        queries = {key: counter(function)[0] for key, function in methods.items()}
        out[name] = {
            "ms": {key: summarize(values) for key, values in times.items()},
            "ratios": ratios,
            "queries": queries,
            "same_top_n": package_ids == orm_ids,
            "explain_package": explain(case["package"]()[:count]),
            "explain_orm": explain(case["orm"]()[:count]),
        }
    return out


def listing(client, counter, runs):
    """The community index for each sort: page 1, page 500 by number and by cursor."""
    from wagtail_communityblog.conf import app_settings
    from wagtail_communityblog.models import PostScore

    listed = PostScore.objects.filter(is_listed=True).count()
    deep = max(1, min(DEEP_PAGE, listed // app_settings.POSTS_PER_PAGE))
    out = {}
    for sort in SORTS:
        base = "/community/" + ("" if sort == "new" else f"?sort={sort}")
        sep = "&" if "?" in base else "?"
        if sort == "top":
            base, sep = "/community/?sort=top&window=all", "&"
        deep_by_number = f"{base}{sep}page={deep}"
        # The "Next" link on page 499 (the tests follow the links page by page): its cursor
        # holds the keys of the last post of page 499.
        deep_by_cursor = cursor_url(base, sep, sort, deep) if deep > 1 else None
        urls = {"page_1": base, "page_500_number": deep_by_number}
        if deep_by_cursor:
            urls["page_500_cursor"] = deep_by_cursor
        entry = {"urls": urls, "deep_page": deep}
        times = {key: [] for key in urls}
        for _ in range(2):
            for url in urls.values():
                client.get(url)
        for run in range(runs):
            order = list(urls.items())
            if run % 2:
                order.reverse()
            for key, url in order:
                started = time.perf_counter()
                response = client.get(url)
                times[key].append((time.perf_counter() - started) * 1000)
                assert response.status_code == 200, (url, response.status_code)
        entry["ms"] = {key: summarize(values) for key, values in times.items()}
        entry["queries"] = {
            key: counter(lambda url=url: client.get(url))[0] for key, url in urls.items()
        }
        if deep_by_cursor:
            same = [p.pk for p in client.get(deep_by_number).context["posts"]] == [
                p.pk for p in client.get(deep_by_cursor).context["posts"]
            ]
            entry["cursor_page_matches_numbered_page"] = same
            entry["ratio_number_over_cursor"] = summarize(
                [
                    a / b
                    for a, b in zip(times["page_500_number"], times["page_500_cursor"], strict=True)
                ]
            )
        entry["explain"] = listing_plans(client, urls)
        out[sort] = entry
    return out


def cursor_url(base, sep, sort, page):
    """The URL the "Next page" link of page ``page - 1`` carries."""
    from wagtail_communityblog.conf import app_settings
    from wagtail_communityblog.models import CommunityIndexPage
    from wagtail_communityblog.models.querysets import LISTING_KEYS
    from wagtail_communityblog.pagination import encode_cursor

    keys = LISTING_KEYS[sort]
    community = CommunityIndexPage.objects.get()
    posts = community.get_sorted_posts(sort, "all").order_by(*(f"-{key}" for key in keys))
    last_of_previous = posts[(page - 1) * app_settings.POSTS_PER_PAGE - 1]
    return f"{base}{sep}page={page}&after={encode_cursor(last_of_previous, keys)}"


def follow_next(client, url, page):
    """The URL of page ``page`` reached through the "Next page" links (None without them)."""
    import html

    for _ in range(page - 1):
        content = client.get(url).content.decode()
        found = re.search(r'<a href="([^"]+)" rel="next"', content)
        if not found:
            return None
        link = html.unescape(found.group(1))
        url = link if link.startswith("/") else url.split("?")[0] + link
    return url


def listing_plans(client, urls):
    """EXPLAIN ANALYZE of the statement that fetches each listing page's posts."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from wagtail_communityblog.models import CommunityPostPage

    table = CommunityPostPage._meta.db_table
    plans = {}
    for key, url in urls.items():
        with CaptureQueriesContext(connection) as captured:
            client.get(url)
        statements = [
            q["sql"]
            for q in captured.captured_queries
            if q["sql"].startswith("SELECT")
            and f'FROM "{table}"' in q["sql"]
            and "LIMIT" in q["sql"]
        ]
        counts = [
            q["sql"] for q in captured.captured_queries if q["sql"].startswith("SELECT COUNT(*)")
        ]
        if not statements:
            continue
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + statements[0])
            plan = "\n".join(row[0] for row in cursor.fetchall())
        execution = re.search(r"Execution Time: ([\d.]+) ms", plan)
        offset = re.search(r"OFFSET (\d+)", statements[0])
        plans[key] = {
            "sql": statements[0],
            "offset": int(offset.group(1)) if offset else 0,
            "count_queries": len(counts),
            "indexes": sorted(
                set(re.findall(r"Index (?:Only )?Scan(?: Backward)? using (\w+)", plan))
            ),
            "full_sorts": [
                line.strip()
                for line in plan.splitlines()
                if re.search(r"(?<!Incremental )Sort\b", line)
                and "Sort Key" not in line
                and "Sort Method" not in line
            ],
            "rows_scanned": max(
                [int(n) for n in re.findall(r"actual time=[\d.]+\.\.[\d.]+ rows=(\d+)", plan)]
                or [0]
            ),
            "execution_ms": float(execution.group(1)) if execution else None,
            "plan": plan,
        }
    return plans


def child_memory(args):
    """Peak RSS of this process serving the front page (and the listing) repeatedly."""
    import resource

    from django.test import Client
    from django.test.utils import override_settings, setup_test_environment

    def rss_mb():
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
        return None

    setup_test_environment()
    after_setup = rss_mb()
    client = Client()
    with override_settings(WAGTAIL_COMMUNITYBLOG_BLOCK_CACHE_TIMEOUT=0):
        for _ in range(200):
            assert client.get("/").status_code == 200
        after_front = rss_mb()
        for sort in SORTS:
            for _ in range(20):
                client.get(f"/community/?sort={sort}")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {
        "posts": args.size,
        "rss_after_django_setup_mb": after_setup,
        "rss_after_200_front_pages_mb": after_front,
        "rss_end_mb": rss_mb(),
        "peak_rss_mb": peak,
    }


def child_main(args):
    setup_django(args.settings)
    handler = {"load": child_load, "read": child_read, "memory": child_memory}[args.child]
    result = handler(args)
    args.child_out.write_text(json.dumps(result, indent=2, default=str))
    return 0


# --- the report -----------------------------------------------------------------------------


def fmt(summary, digits=2):
    return (
        f"{summary['median']:.{digits}f} [{summary['min']:.{digits}f}-{summary['max']:.{digits}f}]"
    )


def format_report(results):
    lines = []
    sizes = sorted(results["sizes"], key=int)
    lines.append("Data sets (PostgreSQL, loaded with COPY; 50 posts per blog, 10 votes per post)")
    lines.append(
        f"{'posts':>9} {'blogs':>7} {'votes':>11} {'voters':>8} {'load s':>8} {'DB MB':>8} "
        f"{'tree':>5} {'drift':>6}"
    )
    for size in sizes:
        load = results["sizes"][size]["load"]
        checks = load["checks"]
        lines.append(
            f"{load['posts']:>9,} {load['blogs']:>7,} {load['votes']:>11,} {load['voters']:>8,} "
            f"{load['load_s'] + load['migrate_s']:>8.0f} {load['sizes_mb']['database']:>8.0f} "
            f"{'ok' if not any(checks['tree_problems']) else 'BAD':>5} "
            f"{checks['drifted_posts_sql']:>6}"
        )
        if "recompute_command" in checks:
            lines.append(
                f"{'':>9} communityblog_recompute_scores: {checks['recompute_command'][-1]} "
                f"({checks['recompute_s']:.0f} s)"
            )
    for size in sizes:
        read = results["sizes"][size]["read"]
        lines += [
            "",
            f"== {int(size):,} posts: {read['server']}, "
            f"median [min-max] of {read['runs']} runs, ms ==",
        ]
        lines.append("Front page, block cache off (two PromotedPostsBlocks: hot; top of the week)")
        lines.append(
            f"{'posts/block':>11} {'with blocks':>22} {'without':>22} {'ratio':>20} "
            f"{'queries':>8} {'added':>6}"
        )
        for entry in read["front_page"].values():
            lines.append(
                f"{entry['posts_per_block']:>11} {fmt(entry['with_blocks_ms']):>22} "
                f"{fmt(entry['without_blocks_ms']):>22} {fmt(entry['ratio']):>20} "
                f"{entry['queries_with']:>8} {entry['queries_added']:>6}"
            )
        lines.append(
            "Top-N of each block: the block's data, the package's query, the same order "
            "through the ORM on the score table, raw SQL (ratios to the ORM query)"
        )
        lines.append(
            f"{'ranking':<9} {'block':>20} {'ranking_query()':>20} {'ORM indexed':>20} "
            f"{'raw SQL':>20} {'block/ORM':>18} {'query/ORM':>18} {'raw/ORM':>18} {'plan':>5}"
        )
        for name, entry in read["rankings"].items():
            ms, ratios = entry["ms"], entry["ratios"]
            plan = entry["explain_package"]
            lines.append(
                f"{name:<9} {fmt(ms['block']):>20} {fmt(ms['package_query']):>20} "
                f"{fmt(ms['orm_indexed']):>20} {fmt(ms['raw_sql']):>20} "
                f"{fmt(ratios['block/orm_indexed']):>18} "
                f"{fmt(ratios['package_query/orm_indexed']):>18} "
                f"{fmt(ratios['raw_sql/orm_indexed']):>18} {'ok' if plan['ok'] else 'BAD':>5}"
            )
            sorts = ", ".join(f"{s['node']} of {s['input_rows']:,} rows" for s in plan["sorts"])
            lines.append(
                f"{'':<9} ranking_query() plan: scores by {', '.join(plan['score_table_access'])}; "
                f"sorts: {sorts or 'none'}; reads votes: {plan['reads_votes_table']}; "
                f"planning {plan['planning_ms']:.2f} ms, execution {plan['execution_ms']:.2f} ms; "
                f"queries: block {entry['queries']['block']}, ranking_query() "
                f"{entry['queries']['package_query']}"
            )
        lines.append(
            f"Community listing (test client): page 1, page {DEEP_PAGE} by ?page=, "
            f"page {DEEP_PAGE} by the Next links' cursor"
        )
        lines.append(
            f"{'sort':<6} {'page 1':>22} {'?page=500':>22} {'cursor p.500':>22} "
            f"{'number/cursor':>20} "
            f"{'queries':>9} {'rows read at depth (number / cursor)':>38}"
        )
        for sort, entry in read["listing"].items():
            ms, plans = entry["ms"], entry["explain"]
            cursor_ms = fmt(ms["page_500_cursor"]) if "page_500_cursor" in ms else "-"
            ratio = (
                fmt(entry["ratio_number_over_cursor"])
                if "ratio_number_over_cursor" in entry
                else "-"
            )
            queries = "/".join(str(entry["queries"][k]) for k in entry["queries"])
            depth = " / ".join(
                f"{plans[k]['rows_scanned']:,} ({plans[k]['execution_ms']} ms)"
                for k in ("page_500_number", "page_500_cursor")
                if k in plans
            )
            lines.append(
                f"{sort:<6} {fmt(ms['page_1']):>22} {fmt(ms['page_500_number']):>22} "
                f"{cursor_ms:>22} {ratio:>20} {queries:>9} {depth:>38}"
            )
    memory = results.get("memory")
    if memory:
        lines += [
            "",
            f"Memory, one process at {memory['posts']:,} posts: "
            f"{memory['rss_after_django_setup_mb']:.0f} MB after django.setup(), "
            f"{memory['rss_after_200_front_pages_mb']:.0f} MB after 200 front pages, "
            f"peak RSS {memory['peak_rss_mb']:.0f} MB (also 80 listing pages)",
        ]
    if len(sizes) > 1:
        lines += ["", "Growth (medians, ms)"]
        lines.append(
            f"{'posts':>9} {'front page':>11} {'hot top-N':>10} {'top-week':>10} "
            f"{'new p.1':>8} {'hot p.1':>8} {'new p.500 cursor':>17} {'hot p.500 cursor':>17}"
        )
        for size in sizes:
            read = results["sizes"][size]["read"]
            front = next(iter(read["front_page"].values()))
            listing = read["listing"]

            def med(entry, key):
                return entry["ms"][key]["median"] if key in entry["ms"] else float("nan")

            lines.append(
                f"{int(size):>9,} {front['with_blocks_ms']['median']:>11.1f} "
                f"{read['rankings']['hot']['ms']['package_query']['median']:>10.2f} "
                f"{read['rankings']['top_week']['ms']['package_query']['median']:>10.2f} "
                f"{med(listing['new'], 'page_1'):>8.1f} {med(listing['hot'], 'page_1'):>8.1f} "
                f"{med(listing['new'], 'page_500_cursor'):>17.1f} "
                f"{med(listing['hot'], 'page_500_cursor'):>17.1f}"
            )
    from vote_path import format_report as vote_path_report

    votes = results.get("vote_path", {})
    for size, vote in votes.items():
        for result in vote.get("results", []):
            lines += ["", f"== vote path at {int(size):,} posts ==", vote_path_report(result)]
        if vote.get("exit_status"):
            lines.append(f"vote path at {int(size):,} posts: exit status {vote['exit_status']}")
    if len(votes) > 1:
        lines += ["", "Growth of the vote path (8 writers; medians, votes/s; ratio to raw SQL)"]
        lines.append(
            f"{'posts':>9} {'votes':>10} {'rate_post()':>12} {'HTTP':>7} {'raw SQL':>8} "
            f"{'service/raw':>12} {'HTTP/raw':>9} {'p95 ms':>7} {'runs':>5}"
        )
        for size in sorted(votes, key=int):
            for result in votes[size].get("results", []):
                summary = result["summary"]
                http, http_ratio = "-", "-"  # not run (--no-http)
                if "http" in summary:
                    http = f"{summary['http']['votes_per_s']['median']:.0f}"
                    http_ratio = f"{result['ratio_http']['median']:.2f}"
                lines.append(
                    f"{int(size):>9,} {result['loaded_posts']['votes']:>10,} "
                    f"{summary['service']['votes_per_s']['median']:>12.0f} "
                    f"{http:>7} "
                    f"{summary['raw']['votes_per_s']['median']:>8.0f} "
                    f"{result['ratio']['median']:>12.2f} {http_ratio:>9} "
                    f"{summary['service']['p95_ms']['median']:>7.1f} "
                    f"{result['config']['runs']:>5}"
                )
    env = results.get("environment", {})
    lines += [
        "",
        f"Python {env.get('python')}, Django {env.get('django')}, Wagtail {env.get('wagtail')}, "
        f"{env.get('cpus')} CPUs (shared; load average at the end "
        f"{', '.join(f'{x:.1f}' for x in env.get('load_average_end', []))}); "
        f"{env.get('total_s', 0) / 60:.0f} min in all",
    ]
    return "\n".join(lines)


def main(argv=None):
    args = parse_args(argv)
    if args.child:
        return child_main(args)
    return parent_main(args)


if __name__ == "__main__":
    sys.exit(main())
