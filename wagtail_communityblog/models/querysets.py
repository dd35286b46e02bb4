"""The reads behind listings and promoted blocks, as queryset methods on posts and score rows.

Everything that ranks reads the stored, indexed columns of ``PostScore``; nothing here reads
the votes table. The rankings and windows are named once, in ``ranking.py``.
"""

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
