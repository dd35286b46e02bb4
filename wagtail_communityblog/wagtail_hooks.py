"""Registers the package's admin (``admin/``) with Wagtail: the Community menu, buttons,
bulk actions, the dashboard panel, permissions and audit log actions."""

from wagtail import hooks
from wagtail.snippets.models import register_snippet

from .admin import log_actions
from .admin.comments import COMMENT_BULK_ACTIONS, row_buttons
from .admin.curation import BULK_ACTIONS, SummaryPanel, can_curate, post_curation_buttons
from .admin.ratings import recompute_after_votes_deleted
from .admin.viewsets import CommunityViewSetGroup
from .models import Comment

register_snippet(CommunityViewSetGroup)

hooks.register("after_delete_snippet", recompute_after_votes_deleted)
hooks.register("register_snippet_listing_buttons", post_curation_buttons)
hooks.register("register_permissions", log_actions.community_permissions)
hooks.register("register_log_actions", log_actions.register_log_actions)
for bulk_action in BULK_ACTIONS + COMMENT_BULK_ACTIONS:
    hooks.register("register_bulk_action", bulk_action)


@hooks.register("register_snippet_listing_buttons")
def comment_moderation_buttons(snippet, user, next_url=None):
    if not isinstance(snippet, Comment):
        return []
    return row_buttons(snippet, user, next_url)


@hooks.register("construct_homepage_panels")
def add_community_summary(request, panels):
    if can_curate(request.user):
        panels.append(SummaryPanel())
