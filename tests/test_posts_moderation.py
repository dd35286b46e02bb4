"""First-post moderation through Wagtail's own workflow, decided by an editor in the admin."""

import pytest
from django.contrib.auth.models import Group
from django.core import mail
from django.test import override_settings
from django.urls import reverse

from tests.factories import make_blog, make_community, make_user
from wagtail_communityblog.models import CommunityPostPage, PostScore

pytestmark = pytest.mark.django_db


def publish(client, title="My first post"):
    return client.post(
        reverse("wagtail_communityblog:post_create"),
        {"title": title, "body": "<p>Hello.</p>", "tags": "", "action": "publish"},
    )


@pytest.fixture
def setup(client, django_capture_on_commit_callbacks):
    community = make_community()
    member = make_user("grace", email="grace@example.org")
    make_blog(community, member)
    moderator = make_user("mod", is_staff=True)
    moderator.groups.add(Group.objects.get(name="Moderators"))
    client.force_login(member)
    return community, member, moderator


def act_in_admin(client, moderator, post, action, comment, capture):
    task_state = post.current_workflow_task_state
    client.force_login(moderator)
    with capture(execute=True):
        response = client.post(
            reverse(
                "wagtailadmin_pages:workflow_action",
                args=(post.pk, action, task_state.pk),
            ),
            {"comment": comment},
        )
    assert response.status_code == 302
    return response


def test_a_first_post_waits_and_an_editor_approves_it(
    client, setup, django_capture_on_commit_callbacks
):
    community, member, moderator = setup
    publish(client)
    post = CommunityPostPage.objects.get(author=member)
    assert not post.live
    assert post.workflow_in_progress
    assert (
        "Awaiting moderation"
        in client.get(reverse("wagtail_communityblog:dashboard")).content.decode()
    )
    # The moderator sees it in the admin dashboard's review panel.
    client.force_login(moderator)
    assert "My first post" in client.get(reverse("wagtailadmin_home")).content.decode()

    act_in_admin(
        client, moderator, post, "approve", "Welcome aboard", django_capture_on_commit_callbacks
    )

    post.refresh_from_db()
    assert post.live
    assert PostScore.objects.get(pk=post.pk).is_listed
    # The member hears from us, in words for members (not Wagtail's admin-facing e-mail).
    [email] = [m for m in mail.outbox if m.to == ["grace@example.org"]]
    assert "is published" in email.subject
    assert "Welcome aboard" in email.body
    # Trusted now: the next post publishes at once.
    client.force_login(member)
    publish(client, "Second post")
    assert CommunityPostPage.objects.get(title="Second post").live


def test_an_editor_rejects_a_first_post_with_a_comment_the_member_sees(
    client, setup, django_capture_on_commit_callbacks
):
    community, member, moderator = setup
    publish(client)
    post = CommunityPostPage.objects.get(author=member)

    act_in_admin(
        client,
        moderator,
        post,
        "reject",
        "Please cite a source",
        django_capture_on_commit_callbacks,
    )

    post.refresh_from_db()
    assert not post.live
    [email] = [m for m in mail.outbox if m.to == ["grace@example.org"]]
    assert "needs changes" in email.subject
    assert "Please cite a source" in email.body
    client.force_login(member)
    dashboard = client.get(reverse("wagtail_communityblog:dashboard")).content.decode()
    assert "Sent back by an editor" in dashboard
    assert "Please cite a source" in dashboard
    # Still not trusted: publishing again goes back to the editors.
    client.post(
        reverse("wagtail_communityblog:post_edit", kwargs={"post_id": post.pk}),
        {"title": "My first post", "body": "<p>With a source.</p>", "action": "publish"},
    )
    post.refresh_from_db()
    assert post.workflow_in_progress
    assert not post.live


@override_settings(WAGTAIL_COMMUNITYBLOG_MODERATION="all")
def test_with_moderation_for_all_posts_every_publish_waits(client, setup):
    community, member, moderator = setup
    CommunityPostPage.objects.all().delete()
    publish(client, "One")
    assert not CommunityPostPage.objects.get(title="One").live


@override_settings(WAGTAIL_COMMUNITYBLOG_MODERATION="none")
def test_without_moderation_a_first_post_publishes_at_once(client, setup):
    publish(client)
    assert CommunityPostPage.objects.get().live


def test_a_member_cannot_approve_their_own_post(client, setup):
    community, member, moderator = setup
    publish(client)
    post = CommunityPostPage.objects.get()
    response = client.post(
        reverse(
            "wagtailadmin_pages:workflow_action",
            args=(post.pk, "approve", post.current_workflow_task_state.pk),
        )
    )
    assert response.status_code in (302, 403)
    post.refresh_from_db()
    assert not post.live


def test_the_moderation_task_follows_the_moderator_groups_setting(client, setup):
    from wagtail.models import GroupApprovalTask

    publish(client)
    task = GroupApprovalTask.objects.get(name="Approve community post")
    assert [g.name for g in task.groups.all()] == ["Moderators"]
    Group.objects.create(name="Community editors")
    with override_settings(WAGTAIL_COMMUNITYBLOG_MODERATOR_GROUPS=["Community editors"]):
        publish(client, "Another first post")
    assert [g.name for g in task.groups.all()] == ["Community editors"]
