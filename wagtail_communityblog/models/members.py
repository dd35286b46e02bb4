"""What the community knows about a member beyond their account: whether they are suspended."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class CommunityMember(models.Model):
    # Not content: keep these rows out of Wagtail's reference index (which would otherwise
    # be written on every vote).
    wagtail_reference_index_ignore = True

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("member"),
        primary_key=True,
        on_delete=models.CASCADE,
        related_name="community_member",
    )
    is_suspended = models.BooleanField(_("suspended"), default=False, db_index=True)
    suspended_at = models.DateTimeField(_("suspended at"), null=True, blank=True)
    suspended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("suspended by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    suspension_reason = models.TextField(
        _("reason"),
        blank=True,
        help_text=_("Shown to the member on their dashboard."),
    )
    # Held by a vote ring awaiting an editor's review: the member's votes are recorded but do
    # not count (see services/vote_rings.py). Cleared or confirmed by an editor.
    votes_held = models.BooleanField(_("votes held (vote ring)"), default=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("community member")
        verbose_name_plural = _("community members")
        permissions = [("suspend_member", _("Can suspend and unsuspend community members"))]

    def __str__(self):
        return str(self.user) if self.user_id else str(self.pk)
