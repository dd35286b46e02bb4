"""A site with a dark theme (the example site's, by ``prefers-color-scheme``): the package's
pages take the site's colours and stay readable, WCAG AA contrast included (axe-core), for a
reader and for a member writing (issue 16: links were 2.9:1 on a dark site)."""

import pytest
from playwright.sync_api import expect

from tests.browser.support import log_in, make_member
from tests.factories import make_blog, make_community, make_post


@pytest.fixture
def post():
    community = make_community()
    author = make_member("amara", first_name="Amara", last_name="Okafor")
    blog = make_blog(community, author, title="Notes from the doorstep", slug="amara")
    return make_post(
        blog,
        title="Bus shelters",
        intro="Forty members walked every route.",
        body="<p>Eleven shelters had <strong>no roof</strong>.</p><blockquote>Quoted</blockquote>",
        tags=["transport"],
    )


def test_the_package_pages_are_readable_on_the_sites_dark_theme(new_page, check, post):
    page = new_page(color_scheme="dark")
    page.goto(post.url)
    background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert background == "rgb(21, 23, 26)", "the site's dark theme is on"
    check(page, "a post on the dark theme")

    page.goto(post.get_parent().get_parent().url)
    check(page, "the community listing on the dark theme")

    log_in(page, "amara")
    page.goto("/community/write/")
    expect(page.locator(".ql-editor")).to_be_visible()
    check(page, "the post editor on the dark theme")
    page.goto("/community/dashboard/")
    check(page, "the dashboard on the dark theme")
