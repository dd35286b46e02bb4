"""Panels for the Wagtail admin's page editor."""

from django.db.models import Count, Q
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import Panel

from ..models.curation import can_curate
from ..models.ratings import Rating
from ..models.scores import PostScore
from ..models.vote_rings import explain_post


class VoteBreakdownPanel(Panel):
    """How a post's votes break down: the stored scores, the votes by value, and why some
    recorded votes do not count ("why is this here")."""

    def __init__(self, heading=None, **kwargs):
        super().__init__(heading=heading or _("Votes"), **kwargs)

    @property
    def clean_name(self):
        return super().clean_name or "votes"

    class BoundPanel(Panel.BoundPanel):
        template_name = "wagtail_communityblog/admin/vote_breakdown_panel.html"

        def get_context_data(self, parent_context=None):
            context = super().get_context_data(parent_context)
            post = self.instance
            context["score"] = PostScore.objects.filter(pk=post.pk).first() if post.pk else None
            context["by_value"] = (
                Rating.objects.filter(post_id=post.pk)
                .values("value")
                .annotate(
                    counted_votes=Count("pk", filter=Q(counted=True)),
                    pending_votes=Count("pk", filter=Q(counted=False)),
                )
                .order_by("-value")
                if post.pk
                else []
            )
            if post.pk:
                context["explanation"] = explain_post(post.pk)
            # A hold's evidence names accounts and the rule's thresholds: for the editors who
            # decide holds, not for everyone who may edit the page.
            context["can_curate"] = can_curate(self.request.user)
            return context
