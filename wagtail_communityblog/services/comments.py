"""Comments under posts: writing, editing, deleting, recommending, reporting, moderating, and
who hears about new ones.

Every write is one transaction. The post's visible-comment count on ``PostScore`` is recounted
in the database (one ``UPDATE`` with a subquery) after any change that could alter it, so it
never drifts, whatever races; a comment's recommendation and report counts likewise.
"""

from dataclasses import dataclass, field
from functools import cached_property

from django.core import signing
from django.db import IntegrityError, transaction
from django.db.models import Count, IntegerField, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from wagtail.log_actions import log

from ..cache import rankings_changed
from ..conf import app_settings
from ..links import login_url_for
from ..models import (
    Comment,
    CommentFlag,
    CommentPreferences,
    CommentRecommendation,
    CommentSubscription,
    CommunityPostPage,
    PostScore,
)
from ..models.comments import VISIBLE
from ..ranking import wilson_lower_bound
from ..sanitize import clean_comment_html
from .members import blogging_refusal, is_suspended_id

CURATE_PERMISSION = "wagtail_communityblog.curate_community"
UNSUBSCRIBE_SALT = "wagtail_communityblog.comment_unsubscribe"
SORTS = ("oldest", "newest", "best")


class CommentError(Exception):
    """An action that cannot be done; ``status`` is the HTTP status a view should answer."""

    def __init__(self, message, status=400):
        super().__init__(message)
        self.status = status


def can_moderate(user):
    return bool(user and user.is_authenticated and user.is_active) and user.has_perm(
        CURATE_PERMISSION
    )


# Who may do what -------------------------------------------------------------------------


def commenting_refusal(post, user):
    """Return why ``user`` may not comment on ``post`` (a ``CommentError``), or ``None``."""
    if not app_settings.COMMENTS_ENABLED:
        return CommentError(_("Comments are turned off on this site."), 404)
    if not post.live:
        return CommentError(_("There is no such post to comment on."), 404)
    if user is None or not user.is_authenticated:
        return CommentError(_("Log in to join the discussion."), 403)
    refusal = blogging_refusal(user)
    if refusal:
        return CommentError(refusal, 403)
    if is_suspended_id(user.pk):
        return CommentError(_("Your account is suspended: you cannot comment."), 403)
    score = PostScore.objects.filter(pk=post.pk).values_list("comments_closed", flat=True).first()
    if score:
        return CommentError(_("Comments on this post are closed."), 403)
    return None


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


def can_edit(comment, user, now=None):
    """May ``user`` still edit ``comment``? Its author, within the edit window."""
    if user is None or not user.is_authenticated or comment.author_id != user.pk:
        return False
    if comment.is_removed or comment.status == Comment.STATUS_REJECTED:
        return False
    now = now or timezone.now()
    return comment.created_at > now - app_settings.COMMENT_EDIT_WINDOW


def can_close(post, user):
    """The post's author and editors may close (and reopen) its comments."""
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    return post.author_id == user.pk or can_moderate(user)


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
    body = _clean(text)
    reply_to = None
    depth = 0
    if parent is not None:
        if parent.post_id != post.pk or not parent.is_visible:
            raise CommentError(_("That comment cannot be replied to."), 404)
        reply_to = parent
        max_depth = app_settings.COMMENT_MAX_DEPTH
        while parent is not None and parent.depth >= max_depth:
            parent = parent.parent
        depth = parent.depth + 1 if parent is not None else 0
    status = Comment.STATUS_PENDING if needs_moderation(user) else Comment.STATUS_APPROVED
    with transaction.atomic():
        comment = Comment.objects.create(
            post=post,
            author=user,
            parent=parent,
            reply_to=reply_to,
            depth=depth,
            body=body,
            status=status,
        )
        if preferences_for(user).follow_commented:
            CommentSubscription.objects.bulk_create(
                [CommentSubscription(post=post, user=user, active=True)], ignore_conflicts=True
            )
        if status == Comment.STATUS_APPROVED:
            _published(comment)
    return comment


def _published(comment):
    """A comment has become visible: recount, and tell the thread's followers."""
    recount_comments([comment.post_id])
    comment_id = comment.pk
    transaction.on_commit(lambda: notify_new_comment(comment_id))


def edit_comment(comment, user, text):
    if not can_edit(comment, user):
        raise CommentError(
            _("You can edit a comment only for %(minutes)d minutes after writing it.")
            % {"minutes": app_settings.COMMENT_EDIT_WINDOW.total_seconds() // 60},
            403,
        )
    if is_suspended_id(user.pk):
        raise CommentError(_("Your account is suspended: you cannot comment."), 403)
    comment.body = _clean(text)
    comment.edited_at = timezone.now()
    comment.save(update_fields=["body", "edited_at"])
    return comment


def delete_comment(comment, by, *, as_editor=False):
    """Delete ``comment``: its row goes, unless replies hang off it, when it stays empty
    ("comment deleted") so the replies keep their place. Returns True if the row went."""
    if not as_editor and (by is None or comment.author_id != by.pk):
        raise CommentError(_("You can delete only your own comments."), 403)
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
    if is_suspended_id(user.pk):
        raise CommentError(_("Your account is suspended."), 403)
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
    if is_suspended_id(user.pk):
        raise CommentError(_("Your account is suspended."), 403)
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
            open_reports = CommentFlag.objects.filter(
                comment=comment, status=CommentFlag.STATUS_OPEN
            ).count()
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


def preferences_for(user):
    """The member's notification defaults (unsaved defaults when they never chose)."""
    prefs = CommentPreferences.objects.filter(user_id=user.pk).first()
    return prefs or CommentPreferences(user_id=user.pk)


def is_following(post, user):
    row = CommentSubscription.objects.filter(post=post, user=user).first()
    if row is not None:
        return row.active
    return post.author_id == user.pk and preferences_for(user).follow_own_posts


def set_following(post, user, active):
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
    """Queue one e-mail per follower of the comment's thread (background tasks)."""
    from ..tasks import send_comment_notification

    comment = Comment.objects.filter(pk=comment_id).select_related("post").first()
    if comment is None or not comment.is_visible:
        return
    for user_id in followers(comment.post, exclude_user_id=comment.author_id):
        send_comment_notification.enqueue(user_id, comment_id)


def unsubscribe_token(user_id, post_id):
    return signing.dumps([user_id, post_id], salt=UNSUBSCRIBE_SALT, compress=True)


def read_unsubscribe_token(token):
    """Return ``(user_id, post_id)`` from a token, or raise ``CommentError`` (404)."""
    try:
        user_id, post_id = signing.loads(token, salt=UNSUBSCRIBE_SALT)
        return int(user_id), int(post_id)
    except (signing.BadSignature, ValueError, TypeError):
        raise CommentError(_("This unsubscribe link is not valid."), 404) from None


# Reading a thread --------------------------------------------------------------------------


@dataclass
class Node:
    """A comment as one reader sees it, with the replies they see."""

    comment: Comment
    shown: bool  # False: a placeholder ("comment deleted") holding replies up
    replies: list = field(default_factory=list)
    recommended: bool = False
    editable: bool = False
    reply_to_name: str = ""

    @property
    def pk(self):
        return self.comment.pk

    @cached_property
    def urls(self):
        """The comment's action URLs (reply, edit, delete, recommend, flag)."""
        return comment_urls(self.comment.pk)

    @property
    def reply_label(self):
        return _("Reply to %(name)s") % {"name": self.comment.author_name}

    @property
    def placeholder_label(self):
        comment = self.comment
        if comment.is_removed:
            return _("Comment deleted")
        if comment.is_hidden:
            return _("Comment hidden by the editors")
        if comment.status == Comment.STATUS_PENDING:
            return _("Comment awaiting moderation")
        return _("Comment removed by the editors")

    @property
    def awaiting_moderation(self):
        return self.shown and self.comment.status == Comment.STATUS_PENDING


COMMENT_ROUTES = ("reply", "edit", "delete", "recommend", "flag")
_URL_PLACEHOLDER = 987654321


def comment_urls(comment_id):
    """Each comment action's URL for ``comment_id``.

    Reversing a URL costs more than rendering the rest of a comment, and a long discussion has
    five per comment: each route is reversed once (per URL configuration, script prefix and
    language, for sites that mount the URLs in ``i18n_patterns``) and the id substituted.
    """
    from django.conf import settings
    from django.urls import get_script_prefix, get_urlconf
    from django.utils.translation import get_language

    key = (get_urlconf() or settings.ROOT_URLCONF, get_script_prefix(), get_language())
    templates = _URL_TEMPLATES.get(key)
    if templates is None:
        templates = _URL_TEMPLATES[key] = {
            route: reverse(
                f"wagtail_communityblog:comment_{route}",
                kwargs={"comment_id": _URL_PLACEHOLDER},
            )
            for route in COMMENT_ROUTES
        }
    segment = f"/{comment_id}/"
    return {
        route: url.replace(f"/{_URL_PLACEHOLDER}/", segment) for route, url in templates.items()
    }


_URL_TEMPLATES = {}


def requested_sort(request):
    sort = request.GET.get("comments", "oldest")
    return sort if sort in SORTS else "oldest"


def build_thread(post, user=None, sort="oldest", now=None):
    """The post's discussion for ``user``, as a list of top-level ``Node``\\s.

    Three queries at most whatever the number of comments: the comments (with authors), and for
    a logged-in reader their recommendations. Pending comments show to their author only;
    comments nobody may see stay as placeholders only where replies hang off them.
    """
    viewer_id = user.pk if user is not None and user.is_authenticated else None
    comments = list(
        Comment.objects.filter(post_id=post.pk)
        .select_related("author")
        .order_by("created_at", "pk")
    )
    recommended = set()
    if viewer_id is not None and comments:
        recommended = set(
            CommentRecommendation.objects.filter(
                user_id=viewer_id, comment__post_id=post.pk
            ).values_list("comment_id", flat=True)
        )
    now = now or timezone.now()
    by_id = {}
    for comment in comments:
        shown = comment.is_visible or (
            comment.author_id is not None
            and comment.author_id == viewer_id
            and comment.status == Comment.STATUS_PENDING
            and not comment.is_hidden
            and not comment.is_removed
        )
        by_id[comment.pk] = Node(
            comment,
            shown,
            recommended=comment.pk in recommended,
            editable=shown and can_edit(comment, user, now) if viewer_id else False,
        )
    roots = []
    for node in by_id.values():
        comment = node.comment
        if comment.reply_to_id and comment.reply_to_id != comment.parent_id:
            target = by_id.get(comment.reply_to_id)
            node.reply_to_name = target.comment.author_name if target and target.shown else ""
        parent = by_id.get(comment.parent_id) if comment.parent_id else None
        (parent.replies if parent is not None else roots).append(node)
    return _prune_and_sort(roots, sort)


def _prune_and_sort(nodes, sort):
    kept = []
    for node in nodes:
        node.replies = _prune_and_sort(node.replies, sort)
        if node.shown or node.replies:
            kept.append(node)
    if sort == "newest":
        kept.sort(key=lambda n: (n.comment.created_at, n.pk), reverse=True)
    elif sort == "best":
        kept.sort(key=lambda n: (-n.comment.best, -n.comment.recommend_count, n.comment.created_at))
    return kept


def count_nodes(nodes):
    return sum(1 + count_nodes(node.replies) for node in nodes if node.shown) + sum(
        count_nodes(node.replies) for node in nodes if not node.shown
    )


def thread_context(request, post):
    """What the post page's discussion needs, in a fixed number of queries."""
    if not app_settings.COMMENTS_ENABLED or not post.pk:
        return {"comments_enabled": False}
    user = getattr(request, "user", None)
    sort = requested_sort(request)
    nodes = build_thread(post, user, sort)
    score = getattr(post, "score", None) if post.live else None
    closed = bool(score and score.comments_closed)
    context = {
        "comments_enabled": True,
        "comment_nodes": nodes,
        "comment_sort": sort,
        "comment_sorts": [
            ("oldest", _("Oldest")),
            ("newest", _("Newest")),
            ("best", _("Best")),
        ],
        "comments_closed": closed,
        "comment_count": score.comment_count if score else 0,
        "comment_max_length": app_settings.COMMENT_MAX_LENGTH,
        "comment_login_url": login_url_for(f"{post.get_url(request) or '/'}#comments"),
        "can_comment": False,
        "can_close_comments": False,
        "following_comments": False,
    }
    if user is not None and user.is_authenticated and post.live:
        if closed:
            refusal = _("Comments on this post are closed.")
        elif is_suspended_id(user.pk):
            refusal = _("Your account is suspended: you cannot comment.")
        else:
            refusal = blogging_refusal(user)
        context["comment_refusal"] = refusal or ""
        context["can_comment"] = not refusal
        context["can_close_comments"] = can_close(post, user)
        context["following_comments"] = is_following(post, user)
    return context


# Accounts ----------------------------------------------------------------------------------


def member_leaving(user):
    """Deal with a leaving member's comments per ``ON_MEMBER_DELETE``, before their account
    goes: ``"delete"`` removes them (emptied where replies hang off them); ``"keep"`` lets
    them stay under a "former member" byline (the author link is set to null)."""
    post_ids = set(Comment.objects.filter(author=user).values_list("post_id", flat=True))
    recommended = list(
        CommentRecommendation.objects.filter(user=user).values_list("comment_id", flat=True)
    )
    user._communityblog_recommended_comments = recommended
    if app_settings.ON_MEMBER_DELETE == "delete":
        with transaction.atomic():
            # Newest first, so replies go before the comments they answer.
            for comment in Comment.objects.filter(author=user).order_by("-depth", "-pk"):
                fresh = Comment.objects.filter(pk=comment.pk).first()
                if fresh is not None:
                    _remove(fresh)
    recount_comments(post_ids)


def member_gone(user):
    """After the account (and its recommendations) went: recount what it had recommended."""
    recount_reactions(getattr(user, "_communityblog_recommended_comments", []))
