"""The package's permissions and audit log actions, as the admin lists them."""

from django.contrib.auth.models import Permission
from django.utils.translation import gettext_lazy as _


def community_permissions():
    """The permissions an editor's group can be given in Settings > Groups."""
    return Permission.objects.filter(
        content_type__app_label="wagtail_communityblog",
        codename__in=[
            "curate_community",
            "view_rating",
            "delete_rating",
            "add_communitymember",
            "change_communitymember",
            "view_communitymember",
        ],
    )


def register_log_actions(actions):
    """The audit log's names for the package's actions."""
    for name, label, message in [
        ("pin", _("Pin to front page"), _("Pinned to the front page")),
        ("unpin", _("Unpin"), _("Unpinned from the front page")),
        ("hide", _("Hide from promotion"), _("Hidden from promotion")),
        ("unhide", _("Unhide"), _("Unhidden")),
        ("reup", _("Re-up"), _("Given a fresh start in Hot")),
        ("dismiss_reports", _("Dismiss reports"), _("Reports dismissed")),
        ("act_on_reports", _("Act on reports"), _("Acted on reports")),
    ]:
        actions.register_action(f"wagtail_communityblog.{name}", label, message)
    for name, label, message in [
        ("comment_approve", _("Approve comment"), _("Comment approved")),
        ("comment_reject", _("Reject comment"), _("Comment rejected")),
        ("comment_hide", _("Hide comment"), _("Comment hidden")),
        ("comment_unhide", _("Unhide comment"), _("Comment unhidden")),
        ("comment_dismiss_reports", _("Dismiss comment reports"), _("Comment reports dismissed")),
        ("comment_delete", _("Delete comment"), _("Comment deleted by an editor")),
        ("comment_auto_hide", _("Hide comment"), _("Comment hidden pending review of reports")),
        ("comments_closed", _("Close comments"), _("Comments closed")),
        ("comments_opened", _("Reopen comments"), _("Comments reopened")),
    ]:
        actions.register_action(f"wagtail_communityblog.{name}", label, message)
    actions.register_action(
        "wagtail_communityblog.suspend_member", _("Suspend member"), _("Member suspended")
    )
    actions.register_action(
        "wagtail_communityblog.unsuspend_member", _("Lift suspension"), _("Suspension lifted")
    )
    for name, label, message in [
        ("ring_detected", _("Vote ring detected"), _("Vote ring detected: votes held")),
        ("ring_grown", _("Vote ring grew"), _("More accounts held in a vote ring")),
        ("ring_confirmed", _("Confirm vote ring"), _("Vote ring confirmed: accounts suspended")),
        ("ring_cleared", _("Clear vote ring"), _("Vote ring cleared: votes count again")),
        ("ring_votes_dropped", _("Vote ring's votes dropped"), _("A vote ring's votes dropped")),
        ("ring_votes_restored", _("Votes restored"), _("Votes of a cleared ring restored")),
        ("post_held", _("Held for review"), _("Kept off the front page until an editor looks")),
        ("post_released", _("Release held post"), _("Held post released into the rankings")),
        ("post_hold_kept", _("Keep held post hidden"), _("Held post kept hidden by an editor")),
    ]:
        actions.register_action(f"wagtail_communityblog.{name}", label, message)
