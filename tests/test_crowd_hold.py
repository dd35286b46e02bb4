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
    assert [account["name"] for account in hold.evidence["accounts"]] == [
        "farmer0",
        "farmer1",
        "farmer2",
    ]
    assert hold.evidence["accounts"][0]["votes"] == 6  # five old votes and this one
    assert hold.evidence["accounts"][0]["early_votes"] == 1  # this one
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
    assert "farmer0: 6 votes, 1 early" in listing

    filtered = client.get(reverse("wagtail_communityblog_holds:index") + "?reason=crowd")
    assert filtered.status_code == 200 and target.title in filtered.content.decode()
    edit = admin_client.get(reverse("wagtailadmin_pages:edit", args=[target.pk]))
    content = edit.content.decode()
    assert "Why is this here" in content and "farmer2: 6 votes, 1 early" in content


def test_the_detection_command_and_task_refresh_who_follows_the_crowd(old_posts, capsys):
    from wagtail_communityblog.tasks import detect_vote_rings

    farmer = make_voter("late")
    history(farmer, old_posts)

    call_command("communityblog_detect_rings")
    assert "1 recent voter(s) follow the crowd." in capsys.readouterr().out
    assert CommunityMember.objects.get(user=farmer).follows_crowd

    Rating.objects.filter(user=farmer).update(created_at=timezone.now() - timedelta(days=5))
    CommunityMember.objects.filter(user=farmer).update(crowd_checked_at=None)
    detect_vote_rings.call()
    # Votes older than RING_WINDOW are not re-read: the flag stays as the last refresh set it.
    assert CommunityMember.objects.get(user=farmer).follows_crowd
