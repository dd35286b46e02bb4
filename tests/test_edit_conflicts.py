"""Two people (or two tabs) editing the same thing: a stale save is refused, never saved over
the other's change, and the member's words stay in the form to merge."""

import re

import pytest
from django.test import Client, override_settings
from django.urls import reverse

from tests.factories import make_blog, make_post, make_user
from wagtail_communityblog.models import Comment, CommunityPostPage, MemberBlogPage
from wagtail_communityblog.services import comments as comment_service

pytestmark = pytest.mark.django_db


def tab(user):
    """A browser of its own, logged in as ``user`` (two tabs are two sessions here)."""
    client = Client()
    client.force_login(user)
    return client


def version_in(response):
    match = re.search(r'name="base_version" value="(\d+)"', response.content.decode())
    assert match, "the edit form carries its base_version"
    return match.group(1)


def edit_url(post):
    return reverse("wagtail_communityblog:post_edit", kwargs={"post_id": post.pk})


def post_form(version, **values):
    data = {"title": "Ten doors", "intro": "", "body": "<p>Words.</p>", "tags": ""}
    data.update(values, base_version=version, action="draft")
    return data


@pytest.fixture
def post(blog):
    return make_post(blog, title="Ten doors", body="<p>The first draft.</p>")


def test_two_tabs_editing_one_post_the_second_save_is_refused_and_keeps_its_text(member, post):
    first, second = tab(member), tab(member)
    version_first = version_in(first.get(edit_url(post)))
    version_second = version_in(second.get(edit_url(post)))

    saved = first.post(edit_url(post), post_form(version_first, body="<p>From tab one.</p>"))
    assert saved.status_code == 302

    stale = second.post(
        edit_url(post), post_form(version_second, title="Eleven doors", body="<p>Tab two.</p>")
    )
    assert stale.status_code == 409
    page = stale.content.decode()
    assert "Someone changed this since you opened it" in page
    assert "Tab two." in page and "Eleven doors" in page  # the member's words, to merge
    assert "From tab one." in page  # and the version saved now, beside them
    latest = CommunityPostPage.objects.get(pk=post.pk).get_latest_revision_as_object()
    assert "From tab one." in latest.body and latest.title == "Ten doors"

    # The refused form now carries the saved version: saving it again (merged) goes through.
    merged = second.post(edit_url(post), post_form(version_in(stale), body="<p>One and two.</p>"))
    assert merged.status_code == 302
    latest = CommunityPostPage.objects.get(pk=post.pk).get_latest_revision_as_object()
    assert "One and two." in latest.body


def test_a_members_old_form_never_overwrites_an_editors_revision(member, post):
    member_tab = tab(member)
    version = version_in(member_tab.get(edit_url(post)))

    editor = make_user("chief", is_staff=True, is_superuser=True)
    page = CommunityPostPage.objects.get(pk=post.pk)
    page.body = "<p>Corrected by the editors.</p>"
    page.save_revision(user=editor).publish(user=editor)

    response = member_tab.post(
        edit_url(post), post_form(version, body="<p>My old text.</p>", action="publish")
    )
    assert response.status_code == 409
    page = CommunityPostPage.objects.get(pk=post.pk)
    assert "Corrected by the editors." in page.body
    assert "Corrected by the editors." in page.get_latest_revision_as_object().body


def test_a_form_that_sends_no_version_still_saves(member, post):
    response = tab(member).post(
        edit_url(post), post_form("", body="<p>From a script that knows no versions.</p>")
    )
    assert response.status_code == 302


@pytest.mark.parametrize("version", ["abc", "-1", "99999999999999999999999", "1e3", "١٢"])
def test_a_version_that_is_not_one_is_refused_as_stale_not_a_500(member, post, version):
    response = tab(member).post(edit_url(post), post_form(version, body="<p>Mine.</p>"))
    assert response.status_code == 409
    assert "Mine." in response.content.decode()
    latest = CommunityPostPage.objects.get(pk=post.pk).get_latest_revision_as_object()
    assert "The first draft." in latest.body


def test_two_tabs_editing_one_blog(member, blog):
    first, second = tab(member), tab(member)
    url = reverse("wagtail_communityblog:blog_edit")
    version_first = version_in(first.get(url))
    version_second = version_in(second.get(url))

    assert first.post(url, {"title": "Notes", "base_version": version_first}).status_code == 302
    stale = second.post(
        url, {"title": "Dispatches", "intro": "New intro", "base_version": version_second}
    )
    assert stale.status_code == 409
    assert "Dispatches" in stale.content.decode() and "Notes" in stale.content.decode()
    assert MemberBlogPage.objects.get(pk=blog.pk).title == "Notes"


@override_settings(WAGTAIL_COMMUNITYBLOG_COMMENT_MODERATION="none")
def test_two_tabs_editing_one_comment(blog, post):
    reader = make_user("bea")
    comment = comment_service.create_comment(post, reader, "First thoughts.")
    url = reverse("wagtail_communityblog:comment_edit", kwargs={"comment_id": comment.pk})
    first, second = tab(reader), tab(reader)
    version_first = version_in(first.get(url))
    version_second = version_in(second.get(url))

    assert (
        first.post(url, {"body": "Second thoughts.", "base_version": version_first}).status_code
        == 302
    )
    stale = second.post(url, {"body": "Third thoughts.", "base_version": version_second})
    assert stale.status_code == 409
    assert "Third thoughts." in stale.content.decode()
    assert "Second thoughts." in stale.content.decode()
    assert "Second thoughts." in Comment.objects.get(pk=comment.pk).body

    as_json = second.post(
        url,
        {"body": "Third thoughts.", "base_version": version_second},
        HTTP_ACCEPT="application/json",
    )
    assert as_json.status_code == 409 and "another tab" in as_json.json()["error"]

    again = second.post(url, {"body": "Third thoughts.", "base_version": version_in(stale)})
    assert again.status_code == 302
    assert "Third thoughts." in Comment.objects.get(pk=comment.pk).body


def test_another_members_blog_is_still_out_of_reach(member, community):
    other = make_user("mallory")
    theirs = make_blog(community, other, title="Mallory's")
    response = tab(member).post(
        reverse("wagtail_communityblog:blog_edit") + f"?blog={theirs.pk}",
        {"title": "Taken over", "base_version": "1"},
    )
    assert response.status_code == 404
    assert MemberBlogPage.objects.get(pk=theirs.pk).title == "Mallory's"
