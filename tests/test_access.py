"""Who may do what on every front-end URL: owner, other member, anonymous, suspended, editor."""

import pytest
from django.contrib.auth.models import Group
from django.test import override_settings
from django.urls import reverse

from tests.factories import make_blog, make_community, make_post, make_user
from wagtail_communityblog.models import CommunityPostPage
from wagtail_communityblog.services.members import suspend_member

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(db):
    community = make_community()
    owner = make_user("owner")
    post = make_post(make_blog(community, owner), title="Owner's post")
    other = make_user("other")
    make_blog(community, other)
    suspended = make_user("suspended")
    suspended_post = make_post(make_blog(community, suspended), title="Suspended's post")
    suspend_member(suspended, reason="Spam")
    editor = make_user("editor", is_staff=True)
    editor.groups.add(Group.objects.get(name="Editors"))
    return {
        "community": community,
        "post": post,
        "suspended_post": suspended_post,
        "users": {"owner": owner, "other": other, "suspended": suspended, "editor": editor},
    }


def url(name, post=None):
    kwargs = {"post_id": post.pk} if post else {}
    return reverse(f"wagtail_communityblog:{name}", kwargs=kwargs)


POST_URLS = ["post_edit", "post_preview", "post_delete", "post_unpublish"]


@pytest.mark.parametrize("name", ["dashboard", "blog_edit", "post_create"] + POST_URLS)
def test_anonymous_readers_are_sent_to_log_in(client, world, name):
    target = url(name, world["post"] if name in POST_URLS else None)
    for method in (client.get, client.post):
        response = method(target)
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")
    assert CommunityPostPage.objects.get(pk=world["post"].pk).live


@pytest.mark.parametrize("who", ["other", "editor", "suspended"])
@pytest.mark.parametrize("name", POST_URLS)
def test_nobody_but_the_owner_can_touch_a_post_from_the_front_end(client, world, who, name):
    client.force_login(world["users"][who])
    post = world["post"]
    get = client.get(url(name, post))
    posted = client.post(url(name, post), {"title": "Hijacked", "body": "<p>x</p>"})
    assert get.status_code in (404, 405)
    assert posted.status_code in (404, 405)
    post.refresh_from_db()
    assert post.live and post.title == "Owner's post"


@pytest.mark.parametrize("name", ["post_edit", "post_preview", "post_delete"])
def test_the_owner_can_open_their_post_pages(client, world, name):
    client.force_login(world["users"]["owner"])
    assert client.get(url(name, world["post"])).status_code == 200


def test_a_post_id_that_does_not_exist_is_404(client, world):
    client.force_login(world["users"]["owner"])
    assert client.get(reverse("wagtail_communityblog:post_edit", args=[999999])).status_code == 404


def test_editing_someone_elses_blog_through_the_blog_parameter_is_404(client, world):
    client.force_login(world["users"]["other"])
    owners_blog = world["post"].get_parent()
    response = client.post(url("blog_edit") + f"?blog={owners_blog.pk}", {"title": "Mine now"})
    assert response.status_code == 404
    owners_blog.refresh_from_db()
    assert owners_blog.title != "Mine now"


@pytest.mark.parametrize("action", ["publish", "draft", "preview"])
def test_a_suspended_member_cannot_write_but_sees_why(client, world, action):
    client.force_login(world["users"]["suspended"])
    response = client.post(
        url("post_create"), {"title": "New", "body": "<p>x</p>", "action": action}
    )
    assert response.status_code == 403
    assert "suspended" in response.content.decode()
    assert (
        "<p>x</p>" in response.content.decode()
        or "&lt;p&gt;x&lt;/p&gt;" in response.content.decode()
    )
    assert not CommunityPostPage.objects.filter(title="New").exists()
    dashboard = client.get(url("dashboard")).content.decode()
    assert "Your account is suspended" in dashboard
    assert "Spam" in dashboard


def test_a_suspended_members_posts_leave_listings_and_come_back_when_unsuspended(client, world):
    from wagtail_communityblog.services.members import unsuspend_member

    community = world["community"]
    titles = [p.title for p in client.get(community.url).context["posts"]]
    assert "Suspended's post" not in titles
    assert "Owner's post" in titles
    unsuspend_member(world["users"]["suspended"])
    titles = [p.title for p in client.get(community.url).context["posts"]]
    assert "Suspended's post" in titles


def test_no_front_end_view_writes_on_get(client, world):
    client.force_login(world["users"]["owner"])
    post = world["post"]
    for name in POST_URLS:
        client.get(url(name, post))
    post.refresh_from_db()
    assert post.live
    assert CommunityPostPage.objects.filter(pk=post.pk).exists()


def test_every_front_end_post_requires_a_csrf_token(world):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(world["users"]["owner"])
    post = world["post"]
    for name in POST_URLS + ["post_create", "blog_edit", "image_upload"]:
        response = client.post(url(name, post if name in POST_URLS else None), {"title": "x"})
        assert response.status_code == 403, name
    post.refresh_from_db()
    assert post.live


@override_settings(WAGTAIL_COMMUNITYBLOG_MEMBER_GROUP="Party members")
def test_a_site_can_restrict_blogging_to_a_group(client, world):
    outsider = make_user("outsider")
    client.force_login(outsider)
    response = client.get(url("dashboard"))
    assert response.status_code == 403
    assert "Party members" in response.content.decode()
    response = client.post(url("blog_edit"), {"title": "Sneaky"})
    assert response.status_code == 403

    group = Group.objects.create(name="Party members")
    outsider.groups.add(group)
    assert client.get(url("dashboard")).status_code == 200


def test_an_inactive_account_cannot_blog(client, world):
    from django.test import RequestFactory

    from wagtail_communityblog.services.members import blogging_refusal

    user = make_user("inactive", is_active=False)
    request = RequestFactory().get("/")
    request.user = user
    assert blogging_refusal(user)
