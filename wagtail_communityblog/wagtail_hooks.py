"""Wagtail admin integration: the Community menu, members, votes, audit log actions."""

from urllib.parse import urlencode

import django_filters
from django import forms
from django.contrib.auth.models import Permission
from django.db.models import Count
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.filters import DateRangePickerWidget, WagtailFilterSet
from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.admin.menu import MenuItem
from wagtail.admin.ui.tables import Column
from wagtail.admin.views.generic import IndexView
from wagtail.admin.viewsets.base import ViewSet
from wagtail.admin.viewsets.model import ModelViewSet
from wagtail.admin.widgets import Button
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet, SnippetViewSetGroup

from .admin_rings import (
    HeldPostActionView,
    HeldPostsReportView,
    VoteRingActionView,
    VoteRingDetailView,
    VoteRingsReportView,
)
from .admin_views import (
    BULK_ACTIONS,
    POST_ACTIONS,
    REPORT_ACTIONS,
    CurationActionView,
    ReportActionView,
    RescueReportView,
    SummaryPanel,
    can_curate,
    reported_posts_queryset,
)
from .comment_admin import (
    COMMENT_BULK_ACTIONS,
    CommentActionView,
    CommentFilterSet,
    CommentHistoryView,
    CommentPolicy,
    comments_queryset,
    row_buttons,
)
from .models import Comment, CommunityIndexPage, CommunityMember, PostScore, Rating
from .permissions import CuratorPolicy, RestrictedActionsPolicy, register_policy
from .services.members import suspend_member, unsuspend_member
from .services.ratings import recompute_posts

# Votes are readers' own: editors inspect and delete them, never create or edit them.
RATING_POLICY = RestrictedActionsPolicy(Rating, denied={"add", "change"})
# Members are reinstated by lifting the suspension, not by deleting the record.
MEMBER_POLICY = RestrictedActionsPolicy(CommunityMember, denied={"delete"})
# Posts are curated (listed, pinned, hidden...) by editors with the curation permission;
# their score rows are never created, edited or deleted by hand.
POST_POLICY = CuratorPolicy(PostScore)
# Comments are moderated by the same editors; written only by members, on the site.
COMMENT_POLICY = CommentPolicy(Comment)
_POLICIES_REGISTERED = all(
    [
        register_policy(Rating, RATING_POLICY),
        register_policy(CommunityMember, MEMBER_POLICY),
        register_policy(PostScore, POST_POLICY),
        register_policy(Comment, COMMENT_POLICY),
    ]
)


class PolicyMixin:
    """Give a viewset its permission policy (Wagtail 8 reads the registry instead)."""

    policy = None

    if not _POLICIES_REGISTERED:  # Wagtail 7

        @property
        def permission_policy(self):
            return self.policy


class CommunityMemberForm(WagtailAdminModelForm):
    """Suspending goes through the service, so a member's posts leave (or rejoin) listings."""

    class Meta:
        model = CommunityMember
        fields = ["user", "is_suspended", "suspension_reason"]
        widgets = {"suspension_reason": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["user"].disabled = True

    def save(self, commit=True):
        member = super().save(commit=False)
        editor = getattr(self, "for_user", None)
        if member.is_suspended:
            suspend_member(member.user, by=editor, reason=member.suspension_reason)
        else:
            unsuspend_member(member.user, by=editor)
        return CommunityMember.objects.get(pk=member.user_id)


class CommunityMemberViewSet(PolicyMixin, ModelViewSet):
    model = CommunityMember
    policy = MEMBER_POLICY
    icon = "user"
    menu_label = _("Members")
    url_prefix = "community/members"
    url_namespace = "wagtail_communityblog_members"
    list_display = [
        "user",
        Column("post_count", label=_("Posts"), sort_key="post_count"),
        Column("votes_cast", label=_("Votes cast"), sort_key="votes_cast"),
        Column("reports_against", label=_("Reports against"), sort_key="reports_against"),
        "is_suspended",
        "suspended_at",
    ]
    list_filter = ["is_suspended"]
    search_fields = ["user__username", "user__first_name", "user__last_name", "user__email"]
    search_backend_name = None
    ordering = ["-is_suspended", "user__username"]
    inspect_view_enabled = True

    def get_form_class(self, for_update=False):
        return CommunityMemberForm

    class index_view_class(IndexView):  # noqa: N801 - Wagtail's attribute name
        def get_base_queryset(self):
            return CommunityMember.objects.select_related("user", "suspended_by").annotate(
                post_count=Count("user__community_posts", distinct=True),
                votes_cast=Count("user__community_ratings", distinct=True),
                reports_against=Count("user__community_posts__flags", distinct=True),
            )


class RatingFilterSet(WagtailFilterSet):
    post = django_filters.NumberFilter(field_name="post_id", label=_("Post ID"))
    voter = django_filters.CharFilter(
        field_name="user__username", lookup_expr="icontains", label=_("Voter")
    )
    value = django_filters.NumberFilter(label=_("Value"))
    counted = django_filters.BooleanFilter(label=_("Counted"))
    created_at = django_filters.DateFromToRangeFilter(
        label=_("Cast between"), widget=DateRangePickerWidget
    )

    class Meta:
        model = Rating
        fields = ["post", "voter", "value", "counted", "created_at"]


class RatingViewSet(PolicyMixin, SnippetViewSet):
    model = Rating
    policy = RATING_POLICY
    icon = "pick"
    menu_label = _("Votes")
    url_prefix = "community/votes"
    list_display = ["post", "user", "value", "counted", "created_at"]
    list_export = ["post_id", "user_id", "value", "counted", "created_at", "updated_at"]
    filterset_class = RatingFilterSet
    search_fields = ["user__username", "user__first_name", "user__last_name"]
    search_backend_name = None
    ordering = ["-created_at"]
    inspect_view_enabled = True
    copy_view_enabled = False

    def get_queryset(self, request):
        return Rating.objects.select_related("post", "user")


class PostFilterSet(WagtailFilterSet):
    community = django_filters.ModelChoiceFilter(
        field_name="community", queryset=CommunityIndexPage.objects.all(), label=_("Community")
    )
    is_pinned = django_filters.BooleanFilter(label=_("Pinned"))
    is_hidden = django_filters.BooleanFilter(label=_("Hidden"))
    promoted = django_filters.BooleanFilter(
        field_name="promoted_at", lookup_expr="isnull", exclude=True, label=_("Promoted")
    )
    published_at = django_filters.DateFromToRangeFilter(
        label=_("Published between"), widget=DateRangePickerWidget
    )

    class Meta:
        model = PostScore
        fields = ["community", "is_pinned", "is_hidden", "promoted", "published_at"]


class PostScoreViewSet(PolicyMixin, SnippetViewSet):
    """Community > Posts: every post with its scores and promotion state, and the actions."""

    model = PostScore
    policy = POST_POLICY
    icon = "doc-full"
    menu_label = _("Posts")
    url_prefix = "community/posts"
    admin_url_namespace = "wagtail_communityblog_posts"
    list_display = [
        "__str__",
        Column("author", label=_("Author"), accessor="post.author_name"),
        Column("score", label=_("Score"), sort_key="score"),
        Column("vote_count", label=_("Votes"), sort_key="vote_count"),
        Column("hot", label=_("Hot"), accessor="hot_display", sort_key="hot"),
        Column("best", label=_("Best"), accessor="best_display", sort_key="best"),
        Column("state", label=_("Promotion"), accessor="promotion_state"),
        Column("published_at", label=_("Published"), sort_key="published_at"),
    ]
    filterset_class = PostFilterSet
    search_fields = ["post__title", "author__username", "author__first_name", "author__last_name"]
    search_backend_name = None
    ordering = ["-hot"]
    inspect_view_enabled = True
    copy_view_enabled = False

    def get_queryset(self, request):
        return PostScore.objects.filter(post__isnull=False).select_related(
            "post", "author", "blog", "community"
        )

    def get_urlpatterns(self):
        return super().get_urlpatterns() + [
            path("<int:pk>/do/<slug:action>/", CurationActionView.as_view(), name="action"),
        ]


class ReportedPostsViewSet(PolicyMixin, ModelViewSet):
    """Community > Reports: posts with open reports, most reported first."""

    model = PostScore
    policy = POST_POLICY
    icon = "warning"
    menu_label = _("Reports")
    url_prefix = "community/reports"
    url_namespace = "wagtail_communityblog_reports"
    list_display = [
        "__str__",
        Column("author", label=_("Author"), accessor="post.author_name"),
        Column("open_reports", label=_("Open reports"), sort_key="open_reports"),
        Column("state", label=_("Promotion"), accessor="promotion_state"),
        Column("reasons", label=_("Latest reasons"), accessor="latest_report_reasons"),
    ]
    ordering = ["-open_reports"]
    add_view_enabled = False
    edit_view_enabled = False
    delete_view_enabled = False
    form_fields = []

    class index_view_class(IndexView):  # noqa: N801 - Wagtail's attribute name
        def get_base_queryset(self):
            return reported_posts_queryset()

        def get_list_more_buttons(self, instance):
            query = urlencode({"next": self.request.get_full_path()})
            return [
                Button(
                    label,
                    url=reverse(
                        "wagtail_communityblog_reports:action", args=[instance.post_id, action]
                    )
                    + f"?{query}",
                    priority=10 + index,
                )
                for index, (action, (label, _form)) in enumerate(REPORT_ACTIONS.items())
            ]

    def get_urlpatterns(self):
        return [
            path("", self.index_view, name="index"),
            path("results/", self.index_results_view, name="index_results"),
            path("<int:pk>/do/<slug:action>/", ReportActionView.as_view(), name="action"),
        ]


class CommentViewSet(PolicyMixin, SnippetViewSet):
    """Community > Comments: the latest comments, those awaiting moderation, those reported."""

    model = Comment
    policy = COMMENT_POLICY
    icon = "comment"
    menu_label = _("Comments")
    url_prefix = "community/comments"
    admin_url_namespace = "wagtail_communityblog_comments"
    list_display = [
        "__str__",
        Column("author", label=_("Author"), accessor="author_name"),
        Column("post", label=_("Post"), accessor="post.title"),
        Column("status", label=_("Status"), accessor="get_status_display"),
        Column("state", label=_("State"), accessor="admin_state"),
        Column("open_reports", label=_("Open reports"), sort_key="open_reports"),
        Column("reasons", label=_("Latest reasons"), accessor="report_reasons"),
        Column("recommend_count", label=_("Recommended"), sort_key="recommend_count"),
        Column("created_at", label=_("Written"), sort_key="created_at"),
    ]
    filterset_class = CommentFilterSet
    search_fields = ["body", "author__username", "author__first_name", "author__last_name"]
    search_backend_name = None
    ordering = ["-created_at"]
    inspect_view_enabled = True
    copy_view_enabled = False
    history_view_class = CommentHistoryView

    def get_queryset(self, request):
        return comments_queryset()

    def get_urlpatterns(self):
        return super().get_urlpatterns() + [
            path("<int:pk>/do/<slug:action>/", CommentActionView.as_view(), name="action"),
        ]


class CuratorMenuItem(MenuItem):
    def is_shown(self, request):
        return can_curate(request.user)


class RescueViewSet(ViewSet):
    """Community > Rescue: recent posts with few votes, for editors to give a chance."""

    menu_item_class = CuratorMenuItem

    icon = "help"
    menu_label = _("Rescue")
    url_prefix = "community/rescue"
    name = "wagtail_communityblog_rescue"

    def get_urlpatterns(self):
        return [
            path("", RescueReportView.as_view(), name="index"),
            path("results/", RescueReportView.as_view(results_only=True), name="index_results"),
        ]


class VoteRingsViewSet(ViewSet):
    """Community > Vote rings: groups of accounts detected voting together, for review."""

    menu_item_class = CuratorMenuItem

    icon = "warning"
    menu_label = _("Vote rings")
    url_prefix = "community/vote-rings"
    name = "wagtail_communityblog_rings"

    def get_urlpatterns(self):
        return [
            path("", VoteRingsReportView.as_view(), name="index"),
            path("results/", VoteRingsReportView.as_view(results_only=True), name="index_results"),
            path("<int:pk>/", VoteRingDetailView.as_view(), name="detail"),
            path("<int:pk>/<slug:action>/", VoteRingActionView.as_view(), name="action"),
        ]


class HeldPostsViewSet(ViewSet):
    """Community > Held posts: posts the detection keeps out of the rankings, for review."""

    menu_item_class = CuratorMenuItem

    icon = "warning"
    menu_label = _("Held posts")
    url_prefix = "community/held-posts"
    name = "wagtail_communityblog_holds"

    def get_urlpatterns(self):
        return [
            path("", HeldPostsReportView.as_view(), name="index"),
            path("results/", HeldPostsReportView.as_view(results_only=True), name="index_results"),
            path("<int:pk>/<slug:action>/", HeldPostActionView.as_view(), name="action"),
        ]


class CommunityViewSetGroup(SnippetViewSetGroup):
    menu_label = _("Community")
    menu_icon = "group"
    menu_order = 250
    items = [
        PostScoreViewSet,
        ReportedPostsViewSet,
        CommentViewSet,
        RescueViewSet,
        VoteRingsViewSet,
        HeldPostsViewSet,
        CommunityMemberViewSet,
        RatingViewSet,
    ]


register_snippet(CommunityViewSetGroup)


@hooks.register("after_delete_snippet")
def recompute_after_votes_deleted(request, instances):
    """Deleting votes in the admin (one, or in bulk) rebuilds the scores of their posts."""
    post_ids = {instance.post_id for instance in instances if isinstance(instance, Rating)}
    if post_ids:
        recompute_posts(post_ids)


@hooks.register("register_snippet_listing_buttons")
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


@hooks.register("register_snippet_listing_buttons")
def comment_moderation_buttons(snippet, user, next_url=None):
    if not isinstance(snippet, Comment):
        return []
    return row_buttons(snippet, user, next_url)


for bulk_action in BULK_ACTIONS + COMMENT_BULK_ACTIONS:
    hooks.register("register_bulk_action", bulk_action)


@hooks.register("construct_homepage_panels")
def add_community_summary(request, panels):
    if can_curate(request.user):
        panels.append(SummaryPanel())


@hooks.register("register_permissions")
def register_community_permissions():
    return Permission.objects.filter(
        content_type__app_label="wagtail_communityblog",
        codename__in=[
            "curate_community",
            "view_rating",
            "delete_rating",
            "add_communitymember",
            "change_communitymember",
            "view_communitymember",
        ],
    )


@hooks.register("register_log_actions")
def register_community_log_actions(actions):
    for name, label, message in [
        ("pin", _("Pin to front page"), _("Pinned to the front page")),
        ("unpin", _("Unpin"), _("Unpinned from the front page")),
        ("hide", _("Hide from promotion"), _("Hidden from promotion")),
        ("unhide", _("Unhide"), _("Unhidden")),
        ("reup", _("Re-up"), _("Given a fresh start in Hot")),
        ("dismiss_reports", _("Dismiss reports"), _("Reports dismissed")),
        ("act_on_reports", _("Act on reports"), _("Acted on reports")),
    ]:
        actions.register_action(f"wagtail_communityblog.{name}", label, message)
    for name, label, message in [
        ("comment_approve", _("Approve comment"), _("Comment approved")),
        ("comment_reject", _("Reject comment"), _("Comment rejected")),
        ("comment_hide", _("Hide comment"), _("Comment hidden")),
        ("comment_unhide", _("Unhide comment"), _("Comment unhidden")),
        ("comment_dismiss_reports", _("Dismiss comment reports"), _("Comment reports dismissed")),
        ("comment_delete", _("Delete comment"), _("Comment deleted by an editor")),
        ("comment_auto_hide", _("Hide comment"), _("Comment hidden pending review of reports")),
        ("comments_closed", _("Close comments"), _("Comments closed")),
        ("comments_opened", _("Reopen comments"), _("Comments reopened")),
    ]:
        actions.register_action(f"wagtail_communityblog.{name}", label, message)
    actions.register_action(
        "wagtail_communityblog.suspend_member", _("Suspend member"), _("Member suspended")
    )
    actions.register_action(
        "wagtail_communityblog.unsuspend_member", _("Lift suspension"), _("Suspension lifted")
    )


@hooks.register("register_log_actions")
def register_vote_ring_log_actions(actions):
    for name, label, message in [
        ("ring_detected", _("Vote ring detected"), _("Vote ring detected: votes held")),
        ("ring_grown", _("Vote ring grew"), _("More accounts held in a vote ring")),
        ("ring_confirmed", _("Confirm vote ring"), _("Vote ring confirmed: accounts suspended")),
        ("ring_cleared", _("Clear vote ring"), _("Vote ring cleared: votes count again")),
        ("ring_votes_dropped", _("Vote ring's votes dropped"), _("A vote ring's votes dropped")),
        ("ring_votes_restored", _("Votes restored"), _("Votes of a cleared ring restored")),
        ("post_held", _("Held for review"), _("Kept off the front page until an editor looks")),
        ("post_released", _("Release held post"), _("Held post released into the rankings")),
        ("post_hold_kept", _("Keep held post hidden"), _("Held post kept hidden by an editor")),
    ]:
        actions.register_action(f"wagtail_communityblog.{name}", label, message)
