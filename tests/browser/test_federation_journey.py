"""Two example sites on loopback federating with each other, driven in Chromium.

Site A is the live test server; site B is a second example site in its own process with its
own database. Bob, a member of B, finds Amara's blog on A, follows it from there ("from the
fediverse": A sends him to his own server, where he confirms); B sends a signed Follow, A
answers with a signed Accept; Amara's next post reaches B signed and is listed on Bob's
dashboard; Bob stops following and A forgets him. Every request between the sites is real
HTTP, signed and checked.
"""

import os
import re
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.support import free_port, make_member
from tests.factories import make_blog, make_community, make_post

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "pw"  # tests.factories.make_user's


@pytest.fixture
def second_site(tmp_path):
    """Site B: migrated, with Bob and his blog, served by runserver until the test ends."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "example.settings.second_site",
        "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "example_site")]),
        "SECOND_SITE_DB": str(tmp_path / "second.sqlite3"),
        "SECOND_SITE_URL": url,
    }
    env.pop("DATABASE_URL", None)
    manage = [sys.executable, str(ROOT / "example_site" / "manage.py")]
    subprocess.run([*manage, "migrate", "--noinput", "-v", "0"], env=env, check=True)
    setup = (
        "from wagtail.models import Site; "
        f"Site.objects.update(hostname='127.0.0.1', port={port}); "
        "from tests.factories import make_blog, make_community, make_user; "
        "make_blog(make_community(title='Second site'), make_user('bob'), title='Bob writes')"
    )
    subprocess.run([*manage, "shell", "-c", setup], env=env, check=True)
    log = open(tmp_path / "second.log", "w")  # noqa: SIM115 - closed below
    server = subprocess.Popen(
        [*manage, "runserver", f"127.0.0.1:{port}", "--noreload"],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 60
    while True:
        try:
            urllib.request.urlopen(f"{url}/community/", timeout=5)
            break
        except OSError:
            if server.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError((tmp_path / "second.log").read_text()[-3000:]) from None
            time.sleep(0.3)
    yield url
    server.terminate()
    server.wait(timeout=10)
    log.close()


@pytest.fixture
def federating(settings, live_server):
    settings.WAGTAIL_COMMUNITYBLOG_ACTIVITYPUB = True
    settings.WAGTAIL_COMMUNITYBLOG_ACTIVITYPUB_ALLOW_PRIVATE_ADDRESSES = True
    settings.WAGTAILADMIN_BASE_URL = live_server.url
    return live_server.url


def test_a_member_of_another_site_follows_a_blog_and_reads_its_next_post(
    page, check, federating, second_site
):
    from wagtail_communityblog.models import RemoteFollower

    amara = make_member("amara", first_name="Amara")
    blog = make_blog(make_community(), amara, title="Amara on housing", slug="amara")
    host_b = second_site.removeprefix("http://")

    # Bob logs in on his own site, B.
    page.goto(f"{second_site}/accounts/login/")
    page.get_by_label("Login").fill("bob")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    page.wait_for_url(lambda url: "/accounts/login/" not in url)

    # On site A, Amara's blog: "Follow: ... from the fediverse".
    page.goto(f"{federating}{blog.url}")
    page.get_by_role("link", name="from the fediverse").click()
    handle_a = f"@amara@{federating.removeprefix('http://')}"
    expect(page.locator("code")).to_have_text(handle_a)
    check(page, "follow from the fediverse")
    page.get_by_label("Or give your account").fill(f"@bob@{host_b}")
    page.get_by_role("button", name="Go to my server").click()
    page.get_by_role("link", name=f"Continue on {host_b}").click()

    # Site B asks Bob to confirm, then follows: a signed Follow to A, a signed Accept back.
    expect(page).to_have_url(re.compile(re.escape(f"{second_site}/community/ap/interact/")))
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Follow {handle_a}")
    check(page, "the interact page of the second site")
    page.get_by_role("button", name="Follow").click()
    expect(page).to_have_url(re.compile(re.escape(f"{second_site}/community/dashboard/")))
    following = page.locator("#communityblog-fediverse")
    expect(following.get_by_role("link", name=handle_a)).to_be_visible()
    expect(following.get_by_text("waiting for their server")).to_have_count(0)
    follower = RemoteFollower.objects.get()
    assert follower.page_id == blog.pk and follower.actor.url.startswith(second_site)

    # Amara publishes on A; the post reaches B, signed, and Bob's dashboard lists it.
    post = make_post(blog, title="Rent caps, a year on", body="<p>What changed.</p>")
    page.reload()
    expect(following.get_by_role("link", name="Rent caps, a year on")).to_be_visible()
    check(page, "the dashboard with posts from the fediverse")
    following.get_by_role("link", name="Rent caps, a year on").click()
    expect(page).to_have_url(f"{federating}{post.url}")

    # Bob stops following on B; A hears of it (a signed Undo) and forgets him.
    page.goto(f"{second_site}/community/dashboard/")
    page.get_by_role("button", name=f"Stop following {handle_a}").click()
    expect(
        page.locator("#communityblog-fediverse").get_by_role("link", name=handle_a)
    ).to_have_count(0)
    assert not RemoteFollower.objects.exists()
