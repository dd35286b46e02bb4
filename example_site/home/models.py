from wagtail import blocks
from wagtail.admin.panels import FieldPanel
from wagtail.fields import StreamField
from wagtail.models import Page

from wagtail_communityblog.blocks import PromotedPostsBlock
from wagtail_communityblog.http_caching import HttpCachingMixin


class HomePage(HttpCachingMixin, Page):
    """The example party's home page: a StreamField editors fill with blocks. Cached by the
    proxy for anonymous readers like the package's pages (HttpCachingMixin), and purged when
    what its promoted blocks show changes."""

    body = StreamField(
        [
            ("heading", blocks.CharBlock(form_classname="title", icon="title")),
            ("paragraph", blocks.RichTextBlock(icon="pilcrow")),
            ("promoted_posts", PromotedPostsBlock()),
        ],
        blank=True,
        use_json_field=True,
    )

    content_panels = Page.content_panels + [FieldPanel("body")]

    class Meta:
        verbose_name = "home page"
