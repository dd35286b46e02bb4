"""The package's e-mails go through an outbox (``EmailDelivery``): each is sent once, however
many times its task runs; a mail server that is down is tried again later, then given up on;
an e-mail whose task was lost, or whose worker was killed while sending, is sent by the next
``retry_emails`` run."""

import logging
from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.core import mail
from django.test import override_settings
from django.utils import timezone

from tests.factories import make_blog, make_community, make_post, make_user
from wagtail_communityblog.models import EmailDelivery
from wagtail_communityblog.services import comments as comment_service
from wagtail_communityblog.services import deliveries
from wagtail_communityblog.tasks import PERIODIC, deliver_email

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.usefixtures("no_comment_moderation"),
]


@pytest.fixture
def no_comment_moderation(settings):
    settings.WAGTAIL_COMMUNITYBLOG_COMMENT_MODERATION = "none"


@pytest.fixture
def author():
    return make_user("amara")


@pytest.fixture
def post(author):
    return make_post(make_blog(make_community(), author), title="Rent")


def comment(post, django_capture_on_commit_callbacks, username="bea"):
    with django_capture_on_commit_callbacks(execute=True):
        return comment_service.create_comment(post, make_user(username), "Agreed.")


def recorded_not_sent(post, django_capture_on_commit_callbacks):
    """A comment whose e-mail is recorded in the outbox but whose task never runs (a queue
    that was down, a worker killed before it took it); returns the e-mail's row."""
    with django_capture_on_commit_callbacks(execute=False):
        comment_service.create_comment(post, make_user("bea"), "Agreed.")
    comment_service.notify_new_comment(post.comments.get().pk)  # its own task is not run
    return EmailDelivery.objects.get()


def retry_run(django_capture_on_commit_callbacks):
    """Run the scheduler's ``retry_emails`` as the worker does, outside a transaction: the
    tasks it queues run, on the backends that queue them when the transaction commits too
    (django-tasks 0.7, under Wagtail 7.0)."""
    with django_capture_on_commit_callbacks(execute=True):
        return PERIODIC["retry_emails"].call()


def test_a_notification_is_recorded_sent_and_carries_a_message_id_of_its_own(
    post, author, django_capture_on_commit_callbacks
):
    written = comment(post, django_capture_on_commit_callbacks)
    delivery = EmailDelivery.objects.get()
    assert (delivery.kind, delivery.key) == ("comment", f"comment:{written.pk}:to:{author.pk}")
    assert delivery.status == EmailDelivery.SENT and delivery.attempts == 1
    [message] = mail.outbox
    assert message.to == [author.email]
    assert message.extra_headers["Message-ID"].startswith(f"<communityblog.{delivery.pk}.")


def test_running_its_task_again_sends_nothing_more(
    post, author, django_capture_on_commit_callbacks
):
    comment(post, django_capture_on_commit_callbacks)
    delivery = EmailDelivery.objects.get()
    assert deliver_email.call(delivery.pk) is None
    assert deliveries.queue("comment", delivery.key, *delivery.arguments) == delivery
    assert len(mail.outbox) == 1 and EmailDelivery.objects.count() == 1


@override_settings(EMAIL_BACKEND="tests.mail_backends.RefusingBackend")
def test_a_mail_server_that_is_down_is_tried_again_then_given_up_on(
    post, django_capture_on_commit_callbacks, caplog, settings
):
    settings.WAGTAIL_COMMUNITYBLOG_EMAIL_RETRY_MINUTES = [1, 5]
    comment(post, django_capture_on_commit_callbacks)
    delivery = EmailDelivery.objects.get()
    assert delivery.status == EmailDelivery.PENDING and delivery.attempts == 1
    assert "ConnectionRefusedError" in delivery.last_error
    wait = delivery.next_attempt_at - timezone.now()
    assert timedelta(seconds=50) < wait <= timedelta(minutes=1)
    assert "failed (attempt 1), trying again at" in caplog.text
    # Not before its time; then twice more, and the last failure gives up.
    assert deliver_email.call(delivery.pk) is None
    for _ in range(2):
        EmailDelivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now())
        status = deliver_email.call(delivery.pk)
    assert status == EmailDelivery.FAILED
    assert EmailDelivery.objects.get().attempts == 3
    assert any(
        r.levelno == logging.ERROR and "Gave up on e-mail" in r.getMessage() for r in caplog.records
    )


def test_the_next_try_after_an_outage_sends_it(post, django_capture_on_commit_callbacks):
    with override_settings(EMAIL_BACKEND="tests.mail_backends.RefusingBackend"):
        comment(post, django_capture_on_commit_callbacks)
    delivery = EmailDelivery.objects.get()
    EmailDelivery.objects.filter(pk=delivery.pk).update(
        next_attempt_at=timezone.now() - timedelta(minutes=3)
    )
    assert (
        retry_run(django_capture_on_commit_callbacks) == 1
    )  # the scheduler's job hands it to the worker
    assert EmailDelivery.objects.get().status == EmailDelivery.SENT
    assert len(mail.outbox) == 1


def test_an_e_mail_whose_task_was_lost_is_sent_by_the_next_retry_run(
    post, django_capture_on_commit_callbacks
):
    recorded_not_sent(post, django_capture_on_commit_callbacks)
    assert EmailDelivery.objects.get().status == EmailDelivery.PENDING
    assert retry_run(django_capture_on_commit_callbacks) == 0  # it may just be queued behind others
    EmailDelivery.objects.update(
        next_attempt_at=timezone.now() - deliveries.STILL_WAITING - timedelta(seconds=1)
    )
    assert retry_run(django_capture_on_commit_callbacks) == 1
    assert EmailDelivery.objects.get().status == EmailDelivery.SENT
    assert len(mail.outbox) == 1


def test_a_worker_killed_while_sending_leaves_it_to_be_sent_when_its_claim_runs_out(
    post, django_capture_on_commit_callbacks
):
    delivery = recorded_not_sent(post, django_capture_on_commit_callbacks)
    # A worker claimed it and was killed before it could send.
    EmailDelivery.objects.filter(pk=delivery.pk).update(
        status=EmailDelivery.SENDING,
        attempts=1,
        claimed_until=timezone.now() + timedelta(minutes=5),
    )
    assert deliver_email.call(delivery.pk) is None  # another worker keeps off a live claim
    assert retry_run(django_capture_on_commit_callbacks) == 0
    EmailDelivery.objects.filter(pk=delivery.pk).update(
        claimed_until=timezone.now() - timedelta(seconds=1)
    )
    assert retry_run(django_capture_on_commit_callbacks) == 1
    assert EmailDelivery.objects.get().status == EmailDelivery.SENT
    assert len(mail.outbox) == 1


def test_the_promotion_e_mail_goes_through_the_outbox_too(
    post, author, client, django_capture_on_commit_callbacks
):
    from wagtail_communityblog.models import PostScore
    from wagtail_communityblog.services.curation import check_promotion

    PostScore.objects.filter(pk=post.pk).update(vote_count=50, score=50)
    with django_capture_on_commit_callbacks(execute=True):
        assert check_promotion(post.pk)
    delivery = EmailDelivery.objects.get(kind="promotion")
    assert delivery.status == EmailDelivery.SENT
    [message] = mail.outbox
    assert message.to == [author.email] and "promoted" in message.subject.lower()


def test_a_task_queue_that_is_down_loses_no_e_mail_and_fails_no_request(
    post, django_capture_on_commit_callbacks, monkeypatch, caplog
):
    def queue_down(*args, **kwargs):
        raise ConnectionError("the task queue is unreachable")

    monkeypatch.setattr(
        "wagtail_communityblog.tasks.deliver_email", SimpleNamespace(enqueue=queue_down)
    )
    comment(post, django_capture_on_commit_callbacks)  # the comment is saved, no error
    delivery = EmailDelivery.objects.get()
    assert delivery.status == EmailDelivery.PENDING and mail.outbox == []
    assert "Could not queue e-mail" in caplog.text
    monkeypatch.undo()
    EmailDelivery.objects.update(
        next_attempt_at=timezone.now() - deliveries.STILL_WAITING - timedelta(seconds=1)
    )
    assert retry_run(django_capture_on_commit_callbacks) == 1
    assert EmailDelivery.objects.get().status == EmailDelivery.SENT
