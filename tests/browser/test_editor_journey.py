"""An editor places a promoted-posts block on the home page, then pins and hides posts from
the Community menu; the home page follows."""

import re

from playwright.sync_api import expect

from tests.browser.support import admin_log_in, insert_promoted_block, make_member
from tests.factories import make_blog, make_community, make_post


def vote(post, voters, value=1):
    from wagtail_communityblog.services.ratings import rate_post

    for voter in voters:
        rate_post(post, voter, value)


def promoted(page):
    return page.locator(".communityblog-promoted")


def test_an_editor_places_the_block_then_pins_and_hides_posts(page, check, site_tree):
    community = make_community()
    amara = make_blog(community, make_member("amara", first_name="Amara"), slug="amara")
    ben = make_blog(community, make_member("ben", first_name="Ben"), slug="ben")
    popular = make_post(amara, title="Bus shelters: what the survey found", intro="Forty routes.")
    liked = make_post(ben, title="Library hours", intro="Open on Sundays again.")
    quiet = make_post(ben, title="Minutes of the ward meeting", intro="Nobody voted yet.")
    voters = [make_member(f"reader{n}") for n in range(6)]
    vote(popular, voters)
    vote(liked, voters[:5])  # both meet the promotion rule (5 votes, net 3); "quiet" has none
    make_member("editor", is_staff=True, is_superuser=True)

    # The home page has no block yet.
    page.goto("/")
    expect(promoted(page)).to_have_count(0)

    # The editor adds a "Promoted member posts" block to the home page's body and publishes.
    admin_log_in(page, "editor")
    page.goto(f"/admin/pages/{site_tree.root_page_id}/edit/")
    block = insert_promoted_block(page)
    block.get_by_label("Heading").fill("Recommended by members")
    block.get_by_label("Ranking").select_option("best")
    page.get_by_role("button", name="More actions").click()
    page.get_by_role("button", name="Publish").click()
    expect(page.get_by_text("has been published")).to_be_visible()

    page.goto("/")
    block = promoted(page)
    expect(block.get_by_role("heading", name="Recommended by members")).to_be_visible()
    titles = block.locator(".communityblog-post-title")
    # By default a ranked block shows only posts that meet the promotion rule.
    expect(titles).to_have_text(["Bus shelters: what the survey found", "Library hours"])
    check(page, "the home page with the promoted block")

    # Community > Posts: pin the quiet post, hide the popular one.
    page.goto("/admin/")
    page.get_by_role("button", name="Community").click()
    page.get_by_role("link", name="Posts", exact=True).click()
    expect(page.get_by_role("heading", name="Posts")).to_be_visible()
    row = page.get_by_role("row").filter(has_text="Minutes of the ward meeting")
    row.get_by_role("button", name=re.compile("More options")).click()
    row.get_by_role("link", name="Pin to front page").click()
    page.get_by_role("button", name="Pin to front page").click()
    expect(page.get_by_text("Pin to front page: “Minutes of the ward meeting”.")).to_be_visible()

    row = page.get_by_role("row").filter(has_text="Bus shelters: what the survey found")
    row.get_by_role("button", name=re.compile("More options")).click()
    row.get_by_role("link", name="Hide from promotion").click()
    page.get_by_label("Reason").fill("Repeats last week's post word for word.")
    page.get_by_role("button", name="Hide from promotion").click()
    expect(
        page.get_by_text("Hide from promotion: “Bus shelters: what the survey found”.")
    ).to_be_visible()

    # The home page: the pinned post first (whatever its votes), marked as pinned; the hidden
    # post gone.
    page.goto("/")
    block = promoted(page)
    expect(block.locator(".communityblog-post-title")).to_have_text(
        ["Minutes of the ward meeting", "Library hours"]
    )
    expect(block.locator(".communityblog-promoted-item").first).to_contain_text(
        "Pinned by the editors"
    )
    check(page, "the home page with a pinned post in the promoted block")
    assert quiet.pk and popular.pk and liked.pk
