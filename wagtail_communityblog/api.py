"""Wagtail's page API, less the posts the community has withdrawn.

Register ``CommunityPagesAPIViewSet`` where a site registers Wagtail's ``PagesAPIViewSet``
(docs/how-to/editors-guide-moderation.md, "What a suspension stops"): a suspended member's
posts stay readable at their URL but leave every listing, ranking, feed and vote, and with
this endpoint the API too.
"""

from wagtail.api.v2.views import PagesAPIViewSet

from .models import PostScore


class CommunityPagesAPIViewSet(PagesAPIViewSet):
    """Wagtail's ``pages`` endpoint without the posts of suspended members."""

    def get_base_queryset(self):
        # ``is_listed`` is false for exactly the posts listings leave out: not live, not
        # public (which Wagtail's own queryset leaves out already) or by a suspended member.
        withdrawn = PostScore.objects.filter(is_listed=False).values("post_id")
        return super().get_base_queryset().exclude(pk__in=withdrawn)
