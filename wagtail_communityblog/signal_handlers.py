"""Signal receivers, connected in ``AppConfig.ready()``."""

from django.conf import settings
from django.db import transaction
from django.db.models.signals import post_delete, post_save, pre_delete
from wagtail.signals import (
    page_published,
    page_unpublished,
    post_page_move,
    workflow_approved,
    workflow_rejected,
)

from .conf import app_settings


def post_published_or_unpublished(sender, instance, signal, **kwargs):
    """Whoever published or unpublished it (its author, an editor, a workflow's approval)."""
    from . import signals
    from .cache import rankings_changed
    from .services.listing import sync_post_score

    sync_post_score(instance)
    rankings_changed()
    public = signals.post_published if signal is page_published else signals.post_unpublished
    signals.send_on_commit(public, sender, post=instance, author=instance.author)


def page_moved(sender, instance, **kwargs):
    from .cache import rankings_changed
    from .models import CommunityPostPage, MemberBlogPage
    from .services.listing import refresh_listed, sync_post_score

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
    from wagtail.models import Page

    from .cache import rankings_changed
    from .models import CommunityPostPage
    from .services.listing import refresh_listed

    page = Page.objects.filter(pk=instance.page_id).first()
    if page is None:
        return  # Deleted with its page (and the posts below it).
    posts = CommunityPostPage.objects.descendant_of(page, inclusive=True)
    if posts.exists():
        refresh_listed(posts)
        rankings_changed()


def member_deleted(sender, instance, **kwargs):
    """Delete a leaving member's blogs and posts, unless the site keeps them (``"keep"``)."""
    from .models import MemberBlogPage, Rating

    # Their votes go with the account (CASCADE); remember what they voted on, so the scores
    # are recomputed in the same transaction (see member_gone).
    instance._communityblog_voted_posts = list(
        Rating.objects.filter(user=instance).values_list("post_id", flat=True)
    )
    from .services.comments import member_leaving

    member_leaving(instance)
    if app_settings.ON_MEMBER_DELETE != "delete":
        return  # Foreign keys are SET_NULL: the pages stay, under a "former member" byline.
    with transaction.atomic():
        for blog in MemberBlogPage.objects.filter(member=instance):
            # Page.delete() removes the posts below too and keeps the page tree consistent.
            blog.delete()


def moderation_decided(sender, instance, user=None, **kwargs):
    """Tell the member what an editor decided about their waiting post (by e-mail, as a task)."""
    from .links import dashboard_url_for
    from .models import CommunityPostPage
    from .tasks import send_member_email

    post = instance.content_object
    post = post.specific if post is not None else None
    if not isinstance(post, CommunityPostPage) or post.author_id is None:
        return
    approved = instance.status == instance.STATUS_APPROVED
    task_state = instance.current_task_state
    comment = task_state.specific.get_comment() if task_state else ""
    context = {
        "title": post.get_latest_revision_as_object().title,
        "url": post.full_url or "",
        "comment": str(comment or ""),
        "dashboard_url": dashboard_url_for(post),
    }
    template = "post_approved" if approved else "post_rejected"
    author_id = post.author_id
    transaction.on_commit(
        lambda: send_member_email.enqueue(
            author_id, f"wagtail_communityblog/emails/{template}", context
        )
    )


def member_gone(sender, instance, **kwargs):
    from .services.ratings import recompute_posts

    recompute_posts(getattr(instance, "_communityblog_voted_posts", []))
    from .services.comments import member_gone as comments_member_gone

    comments_member_gone(instance)


def blog_saved(sender, instance, **kwargs):
    """Everyone with a blog is a community member the editors can see and suspend."""
    from .models import CommunityMember

    if instance.member_id:
        CommunityMember.objects.get_or_create(user_id=instance.member_id)


def register_signal_handlers():
    from .models import CommunityPostPage, MemberBlogPage

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
    from wagtail.models import PageViewRestriction

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
    post_delete.connect(
        member_gone,
        sender=settings.AUTH_USER_MODEL,
        dispatch_uid="wagtail_communityblog_member_gone",
    )
