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

from .actors import InboxError, local_page, verified_actor
from .blocking import block_actor, block_domain, block_server
from .following import (
    describe,
    follow_remote,
    lookup,
    parse_handle,
    subscribe_template,
    unfollow_remote,
    webfinger,
)
from .inbox import forget_actor, receive, recount_reactions
from .outbox import (
    announce_promoted,
    community_followers_exist,
    deliver,
    follower_inboxes,
    post_published,
    post_withdrawn,
    queue_activity,
    queue_due,
)

__all__ = [
    "InboxError",
    "announce_promoted",
    "block_actor",
    "block_domain",
    "block_server",
    "community_followers_exist",
    "deliver",
    "describe",
    "follow_remote",
    "follower_inboxes",
    "forget_actor",
    "local_page",
    "lookup",
    "parse_handle",
    "post_published",
    "post_withdrawn",
    "queue_activity",
    "queue_due",
    "receive",
    "recount_reactions",
    "subscribe_template",
    "unfollow_remote",
    "verified_actor",
    "webfinger",
]
