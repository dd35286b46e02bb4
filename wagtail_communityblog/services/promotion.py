"""Which posts a ranking shows: the one query behind promoted blocks and sorted listings."""

from datetime import timedelta

from django.db.models import Prefetch
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from wagtail.images import get_image_model

from ..models import CommunityPostPage

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


def ranked_posts(
    ranking="hot",
    *,
    community=None,
    window="all",
    tag=None,
    min_votes=0,
    min_score=None,
    exclude=(),
    image_spec=None,
):
    """Posts eligible for rankings, best first by ``ranking``, with what listings show loaded.

    Eligible: live, public, listed (author not suspended) and not hidden by an editor. Ordering
    uses the stored, indexed score columns; the votes table is never read.
    """
    posts = (
        CommunityPostPage.objects.live()
        .public()
        .filter(score__is_listed=True, score__is_hidden=False)
        # Only what every post needs is joined (see CommunityPostQuerySet.with_listing_data).
        .select_related("author", "score", "score__blog")
        .prefetch_related("tags", "score__community")
    )
    if community is not None:
        posts = posts.filter(score__community=community)
    if tag:
        posts = posts.filter(tagged_items__tag__slug=tag)
    if min_votes:
        posts = posts.filter(score__vote_count__gte=min_votes)
    if min_score is not None:
        posts = posts.filter(score__score__gte=min_score)
    window_delta = WINDOWS.get(window, WINDOWS["all"])[1] if ranking == "top" else None
    if window_delta is not None:
        posts = posts.filter(score__published_at__gte=timezone.now() - window_delta)
    if exclude:
        posts = posts.exclude(pk__in=list(exclude))
    if image_spec:
        # Images with their renditions in two queries, whatever the number of posts.
        images = get_image_model().objects.prefetch_renditions(image_spec)
        posts = posts.prefetch_related(Prefetch("header_image", queryset=images))
    else:
        posts = posts.prefetch_related("header_image")
    return posts.order_by(*RANKINGS.get(ranking, RANKINGS["hot"])[1], "-pk")


def posts_by_ids(ids, image_spec=None):
    """The posts with these IDs (still eligible), in the given order, in one query."""
    if not ids:
        return []
    posts = ranked_posts("new", image_spec=image_spec).filter(pk__in=list(ids))
    by_id = {post.pk: post for post in posts}
    return [by_id[pk] for pk in ids if pk in by_id]
