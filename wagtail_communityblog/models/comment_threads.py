"""A post's discussion as readers see it: the thread, and who may do what in it.

Reads only (a fixed number of queries per page); the writes are in ``services/comments.py``.
"""

from dataclasses import dataclass, field
from functools import cached_property

from django.conf import settings
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from ..adapter import get_adapter
from ..conf import app_settings
from ..errors import CommentError
from ..links import login_url_for
from .comments import Comment, CommentPreferences, CommentRecommendation, CommentSubscription
from .curation import can_curate
from .members import SUSPENSION_STOPS, is_suspended_id
from .scores import PostScore

SORTS = ("oldest", "newest", "best")


# Editors who curate the community moderate its comments.
can_moderate = can_curate


def commenting_refusal(post, user, *, closed=None, suspended=None):
    """Return why ``user`` may not comment on ``post`` (a ``CommentError``), or ``None``.

    ``closed`` and ``suspended``: the post's and the reader's state when the caller has them
    already (otherwise one query each).
    """
    if not app_settings.COMMENTS_ENABLED:
        return CommentError(_("Comments are turned off on this site."), 404)
    if not post.live:
        return CommentError(_("There is no such post to comment on."), 404)
    if user is None or not user.is_authenticated:
        return CommentError(_("Log in to join the discussion."), 403)
    refusal = get_adapter().comment_refusal(user, post)
    if refusal:
        return CommentError(refusal, 403)
    if suspended is None:
        suspended = is_suspended_id(user.pk)
    if suspended:
        return CommentError(SUSPENSION_STOPS["comment"], 403)
    if closed is None:
        closed = PostScore.objects.filter(pk=post.pk).values_list("comments_closed", flat=True)
        closed = bool(closed.first())
    if closed:
        return CommentError(_("Comments on this post are closed."), 403)
    return None


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


def preferences_for(user):
    """The member's notification defaults (unsaved defaults when they never chose)."""
    prefs = CommentPreferences.objects.filter(user_id=user.pk).first()
    return prefs or CommentPreferences(user_id=user.pk)


def is_following(post, user):
    row = CommentSubscription.objects.filter(post=post, user=user).first()
    if row is not None:
        return row.active
    return post.author_id == user.pk and preferences_for(user).follow_own_posts


@dataclass
class Node:
    """A comment as one reader sees it, with the replies they see."""

    comment: Comment
    shown: bool  # False: a placeholder ("comment deleted") holding replies up
    replies: list = field(default_factory=list)
    recommended: bool = False
    editable: bool = False
    reply_to_name: str = ""
    # What the reader may do with it (the services check again when they do it).
    can_recommend: bool = False
    can_delete: bool = False
    can_report: bool = False

    @classmethod
    def for_viewer(cls, comment, user, *, shown=True, recommended=False, suspended=False, now=None):
        """The comment as ``user`` sees it, with the actions offered to them."""
        if user is None or not user.is_authenticated:
            return cls(comment, shown)
        own = comment.author_id == user.pk
        others = comment.is_visible and not own and not suspended
        return cls(
            comment,
            shown,
            recommended=recommended,
            editable=shown and can_edit(comment, user, now),
            can_recommend=others,
            can_delete=own and not comment.is_removed,
            can_report=others,
        )

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


def build_thread(post, user=None, sort="oldest", now=None, *, suspended=False):
    """The post's discussion for ``user``, as a list of top-level ``Node``\\s.

    Three queries at most whatever the number of comments: the comments (with authors), and for
    a logged-in reader their recommendations. Pending comments show to their author only;
    comments nobody may see stay as placeholders only where replies hang off them.
    """
    viewer_id = user.pk if user is not None and user.is_authenticated else None
    comments = list(
        Comment.objects.filter(post_id=post.pk)
        .select_related("author", "remote_actor__server")
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
        by_id[comment.pk] = Node.for_viewer(
            comment,
            user,
            shown=shown,
            recommended=comment.pk in recommended,
            suspended=suspended,
            now=now,
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
    reader = user is not None and user.is_authenticated
    suspended = reader and is_suspended_id(user.pk)
    nodes = build_thread(post, user, sort, suspended=suspended)
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
    if reader and post.live:
        refusal = commenting_refusal(post, user, closed=closed, suspended=suspended)
        context["comment_refusal"] = str(refusal or "")
        context["can_comment"] = refusal is None
        context["can_close_comments"] = can_close(post, user)
        context["following_comments"] = is_following(post, user)
    return context
