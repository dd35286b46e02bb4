"""Per-member limits on starting posts and uploading images."""

import io

import pytest
from django.test import override_settings
from django.urls import reverse
from PIL import Image as PILImage
from wagtail.images import get_image_model

from tests.factories import make_blog, make_user
from wagtail_communityblog.models import CommunityPostPage

pytestmark = pytest.mark.django_db


def png():
    buffer = io.BytesIO()
    PILImage.new("RGB", (10, 10), "blue").save(buffer, "PNG")
    buffer.seek(0)
    buffer.name = "x.png"
    return buffer


@override_settings(WAGTAIL_COMMUNITYBLOG_RATE_LIMITS={"post_create": "2/h"})
def test_starting_too_many_posts_is_refused_with_a_message_and_saves_nothing(client, community):
    member = make_user()
    make_blog(community, member)
    client.force_login(member)
    create = reverse("wagtail_communityblog:post_create")
    data = {"title": "Post", "body": "<p>x</p>", "action": "draft"}

    assert client.post(create, data).status_code == 302
    assert client.post(create, data).status_code == 302
    refused = client.post(create, {**data, "title": "My third, kept"})

    assert refused.status_code == 429
    assert 0 < int(refused["Retry-After"]) <= 3600
    assert "too many posts" in refused.content.decode()
    assert "My third, kept" in refused.content.decode()  # the member's words stay in the form
    assert CommunityPostPage.objects.count() == 2
    # Another member has their own allowance.
    other = make_user()
    make_blog(community, other)
    client.force_login(other)
    assert client.post(create, data).status_code == 302


@override_settings(WAGTAIL_COMMUNITYBLOG_RATE_LIMITS={"post_create": "1/h", "post_edit": "3/h"})
def test_edits_have_an_allowance_of_their_own(client, community):
    member = make_user()
    make_blog(community, member)
    client.force_login(member)
    client.post(
        reverse("wagtail_communityblog:post_create"),
        {"title": "One", "body": "<p>x</p>", "action": "draft"},
    )
    post = CommunityPostPage.objects.get()
    edit = reverse("wagtail_communityblog:post_edit", kwargs={"post_id": post.pk})
    for _ in range(3):
        data = {"title": "One", "body": "<p>y</p>", "action": "publish"}
        assert client.post(edit, data).status_code == 302
    revisions = post.revisions.count()
    refused = client.post(edit, {"title": "One", "body": "<p>z</p>", "action": "publish"})
    assert refused.status_code == 429 and refused["Retry-After"]
    assert post.revisions.count() == revisions  # nothing saved


@override_settings(WAGTAIL_COMMUNITYBLOG_RATE_LIMITS={"post_create": "1/h"})
def test_editing_an_existing_post_does_not_count_against_the_limit(client, community):
    member = make_user()
    make_blog(community, member)
    client.force_login(member)
    client.post(
        reverse("wagtail_communityblog:post_create"),
        {"title": "One", "body": "<p>x</p>", "action": "draft"},
    )
    post = CommunityPostPage.objects.get()
    for _ in range(3):
        response = client.post(
            reverse("wagtail_communityblog:post_edit", kwargs={"post_id": post.pk}),
            {"title": "One", "body": "<p>y</p>", "action": "draft"},
        )
        assert response.status_code == 302


@override_settings(WAGTAIL_COMMUNITYBLOG_RATE_LIMITS={"image_upload": "1/h"})
def test_image_uploads_are_limited_and_answer_json(client, community):
    member = make_user()
    make_blog(community, member)
    client.force_login(member)
    upload = reverse("wagtail_communityblog:image_upload")

    assert client.post(upload, {"image": png()}).status_code == 201
    refused = client.post(upload, {"image": png()})

    assert refused.status_code == 429
    assert "too many images" in refused.json()["error"]
    assert refused.json()["retry_after"] == int(refused["Retry-After"]) > 0
    assert get_image_model().objects.count() == 1


def test_a_bad_image_upload_is_a_json_400(client, community):
    member = make_user()
    client.force_login(member)
    bad = io.BytesIO(b"not an image")
    bad.name = "x.png"
    response = client.post(reverse("wagtail_communityblog:image_upload"), {"image": bad})
    assert response.status_code == 400
    assert response.json()["error"]
    assert get_image_model().objects.count() == 0
