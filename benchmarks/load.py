"""The whole site under load: ``make bench-load`` (Locust through the stack of scripts/stack.py).

    python benchmarks/load.py [--users 60] [--duration 60] [--members 1000] [--no-faults]

Starts the production shape (PostgreSQL, Redis, two gunicorn app servers, the task worker,
the scheduler, Varnish in front), makes the load test's members (load_site.py), and runs
Locust headless (benchmarks/locustfile.py) in phases, each with the same users:

1. **proxy**: readers and members through Varnish;
2. **direct**: the same straight to one app server (the proxy's worth, in the same run);
3. **spike**: ten times the users, readers and voters on one viral post, through Varnish;
4. **votes**: members only, voting with no pause, through Varnish: the HTTP vote's capacity,
   next to the raw-SQL bound;
5. **front**: logged-in members on the front page (the proxy passes them to the app servers)
   while other members vote at a steady pace (50 a second by default): the promoted blocks'
   cache hit ratio, from the block keys Redis was asked for (``redis-cli monitor``: a block
   fetched and then stored was a miss);
6. **rate limits**: one member, logged in through the site's log-in form, votes alternately on
   both app servers past the vote allowance: refused at the allowance, not twice it;
7. **faults** (unless ``--no-faults``): the mixed load again while one app server is killed
   and restarted, the task worker killed and restarted, Redis killed and restarted, and
   PostgreSQL restarted; what each did, second by second.

Then, with the load stopped and the worker's queue empty: every answered vote is in the
database, no score has drifted from a recompute, every e-mail was sent once, and the promoted
blocks show the same posts on every app server. The raw-SQL bound of a vote on this machine
comes from ``vote_path.py`` in the same run, before the stack starts. Figures are printed and
written to benchmarks/results/load.json; docs/performance.md ("Whole site under load") is a
run of this.
"""

import argparse
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
from collections import Counter
from http.cookiejar import CookieJar
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path[:0] = [str(ROOT / "scripts"), str(HERE)]

from stack import Stack  # noqa: E402
from vote_path import tree_cpu_seconds  # noqa: E402

PYTHON = sys.executable
RESULTS = HERE / "results"
PG_DOWN_SECONDS = 5


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("--users", type=int, default=60, help="Locust users in the base phases")
    parser.add_argument("--duration", type=int, default=60, help="seconds per base phase")
    parser.add_argument("--spike-factor", type=int, default=10)
    parser.add_argument("--members", type=int, default=1000, help="member accounts voting")
    parser.add_argument("--posts", type=int, default=200, help="demo posts")
    parser.add_argument("--app-servers", type=int, default=2)
    parser.add_argument("--workers", type=int, default=3, help="gunicorn workers per server")
    parser.add_argument(
        "--conn-max-age",
        type=int,
        default=60,
        help="seconds each process keeps its database connection (0: one a request)",
    )
    parser.add_argument(
        "--front-votes-per-s", type=float, default=50.0, help="votes a second, front phase"
    )
    parser.add_argument(
        "--front-views-per-s",
        type=float,
        default=20.0,
        help="logged-in front page views a second, front phase",
    )
    parser.add_argument("--no-faults", action="store_true")
    parser.add_argument("--no-raw-bound", action="store_true", help="skip vote_path.py")
    parser.add_argument("--json", type=Path, default=RESULTS / "load.json")
    parser.add_argument("--logs", type=Path, help="the stack's log directory (default: temporary)")
    return parser.parse_args(argv)


def log(message):
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


# --- measuring ----------------------------------------------------------------------------------


def cpu_by_process(stack, extra=()):
    pids = {name: process.pid for name, process in stack.processes.items()}
    pids["postgres"] = postmaster(stack)
    pids.update(extra)
    return {name: tree_cpu_seconds(pid) for name, pid in pids.items()}


def postmaster(stack):
    try:
        return int(Path(stack.pg_dir, "data", "postmaster.pid").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def percentile(values, pct):
    if not values:
        return None
    values = sorted(values)
    return values[min(len(values) - 1, round(pct / 100 * (len(values) - 1)))]


def summarize(figures, seconds, cpu):
    endpoints = {}
    total = 0
    for name, times in sorted(figures["times"].items()):
        total += len(times)
        endpoints[name] = {
            "requests": len(times),
            "per_s": len(times) / seconds,
            "p50_ms": percentile(times, 50),
            "p95_ms": percentile(times, 95),
            "p99_ms": percentile(times, 99),
            "kinds": figures["kinds"].get(name, {}),
        }
    everything = [t for times in figures["times"].values() for t in times]
    cache = figures["cache"]
    looked_up = cache.get("HIT", 0) + cache.get("MISS", 0)
    errors = Counter()
    for kinds in figures["kinds"].values():
        for kind, count in kinds.items():
            if kind not in {"200", "201"}:
                errors[kind] += count
    return {
        "seconds": seconds,
        "requests": total,
        "per_s": total / seconds,
        "p50_ms": percentile(everything, 50),
        "p95_ms": percentile(everything, 95),
        "p99_ms": percentile(everything, 99),
        "errors": dict(errors),
        "proxy_hit_ratio": cache.get("HIT", 0) / looked_up if looked_up else None,
        # Votes answered as cast (not those refused over a member's allowance).
        "votes_per_s": figures["kinds"].get("vote", {}).get("200", 0) / seconds,
        "endpoints": endpoints,
        "cpu_s": cpu,
        "per_second": figures["per_second"],
    }


def run_locust(
    stack,
    work,
    name,
    *,
    host,
    users,
    seconds,
    mode="mixed",
    during=None,
    classes=(),
    env=None,
    spawn_rate=None,
):
    """One Locust phase; returns its summary. ``during(started)`` runs in a thread alongside."""
    out = work / f"{name}.json"
    env = {
        **os.environ,
        **(env or {}),
        "LOAD_PLAN": str(work / "plan.json"),
        "LOAD_OUT": str(out),
        "LOAD_VOTES": str(work / "votes.jsonl"),
        "LOAD_MODE": mode,
    }
    command = [PYTHON, "-m", "locust", "-f", str(HERE / "locustfile.py"), "--headless"]
    spawn_rate = spawn_rate or max(1, users // 5)
    command += ["-u", str(users), "-r", str(spawn_rate), "-t", f"{seconds}s"]
    command += ["--host", host, "--only-summary", "--stop-timeout", "10", "--loglevel", "ERROR"]
    command += list(classes)
    log(f"{name}: {users} users for {seconds} s against {host} ({mode})")
    before = cpu_by_process(stack)
    started = time.monotonic()
    with open(work / f"{name}-locust.log", "w") as output:
        locust = subprocess.Popen(command, env=env, stdout=output, stderr=subprocess.STDOUT)
        events = []
        thread = None
        if during is not None:
            thread = threading.Thread(target=during, args=(started, events), daemon=True)
            thread.start()
        locust_cpu = 0.0
        while locust.poll() is None:
            locust_cpu = tree_cpu_seconds(locust.pid) or locust_cpu
            time.sleep(0.5)
        if thread is not None:
            thread.join()
    elapsed = time.monotonic() - started
    after = cpu_by_process(stack)
    # A process started again during the phase (a fault) counts from its new start.
    cpu = {
        key: round(after[key] - before[key] if after[key] >= before[key] else after[key], 1)
        for key in after
        if after.get(key) is not None and before.get(key) is not None
    }
    cpu["locust"] = round(locust_cpu, 1)
    if not out.exists():
        raise RuntimeError(f"Locust wrote no figures; see {work / (name + '-locust.log')}")
    figures = json.loads(out.read_text())
    summary = summarize(figures, min(elapsed, seconds), cpu)
    summary["locust_started"] = figures["started"]
    summary.update(host=host, users=users, mode=mode)
    if events:
        summary["faults"] = events
    log(
        f"{name}: {summary['per_s']:.0f} req/s, p50 {summary['p50_ms']:.0f} ms, "
        f"p95 {summary['p95_ms']:.0f} ms, p99 {summary['p99_ms']:.0f} ms, "
        f"errors {summary['errors'] or 0}, hit ratio {summary['proxy_hit_ratio']}"
    )
    return summary


# The promoted blocks' cache keys, as django-redis sends them (KEY_PREFIX and VERSION before).
BLOCK_KEY = re.compile(r'^\S+ \[[^\]]*\] "(GET|SET)" "[^"]*wagtail_communityblog:block:')


def front_phase(stack, work, options):
    """Logged-in members on the front page while votes stream in, with every block key Redis
    is asked for counted: the hit ratio is 1 - stored / fetched (a block is stored only after
    a fetch missed)."""
    voters = max(1, round(options.front_votes_per_s / 5))
    readers = max(1, round(options.front_views_per_s / 2))
    port = urllib.parse.urlsplit(stack.env["CACHE_URL"]).port
    monitor_log = work / "front-redis-monitor.log"
    with open(monitor_log, "w") as output:
        monitor = subprocess.Popen(
            ["redis-cli", "-h", "127.0.0.1", "-p", str(port), "monitor"], stdout=output
        )
        try:
            summary = run_locust(
                stack,
                work,
                "front",
                host=stack.proxy_url,
                users=voters + readers,
                seconds=options.duration,
                mode="front",
                classes=["Member", "FrontPageMember"],
                spawn_rate=voters + readers,  # all at once: the pace is the figure
                env={
                    "LOAD_FRONT_VOTES_PER_S": str(options.front_votes_per_s / voters),
                    "LOAD_FRONT_VIEWS_PER_S": str(options.front_views_per_s / readers),
                    # Locust splits the users by weight (the voters' share here).
                    "LOAD_MEMBER_SHARE": str(voters / (voters + readers)),
                },
            )
        finally:
            monitor.terminate()
            monitor.wait()
    commands = Counter()
    with open(monitor_log) as lines:
        for line in lines:
            match = BLOCK_KEY.match(line)
            if match:
                commands[match.group(1)] += 1
    fetched, stored = commands["GET"], commands["SET"]
    summary["block_cache"] = {
        "fetched": fetched,
        "stored": stored,
        "hit_ratio": 1 - stored / fetched if fetched else None,
    }
    log(f"front: block cache {summary['block_cache']}")
    return summary


# --- the checks after the load ------------------------------------------------------------------


class Browser:
    """A member's browser: cookies, the log-in form, form posts with the CSRF token."""

    def __init__(self):
        self.jar = CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def cookie(self, name):
        return next((c.value for c in self.jar if c.name == name), None)

    def open(self, url, fields=None, headers=None):
        data = urllib.parse.urlencode(fields).encode() if fields is not None else None
        request = urllib.request.Request(url, data=data, headers=headers or {})
        try:
            with self.opener.open(request, timeout=30) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()

    def log_in(self, base, path, username, password):
        status, page = self.open(base + path)
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
        status, _page = self.open(
            base + path,
            {"csrfmiddlewaretoken": token, "login": username, "password": password},
            {"Origin": base, "Referer": base + path},
        )
        if not self.cookie("sessionid"):
            raise RuntimeError(f"log-in as {username} failed ({status})")


def rate_limits_hold(stack, plan, allowance):
    """One member logged in through the proxy's log-in form votes ``allowance * 1.5`` times,
    alternating between the app servers; the total accepted must be the allowance."""
    browser = Browser()
    member = plan["limit_member"]
    browser.log_in(stack.proxy_url, plan["login"], member["username"], member["password"])
    answers = Counter()
    for n in range(allowance * 3 // 2):
        base = stack.app_urls[n % len(stack.app_urls)]
        post = plan["posts"][n % len(plan["posts"])]
        status, _body = browser.open(
            base + post["rate"],
            {"csrfmiddlewaretoken": browser.cookie("csrftoken"), "value": 1 - 2 * (n % 2)},
            {
                "Origin": base,
                "Accept": "application/json",
                "X-CSRFToken": browser.cookie("csrftoken"),
            },
        )
        answers[status] += 1
    result = {"allowance": allowance, "sent": sum(answers.values()), "answers": dict(answers)}
    result["held"] = answers.get(200, 0) == allowance
    log(f"rate limits across {len(stack.app_urls)} servers: {result}")
    return result


def promoted_posts(url):
    with urllib.request.urlopen(url, timeout=30) as response:
        page = response.read().decode()
    sections = re.findall(
        r'<section class="communityblog communityblog-promoted".*?</section>', page, re.S
    )
    return [re.findall(r'communityblog-post-title"><a href="([^"]+)"', s) for s in sections]


def blocks_agree(stack, rounds=5):
    """The promoted blocks of the home page, as each app server renders them, side by side."""
    agree = 0
    seen = None
    for _ in range(rounds):
        shown = [promoted_posts(url + "/") for url in stack.app_urls]
        agree += all(blocks == shown[0] for blocks in shown)
        seen = shown[0]
        time.sleep(0.5)
    result = {"rounds": rounds, "identical": agree, "blocks": seen}
    log(f"promoted blocks identical on every server in {agree} of {rounds} rounds")
    return result


def wait_for_tasks(stack, timeout=420):
    """Until no e-mail waits in the outbox and the worker's queue holds nothing ready (or
    ``timeout``: a killed worker's claims run out after EMAIL_CLAIM_SECONDS, then the
    scheduler's next retry_emails hands them over)."""
    code = (
        "from django_tasks_db.models import DBTaskResult as R\n"
        "from wagtail_communityblog.models import EmailDelivery as E\n"
        "print(R.objects.filter(status='READY').count()"
        " + E.objects.filter(status__in=['pending', 'sending']).count())"
    )
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        left = django_shell(stack, code).strip().splitlines()[-1]
        if left == "0":
            return True
        time.sleep(2)
    return False


def django_shell(stack, code):
    return subprocess.run(
        [PYTHON, "manage.py", "shell", "-c", code],
        cwd=ROOT / "example_site",
        env=stack.env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout


def emails_sent(stack, sent_ids):
    """The outbox's e-mails in the file backend's directory (by the delivery in their
    Message-ID): how many arrived, which of those the outbox marked sent are missing, and
    how many arrived more than once."""
    arrived = Counter()
    for path in Path(stack.env["EMAIL_FILE_PATH"]).glob("*.log"):
        arrived.update(
            int(n)
            for n in re.findall(r"^Message-ID: <communityblog\.(\d+)\.", path.read_text(), re.M)
        )
    return {
        "messages": sum(arrived.values()),
        "marked_sent_but_missing": len(set(sent_ids) - set(arrived)),
        "sent_twice": sum(1 for count in arrived.values() if count > 1),
    }


# --- faults -------------------------------------------------------------------------------------


def faults(stack):
    """What to break, and when (seconds into the phase), for the faults phase."""

    def restart_postgres():
        subprocess.run(
            ["bash", str(ROOT / "scripts" / "pg_cluster.sh"), "restart", stack.pg_dir]
            + [str(PG_DOWN_SECONDS)],
            check=True,
            capture_output=True,
        )

    return [
        (10, "kill app server 2", lambda: stack.kill("app2")),
        (25, "restart app server 2", lambda: stack.respawn("app2")),
        (35, "kill the task worker", lambda: stack.kill("worker")),
        (45, "restart the task worker", lambda: stack.respawn("worker")),
        (55, "kill Redis", lambda: stack.kill("redis")),
        (70, "restart Redis", lambda: stack.respawn("redis")),
        (80, f"restart PostgreSQL ({PG_DOWN_SECONDS} s down)", restart_postgres),
    ]


def injector(stack):
    schedule = faults(stack)

    def run(started, events):
        for at, what, action in schedule:
            time.sleep(max(0.0, started + at - time.monotonic()))
            log(f"fault: {what}")
            event = {"at": at, "what": what, "epoch": time.time()}
            try:
                action()
            except Exception as error:  # noqa: BLE001 (recorded, the run goes on)
                event["failed"] = repr(error)
            events.append(event)

    return run


def windows(summary):
    """Outcomes per window between two faults of the faults phase, by the clock: Locust
    counts seconds from its own start, the faults are stamped when they were made."""
    started = summary["locust_started"]
    marks = [0] + [event["epoch"] - started for event in summary["faults"]]
    marks.append(max(int(second) for second in summary["per_second"]) + 1)
    labels = ["before"] + [event["what"] for event in summary["faults"]]
    out = []
    for label, start, end in zip(labels, marks, marks[1:], strict=False):
        counts = Counter()
        for second, kinds in summary["per_second"].items():
            if start <= int(second) + 0.5 < end:
                counts.update(kinds)
        out.append(
            {"after": label, "from_s": round(start), "to_s": round(end), "outcomes": dict(counts)}
        )
    return out


# --- main ---------------------------------------------------------------------------------------


def raw_bound():
    """Raw-SQL votes/s on this machine (vote_path.py, PostgreSQL, 8 writers, one run)."""
    out = RESULTS / "load-vote-path.json"
    log("raw-SQL bound of a vote: vote_path.py --db postgres (about a minute)")
    subprocess.run(
        [PYTHON, str(HERE / "vote_path.py"), "--db", "postgres", "--runs", "1"]
        + ["--votes", "3000", "--anatomy", "50", "--json", str(out)],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    result = json.loads(out.read_text())["results"][0]
    return result["summary"]["raw"]["votes_per_s"]["median"]


def main(argv=None):
    options = parse_args(argv)
    RESULTS.mkdir(exist_ok=True)
    report = {
        "command": " ".join(["python", *sys.argv]),
        "options": {
            key: str(value) if isinstance(value, Path) else value
            for key, value in vars(options).items()
        },
    }
    report["raw_sql_votes_per_s"] = None if options.no_raw_bound else raw_bound()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    with Stack(
        app_servers=options.app_servers,
        workers=options.workers,
        posts=options.posts,
        logs=options.logs,
        conn_max_age=options.conn_max_age,
    ) as stack:
        work = stack.logs / "load"
        work.mkdir(exist_ok=True)
        log(f"stack up: proxy {stack.proxy_url}, app servers {stack.app_urls}, logs {stack.logs}")
        subprocess.run(
            [PYTHON, str(HERE / "load_site.py"), "setup", "--members", str(options.members)]
            + ["--out", str(work / "plan.json")],
            env=stack.env,
            check=True,
        )
        plan = json.loads((work / "plan.json").read_text())
        phases = report["phases"] = {}
        base = {"users": options.users, "seconds": options.duration}
        phases["proxy"] = run_locust(stack, work, "proxy", host=stack.proxy_url, **base)
        phases["direct"] = run_locust(stack, work, "direct", host=stack.app_urls[0], **base)
        phases["spike"] = run_locust(
            stack,
            work,
            "spike",
            host=stack.proxy_url,
            users=options.users * options.spike_factor,
            seconds=options.duration,
            mode="spike",
        )
        phases["votes"] = run_locust(
            stack,
            work,
            "votes",
            host=stack.proxy_url,
            users=options.users,
            seconds=max(15, options.duration // 2),
            mode="votes",
            classes=["Member"],
        )
        phases["front"] = front_phase(stack, work, options)
        report["rate_limits"] = rate_limits_hold(stack, plan, allowance=200)
        report["promoted_blocks"] = blocks_agree(stack)
        if not options.no_faults:
            phases["faults"] = run_locust(
                stack,
                work,
                "faults",
                host=stack.proxy_url,
                users=options.users,
                seconds=100,
                during=injector(stack),
            )
            phases["faults"]["windows"] = windows(phases["faults"])
        report["tasks_drained"] = wait_for_tasks(stack)
        subprocess.run(
            [PYTHON, str(HERE / "load_site.py"), "check", "--plan", str(work / "plan.json")]
            + ["--votes", str(work / "votes.jsonl"), "--out", str(work / "check.json")],
            env=stack.env,
            check=True,
            stdout=subprocess.DEVNULL,
        )
        report["check"] = json.loads((work / "check.json").read_text())
        report["emails"] = emails_sent(stack, report["check"].pop("sent_delivery_ids"))
        report["restarted_by_supervisor"] = [name for _when, name, _status in stack.restarts]
        report["logs"] = str(stack.logs)
    report["ratios"] = ratios(report)
    options.json.write_text(json.dumps(report, indent=2) + "\n")
    print(format_report(report))
    print(f"JSON results: {options.json}")


def ratios(report):
    phases = report["phases"]
    out = {"proxy_over_direct_req_per_s": phases["proxy"]["per_s"] / phases["direct"]["per_s"]}
    if report.get("raw_sql_votes_per_s"):
        out["http_votes_over_raw_sql"] = (
            phases["votes"]["votes_per_s"] / report["raw_sql_votes_per_s"]
        )
    return out


def format_report(report):
    lines = ["", "Whole site under load", ""]
    lines.append(
        f"{'phase':<8} {'users':>5} {'req/s':>7} {'p50':>6} {'p95':>6} {'p99':>6} "
        f"{'votes/s':>8} {'hit':>5}  errors"
    )
    for name, phase in report["phases"].items():
        hit = phase["proxy_hit_ratio"]
        lines.append(
            f"{name:<8} {phase['users']:>5} {phase['per_s']:>7.0f} {phase['p50_ms']:>6.0f} "
            f"{phase['p95_ms']:>6.0f} {phase['p99_ms']:>6.0f} {phase['votes_per_s']:>8.1f} "
            f"{'-' if hit is None else f'{hit:.2f}':>5}  {phase['errors'] or '-'}"
        )
    lines.append("")
    for name, phase in report["phases"].items():
        cpu = ", ".join(f"{key} {value}" for key, value in sorted(phase["cpu_s"].items()))
        lines.append(f"CPU seconds, {name}: {cpu}")
    lines.append("")
    for key, value in report["ratios"].items():
        lines.append(f"{key}: {value:.2f}")
    front = report["phases"].get("front")
    if front:
        blocks = front["block_cache"]
        ratio = blocks["hit_ratio"]
        lines.append(
            f"block cache, logged-in front pages while {front['votes_per_s']:.0f} votes/s "
            f"stream in: hit ratio {'-' if ratio is None else f'{ratio:.2f}'} "
            f"({blocks['fetched']} blocks fetched, {blocks['stored']} rendered and stored)"
        )
    if report.get("raw_sql_votes_per_s"):
        lines.append(f"raw-SQL bound: {report['raw_sql_votes_per_s']:.0f} votes/s")
    lines.append(f"rate limits: {report['rate_limits']}")
    blocks = report["promoted_blocks"]
    lines.append(
        f"promoted blocks identical on every server: {blocks['identical']}/{blocks['rounds']}"
    )
    lines.append(f"after the load: {report['check']}")
    lines.append(f"e-mails: {report['emails']}; tasks drained: {report['tasks_drained']}")
    if "faults" in report["phases"]:
        lines.append("")
        lines.append("Faults (outcomes per window)")
        for window in report["phases"]["faults"]["windows"]:
            lines.append(
                f"  {window['from_s']:>3}-{window['to_s']:<3} s after {window['after']}: "
                f"{window['outcomes']}"
            )
    return "\n".join(lines)


if __name__ == "__main__":
    main()
