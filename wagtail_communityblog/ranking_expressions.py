"""The ranking formulas of ``ranking.py`` as SQL expressions, and the vote's one ``UPDATE``.

A vote changes a post's stored scores in one ``UPDATE`` whose right-hand sides read the row's
current values (``F()``), so concurrent votes on the same post queue on the row and none is
lost; nothing is read into Python and written back. A recompute writes the same expressions
over aggregated ``Value``\\s, so stored and recomputed scores are computed identically.
"""

import math

from django.db.models import Case, F, FloatField, Q, Value, When
from django.db.models.functions import Abs, Cast, Greatest, Ln, Sign, Sqrt
from django.db.models.lookups import GreaterThan
from django.db.models.sql.subqueries import UpdateQuery

from .conf import app_settings
from .models import PostScore
from .rating_schemes import Tally


def _float(expression):
    return Cast(expression, FloatField())


def hot_expression(net):
    """``sign(s) * log10(max(|s|, 1)) + time_score``: ``ranking.hot`` in SQL."""
    # ln(x) / ln(10) rather than LOG(10, x): PostgreSQL's two-argument LOG takes only numeric.
    log10 = Ln(_float(Greatest(Abs(net), Value(1)))) / Value(math.log(10))
    return _float(Sign(net)) * log10 + F("time_score")


def wilson_expression(up, down, z):
    """``ranking.wilson_lower_bound`` in SQL; 0 with no votes, never a division by zero."""
    n = _float(Greatest(up + down, Value(1)))
    p = _float(up) / n
    z2 = Value(z * z)
    spread = Value(z) * Sqrt((p * (Value(1.0) - p) + z2 / (Value(4.0) * n)) / n)
    lower = (p + z2 / (Value(2.0) * n) - spread) / (Value(1.0) + z2 / n)
    return Case(
        When(GreaterThan(up + down, 0), then=lower),
        default=Value(0.0),
        output_field=FloatField(),
    )


def bayesian_expression(total, count, prior_votes, prior_mean):
    """``ranking.bayesian_average`` in SQL."""
    return (_float(total) + Value(prior_votes * prior_mean)) / (_float(count) + Value(prior_votes))


def best_expression(scheme, up, down, count, total):
    if scheme.name == "stars":
        return bayesian_expression(
            total, count, app_settings.BAYES_PRIOR_VOTES, app_settings.BAYES_PRIOR_MEAN
        )
    return wilson_expression(up, down, app_settings.WILSON_Z)


def column_updates(scheme, up, down, count, total, net):
    """The ``UPDATE`` of every stored score column, from expressions for the new counters."""
    return {
        "up_count": up,
        "down_count": down,
        "vote_count": count,
        "vote_sum": total,
        "score": net,
        "hot": hot_expression(net),
        "best": best_expression(scheme, up, down, count, total),
    }


def delta_updates(scheme, delta):
    """Apply ``delta`` (a ``Tally``) to the row's current counters."""
    return column_updates(
        scheme,
        F("up_count") + Value(delta.up),
        F("down_count") + Value(delta.down),
        F("vote_count") + Value(delta.count),
        F("vote_sum") + Value(delta.total),
        F("score") + Value(delta.net),
    )


def absolute_updates(scheme, tally):
    """Set the counters to ``tally`` (a recompute from the vote rows)."""
    return column_updates(
        scheme,
        Value(tally.up),
        Value(tally.down),
        Value(tally.count),
        Value(tally.total),
        Value(tally.net),
    )


# --- the vote's UPDATE, compiled once ------------------------------------------------------

# Stand-ins for a vote's five deltas and the post's id while the ORM compiles the statement;
# each call then substitutes the real numbers. Compiling the ~150-node expression tree costs far
# more than running it, so it is done once per database, scheme and ranking settings.
_DELTA_SENTINELS = Tally(-1_000_001, -1_000_002, -1_000_003, -1_000_004, -1_000_005)
_PK_SENTINEL = -1_000_006
RETURNED_COLUMNS = (
    "up_count",
    "down_count",
    "vote_count",
    "vote_sum",
    "score",
    "hot",
    "best",
    "is_listed",
    "is_hidden",
    "promoted_at",
)
_compiled = {}


def _compile_delta_update(connection, scheme):
    query = UpdateQuery(PostScore)
    query.add_update_values(delta_updates(scheme, _DELTA_SENTINELS))
    query.add_q(Q(pk=_PK_SENTINEL))
    sql, params = query.get_compiler(connection=connection).as_sql()
    quote = connection.ops.quote_name
    slots = {
        _DELTA_SENTINELS.up: "up",
        _DELTA_SENTINELS.down: "down",
        _DELTA_SENTINELS.count: "count",
        _DELTA_SENTINELS.total: "total",
        _DELTA_SENTINELS.net: "net",
    }
    # Each delta appears many times in the hot and best expressions, and the formulas have
    # constants (z, the prior, 1.0, ...). Sent as they are, a vote adapts 46 parameters.
    # Instead the constants go into the text as literals, and the deltas are columns of a
    # one-row derived table joined to the update (UPDATE ... FROM): six parameters a vote.
    literal = connection.schema_editor().quote_value
    pieces = sql.split("%s")
    assert len(pieces) == len(params) + 1, "unexpected placeholder in the compiled UPDATE"
    assert params[-1] == _PK_SENTINEL and pieces[-1] == "", "the post's id is not last"
    derived = quote("communityblog_delta")
    text = [pieces[0]]
    for param, piece in zip(params[:-1], pieces[1:-1], strict=True):
        slot = slots.get(param) if isinstance(param, int) and not isinstance(param, bool) else None
        text.append(f"{derived}.{quote(slot)}" if slot else literal(param))
        text.append(piece)
    set_clause, where = "".join(text).rsplit(" WHERE ", 1)
    deltas = ", ".join(f"CAST(%s AS INTEGER) AS {quote(slot)}" for slot in DELTA_ORDER)
    return (
        f"{set_clause} FROM (SELECT {deltas}) {derived} WHERE {where}%s "
        f"RETURNING {', '.join(quote(column) for column in RETURNED_COLUMNS)}"
    )


DELTA_ORDER = ("up", "down", "count", "total", "net")


def apply_delta(cursor, scheme, post_id, delta):
    """Move a post's stored scores by ``delta`` in one statement; return the new values (a
    dict of ``RETURNED_COLUMNS``), or ``None`` if the post has no score row.

    ``cursor``: the vote's open Django cursor (reused: opening one per statement costs more
    than the statement on this hot path).

    Databases without ``UPDATE ... RETURNING`` use the ORM (same SQL, compiled each time).
    """
    connection = cursor.db
    if not connection.features.can_return_columns_from_insert:
        if not PostScore.objects.filter(pk=post_id).update(**delta_updates(scheme, delta)):
            return None
        result = PostScore.objects.filter(pk=post_id).values(*RETURNED_COLUMNS).first()
        result["promoted_at"] = result["promoted_at"] is not None
        return result
    key = (
        connection.alias,
        scheme.name,
        app_settings.WILSON_Z,
        app_settings.BAYES_PRIOR_VOTES,
        app_settings.BAYES_PRIOR_MEAN,
    )
    if key not in _compiled:
        _compiled[key] = _compile_delta_update(connection, scheme)
    cursor.execute(
        _compiled[key], [delta.up, delta.down, delta.count, delta.total, delta.net, post_id]
    )
    row = cursor.fetchone()
    if row is None:
        return None
    result = dict(zip(RETURNED_COLUMNS, row, strict=True))
    # Only whether it is set matters to the caller (SQLite returns the raw text).
    result["promoted_at"] = result["promoted_at"] is not None
    result["is_listed"] = bool(result["is_listed"])
    result["is_hidden"] = bool(result["is_hidden"])
    return result
