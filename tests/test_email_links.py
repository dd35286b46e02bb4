"""Links in e-mails point at the site's public address (``WAGTAILADMIN_BASE_URL``), not at
the ``Site`` record of a fresh install (``http://localhost``)."""

import re

import pytest
from django.contrib.auth.models import Group
from django.core import mail
from django.test import override_settings
from django.urls import reverse
from wagtail.models import Site

from tests.factories import make_blog, make_community, make_post, make_user
from wagtail_communityblog.models import CommunityPostPage
from wagtail_communityblog.services import comments as comment_service
from wagtail_communityblog.services.curation import notify_promoted

pytestmark = pytest.mark.django_db

BASE = "https://party.example"


@pytest.fixture(autouse=True)
def localhost_site(db):
    """The Site record as ``wagtail start`` leaves it."""
    Site.objects.filter(is_default_site=True).update(hostname="localhost", port=80)


def links(message):
    return re.findall(r"https?://\S+", message.body)


def assert_on_the_public_site(message):
    found = links(message)
    assert found, "the e-mail links somewhere"
    for link in found:
        assert link.startswith(BASE + "/"), link
    assert "localhost" not in message.body


@override_settings(WAGTAILADMIN_BASE_URL=BASE, WAGTAIL_COMMUNITYBLOG_COMMENT_MODERATION="none")
def test_comment_notifications_link_the_public_site(django_capture_on_commit_callbacks):
    author = make_user("amara")
    post = make_post(make_blog(make_community(), author), title="Rent")
    with django_capture_on_commit_callbacks(execute=True):
        comment_service.create_comment(post, make_user("bea"), "Agreed.")
    [message] = [m for m in mail.outbox if m.to == [author.email]]
    assert_on_the_public_site(message)
    assert message.extra_headers["List-Unsubscribe"].startswith(f"<{BASE}/")


@override_settings(WAGTAILADMIN_BASE_URL=BASE)
def test_the_promotion_e_mail_links_the_public_site():
    author = make_user("amara")
    post = make_post(make_blog(make_community(), author), title="Rent")
    notify_promoted(post.pk)
    [message] = mail.outbox
    assert_on_the_public_site(message)
    assert f"{BASE}{post.url}" in message.body


@override_settings(WAGTAILADMIN_BASE_URL=BASE, WAGTAIL_COMMUNITYBLOG_MODERATION="first_post")
def test_the_moderation_e_mail_links_the_public_site(client, django_capture_on_commit_callbacks):
    member = make_user("grace")
    make_blog(make_community(), member)
    client.force_login(member)
    client.post(
        reverse("wagtail_communityblog:post_create"),
        {"title": "First", "body": "<p>Hello.</p>", "action": "publish"},
    )
    post = CommunityPostPage.objects.get(author=member)
    moderator = make_user("mod", is_staff=True)
    moderator.groups.add(Group.objects.get(name="Moderators"))
    client.force_login(moderator)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse(
                "wagtailadmin_pages:workflow_action",
                args=(post.pk, "approve", post.current_workflow_task_state.pk),
            ),
            {"comment": "Welcome"},
        )
    [message] = [m for m in mail.outbox if m.to == [member.email]]
    assert_on_the_public_site(message)


@override_settings(WAGTAILADMIN_BASE_URL=BASE)
def test_a_second_site_keeps_its_own_address(django_capture_on_commit_callbacks):
    from tests.factories import site_root
    from wagtail_communityblog.links import dashboard_url_for, page_full_url

    other_root = site_root().add_child(title="Youth wing", slug="youth")
    Site.objects.create(hostname="youth.party.example", port=443, root_page=other_root)
    post = make_post(make_blog(make_community(parent=other_root, slug="c2"), make_user()))
    assert page_full_url(post).startswith("https://youth.party.example/")
    assert dashboard_url_for(post).startswith("https://youth.party.example/")
