"""Signal receivers, connected in ``AppConfig.ready()`` (this module is imported there, once
the models are loaded). Each receiver hands the event to one service."""

from datetime import timedelta

from django.conf import settings
from django.db.models.signals import post_delete, post_save, pre_delete
from wagtail.models import Page, PageViewRestriction
from wagtail.signals import (
    page_published,
    page_unpublished,
    post_page_move,
    workflow_approved,
    workflow_rejected,
)

from . import signals
from .cache import rankings_changed
from .links import dashboard_url_for, page_full_url
from .models import CommunityMember, CommunityPostPage, MemberBlogPage
from .services import activitypub as federation
from .services import deliveries, follows
from .services.listing import refresh_listed, sync_post_score
from .services.members import member_leaving


def first_publication(post):
    """Is this the post's first publication (not an edit published again)?"""
    first, last = post.first_published_at, post.last_published_at
    return first is not None and last is not None and last - first < timedelta(minutes=1)


def post_published_or_unpublished(sender, instance, signal, **kwargs):
    """Whoever published or unpublished it (its author, an editor, a workflow's approval)."""
    sync_post_score(instance)
    rankings_changed()
    if signal is page_published and first_publication(instance):
        follows.post_published(instance)
    if signal is page_published:
        federation.post_published(instance)
    else:
        federation.post_withdrawn(instance)
    public = signals.post_published if signal is page_published else signals.post_unpublished
    signals.send_on_commit(public, sender, post=instance, author=instance.author)


def page_moved(sender, instance, **kwargs):
    if issubclass(sender, CommunityPostPage):
        sync_post_score(instance)
    elif issubclass(sender, MemberBlogPage):
        # A blog moved to another community takes its posts along.
        MemberBlogPage.objects.filter(pk=instance.pk).update(community_id=instance.get_parent().pk)
        for post in CommunityPostPage.objects.child_of(instance):
            sync_post_score(post)
    else:
        # A section holding communities moved, perhaps under a private page, or out of one.
        posts = CommunityPostPage.objects.descendant_of(instance)
        if not posts.exists():
            return
        refresh_listed(posts)
    rankings_changed()


def view_restriction_changed(sender, instance, **kwargs):
    """A page was made private or public again: the posts at or below it join or leave the
    listings and rankings (``PostScore.is_listed`` means live *and public*)."""
    page = Page.objects.filter(pk=instance.page_id).first()
    if page is None:
        return  # Deleted with its page (and the posts below it).
    posts = CommunityPostPage.objects.descendant_of(page, inclusive=True)
    if posts.exists():
        refresh_listed(posts)
        rankings_changed()


def member_deleted(sender, instance, **kwargs):
    """A user account is being deleted: the package's part of it, before the row goes."""
    member_leaving(instance)


def moderation_decided(sender, instance, user=None, **kwargs):
    """Tell the member what an editor decided about their waiting post (by e-mail, as a task)."""
    post = instance.content_object
    post = post.specific if post is not None else None
    if not isinstance(post, CommunityPostPage) or post.author_id is None:
        return
    approved = instance.status == instance.STATUS_APPROVED
    task_state = instance.current_task_state
    comment = task_state.specific.get_comment() if task_state else ""
    context = {
        "title": post.get_latest_revision_as_object().title,
        "url": page_full_url(post),
        "comment": str(comment or ""),
        "dashboard_url": dashboard_url_for(post),
    }
    template = "post_approved" if approved else "post_rejected"
    deliveries.queue(
        "member",
        f"moderation:{instance.pk}:{template}",
        post.author_id,
        f"wagtail_communityblog/emails/{template}",
        context,
    )


def blog_saved(sender, instance, **kwargs):
    """Everyone with a blog is a community member the editors can see and suspend."""
    if instance.member_id:
        CommunityMember.objects.get_or_create(user_id=instance.member_id)


def register_signal_handlers():
    page_published.connect(
        post_published_or_unpublished,
        sender=CommunityPostPage,
        dispatch_uid="wagtail_communityblog_post_published",
    )
    page_unpublished.connect(
        post_published_or_unpublished,
        sender=CommunityPostPage,
        dispatch_uid="wagtail_communityblog_post_unpublished",
    )
    post_page_move.connect(page_moved, dispatch_uid="wagtail_communityblog_page_moved")
    for signal_name, signal in (("saved", post_save), ("deleted", post_delete)):
        signal.connect(
            view_restriction_changed,
            sender=PageViewRestriction,
            dispatch_uid=f"wagtail_communityblog_view_restriction_{signal_name}",
        )
    post_save.connect(
        blog_saved, sender=MemberBlogPage, dispatch_uid="wagtail_communityblog_blog_saved"
    )
    workflow_approved.connect(
        moderation_decided, dispatch_uid="wagtail_communityblog_workflow_approved"
    )
    workflow_rejected.connect(
        moderation_decided, dispatch_uid="wagtail_communityblog_workflow_rejected"
    )
    pre_delete.connect(
        member_deleted,
        sender=settings.AUTH_USER_MODEL,
        dispatch_uid="wagtail_communityblog_member_deleted",
    )
