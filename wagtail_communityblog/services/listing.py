"""Keep a post's ``PostScore`` row in step with its page, and read listings a page at a time."""

from django.db import transaction
from django.db.models import F
from wagtail.models import PageViewRestriction

from ..conf import app_settings
from ..models import CommunityMember, CommunityPostPage, MemberBlogPage, PostScore
from ..models.members import is_suspended
from ..ranking import time_score
from ..ranking_expressions import hot_expression


def sync_post_score(post):
    """Create or refresh ``post``'s score row from the page (never touches vote counts)."""
    post = post.specific if not isinstance(post, CommunityPostPage) else post
    parent = post.get_parent()
    blog = parent.specific if parent is not None else None
    if not isinstance(blog, MemberBlogPage):
        blog = None
    published_at = post.first_published_at
    with transaction.atomic():
        # Insert-if-missing then update: safe when two publishes of the same post race.
        PostScore.objects.bulk_create(
            [PostScore(post_id=post.pk, published_at=published_at, rank_time=published_at)],
            ignore_conflicts=True,
        )
        PostScore.objects.filter(pk=post.pk).update(
            community_id=blog.community_id if blog else None,
            blog_id=blog.pk if blog else None,
            author_id=post.author_id,
            is_listed=bool(post.live and blog is not None)
            and not is_suspended(post.author)
            and is_public(post),
        )
        PostScore.objects.filter(pk=post.pk, published_at__isnull=True).update(
            published_at=published_at, rank_time=published_at
        )
        set_rank_time(post.pk)
    return PostScore.objects.get(pk=post.pk)


def is_public(page):
    """No view restriction (password, log-in, groups) on ``page`` or any page above it."""
    steplen = page.steplen
    paths = [page.path[:end] for end in range(steplen, len(page.path) + 1, steplen)]
    return not PageViewRestriction.objects.filter(page__path__in=paths).exists()


def refresh_listed(posts):
    """Re-derive ``PostScore.is_listed`` for ``posts`` (a queryset of posts), in two UPDATEs:
    listed when live, public (no view restriction on the post or above it), in a member's
    blog, and by an author who is not suspended."""
    suspended = CommunityMember.objects.filter(is_suspended=True).values("user_id")
    eligible = (
        posts.live()
        .public()
        .filter(score__blog__isnull=False)
        .exclude(author__in=suspended)
        .values("pk")
    )
    with transaction.atomic():
        PostScore.objects.filter(post__in=posts.values("pk"), is_listed=True).exclude(
            post__in=eligible
        ).update(is_listed=False)
        PostScore.objects.filter(post__in=eligible, is_listed=False).update(is_listed=True)


def set_rank_time(post_id, rank_time=None):
    """Move (or, with no ``rank_time``, re-derive) where the post's "hot" clock starts."""
    with transaction.atomic():
        score = PostScore.objects.select_for_update().get(pk=post_id)
        if rank_time is not None:
            score.rank_time = rank_time
        PostScore.objects.filter(pk=post_id).update(
            rank_time=score.rank_time,
            time_score=time_score(score.rank_time, app_settings.HOT_TAU),
        )
        PostScore.objects.filter(pk=post_id).update(hot=hot_expression(F("score")))


def set_first_published_at(post, when):
    """Backdate a post's first publication (demo data, imports), keeping its ranking in step."""
    with transaction.atomic():
        CommunityPostPage.objects.filter(pk=post.pk).update(first_published_at=when)
        post.first_published_at = when
        sync_post_score(post)
        PostScore.objects.filter(pk=post.pk).update(published_at=when)
        set_rank_time(post.pk, when)
    return PostScore.objects.get(pk=post.pk)
