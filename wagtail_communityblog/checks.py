"""System checks that catch configuration mistakes before they surface as odd behaviour."""

from django.apps import apps
from django.core.checks import Error, register

from .conf import MEMBER_DELETION_CHOICES, app_settings


@register()
def check_settings(app_configs, **kwargs):
    errors = []
    if app_settings.ON_MEMBER_DELETE not in MEMBER_DELETION_CHOICES:
        errors.append(
            Error(
                "WAGTAIL_COMMUNITYBLOG_ON_MEMBER_DELETE must be one of "
                f"{', '.join(MEMBER_DELETION_CHOICES)}.",
                id="wagtail_communityblog.E001",
            )
        )
    if not apps.is_installed("wagtail.contrib.routable_page"):
        errors.append(
            Error(
                "wagtail_communityblog needs 'wagtail.contrib.routable_page' in INSTALLED_APPS.",
                hint="Add 'wagtail.contrib.routable_page' to INSTALLED_APPS.",
                id="wagtail_communityblog.E002",
            )
        )
    try:
        per_page = int(app_settings.POSTS_PER_PAGE)
    except (TypeError, ValueError):
        per_page = 0
    if per_page < 1:
        errors.append(
            Error(
                "WAGTAIL_COMMUNITYBLOG_POSTS_PER_PAGE must be a positive integer.",
                id="wagtail_communityblog.E003",
            )
        )
    return errors
