"""Editors blocking a remote account or a whole server."""

from django.db import transaction
from django.utils import timezone

from ...models import (
    ActivityDelivery,
    Comment,
    RemoteActor,
    RemoteFollower,
    RemoteReaction,
    RemoteServer,
)
from .inbox import recount_reactions

# Blocking (editors) --------------------------------------------------------------------------


def block_actor(actor, *, blocked=True):
    """Block (or unblock) a remote account: blocked, its follows and reactions go and its
    comments waiting for moderation are rejected."""
    with transaction.atomic():
        RemoteActor.objects.filter(pk=actor.pk).update(
            is_blocked=blocked, blocked_at=timezone.now() if blocked else None
        )
        if blocked:
            _drop([actor.pk])


def block_server(server, *, blocked=True, reason=""):
    """Block (or unblock) a whole server, by domain: the same for each of its accounts."""
    with transaction.atomic():
        RemoteServer.objects.filter(pk=server.pk).update(
            is_blocked=blocked, blocked_at=timezone.now() if blocked else None, reason=reason
        )
        if blocked:
            _drop(list(server.actors.values_list("pk", flat=True)))
            ActivityDelivery.objects.filter(server=server, status=ActivityDelivery.PENDING).update(
                status=ActivityDelivery.FAILED, last_error="The server was blocked."
            )


def block_domain(domain, reason=""):
    """Block the server at ``domain`` (recorded if it was never seen)."""
    domain = domain.strip().lower().rstrip(".")
    server, _created = RemoteServer.objects.get_or_create(domain=domain)
    block_server(server, reason=reason)
    return server


def _drop(actor_ids):
    RemoteFollower.objects.filter(actor_id__in=actor_ids).delete()
    post_ids = list(
        RemoteReaction.objects.filter(actor_id__in=actor_ids).values_list("post_id", flat=True)
    )
    RemoteReaction.objects.filter(actor_id__in=actor_ids).delete()
    recount_reactions(post_ids)
    pending = Comment.objects.filter(remote_actor_id__in=actor_ids, status=Comment.STATUS_PENDING)
    pending.update(status=Comment.STATUS_REJECTED, moderated_at=timezone.now())
