"""ActivityPub (``WAGTAIL_COMMUNITYBLOG_ACTIVITYPUB``): the key pair of each actor.

Each member blog and each community index is an actor; what it signs (its deliveries to other
servers) is signed with its private key, and other servers check those signatures with the
public key its actor document publishes. The pair is made the first time the actor is asked
for, and kept here rather than on the page: publishing a page from a revision would otherwise
put an old key back.
"""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from wagtail.models import Page


class ActorKey(models.Model):
    page = models.OneToOneField(
        Page, verbose_name=_("actor"), on_delete=models.CASCADE, related_name="+"
    )
    public_key_pem = models.TextField(_("public key"))
    private_key_pem = models.TextField(_("private key"))
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("ActivityPub actor key")
        verbose_name_plural = _("ActivityPub actor keys")

    def __str__(self):
        return f"key of page {self.page_id}"
