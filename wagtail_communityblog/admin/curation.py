"""Wagtail admin views for community curation: post actions, reports, the Rescue report,
bulk actions and the dashboard summary. Registered in ``wagtail_hooks.py``."""

from datetime import timedelta
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views import View
from wagtail.admin.ui.components import Component
from wagtail.admin.views.reports import ReportView
from wagtail.admin.widgets import Button
from wagtail.log_actions import log
from wagtail.models import WorkflowState
from wagtail.snippets.bulk_actions.snippet_bulk_action import SnippetBulkAction

from ..conf import app_settings
from ..models import Comment, CommentFlag, CommunityPostPage, Flag, PostScore, Rating
from ..models.curation import can_curate
from ..services import curation
from ..services.members import suspend_member
from ..services.moderation import WORKFLOW_NAME
from ..services.posts import unpublish_post
from .mixins import SafeNextMixin


class CuratorOnlyMixin:
    """An admin view for curators only: refused (403) to everyone else, before anything runs;
    Wagtail's report views ask ``user_has_permission`` too."""

    def user_has_permission(self, permission):
        return can_curate(self.request.user)

    def dispatch(self, request, *args, **kwargs):
        if not can_curate(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)


class HideForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Reason (shown to the author)"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=1000,
    )


class SuspendForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Reason (shown to the member)"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=1000,
        required=False,
    )


POST_ACTIONS = {
    # action: (label, needs a form, function)
    "pin": (gettext_lazy("Pin to front page"), None),
    "unpin": (gettext_lazy("Unpin"), None),
    "hide": (gettext_lazy("Hide from promotion"), HideForm),
    "unhide": (gettext_lazy("Unhide"), None),
    "reup": (gettext_lazy("Re-up (fresh start in Hot)"), None),
}

REPORT_ACTIONS = {
    "dismiss": (gettext_lazy("Dismiss the reports"), None),
    "hide": (gettext_lazy("Hide from promotion"), HideForm),
    "unpublish": (gettext_lazy("Unpublish the post"), None),
    "suspend": (gettext_lazy("Suspend the author"), SuspendForm),
}


def perform_post_action(action, post, user, data=None):
    data = data or {}
    if action == "pin":
        curation.pin(post, user)
    elif action == "unpin":
        curation.unpin(post, user)
    elif action == "hide":
        curation.hide(post, user, data.get("reason", ""))
    elif action == "unhide":
        curation.unhide(post, user)
    elif action == "reup":
        curation.reup(post, user)
    else:
        raise Http404


def perform_report_action(action, post, user, data=None):
    data = data or {}
    if action == "dismiss":
        curation.dismiss_reports(post, user)
        return
    if action == "hide":
        curation.hide(post, user, data.get("reason", ""))
    elif action == "unpublish":
        # Curating does not grant page rights: unpublishing needs the editor's own permission.
        if not post.permissions_for_user(user).can_unpublish():
            raise PermissionDenied
        if post.live:
            unpublish_post(post, user)
    elif action == "suspend":
        if not user.has_perm("wagtail_communityblog.change_communitymember"):
            raise PermissionDenied
        if post.author is None:
            raise curation.CurationError(_("This post's author no longer has an account."))
        suspend_member(post.author, by=user, reason=data.get("reason", ""))
    else:
        raise Http404
    curation.resolve_reports(post, user, Flag.STATUS_ACTIONED)
    log(
        instance=post,
        action="wagtail_communityblog.act_on_reports",
        user=user,
        data={"action": action},
    )


class CurationActionView(SafeNextMixin, View):
    """Confirm (GET) and perform (POST) one curation action on one post."""

    actions = POST_ACTIONS
    perform = staticmethod(perform_post_action)
    index_url_name = "wagtail_communityblog_posts:list"
    template_name = "wagtail_communityblog/admin/confirm_action.html"

    def dispatch(self, request, pk, action):
        if not can_curate(request.user):
            raise PermissionDenied
        if action not in self.actions:
            raise Http404
        self.post_page = get_object_or_404(
            CommunityPostPage.objects.select_related("author"), pk=pk
        )
        self.action = action
        self.label, form_class = self.actions[action]
        self.form = form_class(request.POST or None) if form_class else None
        return super().dispatch(request)

    def get(self, request):
        return self.render()

    def post(self, request):
        if self.form is not None and not self.form.is_valid():
            return self.render(status=400)
        try:
            self.perform(
                self.action,
                self.post_page,
                request.user,
                self.form.cleaned_data if self.form is not None else {},
            )
        except curation.CurationError as error:
            if self.form is not None:
                self.form.add_error(None, str(error))
            messages.error(request, str(error))
            return self.render(status=400)
        messages.success(
            request,
            _("%(action)s: “%(title)s”.") % {"action": self.label, "title": self.post_page.title},
        )
        return redirect(self.get_next_url())

    def render(self, status=200):
        return TemplateResponse(
            self.request,
            self.template_name,
            {
                "post": self.post_page,
                "action_label": self.label,
                "form": self.form,
                "cancel_url": self.get_next_url(),
            },
            status=status,
        )


class ReportActionView(CurationActionView):
    actions = REPORT_ACTIONS
    perform = staticmethod(perform_report_action)
    index_url_name = "wagtail_communityblog_reports:index"


class RescueReportView(CuratorOnlyMixin, ReportView):
    """Recent posts that few readers have seen: good work the front page has not picked up."""

    page_title = gettext_lazy("Rescue")
    header_icon = "help"
    index_url_name = "wagtail_communityblog_rescue:index"
    index_results_url_name = "wagtail_communityblog_rescue:index_results"
    results_template_name = "wagtail_communityblog/admin/rescue_results.html"
    paginate_by = 50

    def get_queryset(self):
        since = timezone.now() - timedelta(days=app_settings.RESCUE_DAYS)
        return (
            PostScore.objects.filter(
                is_listed=True,
                is_hidden=False,
                published_at__gte=since,
                vote_count__lte=app_settings.RESCUE_MAX_VOTES,
                post__live=True,
            )
            .select_related("post", "author", "blog")
            .order_by("-published_at")
        )


class SummaryPanel(Component):
    """The community at a glance, on the admin dashboard."""

    name = "communityblog_summary"
    template_name = "wagtail_communityblog/admin/summary_panel.html"
    order = 150

    def get_context_data(self, parent_context):
        since = timezone.now() - timedelta(days=1)
        return {
            "posts_today": PostScore.objects.filter(published_at__gte=since).count(),
            "votes_today": Rating.objects.filter(created_at__gte=since).count(),
            "awaiting_moderation": WorkflowState.objects.active()
            .filter(workflow__name=WORKFLOW_NAME, status=WorkflowState.STATUS_IN_PROGRESS)
            .count(),
            "open_reports": Flag.objects.filter(status=Flag.STATUS_OPEN)
            .values("post")
            .distinct()
            .count(),
            "front_page": list(CommunityPostPage.objects.ranked("hot")[:5]),
            **comment_summary(),
        }


def comment_summary():
    """Comments waiting for an editor, and comments with open reports, for the panel."""
    return {
        "comments_awaiting": Comment.objects.filter(
            status=Comment.STATUS_PENDING, is_removed=False
        ).count(),
        "comments_reported": CommentFlag.objects.filter(status=CommentFlag.STATUS_OPEN)
        .values("comment")
        .distinct()
        .count(),
    }


def reported_posts_queryset():
    return (
        PostScore.objects.annotate(
            open_reports=Count("post__flags", filter=Q(post__flags__status=Flag.STATUS_OPEN))
        )
        .filter(open_reports__gt=0)
        .select_related("post", "author", "blog")
        .order_by("-open_reports", "-published_at")
    )


class PostBulkAction(SnippetBulkAction):
    """Curation actions on many posts at once, from the Community > Posts listing."""

    models = [PostScore]
    action_name = None
    template_name = "wagtail_communityblog/admin/confirm_bulk_action.html"

    def check_perm(self, obj):
        return can_curate(self.request.user)

    @classmethod
    def execute_action(cls, objects, user=None, **kwargs):
        data = kwargs.get("form_data") or {}
        posts = CommunityPostPage.objects.in_bulk([score.post_id for score in objects])
        done = 0
        for score in objects:
            post = posts.get(score.post_id)
            if post is not None:
                perform_post_action(cls.action_name, post, user, data)
                done += 1
        return done, 0

    def get_execution_context(self):
        return {
            **super().get_execution_context(),
            "user": self.request.user,
            "form_data": self.cleaned_form.cleaned_data if self.cleaned_form else {},
        }

    def get_success_message(self, num_parent_objects, num_child_objects):
        return ngettext(
            "%(action)s: %(count)d post.", "%(action)s: %(count)d posts.", num_parent_objects
        ) % {"action": self.display_name, "count": num_parent_objects}


def _bulk_action(name, label, priority, form=None):
    attrs = {
        "display_name": label,
        "action_type": f"communityblog_{name}",
        "aria_label": label,
        "action_name": name,
        "action_priority": priority,
    }
    if form is not None:
        attrs["form_class"] = form
    return type(f"Post{name.title()}BulkAction", (PostBulkAction,), attrs)


BULK_ACTIONS = [
    _bulk_action(name, label, 100 + index, form)
    for index, (name, (label, form)) in enumerate(POST_ACTIONS.items())
]


def post_curation_buttons(snippet, user, next_url=None):
    if not isinstance(snippet, PostScore) or not can_curate(user):
        return []
    wanted = [
        "unpin" if snippet.is_pinned else "pin",
        "unhide" if snippet.is_hidden else "hide",
        "reup",
    ]
    query = f"?{urlencode({'next': next_url})}" if next_url else ""
    return [
        Button(
            POST_ACTIONS[action][0],
            url=reverse("wagtail_communityblog_posts:action", args=[snippet.post_id, action])
            + query,
            priority=10 + index,
        )
        for index, action in enumerate(wanted)
    ]
