"""The peers on the vote path: django-vote and django-star-ratings, each through its public API.

Run by ``vote_path.py --peers`` with the interpreter of ``benchmarks/.venv-peers`` (the peers
are never installed into the package's environment). Same plan as ``vote_path.py`` (its
``make_plan``, same seed), same number of writer threads, each with its own connection, on a
fresh ``test_*`` database of the same PostgreSQL server. In the same process and run, the raw
SQL bound on two plain tables (vote rows, per-post counters: the work both peers do, without
rankings), so each peer is given as a ratio to it. After each replay the peer's stored counts
are checked against a recount of its own vote rows and against the sequential replay.

- django-vote (``VoteModel``): ``post.votes.up(user_id)``, ``.down(user_id)``,
  ``.delete(user_id)``.
- django-star-ratings: ``Rating.objects.rate(post, score, user=...)``, 5 stars for an up vote,
  1 for a down vote, ``clear=True`` to withdraw (``STAR_RATINGS_CLEARABLE``).
"""

import argparse
import json
import os
import sys
from collections import Counter, defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent)]

from vote_path import make_plan, replay, split_by_thread, summarize, timed_run  # noqa: E402


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--writers", type=int, default=8)
    parser.add_argument("--votes", type=int, default=3000)
    parser.add_argument("--posts", type=int, default=1000)
    parser.add_argument("--voters", type=int, default=2000)
    parser.add_argument("--revisit", type=float, default=0.5)
    parser.add_argument("--skew", type=float, default=0.0)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument("--out", type=Path, required=True)
    return parser.parse_args()


def log(message):
    print(message, file=sys.stderr, flush=True)


class DjangoVoteVoter:
    name = "django-vote"
    package = "django-vote"
    api = "post.votes.up/down/delete(user_id)"

    def __init__(self, data):
        self.posts, self.users = data["voted"], data["users"]

    def open(self):
        from django.db import connection

        connection.ensure_connection()

    def vote(self, voter, post, value):
        manager = self.posts[post].votes
        user_id = self.users[voter].pk
        if value == 1:
            manager.up(user_id)
        elif value == -1:
            manager.down(user_id)
        else:
            manager.delete(user_id)

    def close(self):
        from django.db import connection

        connection.close()


class StarRatingsVoter:
    name = "star-ratings"
    package = "django-star-ratings"
    api = "Rating.objects.rate(post, score, user=..., clear=...)"

    def __init__(self, data):
        from star_ratings.models import Rating

        self.rating = Rating
        self.posts, self.users = data["starred"], data["users"]

    def open(self):
        from django.db import connection

        connection.ensure_connection()

    def vote(self, voter, post, value):
        user = self.users[voter]
        if value:
            self.rating.objects.rate(self.posts[post], 5 if value == 1 else 1, user=user)
        else:
            self.rating.objects.rate(self.posts[post], None, user=user, clear=True)

    def close(self):
        from django.db import connection

        connection.close()


class RawBound:
    """One transaction per vote on plain tables: lock the voter's row, upsert or delete it,
    move the post's counters by the difference."""

    name = "raw"
    package = "-"
    api = "raw SQL"

    def __init__(self, data):
        self.post_ids = [post.pk for post in data["voted"]]
        self.user_ids = [user.pk for user in data["users"]]
        self.cursor = None

    def open(self):
        from django.db import connection

        connection.ensure_connection()
        self.cursor = connection.connection.cursor()

    def vote(self, voter, post, value):
        cursor = self.cursor
        post_id, user_id = self.post_ids[post], self.user_ids[voter]
        cursor.execute("BEGIN")
        try:
            cursor.execute(
                "SELECT value FROM bound_vote WHERE post_id = %s AND user_id = %s FOR UPDATE",
                (post_id, user_id),
            )
            row = cursor.fetchone()
            old = row[0] if row else None
            new = value or None
            if new != old:
                if new:
                    cursor.execute(
                        "INSERT INTO bound_vote (post_id, user_id, value) VALUES (%s, %s, %s) "
                        "ON CONFLICT (post_id, user_id) DO UPDATE SET value = EXCLUDED.value",
                        (post_id, user_id, new),
                    )
                else:
                    cursor.execute(
                        "DELETE FROM bound_vote WHERE post_id = %s AND user_id = %s",
                        (post_id, user_id),
                    )
                up = (new == 1) - (old == 1)
                down = (new == -1) - (old == -1)
                cursor.execute(
                    "UPDATE bound_count SET up = up + %s, down = down + %s, "
                    "total = total + %s WHERE post_id = %s",
                    (up, down, (new or 0) - (old or 0), post_id),
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


def build(n_posts, n_voters):
    from django.contrib.auth import get_user_model
    from django.db import connection
    from peerapp.models import StarredPost, VotedPost
    from star_ratings.models import Rating

    users = get_user_model().objects.bulk_create(
        [get_user_model()(username=f"voter{i}", password="!") for i in range(n_voters)]
    )
    voted = VotedPost.objects.bulk_create([VotedPost(title=f"Post {i}") for i in range(n_posts)])
    starred = StarredPost.objects.bulk_create(
        [StarredPost(title=f"Post {i}") for i in range(n_posts)]
    )
    # The aggregate row a page render would have made (get_or_create in two threads at once
    # would otherwise race on its unique constraint: not what is measured here).
    for post in starred:
        Rating.objects.for_instance(post)
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TABLE bound_vote (post_id int, user_id int, value smallint, "
            "PRIMARY KEY (post_id, user_id))"
        )
        cursor.execute(
            "CREATE TABLE bound_count (post_id int PRIMARY KEY, up int NOT NULL DEFAULT 0, "
            "down int NOT NULL DEFAULT 0, total int NOT NULL DEFAULT 0)"
        )
        cursor.execute(
            "INSERT INTO bound_count (post_id) SELECT unnest(%s::int[])",
            [[post.pk for post in voted]],
        )
    return {"users": users, "voted": voted, "starred": starred}


def reset():
    from django.db import connection
    from peerapp.models import VotedPost
    from star_ratings.models import Rating, UserRating
    from vote.models import Vote

    Vote.objects.all().delete()
    VotedPost.objects.update(vote_score=0, num_vote_up=0, num_vote_down=0)
    UserRating.objects.all().delete()
    Rating.objects.update(count=0, total=0, average=0)
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM bound_vote")
        cursor.execute("UPDATE bound_count SET up = 0, down = 0, total = 0")
        cursor.execute("VACUUM ANALYZE")


def check(method, data, expected_votes):
    """Stored counts vs a recount of the peer's own rows vs the sequential replay."""
    from django.contrib.contenttypes.models import ContentType
    from django.db import connection
    from peerapp.models import StarredPost, VotedPost
    from star_ratings.models import Rating, UserRating
    from vote.models import DOWN, UP, Vote

    user_index = {user.pk: i for i, user in enumerate(data["users"])}
    rows = Counter()
    actual = {}
    stored = {}
    if method is DjangoVoteVoter:
        index = {post.pk: i for i, post in enumerate(data["voted"])}
        ct = ContentType.objects.get_for_model(VotedPost)
        for object_id, user_id, action in Vote.objects.filter(content_type=ct).values_list(
            "object_id", "user_id", "action"
        ):
            key = (user_index[user_id], index[object_id])
            rows[key] += 1
            actual[key] = 1 if action == UP else -1
        for pk, up, down in VotedPost.objects.values_list("pk", "num_vote_up", "num_vote_down"):
            stored[index[pk]] = (up, down)
        assert UP != DOWN
    elif method is StarRatingsVoter:
        index = {post.pk: i for i, post in enumerate(data["starred"])}
        ct = ContentType.objects.get_for_model(StarredPost)
        for object_id, user_id, score in UserRating.objects.filter(
            rating__content_type=ct
        ).values_list("rating__object_id", "user_id", "score"):
            key = (user_index[user_id], index[object_id])
            rows[key] += 1
            actual[key] = 1 if score == 5 else -1
        # count and total: the ups and downs they imply (5 stars up, 1 star down).
        for object_id, count, total in Rating.objects.filter(content_type=ct).values_list(
            "object_id", "count", "total"
        ):
            down = (5 * count - total) // 4
            stored[index[object_id]] = (count - down, down)
    else:
        index = {post.pk: i for i, post in enumerate(data["voted"])}
        with connection.cursor() as cursor:
            cursor.execute("SELECT post_id, user_id, value FROM bound_vote")
            for post_id, user_id, value in cursor.fetchall():
                key = (user_index[user_id], index[post_id])
                rows[key] += 1
                actual[key] = value
            cursor.execute("SELECT post_id, up, down FROM bound_count")
            for post_id, up, down in cursor.fetchall():
                stored[index[post_id]] = (up, down)
    recount = defaultdict(lambda: [0, 0])
    for (_user, post), value in actual.items():
        recount[post][0 if value == 1 else 1] += rows[(_user, post)]
    expected = defaultdict(lambda: [0, 0])
    for (_user, post), value in expected_votes.items():
        expected[post][0 if value == 1 else 1] += 1
    lost = doubled = drifted = off_plan = 0
    for post, (up, down) in stored.items():
        r_up, r_down = recount[post]
        if (up, down) != (r_up, r_down):
            drifted += 1
            lost += max(0, r_up - up) + max(0, r_down - down)
            doubled += max(0, up - r_up) + max(0, down - r_down)
        if (up, down) != tuple(expected[post]):
            off_plan += 1
    result = {
        "lost": lost,
        "doubled": doubled,
        "drifted_posts": drifted,
        "posts_off_plan": off_plan,
        "duplicate_rows": sum(n - 1 for n in rows.values() if n > 1),
        "missing_rows": sum(1 for key in expected_votes if key not in actual),
        "extra_rows": sum(1 for key in actual if key not in expected_votes),
        "wrong_values": sum(1 for k, v in expected_votes.items() if actual.get(k, v) != v),
    }
    result["clean"] = not any(result.values())
    return result


def main():
    args = parse_args()
    os.environ["DJANGO_SETTINGS_MODULE"] = "settings"
    import django
    from django.test.utils import setup_databases, teardown_databases

    django.setup()
    from importlib.metadata import version

    old_config = setup_databases(verbosity=0, interactive=False, serialized_aliases=[])
    try:
        data = build(args.posts, args.voters)
        plan = make_plan(args.votes, args.posts, args.voters, args.revisit, args.skew, args.seed)
        expected_votes, _kinds = replay(plan)
        per_thread = split_by_thread(plan, args.writers)
        methods = [DjangoVoteVoter, StarRatingsVoter, RawBound]
        runs = []
        for run in range(args.runs):
            order = methods[run % len(methods) :] + methods[: run % len(methods)]
            measured = {}
            for method in order:
                reset()
                figures = timed_run(lambda _p, _v, m=method: m(data), None, None, plan, per_thread)
                figures["check"] = check(method, data, expected_votes)
                figures["errors"] += 0
                measured[method.name] = figures
                log(
                    f"[peers] run {run + 1}/{args.runs} {method.name:>12}: "
                    f"{figures['votes_per_s']:7.0f} votes/s, p50 {figures['p50_ms']:.2f} ms, "
                    f"check {'clean' if figures['check']['clean'] else figures['check']}"
                )
            runs.append(measured)
        results = []
        for method in methods:
            entry = {
                "name": method.name,
                "package": method.package,
                "version": version(method.package) if method.package != "-" else "",
                "api": method.api,
                "summary": {
                    key: summarize([run[method.name][key] for run in runs])
                    for key in ("votes_per_s", "p50_ms", "p95_ms", "p99_ms")
                },
                "checks": {
                    key: sum(run[method.name]["check"][key] for run in runs)
                    for key in ("lost", "doubled", "drifted_posts", "posts_off_plan")
                }
                | {"errors": sum(run[method.name]["errors"] for run in runs)},
                "ratio_to_raw": summarize(
                    [run[method.name]["votes_per_s"] / run["raw"]["votes_per_s"] for run in runs]
                ),
                "all_runs": [run[method.name] for run in runs],
            }
            results.append(entry)
        payload = {
            "django": django.__version__,
            "results": [r for r in results if r["name"] != "raw"],
            "raw": next(r for r in results if r["name"] == "raw"),
            "notes": [
                "django-vote returns False instead of raising on a database error "
                "(OperationalError, IntegrityError): such a vote is dropped silently; the "
                "check counts it as missing or off-plan",
                "django-star-ratings recounts every rating row of the post on each vote "
                "(Rating.calculate(): Sum, Avg, Count over user_ratings)",
            ],
        }
    finally:
        teardown_databases(old_config, verbosity=0)
    args.out.write_text(json.dumps(payload, indent=2, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
