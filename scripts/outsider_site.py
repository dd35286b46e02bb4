"""The release artefacts, tried as a party web team would: in a Wagtail site we did not write.

    python scripts/outsider_site.py --corner oldest|newest [--workdir DIR] [--keep]
    make test-outsider            (both corners, as CI runs it)

1. Builds the sdist and the wheel (``python -m build``) and checks them with
   ``twine check --strict``.
2. Makes a virtualenv for the corner (the oldest: Python 3.11, Django 5.2, Wagtail 7.0; the newest:
   Python 3.12+, Django 6.0, Wagtail 8) and installs the **wheel** into it, not the source tree.
3. ``wagtail start outsider``: a new site of Wagtail's own design. Then the tutorial's steps
   (docs/tutorial/installation.md), done by this script as an integrator would do them by hand:
   the apps added to the existing ``INSTALLED_APPS`` list, the URLs above Wagtail's, SQLite's
   ``IMMEDIATE`` mode, log-in by Django's own views (the site has no sign-up), the site's base
   template named in ``WAGTAIL_COMMUNITYBLOG_BASE_TEMPLATE``, messages and breadcrumbs left to
   the site, the promoted block added to a ``StreamBlock`` class of the site's own with a
   migration in the site's app. The site's base template (tests/outsider/overlay/) has other
   block names and a dark theme switched on by a class on ``<html>``; static files go through
   manifest storage (Django's on the oldest corner, WhiteNoise's compressed one on the newest).
4. ``migrate``, ``collectstatic``, ``check`` and ``check --deploy`` with production settings:
   no errors, and no warning but the one the tutorial says to expect for a base template
   without ``extra_head`` (``wagtail_communityblog.W031``).
5. Serves the site with gunicorn (``DEBUG = False``) on a loopback port and runs
   tests/outsider/ against it: an editor, members and a reader in Chromium, with axe-core and
   the HTML validator on every page they see.

Exits non-zero if any step fails. ``--keep`` leaves the work directory (the site, its
database and the logs) for a look afterwards.
"""

import argparse
import glob
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OVERLAY = ROOT / "tests" / "outsider" / "overlay"

CORNERS = {
    "oldest": {
        "python": ["python3.11", str(Path.home() / ".pyenv/versions/3.11*/bin/python3")],
        "django": "5.2.*",
        "wagtail": "7.0.*",
        "storage": "django.contrib.staticfiles.storage.ManifestStaticFilesStorage",
        # Wagtail 7.0 brings django-tasks 0.7, whose database backend is built in.
        "tasks": {
            "packages": [],
            "apps": ["django_tasks", "django_tasks.backends.database"],
            "backend": "django_tasks.backends.database.DatabaseBackend",
        },
    },
    "newest": {
        "python": [
            str(Path.home() / ".pyenv/versions/3.13*/bin/python3"),
            str(Path.home() / ".pyenv/versions/3.12*/bin/python3"),
            "python3.13",
            "python3.12",
        ],
        "django": "6.0.*",
        "wagtail": "8.*",
        "storage": "whitenoise.storage.CompressedManifestStaticFilesStorage",
        # django-tasks 0.9+: the database backend is a package of its own.
        "tasks": {
            "packages": ["django-tasks-db>=0.9"],
            "apps": ["django_tasks_db"],
            "backend": "django_tasks_db.DatabaseBackend",
        },
    },
}

EXPECTED_WARNINGS = {"wagtail_communityblog.W031"}


def say(message):
    print(f"\n--- {message}", flush=True)


def run(*command, cwd=None, env=None, capture=False, quiet=False):
    print("$", " ".join(str(part) for part in command), flush=True)
    result = subprocess.run(
        [str(part) for part in command],
        cwd=cwd,
        env=env,
        text=True,
        stdout=subprocess.PIPE if capture else None,
        stderr=subprocess.STDOUT if capture else None,
        check=False,
    )
    if capture and (result.returncode != 0 or not quiet):
        print(result.stdout, end="", flush=True)
    if result.returncode != 0:
        raise SystemExit(f"failed (exit {result.returncode}): {' '.join(map(str, command))}")
    return result.stdout if capture else ""


def find_python(candidates):
    for candidate in candidates:
        matches = sorted(glob.glob(candidate)) if "*" in candidate else []
        if matches:
            return matches[-1]
        found = shutil.which(candidate)
        if found:
            return found
    raise SystemExit(f"no interpreter for this corner: tried {', '.join(candidates)}")


def edit(path, old, new, *, count=1):
    """Replace ``old`` in the file: it must be there, as the tutorial's reader would find it."""
    text = path.read_text()
    if text.count(old) < 1:
        raise SystemExit(f"{path}: expected to find {old!r} (has `wagtail start` changed?)")
    path.write_text(text.replace(old, new, count))


def build(dist):
    say("Build the sdist and the wheel; twine check --strict")
    shutil.rmtree(dist, ignore_errors=True)
    output = run(
        sys.executable,
        "-m",
        "build",
        "--sdist",
        "--wheel",
        "--outdir",
        dist,
        ROOT,
        capture=True,
        quiet=True,
    )
    print(output.strip().splitlines()[-1])
    if re.search(r"(?i)deprecat", output):
        raise SystemExit("the build printed a deprecation warning (see above)")
    artefacts = sorted(dist.iterdir())
    run(sys.executable, "-m", "twine", "check", "--strict", *artefacts)
    wheels = [path for path in artefacts if path.suffix == ".whl"]
    if len(wheels) != 1 or not any(path.name.endswith(".tar.gz") for path in artefacts):
        raise SystemExit(f"expected one wheel and one sdist in {dist}, found {artefacts}")
    return wheels[0]


def make_venv(corner, venv, wheel):
    spec = CORNERS[corner]
    python = find_python(spec["python"])
    say(f"Virtualenv for the {corner} corner ({python}): the wheel, not the source tree")
    run(python, "-m", "venv", venv)
    pip = [venv / "bin" / "python", "-m", "pip", "install", "--quiet"]
    run(
        *pip,
        wheel,
        f"Django=={spec['django']}",
        f"wagtail=={spec['wagtail']}",
        "whitenoise>=6.6",
        "gunicorn>=23",
        *CORNERS[corner]["tasks"]["packages"],
    )
    run(
        venv / "bin" / "python",
        "-c",
        "import sys, django, wagtail, wagtail_communityblog as p; "
        "print('Python', sys.version.split()[0], '| Django', django.__version__, "
        "'| Wagtail', wagtail.__version__, '| installed from', p.__file__)",
        cwd=venv,  # not the checkout, whose wagtail_communityblog/ would shadow the wheel
    )
    location = run(
        venv / "bin" / "python",
        "-c",
        "import wagtail_communityblog as p; print(p.__file__)",
        cwd=venv,
        capture=True,
    )
    if str(ROOT) in location:
        raise SystemExit("the package was imported from the source tree, not the wheel")


def follow_the_tutorial(corner, venv, site):
    """docs/tutorial/installation.md, steps 1-10, on a new ``wagtail start`` project."""
    say("wagtail start outsider, then the tutorial's steps")
    site.mkdir(parents=True)
    run(venv / "bin" / "wagtail", "start", "outsider", site)
    settings = site / "outsider" / "settings"
    base = settings / "base.py"

    # Step 2: the apps, in the existing list (routable_page only if it is not there yet).
    tasks = CORNERS[corner]["tasks"]
    apps = '    "wagtail_communityblog",\n' + "".join(f'    "{app}",\n' for app in tasks["apps"])
    if '"wagtail.contrib.routable_page"' not in base.read_text():
        apps += '    "wagtail.contrib.routable_page",\n'
    edit(base, '    "search",\n', '    "search",\n' + apps)
    # Static files as the site deploys them: WhiteNoise, manifest storage.
    edit(
        base,
        '    "django.middleware.security.SecurityMiddleware",\n',
        '    "django.middleware.security.SecurityMiddleware",\n'
        '    "whitenoise.middleware.WhiteNoiseMiddleware",\n',
    )
    # Step 4: SQLite's IMMEDIATE mode.
    text = base.read_text()
    name = re.search(r'^ +"NAME": .*db\.sqlite3.*,\n', text, re.M)
    if not name:
        raise SystemExit(f"{base}: no SQLite NAME line (has `wagtail start` changed?)")
    base.write_text(
        text[: name.end()]
        + '        "OPTIONS": {"transaction_mode": "IMMEDIATE", "timeout": 20},\n'
        + text[name.end() :]
    )
    with base.open("a") as file:
        file.write(
            """

# --- the outsider site's own choices -------------------------------------------------------
# Step 5, members log in: Django's own views (this site has no sign-up).
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/"
# Step 10: the site's layout; it shows messages and breadcrumbs itself.
WAGTAIL_COMMUNITYBLOG_BASE_TEMPLATE = "base.html"
WAGTAIL_COMMUNITYBLOG_SHOW_MESSAGES = False
WAGTAIL_COMMUNITYBLOG_SHOW_BREADCRUMBS = False
"""
        )

    production = settings / "production.py"
    storage = CORNERS[corner]["storage"]
    with production.open("a") as file:
        file.write(
            f"""

# check --deploy clean: HTTPS only, secure cookies, HSTS.
SECRET_KEY = os.environ["OUTSIDER_SECRET_KEY"]
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
SECURE_SSL_REDIRECT = True
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_HSTS_SECONDS = 31536000
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
WAGTAILADMIN_BASE_URL = "https://localhost"
STORAGES["staticfiles"] = {{"BACKEND": "{storage}"}}
# docs/how-to/deploy.md: a cache every process shares (this site has no Redis: the database),
# and the members' e-mails queued in the database for the worker (manage.py db_worker).
CACHES = {{
    "default": {{
        "BACKEND": "django.core.cache.backends.db.DatabaseCache",
        "LOCATION": "outsider_cache",
    }}
}}
TASKS = {{"default": {{"BACKEND": "{tasks["backend"]}"}}}}
"""
        )
    edit(production, "from .base import *\n", "import os\n\nfrom .base import *\n")
    # What the browser tests are served with: production, but plain HTTP on loopback.
    (settings / "served.py").write_text(
        """from .production import *  # noqa: F403

SECURE_SSL_REDIRECT = False
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
SECURE_HSTS_SECONDS = 0
WAGTAILADMIN_BASE_URL = os.environ["OUTSIDER_URL"]  # noqa: F405
# The worker's e-mails, where the journeys can read them.
EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
EMAIL_FILE_PATH = os.environ["OUTSIDER_MAIL_DIR"]  # noqa: F405
"""
    )

    # Step 3: the package's URLs (and the log-in views) above Wagtail's catch-all.
    edit(
        site / "outsider" / "urls.py",
        '    path("search/", search_views.search, name="search"),\n',
        '    path("search/", search_views.search, name="search"),\n'
        '    path("community/", include("wagtail_communityblog.urls")),\n'
        '    path("accounts/", include("django.contrib.auth.urls")),\n',
    )

    # The promoted block, in a StreamBlock class of the site's own
    # (docs/how-to/promoted-posts-block.md), and the migration in the site's app.
    (site / "home" / "models.py").write_text(
        """from wagtail import blocks
from wagtail.admin.panels import FieldPanel
from wagtail.fields import StreamField
from wagtail.models import Page

from wagtail_communityblog.blocks import PromotedPostsBlock


class BaseStreamBlock(blocks.StreamBlock):
    heading_block = blocks.CharBlock(form_classname="title")
    paragraph_block = blocks.RichTextBlock()
    promoted_posts = PromotedPostsBlock()


class HomePage(Page):
    body = StreamField(BaseStreamBlock(), blank=True)

    content_panels = Page.content_panels + [FieldPanel("body")]
"""
    )

    # The site's own templates and theme.
    shutil.copytree(OVERLAY / "templates", site / "outsider" / "templates", dirs_exist_ok=True)
    shutil.copytree(OVERLAY / "static", site / "outsider" / "static", dirs_exist_ok=True)


def manage(venv, site, *args, settings="outsider.settings.dev", capture=False, env=None):
    return run(
        venv / "bin" / "python",
        site / "manage.py",
        *args,
        cwd=site,
        env={**os.environ, **(env or {}), "DJANGO_SETTINGS_MODULE": settings},
        capture=capture,
    )


def prepare(venv, site, env):
    say("makemigrations home, migrate, collectstatic, check, check --deploy")
    manage(venv, site, "makemigrations", "home")
    manage(venv, site, "migrate", "--noinput", "--verbosity", "0")
    manage(venv, site, "check", "--fail-level", "ERROR")
    manage(
        venv, site, "collectstatic", "--noinput", settings="outsider.settings.production", env=env
    )
    manage(venv, site, "createcachetable", settings="outsider.settings.production", env=env)
    output = manage(
        venv,
        site,
        "check",
        "--deploy",
        settings="outsider.settings.production",
        env=env,
        capture=True,
    )
    ids = set(re.findall(r"\(([\w.]+\.[A-Z]\d+)\)", output))
    unexpected = ids - EXPECTED_WARNINGS
    if unexpected:
        raise SystemExit(f"check --deploy reported {sorted(unexpected)}: see above")
    if not ids >= EXPECTED_WARNINGS:
        raise SystemExit(
            "check --deploy did not warn that the base template has no extra_head (W031)"
        )


def serve(venv, site, port, env, log):
    """gunicorn (two workers) and django-tasks-db's worker, as the deployment guide runs them."""
    say(f"gunicorn on 127.0.0.1:{port} (DEBUG off, static files by WhiteNoise) and db_worker")
    served = {**os.environ, **env, "DJANGO_SETTINGS_MODULE": "outsider.settings.served"}
    processes = [
        subprocess.Popen(
            [
                venv / "bin" / "gunicorn",
                "outsider.wsgi",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                "2",
                "--threads",
                "4",
                "--access-logfile",
                "-",
            ],
            cwd=site,
            env=served,
            stdout=log,
            stderr=subprocess.STDOUT,
        ),
        subprocess.Popen(
            [venv / "bin" / "python", "manage.py", "db_worker", "--interval", "0.5"],
            cwd=site,
            env=served,
            stdout=log,
            stderr=subprocess.STDOUT,
        ),
    ]
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if any(process.poll() is not None for process in processes):
            stop(processes)
            raise SystemExit(f"gunicorn or the worker exited; see {log.name}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as response:
                if response.status == 200:
                    return processes
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.5)
    stop(processes)
    raise SystemExit(f"gunicorn did not answer within 60 s; see {log.name}")


def stop(processes):
    for process in processes:
        process.terminate()
    for process in processes:
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()


def free_port():
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corner", choices=sorted(CORNERS), required=True)
    parser.add_argument("--workdir", type=Path, help="default: a new temporary directory")
    parser.add_argument("--keep", action="store_true", help="keep the work directory")
    parser.add_argument("pytest_args", nargs="*", help="extra arguments for pytest")
    options = parser.parse_args()

    workdir = options.workdir or Path(tempfile.mkdtemp(prefix=f"outsider-{options.corner}-"))
    workdir.mkdir(parents=True, exist_ok=True)
    venv, site = workdir / "venv", workdir / "site"
    shutil.rmtree(venv, ignore_errors=True)
    shutil.rmtree(site, ignore_errors=True)
    port = free_port()
    env = {
        "OUTSIDER_SECRET_KEY": "outsider-" + os.urandom(32).hex(),
        "OUTSIDER_URL": f"http://127.0.0.1:{port}",
        "OUTSIDER_MAIL_DIR": str(workdir / "mail"),
    }
    processes = []
    failed = True
    log = open(workdir / "gunicorn.log", "w")  # noqa: SIM115 (closed below)
    try:
        wheel = build(workdir / "dist")
        make_venv(options.corner, venv, wheel)
        follow_the_tutorial(options.corner, venv, site)
        prepare(venv, site, env)
        processes = serve(venv, site, port, env, log)
        say("The journeys in Chromium: tests/outsider/")
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "pytest",
                "tests/outsider",
                "-m",
                "outsider",
                "-p",
                "no:cacheprovider",
                *options.pytest_args,
            ],
            cwd=ROOT,
            env={
                **os.environ,
                **env,
                "OUTSIDER_PYTHON": str(venv / "bin" / "python"),
                "OUTSIDER_SITE": str(site),
            },
            check=False,
        )
        if result.returncode != 0:
            raise SystemExit(f"the journeys failed (pytest exit {result.returncode})")
        say(f"The {options.corner} corner passed")
        failed = False
    finally:
        stop(processes)
        log.close()
        if failed:
            print(f"--- the last lines of {log.name} (gunicorn and the worker):")
            print("".join(Path(log.name).read_text().splitlines(keepends=True)[-40:]))
        if options.keep:
            print(f"kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
