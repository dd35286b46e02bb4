"""What the browser tests share: the browser, the accessibility and HTML checks, logins."""

import json
import os
import re
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.request
from contextlib import closing
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
NODE_MODULES = HERE / "node_modules"
AXE_JS = NODE_MODULES / "axe-core" / "axe.min.js"
VNU_JAR = NODE_MODULES / "vnu-jar" / "build" / "dist" / "vnu.jar"

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
# Debian's Chromium, headless, with everything that would reach out to Google's servers turned
# off: on a machine without internet access those connections fail, many at a time.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

# WCAG 2.2 levels A and AA, as axe-core tags its rules (each level lists only its new rules).
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]

PASSWORD = "a-long-test-password-7"


def chromium_missing_reason():
    """Why the browser tests cannot run here, or ``""`` when they can."""
    missing = []
    if not Path(CHROMIUM).exists():
        missing.append(f"no Chromium at {CHROMIUM} (apt-get install chromium, or set CHROMIUM)")
    if not AXE_JS.exists() or not VNU_JAR.exists():
        missing.append(
            "no axe-core/vnu-jar in tests/browser/node_modules (make test-browser runs npm ci)"
        )
    if not shutil.which("java"):
        missing.append("no java for the Nu Html Checker (apt-get install default-jre-headless)")
    return "; ".join(missing)


def free_port():
    with closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class NuValidator:
    """The Nu Html Checker (the W3C's HTML validator, from the ``vnu-jar`` npm package) as a
    local HTTP service: started once per test session, each page is one POST."""

    def __init__(self, workdir):
        self.port = free_port()
        self.log = open(Path(workdir) / "vnu.log", "w")  # noqa: SIM115 (closed in stop())
        self.process = subprocess.Popen(
            ["java", "-Xss1024k", "-cp", str(VNU_JAR), "nu.validator.servlet.Main", str(self.port)],
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        self.url = f"http://127.0.0.1:{self.port}/?out=json"
        self.ready = False

    def wait_until_ready(self, timeout=90):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the Nu Html Checker exited; see {self.log.name}")
            try:
                self.post("<!DOCTYPE html><html lang=en><title>x</title></html>")
                self.ready = True
                return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(0.5)
        raise RuntimeError(f"the Nu Html Checker did not start within {timeout} s")

    def post(self, html):
        request = urllib.request.Request(
            self.url,
            data=html.encode(),
            headers={"Content-Type": "text/html; charset=utf-8"},
        )
        with urllib.request.urlopen(request, timeout=60) as response:
            return json.load(response)["messages"]

    def errors(self, html):
        """The validator's errors (and its fatal messages) for one document."""
        if not self.ready:
            self.wait_until_ready()
        return [
            message
            for message in self.post(html)
            if message["type"] == "error" or message.get("subType") == "fatal"
        ]

    def stop(self):
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.log.close()


_axe_source = []


def axe_source():
    if not _axe_source:
        _axe_source.append(AXE_JS.read_text())
    return _axe_source[0]


def format_axe(violations):
    lines = []
    for violation in violations:
        lines.append(f"- {violation['id']} ({violation['impact']}): {violation['help']}")
        for node in violation["nodes"][:5]:
            lines.append(f"    {' '.join(map(str, node['target']))}: {node['html'][:160]}")
            if node.get("failureSummary"):
                lines.append("      " + node["failureSummary"].replace("\n", "\n      "))
    return "\n".join(lines)


def format_vnu(messages, html):
    source = html.splitlines()
    lines = []
    for message in messages:
        line = message.get("lastLine")
        lines.append(f"- line {line}: {message['message']}")
        if line and 0 < line <= len(source):
            lines.append(f"    {source[line - 1].strip()[:160]}")
    return "\n".join(lines)


class Checker:
    """axe-core on the page's live DOM (after its scripts ran), and the HTML validator on the
    document the server sent (what a browser parses, before any script changed it)."""

    def __init__(self, validator):
        self.validator = validator
        self.checked = []

    def axe(self, page, what, context=None):
        if not page.evaluate("() => typeof window.axe !== 'undefined'"):
            page.evaluate(axe_source())
        result = page.evaluate(
            """async ([context, tags]) => {
                const results = await axe.run(context || document, {
                    runOnly: {type: "tag", values: tags},
                    resultTypes: ["violations"],
                });
                return results.violations;
            }""",
            [context, WCAG_TAGS],
        )
        assert not result, f"axe-core found WCAG 2.2 A/AA violations on {what}:\n" + format_axe(
            result
        )

    def axe_without_javascript(self, page, html, what):
        """axe-core needs JavaScript, which this page has off: show the same document, without
        its scripts, in a page that may run axe (only the injected axe runs there)."""
        context = page.context.browser.new_context(
            viewport=page.viewport_size, reduced_motion="reduce"
        )
        try:
            copy = context.new_page()
            without_scripts = re.sub(r"<script\b[^>]*>.*?</script>", "", html, flags=re.S)
            copy.route(
                page.url,
                lambda route: route.fulfill(
                    body=without_scripts, content_type="text/html; charset=utf-8"
                ),
            )
            copy.goto(page.url)
            self.axe(copy, what)
        finally:
            context.close()

    def html(self, html, what):
        errors = self.validator.errors(html)
        assert not errors, f"the Nu Html Checker found errors in {what}:\n" + format_vnu(
            errors, html
        )

    def __call__(self, page, what, *, html=None, context=None, javascript=True):
        """Check the page as it is now. ``html``: the document the server sent, when the page
        is the answer to a POST (otherwise it is fetched again with the page's cookies).
        ``javascript=False`` for a page whose browser context has JavaScript off."""
        if html is None:
            response = page.request.get(page.url)
            assert response.ok, f"GET {page.url} answered {response.status}"
            html = response.text()
        if javascript:
            self.axe(page, what, context)
        else:
            self.axe_without_javascript(page, html, what)
        self.html(html, what)
        self.checked.append(what)


def log_in(page, username, password=PASSWORD):
    """Log in through the example site's django-allauth form."""
    page.goto("/accounts/login/")
    page.get_by_label(re.compile(r"^Login")).fill(username)
    page.get_by_label(re.compile(r"^Password:?$")).fill(password)
    page.get_by_role("button", name="Sign In").click()
    page.wait_for_url(lambda url: "/accounts/login/" not in url)


def admin_log_in(page, username):
    """Log in through Wagtail's admin log-in form."""
    from playwright.sync_api import expect

    page.goto("/admin/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/admin/$"))


def insert_promoted_block(page, field="body"):
    """In the page editor that ``page`` shows, insert a "Promoted member posts" block at the
    top of the StreamField ``field``; return the block's form."""
    body = page.locator(f"[data-contentpath='{field}']")
    body.get_by_role("button", name="Insert a block").first.click()
    page.get_by_role("option", name="Promoted member posts").click()
    return body.locator("[data-contentpath='ranking']").first.locator(
        "xpath=ancestor::*[@data-contentpath][1]"
    )


def make_member(username, *, voter=True, **fields):
    """A user with the tests' browser password; ``voter``: old enough for votes to count."""
    from datetime import timedelta

    from django.contrib.auth import get_user_model
    from django.utils import timezone

    if voter:
        fields.setdefault("date_joined", timezone.now() - timedelta(days=30))
    fields.setdefault("email", f"{username}@example.org")
    return get_user_model().objects.create_user(username=username, password=PASSWORD, **fields)


def chromium_launch_args(launch_args):
    """pytest-playwright's ``browser_type_launch_args``, for Debian's Chromium."""
    headless = launch_args.get("headless", True)
    return {
        **launch_args,
        "executable_path": CHROMIUM,
        "args": [arg for arg in CHROMIUM_ARGS if headless or arg != "--headless"],
        "headless": headless,
    }
