"""The reads behind listings and promoted blocks, as queryset methods on posts and score rows.

Everything that ranks reads the stored, indexed columns of ``PostScore``; nothing here reads
the votes table. The rankings and windows are named once, in ``ranking.py``.
"""

from functools import lru_cache

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connections
from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone
from taggit.models import Tag
from wagtail.images import get_image_model
from wagtail.models import Page, PageViewRestriction
from wagtail.query import PageQuerySet

from ..ranking import RANKINGS, window_delta

# The stored columns each ranking sorts posts by, best first (the tie-break is the post's id).
RANKING_ORDER = {
    "hot": ("-score__hot", "-score__published_at"),
    "best": ("-score__best", "-score__vote_count", "-score__published_at"),
    "top": ("-score__score", "-score__published_at"),
    "new": ("-score__published_at",),
}

# The order of each listing, as the stored columns it sorts on (all descending). The last key is
# unique, so the order is total and a page can start right after the last post of the previous
# one (``pagination.listing_page``). Each has a matching index on ``PostScore``
# (models/scores.py), so a page at any depth is one index range scan.
LISTING_KEYS = {
    "hot": ("score__hot", "score__published_at", "score__post_id"),
    "best": ("score__best", "score__vote_count", "score__published_at", "score__post_id"),
    "top": ("score__score", "score__published_at", "score__post_id"),
    "new": ("score__published_at", "score__post_id"),
}

assert RANKING_ORDER.keys() == LISTING_KEYS.keys() == RANKINGS.keys()


def ranking_order(ranking):
    return RANKING_ORDER.get(ranking, RANKING_ORDER["hot"])


def window_start(ranking, window):
    """Where a ranking's window starts (only "top" has one), or None."""
    if ranking != "top":
        return None
    delta = window_delta(window)
    return timezone.now() - delta if delta is not None else None


def eligible(
    ranking="hot",
    *,
    to_score,
    to_post,
    community=None,
    window="all",
    tag=None,
    min_votes=0,
    min_score=None,
    exclude=(),
):
    """What a post must be to appear in ``ranking`` with these filters, as a ``Q`` for a query
    on posts (``to_score="score__", to_post=""``) or on score rows (the other way round)."""
    condition = Q(**{f"{to_score}is_listed": True, f"{to_score}is_hidden": False})
    if community is not None:
        condition &= Q(**{f"{to_score}community": community})
    if tag:
        condition &= Q(**{f"{to_post}tagged_items__tag__slug": tag})
    if min_votes:
        condition &= Q(**{f"{to_score}vote_count__gte": min_votes})
    if min_score is not None:
        condition &= Q(**{f"{to_score}score__gte": min_score})
    since = window_start(ranking, window)
    if since is not None:
        condition &= Q(**{f"{to_score}published_at__gte": since})
    if exclude:
        condition &= ~Q(**{f"{to_post}pk__in": list(exclude)})
    return condition


# What a vote reads of the post: its author (no voting on one's own post), and its place in the
# tree and its URL (the answer without JavaScript goes back to the post; a post missing its
# score row gets one). Any other field loads when it is first used.
VOTE_FIELDS = ("author_id", "live", "path", "depth", "url_path", "first_published_at")
_VOTE_SQL = {}
# The largest primary key the databases store (a signed 64-bit integer).
MAX_ID = 2**63 - 1


class CommunityPostQuerySet(PageQuerySet):
    def to_vote_on(self, post_id):
        """The live, public post ``post_id`` with its ``VOTE_FIELDS``, or ``None``.

        One plain SQL statement. Wagtail's ``live().public()`` through the ORM reads every view
        restriction in a query of its own and compiles two queries, which together cost the
        vote endpoint more than the vote's own statements (benchmarks/README.md, "The vote path
        over HTTP"). "Public" as Wagtail means it: no view restriction on the post or on any
        page above it (a page above it is one whose tree path begins the post's).
        """
        if not 0 < post_id <= MAX_ID:
            return None
        model, connection = self.model, connections[self.db]
        sql = _VOTE_SQL.get(connection.alias)
        if sql is None:
            q = connection.ops.quote_name
            page, restriction = Page._meta.db_table, PageViewRestriction._meta.db_table
            columns = ", ".join(
                f"p.{q(model._meta.get_field(name).column)}"
                for name in ("id", *VOTE_FIELDS)
                if name != "author_id"
            )
            sql = _VOTE_SQL[connection.alias] = (
                f"SELECT {columns}, cp.{q('page_ptr_id')}, cp.{q('author_id')} "
                f"FROM {q(model._meta.db_table)} cp "
                f"INNER JOIN {q(page)} p ON p.{q('id')} = cp.{q('page_ptr_id')} "
                f"WHERE cp.{q('page_ptr_id')} = %s AND p.{q('live')} = %s AND NOT EXISTS ("
                f"SELECT 1 FROM {q(restriction)} r INNER JOIN {q(page)} rp "
                f"ON rp.{q('id')} = r.{q('page_id')} "
                f"WHERE SUBSTR(p.{q('path')}, 1, LENGTH(rp.{q('path')})) = rp.{q('path')})"
            )
        return next(iter(model.objects.using(connection.alias).raw(sql, [post_id, True])), None)

    def tags_in_use(self):
        """The tags of the posts in this queryset, by name (e.g. the editor's suggestions)."""
        return (
            Tag.objects.filter(
                wagtail_communityblog_communityposttag_items__content_object__in=self
            )
            .distinct()
            .order_by("name")
        )

    def listed(self):
        """Posts readers may see in listings: live, public, and not withdrawn from them
        (``PostScore.is_listed`` is kept false for private posts, see services/listing.py)."""
        return self.live().filter(score__is_listed=True)

    def with_listing_data(self):
        """Load what a listing shows (author, blog, scores, image, tags) in a fixed number of
        queries, whatever the number of posts."""
        # Joined: what every post needs. Fetched apart: the community (one row for them all)
        # and the header image (most posts have none): each join adds to the time PostgreSQL
        # spends planning the query, which at nine tables outweighed running it.
        return self.select_related("author", "score", "score__blog").prefetch_related(
            "tags", "score__community", "header_image"
        )

    def with_header_images(self, image_spec=None):
        """Header images, with their ``image_spec`` renditions when asked, in two queries."""
        if image_spec:
            images = get_image_model().objects.prefetch_renditions(image_spec)
            return self.prefetch_related(Prefetch("header_image", queryset=images))
        return self.prefetch_related("header_image")

    def ranked(self, ranking="hot", *, image_spec=None, **filters):
        """Posts eligible for rankings, best first by ``ranking``, with what listings show
        loaded; ``filters`` as for ``eligible()``.

        Eligible: listed (live, public, author not suspended: see ``PostScore.is_listed``) and
        not hidden by an editor. Ordering uses the stored, indexed score columns."""
        posts = (
            self.live()
            .filter(eligible(ranking, to_score="score__", to_post="", **filters))
            # Only what every post needs is joined (see with_listing_data).
            .select_related("author", "score", "score__blog")
            .prefetch_related("tags", "score__community")
        )
        return posts.with_header_images(image_spec).order_by(*ranking_order(ranking), "-pk")

    def by_ids(self, ids, image_spec=None):
        """The live posts with these IDs, in the given order, with what a promoted block shows:
        one query by primary key (plus header images when asked)."""
        if not ids:
            return []
        posts = (
            self.live().filter(pk__in=list(ids)).select_related("author", "score", "score__blog")
        )
        if image_spec:
            # Without images the block never reads them: no prefetch to run for nothing.
            posts = posts.with_header_images(image_spec)
        by_id = {post.pk: post for post in posts}
        return [by_id[pk] for pk in ids if pk in by_id]


class MemberBlogQuerySet(PageQuerySet):
    def of_member(self, user):
        """``user``'s blogs, one per community they blog in, in tree order."""
        return (
            self.filter(member=user, community__isnull=False)
            .select_related("community")
            .order_by("path")
        )


class PostScoreQuerySet(QuerySet):
    def ranking(self, ranking="hot", **filters):
        """The score rows eligible for ``ranking``, best first: the same choice and order as
        ``CommunityPostPage.objects.ranked()`` (tie-break included), on ``PostScore`` alone, so
        the top of it is one scan of that ranking's index (see benchmarks/scale.py for its
        plan); ``filters`` as for ``eligible()``."""
        order = [field.replace("score__", "", 1) for field in ranking_order(ranking)]
        return self.filter(eligible(ranking, to_score="", to_post="post__", **filters)).order_by(
            *order, "-post"
        )

    def top_post_ids(self, ranking="hot", limit=5, **filters):
        """The IDs of the ``limit`` best posts by ``ranking`` (the query a promoted block runs
        on every render); ``filters`` as for ``ranking()``."""
        return list(self.ranking(ranking, **filters).values_list("post_id", flat=True)[:limit])

    def promoted(self, ranking="hot", count=5, *, chosen=(), fill_with_newest=False, **filters):
        """What a promoted block lists, as ``PromotedRow``s in one plain SQL statement (see
        ``promoted_sql()``): the posts ``chosen`` by the editor and those pinned (in the block's
        community, when it has one), then the ``count`` best by ``ranking`` among the others,
        then, when ``fill_with_newest``, the ``count`` newest of its community and tag among the
        others; ``filters`` as for ``ranking()``. Each row says which of the three it is, its
        place there, and holds what a card shows (the post's own columns, its score row, its
        blog's URL path and its author's own columns). Only live posts are returned.

        The block picks from these what it shows (``PromotedPostsBlock.post_ids``): the
        choice and order are those of ``ranking()`` and ``top_post_ids()``, ties included.
        """
        using = self.db
        sql, params = promoted_sql(
            connections[using], ranking, count, chosen, fill_with_newest, **filters
        )
        connection = connections[using]
        columns = promoted_columns(using, connection.vendor, settings.AUTH_USER_MODEL)
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            rows = [PromotedRow(row, columns, connection) for row in cursor.fetchall()]
        if not columns.authors_inline:
            # A user model whose columns are not all in its own table (a multi-table child):
            # its authors in one more query, as a ForeignKey would load them.
            authors = columns.user_model._base_manager.using(using).in_bulk(
                {row.author_id for row in rows if row.author_id is not None}
            )
            for row in rows:
                row.author = authors.get(row.author_id)
        return rows

    def shortfall(self, ranking="hot", *, min_votes=0, min_score=None, **filters):
        """Why a ranking with these minimums lists nothing, as counts for an editor: the posts
        it would list without minimums (``published``), those with ``min_votes`` counted votes
        (``with_votes``), and those that also have ``min_score`` (``qualifying``). Three
        counts: only for previews, never on a public render."""
        published = self.ranking(ranking, **filters)
        with_votes = published.filter(vote_count__gte=min_votes or 0)
        qualifying = with_votes if min_score is None else with_votes.filter(score__gte=min_score)
        return {
            "published": published.count(),
            "with_votes": with_votes.count(),
            "qualifying": qualifying.count(),
        }


# --- the promoted block's one statement ----------------------------------------------------
#
# A promoted block renders on every uncached front page, so its data comes in one statement
# of plain SQL written from the models' own table and column names (as ``to_vote_on`` is):
# through the ORM it took three queries, and compiling them cost more than running them
# (benchmarks/scale.py, "Front page"). The choice and order are the ORM's: ``eligible()`` and
# ``ranking()`` spelled out, checked against them in tests/test_promoted_query.py.

PINNED, RANKED_BRANCH, NEWEST = 0, 1, 2


class PromotedRow:
    """One row of ``PostScoreQuerySet.promoted()``: ``branch`` (``PINNED``, ``RANKED_BRANCH``
    or ``NEWEST``) and ``position`` (1 is first, in the ranked and newest branches), the score
    row's ``pinned_at`` and ``published_at``, the card's columns, and ``author`` (a user
    instance from its own columns, or ``None``)."""

    __slots__ = (
        "branch",
        "position",
        "pinned_at",
        "published_at",
        "pk",
        "title",
        "url_path",
        "intro",
        "first_published_at",
        "header_image_id",
        "score",
        "vote_count",
        "comment_count",
        "blog_url_path",
        "author_id",
        "author",
    )

    def __init__(self, row, columns, connection):
        values = list(row)
        for index, converters in columns.converters:
            if values[index] is not None:
                for converter, expression in converters:
                    values[index] = converter(values[index], expression, connection)
        (
            self.branch,
            self.position,
            self.pinned_at,
            self.published_at,
            self.pk,
            self.title,
            self.url_path,
            self.intro,
            self.first_published_at,
            self.header_image_id,
            self.score,
            self.vote_count,
            self.comment_count,
            self.blog_url_path,
        ) = values[: columns.author_start]
        author = values[columns.author_start :]
        self.author_id = author[columns.user_pk]
        self.author = None
        if columns.authors_inline and self.author_id is not None:
            self.author = columns.user_model.from_db(connection.alias, columns.user_fields, author)


# What the statement returns after the branch and position, as (table alias, model, field):
# the score row's columns come with the branch that chose the post (c), the rest from the post's
# page row (p), its own row (cp) and its blog's page row (b); then the author's (``author_fields``).
SCORE_COLUMNS = ("pinned_at", "published_at", "score", "vote_count", "comment_count", "blog")
CARD_FIELDS = (
    ("c", "PostScore", "pinned_at"),
    ("c", "PostScore", "published_at"),
    ("p", "Page", "id"),
    ("p", "Page", "title"),
    ("p", "Page", "url_path"),
    ("cp", "CommunityPostPage", "intro"),
    ("p", "Page", "first_published_at"),
    ("cp", "CommunityPostPage", "header_image"),
    ("c", "PostScore", "score"),
    ("c", "PostScore", "vote_count"),
    ("c", "PostScore", "comment_count"),
    ("b", "Page", "url_path"),
)


def _models():
    from .pages import CommunityPostPage, CommunityPostTag
    from .scores import PostScore

    return {
        "Page": Page,
        "PostScore": PostScore,
        "CommunityPostPage": CommunityPostPage,
        "CommunityPostTag": CommunityPostTag,
        "Tag": Tag,
    }


class PromotedColumns:
    """How to read the statement's rows on one database: for each column that needs it, what
    the ORM would do to its value as it comes from the database (e.g. SQLite's datetimes as
    text), and where the author's columns start."""

    def __init__(self, converters, user_model):
        self.converters = converters
        self.user_model = user_model
        self.authors_inline = authors_inline(user_model)
        fields = author_fields(user_model)
        self.user_fields = [field.attname for field in fields]
        self.user_pk = 0 if not self.authors_inline else fields.index(user_model._meta.pk)
        self.author_start = 2 + len(CARD_FIELDS)


@lru_cache(maxsize=8)
def authors_inline(user_model):
    """Whether the statement can read the authors' own columns: every column of the user model
    is in its own table (not so for a multi-table child of another model)."""
    table = user_model._meta.db_table
    return all(field.model._meta.db_table == table for field in user_model._meta.concrete_fields)


def author_fields(user_model):
    """The fields the statement reads for the author: every column of the user model, or the
    post's ``author`` key alone when they are not all in one table (``authors_inline``)."""
    if authors_inline(user_model):
        return list(user_model._meta.concrete_fields)
    return [_models()["CommunityPostPage"]._meta.get_field("author")]


@lru_cache(maxsize=32)
def promoted_columns(alias, vendor, user_model_label):
    """The ``PromotedColumns`` of database ``alias`` (its vendor and the user model in the key:
    tests swap them)."""
    connection = connections[alias]
    models = _models()
    user_model = get_user_model()
    fields = [models[model]._meta.get_field(name) for _alias, model, name in CARD_FIELDS]
    fields += author_fields(user_model)
    converters = []
    for index, field in enumerate(fields, start=2):  # after the branch and position
        col = field.get_col(field.model._meta.db_table)
        found = connection.ops.get_db_converters(col) + field.get_db_converters(connection)
        if found:
            converters.append((index, [(converter, col) for converter in found]))
    return PromotedColumns(converters, user_model)


def promoted_sql(
    connection,
    ranking,
    count,
    chosen,
    fill_with_newest,
    *,
    community=None,
    window="all",
    tag=None,
    min_votes=0,
    min_score=None,
):
    """The statement behind ``PostScoreQuerySet.promoted()``, and its parameters in order."""
    q = connection.ops.quote_name
    models = _models()

    def column(model, field):
        return q(models[model]._meta.get_field(field).column)

    def e(field):  # a column of the score row a branch reads
        return f"e.{column('PostScore', field)}"

    score_table = q(models["PostScore"]._meta.db_table)
    carried = ", ".join(f"{e(name)} AS {column('PostScore', name)}" for name in SCORE_COLUMNS)
    community_id = getattr(community, "pk", community)

    # The pinned posts: those the editor chose, and those pinned (in the block's community).
    pinned_where, params = f"{e('is_pinned')} = %s", [True]
    if community_id is not None:
        pinned_where += f" AND {e('community')} = %s"
        params.append(community_id)
    chosen = [int(pk) for pk in chosen]
    if chosen:
        pinned_where = f"{e('post')} IN ({', '.join(['%s'] * len(chosen))}) OR ({pinned_where})"
        params[:0] = chosen
    pinned = (
        f"SELECT {e('post')} AS post_id, {PINNED} AS branch, 0 AS position, {carried} "
        f"FROM {score_table} e "
        f"WHERE {e('is_listed')} = %s AND {e('is_hidden')} = %s AND ({pinned_where})"
    )
    params[:0] = [True, False]

    def branch(number, ranking, community_id, window, tag, min_votes, min_score):
        # ``eligible()`` and ``ranking()`` on the score table, less the pinned posts.
        where = [f"{e('is_listed')} = %s", f"{e('is_hidden')} = %s"]
        values = [True, False]
        if community_id is not None:
            where.append(f"{e('community')} = %s")
            values.append(community_id)
        if tag:
            where.append(
                f"{e('post')} IN (SELECT ti.{column('CommunityPostTag', 'content_object')} "
                f"FROM {q(models['CommunityPostTag']._meta.db_table)} ti "
                f"INNER JOIN {q(models['Tag']._meta.db_table)} t "
                f"ON t.{column('Tag', 'id')} = ti.{column('CommunityPostTag', 'tag')} "
                f"WHERE t.{column('Tag', 'slug')} = %s)"
            )
            values.append(tag)
        if min_votes:
            where.append(f"{e('vote_count')} >= %s")
            values.append(min_votes)
        if min_score is not None:
            where.append(f"{e('score')} >= %s")
            values.append(min_score)
        since = window_start(ranking, window)
        if since is not None:
            where.append(f"{e('published_at')} >= %s")
            values.append(connection.ops.adapt_datetimefield_value(since))
        where.append(f"{e('post')} NOT IN (SELECT post_id FROM pinned)")
        order = [f"{e(name.removeprefix('-score__'))} DESC" for name in ranking_order(ranking)]
        order = ", ".join([*order, f"{e('post')} DESC"])
        values.append(count)
        sql = (
            f"SELECT * FROM (SELECT {e('post')} AS post_id, {number} AS branch, "
            f"ROW_NUMBER() OVER (ORDER BY {order}) AS position, {carried} "
            f"FROM {score_table} e WHERE {' AND '.join(where)} "
            f"ORDER BY {order} LIMIT %s) branch_{number}"
        )
        return sql, values

    branches, branch_params = branch(
        RANKED_BRANCH, ranking, community_id, window, tag, min_votes, min_score
    )
    if fill_with_newest:
        newest, newest_params = branch(NEWEST, "new", community_id, "all", tag, 0, None)
        branches += f" UNION ALL {newest}"
        branch_params += newest_params
    params += branch_params

    user_model = get_user_model()
    author = f"cp.{column('CommunityPostPage', 'author')}"
    if authors_inline(user_model):
        authors = [f"u.{q(field.column)}" for field in user_model._meta.concrete_fields]
        join_authors = (
            f"LEFT OUTER JOIN {q(user_model._meta.db_table)} u "
            f"ON u.{q(user_model._meta.pk.column)} = {author} "
        )
    else:
        authors, join_authors = [author], ""
    page_table = q(Page._meta.db_table)
    columns = ", ".join(
        [
            "c.branch",
            "c.position",
            *(f"{alias}.{column(model, name)}" for alias, model, name in CARD_FIELDS),
            *authors,
        ]
    )
    page_id = column("Page", "id")
    sql = (
        f"WITH pinned AS ({pinned}) "
        f"SELECT {columns} FROM (SELECT * FROM pinned UNION ALL {branches}) c "
        f"INNER JOIN {q(models['CommunityPostPage']._meta.db_table)} cp "
        f"ON cp.{q(models['CommunityPostPage']._meta.pk.column)} = c.post_id "
        f"INNER JOIN {page_table} p ON p.{page_id} = c.post_id "
        f"LEFT OUTER JOIN {page_table} b ON b.{page_id} = c.{column('PostScore', 'blog')} "
        f"{join_authors}"
        f"WHERE p.{column('Page', 'live')} = %s"
    )
    params.append(True)
    return sql, params
