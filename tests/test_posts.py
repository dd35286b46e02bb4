"""A member's whole writing journey, through the front end only."""

import io
import os

import pytest
from django.contrib.auth import get_user_model
from django.test import override_settings
from django.urls import reverse
from PIL import Image as PILImage
from wagtail.images import get_image_model
from wagtail.models import Revision

from tests.factories import make_blog, make_community, make_post, make_user
from wagtail_communityblog.models import CommunityPostPage, MemberBlogPage, PostScore

pytestmark = pytest.mark.django_db

URL = "wagtail_communityblog:"


def url(name, **kwargs):
    return reverse(URL + name, kwargs=kwargs)


def png_file(name="picture.png", size=(40, 30), noise=False):
    buffer = io.BytesIO()
    if noise:
        image = PILImage.frombytes("RGB", size, os.urandom(size[0] * size[1] * 3))
    else:
        image = PILImage.new("RGB", size, "red")
    image.save(buffer, "PNG")
    buffer.seek(0)
    buffer.name = name
    return buffer


def post_data(**overrides):
    data = {
        "title": "Ten doors",
        "intro": "What I learned canvassing.",
        "body": "<p>We knocked on <b>ten</b> doors.</p>",
        "tags": "campaigning, housing",
        "action": "draft",
    }
    data.update(overrides)
    return data


@pytest.fixture
def community(db):
    return make_community()


@pytest.fixture
def member_client(client, db):
    user = make_user("amara", first_name="Amara", last_name="Okafor")
    client.force_login(user)
    client.user = user
    return client


@override_settings(WAGTAIL_COMMUNITYBLOG_MODERATION="none")
def test_sign_up_create_blog_draft_preview_publish_edit_unpublish_delete(client, community):
    # Sign up through the example site's real account flow.
    response = client.post(
        "/accounts/signup/",
        {
            "email": "new@example.org",
            "username": "newmember",
            "password1": "a-long-enough-passphrase",
            "password2": "a-long-enough-passphrase",
        },
    )
    assert response.status_code == 302
    member = get_user_model().objects.get(username="newmember")

    # The dashboard offers to start a blog; the blog form creates it in the only community.
    response = client.get(url("dashboard"))
    assert response.status_code == 200
    assert b"Start your blog" in response.content
    response = client.post(
        url("blog_edit"), {"title": "New voices", "intro": "A new member writes."}
    )
    assert response.status_code == 302
    blog = MemberBlogPage.objects.get(member=member)
    assert blog.live and blog.get_parent().pk == community.pk
    assert client.get(blog.url).status_code == 200

    # Draft: saved, not live, not listed.
    response = client.post(url("post_create"), post_data())
    assert response.status_code == 302
    post = CommunityPostPage.objects.get(author=member)
    assert not post.live
    assert post.get_parent().pk == blog.pk
    assert client.get(post.url).status_code == 404

    # Preview shows the post as it will look, without publishing it.
    response = client.post(url("post_edit", post_id=post.pk), post_data(action="preview"))
    assert response.status_code == 302
    assert response["Location"] == url("post_preview", post_id=post.pk)
    preview = client.get(response["Location"])
    assert preview.status_code == 200
    assert b"<h1>Ten doors</h1>" in preview.content
    assert b"not published yet" in preview.content
    post.refresh_from_db()
    assert not post.live

    # Publish: live, on the blog and in the community listing.
    response = client.post(url("post_edit", post_id=post.pk), post_data(action="publish"))
    post.refresh_from_db()
    assert post.live
    assert response["Location"] == post.url
    assert b"Ten doors" in client.get(community.url).content
    assert sorted(post.tags.names()) == ["campaigning", "housing"]

    # Edit: a new revision, visible in the admin's history.
    revisions_before = Revision.page_revisions.filter(object_id=str(post.pk)).count()
    client.post(
        url("post_edit", post_id=post.pk), post_data(title="Eleven doors", action="publish")
    )
    post.refresh_from_db()
    assert post.title == "Eleven doors"
    assert Revision.page_revisions.filter(object_id=str(post.pk)).count() == revisions_before + 1

    # Unpublish: POST only; gone from the site and listings, kept as the member's draft.
    assert client.get(url("post_unpublish", post_id=post.pk)).status_code == 405
    response = client.post(url("post_unpublish", post_id=post.pk))
    assert response.status_code == 302
    post.refresh_from_db()
    assert not post.live
    assert not PostScore.objects.get(pk=post.pk).is_listed
    assert [p.title for p in client.get(community.url).context["posts"]] == []
    assert "Unpublished" in client.get(url("dashboard")).content.decode()

    # Delete: GET asks, POST deletes.
    confirm = client.get(url("post_delete", post_id=post.pk))
    assert confirm.status_code == 200
    assert CommunityPostPage.objects.filter(pk=post.pk).exists()
    client.post(url("post_delete", post_id=post.pk))
    assert not CommunityPostPage.objects.filter(pk=post.pk).exists()


def test_the_blog_form_edits_the_existing_blog_the_second_time(member_client, community):
    member_client.post(url("blog_edit"), {"title": "First title", "intro": ""})
    member_client.post(url("blog_edit"), {"title": "Better title", "intro": "Hello."})

    blog = MemberBlogPage.objects.get(member=member_client.user)
    assert (blog.title, blog.intro) == ("Better title", "Hello.")
    assert MemberBlogPage.objects.filter(member=member_client.user).count() == 1


def test_with_several_communities_the_blog_form_asks_which(member_client, community):
    youth = make_community(title="Youth wing", slug="youth")
    form = member_client.get(url("blog_edit")).context["form"]
    assert "community" in form.fields

    member_client.post(url("blog_edit"), {"title": "Young", "community": youth.pk})

    assert MemberBlogPage.objects.get(member=member_client.user).community_id == youth.pk


def test_an_avatar_and_a_header_image_go_to_the_community_collection(member_client, community):
    member_client.post(
        url("blog_edit"), {"title": "Pictures", "avatar": png_file("me.png")}, format="multipart"
    )
    blog = MemberBlogPage.objects.get(member=member_client.user)
    assert blog.avatar is not None
    assert blog.avatar.collection.name == "Community uploads"
    assert blog.avatar.uploaded_by_user == member_client.user

    with override_settings(WAGTAIL_COMMUNITYBLOG_MODERATION="none"):
        member_client.post(
            url("post_create"),
            {**post_data(action="publish"), "header_image": png_file("head.png")},
        )
    post = CommunityPostPage.objects.get(author=member_client.user)
    assert post.header_image.collection.name == "Community uploads"
    content = member_client.get(post.url).content.decode()
    assert "/media/images/head" in content  # rendered through a rendition


def test_an_oversized_or_non_image_upload_is_a_form_error_and_saves_nothing(
    member_client, community
):
    with override_settings(WAGTAIL_COMMUNITYBLOG_MAX_IMAGE_SIZE=100):
        response = member_client.post(
            url("blog_edit"), {"title": "Too big", "avatar": png_file(size=(200, 200), noise=True)}
        )
    assert response.status_code == 400
    assert "avatar" in response.context["form"].errors
    not_an_image = io.BytesIO(b"#!/bin/sh\necho hi\n")
    not_an_image.name = "script.png"
    response = member_client.post(url("blog_edit"), {"title": "Script", "avatar": not_an_image})
    assert response.status_code == 400
    assert not MemberBlogPage.objects.exists()
    assert get_image_model().objects.count() == 0


def test_a_failed_submission_keeps_what_the_member_typed(member_client, community):
    make_blog(community, member_client.user)
    response = member_client.post(url("post_create"), post_data(title="", body="<p>Kept</p>"))

    assert response.status_code == 400
    assert "title" in response.context["form"].errors
    assert "&lt;p&gt;Kept&lt;/p&gt;" in response.content.decode()
    assert 'value="campaigning, housing"' in response.content.decode()
    assert not CommunityPostPage.objects.exists()


def test_an_empty_body_after_sanitising_is_refused(member_client, community):
    make_blog(community, member_client.user)
    response = member_client.post(url("post_create"), post_data(body="<script>x()</script>"))
    assert response.status_code == 400
    assert "body" in response.context["form"].errors


def test_the_body_is_sanitised_before_it_is_stored(member_client, community):
    make_blog(community, member_client.user)
    member_client.post(
        url("post_create"),
        post_data(body='<p onclick="steal()">Hi <a href="javascript:alert(1)">x</a></p>'),
    )
    post = CommunityPostPage.objects.get()
    assert "onclick" not in post.body
    assert "javascript" not in post.body
    assert "Hi" in post.body


def test_an_image_uploaded_from_the_editor_is_stored_as_a_wagtail_image_embed(
    member_client, community
):
    make_blog(community, member_client.user)
    response = member_client.post(
        url("image_upload"),
        {"image": png_file(), "alt": "A red square"},
        HTTP_ACCEPT="application/json",
    )
    assert response.status_code == 201
    payload = response.json()
    with override_settings(WAGTAIL_COMMUNITYBLOG_MODERATION="none"):
        member_client.post(
            url("post_create"),
            post_data(
                body=f'<p>Look:</p><p><img src="{payload["url"]}" alt="A red square"></p>',
                action="publish",
            ),
        )
    post = CommunityPostPage.objects.get()
    assert (
        f'<embed alt="A red square" embedtype="image" format="fullwidth" id="{payload["id"]}"/>'
        in post.body
    )
    assert 'alt="A red square"' in member_client.get(post.url).content.decode()


def test_someone_elses_image_cannot_be_placed_in_a_post(member_client, community):
    other = make_user()
    image = get_image_model().objects.create(
        title="Theirs", file=make_image_file(), uploaded_by_user=other
    )
    make_blog(community, member_client.user)
    member_client.post(
        url("post_create"),
        post_data(body=f'<p>x</p><img src="/m/a.png#wagtail-image-{image.pk}">'),
    )
    assert "embed" not in CommunityPostPage.objects.get().body


def make_image_file():
    from django.core.files.images import ImageFile

    return ImageFile(png_file(), name="theirs.png")


def test_with_several_blogs_the_post_form_asks_which_blog(member_client, community):
    youth = make_community(title="Youth wing", slug="youth")
    make_blog(community, member_client.user)
    second = make_blog(youth, member_client.user)
    member_client.post(url("post_create"), post_data(blog=second.pk))
    assert CommunityPostPage.objects.get().get_parent().pk == second.pk


def test_writing_a_post_before_having_a_blog_leads_to_the_blog_form(member_client, community):
    response = member_client.get(url("post_create"))
    assert response.status_code == 302
    assert response["Location"] == url("blog_edit")


def test_links_render_with_nofollow_ugc_even_after_an_admin_edit(member_client, community):
    blog = make_blog(community, member_client.user)
    post = make_post(blog, body='<p><a href="https://example.org/">a link</a></p>')
    content = member_client.get(post.url).content.decode()
    assert '<a href="https://example.org/" rel="nofollow ugc">a link</a>' in content


def test_a_post_slug_never_collides_with_a_sibling(member_client, community):
    make_blog(community, member_client.user)
    member_client.post(url("post_create"), post_data(title="Same title"))
    member_client.post(url("post_create"), post_data(title="Same title"))
    slugs = sorted(CommunityPostPage.objects.values_list("slug", flat=True))
    assert slugs == ["same-title", "same-title-2"]


def test_editing_a_post_keeps_its_images_and_links(member_client, community):
    blog = make_blog(community, member_client.user)
    upload = member_client.post(
        url("image_upload"), {"image": png_file(), "alt": "Kept"}, HTTP_ACCEPT="application/json"
    ).json()
    with override_settings(WAGTAIL_COMMUNITYBLOG_MODERATION="none"):
        member_client.post(
            url("post_create"),
            post_data(
                body=(
                    '<p>Hi <a href="https://example.org/">there</a></p>'
                    f'<p><img src="{upload["url"]}" alt="Kept"></p>'
                ),
                action="publish",
            ),
        )
    post = CommunityPostPage.objects.get()
    form_body = member_client.get(url("post_edit", post_id=post.pk)).context["form"].initial["body"]
    assert f"#wagtail-image-{upload['id']}" in form_body

    # Saving the form as the editor shows it keeps the image and the link.
    with override_settings(WAGTAIL_COMMUNITYBLOG_MODERATION="none"):
        member_client.post(
            url("post_edit", post_id=post.pk), post_data(body=form_body, action="publish")
        )
    post.refresh_from_db()
    assert f'embedtype="image" format="fullwidth" id="{upload["id"]}"' in post.body
    assert 'href="https://example.org/"' in post.body
    assert blog.pk == post.get_parent().pk


def test_plain_text_from_a_browser_without_javascript_keeps_its_paragraphs(
    member_client, community
):
    make_blog(community, member_client.user)
    member_client.post(url("post_create"), post_data(body="First para.\r\n\r\nSecond & a < b."))
    assert CommunityPostPage.objects.get().body == "<p>First para.</p><p>Second &amp; a &lt; b.</p>"


def test_saving_a_draft_of_a_post_awaiting_moderation_takes_it_back_from_the_editors(
    member_client, community
):
    make_blog(community, member_client.user)
    member_client.post(url("post_create"), post_data(action="publish"))
    post = CommunityPostPage.objects.get()
    assert post.workflow_in_progress

    member_client.post(url("post_edit", post_id=post.pk), post_data(body="<p>Changed</p>"))

    post.refresh_from_db()
    assert not post.workflow_in_progress
    assert not post.live


def test_a_suspended_member_cannot_change_their_blog(member_client, community):
    from wagtail_communityblog.services.members import suspend_member

    blog = make_blog(community, member_client.user, title="Before")
    suspend_member(member_client.user)
    response = member_client.post(url("blog_edit"), {"title": "After"})
    assert response.status_code == 403
    blog.refresh_from_db()
    assert blog.title == "Before"


def test_moderation_e_mails_are_plain_text_not_html_escaped(member_client, community, mailoutbox):
    from wagtail_communityblog.tasks import send_member_email

    send_member_email.call(
        member_client.user.pk,
        "wagtail_communityblog/emails/post_approved",
        {"title": "Rock & roll", "url": "http://x/", "comment": "", "dashboard_url": "http://x/"},
    )
    assert "Rock & roll" in mailoutbox[0].subject
    assert "&amp;" not in mailoutbox[0].body
