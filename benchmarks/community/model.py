"""A seeded model of a community voting on posts, driving the package's real ranking code.

What is the package's own code here (imported, not copied):
- ``wagtail_communityblog.ranking``: ``time_score``, ``hot_from_time_score`` (Reddit hot),
  ``wilson_lower_bound`` (best), net score (top);
- ``wagtail_communityblog.rating_schemes.get_scheme("updown")``: how a vote moves up/down/net;
- ``wagtail_communityblog.vote_rings``: low-history accounts, co-voting clusters, held accounts,
  the posts a cluster pushed, fast climbers;
- ``wagtail_communityblog.conf.app_settings``: the defaults (tau, z, promotion thresholds,
  minimum account age to count, ring detection parameters), read through the package's own
  settings object with Django configured without any site settings.

What is modelled (every number is a field of ``Params``, documented in
docs/explanation/community-health.md):
- Members visit at random times (a daily cycle peaking in the evening), heavier users more
  often. A visit reads the front page (the block's top ``front_slots`` posts that meet the
  block's minimum votes and score) with a chance falling by position, and, on some visits,
  the "new" list. Readers favour the front page, so what is there gets more votes.
- A reader who reads a post votes up with a chance rising with its hidden quality, down with
  a chance falling with it, once per post (a later read does not vote again), never on their
  own post.
- Posts are published through the day, quality drawn from Beta(2, 2).
- Attacks: at fixed times, a mediocre target post (25th percentile of quality) is published
  and a ring of ``k`` accounts upvotes it within its first hour and downvotes the posts on
  the front page at that moment. Kinds: fresh (created that day), patient (weeks old, a few
  ordinary votes), farming (weeks old, hundreds of past votes, and in the run they upvote
  what is on the front page every day, copying the crowd).
- Defences: ``age`` (votes of accounts younger than MIN_ACCOUNT_AGE_TO_COUNT are recorded but
  not counted until they come of age, folded in hourly as the management command does);
  ``clusters`` (every ``detect_every`` seconds the detection runs over the last
  ``detect_window`` of votes; a detected cluster's members except one are held, their votes
  stop counting; an editor looks ``editor_delay`` later: a real ring is confirmed, all its
  votes dropped; honest accounts wrongly held are cleared, their votes restored). With
  RING_HOLD_POSTS the posts a cluster pushed up (``vote_rings.pushed_posts``) leave the front
  page until that decision; ``climb`` (CLIMB_HOLD): at each detection run the posts with
  abnormally many first-hour up votes (``vote_rings.fast_climbers``) leave it until an editor
  looks ``editor_delay`` later (deleting a ring's votes on it, if a ring cast them).
- ``rescue``: twice a day an editor opens the Rescue report (recent posts with at most
  RESCUE_MAX_VOTES votes) and re-ups the ``rescue_per_visit`` posts that look best to them
  (their judgement of quality is noisy).

What it cannot tell: see the docs page; in short, real readers are not independent coin
flips, real rings adapt to the defence, editors are not oracles, and the parameters are
guesses checked only for plausibility.
"""

import bisect
import heapq
import math
import random
import statistics
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

import django
from django.conf import settings

if not settings.configured:
    # Only to read the package's defaults through its own settings object.
    settings.configure()
    django.setup()

from wagtail_communityblog import ranking, vote_rings  # noqa: E402
from wagtail_communityblog.conf import app_settings  # noqa: E402
from wagtail_communityblog.rating_schemes import get_scheme  # noqa: E402

HOUR = 3600.0
DAY = 24 * HOUR
START = datetime(2026, 3, 2, tzinfo=UTC)
SCHEME = get_scheme("updown")


@dataclass(frozen=True)
class Params:
    members: int = 2000
    posts_per_day: int = 20
    days: int = 14
    step: float = 600.0  # seconds per step; the block's cache is 300 s, readers see a list
    # Reading
    visits_per_member_day: float = 1.0
    front_slots: int = 5  # the block's "how many posts" (default 5)
    new_slots: int = 10
    read_front: float = 0.30  # chance to read the first front-page post; x front_decay per slot
    front_decay: float = 0.8
    look_new: float = 0.5  # chance a visit also looks at the "new" list
    read_new: float = 0.12
    new_decay: float = 0.9
    # Voting on a read post
    up_base: float = 0.05
    up_quality: float = 0.45  # P(up) = up_base + up_quality * q
    down_base: float = 0.15  # P(down) = down_base * (1 - q) ** 2
    # Accounts
    newcomer_share: float = 0.03  # members whose account is one week old at the attack day
    prior_votes_mean: float = 25.0  # lifetime votes before the run, per unit of activity
    # Ranking and defences
    ranking: str = "hot"
    # The block's "Minimum votes"/"Minimum score": "promotion" (PROMOTION_MIN_VOTES and
    # PROMOTION_MIN_SCORE, as the how-to recommends for a hot front page) or "none" (the
    # block's own default: no minimum).
    block_minimums: str = "promotion"
    hot_tau: float | None = None  # None: the package's HOT_TAU
    # A PROPOSAL, not a package setting: rankings leave out posts younger than this, so the
    # climb hold sees a post's whole first hour before it can reach the front page.
    entry_delay: float = 0.0
    window_top: float = 7 * DAY  # the block's default window for "top" (week)
    # Accounts' past votes: the share cast early, before the post met the promotion rule (the
    # "crowd" defence, CROWD_HOLD: an account with few early votes follows the crowd). Honest
    # members' past votes are early at ``honest_early_share``; farming accounts' are all late;
    # the adaptive ring's camouflage makes ``adaptive_early_share`` of its past votes early.
    honest_early_share: float = 0.15
    adaptive_early_share: float = 0.1
    # Any of "age", "clusters", "climb" (CLIMB_HOLD), "crowd" (CROWD_HOLD), "hold_all"
    # (RING_KEEP_ONE_VOTE = False), "votes_only" (RING_HOLD_POSTS = False: a detected ring's
    # votes are held, not its posts).
    defences: tuple = ()
    detect_every: float = 600.0
    detect_window: float = app_settings.RING_WINDOW.total_seconds()
    editor_delay: float = 12 * HOUR
    rescue: bool = False
    rescue_per_visit: int = 2
    rescue_noise: float = 0.15
    # Attacks
    ring_kind: str = ""  # "", "fresh", "patient", "farming", "adaptive"
    ring_size: int = 20
    # The adaptive farming ring knows the defences: its push is spread over this many hours,
    # by this many sub-groups each starting at its own time, and each account casts this many
    # honest-looking early up votes a day on other new posts.
    adaptive_spread: float = 4 * HOUR
    adaptive_groups: int = 4
    adaptive_camouflage: float = 0.6
    attack_days: tuple = tuple(range(2, 13))
    attack_hour: float = 14.0
    target_quality: float = 0.33  # "mediocre": the 25th percentile of Beta(2, 2)
    seed: int = 1


@dataclass
class Post:
    id: int
    quality: float
    published: float
    author: int
    time_score: float
    target: bool = False
    votes: dict = field(default_factory=dict)  # account -> (value, at)
    up: int = 0
    down: int = 0
    count: int = 0
    net: int = 0
    hot: float = 0.0
    best: float = 0.0
    first_front: float | None = None
    front_steps: int = 0
    held_at: float | None = None  # held from the front page (a ring or a climb), since
    released_at: float | None = None
    hold_reason: str = ""  # of the current (or last) hold
    held_for: set = field(default_factory=set)  # every reason it has been held for
    first_hour_up: int | None = None  # once its first hour is over
    promoted: bool = False  # has met the promotion rule while not held
    early_ups: int = 0  # counted up votes cast before it met the promotion rule ("crowd")
    crowd_ups: int = 0  # ... of them by accounts that follow the crowd
    crowd_voters: list = field(default_factory=list)  # ... who cast them

    @property
    def on_hold(self):
        return self.held_at is not None and self.released_at is None


def _poisson(rng, mean):
    if mean < 30:
        limit, k, product = math.exp(-mean), 0, rng.random()
        while product > limit:
            k += 1
            product *= rng.random()
        return k
    return max(0, round(rng.gauss(mean, math.sqrt(mean))))


def _diurnal(seconds):
    """Relative activity by time of day: a low of 0.4 at 06:00, a high of 1.6 at 18:00."""
    hour = (seconds % DAY) / HOUR
    return 1.0 - 0.6 * math.cos((hour - 6.0) / 24.0 * 2 * math.pi)


class Community:
    def __init__(self, params):
        self.p = params
        # Separate streams: the honest community's draws do not depend on whether a ring acts
        # (until the rankings differ), so a run with a ring and one without compare the same
        # target posts under the same traffic.
        self.rng = random.Random(params.seed)
        self.ring_rng = random.Random(params.seed * 7919 + 1)
        self.tau = params.hot_tau or app_settings.HOT_TAU
        self.z = app_settings.WILSON_Z
        # The block's "Minimum votes" and "Minimum score", resolved as the block does: left
        # empty ("promotion", the block's default) they are the site's promotion rule; "none"
        # is an editor's 0.
        min_votes, min_score = ranking.block_minimums(
            params.ranking,
            None if params.block_minimums == "promotion" else 0,
            None,
            app_settings.PROMOTION_MIN_VOTES,
            app_settings.PROMOTION_MIN_SCORE,
        )
        self.min_votes = min_votes
        self.min_score = -math.inf if min_score is None else min_score
        self.hold_posts = app_settings.RING_HOLD_POSTS and "votes_only" not in params.defences
        self.climb_hold = app_settings.CLIMB_HOLD and "climb" in params.defences
        self.crowd_hold = app_settings.CROWD_HOLD and "crowd" in params.defences
        self.crowd_rule = {
            "min_votes": app_settings.CROWD_MIN_VOTES,
            "max_early_share": app_settings.CROWD_MAX_EARLY_SHARE,
        }
        self.crowd = set()  # accounts that follow the crowd, as of the last detection run
        # Accounts in the evidence of a crowd hold awaiting an editor: they count towards no
        # other push until it is decided (services/crowd.py).
        self.crowd_busy = set()
        self.voted_since = set()  # accounts that voted since then (the package refreshes these)
        self.min_age = app_settings.MIN_ACCOUNT_AGE_TO_COUNT.total_seconds()
        self.low_history_votes = app_settings.RING_LOW_HISTORY_VOTES
        self.ring_settings = {
            "min_similarity": app_settings.RING_MIN_SIMILARITY,
            "min_size": app_settings.RING_MIN_SIZE,
        }
        self.posts = []
        self.now = 0.0
        self._setup_members()
        self.ring_accounts = set()
        self.held = set()  # accounts held by a detected cluster
        self.suspended = set()
        self.pending_reviews = []  # (due, cluster accounts, posts held)
        # Low-history votes in the detection window.
        self.covoting = vote_rings.CoVoting(
            app_settings.RING_CLOSENESS.total_seconds(), app_settings.RING_MIN_SHARED
        )
        self.cleared = set()  # honest accounts an editor cleared: not compared again
        self.front = []
        self.front_log = []  # (hour, [post ids]) samples
        self.quality_samples = []
        self.detected = []  # (time, accounts, is_ring)
        self.newcomer_votes = [0, 0]  # votes cast by week-old honest accounts: counted, total
        self.front_daily = {}
        self.attacks = []  # target posts

    # --- accounts --------------------------------------------------------------------------

    def _setup_members(self):
        p, rng = self.p, self.rng
        n = p.members
        activity = [rng.lognormvariate(0.0, 1.0) for _ in range(n)]
        mean = sum(activity) / n
        activity = [a / mean for a in activity]
        self.joined = [-rng.uniform(30, 720) * DAY for _ in range(n)]
        self.lifetime = [int(rng.expovariate(1.0 / (p.prior_votes_mean * a))) for a in activity]
        # Past votes cast on posts before they met the promotion rule (the "crowd" defence),
        # drawn from a stream of their own: the community's other draws stay as they were.
        history = random.Random(p.seed * 104729 + 3)
        self.early = [
            sum(history.random() < p.honest_early_share for _ in range(votes))
            for votes in self.lifetime
        ]
        # Week-old honest newcomers at the attack day: joined on day 0, no past votes.
        self.newcomers = set(rng.sample(range(n), int(n * p.newcomer_share)))
        for member in self.newcomers:
            self.joined[member] = rng.uniform(0, DAY)
            self.lifetime[member] = 0
        self.cum_activity = []
        total = 0.0
        for a in activity:
            total += a
            self.cum_activity.append(total)

    def _new_account(self, joined, lifetime, early=0):
        self.joined.append(joined)
        self.lifetime.append(lifetime)
        self.early.append(early)
        return len(self.joined) - 1

    def _visitor(self):
        while True:
            x = self.rng.random() * self.cum_activity[-1]
            member = bisect.bisect_left(self.cum_activity, x)
            if self.joined[member] <= self.now:
                return member

    def counts(self, account, at=None):
        """Does the account's vote count now (the package's rules under this run's defences)?"""
        if account in self.suspended or account in self.held:
            return False
        return not ("age" in self.p.defences and self.joined[account] > self.now - self.min_age)

    # --- votes and scores --------------------------------------------------------------------

    def _rescore(self, post):
        up = down = net = 0
        for account, (value, _at) in post.votes.items():
            if self.counts(account):
                up += SCHEME.up(value)
                down += SCHEME.down(value)
                net += SCHEME.net(value)
        post.up, post.down, post.count, post.net = up, down, up + down, net
        post.hot = ranking.hot_from_time_score(net, post.time_score)
        post.best = ranking.wilson_lower_bound(up, down, self.z)

    def vote(self, account, post, value):
        if account == post.author or account in post.votes or account in self.suspended:
            return
        post.votes[account] = (value, self.now)
        # Early: the post has not been promoted yet (the package's PostScore.promoted_at), so the
        # vote is a judgement of a new post, not of one the community already chose.
        early = not post.promoted
        self.lifetime[account] += 1
        self.early[account] += early
        self.voted_since.add(account)
        counted = self.counts(account)
        if self.crowd_hold and early and value > 0 and counted:
            self._check_crowd(account, post)
        if account in self.newcomers and self.now >= 7 * DAY:
            # Their accounts are a week old or more from day 7.
            self.newcomer_votes[0] += counted
            self.newcomer_votes[1] += 1
        if "clusters" in self.p.defences and vote_rings.is_low_history(
            self.lifetime[account], self.low_history_votes
        ):
            # Only low-history accounts are compared; an account's history only grows, so
            # one that is not low-history now never will be again.
            self.covoting.add(vote_rings.Vote(account, post.id, value, self.now))
        if counted:
            post.up += SCHEME.up(value)
            post.down += SCHEME.down(value)
            post.count += 1
            post.net += SCHEME.net(value)
            post.hot = ranking.hot_from_time_score(post.net, post.time_score)
            post.best = ranking.wilson_lower_bound(post.up, post.down, self.z)
            self._check_promotion(post)

    def _check_promotion(self, post):
        """Promoted once, the first time it meets the promotion rule while not held (the
        package's ``check_promotion``, whatever the block's own minimums)."""
        if (
            not post.promoted
            and not post.on_hold
            and post.count >= app_settings.PROMOTION_MIN_VOTES
            and post.net >= app_settings.PROMOTION_MIN_SCORE
        ):
            post.promoted = True

    def _read(self, member, post):
        if member in post.votes or member == post.author:
            return
        q = post.quality
        x = self.rng.random()
        up = self.p.up_base + self.p.up_quality * q
        if x < up:
            self.vote(member, post, 1)
        elif x < up + self.p.down_base * (1 - q) ** 2:
            self.vote(member, post, -1)

    # --- the block ---------------------------------------------------------------------------

    def _candidates(self):
        # Posts older than a week never reach a hot/best/top front page in practice here;
        # bounding the scan keeps the run fast ("best" still scans every post).
        if self.p.ranking == "best":
            return self.posts
        horizon = self.now - (self.p.window_top if self.p.ranking == "top" else 3 * DAY)
        index = bisect.bisect_left(self._published, horizon)
        return self.posts[index:]

    def front_page(self):
        eligible = [
            post
            for post in self._candidates()
            if post.count >= self.min_votes
            and post.net >= self.min_score
            and not post.on_hold
            and self.now - post.published >= self.p.entry_delay
        ]
        key = {
            "hot": lambda post: (post.hot, post.published),
            "best": lambda post: (post.best, post.count, post.published),
            "top": lambda post: (post.net, post.published),
        }[self.p.ranking]
        return heapq.nlargest(self.p.front_slots, eligible, key=key)

    def new_list(self):
        return self.posts[-self.p.new_slots :][::-1]

    # --- the run -----------------------------------------------------------------------------

    def _publish(self, quality=None, target=False):
        p = self.p
        post = Post(
            id=len(self.posts),
            quality=self.rng.betavariate(2, 2) if quality is None else quality,
            published=self.now,
            author=self.rng.randrange(p.members),
            time_score=ranking.time_score(_at(self.now), self.tau),
            target=target,
        )
        self.posts.append(post)
        self._published.append(self.now)
        return post

    def run(self):
        p = self.p
        self._published = []
        steps = int(p.days * DAY / p.step)
        posts_per_step = p.posts_per_day * p.step / DAY
        visits_per_step = p.members * p.visits_per_member_day * p.step / DAY
        attack_steps = {int((d * DAY + p.attack_hour * HOUR) / p.step) for d in p.attack_days}
        ring_actions = []  # (time, account, post, value or "competitors")
        next_detect = p.detect_every
        next_fold = HOUR
        self._prepare_ring_accounts()
        if self.crowd_hold:
            self._refresh_crowd(range(len(self.lifetime)))
        for step in range(steps):
            self.now = step * p.step
            end = self.now + p.step
            for _ in range(_poisson(self.rng, posts_per_step * _diurnal(self.now))):
                self._publish()
            if step in attack_steps:
                target = self._publish(quality=p.target_quality, target=True)
                self.attacks.append(target)
                ring_actions.extend(self._plan_ring(target))
                ring_actions.sort(key=lambda action: action[0])
            self.front = self.front_page()
            front = self.front
            for post in front:
                post.front_steps += 1
                if post.first_front is None:
                    post.first_front = self.now
            self.front_daily.setdefault(int(self.now // DAY), set()).update(
                post.id for post in front
            )
            if step % int(HOUR / p.step) == 0:
                self._sample_quality(front)
            new = self.new_list()
            # Honest visits, spread over the step.
            for _ in range(_poisson(self.rng, visits_per_step * _diurnal(self.now))):
                member = self._visitor()
                chance = p.read_front
                for post in front:
                    if self.rng.random() < chance:
                        self._read(member, post)
                    chance *= p.front_decay
                if self.rng.random() < p.look_new:
                    chance = p.read_new
                    for post in new:
                        if self.rng.random() < chance:
                            self._read(member, post)
                        chance *= p.new_decay
            self._farm(front)
            while ring_actions and ring_actions[0][0] < end:
                _at_time, account, post, value = ring_actions.pop(0)
                if value == "competitors":
                    for other in self.front_page():
                        if other is not post:
                            self.vote(account, other, -1)
                else:
                    self.vote(account, post, value)
            if p.rescue and step % int(12 * HOUR / p.step) == int(10 * HOUR / p.step):
                self._rescue()
            if "age" in p.defences and end >= next_fold:
                next_fold += HOUR
                self._fold_in()
            if ("clusters" in p.defences or self.climb_hold or self.crowd_hold) and (
                end >= next_detect
            ):
                next_detect += p.detect_every
                self.now = end
                if self.crowd_hold:
                    self._refresh_crowd(self.voted_since)
                if "clusters" in p.defences:
                    self._detect()
                if self.climb_hold:
                    self._hold_climbers()
            self._reviews(end)
        return self

    # --- attacks -----------------------------------------------------------------------------

    def _prepare_ring_accounts(self):
        p, rng = self.p, self.ring_rng
        self.rings = []
        if not p.ring_kind:
            return
        for day in p.attack_days:
            attack_at = day * DAY + p.attack_hour * HOUR
            accounts = []
            for _ in range(p.ring_size):
                if p.ring_kind == "fresh":
                    account = self._new_account(attack_at - rng.uniform(1, 12) * HOUR, 0)
                elif p.ring_kind == "patient":
                    account = self._new_account(-rng.uniform(21, 60) * DAY, rng.randint(2, 6))
                else:  # farming, adaptive: long, ordinary histories
                    joined, past = -rng.uniform(21, 60) * DAY, rng.randint(100, 300)
                    early = 0
                    if p.ring_kind == "adaptive":
                        early = sum(rng.random() < p.adaptive_early_share for _ in range(past))
                    account = self._new_account(joined, past, early)
                accounts.append(account)
            self.ring_accounts.update(accounts)
            self.rings.append(accounts)
        # Patient accounts cast a few ordinary votes in the days before their attack; these
        # are planned as ordinary reads (random posts, then their own judgement) at run time.
        self._patient_plan = []
        if p.ring_kind == "patient":
            for day, accounts in zip(p.attack_days, self.rings, strict=True):
                for account in accounts:
                    for _ in range(rng.randint(1, 3)):
                        self._patient_plan.append((day * DAY - rng.uniform(0, 2 * DAY), account))
            self._patient_plan.sort()

    def _plan_ring(self, target):
        if not self.p.ring_kind:
            return []
        index = self.p.attack_days.index(int(target.published // DAY))
        actions = []
        accounts = self.rings[index]
        if self.p.ring_kind == "adaptive":
            # Sub-groups, each starting at its own moment of the spread and voting over its
            # share of it: no burst in the first hour, no one group always together.
            p, groups = self.p, max(1, self.p.adaptive_groups)
            share = p.adaptive_spread / groups
            for number, account in enumerate(accounts):
                start = target.published + (number % groups) * share
                at = start + self.ring_rng.uniform(0, share)
                actions.append((at, account, target, 1))
                actions.append((at + 1.0, account, target, "competitors"))
            return sorted(actions, key=lambda action: action[0])
        for account in accounts:
            at = target.published + self.ring_rng.uniform(0, HOUR)
            actions.append((at, account, target, 1))
            actions.append((at + 1.0, account, target, "competitors"))
        return actions

    def _farm(self, front):
        """Farming accounts copy the crowd; patient ones cast their few ordinary votes."""
        p = self.p
        if p.ring_kind == "adaptive":
            # Honest-looking early votes: up votes on other new posts, not yet promoted.
            chance = p.adaptive_camouflage * p.step / DAY
            new = [post for post in self.new_list() if not post.target]
            if new:
                for accounts in self.rings:
                    for account in accounts:
                        if self.ring_rng.random() < chance:
                            self.vote(account, self.ring_rng.choice(new), 1)
        if p.ring_kind in ("farming", "adaptive") and front:
            # About five up votes a day each, on what is on the front page.
            chance = 5.0 * p.step / DAY / len(front)
            for accounts in self.rings:
                for account in accounts:
                    for post in front:
                        if not post.target and self.ring_rng.random() < chance:
                            self.vote(account, post, 1)
        if p.ring_kind == "patient":
            while self._patient_plan and self._patient_plan[0][0] < self.now + p.step:
                _due, account = self._patient_plan.pop(0)
                recent = self._candidates()[-3 * p.posts_per_day :]
                if recent:
                    post = self.ring_rng.choice(recent)
                    if not post.target:
                        self.vote(account, post, 1 if self.ring_rng.random() < 0.7 else -1)

    # --- defences and editors ----------------------------------------------------------------

    def _fold_in(self):
        cutoff = self.now - self.min_age
        for post in self._candidates():
            if any(cutoff - HOUR <= self.joined[a] <= cutoff for a in post.votes):
                self._rescore(post)

    def _detect(self):
        self.covoting.expire(self.now - self.p.detect_window)
        low = {
            account
            for account in self.covoting.totals
            if vote_rings.is_low_history(self.lifetime[account], self.low_history_votes)
            and account not in self.suspended
            and account not in self.cleared
        }
        clusters = self.covoting.clusters(low, **self.ring_settings)
        if not clusters:
            return
        keep_one = "hold_all" not in self.p.defences and app_settings.RING_KEEP_ONE_VOTE
        newly_held = vote_rings.held_accounts(clusters, keep_one) - self.held
        self.held |= newly_held
        any_posts = False
        for cluster in clusters:
            posts = self._hold_pushed(cluster) if self.hold_posts else []
            any_posts = any_posts or bool(posts)
            if posts or newly_held & set(cluster.accounts):
                ring = sum(a in self.ring_accounts for a in cluster.accounts)
                self.detected.append((self.now, cluster.accounts, ring))
                self.pending_reviews.append(
                    (
                        self.now + self.p.editor_delay,
                        cluster.accounts,
                        [(post, post.held_at) for post in posts],
                    )
                )
        if newly_held:
            self._rescore_voted_by(newly_held)

    def _hold_pushed(self, cluster):
        """Hold the posts the cluster pushed up (RING_HOLD_POSTS), as the package does."""
        up_votes = {}
        for post_id, sign in cluster.posts:
            if sign > 0:
                post = self.posts[post_id]
                up_votes[post_id] = sum(1 for value, _at in post.votes.values() if value > 0)
        held = []
        for post_id in vote_rings.pushed_posts(cluster, up_votes):
            post = self.posts[post_id]
            if not post.on_hold and "ring" not in post.held_for:
                self._hold(post, "ring")
                held.append(post)
        return held

    def _refresh_crowd(self, accounts):
        """Who follows the crowd (CROWD_HOLD), for the accounts that voted since the last run,
        as the package's detection run refreshes them."""
        for account in list(accounts):
            if vote_rings.follows_crowd(
                self.lifetime[account], self.early[account], **self.crowd_rule
            ):
                self.crowd.add(account)
            else:
                self.crowd.discard(account)
        self.voted_since = set()

    def _check_crowd(self, account, post):
        """CROWD_HOLD at the vote, as the package does it: a counted early up vote; hold the post
        when accounts that follow the crowd (and are not in another open crowd hold's evidence)
        cast enough of its early up votes."""
        post.early_ups += 1
        if account not in self.crowd or account in self.crowd_busy:
            return
        post.crowd_ups += 1
        post.crowd_voters.append(account)
        if (
            vote_rings.crowd_pushed(
                post.early_ups, post.crowd_ups, min_votes=app_settings.CROWD_HOLD_MIN_VOTES
            )
            and not post.on_hold
            and "crowd" not in post.held_for
        ):
            self._hold(post, "crowd")
            self.crowd_busy.update(post.crowd_voters)
            self.pending_reviews.append(
                (self.now + self.p.editor_delay, (), [(post, post.held_at)])
            )

    def _hold(self, post, reason):
        post.held_at, post.released_at, post.hold_reason = self.now, None, reason
        post.held_for.add(reason)

    def _hold_climbers(self):
        """Hold the posts whose first-hour up votes were abnormally many (CLIMB_HOLD)."""
        since = self.now - self.p.detect_window
        index = bisect.bisect_left(self._published, since)
        counts, published = {}, {}
        for post in self.posts[index:]:
            published[post.id] = post.published
            if post.first_hour_up is None:
                votes = [
                    vote_rings.Vote(account, post.id, value, at)
                    for account, (value, at) in post.votes.items()
                ]
                n = vote_rings.first_hour_up_votes(votes, {post.id: post.published})[post.id]
                if post.published + vote_rings.CLIMB_HOUR <= self.now:
                    post.first_hour_up = n  # final: later votes are past its first hour
                counts[post.id] = n
            else:
                counts[post.id] = post.first_hour_up
        climbers, _threshold = vote_rings.fast_climbers(
            counts,
            published,
            self.now,
            factor=app_settings.CLIMB_FACTOR,
            min_votes=app_settings.CLIMB_MIN_VOTES,
        )
        held = []
        for post_id in climbers:
            post = self.posts[post_id]
            # Held once at most for each reason, as in the package.
            if not post.on_hold and "climb" not in post.held_for:
                self._hold(post, "climb")
                held.append(post)
        if held:
            self.pending_reviews.append(
                (self.now + self.p.editor_delay, (), [(post, post.held_at) for post in held])
            )

    def _reviews(self, end):
        due = [review for review in self.pending_reviews if review[0] <= end]
        if not due:
            return
        self.pending_reviews = [review for review in self.pending_reviews if review[0] > end]
        changed = set()
        for _due, accounts, posts in due:
            for post, held_at in posts:
                if post.held_at != held_at or not post.on_hold:
                    continue  # that hold ended already
                # The editor decided: the post competes again on the votes that count. A post
                # held for its climb whose first-hour votes came from a ring: the editor deletes
                # the ring's votes on it (they see who voted, and when) before releasing it.
                if post.hold_reason in ("climb", "crowd") and post.target:
                    for account in self.ring_accounts & post.votes.keys():
                        del post.votes[account]
                    self._rescore(post)
                post.released_at = end
                if post.hold_reason == "crowd":
                    self.crowd_busy.difference_update(post.crowd_voters)
            for account in accounts:
                if account in self.ring_accounts:
                    # Confirmed: suspended, votes dropped.
                    self.suspended.add(account)
                    self.held.discard(account)
                    changed.add(account)
                else:
                    # Cleared: an honest account's votes count again; it is not compared again.
                    self.cleared.add(account)
                    if account in self.held:
                        self.held.discard(account)
                        changed.add(account)
        for post in self._candidates():
            if changed & post.votes.keys():
                for account in changed & post.votes.keys():
                    if account in self.suspended:
                        del post.votes[account]
                self._rescore(post)

    def _rescore_voted_by(self, accounts):
        for post in self._candidates():
            if not accounts.isdisjoint(post.votes):
                self._rescore(post)

    def _rescue(self):
        """An editor re-ups the best-looking recent posts that few have voted on."""
        p = self.p
        since = self.now - app_settings.RESCUE_DAYS * DAY
        candidates = [
            post
            for post in self._candidates()
            if post.published >= since and post.count <= app_settings.RESCUE_MAX_VOTES
        ]
        looks = sorted(
            candidates, key=lambda post: post.quality + self.rng.gauss(0, p.rescue_noise)
        )
        for post in looks[-p.rescue_per_visit :]:
            post.time_score = ranking.time_score(_at(self.now), self.tau)
            self._rescore(post)

    def _sample_quality(self, front):
        if self.now < DAY or not front:
            return
        recent = [
            post.quality
            for post in self._candidates()
            if post.published >= self.now - 2 * DAY and not post.target
        ]
        best = heapq.nlargest(len(front), recent)
        if best:
            self.quality_samples.append(
                (
                    self.now,
                    statistics.fmean(post.quality for post in front) / statistics.fmean(best),
                )
            )


def _at(seconds):
    from datetime import timedelta

    return START + timedelta(seconds=seconds)


# --- measures ----------------------------------------------------------------------------------

TOP_DECILE = 0.804  # the 90th percentile of Beta(2, 2)


def measures(community, baseline=None):
    """The run's figures: ring success, quality ratio, discovery, turnover, newcomers."""
    p = community.p
    step_hours = p.step / HOUR
    targets = community.attacks

    def reach(post, horizon=2 * DAY):
        return post.first_front is not None and post.first_front - post.published <= horizon

    result = {
        "target_reached": [reach(post) for post in targets],
        "target_hours": [post.front_steps * step_hours for post in targets],
        "quality_ratio": (
            statistics.fmean(v for _t, v in community.quality_samples)
            if community.quality_samples
            else None
        ),
    }
    attack_windows = [(post.published, post.published + DAY) for post in targets]
    result["quality_ratio_attack"] = (
        statistics.fmean(
            v
            for t, v in community.quality_samples
            if any(start <= t < end for start, end in attack_windows)
        )
        if attack_windows
        and any(
            start <= t < end for t, _v in community.quality_samples for start, end in attack_windows
        )
        else None
    )
    good = [
        post
        for post in community.posts
        if post.quality >= TOP_DECILE
        and DAY <= post.published <= (p.days - 2) * DAY
        and not post.target
    ]
    result["top_decile_hours"] = [
        (post.first_front - post.published) / HOUR for post in good if post.first_front is not None
    ]
    result["top_decile_never"] = [post.first_front is None for post in good]
    days = [ids for day, ids in community.front_daily.items() if day >= 1]
    result["turnover"] = statistics.fmean(len(ids) for ids in days) if days else 0.0
    result["newcomer_votes"] = list(community.newcomer_votes)
    honest_held = set()
    ring_detected = set()
    for _t, accounts, _ring in community.detected:
        for account in accounts:
            if account in community.ring_accounts:
                ring_detected.add(account)
            else:
                honest_held.add(account)
    held_posts = [post for post in community.posts if post.held_at is not None]
    result["targets_held"] = sum(post.target for post in held_posts)
    result["honest_posts_held"] = sum(not post.target for post in held_posts)
    result["good_posts_held"] = sum(
        not post.target and post.quality >= TOP_DECILE for post in held_posts
    )
    result["honest_posts_climb_held"] = sum(
        not post.target and "climb" in post.held_for for post in held_posts
    )
    result["honest_held"] = len(honest_held)
    result["newcomers_held"] = len(honest_held & community.newcomers)
    result["ring_accounts"] = len(community.ring_accounts)
    result["ring_detected"] = len(ring_detected)
    detection_delays = []
    for index, post in enumerate(targets):
        if not community.p.ring_kind:
            break
        ring = set(community.rings[index])
        times = [t for t, accounts, _r in community.detected if ring & set(accounts)]
        if times:
            detection_delays.append((min(times) - post.published) / HOUR)
    result["detection_hours"] = detection_delays
    return result


def simulate(**overrides):
    """Run one community with ``Params(**overrides)``; return its measures."""
    return measures(Community(replace(Params(), **overrides)).run())
