"""Vote-ring detection and the fast-climber rule on small hand-built vote sets (pure functions)."""

import random

from wagtail_communityblog.vote_rings import (
    CoVoting,
    Vote,
    climb_threshold,
    fast_climbers,
    find_clusters,
    first_hour_up_votes,
    held_accounts,
    is_low_history,
    pushed_posts,
    similarity,
)

MINUTE = 60
HOUR = 3600


def ring_votes(accounts, target, competitors, start=0.0, spread=30 * MINUTE, seed=1):
    """Each account upvotes the target and downvotes the competitors, within ``spread``."""
    rng = random.Random(seed)
    votes = []
    for account in accounts:
        at = start + rng.uniform(0, spread)
        votes.append(Vote(account, target, 1, at))
        votes.extend(Vote(account, post, -1, at + 5) for post in competitors)
    return votes


def test_a_ring_voting_together_is_one_cluster_with_its_evidence():
    ring = [101, 102, 103, 104, 105]
    votes = ring_votes(ring, target=1, competitors=[2, 3, 4])

    clusters = find_clusters(votes, low_history=set(ring))

    assert len(clusters) == 1
    cluster = clusters[0]
    assert cluster.accounts == tuple(ring)
    assert cluster.posts[1, 1] == 5  # all five voted the target up
    assert cluster.posts[2, -1] == 5
    assert cluster.similarity == 1.0
    assert cluster.representative == 101


def test_a_group_of_friends_with_varied_votes_is_not_a_ring():
    # Five friends vote on each other's posts (1-5) and on others, over two days, not always
    # the same way, and each also votes on posts the others never saw.
    rng = random.Random(7)
    friends = [201, 202, 203, 204, 205]
    votes = []
    for index, friend in enumerate(friends):
        for post in range(1, 6):
            if rng.random() < 0.7:
                votes.append(
                    Vote(friend, post, rng.choice([1, 1, 1, -1]), rng.uniform(0, 48 * HOUR))
                )
        for other in range(3):
            votes.append(Vote(friend, 100 + index * 10 + other, 1, rng.uniform(0, 48 * HOUR)))

    assert find_clusters(votes, low_history=set(friends)) == []


def test_the_same_votes_cast_hours_apart_are_not_voting_together():
    ring = [301, 302, 303, 304]
    votes = []
    for index, account in enumerate(ring):
        at = index * 3 * HOUR  # a new reader every three hours
        votes.append(Vote(account, 1, 1, at))
        votes.extend(Vote(account, post, -1, at + 5) for post in (2, 3, 4))

    assert find_clusters(votes, low_history=set(ring)) == []
    assert len(find_clusters(votes, low_history=set(ring), closeness=4 * HOUR)) == 1


def test_accounts_with_a_long_history_are_not_compared():
    ring = [401, 402, 403, 404]
    votes = ring_votes(ring, target=1, competitors=[2, 3])

    assert is_low_history(5) and not is_low_history(20)
    assert find_clusters(votes, low_history={401, 402}) == []  # two are not a group of three


def test_two_shared_votes_are_not_enough_to_link_accounts():
    ring = [501, 502, 503, 504]
    votes = ring_votes(ring, target=1, competitors=[2])  # two shared votes each

    assert find_clusters(votes, low_history=set(ring)) == []
    assert len(find_clusters(votes, low_history=set(ring), min_shared=2)) == 1


def test_ordinary_votes_dilute_similarity():
    ring = [601, 602, 603]
    votes = ring_votes(ring, target=1, competitors=[2, 3])
    # Each account also cast many ordinary votes of its own.
    for account in ring:
        votes.extend(Vote(account, 1000 + account * 10 + n, 1, 10 * HOUR) for n in range(8))

    assert similarity(3, 11, 11) < 0.5
    assert find_clusters(votes, low_history=set(ring)) == []


def test_a_held_cluster_weighs_as_one_voter():
    ring = [701, 702, 703, 704, 705, 706]
    clusters = find_clusters(ring_votes(ring, 1, [2, 3]), low_history=set(ring))

    assert held_accounts(clusters) == {702, 703, 704, 705, 706}
    assert held_accounts(clusters, keep_one=False) == set(ring)


def test_the_sliding_window_gives_the_same_clusters_as_a_fresh_count():
    rng = random.Random(3)
    votes = ring_votes(range(10, 20), target=1, competitors=[2, 3, 4], start=30 * HOUR)
    votes += [
        Vote(
            rng.randrange(100, 400),
            rng.randrange(1, 60),
            rng.choice([1, -1]),
            rng.uniform(0, 60 * HOUR),
        )
        for _ in range(3000)
    ]
    votes.sort(key=lambda vote: vote.at)
    low = {vote.account for vote in votes}

    index = CoVoting()
    for vote in votes:
        index.add(vote)
    index.expire(12 * HOUR)

    kept = [vote for vote in votes if vote.at >= 12 * HOUR]
    fresh = find_clusters(kept, low)
    assert [c.accounts for c in index.clusters(low)] == [c.accounts for c in fresh]
    assert fresh[0].accounts == tuple(range(10, 20))


def test_a_ring_pushed_the_post_it_upvoted_but_not_the_ones_it_downvoted():
    ring = [801, 802, 803, 804]
    (cluster,) = find_clusters(ring_votes(ring, target=1, competitors=[2, 3]), set(ring))

    # The target's only up votes are the ring's; the competitors' up votes are readers'.
    assert pushed_posts(cluster, {1: 4, 2: 30, 3: 12}) == [1]


def test_a_post_owing_less_than_half_its_up_votes_to_a_ring_is_not_pushed():
    ring = [901, 902, 903, 904]
    (cluster,) = find_clusters(ring_votes(ring, target=1, competitors=[2, 3]), set(ring))

    assert pushed_posts(cluster, {1: 8}) == [1]  # four of eight: half
    assert pushed_posts(cluster, {1: 9}) == []  # four of nine
    assert pushed_posts(cluster, {1: 9}, min_share=0.4) == [1]


def test_only_votes_a_group_cast_together_count_as_its_evidence():
    ring = [1001, 1002, 1003, 1004]
    votes = ring_votes(ring, target=1, competitors=[2, 3])
    # Two members also upvote post 9, hours apart, as ordinary readers would.
    votes += [Vote(1001, 9, 1, 5 * HOUR), Vote(1002, 9, 1, 9 * HOUR)]

    (cluster,) = find_clusters(votes, set(ring))

    assert cluster.posts[1, 1] == 4
    assert (9, 1) not in cluster.posts
    assert pushed_posts(cluster, {1: 4, 9: 2}) == [1]


def test_a_climb_is_measured_against_the_communitys_usual_first_hour():
    published = {post: post * HOUR for post in range(1, 41)}  # a post an hour
    # Each post's first hour brings it 0-3 up votes; post 40 gets 14 in its first 40 minutes.
    votes = [
        Vote(100 + n, post, 1, published[post] + 60 * n)
        for post in range(1, 40)
        for n in range(post % 4)
    ]
    votes += [Vote(500 + n, 40, 1, published[40] + 120 * n) for n in range(14)]
    # Up votes after the first hour, and down votes, do not count.
    votes += [Vote(900, 1, 1, published[1] + 2 * HOUR), Vote(901, 2, -1, published[2] + 60)]

    counts = first_hour_up_votes(votes, published)
    climbers, threshold = fast_climbers(counts, published, now=published[40] + 40 * 60, factor=4)

    assert counts[1] == 1 and counts[2] == 2 and counts[40] == 14
    assert threshold == climb_threshold([n % 4 for n in range(1, 40)], factor=4) == 12  # 4 x 3
    assert climb_threshold([n % 4 for n in range(1, 40)]) == 24  # the default factor, 8
    assert climbers == [40]


def test_a_quiet_community_holds_no_post_under_the_floor():
    assert climb_threshold([0] * 50 + [1] * 5) == 10
    assert climb_threshold([]) == 10
    assert climb_threshold([5] * 10, factor=3, min_votes=4) == 15
