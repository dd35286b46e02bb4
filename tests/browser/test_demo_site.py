"""The example site with its demo content (``communityblog_demo``): every public and member page
passes axe-core and the HTML validator, with real content in it (tags, avatars, pagination,
promoted posts). The screenshots in ``docs/images/`` are taken here, by the same journeys
(``make screenshots`` saves them there; other runs save them in a temporary directory)."""

import io
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone
from playwright.sync_api import expect

from tests.browser.support import PASSWORD, log_in

WIDTH = 1200


@pytest.fixture
def demo():
    """The demo content: a community of twelve member blogs, readers' votes, two promoted
    blocks on the home page, the ``admin`` and ``editor`` accounts (password: ``PASSWORD``)."""
    call_command("communityblog_demo", posts=40, password=PASSWORD, stdout=io.StringIO())


class Shots:
    """Viewport screenshots (never a full page) into ``directory``, 1200 pixels wide, reduced
    to a 256-colour palette to keep them small."""

    def __init__(self, directory):
        self.directory = directory
        self.taken = []

    def __call__(self, page, name):
        page.wait_for_timeout(200)  # let scrolling and fonts settle
        path = self.directory / f"{name}.png"
        page.screenshot(path=str(path), animations="disabled", caret="hide")
        shrink_png(path)
        self.taken.append(name)


def shrink_png(path):
    from PIL import Image

    with Image.open(path) as image:
        palette = image.convert("RGB").quantize(
            colors=256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE
        )
    palette.save(path, optimize=True)


@pytest.fixture
def shots(screenshots_dir):
    return Shots(screenshots_dir)


def scroll_to(locator, offset=0):
    """Bring the element to the top of the viewport; the Wagtail admin scrolls an inner
    element rather than the window, so scroll whichever ancestor scrolls."""
    locator.evaluate(
        """(el, offset) => {
            let scroller = el.parentElement;
            while (scroller && scroller !== document.body) {
                const overflow = getComputedStyle(scroller).overflowY;
                const scrolls = scroller.scrollHeight > scroller.clientHeight;
                if (/(auto|scroll)/.test(overflow) && scrolls) break;
                scroller = scroller.parentElement;
            }
            const top = el.getBoundingClientRect().top - offset;
            if (scroller && scroller !== document.body) {
                scroller.scrollTo({top: scroller.scrollTop + top, behavior: "instant"});
            } else {
                window.scrollTo({top: window.scrollY + top, behavior: "instant"});
            }
        }""",
        offset,
    )


def test_every_public_page_passes_the_checks(page, check, demo, shots):
    page.set_viewport_size({"width": WIDTH, "height": 1000})
    page.goto("/")
    expect(page.locator(".communityblog-promoted")).to_have_count(2)
    check(page, "the home page with two promoted blocks")
    scroll_to(page.locator(".communityblog-promoted").first, 24)
    shots(page, "home-promoted-blocks")

    for sort in ("new", "top", "best", "hot"):
        page.goto(f"/community/?sort={sort}")
        check(page, f"the community index, sorted by {sort}")
    shots(page, "community-index-hot")

    page.goto("/community/")
    page.get_by_role("link", name="Next").first.click()
    check(page, "the community index, page 2")

    tag = page.locator(".communityblog-tags a").first
    tag.click()
    check(page, "a tag page")
    page.goto("/community/blogs/")
    check(page, "the directory of member blogs")
    page.goto("/community/search/?q=housing")
    check(page, "search results")
    page.goto("/community/search/?q=zzzznothing")
    check(page, "a search without results")

    page.goto("/community/blogs/")
    page.locator(".communityblog-blog-list a").first.click()
    check(page, "a member's blog, as an anonymous reader")
    page.locator(".communityblog-post-title a").first.click()
    check(page, "a post, as an anonymous reader")

    response = page.goto("/no-such-page/")
    assert response.status == 404
    check(page, "the page-not-found page", html=response.text())


def test_reader_and_member_pages_pass_the_checks(new_page, check, demo, shots):
    from wagtail_communityblog.models import CommunityPostPage

    # A reader on a well-rated post, then the report form.
    page = new_page()
    log_in(page, "reader01")
    page.set_viewport_size({"width": WIDTH, "height": 900})
    page.goto("/community/?sort=best")
    page.locator(".communityblog-post-list .communityblog-post-title a").first.click()
    check(page, "a post with the rating widget, as a reader")
    scroll_to(page.locator("main h1"), 24)
    shots(page, "post-rating-widget")

    page.get_by_role("link", name="Report this post").click()
    page.get_by_label("What is wrong with this post?").fill(
        "The second paragraph names a council officer and accuses them of lying, with no source."
    )
    shots(page, "flag-form")
    page.get_by_role("button", name="Send report").click()

    # Two readers report a second post, so the admin's Reports listing has something to show.
    other = CommunityPostPage.objects.live().exclude(flags__isnull=False).order_by("-pk").first()
    for reader in ("reader01", "reader02"):
        reporter = new_page()
        log_in(reporter, reader)
        reporter.goto(other.url)
        reporter.get_by_role("link", name="Report this post").click()
        reporter.get_by_label("What is wrong with this post?").fill("Advertising: a shop link.")
        reporter.get_by_role("button", name="Send report").click()
        expect(reporter.get_by_text("Thank you.").first).to_be_visible()

    # A member: dashboard, blog form, editor, a new post (a fresh one with no votes, so the
    # Rescue report has something to show), its edit page and delete confirmation.
    page = new_page()
    page.set_viewport_size({"width": WIDTH, "height": 1000})
    log_in(page, "amara")
    page.goto("/community/dashboard/")
    check(page, "a member's dashboard with posts")
    shots(page, "member-dashboard")
    page.get_by_role("link", name="Edit", exact=False).first.click()
    check(page, "the blog form of an existing blog")
    page.goto("/community/write/")
    page.get_by_label("Title").fill("Bus shelters: what the survey found")
    page.get_by_label("Summary").fill(
        "Forty members walked every route in the ward last month. Here is what they saw."
    )
    page.get_by_role("textbox", name="Post").click()
    page.keyboard.type(
        "Forty members walked every bus route in the ward in October, notebook in hand. "
        "Eleven shelters had no roof, six had no timetable, and two had no shelter left at all."
    )
    page.keyboard.press("Enter")
    page.keyboard.type("We have sent the full list to the council's transport committee.")
    page.get_by_label("Tags").fill("transport, survey")
    page.get_by_label("Tags").blur()
    page.evaluate("window.scrollTo(0, 0)")
    check(page, "the post editor with demo tags suggested")
    shots(page, "post-editor")
    with page.expect_navigation():
        page.get_by_role("button", name="Publish").click()

    post = CommunityPostPage.objects.get(title="Bus shelters: what the survey found")
    page.goto(f"/community/posts/{post.pk}/edit/")
    check(page, "the editor of a published post")
    page.goto(f"/community/posts/{post.pk}/delete/")
    check(page, "the delete confirmation")


def test_the_admin_screens_for_the_docs(page, demo, shots):
    """The admin is Wagtail's (its accessibility is Wagtail's to test); these are the
    screenshots of the package's admin screens that the editors' guides show."""
    from django.contrib.auth import get_user_model

    from home.models import HomePage
    from wagtail_communityblog.models import CommunityPostPage
    from wagtail_communityblog.models.curation import Flag
    from wagtail_communityblog.services.ratings import rate_post
    from wagtail_communityblog.services.vote_rings import detect_rings

    # Reports for the Reports listing: two posts, each reported by two readers.

    users = get_user_model().objects
    reported = CommunityPostPage.objects.live().order_by("-pk")[:2]
    reasons = ["Personal attack on a named person.", "Advertising: the last line links to a shop."]
    for post, reason in zip(reported, reasons, strict=True):
        for reader in ("reader01", "reader02"):
            Flag.objects.create(post=post, user=users.get(username=reader), reason=reason)

    page.goto("/admin/login/")
    page.get_by_label("Username").fill("admin")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator(".communityblog-summary")).to_be_visible()
    scroll_to(page.locator(".communityblog-summary"), 24)
    shots(page, "admin-dashboard-summary")

    page.goto("/admin/community/posts/")
    shots(page, "admin-community-posts")
    checkboxes = page.locator("input.bulk-action-checkbox[data-object-id]")
    first_id = checkboxes.first.get_attribute("data-object-id")
    checkboxes.nth(0).check()
    checkboxes.nth(1).check()
    shots(page, "admin-bulk-actions")

    page.goto(f"/admin/community/posts/{first_id}/do/hide/")
    page.get_by_label("Reason").fill(
        "Repeats last week's post word for word; the editors have kept the first one."
    )
    shots(page, "admin-hide-form")

    page.goto("/admin/community/reports/")
    shots(page, "admin-reports")
    page.goto("/admin/community/rescue/")
    shots(page, "admin-rescue")

    # A vote ring for the editor's guide: six weeks-old accounts with no history push one post
    # up and the three hottest down, within minutes; the detection holds them and the post.
    live = CommunityPostPage.objects.live()
    target = live.order_by("score__up_count", "pk").first()  # few votes: the ring's own post
    competitors = list(live.exclude(pk=target.pk).order_by("-score__hot")[:3])
    joined = timezone.now() - timedelta(days=30)
    for n in range(6):
        account = users.create_user(f"newreader{n + 1}", password=PASSWORD, date_joined=joined)
        rate_post(target, account, 1)
        for post in competitors:
            rate_post(post, account, -1)
    (ring,) = detect_rings()
    page.goto(f"/admin/community/vote-rings/{ring.pk}/")
    shots(page, "admin-vote-ring")
    page.goto("/admin/community/vote-rings/")
    shots(page, "admin-vote-rings")
    page.goto("/admin/community/held-posts/")
    shots(page, "admin-held-posts")
    page.goto(f"/admin/pages/{target.pk}/edit/")
    why = page.get_by_text("Why is this here").first
    why.scroll_into_view_if_needed()
    scroll_to(why, 120)
    shots(page, "admin-why-is-this-here")

    home = HomePage.objects.get()
    page.goto(f"/admin/pages/{home.pk}/edit/")
    block = page.locator("[data-contentpath='ranking']").first.locator(
        "xpath=ancestor::*[@data-contentpath][1]"
    )
    toggle = block.locator("[aria-expanded='false']").first
    if toggle.count() and toggle.is_visible():
        toggle.click()
    page.set_viewport_size({"width": WIDTH, "height": 1400})
    scroll_to(block, 100)
    shots(page, "admin-promoted-block-editor")

    page.set_viewport_size({"width": WIDTH, "height": 800})
    page.goto(f"/admin/pages/{home.pk}/edit/")  # back at the top of the editor
    add = page.locator("[data-contentpath='body'] button[title='Insert a block']").first
    add.scroll_into_view_if_needed()
    add.click()
    page.get_by_role("option", name="Promoted member posts").hover()
    # Wagtail shows the block's preview beside the option, rendered in an iframe.
    page.wait_for_timeout(1500)
    shots(page, "admin-block-chooser")
