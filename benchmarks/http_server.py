"""The site under gunicorn with worker processes, for ``vote_path.py --http``.

    .venv/bin/python benchmarks/http_server.py --bind 127.0.0.1:8123 --workers 4

Serves the Django project of ``--settings`` (the benchmark's settings: the example site's
URLs, middleware, sessions in the database, CSRF) from ``--workers`` sync worker processes,
against the database in ``DATABASE_URL``, with persistent database connections
(``DATABASE_CONN_MAX_AGE``, 600 s unless set), as a production deployment runs. The application
is loaded once in the master and forked (``preload_app``), so the workers share its code and
start warm. No access log: the benchmark times the requests itself.

The members' vote limit (``WAGTAIL_COMMUNITYBLOG_RATE_LIMITS["vote"]``) is still counted on
every vote, so its cost is measured; only its threshold is raised, so that replaying the
benchmark's plan several times never answers 429. Its counters live in the settings' cache
(the example site's local-memory cache: one per worker process; a production site shares
them between servers through Redis or Memcached, one network round trip more per vote).
"""

import argparse
import os
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VOTE_LIMIT = "1000000/h"


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--bind", required=True, help="HOST:PORT")
    parser.add_argument("--workers", type=int, required=True)
    parser.add_argument("--settings", default="benchmarks.settings")
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    for path in (str(ROOT), str(ROOT / "example_site")):
        if path not in sys.path:
            sys.path.insert(0, path)
    os.environ["DJANGO_SETTINGS_MODULE"] = args.settings
    os.environ.setdefault("DATABASE_CONN_MAX_AGE", "600")

    from gunicorn.app.base import BaseApplication

    class Server(BaseApplication):
        def load_config(self):
            for key, value in {
                "bind": [args.bind],
                "workers": args.workers,
                "worker_class": "sync",
                "preload_app": True,
                "accesslog": None,
                "errorlog": "-",
                "loglevel": "warning",
                "timeout": 120,
                "graceful_timeout": 10,
                "on_exit": remove_temporary_media,
            }.items():
                self.cfg.set(key, value)

        def load(self):
            from django.conf import settings
            from django.core.wsgi import get_wsgi_application

            application = get_wsgi_application()
            limits = dict(getattr(settings, "WAGTAIL_COMMUNITYBLOG_RATE_LIMITS", {}))
            settings.WAGTAIL_COMMUNITYBLOG_RATE_LIMITS = limits | {"vote": VOTE_LIMIT}
            return application

    Server().run()


def remove_temporary_media(_server):
    """tests.settings (which benchmarks.settings extends) makes a temporary MEDIA_ROOT on
    import; nothing is uploaded through the vote endpoint."""
    from django.conf import settings

    media = Path(settings.MEDIA_ROOT)
    if media.name.startswith("communityblog-tests-media-") and media.parent == Path(
        tempfile.gettempdir()
    ):
        shutil.rmtree(media, ignore_errors=True)


if __name__ == "__main__":
    main()
