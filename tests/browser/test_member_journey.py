"""A member signs up, starts a blog, writes a post in the rich text editor, previews it and
publishes it; it appears on their blog and in the community index."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.support import PASSWORD, log_in, make_member
from tests.factories import make_blog, make_community


@pytest.fixture
def png(tmp_path):
    from PIL import Image

    path = tmp_path / "doorstep.png"
    Image.new("RGB", (640, 360), (26, 95, 180)).save(path)
    return path


def select_back(page, characters):
    for _ in range(characters):
        page.keyboard.press("Shift+ArrowLeft")


def test_a_new_member_signs_up_starts_a_blog_and_publishes_a_post(
    page, new_page, check, settings, png
):
    settings.WAGTAIL_COMMUNITYBLOG_MODERATION = "none"  # moderation: tests/test_posts_moderation.py
    make_community(title="Community", slug="community")

    # Sign up; the form first answers with its errors.
    page.goto("/accounts/signup/")
    check(page, "the sign-up form")
    page.get_by_label("Email").fill("amara@example.org")
    page.get_by_label("Username").fill("amara")
    page.get_by_label(re.compile(r"^Password:?$")).fill(PASSWORD)
    page.get_by_label(re.compile(r"^Password \(again\)")).fill("something else")
    with page.expect_response(lambda r: r.request.method == "POST") as answer:
        page.get_by_role("button", name="Sign Up").click()
    expect(page.get_by_text("You must type the same password each time.")).to_be_visible()
    check(page, "the sign-up form with errors", html=answer.value.text())

    page.get_by_label(re.compile(r"^Password:?$")).fill(PASSWORD)
    page.get_by_label(re.compile(r"^Password \(again\)")).fill(PASSWORD)
    page.get_by_role("button", name="Sign Up").click()
    expect(page.get_by_text("Signed in as amara", exact=True)).to_be_visible()

    # Log out and in again.
    page.get_by_role("link", name="Log out").click()
    page.get_by_role("button", name="Sign Out").click()
    expect(page.get_by_role("link", name="Log in")).to_be_visible()
    page.get_by_role("link", name="Log in").click()
    check(page, "the log-in form")
    page.get_by_label(re.compile(r"^Login")).fill("amara")
    page.get_by_label(re.compile(r"^Password:?$")).fill(PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    expect(page.get_by_text("Signed in as amara", exact=True)).to_be_visible()

    # The dashboard offers to start a blog.
    page.get_by_role("link", name="Your blog").click()
    expect(page.get_by_role("heading", name="Your dashboard")).to_be_visible()
    check(page, "an empty member dashboard")
    page.get_by_role("link", name="Start your blog").click()
    with page.expect_response(lambda r: r.request.method == "POST") as answer:
        page.get_by_role("button", name="Start my blog").click()
    expect(page.locator(".communityblog-errors")).to_be_visible()
    check(page, "the blog form with errors", html=answer.value.text())
    page.get_by_label("Blog title").fill("Notes from the doorstep")
    page.get_by_label("Short introduction").fill("Canvassing in the north ward.")
    page.get_by_role("button", name="Start my blog").click()
    expect(page.get_by_role("heading", name="Your dashboard")).to_be_visible()
    expect(page.get_by_role("link", name="Notes from the doorstep", exact=True)).to_be_visible()

    # Write a post: bold, a link, a list and an uploaded image in the rich text editor.
    page.get_by_role("link", name="Write a post").first.click()
    toolbar = page.locator(".ql-toolbar")
    expect(toolbar).to_be_visible()
    check(page, "the post editor with its toolbar")
    with page.expect_response(lambda r: r.request.method == "POST") as answer:
        page.get_by_role("button", name="Publish").click()
    expect(page.get_by_text("Write something in your post.")).to_be_visible()
    expect(page.get_by_label("Title")).to_have_attribute("aria-invalid", "true")
    check(page, "the post editor with errors", html=answer.value.text())
    page.get_by_label("Title").fill("Bus shelters: what the survey found")
    page.get_by_label("Summary").fill("Forty members walked every route in the ward.")
    editor = page.get_by_role("textbox", name="Post")
    editor.click()
    page.keyboard.type("Eleven shelters had no roof. Read the council's report.")
    page.keyboard.press("ArrowLeft")  # before the full stop
    select_back(page, len("the council's report"))
    toolbar.get_by_role("button", name="Link").click()
    link_input = page.locator(".ql-tooltip input[type=text]")
    link_input.fill("https://example.org/shelters")
    link_input.press("Enter")
    page.keyboard.press("Home")
    for _ in range(len("Eleven shelters had ")):
        page.keyboard.press("ArrowRight")
    for _ in range(len("no roof")):
        page.keyboard.press("Shift+ArrowRight")
    toolbar.get_by_role("button", name="Bold").click()
    expect(editor.locator("strong")).to_have_text("no roof")
    page.keyboard.press("End")
    page.keyboard.press("Enter")
    toolbar.get_by_role("button", name="Bulleted list").click()
    page.keyboard.type("Six had no timetable")
    page.keyboard.press("Enter")
    page.keyboard.type("Two had gone")
    page.keyboard.press("Enter")
    page.keyboard.press("Enter")  # out of the list
    page.once("dialog", lambda dialog: dialog.accept("A bus shelter without a roof"))
    with page.expect_file_chooser() as chooser:
        toolbar.get_by_role("button", name="Image").click()
    with page.expect_response(re.compile(r"/community/posts/images/$")) as upload:
        chooser.value.set_files(png)
    assert upload.value.ok, upload.value.text()
    expect(editor.locator("img[alt='A bus shelter without a roof']")).to_be_visible()
    page.get_by_label("Tags").fill("transport, survey")

    # Preview, then back to the editor and publish.
    page.get_by_role("button", name="Preview").click()
    expect(page.get_by_role("region", name="Preview")).to_be_visible()
    body = page.locator(".communityblog-body")
    expect(body.locator("b, strong")).to_have_text("no roof")  # Wagtail stores bold as <b>
    expect(body.get_by_role("link", name="the council's report")).to_have_attribute(
        "href", "https://example.org/shelters"
    )
    expect(body.locator("ul li")).to_have_text(["Six had no timetable", "Two had gone"])
    expect(body.get_by_role("img", name="A bus shelter without a roof")).to_be_visible()
    check(page, "the post preview")
    page.get_by_role("link", name="Back to editing").click()
    expect(page.get_by_role("textbox", name="Post").locator("strong")).to_have_text("no roof")
    page.get_by_role("button", name="Publish").click()

    # The post is on the blog and in the community index.
    page.goto("/community/amara/")
    expect(page.get_by_role("link", name="Bus shelters: what the survey found")).to_be_visible()
    check(page, "a member's blog")
    page.goto("/community/")
    post_link = page.get_by_role("link", name="Bus shelters: what the survey found")
    expect(post_link).to_be_visible()
    check(page, "the community index")
    post_link.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Bus shelters: what the survey found")
    expect(page.locator(".communityblog-body img")).to_have_attribute(
        "alt", "A bus shelter without a roof"
    )
    check(page, "a published post, seen by its author")

    # Another reader finds it in the community index and recommends it, in place.
    make_member("reader")
    reader = new_page()
    log_in(reader, "reader")
    reader.goto("/community/")
    reader.get_by_role("link", name="Bus shelters: what the survey found").click()
    rating = reader.locator("[data-communityblog-rating]")
    rating.get_by_role("button", name="Vote up").click()
    expect(rating.get_by_role("status")).to_have_text("You voted up. 1 point (1 vote).")


def focused_outline(page):
    return page.evaluate(
        """() => {
            const el = document.activeElement;
            // The writing area shows its focus on its container (Quill removes its outline).
            const container = el.closest(".ql-container");
            const ring = getComputedStyle(container || el);
            return [ring.outlineStyle, parseFloat(ring.outlineWidth)];
        }"""
    )


def tab_to(page, locator, limit=40):
    for _ in range(limit):
        page.keyboard.press("Tab")
        if locator.evaluate("el => el === document.activeElement"):
            return
    raise AssertionError(f"{locator} cannot be reached with Tab")


def test_a_member_writes_a_post_with_the_keyboard_alone(page, check, settings):
    settings.WAGTAIL_COMMUNITYBLOG_MODERATION = "none"

    community = make_community()
    make_blog(community, make_member("amara"), title="Notes from the doorstep", slug="amara")
    log_in(page, "amara")
    page.goto("/community/write/")

    tab_to(page, page.get_by_label("Title"))
    page.keyboard.type("Keyboard only")
    tab_to(page, page.get_by_label("Summary"), limit=3)
    page.keyboard.type("Written without a mouse.")

    # The toolbar's buttons come next, each with a name and a visible focus.
    toolbar = page.locator(".ql-toolbar")
    bold = toolbar.get_by_role("button", name="Bold")
    tab_to(page, bold, limit=10)
    style, width = focused_outline(page)
    assert style != "none" and width >= 2, (style, width)

    # On to the writing area, which shows its focus too; Ctrl+B makes bold, and the toolbar's
    # Bold button says so to screen readers.
    editor = page.get_by_role("textbox", name="Post")
    tab_to(page, editor, limit=15)
    style, width = focused_outline(page)
    assert style != "none" and width >= 2, (style, width)
    page.keyboard.type("Strong words")
    page.keyboard.press("Shift+Home")
    page.keyboard.press("Control+b")
    expect(editor.locator("strong")).to_have_text("Strong words")
    expect(bold).to_have_attribute("aria-pressed", "true")

    publish = page.get_by_role("button", name="Publish")
    tab_to(page, publish)
    style, width = focused_outline(page)
    assert style != "none" and width >= 2, (style, width)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Keyboard only")
    expect(page.locator(".communityblog-body b, .communityblog-body strong")).to_have_text(
        "Strong words"
    )
