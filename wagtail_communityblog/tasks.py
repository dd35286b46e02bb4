"""Background work, run by django-tasks (the task framework Wagtail itself uses).

The tasks are the outer layer: they import the services they run. The services enqueue tasks,
so they import this module when they do (at call time), never at their own import.
"""

import html

from django.contrib.auth import get_user_model
from django.utils.html import strip_tags
from django_tasks import task

from .adapter import get_adapter
from .frontend_cache import purge_posts
from .links import comment_unsubscribe_url, one_click_unsubscribe
from .models import Comment
from .services import activitypub as federation
from .services.crowd import refresh_crowd
from .services.curation import notify_promoted
from .services.deliveries import deliver, queue_due
from .services.follows import forget_unconfirmed, queue_digests
from .services.ratings import fold_in_matured_votes, recompute_all
from .services.vote_rings import detect_rings, hold_fast_climbers


@task()
def deliver_email(delivery_id):
    """Send one e-mail of the outbox (``models.EmailDelivery``), unless it has been sent or
    another worker is sending it; return its status (``None``: nothing to do)."""
    return deliver(delivery_id)


@task()
def retry_emails():
    """Hand the worker again the e-mails that are due: retries after an error, e-mails whose
    task was lost, claims of a worker that was killed while sending; return how many."""
    return queue_due()


@task()
def deliver_activity(delivery_id):
    """Sign and send one ActivityPub delivery (``models.ActivityDelivery``), unless it has
    been sent or another worker is sending it; return its status (``None``: nothing to do)."""
    return federation.deliver(delivery_id)


@task()
def retry_activities():
    """Hand the worker again the ActivityPub deliveries that are due (retries after a failure,
    deliveries whose task was lost); return how many."""
    return federation.queue_due()


@task()
def send_digests():
    """Queue this week's digest of each community to its followers by e-mail (once a week:
    run again in the same week, it queues nothing more); return how many."""
    return queue_digests()


@task()
def forget_unconfirmed_follows():
    """Forget the follows by e-mail that were never confirmed within a week (and the
    addresses left with nothing); return how many follows were deleted."""
    return forget_unconfirmed()


# The senders below do the work of each kind of e-mail (deliver_email calls them); queued
# directly, as before the outbox, they still send.


@task()
def send_member_email(user_id, template_prefix, context):
    """E-mail a member, rendering ``<prefix>_subject.txt`` and ``<prefix>_body.txt``."""
    user = get_user_model().objects.filter(pk=user_id).first()
    if user is None or not user.email:
        return
    adapter = get_adapter()
    context = {**context, "member_name": adapter.display_name(user)}
    adapter.send_mail(template_prefix, user.email, context)


@task()
def send_promotion_email(post_id):
    """Tell a post's author that readers have promoted it (queued by the promoting vote)."""
    notify_promoted(post_id)


@task()
def send_comment_notification(user_id, comment_id):
    """Tell a follower of a discussion about a new comment, with a one-click unsubscribe."""
    user = get_user_model().objects.filter(pk=user_id, is_active=True).first()
    comment = Comment.objects.filter(pk=comment_id).select_related("post", "author").first()
    if user is None or not user.email or comment is None or not comment.is_visible:
        return
    post = comment.post
    unsubscribe_url = comment_unsubscribe_url(post, user.pk)
    context = {
        "member_name": get_adapter().display_name(user),
        "title": post.title,
        "commenter": comment.author_name,
        "text": html.unescape(
            strip_tags(
                comment.body.replace("</p>", "</p>\n\n")
                .replace("</blockquote>", "</blockquote>\n\n")
                .replace("<br/>", "\n")
            )
        ).strip(),
        "url": comment.get_full_url(),
        "unsubscribe_url": unsubscribe_url,
        "is_author": post.author_id == user.pk,
    }
    get_adapter().send_mail(
        "wagtail_communityblog/emails/comment_notification",
        user.email,
        context,
        headers=one_click_unsubscribe(unsubscribe_url),
    )


@task()
def detect_vote_rings():
    """Run the vote-ring detection, the fast-climber hold and the refresh of who follows the
    crowd (``communityblog_detect_rings`` as a background task); return the ids of the rings
    recorded or grown."""
    refresh_crowd()
    clusters = [cluster.pk for cluster in detect_rings()]
    hold_fast_climbers()
    return clusters


@task()
def fold_matured_votes():
    """Count the votes of accounts that have come of age (``communityblog_recompute_scores
    --matured-only`` as a background task); return how many were folded in."""
    return fold_in_matured_votes()


@task()
def recompute_scores():
    """Rebuild every post's stored scores from the votes, repairing any drift
    (``communityblog_recompute_scores``); return the ids of the posts repaired."""
    fold_in_matured_votes()
    _posts, drifted = recompute_all()
    return drifted


@task()
def purge_frontend_cache(post_ids):
    """Purge the caching proxy of the pages that show these posts (``frontend_cache.py``);
    return the URLs purged."""
    return purge_posts(post_ids)


# The jobs ``communityblog_scheduler`` may queue, by the names WAGTAIL_COMMUNITYBLOG_SCHEDULE uses.
PERIODIC = {
    "detect_vote_rings": detect_vote_rings,
    "fold_matured_votes": fold_matured_votes,
    "recompute_scores": recompute_scores,
    "retry_emails": retry_emails,
    "send_digests": send_digests,
    "forget_unconfirmed_follows": forget_unconfirmed_follows,
    "retry_activities": retry_activities,
}
