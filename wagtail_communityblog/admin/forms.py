"""Forms used by the Wagtail admin for the package's pages."""

from django.utils.translation import gettext_lazy as _
from wagtail.admin.forms import WagtailAdminPageForm


class MemberBlogPageForm(WagtailAdminPageForm):
    """Tells an editor up front that a member already has a blog here.

    The database constraint is the real guarantee; this only turns it into a form error.
    """

    def clean(self):
        cleaned_data = super().clean()
        owner = cleaned_data.get("owner")
        parent = self.parent_page
        if owner is None or parent is None:
            return cleaned_data
        others = type(self.instance).objects.filter(community_id=parent.pk, member=owner)
        if self.instance.pk:
            others = others.exclude(pk=self.instance.pk)
        if others.exists():
            self.add_error("owner", _("This member already has a blog in this community."))
        return cleaned_data
