"""Signals a site can connect to, to react to what happens in the community without forking.

Each is sent where the change is made (the service function, or the receiver of Wagtail's own
``page_published``/``page_unpublished`` for posts), **after the transaction
commits** (``transaction.on_commit``): a receiver never sees a change that was rolled back, and
a slow receiver never holds a vote's row lock. Always with ``sender`` = the model class named.
Connect receivers in your app's ``AppConfig.ready()`` (docs/reference/signals.md).
"""

from django.db import transaction
from django.dispatch import Signal

# A post went live: published by its author, approved in the moderation workflow, or
# published by an editor (each publication of a new revision too). sender=CommunityPostPage;
# post, author.
post_published = Signal()

# A post was taken off the site, by its author or an editor. sender=CommunityPostPage; post,
# author.
post_unpublished = Signal()

# Readers' votes promoted a post (it met the promotion rule; sent once per post).
# sender=CommunityPostPage; post_id.
post_promoted = Signal()

# An editor pinned, unpinned, hid, unhid or re-upped a post. sender=CommunityPostPage; post_id,
# action (a PromotionEvent kind: "pinned", "unpinned", "hidden", "unhidden", "reupped"), by.
post_curated = Signal()

# A vote was cast, changed or withdrawn (value 0). sender=Rating; post, user, value, counted
# (False while the vote waits to count: a new account, a held voter).
vote_cast = Signal()

# A comment was written (it may still await moderation: see comment.status).
# sender=Comment; comment, post, author.
comment_posted = Signal()

# A member was suspended, or their suspension lifted. sender=CommunityMember; user, by, reason
# (reason for suspension only).
member_suspended = Signal()
member_unsuspended = Signal()


def send_on_commit(signal, sender, **kwargs):
    """Send ``signal`` once the current transaction commits (at once outside one)."""
    if signal.has_listeners(sender):
        transaction.on_commit(lambda: signal.send(sender=sender, **kwargs))
