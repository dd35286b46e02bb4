"""ActivityPub (``WAGTAIL_COMMUNITYBLOG_ACTIVITYPUB``): what other servers send us, and what we
deliver to them.

Receiving (``receive()``, called by the inbox view once the request's signature is checked):

- ``Follow`` of a member blog or a community: recorded (``RemoteFollower``) and answered with
  a signed ``Accept``; ``Undo`` of it forgets the follower.
- ``Create`` of a ``Note`` (or ``Article``) replying to one of our posts, or to a reply from
  the fediverse under it: a comment that waits for moderation as a new member's would
  (``COMMENT_MODERATION``), its HTML through the comments' allow-list; ``Update`` and
  ``Delete`` of it edit or remove it.
- ``Like`` and ``Announce`` (a boost) of a post: counted on the post (``RemoteReaction``),
  never as votes; ``Undo`` takes them back.
- ``Delete`` of the actor itself: its follows, reactions and comments go.
- Anything else is acknowledged and ignored (servers send their shared inbox much we have no
  use for).

Delivering (``deliver()``, one ``ActivityDelivery`` at a time, by the task worker): a post's
first publication is a ``Create``, a later one an ``Update``, unpublishing or deleting it a
``Delete``, each to the shared inboxes of its blog's followers; a promotion is its community's
``Announce``. Each delivery is signed with the sending actor's key (HTTP Signatures), retried
with back-off (``ACTIVITYPUB_RETRY_MINUTES``) and given up on; a server failing for
``ACTIVITYPUB_GIVE_UP_DAYS`` is given up on altogether until it speaks to us again. A
suspended member's blog sends nothing.
"""

import hashlib
import json
import logging
import re
import uuid
from datetime import UTC, datetime, timedelta
from urllib.parse import quote, urlsplit

from django.db import IntegrityError, transaction
from django.db.models import Count, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.html import strip_tags
from django.utils.translation import gettext as _
from wagtail.models import Page, Site

from .. import activitypub
from ..activitypub import remote, signatures
from ..conf import app_settings
from ..errors import CommentError, FederationError
from ..models import (
    ActivityDelivery,
    Comment,
    CommunityIndexPage,
    CommunityPostPage,
    MemberBlogPage,
    PostScore,
    RemoteActor,
    RemoteFollower,
    RemoteFollowing,
    RemotePost,
    RemoteReaction,
    RemoteServer,
)
from ..sanitize import clean_federated_html
from . import comments as comment_service
from . import deliveries

logger = logging.getLogger(__name__)


class InboxError(Exception):
    """An activity refused: ``status`` (a 4xx) and a message for the sending server."""

    def __init__(self, message, status=400):
        super().__init__(message)
        self.message = message
        self.status = status


# Remote actors and their keys ----------------------------------------------------------------


def _text(value, limit=255):
    return strip_tags(value if isinstance(value, str) else "")[:limit].strip()


def _url(value):
    """An http(s) URL from a document, else ''."""
    if isinstance(value, dict):
        value = value.get("id") or value.get("href")
    if not isinstance(value, str) or len(value) > 500:
        return ""
    return value if urlsplit(value).scheme in ("https", "http") else ""


def _object_id(value):
    """The id of an activity's object, whether it is embedded or only named."""
    return _url(value)


def server_for(url):
    """The ``RemoteServer`` of ``url``'s host, recorded the first time it is seen."""
    domain = remote.host_of(url)
    server = RemoteServer.objects.filter(domain=domain).first()
    if server is not None:
        return server
    try:
        with transaction.atomic():
            return RemoteServer.objects.create(domain=domain)
    except IntegrityError:
        return RemoteServer.objects.get(domain=domain)


def _key_of(document, key_id):
    """The PEM of ``key_id`` among an actor document's ``publicKey``\\s, else None."""
    keys = document.get("publicKey")
    keys = keys if isinstance(keys, list) else [keys]
    for key in keys:
        if isinstance(key, dict) and key.get("id") == key_id and key.get("publicKeyPem"):
            return key
    return None


def fetch_actor_for_key(key_id):
    """Fetch the actor that ``key_id`` belongs to and record it (``RemoteActor``); refuse
    (``InboxError``) a key its actor does not publish, or an actor on another host."""
    try:
        document = remote.fetch_json(key_id)
        if "publicKeyPem" in document and document.get("owner"):
            # A key document of its own (GoToSocial, some others): its owner is the actor.
            document = remote.fetch_json(_url(document["owner"]))
    except remote.RemoteError as error:
        raise InboxError(f"Could not fetch the signing key {key_id[:200]}: {error}", 401) from error
    actor_url = _url(document.get("id"))
    key = _key_of(document, key_id)
    if not actor_url or key is None or _url(key.get("owner")) not in ("", actor_url):
        raise InboxError("The signing key is not published by its actor.", 401)
    if remote.host_of(actor_url) != remote.host_of(key_id):
        raise InboxError("The signing key and its actor are on different servers.", 401)
    return record_actor(document, key)


def record_actor(document, key):
    """Create or refresh the ``RemoteActor`` an actor document describes."""
    actor_url = _url(document.get("id"))
    inbox = _url(document.get("inbox"))
    if not inbox:
        raise InboxError("The actor has no inbox.", 400)
    endpoints = document.get("endpoints") if isinstance(document.get("endpoints"), dict) else {}
    values = {
        "server": server_for(actor_url),
        "username": _text(document.get("preferredUsername"))[:255],
        "name": _text(document.get("name")),
        "profile_url": _url(document.get("url")) or actor_url,
        "inbox": inbox,
        "shared_inbox": _url(endpoints.get("sharedInbox")),
        "key_id": key["id"][:500],
        "public_key_pem": key["publicKeyPem"][:10000],
        "fetched_at": timezone.now(),
    }
    try:
        with transaction.atomic():
            actor, _created = RemoteActor.objects.update_or_create(url=actor_url, defaults=values)
    except IntegrityError:  # recorded at the same moment by another request
        actor = RemoteActor.objects.get(url=actor_url)
    return actor


def actor_for_key(key_id, *, refresh=False):
    """The remote actor whose key is ``key_id``: the one recorded, or fetched (again, when
    ``refresh``: a signature failed with a key old enough to have been rotated)."""
    if not refresh:
        actor = (
            RemoteActor.objects.filter(key_id=key_id).select_related("server").order_by("-pk")
        ).first()
        if actor is not None:
            return actor
    return fetch_actor_for_key(key_id)


def verified_actor(request, body):
    """Check the request's HTTP signature; return the remote actor that signed it.

    The key is the one recorded for its ``keyId`` or, the first time, fetched; when the
    signature fails with a recorded key older than ``ACTIVITYPUB_KEY_REFRESH_SECONDS``, the
    key is fetched again once (the actor may have rotated it) before the request is refused.
    """
    try:
        signed = signatures.parse(request, body)
    except signatures.SignatureError as error:
        raise InboxError(str(error), 401) from error
    _refuse_blocked_host(remote.host_of(signed.key_id))
    actor = actor_for_key(signed.key_id)
    if signatures.verify(signed, actor.public_key_pem):
        return actor
    age = (timezone.now() - actor.fetched_at).total_seconds()
    if age >= app_settings.ACTIVITYPUB_KEY_REFRESH_SECONDS:
        actor = actor_for_key(signed.key_id, refresh=True)
        if signatures.verify(signed, actor.public_key_pem):
            return actor
    raise InboxError("The signature does not match the request.", 401)


def _refuse_blocked_host(domain):
    if RemoteServer.objects.filter(domain=domain, is_blocked=True).exists():
        raise InboxError("This site does not accept activities from your server.", 403)


# Local objects -----------------------------------------------------------------------------


def local_page(url):
    """The page of this site whose ActivityPub id (its full URL) is ``url``, or None."""
    url = _url(url)
    if not url:
        return None
    parts = urlsplit(url)
    path = parts.path if parts.path.endswith("/") else parts.path + "/"
    host = (parts.hostname or "").lower()
    sites = list(Site.objects.select_related("root_page"))
    candidates = [site for site in sites if site.hostname.lower() == host] or sites
    url_paths = [site.root_page.url_path + path.lstrip("/") for site in candidates]
    page = Page.objects.filter(url_path__in=url_paths).first()
    if page is None:
        return None
    page = page.specific
    # The id must be exactly the page's own address, host included.
    if remote.host_of(activitypub.actor_id(page)) != remote.host_of(url):
        return None
    return page


def _local_actor(url):
    page = local_page(url)
    if isinstance(page, (MemberBlogPage, CommunityIndexPage)) and activitypub.refusal(page) is None:
        return page
    return None


def _local_post(url):
    page = local_page(url)
    if isinstance(page, CommunityPostPage) and activitypub.refusal(page) is None:
        return page
    return None


# Receiving ---------------------------------------------------------------------------------


def receive(activity, actor, inbox_page=None):
    """Act on one verified activity from ``actor``; return a short description of what was
    done (for the sending server and the logs)."""
    if actor.is_blocked or actor.server.is_blocked:
        raise InboxError("This site does not accept activities from your account.", 403)
    if actor.server.is_unavailable or actor.server.failing_since:
        # It speaks again: deliver to it again.
        RemoteServer.objects.filter(pk=actor.server_id).update(
            is_unavailable=False, failing_since=None
        )
    kind = activity.get("type")
    handler = HANDLERS.get(kind if isinstance(kind, str) else "")
    if handler is None:
        return "ignored"
    return handler(activity, actor)


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
    parent = (
        Comment.objects.filter(remote_id=in_reply_to).select_related("post").first()
        if in_reply_to
        else None
    )
    if parent is not None:
        post = _local_post(activitypub.actor_id(parent.post)) if parent.post.live else None
        return post, parent
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
    published = note.get("published")
    try:
        published = datetime.fromisoformat(published) if isinstance(published, str) else None
    except ValueError:
        published = None
    if published is not None and published.tzinfo is None:
        published = published.replace(tzinfo=UTC)
    values = {
        "actor": actor,
        "url": _url(note.get("url")),
        "name": _text(note.get("name")),
        "summary": _text(note.get("summary"), 1000),
        "content": clean_federated_html(_note_html(note)[: app_settings.ACTIVITYPUB_MAX_BYTES]),
        "published_at": min(published or timezone.now(), timezone.now()),
    }
    try:
        with transaction.atomic():
            RemotePost.objects.update_or_create(object_id=note_id, defaults=values)
    except IntegrityError:  # delivered twice at once: one row stands
        pass
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


# Delivering ----------------------------------------------------------------------------------


def _digest(text):
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def follower_inboxes(page):
    """The inboxes to deliver ``page``'s activities to: each follower's shared inbox (or its
    own), once each, leaving out blocked accounts and servers."""
    rows = RemoteFollower.objects.filter(
        page_id=page.pk, actor__is_blocked=False, actor__server__is_blocked=False
    ).values_list("actor__shared_inbox", "actor__inbox")
    return sorted({shared or own for shared, own in rows})


def queue_activity(page, activity, inboxes):
    """Record ``activity`` for each inbox (once per activity and inbox) and have the worker
    send them when the current transaction commits; return how many were new."""
    rows = []
    for inbox in inboxes:
        server = server_for(inbox)
        if server.is_blocked or server.is_unavailable:
            continue
        rows.append(
            ActivityDelivery(
                key=_digest(f"{activity['id']} {inbox}"),
                page_id=page.pk,
                inbox=inbox,
                server=server,
                activity=activity,
            )
        )
    if not rows:
        return 0
    known = set(
        ActivityDelivery.objects.filter(key__in=[row.key for row in rows]).values_list(
            "key", flat=True
        )
    )
    ActivityDelivery.objects.bulk_create(
        [row for row in rows if row.key not in known], ignore_conflicts=True
    )
    new = list(
        ActivityDelivery.objects.filter(
            key__in={row.key for row in rows} - known, attempts=0
        ).values_list("pk", flat=True)
    )
    if new:
        transaction.on_commit(lambda: [_enqueue(delivery_id) for delivery_id in new])
    return len(new)


def _enqueue(delivery_id, run_after=None):
    from ..tasks import deliver_activity

    deliveries.enqueue(deliver_activity, delivery_id, run_after, what="ActivityPub delivery")


def _sending_blog(post):
    """The blog whose actor sends ``post``'s activities, if it federates."""
    blog = post.get_blog()
    if blog is None or activitypub.refusal(blog) is not None:
        return None
    return blog


def post_published(post):
    """A post was published: a ``Create`` (the first time it goes out) or an ``Update`` to
    its blog's followers, if it federates."""
    if not activitypub.enabled() or activitypub.refusal(post) is not None:
        return 0
    blog = _sending_blog(post)
    if blog is None:
        return 0
    inboxes = follower_inboxes(blog)
    if not inboxes:
        return 0
    create = {"@context": activitypub.AS_CONTEXT, **activitypub.create_activity(post)}
    if not ActivityDelivery.objects.filter(page_id=blog.pk, activity__id=create["id"]).exists():
        activity = create
    else:
        stamp = (post.last_published_at or timezone.now()).strftime("%Y%m%d%H%M%S%f")
        activity = {**create, "type": "Update"}
        activity["id"] = f"{activitypub.actor_id(post)}#update-{stamp}"
    return queue_activity(blog, activity, inboxes)


def post_withdrawn(post):
    """A federated post was unpublished or deleted: a ``Delete`` (with a ``Tombstone``) to
    its blog's followers."""
    if not activitypub.enabled() or post.first_published_at is None:
        return 0
    blog = _sending_blog(post)
    if blog is None:
        return 0
    inboxes = follower_inboxes(blog)
    if not inboxes:
        return 0
    url = activitypub.actor_id(post)
    if not url:
        return 0
    activity = {
        "@context": activitypub.AS_CONTEXT,
        "id": f"{url}#delete-{timezone.now():%Y%m%d%H%M%S%f}",
        "type": "Delete",
        "actor": activitypub.actor_id(blog),
        "to": [activitypub.PUBLIC],
        "object": {"id": url, "type": "Tombstone"},
    }
    return queue_activity(blog, activity, inboxes)


def community_followers_exist(post_id):
    """Does any server follow the community this post was promoted in?"""
    return RemoteFollower.objects.filter(
        page_id=PostScore.objects.filter(pk=post_id).values("community_id")[:1]
    ).exists()


def announce_promoted(post_id):
    """The community boosts a post readers promoted (``Announce``) to its followers."""
    if not activitypub.enabled():
        return 0
    score = PostScore.objects.filter(post_id=post_id, is_listed=True).first()
    if score is None or score.community_id is None:
        return 0
    community = CommunityIndexPage.objects.filter(pk=score.community_id).first()
    post = CommunityPostPage.objects.filter(pk=post_id).first()
    if community is None or post is None or activitypub.refusal(community) is not None:
        return 0
    if activitypub.refusal(post) is not None:
        return 0
    inboxes = follower_inboxes(community)
    activity = {
        "@context": activitypub.AS_CONTEXT,
        **activitypub.announce_activity(community, post),
    }
    return queue_activity(community, activity, inboxes)


def deliver(delivery_id):
    """Sign and send one delivery unless it is sent or being sent; return its status."""
    if not deliveries.claim(ActivityDelivery, delivery_id):
        return None
    delivery = ActivityDelivery.objects.select_related("server").get(pk=delivery_id)
    page = Page.objects.filter(pk=delivery.page_id).first()
    page = page.specific if page is not None else None
    if page is None or activitypub.refusal(page) is not None or delivery.server.is_blocked:
        return _given_up(delivery, "The actor no longer federates, or the server is blocked.")
    body = json.dumps(delivery.activity, ensure_ascii=False).encode()
    key = activitypub.actor_key(page)
    headers = signatures.sign(
        "POST",
        delivery.inbox,
        body,
        key_id=f"{activitypub.actor_id(page)}#main-key",
        private_key_pem=key.private_key_pem,
        content_type=activitypub.CONTENT_TYPE,
    )
    try:
        status = remote.post(delivery.inbox, body, headers)
    except remote.RemoteError as error:
        return _failed(delivery, str(error))
    if 200 <= status < 300:
        ActivityDelivery.objects.filter(pk=delivery.pk).update(
            status=ActivityDelivery.SENT, sent_at=timezone.now(), claimed_until=None, last_error=""
        )
        RemoteServer.objects.filter(pk=delivery.server_id).update(failing_since=None)
        return ActivityDelivery.SENT
    if 400 <= status < 500 and status not in (408, 429):
        # Refused for good (a missing inbox, a signature it will not accept): no retry.
        return _given_up(delivery, f"The inbox answered {status}.")
    return _failed(delivery, f"The inbox answered {status}.")


def _given_up(delivery, message):
    ActivityDelivery.objects.filter(pk=delivery.pk).update(
        status=ActivityDelivery.FAILED, claimed_until=None, last_error=message[:2000]
    )
    logger.warning("Gave up delivering %s to %s: %s", delivery.pk, delivery.inbox, message)
    return ActivityDelivery.FAILED


def _failed(delivery, message):
    now = timezone.now()
    RemoteServer.objects.filter(pk=delivery.server_id, failing_since__isnull=True).update(
        failing_since=now
    )
    server = RemoteServer.objects.get(pk=delivery.server_id)
    give_up_after = timedelta(days=app_settings.ACTIVITYPUB_GIVE_UP_DAYS)
    if server.failing_since and now - server.failing_since >= give_up_after:
        RemoteServer.objects.filter(pk=server.pk).update(is_unavailable=True)
        ActivityDelivery.objects.filter(server=server, status=ActivityDelivery.PENDING).update(
            status=ActivityDelivery.FAILED, last_error="The server was given up on."
        )
        return _given_up(delivery, f"{message} The server has failed since {server.failing_since}.")
    delays = app_settings.ACTIVITYPUB_RETRY_MINUTES
    if delivery.attempts > len(delays):
        return _given_up(delivery, f"{message} ({delivery.attempts} attempts)")
    when = now + timedelta(minutes=delays[delivery.attempts - 1])
    ActivityDelivery.objects.filter(pk=delivery.pk).update(
        status=ActivityDelivery.PENDING,
        next_attempt_at=when,
        claimed_until=None,
        last_error=message[:2000],
    )
    logger.info(
        "Delivery %s to %s failed (%s); again at %s",
        delivery.pk,
        delivery.inbox,
        message,
        when.isoformat(timespec="seconds"),
    )
    _enqueue(delivery.pk, run_after=when)
    return ActivityDelivery.PENDING


def queue_due(now=None):
    """Hand the worker again every delivery that is due and not being sent; return how many."""
    due = deliveries.due(ActivityDelivery, now)
    for delivery_id in due:
        _enqueue(delivery_id)
    return len(due)


# Members following the fediverse ----------------------------------------------------------

HANDLE = re.compile(r"^@?(?P<user>[^@\s/:?#]+)@(?P<host>[A-Za-z0-9.-]+(:[0-9]{1,5})?)$")
ACTIVITY_TYPES = {
    activitypub.CONTENT_TYPE,
    'application/ld+json; profile="https://www.w3.org/ns/activitystreams"',
}


def parse_handle(text):
    """``(user, host)`` of ``@user@host`` (or ``user@host``); ``FederationError`` otherwise."""
    match = HANDLE.match((text or "").strip())
    if not match:
        raise FederationError(
            _("Enter an account as @name@server.example, the way the fediverse writes it.")
        )
    return match["user"], match["host"].lower()


def webfinger(handle):
    """The WebFinger document of ``@user@host`` on its own server (https; http too where
    private addresses are allowed, for development)."""
    user, host = parse_handle(handle)
    resource = quote(f"acct:{user}@{host}", safe=":@")
    schemes = ("https", "http") if app_settings.ACTIVITYPUB_ALLOW_PRIVATE_ADDRESSES else ("https",)
    error = None
    for scheme in schemes:
        try:
            return remote.fetch_json(f"{scheme}://{host}/.well-known/webfinger?resource={resource}")
        except remote.RemoteError as problem:
            error = problem
    raise FederationError(
        _("Could not find %(handle)s on its server (%(error)s).")
        % {"handle": f"@{user}@{host}", "error": error},
        404,
    )


def _link(jrd, rel, types=None):
    for link in jrd.get("links") or []:
        if not isinstance(link, dict) or link.get("rel") != rel:
            continue
        if types is None or link.get("type") in types:
            return link
    return None


def lookup(handle_or_url):
    """The remote account a handle (``@user@host``) or an actor's URL names, fetched and
    recorded; ``FederationError`` when it cannot be found or is blocked here."""
    text = (handle_or_url or "").strip()
    if text.startswith(("https://", "http://")):
        actor_url = _url(text)
    else:
        link = _link(webfinger(text), "self", ACTIVITY_TYPES) or {}
        actor_url = _url(link.get("href"))
    if not actor_url:
        raise FederationError(_("That account has no ActivityPub address."), 404)
    if RemoteServer.objects.filter(domain=remote.host_of(actor_url), is_blocked=True).exists():
        raise FederationError(_("This site does not federate with that server."), 403)
    try:
        document = remote.fetch_json(actor_url)
    except remote.RemoteError as error:
        raise FederationError(
            _("Could not read that account (%(error)s).") % {"error": error}, 404
        ) from error
    actor_url = _url(document.get("id"))
    keys = document.get("publicKey")
    key = (keys[0] if isinstance(keys, list) and keys else keys) or {}
    if not actor_url or not isinstance(key, dict) or not key.get("publicKeyPem"):
        raise FederationError(_("That address is not an ActivityPub account."), 404)
    if remote.host_of(actor_url) != remote.host_of(str(key.get("id", ""))):
        raise FederationError(_("That account's key is on another server."), 404)
    try:
        actor = record_actor(document, key)
    except InboxError as error:
        raise FederationError(error.message, 404) from error
    if actor.is_blocked:
        raise FederationError(_("This site does not federate with that account."), 403)
    return actor


def subscribe_template(handle):
    """Where the server of ``@user@host`` lets its user follow an address (OStatus's
    subscribe template, which Mastodon and others publish), or None."""
    link = _link(webfinger(handle), "http://ostatus.org/schema/1.0/subscribe") or {}
    template = link.get("template")
    return template if isinstance(template, str) and "{uri}" in template else None


def follow_remote(user, blog, handle_or_url):
    """``user``'s ``blog`` follows a remote account: recorded, and a signed ``Follow`` sent;
    it is in force when the other server accepts. Following again changes nothing."""
    if blog.owner_id != user.pk:
        raise FederationError(_("You can only follow from your own blog."), 403)
    if activitypub.refusal(blog) is not None:
        raise FederationError(_("Only a published, public blog can follow other accounts."), 403)
    actor = lookup(handle_or_url)
    existing = RemoteFollowing.objects.filter(page_id=blog.pk, actor=actor).first()
    if existing is not None:
        return existing
    follow_id = f"{activitypub.actor_id(blog)}#follows/{uuid.uuid4().hex}"
    with transaction.atomic():
        try:
            with transaction.atomic():
                following = RemoteFollowing.objects.create(
                    page_id=blog.pk, actor=actor, follow_id=follow_id
                )
        except IntegrityError:  # the same follow, asked twice at once
            return RemoteFollowing.objects.get(page_id=blog.pk, actor=actor)
        queue_activity(blog, _follow_activity(blog, actor, follow_id), [actor.inbox])
    return following


def _follow_activity(blog, actor, follow_id):
    return {
        "@context": activitypub.AS_CONTEXT,
        "id": follow_id,
        "type": "Follow",
        "actor": activitypub.actor_id(blog),
        "object": actor.url,
    }


def unfollow_remote(user, following):
    """Stop following: a signed ``Undo`` of the ``Follow``, and the row goes."""
    blog = MemberBlogPage.objects.filter(pk=following.page_id).first()
    if blog is None or blog.owner_id != user.pk:
        raise FederationError(_("That is not one of your follows."), 404)
    actor = following.actor
    with transaction.atomic():
        undo = {
            "@context": activitypub.AS_CONTEXT,
            "id": f"{following.follow_id}/undo",
            "type": "Undo",
            "actor": activitypub.actor_id(blog),
            "object": _follow_activity(blog, actor, following.follow_id),
        }
        if activitypub.refusal(blog) is None:
            queue_activity(blog, undo, [actor.inbox])
        following.delete()
