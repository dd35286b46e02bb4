"""The admin's fediverse forms: blocking a server or an account goes through the service, so
their follows and reactions go and their waiting replies are rejected."""

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _
from wagtail.admin.forms import WagtailAdminModelForm

from ..models import RemoteActor, RemoteServer
from ..services import activitypub as federation

DOMAIN = RegexValidator(
    r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*(:\d{1,5})?$",
    _("Enter a host name, such as social.example (no https://, no path)."),
)


class RemoteServerForm(WagtailAdminModelForm):
    class Meta:
        model = RemoteServer
        fields = ["domain", "is_blocked", "reason"]
        widgets = {"reason": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["domain"].disabled = True
        else:
            self.fields["is_blocked"].initial = True

    def clean_domain(self):
        domain = self.cleaned_data["domain"].strip().lower().rstrip(".")
        if not self.instance.pk:
            DOMAIN(domain)
            if RemoteServer.objects.filter(domain=domain).exists():
                raise ValidationError(_("That server is listed already: edit it to block it."))
        return domain

    def save(self, commit=True):
        server = self.instance
        if server.pk is None:
            server = RemoteServer.objects.create(domain=self.cleaned_data["domain"])
        federation.block_server(
            server, blocked=self.cleaned_data["is_blocked"], reason=self.cleaned_data["reason"]
        )
        return RemoteServer.objects.get(pk=server.pk)


class RemoteActorForm(WagtailAdminModelForm):
    class Meta:
        model = RemoteActor
        fields = ["is_blocked"]

    def save(self, commit=True):
        federation.block_actor(self.instance, blocked=self.cleaned_data["is_blocked"])
        return RemoteActor.objects.get(pk=self.instance.pk)
