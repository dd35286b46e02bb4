"""Post holds: keeping a post out of every ranking until an editor has looked.

Three defences hold posts, each with its evidence on the ``PostHold``: the ring detection
(``RING_HOLD_POSTS``, services/vote_rings.py), the fast-climber hold (``CLIMB_HOLD``, same
module) and the crowd hold at the vote (``CROWD_HOLD``, services/crowd.py). Editors decide them
in Community > Held posts (``vote_rings.decide_hold``).
"""

from django.db import transaction
from django.utils.translation import gettext as _
from wagtail.log_actions import log

from ..cache import rankings_changed
from ..models import CommunityPostPage, PostHold, PromotionEvent
from .curation import set_hidden


def hold_reason(reason):
    """What the author reads on their dashboard. It says that an editor will look at the
    post's votes, never which votes or which rule: a ring must not learn what to avoid."""
    if reason == PostHold.REASON_RING:
        return _(
            "Many new accounts voted this post up together. It is kept off the front page until "
            "an editor has looked at their votes."
        )
    if reason == PostHold.REASON_CROWD:
        return _(
            "This post's votes are waiting for an editor to look at them. It is kept off the "
            "front page until then."
        )
    return _(
        "This post received far more votes in its first hour than posts usually do. It is kept "
        "off the front page until an editor has looked at its votes."
    )


def hold_posts(post_ids, reason, cluster=None, evidence=None):
    """Hide the posts from every ranking and record the holds; return the holds made.

    ``evidence``: post id -> the ``PostHold`` fields that record why (a climb's first-hour up
    votes and threshold, a crowd hold's ``evidence``). One conditional UPDATE per post: a post
    already hidden (by an editor or readers' reports), pinned by an editor, or under another
    open hold is left as it is.
    """
    text = hold_reason(reason)
    holds = []
    for post_id in post_ids:
        with transaction.atomic():
            if PostHold.objects.filter(post_id=post_id, status=PostHold.STATUS_OPEN).exists():
                continue
            if not set_hidden(
                post_id, True, reason=text, where={"is_hidden": False, "is_pinned": False}
            ):
                continue
            holds.append(
                PostHold.objects.create(
                    post_id=post_id,
                    reason=reason,
                    cluster=cluster,
                    hidden_reason=text,
                    **(evidence or {}).get(post_id, {}),
                )
            )
            PromotionEvent.objects.create(post_id=post_id, kind=PromotionEvent.HIDDEN, reason=text)
    for post in CommunityPostPage.objects.filter(pk__in=[hold.post_id for hold in holds]):
        log(
            instance=post,
            action="wagtail_communityblog.post_held",
            user=None,
            data={"reason": reason, "vote_ring": cluster.pk if cluster else None},
        )
    if holds:
        rankings_changed()
    return holds
