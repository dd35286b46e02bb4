"""Purging a caching proxy or CDN through Wagtail's ``wagtail.contrib.frontend_cache``.

Anonymous readers' pages are kept by a shared cache (``http_caching.py``). When something an
editor or the readers did changes what such a page shows, the pages that show it are purged:

- a post published, unpublished, promoted by the readers' votes, pinned, unpinned, hidden,
  unhidden or re-upped: the post, its blog (and the blog's feeds), the community section (its
  listing, directory and feeds), the post's tag pages, and every page with a promoted-posts
  block;
- a member suspended or their suspension lifted: the same for each of their posts.

A vote alone purges nothing: scores on cached pages may be ``WAGTAIL_COMMUNITYBLOG_CACHE_MAX_AGE``
seconds old. The purge runs as a task (the worker makes the proxy's HTTP calls, not the
request), and only when the site configures ``WAGTAILFRONTENDCACHE``.
"""

from django.conf import settings
from django.db.models import Q, TextField
from django.db.models.functions import Cast
from wagtail import blocks as wagtail_blocks
from wagtail.contrib.frontend_cache.utils import PurgeBatch
from wagtail.fields import StreamField
from wagtail.models import get_page_models

from . import signals
from .models import CommunityMember, CommunityPostPage, PostScore

# By name: the services queue this module's task, and must not depend on the blocks.
PROMOTED_BLOCK = "wagtail_communityblog.blocks.PromotedPostsBlock"


def is_promoted_block(block):
    """A ``PromotedPostsBlock``, or a site's subclass of it."""
    return any(
        f"{cls.__module__}.{cls.__qualname__}" == PROMOTED_BLOCK for cls in type(block).__mro__
    )


def enabled():
    return bool(
        getattr(settings, "WAGTAILFRONTENDCACHE", None)
        or getattr(settings, "WAGTAILFRONTENDCACHE_LOCATION", None)
    )


def holds_promoted_block(block):
    """Whether ``block`` is a promoted-posts block or holds one at any depth (in a
    ``StreamBlock``, a ``StructBlock`` or a ``ListBlock``)."""
    if is_promoted_block(block):
        return True
    children = list((getattr(block, "child_blocks", None) or {}).values())
    if isinstance(block, wagtail_blocks.ListBlock):
        children.append(block.child_block)
    return any(holds_promoted_block(child) for child in children)


def promoted_block_names(stream_block):
    """The names of a StreamField's top-level blocks that are, or hold, a promoted-posts
    block: each is stored with its ``"type"``, which finds the pages that use it."""
    return {
        name for name, child in stream_block.child_blocks.items() if holds_promoted_block(child)
    }


def pages_with_promoted_blocks():
    """Every live page whose StreamFields hold a promoted-posts block."""
    pages = []
    for model in get_page_models():
        for field in model._meta.local_fields:
            if not isinstance(field, StreamField):
                continue
            names = promoted_block_names(field.stream_block)
            if not names:
                continue
            match = Q()
            for name in names:
                match |= Q(_communityblog_text__contains=f'"type": "{name}"')
            candidates = (
                model.objects.live()
                .annotate(_communityblog_text=Cast(field.name, TextField()))
                .filter(match)
            )
            pages += list(candidates.defer_streamfields())
    return pages


def purge_posts(post_ids):
    """Purge what shows these posts (see the module's docstring); return the URLs purged."""
    if not enabled() or not post_ids:
        return []
    batch = PurgeBatch()
    scores = PostScore.objects.filter(pk__in=post_ids).select_related("post", "blog", "community")
    tags = {}
    for score in scores:
        batch.add_page(score.post)
        if score.blog is not None:
            batch.add_page(score.blog)
        if score.community is not None:
            tags.setdefault(score.community, set()).update(
                score.post.tags.values_list("slug", flat=True)
            )
    for community, slugs in tags.items():
        batch.add_page(community)
        url = community.get_full_url()
        for slug in sorted(slugs) if url else ():
            batch.add_urls(
                [f"{url}tag/{slug}/", f"{url}tag/{slug}/feed/", f"{url}tag/{slug}/feed/atom/"]
            )
    batch.add_pages(pages_with_promoted_blocks())
    batch.purge()
    return sorted(batch.urls)


def queue_purge(post_ids):
    # At call time: the tasks import the services and this module (see tasks.py).
    from .tasks import purge_frontend_cache

    if enabled() and post_ids:
        purge_frontend_cache.enqueue(sorted(set(post_ids)))


def post_changed(sender, post=None, post_id=None, **kwargs):
    queue_purge([post.pk if post is not None else post_id])


def member_changed(sender, user, **kwargs):
    queue_purge(list(CommunityPostPage.objects.filter(author=user).values_list("pk", flat=True)))


def connect():
    """Called from the app's ``ready()``. The package's signals are sent after commit."""
    for signal in (
        signals.post_published,
        signals.post_unpublished,
        signals.post_promoted,
        signals.post_curated,
    ):
        signal.connect(post_changed, sender=CommunityPostPage, dispatch_uid=f"purge-{id(signal)}")
    for signal in (signals.member_suspended, signals.member_unsuspended):
        signal.connect(member_changed, sender=CommunityMember, dispatch_uid=f"purge-{id(signal)}")
