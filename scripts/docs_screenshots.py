#!/usr/bin/env python
"""Take the screenshots in ``docs/images/`` from a freshly seeded example site.

    .venv/bin/python scripts/docs_screenshots.py [--output DIR] [--only NAME ...] [--keep]

What it does:

1. creates a throwaway SQLite database in a temporary directory (``DATABASE_URL``), so the
   example site's own ``example_site/db.sqlite3`` is never touched;
2. runs ``migrate`` and ``communityblog_demo`` with ``example_site/manage.py``;
3. starts ``runserver --noreload`` on a free localhost port and waits until it answers;
4. drives Debian's Chromium with Playwright for Python: logs in as a reader, a member and the
   admin, writes and publishes a post, reports two posts, and takes viewport screenshots
   (PNG, 1200 pixels wide, reduced to a 256-colour palette with Pillow to keep them small);
5. stops the server and deletes the temporary directory (unless ``--keep``).

Needs Playwright for Python in the virtualenv (``pip install playwright``; no browser download:
it uses ``/usr/bin/chromium``, or the path in ``CHROMIUM``). The demo accounts share the
password ``community-demo-2026``. Screenshots show today's demo content, so dates and scores
differ from one run to the next.
"""

import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from contextlib import closing, contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MANAGE = ROOT / "example_site" / "manage.py"
DEFAULT_OUTPUT = ROOT / "docs" / "images"
PASSWORD = "community-demo-2026"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
WIDTH = 1200
HEIGHT = 800

SCROLL_TO_JS = """(el, offset) => {
    let scroller = el.parentElement;
    while (scroller && scroller !== document.body) {
        const overflow = getComputedStyle(scroller).overflowY;
        if (/(auto|scroll)/.test(overflow) && scroller.scrollHeight > scroller.clientHeight) break;
        scroller = scroller.parentElement;
    }
    const top = el.getBoundingClientRect().top - offset;
    if (scroller && scroller !== document.body) {
        scroller.scrollTo({top: scroller.scrollTop + top, behavior: "instant"});
    } else {
        window.scrollTo({top: window.scrollY + top, behavior: "instant"});
    }
}"""

# Every screenshot the script can take: name -> what it shows (for --only and the summary).
SHOTS = {
    "home-promoted-blocks": "the example home page with its two promoted-posts blocks",
    "community-index-hot": "the community index, Hot tab",
    "post-rating-widget": "a post with the rating widget, as a logged-in reader",
    "flag-form": "the report form a reader fills in",
    "member-dashboard": "a member's dashboard",
    "post-editor": "the front-end post editor",
    "admin-dashboard-summary": "the Community panel on the admin dashboard",
    "admin-community-posts": "Community > Posts",
    "admin-bulk-actions": "Community > Posts with two posts ticked: the bulk actions bar",
    "admin-hide-form": "the 'Hide from promotion' form",
    "admin-promoted-block-editor": "the home page's PromotedPostsBlock in the page editor",
    "admin-block-chooser": "the block chooser of the home page's body",
    "admin-reports": "Community > Reports",
    "admin-rescue": "Community > Rescue",
}


def log(message):
    print(f"docs_screenshots: {message}", file=sys.stderr, flush=True)


def free_port():
    with closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def manage(env, *args, log_file=None):
    """Run ``example_site/manage.py`` with ``args``; fail loudly with its output."""
    command = [sys.executable, str(MANAGE), *args]
    log(" ".join(["manage.py", *args]))
    result = subprocess.run(command, env=env, cwd=ROOT, capture_output=True, text=True)
    if log_file is not None:
        log_file.write(result.stdout + result.stderr)
    if result.returncode:
        sys.stderr.write(result.stdout + result.stderr)
        raise SystemExit(f"manage.py {' '.join(args)} failed ({result.returncode})")
    return result.stdout


@contextmanager
def running_server(env, port, log_path):
    """``runserver`` on 127.0.0.1:``port`` (no autoreload) for the duration of the block."""
    with open(log_path, "w") as server_log:
        server = subprocess.Popen(
            [sys.executable, str(MANAGE), "runserver", f"127.0.0.1:{port}", "--noreload"],
            env=env,
            cwd=ROOT,
            stdout=server_log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            wait_until_up(f"http://127.0.0.1:{port}/", server, log_path)
            yield f"http://127.0.0.1:{port}"
        finally:
            if server.poll() is None:
                os.killpg(server.pid, signal.SIGTERM)
                try:
                    server.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    os.killpg(server.pid, signal.SIGKILL)
                    server.wait()


def wait_until_up(url, server, log_path, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            sys.stderr.write(Path(log_path).read_text())
            raise SystemExit("runserver exited before answering")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.3)
    raise SystemExit(f"runserver did not answer {url} within {timeout} s")


def shrink_png(path):
    """Re-save a screenshot with a 256-colour palette: about 60% smaller, and screenshots of
    flat interfaces look the same. Skipped if Pillow (a Wagtail dependency) is missing."""
    try:
        from PIL import Image
    except ImportError:
        return
    with Image.open(path) as image:
        palette = image.convert("RGB").quantize(
            colors=256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE
        )
    palette.save(path, optimize=True)


def get_json(url):
    with urllib.request.urlopen(url, timeout=10) as response:
        return json.load(response)


class Shooter:
    """Takes the screenshots: one browser context (one login) per role."""

    def __init__(self, browser, base_url, output, only):
        self.browser = browser
        self.base = base_url
        self.output = output
        self.only = set(only or SHOTS)
        self.taken = []

    def wanted(self, name):
        return name in self.only

    def context(self, height=HEIGHT):
        context = self.browser.new_context(
            viewport={"width": WIDTH, "height": height},
            device_scale_factor=1,
            locale="en-GB",
            timezone_id="Europe/London",
            reduced_motion="reduce",
        )
        context.set_default_timeout(20_000)
        return context

    def goto(self, page, path):
        response = page.goto(self.base + path, wait_until="networkidle")
        if response is None or response.status >= 400:
            status = response.status if response else "no response"
            raise SystemExit(f"GET {path} answered {status}")
        return response

    def shot(self, page, name, *, scroll_to=None, offset=0):
        """A viewport screenshot (never a full page), optionally scrolled to an element."""
        if not self.wanted(name):
            return
        if scroll_to is not None:
            self.scroll_to(page.locator(scroll_to).first, offset)
        page.wait_for_timeout(300)  # let scrolling, fonts and transitions settle
        path = self.output / f"{name}.png"
        page.screenshot(path=str(path), animations="disabled", caret="hide")
        shrink_png(path)
        self.taken.append(path)
        log(f"{path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")

    @staticmethod
    def scroll_to(locator, offset=0):
        """Bring the element to the top of the viewport, ``offset`` pixels below its edge.
        The Wagtail admin scrolls an inner element rather than the window: scroll whichever
        ancestor scrolls."""
        locator.evaluate(SCROLL_TO_JS, offset)

    # --- logins ---------------------------------------------------------------------------

    def front_end_login(self, page, username):
        self.goto(page, "/accounts/login/")
        page.fill("input[name=login]", username)
        page.fill("input[name=password]", PASSWORD)
        page.locator("form button[type=submit]").last.click()
        page.wait_for_load_state("networkidle")
        if "/accounts/login/" in page.url:
            raise SystemExit(f"front-end login as {username} failed")

    def admin_login(self, page, username):
        self.goto(page, "/admin/login/")
        page.fill("input[name=username]", username)
        page.fill("input[name=password]", PASSWORD)
        page.locator("form button[type=submit]").first.click()
        page.wait_for_load_state("networkidle")
        if "/admin/login/" in page.url:
            raise SystemExit(f"admin login as {username} failed")

    # --- the screens ----------------------------------------------------------------------

    def public_pages(self):
        context = self.context(height=1000)
        page = context.new_page()
        self.goto(page, "/")
        self.shot(page, "home-promoted-blocks", scroll_to=".communityblog-promoted", offset=24)
        self.goto(page, "/community/?sort=hot")
        self.shot(page, "community-index-hot")
        context.close()

    def reader_pages(self):
        """A reader rates a post, then reports two posts (the Reports listing needs some)."""
        context = self.context(height=900)
        page = context.new_page()
        self.front_end_login(page, "reader01")
        self.goto(page, "/community/?sort=best")
        first = page.locator(".communityblog-post-list .communityblog-post-title a").first
        first.click()
        page.wait_for_load_state("networkidle")
        self.shot(page, "post-rating-widget", scroll_to="main h1", offset=24)

        report_links = self.report_links(page, count=2)
        self.goto(page, report_links[0])
        page.fill(
            "textarea[name=reason]",
            "The second paragraph names a council officer and accuses them of lying, "
            "with no source.",
        )
        self.shot(page, "flag-form")
        page.locator("form.communityblog-form button[type=submit]").click()
        page.wait_for_load_state("networkidle")
        self.goto(page, report_links[1])
        page.fill("textarea[name=reason]", "Advertising: the last line links to a shop.")
        page.locator("form.communityblog-form button[type=submit]").click()
        page.wait_for_load_state("networkidle")
        context.close()

        # A second reader reports the first post too, so it leads the listing with 2 reports.
        context = self.context()
        page = context.new_page()
        self.front_end_login(page, "reader02")
        self.goto(page, report_links[0])
        page.fill("textarea[name=reason]", "Personal attack on a named person.")
        page.locator("form.communityblog-form button[type=submit]").click()
        page.wait_for_load_state("networkidle")
        context.close()

    def report_links(self, page, count):
        """The report URLs of the first ``count`` posts on the New tab (not the reader's)."""
        self.goto(page, "/community/")
        hrefs = page.eval_on_selector_all(
            ".communityblog-post-list .communityblog-post-title a",
            "links => links.map(a => a.getAttribute('href'))",
        )
        links = []
        for href in hrefs:
            self.goto(page, href)
            report = page.locator(".communityblog-report a")
            if report.count():
                links.append(report.first.get_attribute("href"))
            if len(links) == count:
                return links
        raise SystemExit("could not find posts to report")

    def member_pages(self):
        """A member's dashboard, and a new post written and published in the editor (a fresh
        post with no votes, so the Rescue report has something to show)."""
        context = self.context(height=1000)
        page = context.new_page()
        self.front_end_login(page, "amara")
        self.goto(page, "/community/dashboard/")
        self.shot(page, "member-dashboard")
        self.goto(page, "/community/write/")
        page.fill("input[name=title]", "Bus shelters: what the survey found")
        page.fill(
            "textarea[name=intro]",
            "Forty members walked every route in the ward last month. Here is what they saw.",
        )
        editor = page.locator(".ql-editor")
        if editor.count():
            editor.click()
            page.keyboard.type(
                "Forty members walked every bus route in the ward in October, notebook in "
                "hand. Eleven shelters had no roof, six had no timetable, and two had no "
                "shelter left at all."
            )
            page.keyboard.press("Enter")
            page.keyboard.type("We have sent the full list to the council's transport committee.")
        else:  # no JavaScript editor: the body is a plain textarea
            page.fill("textarea[name=body]", "<p>Forty members walked every bus route.</p>")
        page.fill("input[name=tags]", "transport, survey")
        page.locator("input[name=tags]").blur()
        page.evaluate("window.scrollTo(0, 0)")
        self.shot(page, "post-editor")
        page.locator("button[name=action][value=publish]").click()
        page.wait_for_load_state("networkidle")
        context.close()

    def admin_pages(self):
        context = self.context()
        page = context.new_page()
        self.admin_login(page, "admin")

        self.goto(page, "/admin/")
        self.shot(page, "admin-dashboard-summary", scroll_to=".communityblog-summary", offset=24)

        self.goto(page, "/admin/community/posts/")
        self.shot(page, "admin-community-posts")

        # Tick two posts: the bulk actions bar appears at the bottom of the listing.
        checkboxes = page.locator("input.bulk-action-checkbox[data-object-id]")
        first_id = checkboxes.first.get_attribute("data-object-id")
        checkboxes.nth(0).check()
        checkboxes.nth(1).check()
        self.shot(page, "admin-bulk-actions")

        # The hide form of the first post in the listing (filled in, not submitted).
        self.goto(page, f"/admin/community/posts/{first_id}/do/hide/")
        page.fill(
            "textarea[name=reason]",
            "Repeats last week's post word for word; the editors have kept the first one.",
        )
        self.shot(page, "admin-hide-form")

        self.goto(page, "/admin/community/reports/")
        self.shot(page, "admin-reports")

        self.goto(page, "/admin/community/rescue/")
        self.shot(page, "admin-rescue")

        home = get_json(self.base + "/api/v2/pages/?type=home.HomePage")["items"][0]["id"]
        self.goto(page, f"/admin/pages/{home}/edit/")
        self.promoted_block_editor(page)
        self.block_chooser(page)
        context.close()

    def promoted_block_editor(self, page):
        """The first PromotedPostsBlock of the home page's body, expanded, all its fields."""
        # The block is the nearest ancestor of its "ranking" field with a content path of
        # its own (the block's UUID).
        block = page.locator("[data-contentpath='ranking']").first.locator(
            "xpath=ancestor::*[@data-contentpath][1]"
        )
        # Expand the block if the editor shows it collapsed.
        toggle = block.locator("[aria-expanded='false']").first
        if toggle.count() and toggle.is_visible():
            toggle.click()
        page.set_viewport_size({"width": WIDTH, "height": 1400})
        page.wait_for_timeout(300)
        self.scroll_to(block, 100)
        self.shot(page, "admin-promoted-block-editor")
        page.set_viewport_size({"width": WIDTH, "height": HEIGHT})

    def block_chooser(self, page):
        """Open the '+' (insert a block) menu and hover the block to show its preview."""
        if not self.wanted("admin-block-chooser"):
            return
        page.evaluate("window.scrollTo(0, 0)")
        add = page.locator("[data-contentpath='body'] button[title='Insert a block']").first
        if not add.count():
            add = page.locator("button.c-sf-add-button").first
        add.scroll_into_view_if_needed()
        add.click()
        option = page.get_by_role("option", name="Promoted member posts")
        if not option.count():
            option = page.get_by_text("Promoted member posts", exact=True).last
        option.hover()
        # Wagtail shows a preview beside the option when the block is previewable (the site
        # overrides wagtailcore/shared/block_preview.html); it renders in an iframe.
        page.wait_for_timeout(1500)
        self.shot(page, "admin-block-chooser")
        page.keyboard.press("Escape")

    def run(self):
        self.public_pages()
        self.reader_pages()
        self.member_pages()
        self.admin_pages()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT, help="where PNGs go")
    parser.add_argument(
        "--only", nargs="+", choices=sorted(SHOTS), help="take only these screenshots"
    )
    parser.add_argument(
        "--keep", action="store_true", help="keep the temporary database and server log"
    )
    args = parser.parse_args()

    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        raise SystemExit("Playwright for Python is needed: pip install playwright") from None
    if not Path(CHROMIUM).exists():
        raise SystemExit(f"no Chromium at {CHROMIUM}; set CHROMIUM to its path")

    args.output.mkdir(parents=True, exist_ok=True)
    workdir = Path(tempfile.mkdtemp(prefix="communityblog-docs-"))
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{workdir / 'db.sqlite3'}",
        "DJANGO_SETTINGS_MODULE": "example.settings.dev",
        "PYTHONUNBUFFERED": "1",
    }
    try:
        with open(workdir / "setup.log", "w") as setup_log:
            manage(env, "migrate", "--noinput", log_file=setup_log)
            manage(env, "communityblog_demo", log_file=setup_log)
        port = free_port()
        with (
            running_server(env, port, workdir / "server.log") as base_url,
            sync_playwright() as playwright,
        ):
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            try:
                shooter = Shooter(browser, base_url, args.output, args.only)
                shooter.run()
            finally:
                browser.close()
        log(f"{len(shooter.taken)} screenshots in {args.output}")
    finally:
        if args.keep:
            log(f"kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
