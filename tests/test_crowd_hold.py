"""The crowd hold (CROWD_HOLD): a post pushed before its promotion by accounts that follow the
crowd (long histories of votes on what was already promoted) is held for an editor, at the
vote; honest early votes, promoted posts and the setting leave it alone."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tests.factories import make_blog, make_post, make_voter
from wagtail_communityblog.models import CommunityMember, PostHold, PostScore, Rating
from wagtail_communityblog.services.crowd import refresh_crowd
from wagtail_communityblog.services.ratings import rate_post
from wagtail_communityblog.services.vote_rings import decide_hold

pytestmark = pytest.mark.django_db

# Small numbers, so a handful of posts makes a history: an account follows the crowd from
# 4 votes with none early; a post is held from 3 such up votes.
SMALL = override_settings(
    WAGTAIL_COMMUNITYBLOG_CROWD_MIN_VOTES=4,
    WAGTAIL_COMMUNITYBLOG_CROWD_MAX_EARLY_SHARE=0.2,
    WAGTAIL_COMMUNITYBLOG_CROWD_HOLD_MIN_VOTES=3,
)


@pytest.fixture(autouse=True)
def small_rules():
    with SMALL:
        yield


@pytest.fixture
def old_posts(community):
    """Five posts promoted two days ago: the front page the farmers copied."""
    blog = make_blog(community)
    posts = [make_post(blog) for _ in range(5)]
    promoted = timezone.now() - timedelta(days=2)
    PostScore.objects.filter(pk__in=[post.pk for post in posts]).update(promoted_at=promoted)
    return posts


def history(account, posts, *, early=0):
    """Votes on ``posts``, all cast after their promotion except the first ``early`` of them,
    cast before it."""
    for post in posts:
        rate_post(post, account, 1)
    votes = Rating.objects.filter(user=account).order_by("post_id")
    when = timezone.now() - timedelta(days=1)
    votes.update(created_at=when)
    for vote in votes[:early]:
        Rating.objects.filter(pk=vote.pk).update(created_at=when - timedelta(days=3))


@pytest.fixture
def farmers(old_posts):
    accounts = [make_voter(f"farmer{n}") for n in range(4)]
    for account in accounts:
        history(account, old_posts)
    refresh_crowd()
    return accounts


@pytest.fixture
def target(community):
    return make_post(make_blog(community), title="Our line on the budget")


def score(post):
    return PostScore.objects.get(pk=post.pk)


def test_who_follows_the_crowd_is_read_from_when_their_votes_were_cast(old_posts, community):
    farmer, reader, judge, newcomer = (make_voter(name) for name in ("f", "r", "j", "n"))
    history(farmer, old_posts)  # 5 votes, all after promotion
    history(reader, old_posts, early=1)  # 1 of 5 early: 20%, not under 20%
    history(newcomer, old_posts[:3])  # too few votes to judge
    new_posts = [make_post(make_blog(community)) for _ in range(4)]
    history(judge, old_posts[:1])
    for post in new_posts:  # never promoted: early votes
        rate_post(post, judge, 1)

    assert refresh_crowd() == 1

    flags = dict(CommunityMember.objects.values_list("user_id", "follows_crowd"))
    assert flags[farmer.pk] is True
    assert not flags.get(reader.pk) and not flags.get(judge.pk) and not flags.get(newcomer.pk)


def test_a_post_pushed_before_promotion_by_accounts_that_follow_the_crowd_is_held(farmers, target):
    for account in farmers[:2]:
        rate_post(target, account, 1)
    assert not score(target).is_hidden

    rate_post(target, farmers[2], 1)

    hold = PostHold.objects.get(post=target)
    assert (hold.reason, hold.status) == ("crowd", "open")
    assert score(target).is_hidden
    assert hold.evidence["early_up_votes"] == hold.evidence["crowd_up_votes"] == 3
    assert [account["user_id"] for account in hold.evidence["accounts"]] == [
        account.pk for account in farmers[:3]
    ]
    # Their history before this push: five votes, none early (this one is not counted).
    assert hold.evidence["accounts"][0]["votes"] == 5
    assert hold.evidence["accounts"][0]["early_votes"] == 0
    # The author is told an editor will look, not which votes or which rule.
    reason = score(target).hidden_reason
    assert "editor" in reason and "crowd" not in reason and "account" not in reason
    # More votes make it meet the promotion rule, but a held post is not promoted.
    rate_post(target, farmers[3], 1)
    for n in range(2):
        rate_post(target, make_voter(f"fan{n}"), 1)
    assert score(target).vote_count >= 5 and score(target).promoted_at is None
    assert PostHold.objects.filter(post=target).count() == 1


def test_honest_early_votes_outnumber_a_few_crowd_followers(farmers, target):
    for n in range(4):
        rate_post(target, make_voter(f"reader{n}"), 1)
    for account in farmers[:3]:
        rate_post(target, account, 1)

    assert not PostHold.objects.exists()
    assert not score(target).is_hidden


def test_votes_on_a_promoted_post_are_what_the_crowd_does_and_hold_nothing(farmers, target):
    PostScore.objects.filter(pk=target.pk).update(promoted_at=timezone.now())

    for account in farmers:
        rate_post(target, account, 1)

    assert not PostHold.objects.exists()


def test_down_votes_and_the_setting_turned_off_hold_nothing(farmers, target, community):
    for account in farmers[:3]:
        rate_post(target, account, -1)
    other = make_post(make_blog(community))
    with override_settings(WAGTAIL_COMMUNITYBLOG_CROWD_HOLD=False):
        for account in farmers[:3]:
            rate_post(other, account, 1)

    assert not PostHold.objects.exists()


def test_a_released_post_is_not_held_again_for_the_same_push(farmers, target, curator):
    for account in farmers[:3]:
        rate_post(target, account, 1)
    hold = PostHold.objects.get(post=target)

    decide_hold(hold, by=curator)
    rate_post(target, farmers[3], 1)

    assert not score(target).is_hidden
    assert PostHold.objects.filter(post=target).count() == 1


def test_the_vote_reads_the_voters_flag_in_its_own_statements(farmers, target, client):
    client.force_login(farmers[0])
    url = reverse("wagtail_communityblog:rate", args=[target.pk])

    with CaptureQueriesContext(connection) as queries:
        response = client.post(url, {"value": "1"}, HTTP_ACCEPT="application/json")

    assert response.status_code == 200
    member_table = CommunityMember._meta.db_table
    selects = [q["sql"] for q in queries.captured_queries if q["sql"].startswith("SELECT")]
    # Its flag rides on the INSERT; the post's early votes are counted (one query) because the
    # voter follows the crowd; nothing reads the member row on its own.
    rating_table = Rating._meta.db_table
    assert not [sql for sql in selects if member_table in sql and rating_table not in sql]
    assert [sql for sql in selects if member_table in sql and rating_table in sql]


def test_editors_see_the_evidence_in_the_held_list_and_why_is_this_here(
    farmers, target, curator, client, admin_client
):
    for account in farmers[:3]:
        rate_post(target, account, 1)
    client.force_login(curator)

    listing = client.get(reverse("wagtail_communityblog_holds:index")).content.decode()
    assert "3 of its 3 up votes before promotion came from accounts that follow the crowd" in (
        listing
    )
    assert "farmer0: 5 votes, 0 early" in listing

    filtered = client.get(reverse("wagtail_communityblog_holds:index") + "?reason=crowd")
    assert filtered.status_code == 200 and target.title in filtered.content.decode()
    edit = admin_client.get(reverse("wagtailadmin_pages:edit", args=[target.pk]))
    content = edit.content.decode()
    assert "Why is this here" in content and "farmer2: 5 votes, 0 early" in content


def test_the_detection_command_and_task_refresh_who_follows_the_crowd(old_posts, capsys):
    from wagtail_communityblog.tasks import detect_vote_rings

    farmer = make_voter("late")
    history(farmer, old_posts)

    call_command("communityblog_detect_rings")
    out = capsys.readouterr().out
    assert "voted since the last run: 1 of them do; 1 account(s) in all." in out
    assert CommunityMember.objects.get(user=farmer).follows_crowd

    # A later run reads only the votes since the last one (minus a few minutes' overlap): an
    # account whose votes are older keeps the standing the last run gave it.
    CommunityMember.objects.filter(user=farmer).update(
        follows_crowd=False, crowd_checked_at=timezone.now() - timedelta(minutes=10)
    )
    Rating.objects.filter(user=farmer).update(created_at=timezone.now() - timedelta(hours=1))
    detect_vote_rings.call()
    assert not CommunityMember.objects.get(user=farmer).follows_crowd


def test_the_first_refresh_reads_every_account_that_ever_voted(old_posts):
    # After the upgrade that brings the crowd hold, a farm that stopped voting days ago (out of
    # RING_WINDOW) is known before it pushes.
    PostScore.objects.filter(pk__in=[post.pk for post in old_posts]).update(
        promoted_at=timezone.now() - timedelta(days=10)
    )
    dormant = make_voter("dormant")
    history(dormant, old_posts)
    Rating.objects.filter(user=dormant).update(created_at=timezone.now() - timedelta(days=5))

    assert refresh_crowd() == 1
    assert CommunityMember.objects.get(user=dormant).follows_crowd


def test_accounts_holding_one_post_cannot_hold_another_until_an_editor_decides(
    farmers, community, curator
):
    first, second = (make_post(make_blog(community)) for _ in range(2))
    for account in farmers[:3]:
        rate_post(first, account, 1)
    for account in farmers[:3]:  # withdrawing leaves the first hold as it is
        rate_post(first, account, 0)
    for account in farmers[:3]:
        rate_post(second, account, 1)

    (hold,) = PostHold.objects.all()
    assert hold.post_id == first.pk and score(first).is_hidden
    assert not score(second).is_hidden

    decide_hold(hold, by=curator)
    third = make_post(make_blog(community))
    for account in farmers[:3]:
        rate_post(third, account, 1)
    assert PostHold.objects.filter(post=third, reason="crowd").exists()


def test_a_post_hidden_by_reports_is_checked_when_the_reports_are_dismissed(
    farmers, target, curator
):
    from wagtail_communityblog.services.curation import dismiss_reports

    PostScore.objects.filter(pk=target.pk).update(
        is_hidden=True, hidden_by_reports=True, hidden_reason="Reported"
    )
    for account in farmers:
        rate_post(target, account, 1)
    assert not PostHold.objects.exists()  # hidden: not checked at the vote

    dismiss_reports(target, curator)

    hold = PostHold.objects.get(post=target)
    assert hold.reason == "crowd" and score(target).is_hidden
    assert score(target).promoted_at is None


def test_only_editors_who_decide_holds_see_the_evidence_in_the_page_editor(farmers, target, client):
    from django.contrib.auth.models import Group

    for account in farmers[:3]:
        rate_post(target, account, 1)
    editor = make_voter("pageeditor", is_staff=True)
    editor.groups.add(Group.objects.get(name="Editors"))
    client.force_login(editor)

    content = client.get(reverse("wagtailadmin_pages:edit", args=[target.pk])).content.decode()

    assert "Why is this here" in content
    # (The author field lists every account; the evidence would say "farmer0: 5 votes".)
    assert "farmer0: " not in content and "follow the crowd" not in content


def test_a_deleted_account_leaves_no_name_in_the_evidence(farmers, target, curator, client):
    for account in farmers[:3]:
        rate_post(target, account, 1)
    farmers[0].delete()
    client.force_login(curator)

    listing = client.get(reverse("wagtail_communityblog_holds:index")).content.decode()

    assert "farmer0" not in listing and "a deleted account: 5 votes, 0 early" in listing


@pytest.mark.parametrize(
    "name, value",
    [
        ("CROWD_MAX_EARLY_SHARE", "2%"),
        ("CROWD_MAX_EARLY_SHARE", 2),
        ("CROWD_HOLD_MIN_VOTES", "three"),
        ("CROWD_MIN_VOTES", 0),
        ("CLIMB_FACTOR", 0),
    ],
)
def test_a_bad_hold_setting_is_a_system_check_error(name, value):
    from wagtail_communityblog.checks import check_settings

    with override_settings(**{f"WAGTAIL_COMMUNITYBLOG_{name}": value}):
        errors = [error for error in check_settings(None) if error.id.endswith("E008")]

    assert len(errors) == 1 and name in errors[0].msg


def test_after_one_refresh_the_next_reads_only_the_votes_since(
    old_posts, django_assert_num_queries
):
    # Voters without a blog have no member row until the refresh gives them one: the next run
    # then knows when the last one was, and does not read every account's history again.
    reader = make_voter("reader")
    history(reader, old_posts[:2])
    Rating.objects.filter(user=reader).update(created_at=timezone.now() - timedelta(days=5))
    assert not CommunityMember.objects.filter(user=reader).exists()

    refresh_crowd()

    assert CommunityMember.objects.get(user=reader).crowd_checked_at is not None
    with django_assert_num_queries(2):  # the last run's time, the votes since: none
        assert refresh_crowd() == 0
