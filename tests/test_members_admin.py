"""Editors suspend and reinstate members in the Wagtail admin."""

import pytest
from django.contrib.auth.models import Group, Permission
from django.urls import reverse
from wagtail.models import ModelLogEntry

from tests.factories import make_blog, make_post, make_user
from wagtail_communityblog.models import CommunityMember, PostScore

pytestmark = pytest.mark.django_db


@pytest.fixture
def editor(db):
    user = make_user("chief", is_superuser=True, is_staff=True)
    return user


def test_an_editor_suspends_a_member_from_the_admin_and_their_posts_leave_listings(
    client, community, editor
):
    member = make_user("troll")
    post = make_post(make_blog(community, member))
    client.force_login(editor)

    # Having a blog made them a listed member; the editor suspends them from their row.
    response = client.post(
        reverse("wagtail_communityblog_members:edit", args=[member.pk]),
        {"is_suspended": "on", "suspension_reason": "Abuse"},
    )

    assert response.status_code == 302
    membership = CommunityMember.objects.get(user=member)
    assert membership.is_suspended and membership.suspended_by == editor
    assert not PostScore.objects.get(pk=post.pk).is_listed
    assert ModelLogEntry.objects.filter(action="wagtail_communityblog.suspend_member").exists()
    listing = client.get(reverse("wagtail_communityblog_members:index"))
    assert "troll" in listing.content.decode()

    response = client.post(
        reverse("wagtail_communityblog_members:edit", args=[member.pk]),
        {"suspension_reason": ""},
    )
    assert response.status_code == 302
    assert not CommunityMember.objects.get(user=member).is_suspended
    assert PostScore.objects.get(pk=post.pk).is_listed


def test_an_admin_user_without_permission_cannot_suspend(client, community):
    member = make_user("someone")
    weak = make_user("weak", is_staff=True)
    group = Group.objects.create(name="Admin only")
    group.permissions.add(Permission.objects.get(codename="access_admin"))
    weak.groups.add(group)
    client.force_login(weak)

    response = client.post(
        reverse("wagtail_communityblog_members:add"),
        {"user": member.pk, "is_suspended": "on"},
    )

    assert response.status_code in (302, 403)
    assert not CommunityMember.objects.filter(user=member, is_suspended=True).exists()
