"""Casting, changing and withdrawing votes, and rebuilding scores from the votes.

A vote is one transaction: the voter's own rating row is written (locked if it exists; a
unique constraint settles two first votes racing), then the post's aggregates move by the
vote's difference in one ``UPDATE`` of ``F()`` expressions. Nothing is read into Python and
written back, so concurrent votes queue on the score row and none is lost or counted twice.
"""

import math
import random
import time
from dataclasses import astuple, dataclass
from functools import cached_property

from django.db import IntegrityError, OperationalError, transaction
from django.db.models import Count, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from .. import signals
from ..cache import rankings_changed
from ..conf import app_settings
from ..errors import VoteError
from ..models import PostScore, Rating
from ..models.members import (
    crowd_sql,
    held_sql,
    is_held_id,
    is_suspended_id,
    suspended_sql,
    user_id_param,
)
from ..models.ratings import lasting_vote_refusal, suspended_vote_refusal
from ..ranking import bayesian_average, hot_from_time_score, time_score, wilson_lower_bound
from ..ranking_expressions import absolute_updates, apply_delta
from ..ratelimit import ACTIONS
from ..rating_schemes import Tally, get_scheme
from . import crowd
from .curation import awaiting_promotion, check_promotion
from .listing import sync_post_score

STORED_COUNTERS = ("up_count", "down_count", "vote_count", "vote_sum", "score")
SCORE_COLUMNS = STORED_COUNTERS + ("hot", "best")


@dataclass
class VoteResult:
    post_id: int
    value: int  # the reader's vote now; 0 when they have none
    counted: bool
    scores: dict  # the post's stored SCORE_COLUMNS after the vote
    # Not counted because the voter's votes are held by a vote ring awaiting review.
    held: bool = False

    @cached_property
    def score(self):
        """The scores as an unsaved ``PostScore`` (for its display helpers), made on first use:
        most callers of the vote service never ask, and a model instance is not free."""
        return PostScore(post_id=self.post_id, **self.scores)


def vote_refusal(post, user, *, check_suspension=True):
    """Return why ``user`` may not vote on ``post`` (a ``VoteError``), or ``None``.

    ``lasting_vote_refusal`` (including the site adapter's), then the account's age.
    ``check_suspension=False`` leaves out the one check that needs the database (``rate_post``
    makes it inside the vote's own statements).
    """
    suspended = bool(
        check_suspension and user is not None and user.is_authenticated and is_suspended_id(user.pk)
    )
    refusal = lasting_vote_refusal(post, user, suspended=suspended)
    if refusal is not None:
        return refusal
    if user.date_joined > timezone.now() - app_settings.MIN_ACCOUNT_AGE_TO_VOTE:
        return VoteError(_("Your account is too new to vote yet."), 403)
    return None


def counts_now(user):
    """Does a vote ``user`` casts now count in rankings (is the account old enough)?"""
    return user.date_joined <= timezone.now() - app_settings.MIN_ACCOUNT_AGE_TO_COUNT


def parse_value(raw, scheme=None):
    """Return the vote value in ``raw`` if the rating scheme allows it (0 withdraws)."""
    scheme = scheme or get_scheme()
    try:
        value = int(str(raw).strip())
    except (TypeError, ValueError):
        raise VoteError(_("A vote must be a whole number.")) from None
    if value != 0 and value not in scheme.values:
        raise VoteError(
            _("%(value)s is not a vote this site accepts (%(allowed)s, or 0 to withdraw).")
            % {"value": value, "allowed": ", ".join(str(v) for v in scheme.values)}
        )
    return value


def rate_post(post, user, value, *, throttle=None):
    """Record ``user``'s vote of ``value`` on ``post`` (0 withdraws it) and update its scores.

    Every check is made here, whatever the caller checked before: ``vote_refusal`` (no query),
    and the suspension by the vote's own statements (one round trip fewer). ``throttle``, if
    given, answers whether the voter is over their allowance (e.g. the view's rate limit); it
    is asked after the other checks, so a refused or malformed vote spends none of it.
    """
    refusal = vote_refusal(post, user, check_suspension=False)
    if refusal is not None:
        raise refusal
    scheme = get_scheme()
    value = parse_value(value, scheme)
    refusal = throttle() if throttle is not None else None
    if refusal:
        raise refusal if isinstance(refusal, VoteError) else VoteError(ACTIONS["vote"], 429)
    counted = counts_now(user)
    for attempt in range(LOCK_RETRIES):
        try:
            with transaction.atomic():
                result = _rate(post, user, value, counted, scheme)
                signals.send_on_commit(
                    signals.vote_cast,
                    Rating,
                    post=post,
                    user=user,
                    value=value,
                    counted=result.counted,
                )
                return result
        except _Retry:
            continue
        except OperationalError as error:
            # SQLite without IMMEDIATE transactions: a deferred transaction that must upgrade
            # its read lock fails at once with "database is locked". The whole vote rolled
            # back, so trying again is safe; never treat it as "already voted".
            if (
                "database is locked" not in str(error)
                or transaction.get_connection().in_atomic_block
            ):
                raise
            time.sleep(min(0.01 * 2**attempt, 0.5) * (1 + random.random()))
    raise VoteError(_("Too many simultaneous changes to this vote; please try again."), 409)


LOCK_RETRIES = 10


def withdrawn_post_refusal():
    return VoteError(_("This post has been withdrawn from the community: it takes no votes."), 403)


class _Retry(Exception):
    pass


def _rate(post, user, value, counted, scheme):
    """The vote's transaction. Each statement on the voter's row also asks whether the voter
    is suspended, so a suspended reader's vote changes nothing (and costs no extra query)."""
    connection = transaction.get_connection()
    sql = _vote_sql(connection)
    user_id = user_id_param(connection, user.pk)  # as the statements take it
    may_count = counted
    old_tally = Tally()
    follows_crowd = None  # read by the vote's statements where they can (CROWD_HOLD)
    with connection.cursor() as cursor:
        inserted = False
        if value != 0 and sql["insert"]:
            # Most votes are first votes: try the insert first; the unique constraint settles a
            # race with another request by the same reader (the loser then finds their row).
            # ``counted`` is also false while the voter's votes are held by a vote ring: the
            # statement reads the flag from the member row its suspension check reads.
            cursor.execute(
                sql["insert"],
                [
                    post.pk,
                    user_id,
                    value,
                    counted,
                    user_id,
                    True,
                    scheme.name,
                    *_now(connection),
                    user_id,
                    True,
                    *([user_id, True] if sql["returning"] else []),
                ],
            )
            if sql["returning"]:
                returned = cursor.fetchone()
                inserted = returned is not None
                if inserted:
                    counted = bool(returned[0])
                    follows_crowd = bool(returned[1])
            else:
                inserted = cursor.rowcount == 1
                if inserted and counted and is_held_id(user.pk):
                    # Databases without RETURNING: correct the row (a rare path).
                    counted = False
                    cursor.execute(sql["uncount"], [False, post.pk, user_id])
        if not inserted:
            cursor.execute(
                sql["select"], [user_id, True, user_id, True, user_id, True, post.pk, user_id]
            )
            existing = cursor.fetchone()
            if existing is None:
                if value != 0:
                    # The insert was refused (or not tried): a suspended voter, or a race.
                    if is_suspended_id(user.pk):
                        raise suspended_vote_refusal()
                    if sql["insert"]:
                        raise _Retry()  # Their row vanished between the insert and the lock.
                    counted = counted and not is_held_id(user.pk)
                    if not _insert_rating(post.pk, user.pk, value, counted, scheme.name):
                        raise _Retry()
            else:
                rating_id, old_value, old_counted, old_scheme, suspended, held, follows_crowd = (
                    existing
                )
                if suspended:
                    raise suspended_vote_refusal()
                counted = counted and not held
                if old_counted:
                    old_tally = Tally.of(get_scheme(old_scheme), old_value)
                if value == 0:
                    cursor.execute(sql["delete"], [rating_id])
                elif (old_value, bool(old_counted), old_scheme) != (value, counted, scheme.name):
                    cursor.execute(
                        sql["update"],
                        [value, counted, scheme.name, _now(connection)[0], rating_id],
                    )
        new_tally = Tally.of(scheme, value if value and counted else None)
        delta = new_tally - old_tally
        if not delta:
            # Nothing moves (a repeated vote, withdrawing nothing, a vote that does not count
            # yet): read the scores, and whether the voter is suspended (not asked yet when
            # they withdrew a vote they did not have).
            cursor.execute(sql["score"], [user_id, True, post.pk])
            stored = cursor.fetchone()
            if stored and stored[-1]:
                raise suspended_vote_refusal()
            if stored and not stored[-2]:
                raise withdrawn_post_refusal()
            if stored:
                scores = dict(zip(SCORE_COLUMNS, stored[:-2], strict=True))
            else:
                created = sync_post_score(post)
                scores = {column: getattr(created, column) for column in SCORE_COLUMNS}
            return VoteResult(post.pk, value, counted, scores, held=may_count and not counted)
        row = apply_delta(cursor, scheme, post.pk, delta)
        if row is None:
            # A live post always has a score row; create it if something removed it.
            sync_post_score(post)
            row = apply_delta(cursor, scheme, post.pk, delta)
        if not row["is_listed"]:
            # Its author is suspended (a post that is not live or public never gets here):
            # the whole vote rolls back. Read from the row the vote moves: no extra query.
            raise withdrawn_post_refusal()
    if (
        new_tally.up > 0
        and not row["promoted_at"]
        and not row["is_hidden"]
        and app_settings.CROWD_HOLD
        and follows_crowd is not False
        and crowd.check_push(post.pk, user.pk, scheme.up_values, follows_crowd=follows_crowd)
    ):
        # An early up vote by an account that follows the crowd completed a push: the post is
        # held (hidden) before it can be promoted (services/crowd.py).
        row["is_hidden"] = True
    promoted = (
        not row["promoted_at"]
        and row["is_listed"]
        and not row["is_hidden"]
        and row["vote_count"] >= app_settings.PROMOTION_MIN_VOTES
        and row["score"] >= app_settings.PROMOTION_MIN_SCORE
        and check_promotion(post.pk)
    )
    if promoted or not app_settings.BLOCK_SCORES_MAX_AGE:
        # A vote alone leaves the cached blocks be: their scores and order may lag the votes
        # by BLOCK_SCORES_MAX_AGE (blocks.py). A promotion shows at once.
        rankings_changed()
    scores = {column: row[column] for column in SCORE_COLUMNS}
    return VoteResult(post.pk, value, counted, scores, held=may_count and not counted)


_VOTE_SQL = {}


def _vote_sql(connection):
    """The vote row's statements, written once per database connection alias.

    Plain SQL on the voter's own row: the ORM's per-call compilation costs more than the
    statements themselves on this hot path. PostgreSQL and SQLite both support the
    ``INSERT ... ON CONFLICT DO NOTHING`` used for first votes.
    """
    cached = _VOTE_SQL.get(connection.alias)
    if cached is None:
        q = connection.ops.quote_name
        table = q(Rating._meta.db_table)
        suspended = suspended_sql(connection)
        lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
        columns = ["post_id", "user_id", "value", "counted", "scheme", "created_at", "updated_at"]
        held = held_sql(connection)
        insert = None
        returning = connection.features.can_return_columns_from_insert
        if connection.features.supports_update_conflicts_with_target:
            values = ["%s"] * len(columns)
            values[columns.index("counted")] = f"(%s AND NOT EXISTS ({held}))"
            insert = (
                f"INSERT INTO {table} ({', '.join(q(c) for c in columns)}) "
                f"SELECT {', '.join(values)} WHERE NOT EXISTS ({suspended}) "
                f"ON CONFLICT ({q('post_id')}, {q('user_id')}) DO NOTHING"
            )
            if returning:
                insert += f" RETURNING {q('counted')}, EXISTS ({crowd_sql(connection)})"
        cached = _VOTE_SQL[connection.alias] = {
            "insert": insert,
            "returning": returning,
            "uncount": (
                f"UPDATE {table} SET {q('counted')} = %s "
                f"WHERE {q('post_id')} = %s AND {q('user_id')} = %s"
            ),
            "select": (
                f"SELECT {q('id')}, {q('value')}, {q('counted')}, {q('scheme')}, "
                f"EXISTS ({suspended}), EXISTS ({held}), EXISTS ({crowd_sql(connection)}) "
                f"FROM {table} "
                f"WHERE {q('post_id')} = %s AND {q('user_id')} = %s{lock}"
            ),
            "update": (
                f"UPDATE {table} SET {q('value')} = %s, {q('counted')} = %s, "
                f"{q('scheme')} = %s, {q('updated_at')} = %s WHERE {q('id')} = %s"
            ),
            "delete": f"DELETE FROM {table} WHERE {q('id')} = %s",
            "score": (
                f"SELECT {', '.join(q(c) for c in SCORE_COLUMNS)}, {q('is_listed')}, "
                f"EXISTS ({suspended}) "
                f"FROM {q(PostScore._meta.db_table)} WHERE {q('post_id')} = %s"
            ),
        }
    return cached


def _now(connection):
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    return now, now


def _insert_rating(post_id, user_id, value, counted, scheme_name):
    """Insert a first vote on databases without ``ON CONFLICT``; False if one exists."""
    try:
        with transaction.atomic():
            Rating.objects.create(
                post_id=post_id, user_id=user_id, value=value, counted=counted, scheme=scheme_name
            )
    except IntegrityError:
        return False
    return True


def tally_from_votes(post_id, scheme=None):
    """Aggregate the counted votes on a post straight from the ``Rating`` rows."""
    return tallies_from_votes([post_id], scheme).get(post_id, Tally())


def tallies_from_votes(post_ids, scheme=None):
    """The counted votes' aggregates of several posts, in one ``GROUP BY`` query; posts with no
    counted votes are left out."""
    scheme = scheme or get_scheme()
    up_values = [v for v in scheme.values if scheme.up(v)]
    down_values = [v for v in scheme.values if scheme.down(v)]
    rows = (
        Rating.objects.filter(post_id__in=list(post_ids), counted=True)
        .values("post_id")
        .annotate(
            up=Count("pk", filter=Q(value__in=up_values)),
            down=Count("pk", filter=Q(value__in=down_values)),
            count=Count("pk"),
            total=Sum("value"),
        )
        .order_by()
    )
    tallies = {}
    for row in rows:
        total = row["total"] or 0
        net = total - 3 * row["count"] if scheme.name == "stars" else total
        tallies[row["post_id"]] = Tally(row["up"], row["down"], row["count"], total, net)
    return tallies


# How many posts a recompute rebuilds per transaction: their score rows stay locked (votes on
# them wait) for the few statements it takes.
RECOMPUTE_BATCH = 1000


def recompute_posts(post_ids, batch_size=RECOMPUTE_BATCH):
    """Rebuild these posts' aggregates from their votes; return the IDs of those whose stored
    counters had drifted.

    Set-based: per batch, one locking read of the score rows and one ``GROUP BY`` over the
    votes; only a row that is wrong (drifted counters, or "hot"/"best" stale after a ranking
    setting changed) is written.
    """
    scheme = get_scheme()
    ids = sorted(set(post_ids))
    drifted, rewritten = [], 0
    for start in range(0, len(ids), batch_size):
        batch_drifted, batch_rewritten = _recompute_batch(ids[start : start + batch_size], scheme)
        drifted += batch_drifted
        rewritten += batch_rewritten
    if rewritten:
        rankings_changed()
    return drifted


def recompute_all(batch_size=RECOMPUTE_BATCH):
    """Rebuild every post's aggregates, a batch of score rows at a time (safe while readers
    vote); return ``(posts, drifted)``: how many were rebuilt, and the IDs of those that had
    drifted."""
    drifted, total, last = [], 0, 0
    while True:
        batch = list(
            PostScore.objects.filter(pk__gt=last)
            .order_by("pk")
            .values_list("pk", flat=True)[:batch_size]
        )
        if not batch:
            return total, drifted
        total += len(batch)
        drifted += recompute_posts(batch, batch_size=len(batch))
        last = batch[-1]


def recompute_post(post_id):
    """Rebuild one post's aggregates from its votes; return True if they had drifted."""
    return bool(recompute_posts([post_id]))


def _recompute_batch(post_ids, scheme):
    tau = app_settings.HOT_TAU
    drifted, stale = [], []
    with transaction.atomic():
        # Lock the score rows first (in id order, as every batch does): a vote in flight either
        # committed before (and is in the aggregate) or applies its difference after this.
        rows = (
            PostScore.objects.select_for_update()
            .filter(pk__in=post_ids)
            .order_by("pk")
            .values_list("pk", *STORED_COUNTERS, "rank_time", "time_score", "hot", "best")
        )
        rows = list(rows)
        tallies = tallies_from_votes(post_ids, scheme)
        for pk, *counters, rank_time, stored_time, stored_hot, stored_best in rows:
            tally = tallies.get(pk, Tally())
            # The time part of "hot" too, in case tau has changed since it was stored.
            wanted_time = time_score(rank_time, tau)
            moved = tuple(counters) != astuple(tally)
            if moved:
                drifted.append(pk)
            if (
                moved
                or wanted_time != stored_time
                or not _close(stored_hot, hot_from_time_score(tally.net, wanted_time))
                or not _close(stored_best, _best(scheme, tally))
            ):
                stale.append((pk, tally, wanted_time))
        for pk, tally, wanted_time in stale:
            PostScore.objects.filter(pk=pk).update(time_score=wanted_time)
            PostScore.objects.filter(pk=pk).update(**absolute_updates(scheme, tally))
        # A post may meet the promotion rule now (recounted, or the rule changed).
        promotable = PostScore.objects.filter(awaiting_promotion(), pk__in=post_ids).values_list(
            "pk", flat=True
        )
        for pk in list(promotable):
            check_promotion(pk)
    return drifted, len(stale)


def _best(scheme, tally):
    """ "best" as the database stores it (``ranking_expressions.best_expression``)."""
    if scheme.name == "stars":
        return bayesian_average(
            tally.total, tally.count, app_settings.BAYES_PRIOR_VOTES, app_settings.BAYES_PRIOR_MEAN
        )
    return wilson_lower_bound(tally.up, tally.down, app_settings.WILSON_Z)


def _close(stored, wanted):
    # The database and Python compute the same formulas with different rounding.
    return math.isclose(stored, wanted, rel_tol=1e-9, abs_tol=1e-12)


def set_votes_counted(user, counted):
    """Count (or stop counting) ``user``'s votes, e.g. on suspension, and recompute."""
    with transaction.atomic():
        post_ids = list(
            Rating.objects.filter(user=user)
            .exclude(counted=counted)
            .values_list("post_id", flat=True)
        )
        Rating.objects.filter(user=user).exclude(counted=counted).update(counted=counted)
        recompute_posts(post_ids)
    return post_ids


def fold_in_matured_votes(now=None):
    """Start counting votes of accounts that have come of age since voting (not suspended,
    not held by a vote ring).

    Returns the number of votes folded in."""
    now = now or timezone.now()
    cutoff = now - app_settings.MIN_ACCOUNT_AGE_TO_COUNT
    waiting = (
        Rating.objects.filter(counted=False, user__date_joined__lte=cutoff)
        .exclude(user__community_member__is_suspended=True)
        .exclude(user__community_member__votes_held=True)
    )
    with transaction.atomic():
        post_ids = list(waiting.values_list("post_id", flat=True))
        waiting.update(counted=True)
        recompute_posts(post_ids)
    return len(post_ids)
