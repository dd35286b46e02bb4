"""Front-end forms for comments. The text is sanitised by the service, not here."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from ..conf import app_settings
from ..models import CommentPreferences
from .frontend import version_field


class CommentForm(forms.Form):
    body = forms.CharField(
        label=_("Your comment"),
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_(
            "Plain text: leave a blank line between paragraphs; web addresses become links. "
            '<b>bold</b>, <i>italic</i>, <a href="…">links</a> and <blockquote>quotes'
            "</blockquote> may be typed as HTML."
        ),
    )

    # Editing only: when the comment was last edited, as the form was opened (see version_field).
    base_version = version_field()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Read per form: the limit is a setting that may change while the site runs.
        self.max_length = app_settings.COMMENT_MAX_LENGTH
        self.fields["body"].widget.attrs["maxlength"] = str(self.max_length)

    def clean_body(self):
        body = self.cleaned_data["body"].strip()
        if not body:
            raise ValidationError(_("Write something first."), code="required")
        if len(body) > self.max_length:
            raise ValidationError(
                _("A comment can be at most %(max)d characters long (it has %(length)d)."),
                code="max_length",
                params={"max": self.max_length, "length": len(body)},
            )
        return body


class CommentFlagForm(forms.Form):
    reason = forms.CharField(
        label=_("What is wrong with this comment?"),
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Editors read every report. Say which rule the comment breaks."),
    )

    def clean_reason(self):
        reason = self.cleaned_data["reason"].strip()
        if not reason:
            raise ValidationError(_("Please say what is wrong with this comment."), code="required")
        return reason


class CommentPreferencesForm(forms.ModelForm):
    class Meta:
        model = CommentPreferences
        fields = ["follow_own_posts", "follow_commented"]
        help_texts = {
            "follow_own_posts": _("Each new comment under a post you wrote, by e-mail."),
            "follow_commented": _(
                "When you comment, you follow the discussion: new comments reach you by "
                "e-mail. Every e-mail has a link to stop them for that discussion."
            ),
        }
