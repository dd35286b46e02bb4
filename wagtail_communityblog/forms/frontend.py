"""Forms members use on the public site. Field names are public: integrators' templates use them."""

import json

from django import forms
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from taggit.models import Tag
from taggit.utils import parse_tags
from wagtail.images.fields import WagtailImageField

from ..conf import app_settings
from ..models import CommunityIndexPage, MemberBlogPage
from ..sanitize import clean_html, image_ids_in
from ..services.images import images_usable_by

MAX_TAGS = 10
MAX_TAG_LENGTH = 50


class MemberImageField(WagtailImageField):
    """Wagtail's image validation (type, size, pixels), within the community's own limits.

    Form fields are built once, at import; the limits are settings, so they are applied to
    each form's own copy of the field when the form is created (see ``MemberImageLimitsMixin``).
    """

    def apply_limits(self):
        wagtail_size = self.max_upload_size
        self.max_upload_size = min(
            size for size in (wagtail_size, app_settings.MAX_IMAGE_SIZE) if size is not None
        )
        self.max_image_pixels = min(
            pixels
            for pixels in (self.max_image_pixels, app_settings.MAX_IMAGE_PIXELS)
            if pixels is not None
        )
        self.max_upload_size_text = filesizeformat(self.max_upload_size)
        self.help_text = _("%(formats)s, up to %(size)s.") % {
            "formats": self.supported_formats_text,
            "size": self.max_upload_size_text,
        }


class MemberImageLimitsMixin:
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            if isinstance(field, MemberImageField):
                field.apply_limits()


class VersionField(forms.CharField):
    """The hidden ``base_version`` every edit form carries: the version of the thing being
    edited when the form was opened (a page's revision id; for a comment, when it was last
    edited). A save from a form whose version is no longer the saved one is refused (409) with
    the member's text kept, never saved over someone else's change. Empty: no check (a client
    that sends none); anything that is not a version can match no version (so it is stale)."""

    widget = forms.HiddenInput

    def __init__(self, **kwargs):
        super().__init__(required=False, strip=True, **kwargs)

    def to_python(self, value):
        value = super().to_python(value)
        if value in self.empty_values:
            return None
        if value.isascii() and value.isdigit() and len(value) <= 19 and int(value) < 2**63:
            return int(value)
        return -1


def version_field():
    return VersionField()


class BlogForm(MemberImageLimitsMixin, forms.Form):
    title = forms.CharField(label=_("Blog title"), max_length=255)
    intro = forms.CharField(
        label=_("Short introduction"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("A sentence or two about you and what you write about."),
    )
    avatar = MemberImageField(label=_("Avatar"), required=False)
    base_version = version_field()

    def __init__(self, *args, communities=None, **kwargs):
        super().__init__(*args, **kwargs)
        if communities is not None and len(communities) > 1:
            self.fields["community"] = forms.ModelChoiceField(
                label=_("Community"),
                queryset=CommunityIndexPage.objects.filter(
                    pk__in=[community.pk for community in communities]
                ).order_by("path"),
                empty_label=None,
                help_text=_("Which community section your blog belongs to."),
            )
            self.order_fields(["community", "title", "intro", "avatar"])


class PostForm(MemberImageLimitsMixin, forms.Form):
    ACTIONS = [("draft", _("Save draft")), ("preview", _("Preview")), ("publish", _("Publish"))]

    title = forms.CharField(label=_("Title"), max_length=255)
    intro = forms.CharField(
        label=_("Summary"),
        max_length=600,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("One or two sentences shown in listings and feeds."),
    )
    body = forms.CharField(
        label=_("Post"),
        widget=forms.Textarea(attrs={"rows": 16, "data-communityblog-editor": ""}),
        max_length=200_000,
    )
    tags = forms.CharField(
        label=_("Tags"),
        required=False,
        max_length=500,
        help_text=_("Separate tags with commas, e.g. housing, transport."),
    )
    header_image = MemberImageField(label=_("Header image"), required=False)
    remove_header_image = forms.BooleanField(label=_("Remove the header image"), required=False)
    # The submit buttons carry ``action``; pressing Enter submits the first one (a draft).
    action = forms.ChoiceField(
        choices=ACTIONS, widget=forms.HiddenInput, initial="draft", required=False
    )
    base_version = version_field()

    def __init__(self, *args, member, blogs=None, existing_body="", **kwargs):
        super().__init__(*args, **kwargs)
        self.member = member
        # Images already in the post (an editor may have added one) stay allowed.
        self.existing_image_ids = image_ids_in(existing_body)
        self.fields["body"].widget.attrs["data-communityblog-labels"] = json.dumps(
            self.editor_labels()
        )
        if blogs is not None and len(blogs) > 1:
            self.fields["blog"] = forms.ModelChoiceField(
                label=_("Blog"),
                queryset=MemberBlogPage.objects.filter(pk__in=[blog.pk for blog in blogs]).order_by(
                    "path"
                ),
                empty_label=None,
            )
            self.order_fields(["blog"])

    def editor_labels(self):
        return {
            "ql-header": str(_("Heading")),
            "ql-bold": str(_("Bold")),
            "ql-italic": str(_("Italic")),
            "ql-list": str(_("List")),
            "ordered": str(_("Numbered list")),
            "bullet": str(_("Bulleted list")),
            "ql-blockquote": str(_("Quote")),
            "ql-link": str(_("Link")),
            "ql-image": str(_("Image")),
            "ql-clean": str(_("Clear formatting")),
            "alt_prompt": str(_("Describe the image for people who cannot see it:")),
            "upload_failed": str(_("The image could not be uploaded.")),
        }

    def clean_action(self):
        return self.cleaned_data.get("action") or "draft"

    def clean_body(self):
        allowed = set(images_usable_by(self.member).values_list("pk", flat=True))
        allowed |= self.existing_image_ids
        body = clean_html(self.cleaned_data["body"], allowed_image_ids=allowed)
        if not body:
            raise ValidationError(_("Write something in your post."), code="empty")
        return body

    def clean_tags(self):
        tags = parse_tags(self.cleaned_data["tags"])
        for tag in tags:
            # A tag's page is addressed by its slug, in any script (taggit keeps Unicode in
            # slugs unless TAGGIT_STRIP_UNICODE_WHEN_SLUGIFYING): one with no slug at all
            # (only punctuation or symbols) could never be reached, so it is refused, not lost.
            if not Tag().slugify(tag):
                raise ValidationError(
                    _("The tag “%(tag)s” needs at least one letter or digit.") % {"tag": tag},
                    code="no_slug",
                )
        if len(tags) > MAX_TAGS:
            raise ValidationError(
                ngettext("Use at most %(count)d tag.", "Use at most %(count)d tags.", MAX_TAGS)
                % {"count": MAX_TAGS},
                code="too_many",
            )
        for tag in tags:
            if len(tag) > MAX_TAG_LENGTH:
                raise ValidationError(
                    _("Tags can be at most %(length)d characters long.")
                    % {"length": MAX_TAG_LENGTH},
                    code="too_long",
                )
        return tags


class ImageUploadForm(MemberImageLimitsMixin, forms.Form):
    """An image placed in a post body from the editor."""

    image = MemberImageField(label=_("Image"))
    alt = forms.CharField(label=_("Description"), max_length=255, required=False)


class FlagForm(forms.Form):
    reason = forms.CharField(
        label=_("What is wrong with this post?"),
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Editors read every report. Say which rule the post breaks, and where."),
    )

    def clean_reason(self):
        reason = self.cleaned_data["reason"].strip()
        if not reason:
            raise ValidationError(_("Please say what is wrong with this post."), code="required")
        return reason
