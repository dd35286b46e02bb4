"""Editors curate the community in the Wagtail admin; readers report posts."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone
from wagtail.models import PageLogEntry

from tests.factories import make_blog, make_post, make_user, make_voter
from wagtail_communityblog.models import CommunityMember, Flag, PostScore, PromotionEvent
from wagtail_communityblog.services.members import suspend_member
from wagtail_communityblog.services.ratings import rate_post

pytestmark = pytest.mark.django_db


@pytest.fixture
def plain_editor(db):
    user = make_user("plain", is_staff=True)
    user.groups.add(Group.objects.get(name="Editors"))
    return user


@pytest.fixture
def post(blog):
    return make_post(blog, title="Curated post")


def action_url(post, action):
    return reverse("wagtail_communityblog_posts:action", args=[post.pk, action])


def score(post):
    return PostScore.objects.get(pk=post.pk)


@pytest.mark.parametrize(
    "action,data,check",
    [
        ("pin", {}, lambda s: s.is_pinned),
        ("hide", {"reason": "Off-topic"}, lambda s: s.is_hidden and s.hidden_reason == "Off-topic"),
        ("reup", {}, lambda s: s.rank_time > timezone.now() - timedelta(minutes=1)),
    ],
)
def test_each_curation_action_works_in_the_admin_and_is_audited(
    client, curator, post, action, data, check
):
    PostScore.objects.filter(pk=post.pk).update(rank_time=timezone.now() - timedelta(days=5))
    client.force_login(curator)
    assert client.get(action_url(post, action)).status_code == 200

    response = client.post(action_url(post, action), data)

    assert response.status_code == 302
    assert check(score(post))
    assert PageLogEntry.objects.filter(
        page=post, action=f"wagtail_communityblog.{action}", user=curator
    ).exists()
    assert PromotionEvent.objects.filter(post=post, by=curator).exists()


def test_unpin_and_unhide_undo_pin_and_hide(client, curator, post):
    client.force_login(curator)
    client.post(action_url(post, "pin"))
    client.post(action_url(post, "hide"), {"reason": "Spam"})
    client.post(action_url(post, "unpin"))
    client.post(action_url(post, "unhide"))
    s = score(post)
    assert not s.is_pinned and not s.is_hidden and s.hidden_reason == ""


def test_hiding_without_a_reason_is_refused(client, curator, post):
    client.force_login(curator)
    response = client.post(action_url(post, "hide"), {"reason": ""})
    assert response.status_code == 400
    assert not score(post).is_hidden


def test_reup_moves_hot_up(client, curator, post):
    PostScore.objects.filter(pk=post.pk).update(rank_time=timezone.now() - timedelta(days=5))
    from wagtail_communityblog.services.listing import set_rank_time

    set_rank_time(post.pk)
    before = score(post).hot
    client.force_login(curator)
    client.post(action_url(post, "reup"))
    assert score(post).hot > before


@pytest.mark.parametrize("action", ["pin", "unpin", "hide", "unhide", "reup"])
def test_editors_without_the_curation_permission_are_refused(client, plain_editor, post, action):
    client.force_login(plain_editor)
    response = client.post(action_url(post, action), {"reason": "x"})
    assert response.status_code in (302, 403)
    s = score(post)
    assert not s.is_pinned and not s.is_hidden
    assert client.get(reverse("wagtail_communityblog_posts:list")).status_code in (302, 403)
    assert client.get(reverse("wagtail_communityblog_reports:index")).status_code in (302, 403)
    assert client.get(reverse("wagtail_communityblog_rescue:index")).status_code in (302, 403)


def test_the_posts_listing_shows_scores_and_state_and_filters(client, curator, blog, post):
    other = make_post(blog, title="Another")
    rate_post(other, make_voter(), 1)
    client.force_login(curator)
    client.post(action_url(post, "pin"))

    listing = client.get(reverse("wagtail_communityblog_posts:list"))
    content = listing.content.decode()
    assert listing.status_code == 200
    assert "Curated post" in content and "Another" in content
    assert "pinned" in content
    pinned_only = client.get(reverse("wagtail_communityblog_posts:list"), {"is_pinned": "true"})
    assert [s.post_id for s in pinned_only.context["object_list"]] == [post.pk]
    by_votes = client.get(reverse("wagtail_communityblog_posts:list"), {"ordering": "-vote_count"})
    assert by_votes.context["object_list"][0].post_id == other.pk


def test_bulk_actions_pin_and_hide_many_posts_at_once(client, curator, blog, post):
    other = make_post(blog, title="Second")
    client.force_login(curator)
    ids = f"id={post.pk}&id={other.pk}"
    url = reverse(
        "wagtail_bulk_action", args=("wagtail_communityblog", "postscore", "communityblog_pin")
    )
    assert client.get(f"{url}?{ids}").status_code == 200
    response = client.post(f"{url}?{ids}&next=/admin/")
    assert response.status_code == 302
    assert PostScore.objects.filter(is_pinned=True).count() == 2

    hide_url = reverse(
        "wagtail_bulk_action", args=("wagtail_communityblog", "postscore", "communityblog_hide")
    )
    client.post(f"{hide_url}?{ids}&next=/admin/", {"reason": "Duplicate"})
    assert PostScore.objects.filter(is_hidden=True, hidden_reason="Duplicate").count() == 2
    assert PageLogEntry.objects.filter(action="wagtail_communityblog.hide").count() == 2


def test_the_rescue_report_lists_recent_posts_with_few_votes(client, curator, blog):
    quiet = make_post(blog, title="Quiet but good")
    loud = make_post(blog, title="Loud")
    for _ in range(5):
        rate_post(loud, make_voter(), 1)
    make_post(blog, title="Old", when=timezone.now() - timedelta(days=30))
    client.force_login(curator)

    response = client.get(reverse("wagtail_communityblog_rescue:index"))

    assert response.status_code == 200
    assert [s.post_id for s in response.context["object_list"]] == [quiet.pk]


def test_the_members_listing_shows_posts_votes_reports_and_suspends(client, curator, community):
    author = make_user("writer")
    blog = make_blog(community, author)
    post = make_post(blog)
    reader = make_voter("reader")
    CommunityMember.objects.create(user=reader)
    rate_post(post, reader, 1)
    Flag.objects.create(post=post, user=reader, reason="Rude")
    superuser = make_user("root", is_superuser=True, is_staff=True)
    client.force_login(superuser)

    listing = client.get(reverse("wagtail_communityblog_members:index"))

    rows = {m.user.username: m for m in listing.context["object_list"]}
    assert (rows["writer"].post_count, rows["writer"].reports_against) == (1, 1)
    assert rows["reader"].votes_cast == 1


def test_the_admin_dashboard_summarises_the_community(client, curator, blog, post):
    rate_post(post, make_voter(), 1)
    client.force_login(curator)
    content = client.get(reverse("wagtailadmin_home")).content.decode()
    assert "communityblog-summary" in content
    assert "Curated post" in content


def test_the_curation_permission_can_be_given_to_a_group_in_the_admin(client):
    client.force_login(make_user("root", is_superuser=True, is_staff=True))
    content = client.get(reverse("wagtailusers_groups:add")).content.decode()
    assert "curate" in content.lower()


# --- readers' reports ---------------------------------------------------------------------


def flag_url(post):
    return reverse("wagtail_communityblog:flag", kwargs={"post_id": post.pk})


def test_a_reader_reports_a_post_with_a_reason_once(client, post):
    reader = make_voter()
    client.force_login(reader)
    assert client.get(flag_url(post)).status_code == 200
    assert client.post(flag_url(post), {"reason": ""}).status_code == 400
    response = client.post(flag_url(post), {"reason": "Personal attack"})
    assert response.status_code == 302
    again = client.post(flag_url(post), {"reason": "Again"}, HTTP_ACCEPT="application/json")
    assert again.status_code == 409
    assert Flag.objects.filter(post=post, user=reader).count() == 1


def test_a_suspended_reader_is_offered_no_report_and_cannot_report(client, post):
    reader = make_voter()
    client.force_login(reader)
    assert "Report this post" in client.get(post.url).content.decode()

    suspend_member(reader)
    assert "Report this post" not in client.get(post.url).content.decode()
    response = client.post(flag_url(post), {"reason": "Spam"}, HTTP_ACCEPT="application/json")
    assert response.status_code == 403
    assert "suspended" in response.json()["error"]
    assert not Flag.objects.exists()


def test_no_report_link_on_ones_own_post_or_for_anonymous_readers(client, post, member):
    assert "Report this post" not in client.get(post.url).content.decode()
    client.force_login(member)
    assert "Report this post" not in client.get(post.url).content.decode()
    response = client.post(flag_url(post), {"reason": "Mine"}, HTTP_ACCEPT="application/json")
    assert response.status_code == 403


def test_reporting_needs_login_and_a_live_post(client, blog, post):
    assert client.post(flag_url(post), {"reason": "x"}).status_code == 302
    draft = make_post(blog, publish=False)
    client.force_login(make_voter())
    assert client.post(flag_url(draft), {"reason": "x"}).status_code == 404
    assert not Flag.objects.exists()


@override_settings(WAGTAIL_COMMUNITYBLOG_RATE_LIMITS={"flag": "2/h"})
def test_reports_are_rate_limited(client, blog):
    client.force_login(make_voter())
    posts = [make_post(blog) for _ in range(3)]
    statuses = [client.post(flag_url(p), {"reason": "x"}).status_code for p in posts]
    assert statuses == [302, 302, 429]


@override_settings(WAGTAIL_COMMUNITYBLOG_FLAG_HIDE_THRESHOLD=2)
def test_enough_open_reports_hide_a_post_until_an_editor_decides(client, curator, post):
    for _ in range(2):
        client.force_login(make_voter())
        client.post(flag_url(post), {"reason": "Spam"})
    s = score(post)
    assert s.is_hidden and s.hidden_by_reports

    client.force_login(curator)
    reports = client.get(reverse("wagtail_communityblog_reports:index"))
    assert [r.post_id for r in reports.context["object_list"]] == [post.pk]
    response = client.post(
        reverse("wagtail_communityblog_reports:action", args=[post.pk, "dismiss"])
    )
    assert response.status_code == 302
    assert not score(post).is_hidden
    assert not Flag.objects.filter(status=Flag.STATUS_OPEN).exists()
    assert PageLogEntry.objects.filter(action="wagtail_communityblog.dismiss_reports").exists()


@pytest.mark.parametrize("action", ["hide", "unpublish", "suspend"])
def test_editors_act_on_reported_posts(client, post, member, action):
    client.force_login(make_voter())
    client.post(flag_url(post), {"reason": "Spam"})
    # Unpublishing needs page rights and suspending needs the member permission: a superuser.
    client.force_login(make_user("chief", is_superuser=True, is_staff=True))

    response = client.post(
        reverse("wagtail_communityblog_reports:action", args=[post.pk, action]),
        {"reason": "Confirmed spam"},
    )

    assert response.status_code == 302
    post.refresh_from_db()
    if action == "hide":
        assert score(post).is_hidden
    elif action == "unpublish":
        assert not post.live
    else:
        assert CommunityMember.objects.get(user=member).is_suspended
    assert Flag.objects.get().status == Flag.STATUS_ACTIONED


def test_listings_offer_row_actions_to_curators(client, curator, post):
    client.force_login(curator)
    content = client.get(reverse("wagtail_communityblog_posts:list")).content.decode()
    assert "Pin to front page" in content
    assert action_url(post, "pin") in content


def test_members_with_a_blog_appear_in_the_members_listing(client, community):
    author = make_user("blogger")
    make_blog(community, author)
    assert CommunityMember.objects.filter(user=author).exists()


def test_unpublishing_from_reports_needs_the_editors_own_page_permission(client, curator, post):
    client.force_login(curator)
    response = client.post(
        reverse("wagtail_communityblog_reports:action", args=[post.pk, "unpublish"])
    )
    assert response.status_code in (302, 403)
    post.refresh_from_db()
    assert post.live


@override_settings(WAGTAIL_COMMUNITYBLOG_FLAG_HIDE_THRESHOLD=0)
def test_reported_posts_offer_the_report_actions_on_each_row(client, curator, post):
    client.force_login(make_voter())
    client.post(flag_url(post), {"reason": "Spam"})
    client.force_login(curator)
    content = client.get(reverse("wagtail_communityblog_reports:index")).content.decode()
    assert reverse("wagtail_communityblog_reports:action", args=[post.pk, "dismiss"]) in content
    assert "Suspend the author" in content


@override_settings(WAGTAIL_COMMUNITYBLOG_FLAG_HIDE_THRESHOLD=3)
def test_three_accounts_made_seconds_ago_cannot_hide_a_post(client, curator, post):
    throwaways = [make_user() for _ in range(3)]  # joined just now
    for account in throwaways:
        client.force_login(account)
        assert client.post(flag_url(post), {"reason": "Fake news"}).status_code == 302
    assert not score(post).is_hidden
    assert Flag.objects.filter(post=post).count() == 3  # on record for the editors

    client.force_login(curator)
    listing = client.get(reverse("wagtail_communityblog_reports:index")).content.decode()
    for account in throwaways:
        assert f"{account.get_username()} (not counted: new account)" in listing


@override_settings(WAGTAIL_COMMUNITYBLOG_FLAG_HIDE_THRESHOLD=3)
def test_reports_from_suspended_or_ring_held_accounts_do_not_count(client, post):
    suspended, held = make_voter(), make_voter()
    for account in (suspended, held):
        client.force_login(account)
        client.post(flag_url(post), {"reason": "Spam"})
    # Found out after reporting: their reports stop counting for the next decision.
    suspend_member(suspended)
    CommunityMember.objects.update_or_create(user=held, defaults={"votes_held": True})
    for _ in range(2):
        client.force_login(make_voter())
        client.post(flag_url(post), {"reason": "Spam"})
    assert not score(post).is_hidden  # four reports, two that count

    client.force_login(make_voter())
    client.post(flag_url(post), {"reason": "Spam"})
    assert score(post).is_hidden  # three trusted readers now


def test_the_sql_and_the_listing_agree_on_which_reports_count(post):
    from wagtail_communityblog.models.curation import counted_reports

    people = {
        "old": make_voter(),
        "new": make_user(),
        "inactive": make_voter(is_active=False),
        "suspended": make_voter(),
        "held": make_voter(),
    }
    for person in people.values():
        Flag.objects.create(post=post, user=person, reason="x")
    suspend_member(people["suspended"])
    CommunityMember.objects.update_or_create(user=people["held"], defaults={"votes_held": True})

    counted = set(counted_reports(Flag.objects.all()).values_list("user_id", flat=True))
    flags = Flag.objects.select_related("user", "user__community_member")
    by_python = {flag.user_id for flag in flags if not flag.not_counted_because()}
    assert counted == by_python == {people["old"].pk}
