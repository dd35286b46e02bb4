"""Comments are moderated by editors in the Wagtail admin, reported by readers, followed by
e-mail, counted in listings, rendered in a fixed number of queries, and leave with accounts."""

from unittest import mock

import pytest
from django.contrib.auth.models import Group
from django.core import mail
from django.db import connection
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from wagtail.models import ModelLogEntry, PageLogEntry

from tests.factories import make_blog, make_post, make_user, make_voter
from wagtail_communityblog.links import unsubscribe_token
from wagtail_communityblog.models import (
    Comment,
    CommentFlag,
    CommentPreferences,
    CommentSubscription,
    EmailDelivery,
    PostScore,
)
from wagtail_communityblog.models.comment_threads import is_following
from wagtail_communityblog.services import comments as service

pytestmark = pytest.mark.django_db


@pytest.fixture
def post(blog):
    return make_post(blog, title="Rent controls now")


@pytest.fixture
def reader(db):
    return make_user("bea", first_name="Bea", last_name="Reader")


@pytest.fixture
def plain_editor(db):
    user = make_user("plain", is_staff=True)
    user.groups.add(Group.objects.get(name="Editors"))
    return user


def url(name, **kwargs):
    return reverse(f"wagtail_communityblog:{name}", kwargs=kwargs)


def say(post, user, text="A thought.", parent=None):
    with override_settings(WAGTAIL_COMMUNITYBLOG_MODERATION="none"):
        return service.create_comment(post, user, text, parent=parent)


def count(post):
    return PostScore.objects.get(pk=post.pk).comment_count


def action_url(comment, action):
    return reverse("wagtail_communityblog_comments:action", args=[comment.pk, action])


# --- reports and auto-hide ------------------------------------------------------------------


def test_a_reader_reports_a_comment_with_a_reason(client, post, member, reader):
    comment = say(post, member, "Rude words.")
    client.force_login(reader)
    form = client.get(url("comment_flag", comment_id=comment.pk))
    assert form.status_code == 200 and "Rude words." in form.content.decode()
    assert (
        client.post(url("comment_flag", comment_id=comment.pk), {"reason": " "}).status_code == 400
    )
    response = client.post(url("comment_flag", comment_id=comment.pk), {"reason": "Insults"})
    assert response.status_code == 302
    assert CommentFlag.objects.get().reason == "Insults"
    again = client.post(
        url("comment_flag", comment_id=comment.pk),
        {"reason": "Again"},
        HTTP_ACCEPT="application/json",
    )
    assert again.status_code == 409
    assert CommentFlag.objects.count() == 1


def test_nobody_reports_their_own_comment(client, post, reader):
    comment = say(post, reader)
    client.force_login(reader)
    response = client.post(
        url("comment_flag", comment_id=comment.pk),
        {"reason": "x"},
        HTTP_ACCEPT="application/json",
    )
    assert response.status_code == 403


@override_settings(WAGTAIL_COMMUNITYBLOG_COMMENT_HIDE_THRESHOLD=2)
def test_enough_reports_hide_a_comment_until_an_editor_dismisses_them(
    client, post, member, curator
):
    comment = say(post, member, "Contested claim.")
    service.flag_comment(comment, make_voter(), "Wrong")
    comment.refresh_from_db()
    assert comment.is_visible
    service.flag_comment(comment, make_user(), "Lies")  # an account made just now
    comment.refresh_from_db()
    assert comment.is_visible
    service.flag_comment(comment, make_voter(), "Lies")
    comment.refresh_from_db()
    assert comment.is_hidden and comment.hidden_by_reports
    assert count(post) == 0
    assert "Contested claim." not in Client().get(post.url).content.decode()
    assert ModelLogEntry.objects.filter(action="wagtail_communityblog.comment_auto_hide").exists()
    client.force_login(curator)
    response = client.post(action_url(comment, "dismiss_reports"))
    assert response.status_code == 302
    comment.refresh_from_db()
    assert comment.is_visible
    assert not CommentFlag.objects.filter(status="open").exists()
    assert count(post) == 1


@override_settings(WAGTAIL_COMMUNITYBLOG_COMMENT_HIDE_THRESHOLD=0)
def test_a_threshold_of_zero_never_hides(post, member):
    comment = say(post, member)
    for _ in range(5):
        service.flag_comment(comment, make_user(), "x")
    comment.refresh_from_db()
    assert comment.is_visible


def test_reports_weigh_against_recommendations_in_best(post, member):
    loved = say(post, member, "loved")
    contested = say(post, member, "contested")
    for _ in range(4):
        service.recommend(loved, make_user(), 1)
        service.recommend(contested, make_user(), 1)
    service.flag_comment(contested, make_user(), "x")
    loved.refresh_from_db()
    contested.refresh_from_db()
    assert contested.recommend_count == loved.recommend_count == 4
    assert loved.best > contested.best > 0


# --- the admin: moderation as an editor, refused for others ---------------------------------


def test_the_comments_listing_shows_latest_pending_and_reported(client, curator, post, reader):
    visible = say(post, reader, "Visible one")
    with override_settings(WAGTAIL_COMMUNITYBLOG_MODERATION="all"):
        pending = service.create_comment(post, make_user(), "Waiting one")
    service.flag_comment(visible, make_user(), "Off-topic")
    client.force_login(curator)
    listing = reverse("wagtail_communityblog_comments:list")
    latest = client.get(listing)
    assert latest.status_code == 200
    assert [c.pk for c in latest.context["object_list"]] == [pending.pk, visible.pk]
    awaiting = client.get(listing, {"show": "pending"})
    assert [c.pk for c in awaiting.context["object_list"]] == [pending.pk]
    reported = client.get(listing, {"show": "reported"})
    assert [c.pk for c in reported.context["object_list"]] == [visible.pk]
    assert "Off-topic" in reported.content.decode()
    content = latest.content.decode()
    assert action_url(pending, "approve") in content
    assert f"{post.url}#comment-{visible.pk}" in content  # jump to the post


@pytest.mark.parametrize(
    "action,check",
    [
        ("approve", lambda c: c.status == "approved"),
        ("reject", lambda c: c.status == "rejected"),
        ("hide", lambda c: c.is_hidden),
    ],
)
def test_each_moderation_action_works_and_is_in_the_audit_log(
    client, curator, post, reader, action, check
):
    with override_settings(WAGTAIL_COMMUNITYBLOG_MODERATION="all"):
        comment = service.create_comment(post, reader, "Under review")
    client.force_login(curator)
    assert client.get(action_url(comment, action)).status_code == 200
    comment.refresh_from_db()
    assert comment.status == "pending"  # GET only confirms
    response = client.post(action_url(comment, action))
    assert response.status_code == 302
    comment.refresh_from_db()
    assert check(comment)
    entry = ModelLogEntry.objects.get(action=f"wagtail_communityblog.comment_{action}")
    assert entry.user == curator and entry.object_id == str(comment.pk)
    history = client.get(reverse("wagtail_communityblog_comments:history", args=[comment.pk]))
    assert history.status_code == 200


def test_an_editor_deletes_a_comment_and_the_log_keeps_what_it_said(client, curator, post, reader):
    comment = say(post, reader, "Doxxing here")
    client.force_login(curator)
    client.post(action_url(comment, "delete"))
    assert not Comment.objects.filter(pk=comment.pk).exists()
    entry = ModelLogEntry.objects.get(action="wagtail_communityblog.comment_delete")
    assert "Doxxing here" in entry.data["text"]
    assert count(post) == 0


def test_an_editor_closes_a_thread_from_the_admin(client, curator, post, reader):
    comment = say(post, reader)
    client.force_login(curator)
    client.post(action_url(comment, "close_thread"))
    assert PostScore.objects.get(pk=post.pk).comments_closed
    assert PageLogEntry.objects.filter(action="wagtail_communityblog.comments_closed").exists()


def test_bulk_actions_approve_and_hide_many_comments(client, curator, post):
    with override_settings(WAGTAIL_COMMUNITYBLOG_MODERATION="all"):
        first = service.create_comment(post, make_user(), "one")
        second = service.create_comment(post, make_user(), "two")
    client.force_login(curator)
    ids = f"id={first.pk}&id={second.pk}"
    approve = reverse(
        "wagtail_bulk_action",
        args=("wagtail_communityblog", "comment", "communityblog_comment_approve"),
    )
    assert client.get(f"{approve}?{ids}").status_code == 200
    assert client.post(f"{approve}?{ids}&next=/admin/").status_code == 302
    assert Comment.objects.filter(status="approved").count() == 2
    assert count(post) == 2
    hide = reverse(
        "wagtail_bulk_action",
        args=("wagtail_communityblog", "comment", "communityblog_comment_hide"),
    )
    client.post(f"{hide}?{ids}&next=/admin/")
    assert Comment.objects.filter(is_hidden=True).count() == 2
    assert ModelLogEntry.objects.filter(action="wagtail_communityblog.comment_hide").count() == 2
    assert count(post) == 0


@pytest.mark.parametrize("action", ["approve", "reject", "hide", "delete", "close_thread"])
def test_editors_without_the_curation_permission_are_refused(
    client, plain_editor, post, reader, action
):
    with override_settings(WAGTAIL_COMMUNITYBLOG_MODERATION="all"):
        comment = service.create_comment(post, reader, "Under review")
    client.force_login(plain_editor)
    response = client.post(action_url(comment, action))
    assert response.status_code in (302, 403)
    comment.refresh_from_db()
    assert comment.status == "pending" and not comment.is_hidden
    assert not PostScore.objects.get(pk=post.pk).comments_closed
    listing = client.get(reverse("wagtail_communityblog_comments:list"))
    assert listing.status_code in (302, 403)
    bulk = reverse(
        "wagtail_bulk_action",
        args=("wagtail_communityblog", "comment", "communityblog_comment_approve"),
    )
    client.post(f"{bulk}?id={comment.pk}&next=/admin/")
    comment.refresh_from_db()
    assert comment.status == "pending"


def test_members_and_anonymous_readers_are_refused(client, post, reader):
    comment = say(post, reader)
    assert client.post(action_url(comment, "hide")).status_code == 302  # to the admin log-in
    client.force_login(reader)
    assert client.post(action_url(comment, "hide")).status_code in (302, 403)
    comment.refresh_from_db()
    assert not comment.is_hidden


def test_nobody_adds_or_edits_comments_in_the_admin(client, curator, post, reader):
    comment = say(post, reader)
    client.force_login(curator)
    assert client.get(
        reverse("wagtail_communityblog_comments:edit", args=[comment.pk])
    ).status_code in (302, 403)
    assert client.get(reverse("wagtail_communityblog_comments:add")).status_code in (302, 403)


# --- notifications --------------------------------------------------------------------------


def test_the_author_and_followers_are_notified_by_a_background_task(
    post, member, reader, django_capture_on_commit_callbacks
):
    follower = make_user("cleo")
    say(post, follower, "I was here first")  # follows by default
    mail.outbox.clear()
    with (
        mock.patch("wagtail_communityblog.tasks.deliver_email") as task,
        django_capture_on_commit_callbacks(execute=True),
    ):
        comment = say(post, reader, "New point")
    # One e-mail each in the outbox, handed to the worker.
    queued = EmailDelivery.objects.filter(key__startswith=f"comment:{comment.pk}:")
    assert sorted(tuple(d.arguments) for d in queued) == sorted(
        [(member.pk, comment.pk), (follower.pk, comment.pk)]
    )
    assert sorted(call.args for call in task.enqueue.call_args_list) == sorted(
        (d.pk,) for d in queued
    )
    assert mail.outbox == []  # nothing is sent while the request runs


def test_the_notification_e_mail_links_the_comment_and_unsubscribes_in_one_click(
    post, member, reader, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        comment = say(post, reader, "Rock & roll")
    [email] = [m for m in mail.outbox if m.to == [member.email]]
    assert "Rent controls now" in email.subject
    assert "Rock & roll" in email.body and "&amp;" not in email.body
    assert f"#comment-{comment.pk}" in email.body
    unsubscribe = email.extra_headers["List-Unsubscribe"].strip("<>")
    assert email.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert unsubscribe in email.body
    path = unsubscribe.replace("http://localhost", "").replace("http://testserver", "")
    anonymous = Client(enforce_csrf_checks=True)
    page = anonymous.get(path)
    assert page.status_code == 200
    assert not CommentSubscription.objects.filter(user=member).exists()  # GET changes nothing
    # What a mail client's one-click unsubscribe sends: a POST, no session, no CSRF token.
    assert anonymous.post(path, {"List-Unsubscribe": "One-Click"}).status_code == 200
    assert CommentSubscription.objects.get(user=member, post=post).active is False
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        say(post, reader, "Another")
    assert [m for m in mail.outbox if m.to == [member.email]] == []


def test_a_forged_unsubscribe_token_is_refused(client, post, member):
    token = unsubscribe_token(member.pk, post.pk)
    assert client.post(url("comment_unsubscribe", token=token[:-2] + "xx")).status_code == 404
    assert client.post(url("comment_unsubscribe", token="nonsense")).status_code == 404


def test_members_choose_their_defaults(
    client, post, member, reader, django_capture_on_commit_callbacks
):
    client.force_login(member)
    assert client.get(url("comment_preferences")).status_code == 200
    client.post(url("comment_preferences"), {"follow_commented": "on"})
    prefs = CommentPreferences.objects.get(user=member)
    assert not prefs.follow_own_posts and prefs.follow_commented
    client.force_login(reader)
    client.post(url("comment_preferences"), {})
    with django_capture_on_commit_callbacks(execute=True):
        say(post, reader, "first")
    with django_capture_on_commit_callbacks(execute=True):
        say(post, make_user(), "second")
    assert not CommentSubscription.objects.filter(user=reader).exists()
    assert [m.to for m in mail.outbox] == []


def test_a_member_follows_and_unfollows_a_thread_from_the_page(client, post, reader):
    client.force_login(reader)
    client.post(url("comment_follow", post_id=post.pk), {"follow": "1"})
    assert is_following(post, reader)
    assert "Stop e-mails about new comments" in client.get(post.url).content.decode()
    response = client.post(
        url("comment_follow", post_id=post.pk), {"follow": "0"}, HTTP_ACCEPT="application/json"
    )
    assert response.json()["following"] is False
    assert not is_following(post, reader)


@override_settings(WAGTAIL_COMMUNITYBLOG_MODERATION="all")
def test_followers_hear_of_a_waiting_comment_only_once_it_is_approved(
    post, member, reader, curator, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        comment = service.create_comment(post, reader, "Held back")
    assert [m for m in mail.outbox if m.to == [member.email]] == []
    with django_capture_on_commit_callbacks(execute=True):
        service.approve(comment, curator)
    assert len([m for m in mail.outbox if m.to == [member.email]]) == 1


# --- counts in listings, the block and the dashboard ----------------------------------------


def test_counts_show_in_listings_and_the_dashboard(client, community, blog, post, member, reader):
    say(post, reader, "one")
    say(post, reader, "two")
    listing = client.get(community.url).content.decode()
    assert f'{post.url}#comments">2 comments' in listing
    client.force_login(member)
    dashboard = client.get(url("dashboard")).content.decode()
    assert f'{post.url}#comments">2' in dashboard
    assert url("comment_preferences") in dashboard


def test_the_promoted_block_shows_counts_when_asked_and_a_new_comment_refreshes_it(
    rf, post, reader
):
    from wagtail_communityblog.blocks import PromotedPostsBlock

    block = PromotedPostsBlock()
    request = rf.get("/")
    value = block.to_python({"ranking": "new", "count": 5, "show_comments": True})
    assert "0 comments" in block.render(value, {"request": request})
    say(post, reader)
    assert "1 comment<" in block.render(value, {"request": request})
    hidden = block.to_python({"ranking": "new", "count": 5})
    assert "comment" not in block.render(hidden, {"request": request})


def test_counts_in_a_listing_cost_no_query_per_post(client, community, blog, reader):
    posts = [make_post(blog) for _ in range(3)]
    for p in posts:
        say(p, reader)
    client.get(community.url)  # warm caches (site, templates)
    with CaptureQueriesContext(connection) as few:
        client.get(community.url)
    for _ in range(5):
        say(make_post(blog), reader)
    with CaptureQueriesContext(connection) as many:
        client.get(community.url)
    assert len(many) == len(few)


# --- no N+1 on a post with many comments ----------------------------------------------------


def _discussion(post, size):
    users = [make_user() for _ in range(10)]
    comments = []
    for index in range(size):
        parent = comments[index // 3] if index >= 3 and index % 2 else None
        comments.append(say(post, users[index % 10], f"Comment {index}", parent=parent))
    for comment in comments[:10]:
        service.recommend(comment, users[(comments.index(comment) + 1) % 10], 1)
    return users


@pytest.mark.parametrize("logged_in", [False, True])
def test_a_post_renders_its_discussion_in_a_fixed_number_of_queries(
    blog, reader, django_assert_num_queries, logged_in
):
    small = make_post(blog, title="Small")
    large = make_post(blog, title="Large")
    _discussion(small, 20)
    _discussion(large, 200)
    client = Client()
    if logged_in:
        client.force_login(reader)
    client.get(small.url)  # warm caches (site, templates)
    with CaptureQueriesContext(connection) as small_queries:
        small_page = client.get(small.url)
    assert small_page.content.decode().count('class="communityblog-comment"') == 20
    with django_assert_num_queries(len(small_queries)):
        large_page = client.get(large.url)
    assert large_page.content.decode().count('class="communityblog-comment"') == 200


# --- account deletion -----------------------------------------------------------------------


@override_settings(WAGTAIL_COMMUNITYBLOG_ON_MEMBER_DELETE="delete")
def test_a_deleted_account_takes_its_comments_leaving_placeholders_for_replies(
    client, post, member, reader
):
    alone = say(post, reader, "Alone")
    answered = say(post, reader, "Answered")
    reply = say(post, member, "The answer", parent=answered)
    service.recommend(reply, reader, 1)
    reader.delete()
    assert not Comment.objects.filter(pk=alone.pk).exists()
    answered.refresh_from_db()
    assert answered.is_removed and answered.body == "" and answered.author is None
    reply.refresh_from_db()
    assert reply.recommend_count == 0
    page = client.get(post.url).content.decode()
    assert "Alone" not in page and "Answered" not in page and "The answer" in page
    assert count(post) == 1


@override_settings(WAGTAIL_COMMUNITYBLOG_ON_MEMBER_DELETE="keep")
def test_a_deleted_accounts_reports_and_recommendations_stop_counting(post, member, reader):
    comment = say(post, member, "A contested point")
    service.recommend(comment, reader, 1)
    service.flag_comment(comment, make_user(), "Off topic")
    reporter = make_user()
    service.flag_comment(comment, reporter, "Rude")
    comment.refresh_from_db()
    assert (comment.recommend_count, comment.report_count) == (1, 2)

    reporter.delete()
    reader.delete()

    comment.refresh_from_db()
    assert (comment.recommend_count, comment.report_count) == (0, 1)
    assert Comment.objects.filter(pk=comment.pk).exists()  # the author's words stay


@override_settings(WAGTAIL_COMMUNITYBLOG_ON_MEMBER_DELETE="keep")
def test_with_keep_a_deleted_accounts_comments_stay_under_former_member(client, post, reader):
    comment = say(post, reader, "Still relevant")
    reader.delete()
    comment.refresh_from_db()
    assert comment.author is None and comment.is_visible
    page = client.get(post.url).content.decode()
    assert "Still relevant" in page and "Former member" in page
    assert count(post) == 1


@override_settings(WAGTAIL_COMMUNITYBLOG_ON_MEMBER_DELETE="delete")
def test_deleting_a_blogs_owner_removes_the_discussions_under_their_posts(community, reader):
    owner = make_user("owner")
    post = make_post(make_blog(community, owner))
    say(post, reader, "On a post that goes")
    owner.delete()
    assert not Comment.objects.exists()


def test_the_admin_dashboard_counts_comments_waiting_and_reported(client, curator, post, reader):
    with override_settings(WAGTAIL_COMMUNITYBLOG_MODERATION="all"):
        service.create_comment(post, reader, "wait")
    service.flag_comment(say(post, reader, "contested"), make_user(), "x")
    client.force_login(curator)
    page = client.get(reverse("wagtailadmin_home")).content.decode()
    listing = reverse("wagtail_communityblog_comments:list")
    assert f'href="{listing}?show=pending">1</a> comments awaiting moderation' in page
    assert f'href="{listing}?show=reported">1</a> reported comments' in page


def test_the_comments_listing_costs_no_query_per_comment(client, curator, post):
    listing = reverse("wagtail_communityblog_comments:list")
    for _ in range(3):
        service.flag_comment(say(post, make_user()), make_user(), "reason")
    client.force_login(curator)
    client.get(listing)
    with CaptureQueriesContext(connection) as few:
        client.get(listing)
    for _ in range(6):
        service.flag_comment(say(post, make_user()), make_user(), "reason")
    with CaptureQueriesContext(connection) as many:
        client.get(listing)
    assert len(many) == len(few)


def test_an_action_that_no_longer_applies_changes_nothing(client, curator, post, reader):
    comment = say(post, reader, "Already published")
    client.force_login(curator)
    response = client.post(action_url(comment, "reject"))  # only waiting comments are rejected
    assert response.status_code == 302
    comment.refresh_from_db()
    assert comment.status == "approved"
    assert not ModelLogEntry.objects.filter(action="wagtail_communityblog.comment_reject").exists()
