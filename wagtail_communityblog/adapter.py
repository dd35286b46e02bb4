"""The adapter: what a site changes about the package without forking it.

As django-allauth's: one class, named by ``WAGTAIL_COMMUNITYBLOG_ADAPTER``; subclass
``DefaultCommunityBlogAdapter`` and override what the site does differently. The package asks
``get_adapter()`` each time (the setting is read at call time), so ``override_settings`` works.
The adapter narrows the package's own checks, never replaces them: a suspended member stays
refused whatever ``blogging_refusal`` answers. Documented in docs/reference/adapter.md.
"""

import contextvars

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template import TemplateDoesNotExist
from django.template.loader import render_to_string
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from .conf import app_settings

# The Message-ID of the outbox e-mail being sent now (services/deliveries.py): the same on
# every attempt at one e-mail, so a copy sent twice is shown once.
MESSAGE_ID = contextvars.ContextVar("communityblog_message_id", default=None)


def public_username(user):
    """``user``'s username as the package shows it (a default display name, a blog's
    address): when it is an e-mail address, as with a user model that logs in by e-mail, the
    part before the "@", so a member's address is never shown."""
    name = user.get_username()
    local, at, _domain = name.partition("@")
    return local if at and local else name


class DefaultCommunityBlogAdapter:
    """The package's own behaviour; every method may be overridden."""

    # Who may take part -------------------------------------------------------------------

    def blogging_refusal(self, user):
        """Why ``user`` may not blog or comment, as a message for them; ``None`` if they
        may. By default: logged in, active, and in ``MEMBER_GROUP`` when one is set."""
        if not user.is_authenticated:
            return _("Please log in to write for the community.")
        if not user.is_active:
            return _("Your account is not active.")
        group = app_settings.MEMBER_GROUP
        if group and not user.groups.filter(name=group).exists():
            return _("Writing for the community is open to members of “%(group)s” only.") % {
                "group": group
            }
        return None

    def can_blog(self, user):
        """May ``user`` have a blog and write posts?"""
        return self.blogging_refusal(user) is None

    def vote_refusal(self, user, post):
        """Why the site refuses ``user``'s vote on ``post``, as a message for them; ``None`` if
        it accepts it. Asked after the package's own rules (logged in, active, not the author,
        not suspended) and before the account's age; called on every vote, so keep it free of
        queries where you can. By default: ``None``."""
        return None

    def can_vote(self, user, post):
        """Does the site let ``user`` vote on ``post`` (the package's own rules aside)?"""
        return not self.vote_refusal(user, post)

    def comment_refusal(self, user, post):
        """Why ``user`` may not comment on ``post``, as a message for them; ``None`` if they
        may. Asked after the package's own rules (comments on, post live, logged in) and
        before suspension and closed discussions. By default: ``blogging_refusal(user)``."""
        return self.blogging_refusal(user)

    def can_comment(self, user, post):
        """May ``user`` comment on ``post`` (the package's own rules aside)?"""
        return not self.comment_refusal(user, post)

    # How members appear ------------------------------------------------------------------

    def display_name(self, user):
        """A member's public name, on pages, feeds, comments and e-mails (never their e-mail
        address); ``user`` is ``None`` for a deleted account."""
        if user is None:
            return str(_("Former member"))
        full_name = user.get_full_name() if hasattr(user, "get_full_name") else ""
        return full_name or public_username(user)

    def avatar_url(self, user, blog=None):
        """URL of a member's picture, or ``""``: by default their blog's avatar, if any."""
        avatar = getattr(blog, "avatar", None)
        if avatar is None:
            return ""
        return avatar.get_rendition("fill-96x96").url

    # E-mails -----------------------------------------------------------------------------

    def render_mail(self, template_prefix, email, context, headers=None):
        """The message for ``email`` from ``<prefix>_subject.txt`` and ``<prefix>_body.txt``
        (plain text; member-written values in ``context`` are already plain text), with an
        HTML part from ``<prefix>_body.html`` when that template exists (autoescaped: what
        members wrote goes in as text)."""
        subject = render_to_string(f"{template_prefix}_subject.txt", context).strip()
        body = render_to_string(f"{template_prefix}_body.txt", context)
        message = EmailMultiAlternatives(
            " ".join(subject.split()),
            body,
            settings.DEFAULT_FROM_EMAIL,
            [email],
            headers=headers or {},
        )
        name = f"{template_prefix}_body.html"
        try:
            html = render_to_string(name, context)
        except TemplateDoesNotExist as error:
            if str(error) != name:
                raise  # the HTML template is there, something it includes is not
            return message
        message.attach_alternative(html, "text/html")
        return message

    def send_mail(self, template_prefix, email, context, headers=None):
        """Render and send one e-mail (from a django-tasks task, never inside a request's
        transaction)."""
        message = self.render_mail(template_prefix, email, context, headers=headers)
        if MESSAGE_ID.get() and "Message-ID" not in message.extra_headers:
            message.extra_headers["Message-ID"] = MESSAGE_ID.get()
        message.send()


def get_adapter():
    """An instance of the class ``WAGTAIL_COMMUNITYBLOG_ADAPTER`` names."""
    return import_string(app_settings.ADAPTER)()
