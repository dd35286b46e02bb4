"""What the site delivers: ``Create``/``Update``/``Delete`` of posts, ``Announce`` of promoted
posts, ``Accept``/``Follow``/``Undo``, one ``ActivityDelivery`` per inbox, signed and retried."""

import hashlib
import json
import logging
from datetime import timedelta

from django.utils import timezone
from wagtail.models import Page

from ... import activitypub
from ...activitypub import remote, signatures
from ...conf import app_settings
from ...models import (
    ActivityDelivery,
    CommunityIndexPage,
    CommunityPostPage,
    PostScore,
    RemoteFollower,
    RemoteServer,
)
from .. import deliveries
from .actors import server_for

logger = logging.getLogger(__name__)


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
    return deliveries.record_new(ActivityDelivery, rows, _enqueue)


def _enqueue(delivery_id, run_after=None):
    from ...tasks import deliver_activity

    deliveries.enqueue(deliver_activity, delivery_id, run_after, what="ActivityPub delivery")


def _blog_and_followers(post):
    """The blog that sends ``post``'s activities and its followers' inboxes, if federation is
    on, the blog federates and anyone follows it; else ``(None, [])``."""
    if not activitypub.enabled():
        return None, []
    blog = post.get_blog()
    if blog is None or activitypub.refusal(blog) is not None:
        return None, []
    return blog, follower_inboxes(blog)


def post_published(post):
    """A post was published: a ``Create`` (the first time it goes out) or an ``Update`` to
    its blog's followers, if it federates."""
    blog, inboxes = _blog_and_followers(post)
    if not inboxes or activitypub.refusal(post) is not None:
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
    if post.first_published_at is None:
        return 0
    blog, inboxes = _blog_and_followers(post)
    url = activitypub.actor_id(post) if inboxes else ""
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
    status, when = deliveries.retry_later(
        ActivityDelivery, delivery, message, app_settings.ACTIVITYPUB_RETRY_MINUTES, _enqueue
    )
    if status == ActivityDelivery.FAILED:
        logger.warning(
            "Gave up delivering %s to %s after %d attempts: %s",
            delivery.pk,
            delivery.inbox,
            delivery.attempts,
            message,
        )
    else:
        logger.info(
            "Delivery %s to %s failed (%s); again at %s",
            delivery.pk,
            delivery.inbox,
            message,
            when.isoformat(timespec="seconds"),
        )
    return status


def queue_due(now=None):
    """Hand the worker again every delivery that is due and not being sent; return how many."""
    due = deliveries.due(ActivityDelivery, now)
    for delivery_id in due:
        _enqueue(delivery_id)
    return len(due)
