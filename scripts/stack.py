"""The production shape on this machine, on loopback only: ``make stack``.

    python scripts/stack.py [--app-servers 2] [--workers 3] [--posts 200] [--keep]

Starts, from the machine's packages (Debian's ``redis-server`` and ``varnish``, PostgreSQL's
server binaries, installed with apt when missing and run as root):

- PostgreSQL: a throwaway cluster (scripts/pg_cluster.sh);
- Redis: the shared cache (rate limits, the promoted blocks' cache and its generation,
  sessions through ``cached_db``), no persistence;
- ``--app-servers`` gunicorn app servers, ``--workers`` processes each, on their own ports,
  with the example site's production settings (``DEBUG`` off, ``check --deploy`` clean but for
  plain HTTP on loopback);
- Varnish in front of them (deploy/varnish.vcl.in), purged by Wagtail's frontend_cache;
- django-tasks' database worker (``manage.py db_worker``): members' e-mails, purges;
- the scheduler (``manage.py communityblog_scheduler``): ring detection, matured votes and the
  nightly rebuild, queued on their crontab lines.

It migrates, collects the static files, fills the site with demo content (``--posts``), prints
the URLs and the log directory, and runs until Ctrl-C, then stops everything and deletes the
cluster. ``Stack`` is also what benchmarks/load.py starts. docs/how-to/deploy.md is this shape.
"""

import argparse
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SITE = ROOT / "example_site"
VCL = ROOT / "deploy" / "varnish.vcl.in"
PYTHON = sys.executable


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def need(binary, package):
    found = shutil.which(binary) or shutil.which(binary, path="/usr/sbin:/usr/bin")
    if found:
        return found
    if os.geteuid() != 0:
        raise SystemExit(f"{binary} not found: apt-get install {package} (as root)")
    print(f"installing Debian's {package} ...", flush=True)
    subprocess.run(["apt-get", "update", "-q"], check=True, stdout=subprocess.DEVNULL)
    subprocess.run(
        ["apt-get", "install", "-y", "-q", "--no-install-recommends", package],
        check=True,
        env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"},
        stdout=subprocess.DEVNULL,
    )
    return shutil.which(binary) or shutil.which(binary, path="/usr/sbin:/usr/bin")


def wait_for(url, timeout=60, process=None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"{process.args[0]} exited while starting")
        try:
            with urllib.request.urlopen(url, timeout=5):
                return
        except urllib.error.HTTPError:
            return  # it answers
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.3)
    raise RuntimeError(f"{url} did not answer within {timeout} s")


def render_vcl(app_ports):
    """deploy/varnish.vcl.in with one backend per app server (each probed on /healthz)."""
    backends = "\n".join(
        f'backend app{n} {{ .host = "127.0.0.1"; .port = "{port}"; .probe = healthz; }}'
        for n, port in enumerate(app_ports, 1)
    )
    names = "\n".join(f"    app.add_backend(app{n});" for n in range(1, len(app_ports) + 1))
    return VCL.read_text().replace("@BACKENDS@", backends).replace("@BACKEND_NAMES@", names)


class Stack:
    """Start with ``with Stack(...) as stack:``; ``stack.proxy_url``, ``stack.app_urls``,
    ``stack.env`` (the settings' environment), ``stack.processes`` (name to Popen)."""

    def __init__(self, *, app_servers=2, workers=3, posts=200, logs=None, conn_max_age=60):
        self.app_servers, self.workers, self.posts = app_servers, workers, posts
        self.conn_max_age = conn_max_age
        self.logs = Path(logs or tempfile.mkdtemp(prefix="communityblog-stack-"))
        self.logs.mkdir(parents=True, exist_ok=True)
        self.logs.chmod(0o755)  # Varnish reads its configuration as its own unprivileged user
        self.processes = {}
        self.commands = {}  # name -> (command, cwd), to start a process again (respawn)
        self.down = set()  # processes killed on purpose (kill), not restarted until respawn
        self.restarts = []  # (time, name, exit status): what the supervisor restarted
        self.stopping = threading.Event()
        self.pg_dir = None

    # --- pieces ------------------------------------------------------------------------------

    def start(self):
        redis_server = need("redis-server", "redis-server")
        varnishd = need("varnishd", "varnish")
        self.start_postgres()
        redis_port, proxy_port = free_port(), free_port()
        app_ports = [free_port() for _ in range(self.app_servers)]
        self.proxy_port = proxy_port
        self.proxy_url = f"http://127.0.0.1:{proxy_port}"
        self.app_urls = [f"http://127.0.0.1:{port}" for port in app_ports]
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "example.settings.production",
            "PYTHONPATH": f"{ROOT}:{SITE}",
            "SECRET_KEY": "stack-" + os.urandom(24).hex(),
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "CSRF_TRUSTED_ORIGINS": ",".join([self.proxy_url, *self.app_urls]),
            "DATABASE_URL": self.database_url,
            "DATABASE_CONN_MAX_AGE": str(self.conn_max_age),
            "CACHE_URL": f"redis://127.0.0.1:{redis_port}/0",
            "FRONTEND_CACHE_URL": self.proxy_url,
            "WAGTAILADMIN_BASE_URL": self.proxy_url,
            "SECURE_SSL_REDIRECT": "false",
            "SECURE_HSTS_SECONDS": "0",
            "SECURE_COOKIES": "false",
            "ACCOUNT_EMAIL_VERIFICATION": "none",
            # A killed worker's e-mails are sent again within a minute and a half.
            "EMAIL_CLAIM_SECONDS": "60",
            # The worker's e-mails, one file each, where the load test can count them.
            "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
            "EMAIL_FILE_PATH": str(self.logs / "mail"),
        }
        self.spawn(
            "redis",
            [redis_server, "--port", str(redis_port), "--bind", "127.0.0.1", "--save", ""]
            + ["--appendonly", "no"],
        )
        self.prepare()
        for number, port in enumerate(app_ports, 1):
            self.spawn(
                f"app{number}",
                [PYTHON, "-m", "gunicorn", "example.wsgi", "--bind", f"127.0.0.1:{port}"]
                + ["--workers", str(self.workers), "--access-logfile", "-"]
                + ["--worker-tmp-dir", "/dev/shm", "--timeout", "30"],
                cwd=SITE,
            )
        self.spawn("worker", [PYTHON, "manage.py", "db_worker", "--interval", "0.5"], cwd=SITE)
        self.spawn("scheduler", [PYTHON, "manage.py", "communityblog_scheduler"], cwd=SITE)
        for url in self.app_urls:
            wait_for(url + "/", process=None)
        self.start_varnish(varnishd, proxy_port, app_ports)
        wait_for(self.proxy_url + "/", process=self.processes["varnish"])
        threading.Thread(target=self.supervise, daemon=True).start()
        return self

    def supervise(self):
        """Start again, a second later, any process that exits (as systemd's
        ``Restart=always`` does; docs/how-to/deploy.md), except one killed on purpose."""
        while not self.stopping.wait(0.5):
            for name, process in list(self.processes.items()):
                status = process.poll()
                if status is None or name in self.down or self.stopping.is_set():
                    continue
                self.restarts.append((time.time(), name, status))
                time.sleep(1)
                if not self.stopping.is_set() and name not in self.down:
                    self.spawn(name, *self.commands[name])

    def kill(self, name):
        """Kill a process of the stack (SIGKILL to its whole group): it stays down."""
        self.down.add(name)
        os.killpg(self.processes[name].pid, signal.SIGKILL)
        self.processes[name].wait()

    def start_postgres(self):
        result = subprocess.run(
            ["bash", str(ROOT / "scripts" / "pg_cluster.sh"), "start"],
            capture_output=True,
            text=True,
            check=True,
        )
        exports = dict(
            line.removeprefix("export ").split("=", 1)
            for line in result.stdout.splitlines()
            if line.startswith("export ")
        )
        self.pg_dir = exports["PGCLUSTER_DIR"].strip("'\"")
        self.database_url = exports["DATABASE_URL"].strip("'\"")

    def prepare(self):
        manage = [PYTHON, "manage.py"]
        for command in (
            ["migrate", "--noinput", "--verbosity", "0"],
            ["collectstatic", "--noinput", "--verbosity", "0"],
            ["communityblog_demo", "--posts", str(self.posts)],
            # Links in e-mails and the proxy's purges name the site as readers reach it.
            [
                "shell",
                "-c",
                "from wagtail.models import Site; Site.objects.filter(is_default_site=True)"
                f".update(hostname='127.0.0.1', port={self.proxy_port})",
            ],
        ):
            subprocess.run(
                manage + command,
                cwd=SITE,
                env=self.env,
                check=True,
                stdout=open(self.logs / "prepare.log", "a"),  # noqa: SIM115
                stderr=subprocess.STDOUT,
            )

    def start_varnish(self, varnishd, port, app_ports):
        vcl = self.logs / "varnish.vcl"
        vcl.write_text(render_vcl(app_ports))
        workdir = self.logs / "varnish"
        workdir.mkdir(exist_ok=True)
        self.spawn(
            "varnish",
            [varnishd, "-F", "-a", f"127.0.0.1:{port}", "-f", str(vcl), "-n", str(workdir)]
            + ["-s", "malloc,256m", "-T", "none", "-p", "ban_lurker_sleep=0.1"],
        )

    def spawn(self, name, command, cwd=None):
        self.commands[name] = (command, cwd)
        log = open(self.logs / f"{name}.log", "a")  # noqa: SIM115 (closed by the process's end)
        self.processes[name] = subprocess.Popen(
            [str(part) for part in command],
            cwd=cwd,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def respawn(self, name):
        """Start a process of the stack again (after ``kill``), as it was started."""
        self.down.discard(name)
        command, cwd = self.commands[name]
        self.spawn(name, command, cwd)

    def stop(self):
        self.stopping.set()
        for process in self.processes.values():
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in self.processes.values():
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
        if self.pg_dir:
            subprocess.run(
                ["bash", str(ROOT / "scripts" / "pg_cluster.sh"), "stop", self.pg_dir],
                check=False,
                capture_output=True,
            )

    def __enter__(self):
        try:
            return self.start()
        except BaseException:
            self.stop()
            raise

    def __exit__(self, *exc):
        self.stop()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--app-servers", type=int, default=2)
    parser.add_argument("--workers", type=int, default=3, help="gunicorn workers per server")
    parser.add_argument("--posts", type=int, default=200, help="demo posts")
    parser.add_argument("--logs", type=Path, help="log directory (default: a temporary one)")
    parser.add_argument(
        "--conn-max-age",
        type=int,
        default=60,
        help="seconds each process keeps its database connection (0: one a request)",
    )
    options = parser.parse_args()
    # SIGTERM (kill, systemd, CI) stops the stack as Ctrl-C does: nothing is left running.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    with Stack(
        app_servers=options.app_servers,
        workers=options.workers,
        posts=options.posts,
        logs=options.logs,
        conn_max_age=options.conn_max_age,
    ) as stack:
        print(f"proxy (Varnish):  {stack.proxy_url}/", flush=True)
        for number, url in enumerate(stack.app_urls, 1):
            print(f"app server {number}:     {url}/")
        print(f"logs:             {stack.logs}")
        print("demo accounts: see prepare.log; stop with Ctrl-C")
        print("a process that exits is started again a second later (see its log)")
        try:
            seen = 0
            while True:
                time.sleep(1)
                for _when, name, status in stack.restarts[seen:]:
                    print(f"{name} exited ({status}): started again", file=sys.stderr)
                seen = len(stack.restarts)
        except KeyboardInterrupt:
            print("stopping ...")


if __name__ == "__main__":
    main()
