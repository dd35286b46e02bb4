"""The admin's member form: suspending and reinstating go through the service."""

from django import forms
from wagtail.admin.forms import WagtailAdminModelForm

from ..models import CommunityMember
from ..services.members import suspend_member, unsuspend_member


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
