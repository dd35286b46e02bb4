"""Which posts a ranking shows: the queries behind promoted blocks and sorted listings."""

from datetime import timedelta

from django.db.models import Prefetch, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from wagtail.images import get_image_model

from ..models import CommunityPostPage, PostScore

RANKINGS = {
    "hot": (_("Hot"), ("-score__hot", "-score__published_at")),
    "best": (_("Best"), ("-score__best", "-score__vote_count", "-score__published_at")),
    "top": (_("Top"), ("-score__score", "-score__published_at")),
    "new": (_("New"), ("-score__published_at",)),
}

WINDOWS = {
    "day": (_("Today"), timedelta(days=1)),
    "week": (_("This week"), timedelta(days=7)),
    "month": (_("This month"), timedelta(days=30)),
    "year": (_("This year"), timedelta(days=365)),
    "all": (_("All time"), None),
}

IMAGE_SPEC = "fill-640x360"


def ranked_posts(ranking="hot", *, image_spec=None, **filters):
    """Posts eligible for rankings, best first by ``ranking``, with what listings show loaded;
    ``filters`` as for ``eligible()``.

    Eligible: listed (live, public, author not suspended: see ``PostScore.is_listed``) and not
    hidden by an editor. Ordering uses the stored, indexed score columns; the votes table is
    never read.
    """
    posts = (
        CommunityPostPage.objects.live()
        .filter(eligible(ranking, to_score="score__", to_post="", **filters))
        # Only what every post needs is joined (see CommunityPostQuerySet.with_listing_data).
        .select_related("author", "score", "score__blog")
        .prefetch_related("tags", "score__community")
    )
    return with_header_images(posts, image_spec).order_by(*ranking_order(ranking), "-pk")


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


def ranking_order(ranking):
    return RANKINGS.get(ranking, RANKINGS["hot"])[1]


def window_start(ranking, window):
    """Where a ranking's window starts (only "top" has one), or None."""
    if ranking != "top":
        return None
    delta = WINDOWS.get(window, WINDOWS["all"])[1]
    return timezone.now() - delta if delta is not None else None


def with_header_images(posts, image_spec=None):
    if image_spec:
        # Images with their renditions in two queries, whatever the number of posts.
        images = get_image_model().objects.prefetch_renditions(image_spec)
        return posts.prefetch_related(Prefetch("header_image", queryset=images))
    return posts.prefetch_related("header_image")


def ranking_query(ranking="hot", **filters):
    """The score rows eligible for ``ranking``, best first: the same choice and order as
    ``ranked_posts()`` (tie-break included), on ``PostScore`` alone, so the top of it is one
    scan of that ranking's index (see benchmarks/scale.py for its plan); ``filters`` as for
    ``eligible()``."""
    order = [field.replace("score__", "", 1) for field in ranking_order(ranking)]
    return PostScore.objects.filter(
        eligible(ranking, to_score="", to_post="post__", **filters)
    ).order_by(*order, "-post")


def top_post_ids(ranking="hot", limit=5, **filters):
    """The IDs of the ``limit`` best posts by ``ranking`` (the query a promoted block runs on
    every render); ``filters`` as for ``ranking_query()``."""
    return list(ranking_query(ranking, **filters).values_list("post_id", flat=True)[:limit])


def posts_by_ids(ids, image_spec=None):
    """The posts with these IDs, in the given order, with what a promoted block shows: one
    query by primary key (plus header images when asked)."""
    if not ids:
        return []
    posts = with_header_images(
        CommunityPostPage.objects.live()
        .filter(pk__in=list(ids))
        .select_related("author", "score", "score__blog"),
        image_spec,
    )
    by_id = {post.pk: post for post in posts}
    return [by_id[pk] for pk in ids if pk in by_id]
