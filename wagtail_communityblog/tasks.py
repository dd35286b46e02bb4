"""Background work, run by django-tasks (the task framework Wagtail itself uses)."""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django_tasks import task


@task()
def send_member_email(user_id, template_prefix, context):
    """E-mail a member, rendering ``<prefix>_subject.txt`` and ``<prefix>_body.txt``."""
    user = get_user_model().objects.filter(pk=user_id).first()
    if user is None or not user.email:
        return
    context = {**context, "member_name": user.get_full_name() or user.get_username()}
    subject = render_to_string(f"{template_prefix}_subject.txt", context).strip()
    body = render_to_string(f"{template_prefix}_body.txt", context)
    send_mail(" ".join(subject.split()), body, settings.DEFAULT_FROM_EMAIL, [user.email])


@task()
def detect_vote_rings():
    """Run the vote-ring detection (``communityblog_detect_rings`` as a background task)."""
    from .services.integrity import detect_rings

    return [cluster.pk for cluster in detect_rings()]
