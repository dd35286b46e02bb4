"""What the community knows about a member beyond their account: whether they are suspended."""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import models, transaction
from django.utils.translation import gettext_lazy as _

# What a suspension stops: every write a member can make on the site, with what they are told.
# Reading stays open, and so does stopping e-mails (unfollowing a discussion, the one-click
# unsubscribe, the e-mail settings). Listed for editors in docs/how-to/editors-guide-moderation.md.
SUSPENSION_STOPS = {
    "blog": _("Your account is suspended: you cannot change your blog."),
    "post": _("Your account is suspended: you cannot write, change, publish or remove posts."),
    "upload": _("Your account is suspended: you cannot upload images."),
    "vote": _("Your account is suspended: you cannot vote."),
    "comment": _("Your account is suspended: you cannot write, change or delete comments."),
    "recommend": _("Your account is suspended: you cannot recommend comments."),
    "report": _("Your account is suspended: you cannot report posts or comments."),
    "follow": _("Your account is suspended: you cannot follow discussions."),
    "close": _("Your account is suspended: you cannot close or reopen comments."),
}


def suspension_refusal(user, action, error_class):
    """An ``error_class`` (403) saying what ``user``'s suspension stops, or ``None`` when they
    are not suspended; ``action`` is a key of ``SUSPENSION_STOPS``."""
    if user is not None and user.is_authenticated and is_suspended_id(user.pk):
        return error_class(SUSPENSION_STOPS[action], 403)
    return None


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
    # Follows the crowd (CROWD_HOLD): enough votes in its life, almost none of them early, i.e.
    # cast before the post was promoted. Refreshed off the vote path by the detection run for
    # the accounts that voted since the last one (services/crowd.py); the vote path reads it
    # only for an up vote on a post not yet promoted.
    follows_crowd = models.BooleanField(_("follows the crowd"), default=False)
    crowd_checked_at = models.DateTimeField(_("crowd history checked"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("community member")
        verbose_name_plural = _("community members")
        permissions = [("suspend_member", _("Can suspend and unsuspend community members"))]

    def __str__(self):
        return str(self.user) if self.user_id else str(self.pk)


# Reads every vote and rating widget makes: plain SQL, since they run on every page with a
# rating widget, where the ORM's per-call compilation would cost more than the query.


def is_suspended(user):
    if user is None or not user.is_authenticated:
        return False
    return is_suspended_id(user.pk)


def user_id_param(connection, user_id):
    """A user's id as a plain SQL statement on ``connection`` takes it: as the ORM would send
    it (e.g. a ``UUIDField`` key as SQLite stores it, 32 hex digits)."""
    return get_user_model()._meta.pk.get_db_prep_value(user_id, connection)


def is_suspended_id(user_id):
    """Is the account with this id suspended? Plain SQL: it runs on every page with a rating
    widget, where the ORM's per-call compilation would cost more than the query."""
    connection = transaction.get_connection()
    with connection.cursor() as cursor:
        cursor.execute(suspended_sql(connection), [user_id_param(connection, user_id), True])
        return cursor.fetchone() is not None


def suspended_sql(connection):
    """``SELECT 1`` if the account is suspended; parameters: the user's id, then ``True``.

    The vote's own statements embed it as a subquery (services/ratings.py)."""
    q = connection.ops.quote_name
    return (
        f"SELECT 1 FROM {q(CommunityMember._meta.db_table)} "
        f"WHERE {q('user_id')} = %s AND {q('is_suspended')} = %s"
    )


def held_sql(connection):
    """``SELECT 1`` if the account's votes are held by a vote ring awaiting an editor's review;
    parameters: the user's id, then ``True``. The same row as ``suspended_sql`` reads, so the
    vote's statements embed both without another round trip (services/vote_rings.py)."""
    q = connection.ops.quote_name
    return (
        f"SELECT 1 FROM {q(CommunityMember._meta.db_table)} "
        f"WHERE {q('user_id')} = %s AND {q('votes_held')} = %s"
    )


def crowd_sql(connection):
    """``SELECT 1`` if the account follows the crowd (``CROWD_HOLD``); parameters: the user's
    id, then ``True``. Embedded in the vote's statements like ``held_sql`` (services/crowd.py)."""
    q = connection.ops.quote_name
    return (
        f"SELECT 1 FROM {q(CommunityMember._meta.db_table)} "
        f"WHERE {q('user_id')} = %s AND {q('follows_crowd')} = %s"
    )


def is_held_id(user_id):
    """Are this account's votes held by a vote ring awaiting review?"""
    connection = transaction.get_connection()
    with connection.cursor() as cursor:
        cursor.execute(held_sql(connection), [user_id_param(connection, user_id), True])
        return cursor.fetchone() is not None
