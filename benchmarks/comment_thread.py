"""Post-page benchmark for discussions: queries and render time by number of comments.

Builds one post per size (20, 200, 1000 comments by default; a third of them replies), then
renders each post page through Django's test client, anonymously and as a logged-in reader who
has recommended some comments, and prints the number of SQL queries and the median render time
of ``--runs`` renders. The query count should not change with the size; the time grows with
the HTML written.

    .venv/bin/python benchmarks/comment_thread.py
    .venv/bin/python benchmarks/comment_thread.py --sizes 20 200 2000 --runs 7

Runs on a throwaway test database (SQLite unless ``DATABASE_URL`` says otherwise).
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "example_site")]
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[20, 200, 1000])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()

    import django

    django.setup()
    from django.db import connection
    from django.test import Client, override_settings
    from django.test.utils import CaptureQueriesContext, setup_databases, teardown_databases

    # No setup_test_environment(): its instrumented template rendering (a signal and a copy of
    # the context for every template rendered) would be most of what is measured here.
    old_config = setup_databases(verbosity=0, interactive=False)
    try:
        from tests.factories import make_blog, make_community, make_post, make_user
        from wagtail_communityblog.services.comments import create_comment, recommend

        community = make_community()
        blog = make_blog(community)
        reader = make_user("reader")
        writers = [make_user() for _ in range(20)]
        posts = {}
        with override_settings(WAGTAIL_COMMUNITYBLOG_MODERATION="none"):
            for size in args.sizes:
                post = make_post(blog, title=f"{size} comments")
                written = []
                for index in range(size):
                    parent = written[index // 3] if index >= 3 and index % 3 == 0 else None
                    written.append(
                        create_comment(post, writers[index % 20], f"Comment {index}", parent)
                    )
                for comment in written[::10]:
                    recommend(comment, reader, 1)
                posts[size] = post

        print(f"database: {connection.vendor}; median of {args.runs} renders")
        print(f"{'comments':>9} {'viewer':>10} {'queries':>8} {'ms':>8}")
        for label, client in (("anonymous", Client()), ("logged in", Client())):
            if label == "logged in":
                client.force_login(reader)
            client.get(posts[args.sizes[0]].url)  # warm up (site, templates)
            for size, post in posts.items():
                times = []
                for _ in range(args.runs):
                    with CaptureQueriesContext(connection) as queries:
                        start = time.perf_counter()
                        response = client.get(post.url)
                        times.append((time.perf_counter() - start) * 1000)
                    assert response.status_code == 200
                print(f"{size:>9} {label:>10} {len(queries):>8} {statistics.median(times):>8.1f}")
    finally:
        teardown_databases(old_config, verbosity=0)


if __name__ == "__main__":
    main()
