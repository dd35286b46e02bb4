from django.apps import AppConfig
from django.core.signals import setting_changed
from django.utils.translation import gettext_lazy as _

from .conf import forget_settings


class WagtailCommunityBlogAppConfig(AppConfig):
    name = "wagtail_communityblog"
    label = "wagtail_communityblog"
    verbose_name = _("Community blogs")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        # These read the models, which are not loaded when this module is imported.
        from . import (
            checks,  # noqa: F401  (registers system checks)
            frontend_cache,
        )
        from .admin.policies import register_policies
        from .blocks import forget_labels
        from .signal_handlers import register_signal_handlers

        setting_changed.connect(forget_settings, dispatch_uid="wagtail_communityblog_settings")
        setting_changed.connect(forget_labels, dispatch_uid="wagtail_communityblog_labels")
        register_signal_handlers()
        register_policies()
        frontend_cache.connect()
