"""Vote rings in the package: detection holds a ring's votes; editors confirm or clear it."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group, Permission
from django.contrib.messages import get_messages
from django.core.management import call_command
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone
from wagtail.models import ModelLogEntry, PageLogEntry

from tests.factories import make_blog, make_post, make_user, make_voter
from wagtail_communityblog.models import (
    CommunityMember,
    PostScore,
    Rating,
    VoteCluster,
    VoteClusterMember,
)
from wagtail_communityblog.models.vote_rings import explain_post
from wagtail_communityblog.services.ratings import rate_post
from wagtail_communityblog.services.vote_rings import detect_rings

pytestmark = pytest.mark.django_db


def score(post):
    return PostScore.objects.get(pk=post.pk)


@pytest.fixture
def posts(community):
    blogs = [make_blog(community) for _ in range(4)]
    return [make_post(blog) for blog in blogs]


@pytest.fixture
def ring(posts):
    """Six weeks-old accounts with no history: up the first post, down the other three."""
    accounts = [make_voter(f"ring{n}") for n in range(6)]
    target, *competitors = posts
    for account in accounts:
        rate_post(target, account, 1)
        for post in competitors:
            rate_post(post, account, -1)
    return accounts


@pytest.fixture
def moderator(curator):
    """A curator who may also suspend members (and so confirm rings)."""
    curator.groups.first().permissions.add(
        Permission.objects.get(codename="change_communitymember")
    )
    return curator


def test_a_ring_is_detected_and_weighs_as_one_voter_until_an_editor_decides(posts, ring):
    target, competitor = posts[0], posts[1]
    assert score(target).score == 6

    (cluster,) = detect_rings()

    assert cluster.status == VoteCluster.STATUS_OPEN
    assert set(cluster.members.values_list("user_id", flat=True)) == {u.pk for u in ring}
    assert {"post_id": target.pk, "sign": 1, "accounts": 6} in cluster.posts
    assert cluster.similarity == 1.0
    # All but one account are held: the ring counts as one voter on each post.
    assert score(target).score == 1
    assert score(competitor).score == -1
    held = CommunityMember.objects.filter(votes_held=True).count()
    assert held == 5
    assert Rating.objects.filter(counted=False).count() == 5 * 4  # recorded, not counted
    assert ModelLogEntry.objects.filter(action="wagtail_communityblog.ring_detected").exists()
    # Running again finds nothing new.
    assert detect_rings() == []


def test_friends_voting_on_each_other_with_varied_votes_are_not_a_ring(community):
    friends = [make_voter(f"friend{n}") for n in range(5)]
    blogs = [make_blog(community, member=friend) for friend in friends]
    friend_posts = [make_post(blog) for blog in blogs]
    for index, friend in enumerate(friends):
        for offset, post in enumerate(friend_posts):
            if post.author_id != friend.pk and (index + offset) % 3:
                rate_post(post, friend, 1 if (index * offset) % 4 else -1)

    assert detect_rings() == []
    assert not VoteCluster.objects.exists()


def test_accounts_with_a_long_voting_history_are_not_compared(posts, community):
    blog = make_blog(community)
    history = [make_post(blog) for _ in range(3)]
    accounts = [make_voter(f"regular{n}") for n in range(4)]
    for account in accounts:
        for post in posts[1:]:
            rate_post(post, account, -1)
        rate_post(posts[0], account, 1)
        for post in history:
            rate_post(post, account, 1)

    with override_settings(WAGTAIL_COMMUNITYBLOG_RING_LOW_HISTORY_VOTES=5):
        assert detect_rings() == []


@override_settings(WAGTAIL_COMMUNITYBLOG_RING_DETECTION=False)
def test_detection_can_be_switched_off(ring):
    assert detect_rings() == []
    call_command("communityblog_detect_rings")


def test_the_command_reports_what_it_found(ring, capsys):
    call_command("communityblog_detect_rings")

    out = capsys.readouterr().out
    assert "6 accounts" in out
    assert "1 vote ring(s)" in out


def test_the_task_runs_the_detection(ring):
    from wagtail_communityblog.tasks import detect_vote_rings

    detect_vote_rings.call()

    assert VoteCluster.objects.count() == 1


def test_why_is_this_here_explains_discounted_votes(posts, ring):
    target = posts[0]
    young = make_user("newcomer")  # joined now: not counted for 24 hours
    rate_post(target, young, 1)
    detect_rings()

    explanation = explain_post(target.pk)

    assert (explanation.raw_up, explanation.counted_up) == (7, 1)
    reasons = dict(explanation.discounted)
    assert reasons[next(r for r in reasons if "vote ring" in str(r))] == (5, 0)
    assert reasons[next(r for r in reasons if "younger" in str(r))] == (1, 0)
    assert [ring.pk for ring in explanation.rings] == [VoteCluster.objects.get().pk]


def test_the_post_editor_shows_why_is_this_here(admin_client, posts, ring):
    detect_rings()

    response = admin_client.get(reverse("wagtailadmin_pages:edit", args=[posts[0].pk]))

    content = response.content.decode()
    assert "Why is this here" in content
    assert "held by a vote ring awaiting review" in content


def rings_url(name, *args):
    return reverse(f"wagtail_communityblog_rings:{name}", args=args)


def test_curators_see_the_rings_and_their_evidence(client, curator, posts, ring):
    cluster = detect_rings()[0]
    client.force_login(curator)

    listing = client.get(rings_url("index"))
    detail = client.get(rings_url("detail", cluster.pk))

    assert listing.status_code == 200
    assert str(cluster) in listing.content.decode()
    content = detail.content.decode()
    assert detail.status_code == 200
    assert "ring0" in content and "ring5" in content
    assert "6 accounts with few votes" in content
    assert posts[0].title in content
    # Without the permission to suspend members, confirming is not offered or allowed.
    assert "Confirm: suspend" not in content
    response = client.post(rings_url("action", cluster.pk, "confirm"))
    assert response.status_code in (302, 403)  # Wagtail's admin turns a refusal into a redirect
    assert not CommunityMember.objects.filter(is_suspended=True).exists()
    assert VoteCluster.objects.get().status == VoteCluster.STATUS_OPEN


def test_confirming_suspends_the_accounts_drops_their_votes_and_recomputes(
    client, moderator, posts, ring
):
    cluster = detect_rings()[0]
    client.force_login(moderator)

    response = client.post(rings_url("action", cluster.pk, "confirm"), {"reason": "Ring"})

    assert response.status_code == 302
    told = [str(message) for message in get_messages(response.wsgi_request)]
    assert told == [
        f"Vote ring #{cluster.pk} confirmed: 6 accounts suspended, their votes dropped, "
        "4 posts recomputed; the posts it pushed compete again on the votes that count."
    ]
    cluster.refresh_from_db()
    assert cluster.status == VoteCluster.STATUS_CONFIRMED
    assert cluster.decided_by == moderator
    assert CommunityMember.objects.filter(is_suspended=True).count() == 6
    assert not Rating.objects.filter(user__in=ring).exists()
    assert [score(post).score for post in posts] == [0, 0, 0, 0]
    assert ModelLogEntry.objects.filter(
        action="wagtail_communityblog.ring_confirmed", user=moderator
    ).exists()
    assert PageLogEntry.objects.filter(
        page=posts[0], action="wagtail_communityblog.ring_votes_dropped", user=moderator
    ).exists()
    # Decided once.
    again = client.post(rings_url("action", cluster.pk, "confirm"))
    assert again.status_code == 400


def test_clearing_counts_the_votes_again_and_the_accounts_are_not_held_again(
    client, curator, posts, ring
):
    cluster = detect_rings()[0]
    client.force_login(curator)

    response = client.post(rings_url("action", cluster.pk, "clear"))

    assert response.status_code == 302
    assert [str(message) for message in get_messages(response.wsgi_request)] == [
        f"Vote ring #{cluster.pk} cleared: its accounts' votes count again "
        "(4 posts recomputed) and the posts it held are back in the rankings."
    ]
    assert VoteCluster.objects.get().status == VoteCluster.STATUS_CLEARED
    assert score(posts[0]).score == 6
    assert not CommunityMember.objects.filter(votes_held=True).exists()
    assert ModelLogEntry.objects.filter(
        action="wagtail_communityblog.ring_cleared", user=curator
    ).exists()
    assert PageLogEntry.objects.filter(
        page=posts[0], action="wagtail_communityblog.ring_votes_restored"
    ).exists()
    assert detect_rings() == []


def test_others_are_refused_and_get_changes_nothing(client, posts, ring):
    cluster = detect_rings()[0]
    editor = make_user("plain", is_staff=True)
    editor.groups.add(Group.objects.get(name="Editors"))
    client.force_login(editor)

    for url in (rings_url("index"), rings_url("detail", cluster.pk)):
        assert client.get(url).status_code in (302, 403)
    assert client.post(rings_url("action", cluster.pk, "clear")).status_code in (302, 403)
    assert VoteCluster.objects.get().status == VoteCluster.STATUS_OPEN


def test_actions_are_post_only_and_unknown_ones_are_404(admin_client, posts, ring):
    cluster = detect_rings()[0]

    assert admin_client.get(rings_url("action", cluster.pk, "clear")).status_code == 405
    assert admin_client.post(rings_url("action", cluster.pk, "explode")).status_code == 404
    assert VoteCluster.objects.get().status == VoteCluster.STATUS_OPEN


def test_a_deleted_account_leaves_no_trace_in_the_rings(posts, ring):
    detect_rings()

    ring[1].delete()

    assert not VoteClusterMember.objects.filter(user_id=ring[1].pk).exists()
    assert VoteClusterMember.objects.count() == 5


def test_a_ring_acting_across_two_runs_stays_one_voter(posts, community):
    target, *competitors = posts
    first = [make_voter(f"early{n}") for n in range(3)]
    later = [make_voter(f"late{n}") for n in range(3)]
    for account in first:
        rate_post(target, account, 1)
        for post in competitors:
            rate_post(post, account, -1)
    detect_rings()
    for account in later:
        rate_post(target, account, 1)
        for post in competitors:
            rate_post(post, account, -1)

    detect_rings()

    assert VoteCluster.objects.count() == 1
    assert VoteCluster.objects.get().members.count() == 6
    assert ModelLogEntry.objects.filter(action="wagtail_communityblog.ring_grown").exists()


def test_detection_ignores_votes_older_than_the_window(posts, ring):
    Rating.objects.update(created_at=timezone.now() - timedelta(days=3))

    assert detect_rings() == []


def test_a_held_accounts_new_votes_are_recorded_but_not_counted(client, posts, ring, community):
    detect_rings()
    held_ids = set(CommunityMember.objects.filter(votes_held=True).values_list("user", flat=True))
    held = next(u for u in ring if u.pk in held_ids)
    representative = next(u for u in ring if u.pk not in held_ids)
    fresh_post = make_post(make_blog(community))

    result = rate_post(fresh_post, held, 1)
    assert (result.counted, result.held) == (False, True)
    assert Rating.objects.get(post=fresh_post, user=held).counted is False
    assert score(fresh_post).score == 0
    # Changing a held vote does not count either; the representative's vote does.
    assert rate_post(posts[1], held, 1).counted is False
    assert rate_post(fresh_post, representative, 1).counted is True
    assert score(fresh_post).score == 1
    # The reader is told their vote awaits review, not that their account is too young.
    client.force_login(held)
    response = client.post(
        reverse("wagtail_communityblog:rate", kwargs={"post_id": posts[2].pk}),
        {"value": 1},
        HTTP_ACCEPT="application/json",
    )
    assert response.status_code == 200
    assert "reviewed" in response.json()["message"]
    assert response.json()["counted"] is False


def test_held_votes_are_not_folded_in_or_restored_by_lifting_a_suspension(posts, ring):
    from wagtail_communityblog.services.members import suspend_member, unsuspend_member
    from wagtail_communityblog.services.ratings import fold_in_matured_votes

    detect_rings()
    held = CommunityMember.objects.filter(votes_held=True).first().user

    assert fold_in_matured_votes() == 0
    suspend_member(held)
    unsuspend_member(held)

    assert not Rating.objects.filter(user=held, counted=True).exists()
    assert score(posts[0]).score == 1


@override_settings(WAGTAIL_COMMUNITYBLOG_RING_KEEP_ONE_VOTE=False)
def test_a_site_can_hold_every_vote_of_a_ring(posts, ring):
    detect_rings()

    assert CommunityMember.objects.filter(votes_held=True).count() == 6
    assert not VoteClusterMember.objects.filter(is_representative=True).exists()
    assert [score(post).score for post in posts] == [0, 0, 0, 0]


# --- the posts a ring pushed are held (RING_HOLD_POSTS) -------------------------------------


def front_page():
    from wagtail_communityblog.models import CommunityPostPage

    return list(CommunityPostPage.objects.ranked("hot"))


def test_the_post_a_ring_pushed_is_kept_off_the_front_page_until_an_editor_decides(
    client, moderator, posts, ring
):
    target, *competitors = posts

    (cluster,) = detect_rings()

    held = score(target)
    assert held.is_hidden and "voted this post up together" in held.hidden_reason
    assert target not in front_page()
    assert all(post in front_page() for post in competitors)  # only pushed up posts are held
    (hold,) = cluster.post_holds.all()
    assert (hold.post_id, hold.reason, hold.status) == (target.pk, "ring", "open")
    assert PageLogEntry.objects.filter(
        page=target, action="wagtail_communityblog.post_held", user=None
    ).exists()
    client.force_login(moderator)
    page = client.get(rings_url("detail", cluster.pk)).content.decode()
    assert "Posts held from the front page" in page and target.title in page

    client.post(rings_url("action", cluster.pk, "confirm"), {"reason": "Ring"})

    released = score(target)
    assert not released.is_hidden and released.hidden_reason == ""
    assert released.score == 0  # back in the rankings on the votes that count
    assert target in front_page()
    hold.refresh_from_db()
    assert (hold.status, hold.decided_by) == ("released", moderator)
    assert PageLogEntry.objects.filter(
        page=target, action="wagtail_communityblog.post_released", user=moderator
    ).exists()


def test_clearing_a_ring_puts_the_posts_it_held_back(client, curator, posts, ring):
    (cluster,) = detect_rings()
    client.force_login(curator)

    client.post(rings_url("action", cluster.pk, "clear"))

    assert not score(posts[0]).is_hidden
    assert score(posts[0]).score == 6
    assert posts[0] in front_page()


def test_a_post_an_editor_hid_for_a_reason_of_their_own_stays_hidden(curator, posts, ring):
    from wagtail_communityblog.services.curation import hide
    from wagtail_communityblog.services.vote_rings import clear_cluster

    (cluster,) = detect_rings()
    hide(posts[0], curator, "Off topic")

    clear_cluster(cluster, by=curator)

    assert score(posts[0]).is_hidden
    assert score(posts[0]).hidden_reason == "Off topic"


def test_a_post_readers_already_liked_is_not_held_when_a_ring_joins_in(posts, community):
    target, *competitors = posts
    for n in range(7):
        rate_post(target, make_voter(f"reader{n}"), 1)
    for n in range(6):
        account = make_voter(f"ring{n}")
        rate_post(target, account, 1)
        for post in competitors:
            rate_post(post, account, -1)

    (cluster,) = detect_rings()

    assert not cluster.post_holds.exists()
    assert not score(target).is_hidden
    assert score(target).score == 8  # seven readers and the ring's one vote


@override_settings(WAGTAIL_COMMUNITYBLOG_RING_HOLD_POSTS=False)
def test_a_site_can_hold_a_rings_votes_without_holding_its_posts(posts, ring):
    (cluster,) = detect_rings()

    assert not cluster.post_holds.exists()
    assert not score(posts[0]).is_hidden
    assert score(posts[0]).score == 1


def test_a_pinned_post_is_not_held(curator, posts, ring):
    from wagtail_communityblog.services.curation import pin

    pin(posts[0], curator)

    (cluster,) = detect_rings()

    assert not cluster.post_holds.exists()
    assert not score(posts[0]).is_hidden


# --- posts that climb abnormally fast (CLIMB_HOLD) ------------------------------------------


def backdate(post, hours):
    from wagtail_communityblog.services.listing import set_first_published_at

    set_first_published_at(post, timezone.now() - timedelta(hours=hours))


@pytest.fixture
def quiet_day(community):
    """Twenty posts of the last two days, each with one up vote in its first hour."""
    blog = make_blog(community)
    readers = [make_voter(f"reader{n}") for n in range(3)]
    posts = []
    for n in range(20):
        post = make_post(blog)
        backdate(post, 2 + n * 2)
        rate_post(post, readers[n % 3], 1)
        posts.append(post)
    # Votes are stamped now: put each in its post's first hour.
    for post in posts:
        Rating.objects.filter(post=post).update(
            created_at=score(post).published_at + timedelta(minutes=20)
        )
    return posts


def climb(post, voters):
    for n in range(voters):
        rate_post(post, make_voter(f"fan{post.pk}-{n}"), 1)


def test_a_post_climbing_abnormally_fast_is_held_until_an_editor_looks(
    client, curator, quiet_day, community
):
    from wagtail_communityblog.services.vote_rings import hold_fast_climbers

    ordinary, climber = make_post(make_blog(community)), make_post(make_blog(community))
    climb(ordinary, 2)
    climb(climber, 12)  # old accounts, long histories or not: the climb is what counts

    (hold,) = hold_fast_climbers()

    assert (hold.post_id, hold.reason, hold.first_hour_up_votes) == (climber.pk, "climb", 12)
    assert hold.threshold == 10  # 8 x the usual 1 is 8, under the floor of 10
    assert score(climber).is_hidden and "first hour" in score(climber).hidden_reason
    assert climber not in front_page() and ordinary in front_page()
    assert hold_fast_climbers() == []  # held once
    client.force_login(curator)
    listing = client.get(reverse("wagtail_communityblog_holds:index")).content.decode()
    assert climber.title in listing and "12 up votes in its first hour" in listing

    response = client.post(reverse("wagtail_communityblog_holds:action", args=[hold.pk, "release"]))

    assert response.status_code == 302
    assert not score(climber).is_hidden and climber in front_page()
    hold.refresh_from_db()
    assert (hold.status, hold.decided_by) == ("released", curator)
    assert PageLogEntry.objects.filter(
        page=climber, action="wagtail_communityblog.post_released", user=curator
    ).exists()
    assert hold_fast_climbers() == []  # not held again for the same climb


def test_an_editor_can_keep_a_held_post_hidden(client, curator, quiet_day, community):
    from wagtail_communityblog.services.vote_rings import hold_fast_climbers

    climber = make_post(make_blog(community))
    climb(climber, 12)
    (hold,) = hold_fast_climbers()
    client.force_login(curator)

    client.post(reverse("wagtail_communityblog_holds:action", args=[hold.pk, "keep"]))

    hold.refresh_from_db()
    assert hold.status == "kept"
    assert score(climber).is_hidden
    again = client.post(reverse("wagtail_communityblog_holds:action", args=[hold.pk, "release"]))
    assert again.status_code == 302 and score(climber).is_hidden  # decided once


def test_holds_are_for_curators_and_post_only(client, admin_client, quiet_day, community):
    from wagtail_communityblog.services.vote_rings import hold_fast_climbers

    climber = make_post(make_blog(community))
    climb(climber, 12)
    (hold,) = hold_fast_climbers()
    editor = make_user("plain", is_staff=True)
    editor.groups.add(Group.objects.get(name="Editors"))
    client.force_login(editor)
    url = reverse("wagtail_communityblog_holds:action", args=[hold.pk, "release"])

    assert client.get(reverse("wagtail_communityblog_holds:index")).status_code in (302, 403)
    assert client.post(url).status_code in (302, 403)
    assert admin_client.get(url).status_code == 405
    assert (
        admin_client.post(
            reverse("wagtail_communityblog_holds:action", args=[hold.pk, "explode"])
        ).status_code
        == 404
    )
    hold.refresh_from_db()
    assert hold.status == "open" and score(climber).is_hidden


def test_in_a_quiet_community_a_handful_of_votes_is_not_a_climb(quiet_day, community):
    from wagtail_communityblog.services.vote_rings import hold_fast_climbers

    post = make_post(make_blog(community))
    climb(post, 9)

    assert hold_fast_climbers() == []


@override_settings(WAGTAIL_COMMUNITYBLOG_CLIMB_HOLD=False)
def test_a_site_can_turn_the_climb_hold_off(quiet_day, community):
    from wagtail_communityblog.services.vote_rings import hold_fast_climbers

    post = make_post(make_blog(community))
    climb(post, 12)

    assert hold_fast_climbers() == []
    assert not score(post).is_hidden


def test_held_posts_awaiting_review_are_listed_first(client, curator, quiet_day, community):
    from wagtail_communityblog.services.vote_rings import decide_hold, hold_fast_climbers

    first, second = make_post(make_blog(community)), make_post(make_blog(community))
    climb(first, 12)
    (decided,) = hold_fast_climbers()
    decide_hold(decided, by=curator)
    climb(second, 12)
    hold_fast_climbers()
    client.force_login(curator)

    listing = client.get(reverse("wagtail_communityblog_holds:index")).content.decode()

    assert listing.index(second.title) < listing.index(first.title)


def test_after_a_ring_is_confirmed_the_rest_of_a_rush_is_held_for_its_climb(
    moderator, quiet_day, community
):
    from wagtail_communityblog.services.vote_rings import confirm_cluster, hold_fast_climbers

    target = make_post(make_blog(community))
    competitors = quiet_day[:3]
    for n in range(10):  # a ring the detection links ...
        account = make_voter(f"linked{n}")
        rate_post(target, account, 1)
        for post in competitors:
            rate_post(post, account, -1)
    climb(target, 10)  # ... and as many accounts that only voted the post up

    (cluster,) = detect_rings()
    assert cluster.post_holds.get().post_id == target.pk
    assert hold_fast_climbers() == []  # already held
    confirm_cluster(cluster, by=moderator)
    assert not score(target).is_hidden

    (hold,) = hold_fast_climbers()

    assert (hold.post_id, hold.reason, hold.first_hour_up_votes) == (target.pk, "climb", 10)
    assert score(target).is_hidden
