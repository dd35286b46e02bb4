"""Comments under posts: writing, editing, deleting, recommending, reporting, moderating, and
who hears about new ones.

Every write is one transaction. The post's visible-comment count on ``PostScore`` is recounted
in the database (one ``UPDATE`` with a subquery) after any change that could alter it, so it
never drifts, whatever races; a comment's recommendation and report counts likewise.
"""

import html as html_module
from datetime import UTC, datetime

from django.contrib.auth import get_user_model
from django.core import signing
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, IntegerField, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.html import strip_tags
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from wagtail.log_actions import log

from .. import signals
from ..cache import rankings_changed
from ..conf import app_settings
from ..errors import CommentError
from ..links import UNSUBSCRIBE_SALT
from ..models import (
    Comment,
    CommentFlag,
    CommentPreferences,
    CommentRecommendation,
    CommentSubscription,
    CommunityPostPage,
    PostScore,
)
from ..models.comment_threads import (
    can_close,
    can_edit,
    can_moderate,
    commenting_refusal,
    preferences_for,
)
from ..models.comments import VISIBLE
from ..models.curation import counted_reports
from ..models.members import suspension_refusal
from ..ranking import wilson_lower_bound
from ..sanitize import clean_comment_html, clean_federated_html
from . import deliveries

# Who may do what -------------------------------------------------------------------------


def needs_moderation(user):
    """Does a comment ``user`` writes now have to wait for an editor?"""
    mode = app_settings.COMMENT_MODERATION
    if mode == "none" or can_moderate(user):
        return False
    if mode == "all":
        return True
    # first_post: a member an editor has already let through (a comment or a post) is trusted.
    if Comment.objects.filter(author=user, status=Comment.STATUS_APPROVED).exists():
        return False
    return not CommunityPostPage.objects.filter(
        author=user, first_published_at__isnull=False
    ).exists()


# Members' writes ---------------------------------------------------------------------------


def _clean(text):
    text = text or ""
    if len(text) > app_settings.COMMENT_MAX_LENGTH:
        raise CommentError(
            _("A comment can be at most %(max)d characters long (it has %(length)d).")
            % {"max": app_settings.COMMENT_MAX_LENGTH, "length": len(text)}
        )
    body = clean_comment_html(text)
    if not body:
        raise CommentError(_("Write something first."))
    return body


def create_comment(post, user, text, parent=None):
    """Add ``user``'s comment to ``post`` (a reply when ``parent`` is given) and return it.

    Replies nest up to ``COMMENT_MAX_DEPTH``; a reply to a comment at the deepest level joins
    that comment's own thread, remembering whom it answers.
    """
    refusal = commenting_refusal(post, user)
    if refusal is not None:
        raise refusal
    return _add_comment(post, parent, _clean(text), needs_moderation(user), author=user)


def _add_comment(post, parent, body, held, *, author=None, **fields):
    """Save a comment (a member's, or with ``fields`` a reply from the fediverse) in its place
    in the thread, waiting for moderation if ``held``; tell whoever should hear of it."""
    parent, reply_to, depth = _thread_position(post, parent)
    status = Comment.STATUS_PENDING if held else Comment.STATUS_APPROVED
    with transaction.atomic():
        comment = Comment.objects.create(
            post=post,
            author=author,
            parent=parent,
            reply_to=reply_to,
            depth=depth,
            body=body,
            status=status,
            **fields,
        )
        if author is not None and preferences_for(author).follow_commented:
            CommentSubscription.objects.bulk_create(
                [CommentSubscription(post=post, user=author, active=True)], ignore_conflicts=True
            )
        if status == Comment.STATUS_APPROVED:
            _published(comment)
        signals.send_on_commit(
            signals.comment_posted, Comment, comment=comment, post=post, author=author
        )
    return comment


def _thread_position(post, parent):
    """Where a reply to ``parent`` goes: its thread parent, whom it answers, and its depth.
    Replies nest up to ``COMMENT_MAX_DEPTH``; deeper, they join the deepest comment's thread."""
    if parent is None:
        return None, None, 0
    if parent.post_id != post.pk or not parent.is_visible:
        raise CommentError(_("That comment cannot be replied to."), 404)
    reply_to = parent
    max_depth = app_settings.COMMENT_MAX_DEPTH
    while parent is not None and parent.depth >= max_depth:
        parent = parent.parent
    return parent, reply_to, parent.depth + 1 if parent is not None else 0


# Replies from the fediverse (ActivityPub) --------------------------------------------------


def remote_needs_moderation(actor):
    """Does a reply from this remote account wait for an editor? As a new member's would:
    always under ``"all"``, until one of its replies has been approved under ``"first_post"``,
    never under ``"none"``."""
    mode = app_settings.COMMENT_MODERATION
    if mode == "none":
        return False
    if mode == "all":
        return True
    return not Comment.objects.filter(remote_actor=actor, status=Comment.STATUS_APPROVED).exists()


def _clean_federated(html):
    # Markup beyond ten times the text a comment may hold is not a comment.
    if len(html) > 10 * app_settings.COMMENT_MAX_LENGTH:
        raise CommentError(
            _("A comment can be at most %(max)d characters long.")
            % {"max": app_settings.COMMENT_MAX_LENGTH},
            413,
        )
    body = clean_federated_html(html)
    length = len(html_module.unescape(strip_tags(body)))
    if length > app_settings.COMMENT_MAX_LENGTH:
        raise CommentError(
            _("A comment can be at most %(max)d characters long (it has %(length)d).")
            % {"max": app_settings.COMMENT_MAX_LENGTH, "length": length},
            413,
        )
    if not html_module.unescape(strip_tags(body)).strip():
        raise CommentError(_("The reply has no text."), 422)
    return body


def create_remote_comment(post, actor, html, remote_id, parent=None):
    """Record a reply from a remote account (its Note's HTML, ``remote_id`` its id) under
    ``post``; ``CommentError`` when comments are closed here or the text is unusable."""
    if not app_settings.COMMENTS_ENABLED or post.score.comments_closed:
        raise CommentError(_("Comments are closed on this post."), 403)
    return _add_comment(
        post,
        parent,
        _clean_federated(html),
        remote_needs_moderation(actor),
        remote_actor=actor,
        remote_id=remote_id,
    )


def edit_remote_comment(comment, html):
    """Replace a fediverse reply's text with its author's edit (``Update``)."""
    body = _clean_federated(html)
    if body == comment.body or comment.is_removed:
        return comment
    now = timezone.now()
    Comment.objects.filter(pk=comment.pk).update(body=body, edited_at=now)
    comment.body, comment.edited_at = body, now
    return comment


def remove_remote_comment(comment):
    """Remove a fediverse reply its author deleted (``Delete``)."""
    with transaction.atomic():
        gone = _remove(comment)
        recount_comments([comment.post_id])
    return gone


def _published(comment):
    """A comment has become visible: recount, and tell the thread's followers."""
    recount_comments([comment.post_id])
    comment_id = comment.pk
    transaction.on_commit(lambda: notify_new_comment(comment_id))


STALE_COMMENT = gettext_lazy(
    "You changed this comment in another tab or window since you opened it here. Nothing was "
    "saved: your text is below, with the saved comment above it. Save again to keep yours."
)


def edit_comment(comment, user, text, *, base_version=None):
    """Replace the text of ``user``'s own comment, within the edit window.

    ``base_version`` (the comment's ``version`` when the form was opened): the text is saved only if
    the comment is still at that version, in one conditional ``UPDATE``; otherwise a 409.
    ``None`` skips the check."""
    if not can_edit(comment, user):
        minutes = int(app_settings.COMMENT_EDIT_WINDOW.total_seconds() // 60)
        raise CommentError(
            ngettext(
                "You can edit a comment only for %(minutes)d minute after writing it.",
                "You can edit a comment only for %(minutes)d minutes after writing it.",
                minutes,
            )
            % {"minutes": minutes},
            403,
        )
    refusal = suspension_refusal(user, "comment", CommentError)
    if refusal is not None:
        raise refusal
    body, now = _clean(text), timezone.now()
    rows = Comment.objects.filter(pk=comment.pk)
    if base_version is not None:
        if base_version:
            seconds, micros = divmod(base_version, 1_000_000)
            try:
                edited = datetime.fromtimestamp(seconds, tz=UTC).replace(microsecond=micros)
            except (OverflowError, OSError, ValueError):
                raise CommentError(STALE_COMMENT, 409) from None
            rows = rows.filter(edited_at=edited)
        else:
            rows = rows.filter(edited_at__isnull=True)
    if not rows.update(body=body, edited_at=now):
        raise CommentError(STALE_COMMENT, 409)
    comment.body, comment.edited_at = body, now
    return comment


def delete_comment(comment, by, *, as_editor=False):
    """Delete ``comment``: its row goes, unless replies hang off it, when it stays empty
    ("comment deleted") so the replies keep their place. Returns True if the row went."""
    if not as_editor and (by is None or comment.author_id != by.pk):
        raise CommentError(_("You can delete only your own comments."), 403)
    refusal = None if as_editor else suspension_refusal(by, "comment", CommentError)
    if refusal is not None:
        raise refusal
    with transaction.atomic():
        if as_editor:
            log(
                instance=comment,
                action="wagtail_communityblog.comment_delete",
                user=by,
                data={"post_id": comment.post_id, "text": comment.body[:500]},
            )
        gone = _remove(comment)
        recount_comments([comment.post_id])
    return gone


def _remove(comment):
    if comment.children.exists():
        Comment.objects.filter(pk=comment.pk).update(is_removed=True, body="")
        comment.is_removed, comment.body = True, ""
        return False
    parent_id = comment.parent_id
    comment.delete()
    # An emptied comment whose last reply has just gone has nothing left to hold up.
    while parent_id is not None:
        parent = Comment.objects.filter(pk=parent_id, is_removed=True).first()
        if parent is None or parent.children.exists():
            break
        parent_id = parent.parent_id
        parent.delete()
    return True


def recommend(comment, user, value):
    """Recommend (``value`` 1) or withdraw a recommendation (0); return the new count."""
    if user is None or not user.is_authenticated:
        raise CommentError(_("Log in to recommend comments."), 403)
    if comment.author_id == user.pk:
        raise CommentError(_("You cannot recommend your own comment."), 403)
    if not comment.is_visible:
        raise CommentError(_("That comment cannot be recommended."), 404)
    refusal = suspension_refusal(user, "recommend", CommentError)
    if refusal is not None:
        raise refusal
    if value not in (0, 1):
        raise CommentError(_("A recommendation is 1 (recommend) or 0 (withdraw)."))
    with transaction.atomic():
        if value:
            CommentRecommendation.objects.bulk_create(
                [CommentRecommendation(comment=comment, user=user)], ignore_conflicts=True
            )
        else:
            CommentRecommendation.objects.filter(comment=comment, user=user).delete()
        return recount_reactions([comment.pk])[comment.pk][0]


def flag_comment(comment, user, reason):
    """Record a reader's report; enough open reports hide the comment until an editor decides."""
    reason = (reason or "").strip()
    if not reason:
        raise CommentError(_("Please say what is wrong with this comment."))
    if comment.author_id == user.pk:
        raise CommentError(_("You cannot report your own comment."), 403)
    refusal = suspension_refusal(user, "report", CommentError)
    if refusal is not None:
        raise refusal
    if comment.is_removed:
        raise CommentError(_("That comment has been deleted."), 404)
    with transaction.atomic():
        try:
            with transaction.atomic():
                flag = CommentFlag.objects.create(comment=comment, user=user, reason=reason[:1000])
        except IntegrityError:
            raise CommentError(_("You have already reported this comment."), 409) from None
        recount_reactions([comment.pk])
        threshold = app_settings.COMMENT_HIDE_THRESHOLD
        if threshold:
            open_reports = counted_reports(CommentFlag.objects.filter(comment=comment)).count()
            if open_reports >= threshold:
                hidden = Comment.objects.filter(pk=comment.pk, is_hidden=False).update(
                    is_hidden=True, hidden_by_reports=True
                )
                if hidden:
                    log(
                        instance=comment,
                        action="wagtail_communityblog.comment_auto_hide",
                        data={"reports": open_reports},
                    )
                    recount_comments([comment.post_id])
    return flag


def set_comments_closed(post, user, closed):
    if not can_close(post, user):
        raise CommentError(_("Only the post's author and the editors can do that."), 403)
    refusal = None if can_moderate(user) else suspension_refusal(user, "close", CommentError)
    if refusal is not None:
        raise refusal
    with transaction.atomic():
        updated = (
            PostScore.objects.filter(pk=post.pk)
            .exclude(comments_closed=closed)
            .update(comments_closed=closed)
        )
        if updated:
            log(
                instance=post,
                action="wagtail_communityblog.comments_closed"
                if closed
                else "wagtail_communityblog.comments_opened",
                user=user,
            )
    return bool(updated)


# Editors' decisions ------------------------------------------------------------------------


def _moderated(comment, by, action, **changes):
    changes.update(moderated_at=timezone.now(), moderated_by=by)
    Comment.objects.filter(pk=comment.pk).update(**changes)
    for name, value in changes.items():
        setattr(comment, name, value)
    log(
        instance=comment,
        action=f"wagtail_communityblog.comment_{action}",
        user=by,
        data={"post_id": comment.post_id},
    )


def approve(comment, by):
    """Let a waiting comment through; its thread's followers hear of it now."""
    with transaction.atomic():
        was_pending = comment.status == Comment.STATUS_PENDING
        _moderated(comment, by, "approve", status=Comment.STATUS_APPROVED)
        if was_pending and comment.is_visible:
            _published(comment)
        else:
            recount_comments([comment.post_id])


def reject(comment, by):
    with transaction.atomic():
        _moderated(comment, by, "reject", status=Comment.STATUS_REJECTED)
        resolve_reports(comment, by, CommentFlag.STATUS_ACTIONED)
        recount_comments([comment.post_id])


def hide(comment, by):
    with transaction.atomic():
        _moderated(comment, by, "hide", is_hidden=True, hidden_by_reports=False)
        resolve_reports(comment, by, CommentFlag.STATUS_ACTIONED)
        recount_comments([comment.post_id])


def unhide(comment, by):
    with transaction.atomic():
        _moderated(comment, by, "unhide", is_hidden=False, hidden_by_reports=False)
        recount_comments([comment.post_id])


def dismiss_reports(comment, by):
    """The reports were unfounded: close them, and undo an automatic hide."""
    with transaction.atomic():
        resolve_reports(comment, by, CommentFlag.STATUS_DISMISSED)
        changes = (
            {"is_hidden": False, "hidden_by_reports": False} if comment.hidden_by_reports else {}
        )
        _moderated(comment, by, "dismiss_reports", **changes)
        recount_reactions([comment.pk])
        recount_comments([comment.post_id])


def resolve_reports(comment, by, status):
    CommentFlag.objects.filter(comment=comment, status=CommentFlag.STATUS_OPEN).update(
        status=status, resolved_at=timezone.now(), resolved_by=by
    )


# Counts ------------------------------------------------------------------------------------


def recount_comments(post_ids):
    """Store each post's number of visible comments (one statement), and let cached blocks
    that show it know."""
    post_ids = list(post_ids)
    if not post_ids:
        return
    visible = (
        Comment.objects.filter(VISIBLE, post_id=OuterRef("pk"))
        .order_by()
        .values("post_id")
        .annotate(n=Count("pk"))
        .values("n")
    )
    PostScore.objects.filter(pk__in=post_ids).update(
        comment_count=Coalesce(Subquery(visible, output_field=IntegerField()), 0)
    )
    rankings_changed()


def recount_reactions(comment_ids):
    """Recount comments' recommendations and (not dismissed) reports, and their "best" score:
    the Wilson lower bound of recommendations against reports. Returns ``{id: (recs, reps)}``."""
    counts = {}
    rows = Comment.objects.filter(pk__in=comment_ids).annotate(
        recs=Count("recommendations", distinct=True),
        reps=Count("flags", filter=~Q(flags__status=CommentFlag.STATUS_DISMISSED), distinct=True),
    )
    for row in rows.values("pk", "recs", "reps"):
        best = wilson_lower_bound(row["recs"], row["reps"], app_settings.WILSON_Z)
        Comment.objects.filter(pk=row["pk"]).update(
            recommend_count=row["recs"], report_count=row["reps"], best=best
        )
        counts[row["pk"]] = (row["recs"], row["reps"])
    return counts


# Following a thread, and notifications -----------------------------------------------------


def set_following(post, user, active):
    """Follow a discussion by e-mail (``active``), or stop. Stopping is always possible, a
    suspended member included; starting is a write a suspension stops."""
    refusal = suspension_refusal(user, "follow", CommentError) if active else None
    if refusal is not None:
        raise refusal
    CommentSubscription.objects.update_or_create(
        post=post, user=user, defaults={"active": bool(active)}
    )


def followers(post, exclude_user_id=None):
    """Ids of the members to tell about a new comment on ``post``."""
    rows = dict(CommentSubscription.objects.filter(post=post).values_list("user_id", "active"))
    ids = {user_id for user_id, active in rows.items() if active}
    if post.author_id and post.author_id not in rows:
        prefs = CommentPreferences.objects.filter(user_id=post.author_id).first()
        if prefs is None or prefs.follow_own_posts:
            ids.add(post.author_id)
    ids.discard(exclude_user_id)
    return sorted(ids)


def notify_new_comment(comment_id):
    """Queue one e-mail per follower of the comment's thread (the outbox; background tasks)."""
    comment = Comment.objects.filter(pk=comment_id).select_related("post").first()
    if comment is None or not comment.is_visible:
        return
    with transaction.atomic():
        for user_id in followers(comment.post, exclude_user_id=comment.author_id):
            deliveries.queue("comment", f"comment:{comment_id}:to:{user_id}", user_id, comment_id)


def read_unsubscribe_token(token):
    """Return ``(user_id, post_id)`` from a token, or raise ``CommentError`` (404)."""
    try:
        user_id, post_id = signing.loads(token, salt=UNSUBSCRIBE_SALT)
        # The user model's own key type (an integer, or a UUID read back from its text).
        return get_user_model()._meta.pk.to_python(user_id), int(post_id)
    except (signing.BadSignature, ValidationError, ValueError, TypeError):
        raise CommentError(_("This unsubscribe link is not valid."), 404) from None


# Reading a thread --------------------------------------------------------------------------


# Accounts ----------------------------------------------------------------------------------


def member_leaving(user):
    """A member's account is about to be deleted (``members.member_leaving``): their
    recommendations and reports are deleted now and the comments they reacted to recounted;
    their own comments go (``ON_MEMBER_DELETE`` ``"keep_others"`` or ``"delete"``, emptied where
    replies hang off them) or stay under a "former member" byline (``"keep"``: the author link
    is set to null)."""
    post_ids = set(Comment.objects.filter(author=user).values_list("post_id", flat=True))
    reacted = set(
        CommentRecommendation.objects.filter(user=user).values_list("comment_id", flat=True)
    ) | set(CommentFlag.objects.filter(user=user).values_list("comment_id", flat=True))
    CommentRecommendation.objects.filter(user=user).delete()
    CommentFlag.objects.filter(user=user).delete()
    if app_settings.ON_MEMBER_DELETE in ("keep_others", "delete"):
        # Newest first, so replies go before the comments they answer.
        for comment in Comment.objects.filter(author=user).order_by("-depth", "-pk"):
            fresh = Comment.objects.filter(pk=comment.pk).first()
            if fresh is not None:
                _remove(fresh)
    recount_comments(post_ids)
    recount_reactions(reacted)
