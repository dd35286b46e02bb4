"""Vote-ring detection: pure functions over votes, shared by the package and the simulation.

A ring is a group of accounts that vote together: the same posts, the same way, at about the
same time. Ordinary readers agree too (everybody reads the front page), so two things keep
them apart:

- Only **low-history** accounts are compared: accounts that have cast few votes in their life.
  A ring has to create or keep many accounts cheaply, so most of its accounts have little
  history; a reader who has voted for months is not suspected, however often they agree with
  the crowd (agreeing with the crowd is exactly what a farming account imitates, so it is no
  evidence of honesty either way).
- Two votes are only **shared** when they are on the same post, with the same sign, cast within
  ``closeness`` seconds of each other. Readers of the same front page vote at different hours;
  a ring acting on a signal votes within minutes.

Two accounts are linked when they share at least ``min_shared`` votes and those shared votes
are at least ``min_similarity`` of all their votes in the window (the Jaccard similarity of
their signed votes, counting only time-close votes as shared). A cluster is a connected group
of at least ``min_size`` linked accounts.

Nothing here reads the database or Django settings: the package's detection service
(``services/vote_rings.py``) and the community simulation (``benchmarks/community/``) both
call these functions with plain values.
"""

from collections import defaultdict, deque
from dataclasses import dataclass, field

# Defaults, repeated as documented settings in conf.py (the simulation uses these).
CLOSENESS_SECONDS = 3600
MIN_SHARED = 3
MIN_SIMILARITY = 0.5
MIN_SIZE = 3
LOW_HISTORY_VOTES = 20


@dataclass(frozen=True)
class Vote:
    """One vote: who, on which post, which way, when (seconds since any fixed instant)."""

    account: int
    post: int
    value: int
    at: float


@dataclass
class Cluster:
    """A group of accounts that voted together, with the evidence."""

    accounts: tuple
    # (post, sign) -> how many of the cluster's accounts voted that way on that post together
    # (each within ``closeness`` of another member's vote).
    posts: dict = field(default_factory=dict)
    # (account, account) -> similarity, for each linked pair.
    links: dict = field(default_factory=dict)

    @property
    def similarity(self):
        """Mean similarity over the cluster's linked pairs."""
        return sum(self.links.values()) / len(self.links) if self.links else 0.0

    @property
    def representative(self):
        """The account whose votes still count while the cluster is held (the lowest id)."""
        return self.accounts[0]


def is_low_history(lifetime_votes, threshold=LOW_HISTORY_VOTES):
    """Has the account cast fewer than ``threshold`` votes in its life (so it is compared)?"""
    return lifetime_votes < threshold


def _sign(value):
    return (value > 0) - (value < 0)


class CoVoting:
    """Shared votes between accounts, kept up to date as votes arrive and expire.

    Votes must be added in time order. A vote is paired only with the votes cast on the same
    post, with the same sign, within ``closeness`` seconds before it, so the work grows with
    the votes that are close together, not with the square of a post's votes. ``expire()``
    forgets votes older than a moment, undoing their pairs, so a long-running caller (the
    simulation) keeps a sliding window; the package builds one per detection run.
    """

    def __init__(self, closeness=CLOSENESS_SECONDS, min_shared=MIN_SHARED):
        self.closeness = closeness
        self.min_shared = min_shared
        self.groups = defaultdict(deque)  # (post, sign) -> deque of (at, account), in time order
        self.order = deque()  # every vote, in time order: (at, post, sign, account)
        self.seen = set()
        self.totals = defaultdict(int)  # account -> votes in the window
        self.pairs = defaultdict(int)  # (a, b), a < b -> shared votes
        self.strong = set()  # pairs with at least ``min_shared`` shared votes

    def _bump(self, a, b, step):
        pair = (a, b) if a < b else (b, a)
        shared = self.pairs[pair] + step
        if shared:
            self.pairs[pair] = shared
        else:
            del self.pairs[pair]
        if shared >= self.min_shared:
            self.strong.add(pair)
        else:
            self.strong.discard(pair)

    def add(self, vote):
        sign = _sign(vote.value)
        if not sign or (vote.account, vote.post) in self.seen:
            return
        self.seen.add((vote.account, vote.post))
        self.totals[vote.account] += 1
        group = self.groups[vote.post, sign]
        horizon = vote.at - self.closeness
        for at, other in reversed(group):
            if at < horizon:
                break
            if other != vote.account:
                self._bump(other, vote.account, 1)
        group.append((vote.at, vote.account))
        self.order.append((vote.at, vote.post, sign, vote.account))

    def expire(self, before):
        """Forget the votes cast before ``before``."""
        while self.order and self.order[0][0] < before:
            at, post, sign, account = self.order.popleft()
            group = self.groups[post, sign]
            group.popleft()
            for later_at, other in group:
                if later_at > at + self.closeness:
                    break
                if other != account:
                    self._bump(account, other, -1)
            if not group:
                del self.groups[post, sign]
            self.seen.discard((account, post))
            self.totals[account] -= 1
            if not self.totals[account]:
                del self.totals[account]

    def clusters(self, low_history, *, min_similarity=MIN_SIMILARITY, min_size=MIN_SIZE):
        """The clusters of low-history accounts in the window, largest first."""
        parent = {}

        def root(account):
            parent.setdefault(account, account)
            while parent[account] != account:
                parent[account] = parent[parent[account]]
                account = parent[account]
            return account

        links = {}
        for a, b in self.strong:
            if a not in low_history or b not in low_history:
                continue
            value = similarity(self.pairs[a, b], self.totals[a], self.totals[b])
            if value >= min_similarity:
                links[a, b] = value
                parent[root(a)] = root(b)
        members = defaultdict(list)
        for account in parent:
            members[root(account)].append(account)
        clusters = []
        for group in members.values():
            if len(group) < min_size:
                continue
            group = sorted(group)
            group_set = set(group)
            posts = {}
            for (post, sign), votes in self.groups.items():
                n = _together([at for at, account in votes if account in group_set], self.closeness)
                if n:
                    posts[post, sign] = n
            clusters.append(
                Cluster(
                    accounts=tuple(group),
                    posts=posts,
                    links={pair: value for pair, value in links.items() if pair[0] in group_set},
                )
            )
        clusters.sort(key=lambda cluster: (-len(cluster.accounts), cluster.accounts))
        return clusters


def _together(times, closeness):
    """How many of these votes (times, in order) were cast within ``closeness`` of another."""
    n = 0
    for index, at in enumerate(times):
        before = index > 0 and at - times[index - 1] <= closeness
        after = index + 1 < len(times) and times[index + 1] - at <= closeness
        n += before or after
    return n


def similarity(shared, votes_a, votes_b):
    """Jaccard similarity of two accounts' signed votes, ``shared / (a + b - shared)``."""
    union = votes_a + votes_b - shared
    return shared / union if union > 0 else 0.0


def find_clusters(
    votes,
    low_history,
    *,
    closeness=CLOSENESS_SECONDS,
    min_shared=MIN_SHARED,
    min_similarity=MIN_SIMILARITY,
    min_size=MIN_SIZE,
):
    """Return the clusters of low-history accounts that voted together, largest first.

    ``votes``: an iterable of ``Vote`` (the recent window); ``low_history``: the set of account
    ids that may be compared (see ``is_low_history``); votes by other accounts are ignored.
    """
    index = CoVoting(closeness, min_shared)
    for vote in sorted(
        (vote for vote in votes if vote.account in low_history), key=lambda vote: vote.at
    ):
        index.add(vote)
    return index.clusters(low_history, min_similarity=min_similarity, min_size=min_size)


def held_accounts(clusters, keep_one=True):
    """The accounts whose votes stop counting while their cluster awaits an editor.

    With ``keep_one``, every member but the cluster's representative: the cluster then weighs
    as one voter on each post its representative voted on, and nothing on the others. Without,
    every member: the cluster weighs nothing until an editor clears it.
    """
    held = set()
    for cluster in clusters:
        held.update(cluster.accounts[1:] if keep_one else cluster.accounts)
    return held


# A post is held when the cluster's up votes are at least this share of all its up votes.
HOLD_MIN_SHARE = 0.5


def pushed_posts(cluster, up_votes, min_share=HOLD_MIN_SHARE):
    """The posts a cluster pushed up: held from the front page until an editor looks.

    A post is pushed when at least two of the cluster's accounts voted it up together and
    their up votes are at least ``min_share`` of all the post's up votes (``up_votes``: post
    -> every recorded up vote, counted or not). A post readers already like, which a group
    merely joined (or which a group upvotes to get it held), owes the group less than that
    and is left alone.
    """
    return sorted(
        post
        for (post, sign), n in cluster.posts.items()
        if sign > 0 and n >= 2 and n >= min_share * up_votes.get(post, n)
    )


# --- posts that climb abnormally fast -------------------------------------------------------

CLIMB_HOUR = 3600.0  # a post's first hour: the time it spends in the "new" list on its own
CLIMB_FACTOR = 8.0
CLIMB_MIN_VOTES = 10


def first_hour_up_votes(votes, published, hour=CLIMB_HOUR):
    """Up votes each post received in its first ``hour`` (post -> count; posts with none: 0).

    ``votes``: ``Vote`` objects; ``published``: post -> publication time, same clock.
    """
    counts = dict.fromkeys(published, 0)
    for vote in votes:
        at = published.get(vote.post)
        if at is not None and vote.value > 0 and 0 <= vote.at - at < hour:
            counts[vote.post] += 1
    return counts


def climb_threshold(reference, factor=CLIMB_FACTOR, min_votes=CLIMB_MIN_VOTES):
    """First-hour up votes from which a post climbs abnormally fast.

    ``factor`` times the 90th percentile of ``reference`` (the first-hour up votes of the recent
    posts whose first hour is over), and never under ``min_votes``. The percentile follows the
    community's size and time of year on its own; the floor keeps a quiet community, where most
    posts get no vote in their first hour, from holding a post for a handful of friends.
    """
    ordered = sorted(reference)
    p90 = ordered[min(len(ordered) - 1, int(0.9 * len(ordered)))] if ordered else 0
    return max(min_votes, factor * p90)


def fast_climbers(counts, published, now, *, factor=CLIMB_FACTOR, min_votes=CLIMB_MIN_VOTES):
    """The posts whose first-hour up votes reach ``climb_threshold``, with the threshold.

    ``counts`` (from ``first_hour_up_votes``) for the posts published in the window; the
    reference is those whose first hour ended before ``now``. A post still in its first hour is
    judged on the votes it has so far (they only grow), so it can be held before the hour ends.
    """
    reference = [n for post, n in counts.items() if published[post] + CLIMB_HOUR <= now]
    threshold = climb_threshold(reference, factor, min_votes)
    return sorted(post for post, n in counts.items() if n >= threshold), threshold


# --- posts pushed early by accounts that follow the crowd ------------------------------------
#
# A farming account builds its history by voting on what is already on the front page: weeks
# of ordinary votes, each after the post had met the promotion rule, so nothing it ever voted
# on owed it anything. That history is cheap to make, but it has a shape honest readers' do
# not: almost none of its votes are **early** (cast before the post was promoted, i.e. met the
# promotion rule),
# because judging a new post on its own merits is the one thing a farmer has no reason to do.
# When the same accounts then vote up a post that is still new, that is the ring's push.

CROWD_MIN_VOTES = 20
CROWD_MAX_EARLY_SHARE = 0.02
CROWD_HOLD_MIN_VOTES = 3


def follows_crowd(
    votes, early_votes, *, min_votes=CROWD_MIN_VOTES, max_early_share=CROWD_MAX_EARLY_SHARE
):
    """Does an account with ``votes`` votes in its life, ``early_votes`` of them early, follow
    the crowd: enough history to judge (``min_votes``), and fewer than ``max_early_share`` of
    it cast on posts that had not yet met the promotion rule?"""
    return votes >= min_votes and early_votes < max_early_share * votes


def crowd_pushed(early_up_votes, crowd_up_votes, *, min_votes=CROWD_HOLD_MIN_VOTES):
    """Is a post that has not met the promotion rule being pushed by accounts that follow the
    crowd: at least ``min_votes`` of its (counted, early) up votes, and at least half of them,
    by such accounts? Honest crowd-followers do vote on new posts now and then, one at a time;
    a post the readers of the "new" list like has their votes to outnumber them."""
    return crowd_up_votes >= min_votes and 2 * crowd_up_votes >= early_up_votes
