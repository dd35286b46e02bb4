"""Suspension means read-only: every write a suspended member could make is refused, and their
posts leave listings, votes and the API. The list is the one editors read in the docs."""

import io
import pathlib
import re

import pytest
from django.test import Client, override_settings
from django.urls import reverse
from PIL import Image as PILImage

from tests.factories import make_blog, make_community, make_post, make_user, make_voter
from wagtail_communityblog.models import (
    Comment,
    CommentFlag,
    CommentRecommendation,
    CommentSubscription,
    CommunityPostPage,
    Flag,
    MemberBlogPage,
    PostScore,
    Rating,
)
from wagtail_communityblog.models.members import SUSPENSION_STOPS
from wagtail_communityblog.services import comments as comment_service
from wagtail_communityblog.services.members import suspend_member, unsuspend_member

pytestmark = pytest.mark.django_db

DOCS = pathlib.Path(__file__).parent.parent / "docs" / "how-to" / "editors-guide-moderation.md"


@pytest.fixture
def world(db):
    community = make_community()
    with override_settings(WAGTAIL_COMMUNITYBLOG_COMMENT_MODERATION="none"):
        suspended = make_voter("mallory")
        blog = make_blog(community, suspended, title="Mallory's blog")
        own_post = make_post(blog, title="Mallory's post")
        other = make_user("amara")
        other_post = make_post(make_blog(community, other), title="Amara's post")
        own_comment = comment_service.create_comment(other_post, suspended, "My words.")
        their_comment = comment_service.create_comment(other_post, make_voter(), "Theirs.")
        comment_service.set_following(other_post, suspended, True)
    suspend_member(suspended, reason="Spam")
    client = Client()
    client.force_login(suspended)
    return {
        "client": client,
        "user": suspended,
        "blog": blog,
        "own_post": own_post,
        "other_post": other_post,
        "own_comment": own_comment,
        "their_comment": their_comment,
    }


def url(name, **kwargs):
    return reverse(f"wagtail_communityblog:{name}", kwargs=kwargs)


def png():
    buffer = io.BytesIO()
    PILImage.new("RGB", (20, 20), "red").save(buffer, "PNG")
    buffer.seek(0)
    buffer.name = "x.png"
    return buffer


def state(world):
    """Everything a suspended member's writes could change."""
    own_post = CommunityPostPage.objects.get(pk=world["own_post"].pk)
    return {
        "blog": MemberBlogPage.objects.get(pk=world["blog"].pk).title,
        "posts": sorted(CommunityPostPage.objects.values_list("pk", "live", "latest_revision")),
        "own_post_live": own_post.live,
        "ratings": Rating.objects.count(),
        "comments": sorted(Comment.objects.values_list("pk", "body", "is_removed")),
        "recommendations": CommentRecommendation.objects.count(),
        "reports": Flag.objects.count() + CommentFlag.objects.count(),
        "follows": sorted(CommentSubscription.objects.values_list("post", "user", "active")),
        "closed": sorted(PostScore.objects.values_list("pk", "comments_closed")),
        "images": __import__("wagtail.images", fromlist=["x"]).get_image_model().objects.count(),
    }


def writes(world):
    """(what, URL, form data, the SUSPENSION_STOPS key the refusal names)."""
    own, other = world["own_post"], world["other_post"]
    mine, theirs = world["own_comment"], world["their_comment"]
    return [
        ("change the blog", url("blog_edit"), {"title": "Taken back"}, "blog"),
        ("start a draft", url("post_create"), {"title": "N", "body": "<p>x</p>"}, "post"),
        (
            "publish a post",
            url("post_create"),
            {"title": "N", "body": "<p>x</p>", "action": "publish"},
            "post",
        ),
        (
            "edit a post",
            url("post_edit", post_id=own.pk),
            {"title": "Edited", "body": "<p>y</p>", "action": "draft"},
            "post",
        ),
        ("unpublish a post", url("post_unpublish", post_id=own.pk), {}, "post"),
        ("delete a post", url("post_delete", post_id=own.pk), {}, "post"),
        ("upload an image", url("image_upload"), {"image": png(), "alt": "x"}, "upload"),
        ("vote", url("rate", post_id=other.pk), {"value": "1"}, "vote"),
        ("comment", url("comment_create", post_id=other.pk), {"body": "Hello"}, "comment"),
        ("reply", url("comment_reply", comment_id=theirs.pk), {"body": "Hi"}, "comment"),
        ("edit a comment", url("comment_edit", comment_id=mine.pk), {"body": "New"}, "comment"),
        ("delete a comment", url("comment_delete", comment_id=mine.pk), {}, "comment"),
        ("recommend", url("comment_recommend", comment_id=theirs.pk), {"value": "1"}, "recommend"),
        ("report a comment", url("comment_flag", comment_id=theirs.pk), {"reason": "x"}, "report"),
        ("report a post", url("flag", post_id=other.pk), {"reason": "x"}, "report"),
        ("follow", url("comment_follow", post_id=own.pk), {"follow": "1"}, "follow"),
        ("close comments", url("comment_close", post_id=own.pk), {"closed": "1"}, "close"),
    ]


@pytest.mark.parametrize("accept", ["application/json", "text/html"])
def test_every_write_a_suspended_member_could_make_is_refused_and_changes_nothing(world, accept):
    client = world["client"]
    before = state(world)
    for what, target, data, stop in writes(world):
        response = client.post(target, data, HTTP_ACCEPT=accept)
        body = response.content.decode()
        if response.status_code == 302:
            # Plain forms that go back to the dashboard say why there (unpublish, delete).
            body = client.get(response["Location"]).content.decode()
        else:
            assert response.status_code == 403, f"{what}: {response.status_code}"
        message = str(SUSPENSION_STOPS[stop])
        assert message in body or message.replace("'", "&#x27;") in body, what
        assert state(world) == before, f"{what} changed something"


def test_stopping_e_mails_stays_open_to_a_suspended_member(world):
    client = world["client"]
    response = client.post(
        url("comment_follow", post_id=world["other_post"].pk),
        {"follow": "0"},
        HTTP_ACCEPT="application/json",
    )
    assert response.status_code == 200
    assert not CommentSubscription.objects.get(user=world["user"]).active


def test_a_suspended_members_post_takes_no_votes_and_leaves_the_api(world, client):
    post = world["own_post"]
    voter = make_voter()
    client.force_login(voter)
    page = client.get(post.url).content.decode()
    assert 'name="value"' not in page  # no buttons on a withdrawn post
    response = client.post(
        url("rate", post_id=post.pk), {"value": "1"}, HTTP_ACCEPT="application/json"
    )
    assert response.status_code == 403
    assert "withdrawn" in response.json()["error"]
    assert not Rating.objects.filter(post=post).exists()

    listing = client.get("/api/v2/pages/?type=wagtail_communityblog.CommunityPostPage")
    titles = [item["title"] for item in listing.json()["items"]]
    assert "Amara's post" in titles and "Mallory's post" not in titles
    assert client.get(f"/api/v2/pages/{post.pk}/").status_code == 404

    unsuspend_member(world["user"])
    listing = client.get("/api/v2/pages/?type=wagtail_communityblog.CommunityPostPage")
    assert "Mallory's post" in [item["title"] for item in listing.json()["items"]]
    response = client.post(
        url("rate", post_id=post.pk), {"value": "1"}, HTTP_ACCEPT="application/json"
    )
    assert response.status_code == 200


def test_the_suspended_member_is_offered_none_of_the_refused_buttons(world):
    page = world["client"].get(world["other_post"].url).content.decode()
    assert 'name="value"' not in page  # votes
    assert "Report this post" not in page
    assert "data-comment-recommend" not in page
    assert ">Report<" not in page
    assert "suspended" in page  # the comment form's place says why


def test_the_editors_guide_lists_every_thing_a_suspension_stops():
    guide = DOCS.read_text()
    section = guide[guide.index("### What a suspension stops") :]
    listed = re.findall(r"\| \"(Your account is suspended: [^\"]+)\" \|", section)
    assert listed == [str(message) for message in SUSPENSION_STOPS.values()]
