"""The e-mail outbox: one row per e-mail the package has decided to send.

A service records the e-mail in the same transaction as what it is about (a comment, an
approval, a promotion), so it exists exactly when that change does; the task worker sends it
(``services.deliveries.deliver``). The row is what makes sending safe to retry: a worker
claims it before sending and marks it sent after, a killed worker's claim runs out
(``EMAIL_CLAIM_SECONDS``), a failure is tried again later, and the ``key`` keeps one e-mail
per event however many times its task runs.
"""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class OutboxRow(models.Model):
    """What every outbox row has (``EmailDelivery``, ``federation.ActivityDelivery``): its
    state, attempts and schedule, claimed and retried by ``services.deliveries``."""

    PENDING, SENDING, SENT, FAILED = "pending", "sending", "sent", "failed"
    STATUSES = [
        (PENDING, _("Waiting to be sent")),
        (SENDING, _("Being sent")),
        (SENT, _("Sent")),
        (FAILED, _("Given up")),
    ]

    status = models.CharField(_("status"), max_length=10, choices=STATUSES, default=PENDING)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    next_attempt_at = models.DateTimeField(_("next attempt at"), default=timezone.now)
    claimed_until = models.DateTimeField(_("claimed until"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)

    class Meta:
        abstract = True


class EmailDelivery(OutboxRow):
    key = models.CharField(_("key"), max_length=255, unique=True)
    kind = models.CharField(_("kind"), max_length=40)
    arguments = models.JSONField(_("arguments"), default=list)

    class Meta:
        verbose_name = _("e-mail delivery")
        verbose_name_plural = _("e-mail deliveries")
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                condition=models.Q(status__in=["pending", "sending"]),
                name="communityblog_delivery_due",
            )
        ]

    def __str__(self):
        return f"{self.kind} {self.key} ({self.status})"
