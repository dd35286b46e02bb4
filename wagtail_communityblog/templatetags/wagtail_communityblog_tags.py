from django import template
from django.utils.safestring import mark_safe
from wagtail.templatetags.wagtailcore_tags import richtext

from ..sanitize import clean_rendered_links

register = template.Library()


@register.filter
def ugc_richtext(value):
    """Render member rich text like ``|richtext``, with ``rel="nofollow ugc"`` on every link."""
    return mark_safe(clean_rendered_links(str(richtext(value))))  # noqa: S308
