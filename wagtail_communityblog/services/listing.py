"""Keep a post's ``PostScore`` row in step with its page: where it lives, whether it is listed."""

from django.db import transaction

from ..conf import app_settings
from ..models import CommunityPostPage, MemberBlogPage, PostScore
from ..ranking import hot
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
        score = PostScore.objects.select_for_update().get(pk=post.pk)
        score.community_id = blog.community_id if blog else None
        score.blog_id = blog.pk if blog else None
        score.author_id = post.author_id
        score.is_listed = bool(post.live and blog is not None) and not is_suspended(post.author)
        if score.published_at is None:
            score.published_at = published_at
        if score.rank_time is None:
            score.rank_time = published_at
        score.hot = hot(score.score, score.rank_time, tau=app_settings.HOT_TAU)
        score.save(
            update_fields=[
                "community",
                "blog",
                "author",
                "is_listed",
                "published_at",
                "rank_time",
                "hot",
                "updated_at",
            ]
        )
    return score


def set_first_published_at(post, when):
    """Backdate a post's first publication (demo data, imports), keeping its ranking in step."""
    CommunityPostPage.objects.filter(pk=post.pk).update(first_published_at=when)
    post.first_published_at = when
    score = sync_post_score(post)
    score.published_at = when
    score.rank_time = when
    score.hot = hot(score.score, when, tau=app_settings.HOT_TAU)
    score.save(update_fields=["published_at", "rank_time", "hot", "updated_at"])
    return score
