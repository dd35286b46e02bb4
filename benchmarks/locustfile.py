"""Who the load test sends (Locust, run headless by benchmarks/load.py; not for `make test`).

Environment: ``LOAD_PLAN`` (the JSON ``load_site.py setup`` wrote), ``LOAD_OUT`` (where this
run's figures go), ``LOAD_VOTES`` (every vote's outcome, one JSON line each, appended),
``LOAD_MODE`` (``mixed``: readers across the site and members at work; ``spike``: both on the
one viral post; ``votes``: members only, voting with no pause, for the HTTP vote's capacity;
run with the ``Member`` class alone; ``front``: logged-in members on the front page while
others vote at a steady pace, run with ``Member`` and ``FrontPageMember``),
``LOAD_MEMBER_SHARE`` (the members' share of the users, 0.1), ``LOAD_FRONT_VOTES_PER_S`` and
``LOAD_FRONT_VIEWS_PER_S`` (each ``front`` user's pace, 5 and 2).

- **Readers** are anonymous: the front page, the community listing (sorts, page 2), posts
  (a few are much more read than the rest), blogs, tag pages and feeds.
- **Members** are logged in (a session cookie each, so the proxy passes them to the app
  servers): they read posts, vote, change and withdraw votes, comment and report. Each
  Locust user votes as its own slice of the accounts, so no two users ever send one member's
  votes at once and the last answer of each is known.

Every answer is counted by endpoint and by kind (``200``, ``429``, ``503``, an exception's
name), with its time, the proxy's ``X-Cache`` and the second it came in (for the faults).
"""

import itertools
import json
import os
import random
import time
from collections import Counter, defaultdict
from pathlib import Path

from locust import FastHttpUser, between, constant, constant_throughput, events, task

PLAN = json.loads(Path(os.environ["LOAD_PLAN"]).read_text())
MODE = os.environ.get("LOAD_MODE", "mixed")
MEMBER_SHARE = float(os.environ.get("LOAD_MEMBER_SHARE", "0.1"))
ACCOUNTS_PER_USER = int(os.environ.get("LOAD_ACCOUNTS_PER_USER", "10"))
FRONT_VOTES_PER_S = float(os.environ.get("LOAD_FRONT_VOTES_PER_S", "5"))
FRONT_VIEWS_PER_S = float(os.environ.get("LOAD_FRONT_VIEWS_PER_S", "2"))
POSTS = PLAN["posts"]
SPIKE = PLAN["spike"]
# Popularity: a Zipf-like skew, the first posts of a shuffled order read most.
_order = random.Random(7).sample(range(len(POSTS)), len(POSTS))
WEIGHTS = [1 / (rank + 1) for rank in range(len(POSTS))]
POPULAR = [POSTS[i] for i in _order]

times = defaultdict(list)  # endpoint -> response times (ms)
kinds = defaultdict(Counter)  # endpoint -> Counter of outcome kinds
cache = Counter()  # X-Cache values of readers' pages
per_second = defaultdict(Counter)  # second since start -> outcome kinds (all endpoints)
votes_log = open(os.environ["LOAD_VOTES"], "a")  # noqa: SIM115 (closed at the end)
started = time.time()
_slices = itertools.count()


def record(name, response, *, expect=(200,), ok=None):
    """Count one answer; return its kind."""
    if not response.status_code:  # no answer: the connection failed or timed out
        error = response.request_meta.get("exception")
        kind = type(error).__name__ if error is not None else "no answer"
    else:
        kind = str(response.status_code)
    good = ok if ok is not None else response.status_code in expect
    if good:
        response.success()
    else:
        response.failure(f"{kind}: {(response.text or '')[:120]!r}")
    times[name].append(response.request_meta["response_time"])
    kinds[name][kind] += 1
    # For the faults: what each second brought, the failures by endpoint.
    outcome = "ok" if kind in {"200", "201", "302"} else f"{name} {kind}"
    per_second[int(time.time() - started)][outcome] += 1
    return kind


def post_choice():
    return random.choices(POPULAR, WEIGHTS)[0]


class Reader(FastHttpUser):
    """An anonymous reader."""

    weight = round(100 * (1 - MEMBER_SHARE))
    wait_time = between(0.2, 1.0)

    def get(self, path, name):
        with self.client.get(path, name=name, catch_response=True) as response:
            record(name, response)
            cache[response.headers.get("X-Cache", "none") if response.headers else "none"] += 1

    @task(4 if MODE == "mixed" else 0)
    def front_page(self):
        self.get("/", "front page")

    @task(3 if MODE == "mixed" else 0)
    def listing(self):
        query = random.choice(["", "?sort=new", "?sort=top", "?page=2"])
        self.get(PLAN["community"] + query, "listing")

    @task(8 if MODE == "mixed" else 0)
    def post(self):
        self.get(post_choice()["url"], "post")

    @task(2 if MODE == "mixed" else 0)
    def blog(self):
        self.get(random.choice(PLAN["blogs"]), "blog")

    @task(1 if MODE == "mixed" else 0)
    def tag(self):
        self.get(random.choice(PLAN["tags"]), "tag")

    @task(1 if MODE == "mixed" else 0)
    def feed(self):
        self.get(PLAN["community"] + "feed/", "feed")

    @task(10 if MODE == "spike" else 0)
    def viral_post(self):
        self.get(SPIKE["url"], "viral post")


class Member(FastHttpUser):
    """Logged-in members, one slice of the accounts per Locust user."""

    weight = round(100 * MEMBER_SHARE)
    if MODE == "votes":
        wait_time = constant(0)
    elif MODE == "front":
        wait_time = constant_throughput(FRONT_VOTES_PER_S)
    else:
        wait_time = between(0.5, 2.0)

    def on_start(self):
        first = next(_slices) * ACCOUNTS_PER_USER
        members = PLAN["members"]
        self.accounts = [members[(first + n) % len(members)] for n in range(ACCOUNTS_PER_USER)]
        self.my_votes = {}  # (member id, post id) -> value
        self.reported = set()

    def headers(self, account, referer):
        cookie = "; ".join(f"{name}={value}" for name, value in account["cookies"].items())
        return {
            "Cookie": cookie,
            "Origin": self.host,
            "Referer": self.host + referer,
            "Accept": "application/json",
            "X-Requested-With": "XMLHttpRequest",
        }

    def post_form(self, path, name, account, fields, referer, expect):
        fields = {"csrfmiddlewaretoken": account["csrf"], **fields}
        with self.client.post(
            path,
            data=fields,
            headers=self.headers(account, referer),
            name=name,
            catch_response=True,
        ) as response:
            return response, record(name, response, expect=expect)

    @task(0 if MODE in {"votes", "front"} else 3)
    def read(self):
        account = random.choice(self.accounts)
        post = SPIKE if MODE == "spike" else post_choice()
        headers = {"Cookie": self.headers(account, "/")["Cookie"]}
        with self.client.get(
            post["url"], headers=headers, name="post (member)", catch_response=True
        ) as response:
            record("post (member)", response)

    @task(6)
    def vote(self):
        account = random.choice(self.accounts)
        post = SPIKE if MODE == "spike" else post_choice()
        key = (account["id"], post["id"])
        before = self.my_votes.get(key, 0)
        roll = random.random()
        if before and roll < 0.1:
            value = 0  # withdrawn
        elif before and roll < 0.4:
            value = -before  # changed
        else:
            value = 1 if random.random() < 0.7 else -1
        response, kind = self.post_form(
            post["rate"],
            "vote",
            account,
            {"value": value, "next": post["url"]},
            post["url"],
            expect=(200, 429),
        )
        if kind == "200":
            try:
                answered = json.loads(response.text).get("value")
            except ValueError:
                answered = None
            outcome = "answered" if answered == value else "unknown"
            if outcome == "answered":
                self.my_votes[key] = value
        elif kind.isdigit() and int(kind) < 500:
            outcome = "refused"
        else:
            outcome = "unknown"  # a dropped connection or a 5xx: it may or may not stand
        votes_log.write(
            json.dumps(
                {"member": account["id"], "post": post["id"], "value": value, "outcome": outcome}
            )
            + "\n"
        )

    @task(0 if MODE in {"votes", "front"} else 1)
    def comment(self):
        account = random.choice(self.accounts)
        post = SPIKE if MODE == "spike" else post_choice()
        body = f"Load test comment {random.randrange(10**9)}: what about the canvassing rota?"
        self.post_form(
            post["comment"], "comment", account, {"body": body}, post["url"], expect=(201, 429)
        )

    @task(1 if MODE == "mixed" else 0)
    def report(self):
        account = random.choice(self.accounts)
        post = post_choice()
        if (account["id"], post["id"]) in self.reported:
            return
        self.reported.add((account["id"], post["id"]))
        self.post_form(
            post["flag"],
            "report",
            account,
            {"reason": "Load test: this breaks the rule on personal attacks."},
            post["url"],
            # 409: this account reported the post in an earlier phase (the slices start over).
            expect=(201, 409, 429),
        )


if MODE == "front":

    class FrontPageMember(FastHttpUser):
        """A logged-in member reading the front page (the proxy passes them to the app
        servers, so its promoted blocks come from the block cache or are rendered)."""

        weight = round(100 * (1 - MEMBER_SHARE))
        wait_time = constant_throughput(FRONT_VIEWS_PER_S)

        def on_start(self):
            first = next(_slices) * ACCOUNTS_PER_USER
            members = PLAN["members"]
            self.accounts = [members[(first + n) % len(members)] for n in range(ACCOUNTS_PER_USER)]

        @task
        def front_page(self):
            account = random.choice(self.accounts)
            cookie = "; ".join(f"{name}={value}" for name, value in account["cookies"].items())
            with self.client.get(
                "/", headers={"Cookie": cookie}, name="front page (member)", catch_response=True
            ) as response:
                record("front page (member)", response)


@events.test_stop.add_listener
def write_figures(environment, **kwargs):
    votes_log.flush()
    with open(os.environ["LOAD_OUT"], "w") as handle:
        json.dump(
            {
                "started": started,
                "times": times,
                "kinds": {name: dict(counter) for name, counter in kinds.items()},
                "cache": dict(cache),
                "per_second": {second: dict(c) for second, c in per_second.items()},
            },
            handle,
        )
