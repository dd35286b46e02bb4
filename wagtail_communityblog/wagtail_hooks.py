"""Wagtail admin integration: the Community menu, member suspension, audit log actions."""

from django import forms
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.admin.viewsets.model import ModelViewSet, ModelViewSetGroup

from .models import CommunityMember
from .services.members import suspend_member, unsuspend_member


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
    ordering = ["-is_suspended", "user__username"]
    add_to_admin_menu = False
    inspect_view_enabled = True

    def get_form_class(self, for_update=False):
        return CommunityMemberForm


class CommunityViewSetGroup(ModelViewSetGroup):
    menu_label = _("Community")
    menu_icon = "group"
    menu_order = 250
    items = [CommunityMemberViewSet]


@hooks.register("register_admin_viewset")
def register_community_viewsets():
    return CommunityViewSetGroup()


@hooks.register("register_log_actions")
def register_community_log_actions(actions):
    actions.register_action(
        "wagtail_communityblog.suspend_member", _("Suspend member"), _("Member suspended")
    )
    actions.register_action(
        "wagtail_communityblog.unsuspend_member", _("Lift suspension"), _("Suspension lifted")
    )
