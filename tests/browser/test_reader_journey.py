"""Readers rate a post (with and without JavaScript, by keyboard) and report one."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.support import log_in, make_member
from tests.factories import make_blog, make_community, make_post

TITLE = "Bus shelters: what the survey found"


@pytest.fixture
def post():
    community = make_community()
    author = make_member("amara", first_name="Amara", last_name="Okafor")
    blog = make_blog(community, author, title="Notes from the doorstep", slug="amara")
    return make_post(
        blog,
        title=TITLE,
        intro="Forty members walked every route in the ward.",
        body="<p>Eleven shelters had <strong>no roof</strong>.</p>",
        tags=["transport"],
    )


def widget(page):
    return page.locator("[data-communityblog-rating]")


def my_vote(post, username):
    from wagtail_communityblog.models import Rating

    rating = Rating.objects.filter(post=post, user__username=username).first()
    return rating.value if rating else None


def test_a_reader_votes_changes_and_withdraws_without_a_reload(page, check, post):
    make_member("reader")

    page.goto(post.url)
    expect(widget(page).get_by_role("link", name="Log in to vote")).to_be_visible()
    check(page, "the rating widget for an anonymous reader")

    log_in(page, "reader")
    page.goto(post.url)
    up = widget(page).get_by_role("button", name="Vote up")
    down = widget(page).get_by_role("button", name="Vote down")
    status = widget(page).get_by_role("status")
    expect(up).to_have_attribute("aria-pressed", "false")
    check(page, "the rating widget before a vote")

    # A marker on the window: it survives only as long as the page is not reloaded.
    page.evaluate("window.notReloaded = true")

    up.click()
    expect(status).to_have_text("You voted up. 1 point (1 vote).")
    expect(widget(page).locator(".communityblog-rating-score")).to_have_text("1 point (1 vote)")
    expect(up).to_have_attribute("aria-pressed", "true")
    expect(down).to_have_attribute("aria-pressed", "false")
    assert my_vote(post, "reader") == 1
    check(page, "the rating widget after an up vote")

    down.click()
    expect(status).to_have_text("You voted down. -1 point (1 vote).")
    expect(up).to_have_attribute("aria-pressed", "false")
    expect(down).to_have_attribute("aria-pressed", "true")
    assert my_vote(post, "reader") == -1
    check(page, "the rating widget after a down vote")

    down.click()  # the pressed button again: withdraw
    expect(status).to_have_text("Your vote is withdrawn. 0 points (0 votes).")
    expect(down).to_have_attribute("aria-pressed", "false")
    assert my_vote(post, "reader") is None
    check(page, "the rating widget after a withdrawn vote")

    assert page.evaluate("window.notReloaded") is True

    # The server kept the withdrawal: a fresh load shows no vote.
    page.reload()
    expect(widget(page).get_by_role("button", name="Vote up")).to_have_attribute(
        "aria-pressed", "false"
    )
    expect(widget(page).locator(".communityblog-rating-score")).to_contain_text("0 points")


def test_a_reader_votes_with_the_keyboard_alone_and_sees_where_the_focus_is(page, check, post):
    make_member("reader")
    log_in(page, "reader")
    page.goto(post.url)

    # Tab from the top of the page to the up-vote button, as a keyboard user would.
    up = widget(page).get_by_role("button", name="Vote up")
    for _ in range(40):
        page.keyboard.press("Tab")
        if up.evaluate("button => button === document.activeElement"):
            break
    else:
        pytest.fail("the up-vote button cannot be reached with Tab")
    outline = up.evaluate(
        "b => { const s = getComputedStyle(b); return [s.outlineStyle, s.outlineWidth]; }"
    )
    assert outline[0] != "none" and float(outline[1].rstrip("px")) >= 2, outline

    page.keyboard.press("Space")
    expect(widget(page).get_by_role("status")).to_have_text("You voted up. 1 point (1 vote).")
    # The focus stays on the button the reader pressed.
    expect(up).to_be_focused()
    page.keyboard.press("Enter")  # again: withdraw
    expect(widget(page).get_by_role("status")).to_have_text(
        "Your vote is withdrawn. 0 points (0 votes)."
    )
    assert my_vote(post, "reader") is None

    # The report link is reachable too, and shows its focus.
    report = page.get_by_role("link", name="Report this post")
    for _ in range(10):
        page.keyboard.press("Tab")
        if report.evaluate("link => link === document.activeElement"):
            break
    else:
        pytest.fail("the report link cannot be reached with Tab")
    assert report.evaluate("a => getComputedStyle(a).outlineStyle") != "none"


def test_a_reader_without_javascript_votes_through_the_plain_form(new_page, check, post):
    make_member("reader")
    page = new_page(java_script_enabled=False)
    log_in(page, "reader")
    page.goto(post.url)
    up = widget(page).get_by_role("button", name="Vote up")

    with page.expect_navigation():
        up.click()
    # The form posted, and the server sent the reader back to the post.
    assert page.url.endswith(post.url)
    up = widget(page).get_by_role("button", name="Vote up")
    expect(up).to_have_attribute("aria-pressed", "true")
    expect(widget(page).locator(".communityblog-rating-score")).to_contain_text("1 point")
    expect(widget(page).get_by_text("Press your vote again to withdraw it.")).to_be_visible()
    assert my_vote(post, "reader") == 1
    check(page, "the rating widget after a vote without JavaScript", javascript=False)

    with page.expect_navigation():
        up.click()
    expect(widget(page).get_by_role("button", name="Vote up")).to_have_attribute(
        "aria-pressed", "false"
    )
    assert my_vote(post, "reader") is None


@pytest.mark.parametrize(
    ("scheme", "button", "status"),
    [
        ("stars", "4 stars", "You rated it 4 out of 5. 4.0 stars on average (1 rating)."),
        ("recommend", "Recommend", "You recommend this post. 1 point (1 vote)."),
    ],
)
def test_the_other_rating_schemes_vote_in_place(page, check, settings, scheme, button, status):
    settings.WAGTAIL_COMMUNITYBLOG_RATING_SCHEME = scheme
    community = make_community()
    blog = make_blog(community, make_member("amara"), slug="amara")
    post = make_post(blog, title=TITLE)
    make_member("reader")
    log_in(page, "reader")
    page.goto(post.url)
    check(page, f"the {scheme} rating widget before a vote")
    widget(page).get_by_role("button", name=button, exact=True).click()
    expect(widget(page).get_by_role("status")).to_have_text(status)
    expect(widget(page).get_by_role("button", name=button, exact=True)).to_have_attribute(
        "aria-pressed", "true"
    )
    check(page, f"the {scheme} rating widget after a vote")


def test_the_author_sees_the_score_without_buttons(page, check, post):
    log_in(page, "amara")
    page.goto(post.url)
    expect(widget(page).locator(".communityblog-rating-score")).to_contain_text("0 points")
    expect(widget(page).get_by_role("button")).to_have_count(0)
    expect(page.get_by_role("link", name="Report this post")).to_have_count(0)
    check(page, "a post seen by its author")


def test_a_reader_reports_a_post(page, check, post):
    from wagtail_communityblog.models.curation import Flag

    make_member("reader")
    log_in(page, "reader")
    page.goto(post.url)
    page.get_by_role("link", name="Report this post").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Report “{TITLE}”")
    check(page, "the report form")

    with page.expect_response(lambda r: r.request.method == "POST") as answer:
        page.get_by_role("button", name="Send report").click()
    reason = page.get_by_role("textbox", name="What is wrong with this post?")
    expect(reason).to_have_attribute("aria-invalid", "true")
    # The error is the field's description, read out with it (Django's aria-describedby).
    expect(reason).to_have_accessible_description(re.compile("This field is required."))
    expect(page.get_by_text("This field is required.")).to_be_visible()
    check(page, "the report form with errors", html=answer.value.text())
    assert not Flag.objects.exists()

    page.get_by_label("What is wrong with this post?").fill(
        "The second paragraph names a council officer and accuses them of lying."
    )
    page.get_by_role("button", name="Send report").click()
    expect(page.get_by_text("Thank you. The editors will look at your report.")).to_be_visible()
    assert page.url.endswith(post.url)
    check(page, "a post after its report was sent")
    flag = Flag.objects.get()
    assert (flag.post_id, flag.user.username) == (post.pk, "reader")
    assert flag.reason.startswith("The second paragraph")


def test_a_refused_vote_is_explained_with_and_without_javascript(new_page, check, settings, post):
    from datetime import timedelta

    settings.WAGTAIL_COMMUNITYBLOG_MIN_ACCOUNT_AGE_TO_VOTE = timedelta(days=7)
    make_member("newcomer", voter=False)

    # With JavaScript: the refusal is announced in the widget, the page stays.
    page = new_page()
    log_in(page, "newcomer")
    page.goto(post.url)
    widget(page).get_by_role("button", name="Vote up").click()
    expect(widget(page).get_by_role("status")).to_have_text("Your account is too new to vote yet.")
    check(page, "the rating widget after a refused vote")

    # Without: the plain form lands on the error page, which links back to the post.
    page = new_page(java_script_enabled=False)
    log_in(page, "newcomer")
    page.goto(post.url)
    with page.expect_response(lambda r: r.request.method == "POST") as answer:
        widget(page).get_by_role("button", name="Vote up").click()
    assert answer.value.status == 403
    expect(page.get_by_role("heading", level=1)).to_have_text("Your vote was not recorded")
    expect(page.get_by_role("alert")).to_have_text("Your account is too new to vote yet.")
    check(
        page,
        "the page of a refused vote, without JavaScript",
        html=answer.value.text(),
        javascript=False,
    )
    page.get_by_role("link", name="Back").click()
    assert page.url.endswith(post.url)
    assert my_vote(post, "newcomer") is None


def test_a_suspended_member_sees_the_score_without_buttons(page, check, post):
    from wagtail_communityblog.models.members import CommunityMember

    reader = make_member("reader")
    CommunityMember.objects.update_or_create(user=reader, defaults={"is_suspended": True})
    log_in(page, "reader")
    page.goto(post.url)
    expect(widget(page).locator(".communityblog-rating-score")).to_contain_text("0 points")
    expect(widget(page).get_by_role("button")).to_have_count(0)
    check(page, "a post seen by a suspended member")
