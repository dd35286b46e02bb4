"""Members' writing journeys: their blog, and posts from draft to publication and back.

Posts are real Wagtail pages, saved and published through Wagtail's revision API, so search
indexing, page signals, the admin's history and workflows all see them. The member's right to
each action is checked by the caller (the views); these functions do the writes, each inside
one transaction.
"""

from django.db import transaction
from django.db.models import F
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from wagtail.actions.delete_page import DeletePageAction
from wagtail.actions.unpublish_page import UnpublishPageAction
from wagtail.models import Page, WorkflowState

from ..adapter import public_username
from ..errors import PostingError
from ..models import CommunityIndexPage, CommunityPostPage, MemberBlogPage
from ..models.members import suspension_refusal
from ..models.pages import RESERVED_BLOG_SLUGS, RESERVED_POST_SLUGS
from .images import create_image
from .moderation import latest_decision, needs_moderation, submit_for_moderation


def available_slug(parent, base, exclude_pk=None):
    """Return ``base`` or ``base-2``, ``base-3``... whichever no sibling under ``parent`` uses."""
    base = (slugify(base, allow_unicode=True) or "post")[:200]
    siblings = parent.get_children()
    if exclude_pk:
        siblings = siblings.exclude(pk=exclude_pk)
    taken = set(siblings.filter(slug__startswith=base).values_list("slug", flat=True))
    slug, number = base, 1
    while slug in taken or slug in _reserved_for(parent):
        number += 1
        slug = f"{base}-{number}"
    return slug


def _reserved_for(parent):
    if isinstance(parent.specific, CommunityIndexPage):
        return RESERVED_BLOG_SLUGS
    return RESERVED_POST_SLUGS


STALE_EDIT = gettext_lazy(
    "Someone changed this since you opened it (an editor, or you in another tab or window). "
    "Nothing of yours was saved: your text is below, with the version now saved beside it. "
    "Bring in what you want to keep and save again."
)


def claim_revision(page, base_version):
    """Check that ``page`` is still at the revision the member's form was opened on, and hold
    it until the transaction ends; raise a 409 ``PostingError`` if someone saved since.

    One conditional ``UPDATE`` (a compare-and-set on ``latest_revision``): it takes the page
    row's lock, so of two saves of the same form at once the second waits, then finds the
    revision moved. ``base_version`` ``None`` (a client that sent none) skips the check.
    """
    if base_version is None or page.pk is None:
        return
    claimed = Page.objects.filter(pk=page.pk, latest_revision_id=base_version or None).update(
        latest_revision_id=F("latest_revision_id")
    )
    if not claimed:
        raise PostingError(STALE_EDIT, 409)


def save_blog(
    member, *, community=None, blog=None, title, intro="", avatar_file=None, base_version=None
):
    """Create ``member``'s blog in ``community``, or update ``blog``; return the blog.

    ``base_version``: the blog's revision the member's form was opened on (see
    ``claim_revision``)."""
    refusal = suspension_refusal(member, "blog", PostingError)
    if refusal is not None:
        raise refusal
    with transaction.atomic():
        if blog is not None:
            claim_revision(blog, base_version)
        avatar = create_image(avatar_file, user=member) if avatar_file else None
        if blog is None:
            # Serialise blog creation in this community: the tree insert and the one-blog rule
            # are then decided one request at a time.
            community = CommunityIndexPage.objects.select_for_update().get(pk=community.pk)
            existing = MemberBlogPage.objects.filter(community=community, member=member).first()
            if existing is not None:
                raise PostingError(_("You already have a blog in this community."))
            blog = MemberBlogPage(
                title=title,
                intro=intro,
                avatar=avatar,
                owner=member,
                slug=available_slug(community, public_username(member)),
            )
            community.add_child(instance=blog)
        else:
            blog.title = title
            blog.intro = intro
            if avatar is not None:
                blog.avatar = avatar
        revision = blog.save_revision(user=member, log_action=True)
        revision.publish(user=member, skip_permission_checks=True)
    return blog


def save_post(member, *, blog, post=None, data, action):
    """Save a new or edited post as a draft, for preview, or publish it.

    ``data`` holds the cleaned form values (``title``, ``intro``, ``body``, ``tags``,
    ``header_image`` file or ``None``, and ``base_version``, the revision the form was opened
    on: see ``claim_revision``). Returns ``(post, outcome)``, where outcome is ``"draft"``,
    ``"preview"``, ``"published"`` or ``"submitted"`` (waiting for an editor).
    """
    refusal = suspension_refusal(member, "post", PostingError)
    if refusal is not None:
        raise refusal
    with transaction.atomic():
        if post is not None:
            claim_revision(post, data.get("base_version"))
        header_image = (
            create_image(data["header_image"], user=member) if data.get("header_image") else None
        )
        if post is None:
            post = CommunityPostPage(
                title=data["title"],
                slug=available_slug(blog, data["title"]),
                owner=member,
                author=member,
                live=False,
            )
            _apply(post, data, header_image)
            blog.add_child(instance=post)
        else:
            post.title = data["title"]
            _apply(post, data, header_image)
        revision = post.save_revision(user=member, log_action=True)
        if action != "publish":
            if action == "draft" and post.workflow_in_progress:
                # Editors must not approve words they have not seen: a post changed while
                # waiting goes back to draft until the member publishes it again.
                post.current_workflow_state.cancel(user=member)
            return post, ("preview" if action == "preview" else "draft")
        if needs_moderation(member):
            submit_for_moderation(post, member)
            return post, "submitted"
        revision.publish(user=member, skip_permission_checks=True)
    return post, "published"


def _apply(post, data, header_image):
    post.draft_title = data["title"]
    post.intro = data.get("intro", "")
    post.body = data["body"]
    if header_image is not None:
        post.header_image = header_image
    elif data.get("remove_header_image"):
        post.header_image = None
    post.tags.set(data.get("tags", []))


def unpublish_post(post, member):
    """Take a live post off the site (it stays as a draft the member can publish again)."""
    refusal = suspension_refusal(member, "post", PostingError)
    if refusal is not None:
        raise refusal
    if not post.live:
        raise PostingError(_("This post is not published."))
    UnpublishPageAction(post, user=member, include_descendants=False).execute(
        skip_permission_checks=True
    )


def delete_post(post, member):
    """Delete a post and its history, logged in Wagtail's audit log."""
    refusal = suspension_refusal(member, "post", PostingError)
    if refusal is not None:
        raise refusal
    # A plain Page instance: Wagtail 7.0's action re-dispatches a specific page to its Page and
    # loses ``skip_permission_checks`` on the way.
    page = Page.objects.get(pk=post.pk)
    DeletePageAction(page, user=member).execute(skip_permission_checks=True)


STATUS_LABELS = {
    "draft": gettext_lazy("Draft"),
    "awaiting_moderation": gettext_lazy("Awaiting moderation"),
    "changes_requested": gettext_lazy("Sent back by an editor"),
    "published": gettext_lazy("Published"),
    "published_with_changes": gettext_lazy("Published (unpublished changes)"),
    "unpublished": gettext_lazy("Unpublished"),
}


def post_status(post):
    """Return ``(status, editor_comment)`` for the member's dashboard."""
    decision, comment = latest_decision(post)
    if decision == WorkflowState.STATUS_IN_PROGRESS:
        return "awaiting_moderation", ""
    if decision == WorkflowState.STATUS_NEEDS_CHANGES:
        return "changes_requested", comment
    if post.live:
        status = "published_with_changes" if post.has_unpublished_changes else "published"
        return status, comment if decision == WorkflowState.STATUS_APPROVED else ""
    if post.first_published_at:
        return "unpublished", ""
    return "draft", ""
