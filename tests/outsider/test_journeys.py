"""The editor, a member and a reader in a site of someone else's design, built from the wheel
and the tutorial by ``scripts/outsider_site.py``: its own base template (other block names, a
dark theme switched on by a class on ``<html>``), log-in by Django's own views, no sign-up,
manifest static storage, ``DEBUG`` off, and Wagtail's default moderation workflow.

The tests share the one site, in file order: each goes on from where the last one left it.
"""

import os
import re
import time
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.support import PASSWORD, admin_log_in, insert_promoted_block

# The site's own dark theme (tests/outsider/overlay/static/css/outsider.css).
SITE_BACKGROUND = "rgb(20, 22, 31)"
# The package's stylesheet, as manifest storage names it: the hashed copy, never the original.
HASHED_CSS = re.compile(r"/static/wagtail_communityblog/css/communityblog\.[0-9a-f]{12}\.css$")

POST_TITLE = "Bus shelters: what the survey found"


@pytest.fixture(scope="module", autouse=True)
def accounts(site_shell):
    """The site's accounts, made as its web team would (no sign-up on this site): an editor
    and two members whose accounts are old enough for their votes to count."""
    site_shell(
        f"""
from datetime import timedelta
from django.contrib.auth import get_user_model
from django.utils import timezone
User = get_user_model()
User.objects.create_superuser("editor", "editor@example.org", {PASSWORD!r})
month_ago = timezone.now() - timedelta(days=30)
for name, first in [("amara", "Amara"), ("ben", "Ben")]:
    User.objects.create_user(
        name, f"{{name}}@example.org", {PASSWORD!r}, first_name=first, date_joined=month_ago
    )
"""
    )


@pytest.fixture(scope="module")
def home_id(site_shell):
    return int(site_shell("from home.models import HomePage; print(HomePage.objects.get().pk)"))


def wait_for_mail(containing, timeout=30):
    """The first e-mail the site's worker wrote (file-based backend) that contains the text."""
    directory = Path(os.environ["OUTSIDER_MAIL_DIR"])
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for path in sorted(directory.glob("*.log")) if directory.exists() else []:
            text = path.read_text()
            if containing in text:
                return text
        time.sleep(0.5)
    raise AssertionError(f"no e-mail with {containing!r} in {directory} after {timeout} s")


def site_log_in(page, username):
    """The site's own log-in page (Django's LoginView, the site's template)."""
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next="))
    expect(page.get_by_role("heading", name="Log in", level=1)).to_be_visible()
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()


def publish(page):
    page.get_by_role("button", name="More actions").click()
    page.get_by_role("button", name="Publish").click()
    expect(page.get_by_text(re.compile("published"))).to_be_visible()


def assert_in_the_sites_layout(page):
    """The site's header, theme and footer around the package's content, and the package's
    stylesheet (the manifest's hashed file) loaded once."""
    expect(page.locator(".site-header .site-brand")).to_have_text("Outsider Party")
    expect(page.locator(".site-footer")).to_have_count(1)
    assert page.evaluate("getComputedStyle(document.body).backgroundColor") == SITE_BACKGROUND
    sheets = page.locator("link[rel=stylesheet][href*='wagtail_communityblog/css/']")
    expect(sheets).to_have_count(1)
    href = sheets.get_attribute("href")
    assert HASHED_CSS.search(href), href
    applied = page.evaluate(
        """href => [...document.styleSheets].some(
            sheet => sheet.href && sheet.href.endsWith(href) && sheet.cssRules.length > 0)""",
        href,
    )
    assert applied, f"{href} did not load"


def test_the_editor_creates_the_community_section_and_places_the_block(new_page, check, home_id):
    editor = new_page()
    admin_log_in(editor, "editor")
    # Tutorial step 6: a community index page under the home page.
    editor.goto(f"/admin/pages/add/wagtail_communityblog/communityindexpage/{home_id}/")
    editor.locator("#id_title").fill("Community")
    editor.locator("#id_title").press("Tab")  # Wagtail fills the slug in from the title
    editor.get_by_role("tab", name="Promote").click()  # the tutorial: check the slug
    expect(editor.locator("#id_slug")).to_have_value("community")
    publish(editor)

    reader = new_page()
    reader.goto("/community/")
    expect(reader.get_by_role("heading", name="Community", level=1)).to_be_visible()
    expect(reader.get_by_text("No posts yet.")).to_be_visible()
    assert_in_the_sites_layout(reader)
    check(reader, "the empty community section in the site's layout")

    # The promoted block, from the site's own StreamBlock class, on the home page.
    editor.goto(f"/admin/pages/{home_id}/edit/")
    block = insert_promoted_block(editor)
    block.get_by_label("Heading").fill("From our members")
    publish(editor)

    reader.goto("/")
    promoted = reader.locator(".communityblog-promoted")
    expect(promoted.get_by_role("heading", name="From our members")).to_be_visible()
    expect(promoted.get_by_text("No member posts to show yet.")).to_be_visible()
    # The home page is the site's, not the package's: the block brought the stylesheet.
    assert_in_the_sites_layout(reader)
    check(reader, "the home page with an empty promoted block")


def test_a_member_logs_in_by_the_sites_route_and_writes_a_post(new_page, check):
    page = new_page()
    page.goto("/community/dashboard/")
    site_log_in(page, "amara")
    expect(page.get_by_role("heading", name="Your dashboard")).to_be_visible()
    assert_in_the_sites_layout(page)
    check(page, "the member's dashboard in the site's layout")

    page.get_by_role("link", name="Start your blog").click()
    page.get_by_label("Blog title").fill("Notes from the doorstep")
    page.get_by_label("Short introduction").fill("Canvassing in the north ward.")
    page.get_by_role("button", name="Start my blog").click()
    # The site shows the messages, once; the package shows none of its own.
    expect(page.locator(".site-banner")).to_have_text("Your blog has been saved.")
    expect(page.locator(".communityblog-messages")).to_have_count(0)

    page.get_by_role("link", name="Write a post").first.click()
    # The editor's scripts and styles arrived although the site's head blocks have other names.
    toolbar = page.locator(".ql-toolbar")
    expect(toolbar).to_be_visible()
    assert_in_the_sites_layout(page)
    check(page, "the post editor in the site's layout")
    page.get_by_label("Title").fill(POST_TITLE)
    page.get_by_label("Summary").fill("Forty members walked every route in the ward.")
    page.get_by_role("textbox", name="Post").click()
    page.keyboard.type("Eleven shelters had no roof. Two had gone.")
    for _ in range(len("Two had gone.")):
        page.keyboard.press("Shift+ArrowLeft")
    toolbar.get_by_role("button", name="Bold").click()
    expect(page.get_by_role("textbox", name="Post").locator("strong")).to_have_text("Two had gone.")
    page.get_by_label("Tags").fill("transport")
    page.get_by_role("button", name="Publish").click()

    # A member's first post waits for the site's moderators.
    expect(page.locator(".site-banner")).to_contain_text("sent to the editors")
    expect(page.get_by_role("heading", name="Your dashboard")).to_be_visible()


def test_the_editor_approves_the_first_post_in_wagtails_workflow(new_page, site_shell):
    post_id = int(
        site_shell(
            "from wagtail_communityblog.models import CommunityPostPage; "
            f"print(CommunityPostPage.objects.get(title={POST_TITLE!r}).pk)"
        )
    )
    editor = new_page()
    admin_log_in(editor, "editor")
    editor.goto(f"/admin/pages/{post_id}/edit/")
    editor.get_by_role("button", name="More actions").click()
    editor.get_by_role("button", name="Approve and Publish", exact=True).click()
    # Back in the blog's page listing, the post is live.
    expect(editor.get_by_role("row").filter(has_text=POST_TITLE)).to_contain_text("live")

    # The member hears of it by e-mail: queued by the approval, sent by the site's worker.
    mail = wait_for_mail("To: amara@example.org")
    assert POST_TITLE in mail


def test_a_reader_goes_to_the_sites_log_in_to_vote_and_comes_back(new_page, check):
    page = new_page()
    page.goto("/community/")
    page.get_by_role("link", name=POST_TITLE).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(POST_TITLE)
    expect(page.locator(".communityblog-body").locator("b, strong")).to_have_text("Two had gone.")
    # One breadcrumb trail, the site's.
    expect(page.locator(".site-trail")).to_have_count(1)
    expect(page.locator(".communityblog-breadcrumb")).to_have_count(0)
    assert_in_the_sites_layout(page)
    check(page, "a post in the site's layout, seen by a reader")

    page.get_by_role("link", name="Log in to vote").click()
    site_log_in(page, "ben")
    expect(page.get_by_role("heading", level=1)).to_have_text(POST_TITLE)
    rating = page.locator("[data-communityblog-rating]")
    rating.get_by_role("button", name="Vote up").click()
    expect(rating.get_by_role("status")).to_have_text("You voted up. 1 point (1 vote).")
    check(page, "a post after the reader's vote")


def test_the_editor_sees_why_the_block_is_empty_then_pins_the_post(new_page, check, home_id):
    editor = new_page()
    admin_log_in(editor, "editor")
    # The home page's preview explains the empty block to the editor, and what to change.
    editor.goto(f"/admin/pages/{home_id}/edit/")
    editor.get_by_role("button", name="Toggle preview").click()
    # Wagtail loads the preview in a second iframe and swaps it in: the last one is current.
    frame = editor.locator("iframe[title='Preview']").last.content_frame
    preview = frame.locator(".communityblog-promoted")
    expect(preview).to_contain_text("1 post is published here.")
    expect(preview).to_contain_text("None has 5 counted votes yet.")
    expect(preview).to_contain_text("Fill empty places with the newest posts")
    # Readers never see the explanation.
    reader = new_page()
    reader.goto("/")
    expect(reader.locator(".communityblog-promoted")).not_to_contain_text("counted votes")

    editor.goto("/admin/")
    editor.get_by_role("button", name="Community").click()
    editor.get_by_role("link", name="Posts", exact=True).click()
    row = editor.get_by_role("row").filter(has_text=POST_TITLE)
    row.get_by_role("button", name=re.compile("More options")).click()
    row.get_by_role("link", name="Pin to front page").click()
    editor.get_by_role("button", name="Pin to front page").click()
    expect(editor.get_by_text(f"Pin to front page: “{POST_TITLE}”.")).to_be_visible()

    reader.goto("/")
    promoted = reader.locator(".communityblog-promoted")
    expect(promoted.locator(".communityblog-post-title")).to_have_text([POST_TITLE])
    expect(promoted).to_contain_text("Pinned by the editors")
    assert_in_the_sites_layout(reader)
    check(reader, "the home page with the pinned post")
