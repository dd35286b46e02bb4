"""Waiting posts go through Wagtail's own moderation workflow, so editors approve or reject
them in the admin they already use."""

from django.contrib.auth.models import Group
from django.db import transaction
from django.utils.translation import gettext as _
from wagtail.models import GroupApprovalTask, Workflow, WorkflowState, WorkflowTask
from wagtail.users.models import UserProfile

from ..conf import app_settings
from ..models import CommunityPostPage

WORKFLOW_NAME = "Community post moderation"
TASK_NAME = "Approve community post"


def needs_moderation(user):
    """Does a post ``user`` publishes now have to wait for an editor?"""
    mode = app_settings.MODERATION
    if mode == "none":
        return False
    if mode == "all":
        return True

    # first_post: once an editor has let one post through, the member is trusted.
    return not CommunityPostPage.objects.filter(
        author=user, first_published_at__isnull=False
    ).exists()


def get_moderation_workflow():
    """Return the community moderation workflow, creating it (and its task) the first time."""
    with transaction.atomic():
        workflow, created = Workflow.objects.get_or_create(
            name=WORKFLOW_NAME, defaults={"active": True}
        )
        task = GroupApprovalTask.objects.filter(workflow_tasks__workflow=workflow).first()
        if created or task is None:
            task = GroupApprovalTask.objects.create(name=TASK_NAME)
            WorkflowTask.objects.create(workflow=workflow, task=task, sort_order=0)
        # Follow the setting (and groups created since): whoever it names moderates.
        groups = set(Group.objects.filter(name__in=app_settings.MODERATOR_GROUPS))
        if set(task.groups.all()) != groups:
            task.groups.set(groups)
    return workflow


def submit_for_moderation(post, user):
    """Put the post's latest revision in front of the moderators.

    A post already waiting is re-submitted with its new revision (so editors always review what
    the member last wrote); one sent back for changes resumes where it was.
    """
    state = post.current_workflow_state
    if state is not None:
        state.cancel(user=user)
    _quieten_admin_notifications(user)
    return get_moderation_workflow().start(post, user)


def _quieten_admin_notifications(user):
    """Members hear about decisions from the package, in words written for them; Wagtail's own
    e-mails point at an admin they cannot enter, so they are turned off for members without
    admin access."""
    if user.has_perm("wagtailadmin.access_admin"):
        return

    profile = UserProfile.get_for_user(user)
    if profile.approved_notifications or profile.rejected_notifications:
        profile.approved_notifications = False
        profile.rejected_notifications = False
        profile.save(update_fields=["approved_notifications", "rejected_notifications"])


def latest_decision(post):
    """Return ``(status, comment)`` of the post's most recent moderation, or ``(None, "")``."""
    state = post.workflow_states.order_by("-created_at").first()
    if state is None:
        return None, ""
    task_state = state.current_task_state
    comment = task_state.specific.get_comment() if task_state else ""
    return state.status, comment


def decision_message(status):
    return {
        WorkflowState.STATUS_APPROVED: _("approved"),
        WorkflowState.STATUS_NEEDS_CHANGES: _("sent back with a comment"),
    }.get(status, "")
