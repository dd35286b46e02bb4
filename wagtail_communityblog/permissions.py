"""Permission policies for models editors may look at and delete, but not create or edit."""

from wagtail.permission_policies import ModelPermissionPolicy


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

    permission = "wagtail_communityblog.curate_community"

    def user_has_permission(self, user, action):
        if action in ("add", "change", "delete", "copy"):
            return False
        return user.is_active and user.has_perm(self.permission)

    def user_has_any_permission(self, user, actions):
        return any(self.user_has_permission(user, action) for action in actions)

    def users_with_any_permission(self, actions):
        from django.contrib.auth import get_user_model

        if not set(actions) - {"add", "change", "delete", "copy"}:
            return get_user_model().objects.none()
        return self._get_users_with_any_permission_codenames(["curate_community"])


def register_policy(model, policy):
    """Register with Wagtail 8's policy registry; on Wagtail 7 viewsets read their own attribute."""
    try:
        from wagtail.permissions import register_permission_policy
    except ImportError:  # Wagtail < 8
        return False
    register_permission_policy(model, policy)
    return True
