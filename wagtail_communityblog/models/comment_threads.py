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
from ..links import login_url_for
from .comments import Comment, CommentPreferences, CommentRecommendation, CommentSubscription
from .members import is_suspended_id

CURATE_PERMISSION = "wagtail_communityblog.curate_community"


SORTS = ("oldest", "newest", "best")


def can_moderate(user):
    return bool(user and user.is_authenticated and user.is_active) and user.has_perm(
        CURATE_PERMISSION
    )


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
            refusal = get_adapter().blogging_refusal(user)
        context["comment_refusal"] = refusal or ""
        context["can_comment"] = not refusal
        context["can_close_comments"] = can_close(post, user)
        context["following_comments"] = is_following(post, user)
    return context
