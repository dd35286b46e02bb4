"""Keep a post's ``PostScore`` row in step with its page: where it lives, whether it is listed."""

from django.db import transaction
from django.db.models import F

from ..conf import app_settings
from ..models import CommunityPostPage, MemberBlogPage, PostScore
from ..ranking import time_score
from ..scoring import hot_expression
from .members import is_suspended


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
            is_listed=bool(post.live and blog is not None) and not is_suspended(post.author),
        )
        PostScore.objects.filter(pk=post.pk, published_at__isnull=True).update(
            published_at=published_at, rank_time=published_at
        )
        set_rank_time(post.pk)
    return PostScore.objects.get(pk=post.pk)


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
