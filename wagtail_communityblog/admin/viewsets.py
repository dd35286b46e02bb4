"""The Community menu: one viewset per listing, grouped under one menu item."""

from urllib.parse import urlencode

from django.db.models import Count
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from wagtail.admin.menu import MenuItem
from wagtail.admin.ui.tables import Column
from wagtail.admin.views.generic import IndexView
from wagtail.admin.viewsets.base import ViewSet
from wagtail.admin.viewsets.model import ModelViewSet
from wagtail.admin.widgets import Button
from wagtail.snippets.views.snippets import SnippetViewSet, SnippetViewSetGroup

from .. import (
    converters,  # noqa: F401  (registers the communityblog_id path converter)
)
from ..models import (
    ActivityDelivery,
    Comment,
    CommunityMember,
    EmailDelivery,
    Follower,
    PostScore,
    Rating,
    RemoteActor,
    RemoteServer,
)
from .activitypub import RemoteActorForm, RemoteServerForm
from .comments import (
    CommentActionView,
    CommentFilterSet,
    CommentHistoryView,
    comments_queryset,
)
from .curation import (
    REPORT_ACTIONS,
    CurationActionView,
    ReportActionView,
    RescueReportView,
    can_curate,
    reported_posts_queryset,
)
from .filters import PostFilterSet, RatingFilterSet
from .members import CommunityMemberForm
from .policies import get_policy
from .vote_rings import (
    HeldPostActionView,
    HeldPostsReportView,
    VoteRingActionView,
    VoteRingDetailView,
    VoteRingsReportView,
)


class PolicyMixin:
    """Give a viewset the permission policy registered for its model (admin/policies.py)."""

    @property
    def permission_policy(self):
        return get_policy(self.model)


class CommunityMemberViewSet(PolicyMixin, ModelViewSet):
    model = CommunityMember
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


class RatingViewSet(PolicyMixin, SnippetViewSet):
    model = Rating
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


class PostScoreViewSet(PolicyMixin, SnippetViewSet):
    """Community > Posts: every post with its scores and promotion state, and the actions."""

    model = PostScore
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
            path(
                "<communityblog_id:pk>/do/<slug:action>/",
                CurationActionView.as_view(),
                name="action",
            ),
        ]


class ReportedPostsViewSet(PolicyMixin, ModelViewSet):
    """Community > Reports: posts with open reports, most reported first."""

    model = PostScore
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
        Column("reporters", label=_("Reported by"), accessor="latest_reporters"),
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
            path(
                "<communityblog_id:pk>/do/<slug:action>/", ReportActionView.as_view(), name="action"
            ),
        ]


class CommentViewSet(PolicyMixin, SnippetViewSet):
    """Community > Comments: the latest comments, those awaiting moderation, those reported."""

    model = Comment
    icon = "comment"
    menu_label = _("Comments")
    url_prefix = "community/comments"
    admin_url_namespace = "wagtail_communityblog_comments"
    list_display = [
        "__str__",
        Column("author", label=_("Author"), accessor="admin_author"),
        Column("post", label=_("Post"), accessor="post.title"),
        Column("status", label=_("Status"), accessor="get_status_display"),
        Column("state", label=_("State"), accessor="admin_state"),
        Column("open_reports", label=_("Open reports"), sort_key="open_reports"),
        Column("reasons", label=_("Latest reasons"), accessor="report_reasons"),
        Column("reporters", label=_("Reported by"), accessor="reporters"),
        Column("recommend_count", label=_("Recommended"), sort_key="recommend_count"),
        Column("created_at", label=_("Written"), sort_key="created_at"),
    ]
    filterset_class = CommentFilterSet
    search_fields = [
        "body",
        "author__username",
        "author__first_name",
        "author__last_name",
        "remote_actor__username",
        "remote_actor__name",
    ]
    search_backend_name = None
    ordering = ["-created_at"]
    inspect_view_enabled = True
    copy_view_enabled = False
    history_view_class = CommentHistoryView

    def get_queryset(self, request):
        return comments_queryset()

    def get_urlpatterns(self):
        return super().get_urlpatterns() + [
            path(
                "<communityblog_id:pk>/do/<slug:action>/",
                CommentActionView.as_view(),
                name="action",
            ),
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
            path("<communityblog_id:pk>/", VoteRingDetailView.as_view(), name="detail"),
            path(
                "<communityblog_id:pk>/<slug:action>/", VoteRingActionView.as_view(), name="action"
            ),
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
            path(
                "<communityblog_id:pk>/<slug:action>/", HeldPostActionView.as_view(), name="action"
            ),
        ]


class EmailDeliveryViewSet(PolicyMixin, SnippetViewSet):
    """Community > E-mails: the outbox, to see what was sent, what waits and what failed."""

    model = EmailDelivery
    icon = "mail"
    menu_label = _("E-mails")
    url_prefix = "community/emails"
    list_display = ["key", "kind", "status", "attempts", "created_at", "sent_at", "last_error"]
    list_filter = ["status", "kind"]
    search_fields = ["key"]
    search_backend_name = None
    ordering = ["-created_at"]
    inspect_view_enabled = True
    copy_view_enabled = False


class FollowerViewSet(PolicyMixin, SnippetViewSet):
    """Community > E-mail followers: each address, its member, what it follows; an address
    is deleted (with its follows) when its owner asks."""

    model = Follower
    icon = "user"
    menu_label = _("E-mail followers")
    url_prefix = "community/followers"
    list_display = [
        "email",
        "user",
        Column("follow_count", label=_("Follows"), sort_key="follow_count"),
        "created_at",
    ]
    search_fields = ["email", "user__username"]
    search_backend_name = None
    ordering = ["-created_at"]
    inspect_view_enabled = True
    inspect_view_fields = ["email", "user", "created_at"]
    copy_view_enabled = False

    def get_queryset(self, request):
        return Follower.objects.select_related("user").annotate(follow_count=Count("follows"))


class RemoteServerViewSet(PolicyMixin, SnippetViewSet):
    """Community > Fediverse servers: block a whole server by its domain (listed or not)."""

    model = RemoteServer
    icon = "globe"
    menu_label = _("Fediverse servers")
    url_prefix = "community/fediverse/servers"
    list_display = [
        "domain",
        Column("account_count", label=_("Accounts"), sort_key="account_count"),
        "is_blocked",
        "is_unavailable",
        "failing_since",
        "created_at",
    ]
    list_filter = ["is_blocked", "is_unavailable"]
    search_fields = ["domain"]
    search_backend_name = None
    ordering = ["domain"]
    copy_view_enabled = False

    def get_form_class(self, for_update=False):
        return RemoteServerForm

    def get_queryset(self, request):
        return RemoteServer.objects.annotate(account_count=Count("actors"))


class RemoteActorViewSet(PolicyMixin, SnippetViewSet):
    """Community > Fediverse accounts: who follows, replies, likes and boosts from other
    servers; block one."""

    model = RemoteActor
    icon = "user"
    menu_label = _("Fediverse accounts")
    url_prefix = "community/fediverse/accounts"
    list_display = [
        "handle",
        "name",
        Column("follow_count", label=_("Follows"), sort_key="follow_count"),
        Column("comment_count", label=_("Replies"), sort_key="comment_count"),
        "is_blocked",
        "fetched_at",
    ]
    list_filter = ["is_blocked"]
    search_fields = ["url", "username", "name", "server__domain"]
    search_backend_name = None
    ordering = ["server__domain", "username"]
    inspect_view_enabled = True
    inspect_view_fields = [
        "url",
        "username",
        "name",
        "profile_url",
        "inbox",
        "server",
        "is_blocked",
    ]
    copy_view_enabled = False

    def get_form_class(self, for_update=False):
        return RemoteActorForm

    def get_queryset(self, request):
        return RemoteActor.objects.select_related("server").annotate(
            follow_count=Count("follows", distinct=True),
            comment_count=Count("comments", distinct=True),
        )


class ActivityDeliveryViewSet(PolicyMixin, SnippetViewSet):
    """Community > Fediverse deliveries: what was sent to other servers, what waits, what
    failed and why."""

    model = ActivityDelivery
    icon = "resubmit"
    menu_label = _("Fediverse deliveries")
    url_prefix = "community/fediverse/deliveries"
    list_display = ["__str__", "status", "attempts", "created_at", "sent_at", "last_error"]
    list_filter = ["status"]
    search_fields = ["inbox"]
    search_backend_name = None
    ordering = ["-created_at"]
    inspect_view_enabled = True
    copy_view_enabled = False


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
        FollowerViewSet,
        EmailDeliveryViewSet,
        RemoteServerViewSet,
        RemoteActorViewSet,
        ActivityDeliveryViewSet,
    ]
