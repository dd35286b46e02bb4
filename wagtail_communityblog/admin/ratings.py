"""Votes in the admin: editors inspect and delete them; deleting rebuilds the scores."""

from ..models import Rating
from ..services.ratings import recompute_posts


def recompute_after_votes_deleted(request, instances):
    """Deleting votes in the admin (one, or in bulk) rebuilds the scores of their posts."""
    post_ids = {instance.post_id for instance in instances if isinstance(instance, Rating)}
    if post_ids:
        recompute_posts(post_ids)
