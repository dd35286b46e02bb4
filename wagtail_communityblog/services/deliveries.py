"""Sending the package's e-mails through the outbox (``models.EmailDelivery``), once each.

``queue()`` records an e-mail inside the caller's transaction and, once it commits, asks the
task worker to ``deliver()`` it. Delivery claims the row before sending (a conditional
``UPDATE``: of two tasks for one e-mail, one sends), marks it sent after, and on an error
schedules another attempt (``EMAIL_RETRY_MINUTES``) or gives up. ``queue_due()``, run every
minute by the scheduler (``retry_emails``), hands the worker again whatever is due: a retry,
an e-mail whose task was lost (a worker killed before it ran it, a queue that was down), or a
claim that ran out (a worker killed while sending).

Each e-mail carries a ``Message-ID`` made from its row, the same on every attempt: the one
case a retry can send twice, a worker killed after the mail server took the message and
before the row was marked, gives the recipient two copies of one message, which mail
clients show once.
"""

import logging
from datetime import timedelta

from django.core.mail.utils import DNS_NAME
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from ..adapter import MESSAGE_ID
from ..conf import app_settings
from ..links import json_key
from ..models import EmailDelivery

logger = logging.getLogger(__name__)

# How long an e-mail may wait for its task before the worker is handed it again (its task
# may just be queued behind others: only one of the two sends).
STILL_WAITING = timedelta(minutes=2)


def stored(arguments):
    """``arguments`` as the outbox's JSON keeps them (``links.json_key``)."""
    return [json_key(value) for value in arguments]


def queue(kind, key, *arguments):
    """Record the e-mail ``key`` (once: a second call with the same key does nothing) and
    have the worker send it when the current transaction commits."""
    delivery, created = EmailDelivery.objects.get_or_create(
        key=key, defaults={"kind": kind, "arguments": stored(arguments)}
    )
    if created:
        delivery_id = delivery.pk
        transaction.on_commit(lambda: _enqueue(delivery_id))
    return delivery


def queue_new(kind, key, *arguments):
    """Like ``queue()``, but say whether the e-mail was new (False: ``key`` was recorded
    before, by this request or another at the same moment)."""
    try:
        with transaction.atomic():
            EmailDelivery.objects.create(key=key, kind=kind, arguments=stored(arguments))
    except IntegrityError:
        return False
    delivery_id = EmailDelivery.objects.get(key=key).pk
    transaction.on_commit(lambda: _enqueue(delivery_id))
    return True


def queue_many(kind, rows):
    """Record many e-mails of one ``kind`` at once, ``rows`` being ``(key, arguments)``
    (those already recorded are left as they are), and have the worker send the new ones when
    the current transaction commits; return how many were new."""
    return record_new(
        EmailDelivery,
        [EmailDelivery(key=key, kind=kind, arguments=stored(arguments)) for key, arguments in rows],
        _enqueue,
    )


def record_new(model, rows, enqueue):
    """Save the outbox ``rows`` (of ``model``) not recorded yet, by their ``key``, and hand
    the new ones to ``enqueue`` when the current transaction commits; return how many."""
    keys = {row.key for row in rows}
    known = set(model.objects.filter(key__in=keys).values_list("key", flat=True))
    model.objects.bulk_create(
        [row for row in rows if row.key not in known],
        ignore_conflicts=True,  # another run recording the same rows at the same time
    )
    new = list(model.objects.filter(key__in=keys - known, attempts=0).values_list("pk", flat=True))
    if new:
        transaction.on_commit(lambda: [enqueue(delivery_id) for delivery_id in new])
    return len(new)


def _enqueue(delivery_id, run_after=None):
    # At call time: the tasks import the services they run (see tasks.py).
    from ..tasks import deliver_email

    enqueue(deliver_email, delivery_id, run_after, what="e-mail")


def enqueue(task, delivery_id, run_after=None, *, what):
    """Hand one outbox row to the worker (``task``), now or at ``run_after``; a queue that is
    down loses nothing: the row is the record, and the periodic retry hands it over."""
    if run_after is not None:
        if not task.get_backend().supports_defer:
            return  # the periodic retry hands it over when it is due
        task = task.using(run_after=run_after)
    try:
        task.enqueue(delivery_id)
    except Exception as error:  # noqa: BLE001 - the queue is down: the row is the record
        logger.warning(
            "Could not queue %s %s (%s: %s); its periodic retry will hand it to the worker.",
            what,
            delivery_id,
            type(error).__name__,
            error,
        )


def claim(model, delivery_id):
    """Claim one outbox row (an ``EmailDelivery`` or an ``ActivityDelivery``) for sending: a
    conditional ``UPDATE``, so of two workers handed the same row one sends. False if it is
    sent, being sent, or not due."""
    now = timezone.now()
    return bool(
        model.objects.filter(pk=delivery_id)
        .filter(
            Q(status=model.PENDING, next_attempt_at__lte=now)
            | Q(status=model.SENDING, claimed_until__lt=now)
        )
        .update(
            status=model.SENDING,
            attempts=F("attempts") + 1,
            claimed_until=now + timedelta(seconds=app_settings.EMAIL_CLAIM_SECONDS),
        )
    )


def due(model, now=None):
    """The outbox rows that should have been sent by now and are not being sent (at most 1,000),
    each marked due now so that it is handed over at most once every ``STILL_WAITING``."""
    now = now or timezone.now()
    due = list(
        model.objects.filter(
            Q(status=model.PENDING, next_attempt_at__lte=now - STILL_WAITING)
            | Q(status=model.SENDING, claimed_until__lt=now)
        ).values_list("pk", flat=True)[:1000]
    )
    model.objects.filter(pk__in=due, status=model.PENDING).update(next_attempt_at=now)
    return due


def senders():
    """Each kind of e-mail and the function that sends one (the tasks' bodies)."""
    from ..tasks import send_comment_notification, send_member_email, send_promotion_email
    from . import activitypub, follows

    return {
        "member": send_member_email.call,
        "promotion": send_promotion_email.call,
        "comment": send_comment_notification.call,
        "follow_confirm": follows.send_confirmation,
        "follow_post": follows.send_post,
        "follow_promoted": follows.send_promoted,
        "digest": follows.send_digest,
        # Not e-mails but what queues them, one per follower: recorded here too, so that
        # telling the followers is never lost with a task and never done twice.
        "followers_post": follows.notify_new_post,
        "followers_promoted": follows.notify_promoted,
        # The community's boost of a promoted post, to its followers on other servers.
        "activitypub_announce": activitypub.announce_promoted,
    }


def deliver(delivery_id):
    """Send one e-mail of the outbox unless it is sent or being sent; return its status."""
    if not claim(EmailDelivery, delivery_id):
        return None
    delivery = EmailDelivery.objects.get(pk=delivery_id)
    token = MESSAGE_ID.set(
        f"<communityblog.{delivery.pk}.{delivery.created_at:%Y%m%d%H%M%S}@{DNS_NAME}>"
    )
    try:
        senders()[delivery.kind](*delivery.arguments)
    except Exception as error:  # noqa: BLE001 - any sending error is retried, then given up
        return _failed(delivery, error)
    finally:
        MESSAGE_ID.reset(token)
    EmailDelivery.objects.filter(pk=delivery.pk, status=EmailDelivery.SENDING).update(
        status=EmailDelivery.SENT, sent_at=timezone.now(), claimed_until=None, last_error=""
    )
    return EmailDelivery.SENT


def _failed(delivery, error):
    message = f"{type(error).__name__}: {error}"
    status, when = retry_later(
        EmailDelivery, delivery, message, app_settings.EMAIL_RETRY_MINUTES, _enqueue
    )
    if status == EmailDelivery.FAILED:
        logger.error(
            "Gave up on e-mail %s after %d attempts: %s", delivery.key, delivery.attempts, message
        )
    else:
        logger.warning(
            "E-mail %s failed (attempt %d), trying again at %s: %s",
            delivery.key,
            delivery.attempts,
            when.isoformat(timespec="seconds"),
            message,
        )
    return status


def retry_later(model, delivery, message, delays, enqueue):
    """After a failed attempt at an outbox row: schedule the next one ``delays`` (minutes, one
    per attempt) from now and hand it to ``enqueue`` for then, or give up once they are used
    up; return ``(status, when)``."""
    if delivery.attempts > len(delays):
        status, when = model.FAILED, timezone.now()
    else:
        status = model.PENDING
        when = timezone.now() + timedelta(minutes=delays[delivery.attempts - 1])
    model.objects.filter(pk=delivery.pk).update(
        status=status, next_attempt_at=when, claimed_until=None, last_error=message[:2000]
    )
    if status == model.PENDING:
        enqueue(delivery.pk, run_after=when)
    return status, when


def queue_due(now=None):
    """Hand the worker again every e-mail that should have been sent by now and is not being
    sent (at most once every ``STILL_WAITING`` per e-mail); return how many."""
    ids = due(EmailDelivery, now)
    for delivery_id in ids:
        _enqueue(delivery_id)
    return len(ids)
