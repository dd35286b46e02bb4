"""What other servers send (``receive()``): follows, replies, likes, boosts, edits and
deletions, each acted on once its signature is checked."""

import logging
from datetime import UTC, datetime

from django.db import IntegrityError, transaction
from django.db.models import Count, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.html import strip_tags

from ... import activitypub
from ...activitypub import remote
from ...errors import CommentError
from ...models import (
    Comment,
    PostScore,
    RemoteFollower,
    RemoteFollowing,
    RemotePost,
    RemoteReaction,
    RemoteServer,
)
from ...sanitize import clean_federated_html
from .. import comments as comment_service
from .actors import (
    InboxError,
    _local_actor,
    _local_post,
    _object_id,
    _text,
    _url,
    fetch_actor_for_key,
)
from .outbox import _digest, queue_activity

logger = logging.getLogger(__name__)

# A followed account's post: the most HTML kept of one, and how many kept per account.
MAX_POST_HTML = 64 * 1024
KEEP_POSTS = 50


def receive(activity, actor):
    """Act on one verified activity from ``actor``; return a short description of what was
    done (for the sending server and the logs)."""
    if actor.is_blocked or actor.server.is_blocked:
        raise InboxError("This site does not accept activities from your account.", 403)
    activity_id = activity.get("id")
    if activity_id is not None and (
        not _url(activity_id) or remote.host_of(activity_id) != actor.server.domain
    ):
        raise InboxError("An activity's id must be an address on its actor's server.", 400)
    kind = activity.get("type")
    handler = HANDLERS.get(kind if isinstance(kind, str) else "")
    outcome = handler(activity, actor) if handler is not None else "ignored"
    if actor.server.is_unavailable or actor.server.failing_since:
        # It speaks again: deliver to it again.
        RemoteServer.objects.filter(pk=actor.server_id).update(
            is_unavailable=False, failing_since=None
        )
    return outcome


def _receive_follow(activity, actor):
    page = _local_actor(activity.get("object"))
    if page is None:
        raise InboxError("There is no such actor to follow here.", 404)
    follow_id = _url(activity.get("id"))
    if not follow_id:
        raise InboxError("A Follow needs an id.", 400)
    with transaction.atomic():
        try:
            with transaction.atomic():
                RemoteFollower.objects.update_or_create(
                    page=page, actor=actor, defaults={"follow_id": follow_id}
                )
        except IntegrityError:  # the same follow, delivered twice at once: one row stands
            pass
        accept = {
            "@context": activitypub.AS_CONTEXT,
            "id": f"{activitypub.actor_id(page)}#accepts/follows/{actor.pk}-{_digest(follow_id)}",
            "type": "Accept",
            "actor": activitypub.actor_id(page),
            "object": {
                "id": follow_id,
                "type": "Follow",
                "actor": actor.url,
                "object": activitypub.actor_id(page),
            },
        }
        queue_activity(page, accept, [actor.inbox])
    return "followed"


def _receive_undo(activity, actor):
    target = activity.get("object")
    target_id = _object_id(target)
    kind = target.get("type") if isinstance(target, dict) else None
    with transaction.atomic():
        if isinstance(target, dict) and _url(target.get("actor")) not in ("", actor.url):
            return "ignored"  # only one's own follows, likes and boosts are undone
        if kind in (None, "Follow"):
            follows = RemoteFollower.objects.filter(actor=actor)
            followed = _local_actor(target.get("object")) if isinstance(target, dict) else None
            matched = Q(follow_id=target_id) if target_id else Q(pk=None)
            if followed is not None:
                matched |= Q(page=followed)
            if follows.filter(matched).delete()[0]:
                return "unfollowed"
        if kind in (None, "Like", "Announce"):
            reactions = RemoteReaction.objects.filter(actor=actor, activity_id=target_id)
            post_ids = list(reactions.values_list("post_id", flat=True))
            if post_ids:
                reactions.delete()
                recount_reactions(post_ids)
                return "undone"
    return "ignored"


def _reply_target(note):
    """The post a reply is under, and the fediverse comment it answers (or None)."""
    in_reply_to = _url(note.get("inReplyTo"))
    if not in_reply_to:
        return None, None
    parent = Comment.objects.filter(remote_id=in_reply_to).select_related("post").first()
    if parent is not None:
        post = parent.post
        return (post if activitypub.refusal(post) is None else None), parent
    return _local_post(in_reply_to), None


def _note_html(note):
    content = note.get("content")
    if not isinstance(content, str):
        content_map = note.get("contentMap")
        if isinstance(content_map, dict):
            content = next((v for v in content_map.values() if isinstance(v, str)), "")
    return content if isinstance(content, str) else ""


def _receive_create(activity, actor):
    note = activity.get("object")
    if not isinstance(note, dict) or note.get("type") not in ("Note", "Article"):
        return "ignored"
    note_id = _url(note.get("id"))
    if not note_id or remote.host_of(note_id) != actor.server.domain:
        raise InboxError("The object's id must be on the actor's server.", 400)
    attributed = _url(note.get("attributedTo"))
    if attributed and attributed != actor.url:
        raise InboxError("The object is attributed to another actor.", 403)
    post, parent = _reply_target(note)
    if post is None:
        if not _url(note.get("inReplyTo")) and _is_followed(actor):
            return _store_post(actor, note_id, note)
        return "ignored"  # not a reply to anything of ours
    if Comment.objects.filter(remote_id=note_id).exists():
        return "known"
    try:
        comment_service.create_remote_comment(post, actor, _note_html(note), note_id, parent)
    except CommentError as error:
        status = getattr(error, "status", 422)
        raise InboxError(str(error), status if status in (403, 404, 413) else 422) from error
    except IntegrityError:
        return "known"  # the same reply delivered twice at once
    return "comment"


def _receive_update(activity, actor):
    target = activity.get("object")
    if not isinstance(target, dict):
        return "ignored"
    if target.get("type") in ("Person", "Service", "Group", "Organization", "Application"):
        if _url(target.get("id")) != actor.url:
            raise InboxError("An actor can only update itself.", 403)
        try:
            fetch_actor_for_key(actor.key_id)
        except InboxError as error:
            logger.info("Could not refresh %s: %s", actor.url, error.message)
        return "refreshed"
    target_id = _url(target.get("id"))
    if RemotePost.objects.filter(object_id=target_id, actor=actor).exists():
        return _store_post(actor, target_id, target)
    comment = Comment.objects.filter(remote_id=target_id, remote_actor=actor).first()
    if comment is None:
        return "ignored"
    try:
        comment_service.edit_remote_comment(comment, _note_html(target))
    except CommentError as error:
        raise InboxError(str(error), getattr(error, "status", 422)) from error
    return "edited"


def _receive_delete(activity, actor):
    target_id = _object_id(activity.get("object"))
    if target_id == actor.url:
        forget_actor(actor)
        return "forgotten"
    if RemotePost.objects.filter(object_id=target_id, actor=actor).delete()[0]:
        return "deleted"
    comment = Comment.objects.filter(remote_id=target_id, remote_actor=actor).first()
    if comment is None:
        return "ignored"
    comment_service.remove_remote_comment(comment)
    return "deleted"


def _receive_reaction(kind):
    def handler(activity, actor):
        post = _local_post(activity.get("object"))
        activity_id = _url(activity.get("id"))
        if post is None or not activity_id:
            return "ignored"
        with transaction.atomic():
            try:
                with transaction.atomic():
                    RemoteReaction.objects.update_or_create(
                        post=post, actor=actor, kind=kind, defaults={"activity_id": activity_id}
                    )
            except IntegrityError:  # delivered twice at once: one row stands
                pass
            recount_reactions([post.pk])
        return kind

    return handler


def _receive_accept(activity, actor, accepted=True):
    follow_id = _object_id(activity.get("object"))
    followings = RemoteFollowing.objects.filter(follow_id=follow_id, actor=actor)
    if accepted:
        done = followings.filter(accepted_at__isnull=True).update(accepted_at=timezone.now())
    else:
        done = followings.delete()[0]
    return ("accepted" if accepted else "rejected") if done else "ignored"


def _is_followed(actor):
    return RemoteFollowing.objects.filter(actor=actor, accepted_at__isnull=False).exists()


def _store_post(actor, note_id, note):
    """Keep (or update) a followed account's post for the members' reading lists."""
    html = _note_html(note)
    if len(html) > MAX_POST_HTML:
        raise InboxError(f"A post may be at most {MAX_POST_HTML} characters of HTML.", 413)
    published = note.get("published")
    try:
        published = datetime.fromisoformat(published) if isinstance(published, str) else None
    except ValueError:
        published = None
    if published is not None and published.tzinfo is None:
        published = published.replace(tzinfo=UTC)
    if published is not None and published.year < 2000:
        published = None  # out of any database's range, or simply wrong
    url = _url(note.get("url"))
    content = clean_federated_html(html)
    name = _text(note.get("name"))
    if not name and not strip_tags(content).strip():
        return "ignored"  # nothing to show
    values = {
        "actor": actor,
        # A link to the post on its own server, never elsewhere.
        "url": url if remote.host_of(url) == actor.server.domain else "",
        "name": name,
        "summary": _text(note.get("summary"), 1000),
        "content": content,
        "published_at": min(published or timezone.now(), timezone.now()),
    }
    try:
        with transaction.atomic():
            RemotePost.objects.update_or_create(object_id=note_id, defaults=values)
    except IntegrityError:  # delivered twice at once: one row stands
        pass
    # Reading lists show the latest posts: keep each account's newest KEEP_POSTS.
    older = RemotePost.objects.filter(actor=actor).order_by("-published_at", "-pk")
    RemotePost.objects.filter(
        pk__in=list(older.values_list("pk", flat=True)[KEEP_POSTS : KEEP_POSTS + 100])
    ).delete()
    return "stored"


HANDLERS = {
    "Follow": _receive_follow,
    "Undo": _receive_undo,
    "Accept": _receive_accept,
    "Reject": lambda activity, actor: _receive_accept(activity, actor, accepted=False),
    "Create": _receive_create,
    "Update": _receive_update,
    "Delete": _receive_delete,
    "Like": _receive_reaction(RemoteReaction.LIKE),
    "Announce": _receive_reaction(RemoteReaction.BOOST),
}


def recount_reactions(post_ids):
    """Recount the fediverse likes and boosts shown on these posts (one ``UPDATE``)."""

    def count(kind):
        return Coalesce(
            Subquery(
                RemoteReaction.objects.filter(post_id=OuterRef("post_id"), kind=kind)
                .values("post_id")
                .annotate(n=Count("pk"))
                .values("n")[:1]
            ),
            0,
        )

    PostScore.objects.filter(post_id__in=post_ids).update(
        fediverse_likes=count(RemoteReaction.LIKE), fediverse_boosts=count(RemoteReaction.BOOST)
    )


def forget_actor(actor):
    """Remove what a remote account left here: its follows, reactions and comments."""
    with transaction.atomic():
        RemoteFollower.objects.filter(actor=actor).delete()
        post_ids = list(actor.reactions.values_list("post_id", flat=True))
        actor.reactions.all().delete()
        recount_reactions(post_ids)
        for comment in Comment.objects.filter(remote_actor=actor, is_removed=False):
            comment_service.remove_remote_comment(comment)
