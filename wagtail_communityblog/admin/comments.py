"""Comments in the Wagtail admin: the listing's filters, the row actions and bulk actions.
Registered in ``wagtail_hooks.py``; every write goes through ``services.comments``."""

from urllib.parse import urlencode

import django_filters
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Prefetch, Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views import View
from wagtail.admin.filters import DateRangePickerWidget, WagtailFilterSet
from wagtail.admin.widgets import Button
from wagtail.snippets.bulk_actions.snippet_bulk_action import SnippetBulkAction
from wagtail.snippets.views.snippets import HistoryView

from ..models import Comment, CommentFlag, PostScore
from ..models.comment_threads import can_moderate
from ..services import comments as service
from .mixins import SafeNextMixin

INDEX_URL_NAME = "wagtail_communityblog_comments:list"


class CommentHistoryView(HistoryView):
    """A comment's audit log, for the editors who moderate (nobody may edit a comment here)."""

    any_permission_required = ["view"]


# action: (label, applies to the comment?)
COMMENT_ACTIONS = {
    "approve": (
        gettext_lazy("Approve"),
        lambda c: c.status != Comment.STATUS_APPROVED and not c.is_removed,
    ),
    "reject": (
        gettext_lazy("Reject"),
        lambda c: c.status == Comment.STATUS_PENDING,
    ),
    "hide": (gettext_lazy("Hide"), lambda c: not c.is_hidden and not c.is_removed),
    "unhide": (gettext_lazy("Unhide"), lambda c: c.is_hidden),
    "dismiss_reports": (
        gettext_lazy("Dismiss the reports"),
        lambda c: getattr(c, "open_reports", 0) > 0,
    ),
    "delete": (gettext_lazy("Delete"), lambda c: not c.is_removed),
    "close_thread": (
        gettext_lazy("Close the post's comments"),
        lambda c: not getattr(c, "thread_closed", False),
    ),
    "open_thread": (
        gettext_lazy("Reopen the post's comments"),
        lambda c: getattr(c, "thread_closed", False),
    ),
}


def perform(action, comment, user):
    if action == "approve":
        service.approve(comment, user)
    elif action == "reject":
        service.reject(comment, user)
    elif action == "hide":
        service.hide(comment, user)
    elif action == "unhide":
        service.unhide(comment, user)
    elif action == "dismiss_reports":
        service.dismiss_reports(comment, user)
    elif action == "delete":
        service.delete_comment(comment, user, as_editor=True)
    elif action in ("close_thread", "open_thread"):
        service.set_comments_closed(comment.post, user, action == "close_thread")
    else:
        raise Http404


def comments_queryset():
    """Comments with what the listing shows, in a fixed number of queries."""
    open_flags = (
        CommentFlag.objects.filter(status=CommentFlag.STATUS_OPEN)
        .select_related("user", "user__community_member")
        .order_by("-created_at")
    )
    return (
        Comment.objects.select_related("post", "author", "post__score", "remote_actor__server")
        .annotate(open_reports=Count("flags", filter=Q(flags__status=CommentFlag.STATUS_OPEN)))
        .prefetch_related(Prefetch("flags", queryset=open_flags, to_attr="open_flags"))
    )


class CommentFilterSet(WagtailFilterSet):
    show = django_filters.ChoiceFilter(
        label=gettext_lazy("Show"),
        empty_label=gettext_lazy("Latest comments"),
        choices=[
            ("pending", gettext_lazy("Awaiting moderation")),
            ("reported", gettext_lazy("Reported")),
            ("hidden", gettext_lazy("Hidden")),
        ],
        method="filter_show",
    )
    post = django_filters.NumberFilter(field_name="post_id", label=gettext_lazy("Post ID"))
    author = django_filters.CharFilter(
        field_name="author__username", lookup_expr="icontains", label=gettext_lazy("Author")
    )
    created_at = django_filters.DateFromToRangeFilter(
        label=gettext_lazy("Written between"), widget=DateRangePickerWidget
    )

    class Meta:
        model = Comment
        fields = ["show", "post", "author", "created_at"]

    def filter_show(self, queryset, name, value):
        if value == "pending":
            return queryset.filter(status=Comment.STATUS_PENDING, is_removed=False)
        if value == "reported":
            return queryset.filter(open_reports__gt=0).order_by("-open_reports", "-created_at")
        if value == "hidden":
            return queryset.filter(is_hidden=True)
        return queryset


class CommentActionView(SafeNextMixin, View):
    """Confirm (GET) and perform (POST) one moderation action on one comment."""

    index_url_name = INDEX_URL_NAME

    template_name = "wagtail_communityblog/admin/confirm_comment_action.html"

    def dispatch(self, request, pk, action):
        if not can_moderate(request.user):
            raise PermissionDenied
        if action not in COMMENT_ACTIONS:
            raise Http404
        self.comment = get_object_or_404(comments_queryset(), pk=pk)
        self.comment.thread_closed = PostScore.objects.filter(
            pk=self.comment.post_id, comments_closed=True
        ).exists()
        self.action = action
        self.label, applies = COMMENT_ACTIONS[action]
        if not applies(self.comment):
            # A stale page or a second click: say so rather than redo or undo something.

            message = _("%(action)s does not apply to this comment now.")
            messages.warning(request, message % {"action": self.label})
            return redirect(self.get_next_url())
        return super().dispatch(request)

    def get(self, request):
        return TemplateResponse(
            request,
            self.template_name,
            {
                "comment": self.comment,
                "action_label": self.label,
                "cancel_url": self.get_next_url(),
                "comment_url": self.comment.get_url(request),
            },
        )

    def post(self, request):
        try:
            perform(self.action, self.comment, request.user)
        except service.CommentError as error:
            messages.error(request, str(error))
        else:
            messages.success(
                request,
                _("%(action)s: comment by %(author)s on “%(title)s”.")
                % {
                    "action": self.label,
                    "author": self.comment.author_name,
                    "title": self.comment.post.title,
                },
            )
        return redirect(self.get_next_url())


class CommentBulkAction(SnippetBulkAction):
    """A moderation action on many comments at once, from Community > Comments."""

    models = [Comment]
    action_name = None
    template_name = "wagtail_communityblog/admin/confirm_comment_bulk_action.html"

    def check_perm(self, obj):
        return can_moderate(self.request.user)

    @classmethod
    def execute_action(cls, objects, user=None, **kwargs):
        done = 0
        for comment in objects:
            fresh = comments_queryset().filter(pk=comment.pk).first()
            if fresh is None:  # gone already, with a comment deleted before it
                continue
            if cls.action_name == "delete" or COMMENT_ACTIONS[cls.action_name][1](fresh):
                if fresh.is_removed and cls.action_name == "delete":
                    continue
                perform(cls.action_name, fresh, user)
                done += 1
        return done, 0

    def get_execution_context(self):
        return {**super().get_execution_context(), "user": self.request.user}

    def get_success_message(self, num_parent_objects, num_child_objects):
        return ngettext(
            "%(action)s: %(count)d comment.", "%(action)s: %(count)d comments.", num_parent_objects
        ) % {"action": self.display_name, "count": num_parent_objects}


def _bulk_action(name, priority):
    label = COMMENT_ACTIONS[name][0]
    return type(
        f"Comment{name.title().replace('_', '')}BulkAction",
        (CommentBulkAction,),
        {
            "display_name": label,
            "action_type": f"communityblog_comment_{name}",
            "aria_label": label,
            "action_name": name,
            "action_priority": priority,
        },
    )


COMMENT_BULK_ACTIONS = [
    _bulk_action(name, 100 + index)
    for index, name in enumerate(["approve", "reject", "hide", "unhide", "delete"])
]


def row_buttons(comment, user, next_url=None):
    """The row menu of a comment in the listing: the actions that apply, and the way to it."""
    if not can_moderate(user):
        return []
    query = f"?{urlencode({'next': next_url})}" if next_url else ""
    comment.thread_closed = bool(
        getattr(getattr(comment.post, "score", None), "comments_closed", False)
    )
    if not hasattr(comment, "open_reports"):
        comment.open_reports = CommentFlag.objects.filter(
            comment=comment, status=CommentFlag.STATUS_OPEN
        ).count()
    buttons = []
    url = comment.get_url()
    if url:
        buttons.append(Button(_("View on the site"), url=url, priority=5))
    buttons.append(
        Button(
            _("History"),
            url=reverse("wagtail_communityblog_comments:history", args=[comment.pk]),
            priority=90,
        )
    )
    for index, (action, (label, applies)) in enumerate(COMMENT_ACTIONS.items()):
        if applies(comment):
            buttons.append(
                Button(
                    label,
                    url=reverse("wagtail_communityblog_comments:action", args=[comment.pk, action])
                    + query,
                    priority=10 + index,
                )
            )
    return buttons
