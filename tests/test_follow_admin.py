"""Editors see the e-mail outbox and the e-mail followers in the Wagtail admin (Community >
E-mails, Community > E-mail followers): the outbox is a record, read only; a follower's address
is deleted with its follows when its owner asks, never added or edited by hand."""

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.factories import make_blog, make_community, make_user
from wagtail_communityblog.models import EmailDelivery, Follow, Follower

pytestmark = pytest.mark.django_db

FOLLOWERS = "wagtailsnippets_wagtail_communityblog_follower"
EMAILS = "wagtailsnippets_wagtail_communityblog_emaildelivery"


@pytest.fixture
def admin_client(client):
    client.force_login(make_user("chief", is_superuser=True, is_staff=True))
    return client


@pytest.fixture
def follower():
    community = make_community()
    blog = make_blog(community, make_user("amara"))
    follower = Follower.objects.create(email="reader@example.org")
    Follow.objects.create(
        follower=follower,
        kind=Follow.BLOG,
        community=community,
        blog=blog,
        confirmed_at=timezone.now(),
    )
    return follower


def test_followers_are_listed_with_how_much_they_follow_and_can_be_deleted(admin_client, follower):
    response = admin_client.get(reverse(f"{FOLLOWERS}:list"))
    assert response.status_code == 200
    assert "reader@example.org" in response.content.decode()
    assert admin_client.get(reverse(f"{FOLLOWERS}:add")).status_code in (302, 403)
    edit = admin_client.post(
        reverse(f"{FOLLOWERS}:edit", args=[follower.pk]), {"email": "x@example.org"}
    )
    assert edit.status_code in (302, 403)
    assert Follower.objects.get().email == "reader@example.org"
    admin_client.post(reverse(f"{FOLLOWERS}:delete", args=[follower.pk]))
    assert Follower.objects.count() == 0 and Follow.objects.count() == 0


def test_the_outbox_is_listed_by_status_and_never_changed_by_hand(admin_client):
    failed = EmailDelivery.objects.create(
        key="comment:1:to:2", kind="comment", status=EmailDelivery.FAILED, last_error="refused"
    )
    EmailDelivery.objects.create(key="promotion:3", kind="promotion", status=EmailDelivery.SENT)
    response = admin_client.get(reverse(f"{EMAILS}:list"), {"status": "failed"})
    assert response.status_code == 200
    assert [row.pk for row in response.context["object_list"]] == [failed.pk]
    inspect = admin_client.get(reverse(f"{EMAILS}:inspect", args=[failed.pk]))
    assert inspect.status_code == 200 and "refused" in inspect.content.decode()
    admin_client.post(reverse(f"{EMAILS}:delete", args=[failed.pk]))
    assert EmailDelivery.objects.filter(pk=failed.pk).exists()


def test_an_editor_without_the_permission_does_not_see_addresses(client, follower):
    from django.contrib.auth.models import Permission

    editor = make_user("ed", is_staff=True)
    editor.user_permissions.add(Permission.objects.get(codename="access_admin"))
    client.force_login(editor)
    response = client.get(reverse(f"{FOLLOWERS}:list"))
    assert response.status_code in (302, 403)
    assert "reader@example.org" not in response.content.decode()
