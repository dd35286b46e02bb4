"""The admin's permission policies: who may see and act on votes, members, posts, comments.

Registered with Wagtail's policy registry from ``AppConfig.ready()`` (``register_policies``),
and read back from it by the viewsets (Wagtail 7 has no registry: ``get_policy`` then answers
from this module).
"""

from django.contrib.auth import get_user_model
from wagtail.permission_policies import ModelPermissionPolicy

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
from ..models.curation import CURATE_PERMISSION, can_curate


class RestrictedActionsPolicy(ModelPermissionPolicy):
    """Model permissions, minus the actions in ``denied`` (for everyone, superusers too)."""

    def __init__(self, model, denied, **kwargs):
        super().__init__(model, **kwargs)
        self.denied = frozenset(denied)

    def user_has_permission(self, user, action):
        if action in self.denied:
            return False
        return super().user_has_permission(user, action)

    def user_has_any_permission(self, user, actions):
        return any(self.user_has_permission(user, action) for action in actions)

    def users_with_any_permission(self, actions):
        return super().users_with_any_permission(
            [action for action in actions if action not in self.denied]
        )


class CuratorPolicy(ModelPermissionPolicy):
    """Viewing and acting on posts' promotion state needs the curation permission; the rows
    themselves are never added, edited or deleted by hand."""

    def user_has_permission(self, user, action):
        if action in ("add", "change", "delete", "copy"):
            return False
        return can_curate(user)

    def user_has_any_permission(self, user, actions):
        return any(self.user_has_permission(user, action) for action in actions)

    def users_with_any_permission(self, actions):
        if not set(actions) - {"add", "change", "delete", "copy"}:
            return get_user_model().objects.none()
        return self._get_users_with_any_permission_codenames([CURATE_PERMISSION.split(".", 1)[1]])


class FederationPolicy(ModelPermissionPolicy):
    """The fediverse's servers and accounts: editors who curate the community see them and
    block them (``allowed`` says which writes there are at all)."""

    def __init__(self, model, allowed, **kwargs):
        super().__init__(model, **kwargs)
        self.allowed = frozenset(allowed)

    def user_has_permission(self, user, action):
        if action in ("add", "change", "delete", "copy") and action not in self.allowed:
            return False
        return can_curate(user)

    def user_has_any_permission(self, user, actions):
        return any(self.user_has_permission(user, action) for action in actions)

    def users_with_any_permission(self, actions):
        return self._get_users_with_any_permission_codenames([CURATE_PERMISSION.split(".", 1)[1]])


class CommentPolicy(CuratorPolicy):
    """Editors who curate the community moderate its comments; nobody writes them here."""


def wagtail_registry():
    """Wagtail's permission policy registry (Wagtail 8+), or ``None`` on Wagtail 7."""
    try:
        from wagtail.permissions import policy_registry
    except ImportError:  # Wagtail < 8
        return None
    return policy_registry


def policies():
    """``{model: policy}`` for the models the admin shows."""
    return {
        # Votes are readers' own: editors inspect and delete them, never create or edit them.
        Rating: RestrictedActionsPolicy(Rating, denied={"add", "change"}),
        # Members are reinstated by lifting the suspension, not by deleting the record.
        CommunityMember: RestrictedActionsPolicy(CommunityMember, denied={"delete"}),
        # Posts are curated (listed, pinned, hidden...) by editors with the curation
        # permission; their score rows are never created, edited or deleted by hand.
        PostScore: CuratorPolicy(PostScore),
        # Comments are moderated by the same editors; written only by members, on the site.
        Comment: CommentPolicy(Comment),
        # The outbox is a record: read, never written by hand.
        EmailDelivery: RestrictedActionsPolicy(EmailDelivery, denied={"add", "change", "delete"}),
        # Followers sign up on the site; an address is only ever removed (its owner's request).
        Follower: RestrictedActionsPolicy(Follower, denied={"add", "change"}),
        # The fediverse: editors block servers (adding one to block it) and accounts; what
        # the site delivered is a record.
        RemoteServer: FederationPolicy(RemoteServer, allowed={"add", "change"}),
        RemoteActor: FederationPolicy(RemoteActor, allowed={"change"}),
        ActivityDelivery: FederationPolicy(ActivityDelivery, allowed=()),
    }


_FALLBACK = {}


def register_policies():
    """Register the admin's policies (once, from ``AppConfig.ready()``)."""
    registry = wagtail_registry()
    for model, policy in policies().items():
        if registry is not None:
            registry.register(model, value=policy)
        else:
            _FALLBACK[model] = policy


def get_policy(model):
    """The policy registered for ``model``."""
    registry = wagtail_registry()
    return registry.get_by_type(model) if registry is not None else _FALLBACK[model]
