"""Wagtail admin integration: the Community menu, members, votes, audit log actions."""

import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.filters import DateRangePickerWidget, WagtailFilterSet
from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.admin.viewsets.model import ModelViewSet
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet, SnippetViewSetGroup

from .models import CommunityMember, Rating
from .permissions import RestrictedActionsPolicy, register_policy
from .services.members import suspend_member, unsuspend_member
from .services.ratings import recompute_posts

# Votes are readers' own: editors inspect and delete them, never create or edit them.
RATING_POLICY = RestrictedActionsPolicy(Rating, denied={"add", "change"})
# Members are reinstated by lifting the suspension, not by deleting the record.
MEMBER_POLICY = RestrictedActionsPolicy(CommunityMember, denied={"delete"})
_POLICIES_REGISTERED = register_policy(Rating, RATING_POLICY) and register_policy(
    CommunityMember, MEMBER_POLICY
)


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


class CommunityMemberViewSet(ModelViewSet):
    model = CommunityMember
    icon = "user"
    menu_label = _("Members")
    url_prefix = "community/members"
    url_namespace = "wagtail_communityblog_members"
    list_display = ["user", "is_suspended", "suspended_at", "suspended_by"]
    list_filter = ["is_suspended"]
    search_fields = ["user__username", "user__first_name", "user__last_name", "user__email"]
    search_backend_name = None
    ordering = ["-is_suspended", "user__username"]
    inspect_view_enabled = True

    def get_form_class(self, for_update=False):
        return CommunityMemberForm

    if not _POLICIES_REGISTERED:  # Wagtail 7

        @property
        def permission_policy(self):
            return MEMBER_POLICY


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


class RatingViewSet(SnippetViewSet):
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

    if not _POLICIES_REGISTERED:  # Wagtail 7

        @property
        def permission_policy(self):
            return RATING_POLICY


class CommunityViewSetGroup(SnippetViewSetGroup):
    menu_label = _("Community")
    menu_icon = "group"
    menu_order = 250
    items = [CommunityMemberViewSet, RatingViewSet]


register_snippet(CommunityViewSetGroup)


@hooks.register("after_delete_snippet")
def recompute_after_votes_deleted(request, instances):
    """Deleting votes in the admin (one, or in bulk) rebuilds the scores of their posts."""
    post_ids = {instance.post_id for instance in instances if isinstance(instance, Rating)}
    if post_ids:
        recompute_posts(post_ids)


@hooks.register("register_log_actions")
def register_community_log_actions(actions):
    actions.register_action(
        "wagtail_communityblog.suspend_member", _("Suspend member"), _("Member suspended")
    )
    actions.register_action(
        "wagtail_communityblog.unsuspend_member", _("Lift suspension"), _("Suspension lifted")
    )
