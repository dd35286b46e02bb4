"""RSS and Atom feeds for a community, a tag within it, and a member blog.

Everything in a feed that a member typed is either plain text or HTML, never markup by
accident. Atom says which an element is: its titles, subtitle, names and categories are text
(the XML writer escapes them) and ``<summary type="html">`` is HTML. RSS 2.0 does not say, and
readers treat its elements as HTML, so there the text is escaped once more (as Django's own
default ``item_title`` does, ticket #6533). Summaries are always HTML: the typed text escaped,
then passed through the same sanitiser as the post body.
"""

from bs4 import BeautifulSoup
from django.contrib.syndication.views import Feed
from django.utils.feedgenerator import Atom1Feed
from django.utils.text import Truncator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from .conf import app_settings
from .models import display_name
from .sanitize import escape_text, text_as_html

SORT_TITLES = {"hot": _lazy("hot"), "best": _lazy("best"), "top": _lazy("top")}
SUMMARY_WORDS = 60
_BLOCKS = ["p", "h2", "h3", "li", "blockquote", "br"]


def body_text(html):
    """The words of a stored body as a reader sees them, blocks kept apart."""
    soup = BeautifulSoup(html or "", "html.parser")
    for block in soup.find_all(_BLOCKS):
        block.append(" ")
    return soup.get_text()


class PostFeed(Feed):
    """Common item rendering; subclasses say which posts and how the feed is titled."""

    def get_object(self, request, page, **kwargs):
        self.request = request
        self.extra = kwargs
        return page

    def text(self, value):
        """``value`` (plain text) as this format's text elements carry it.

        As is in Atom (``type="text"``, the default); escaped in RSS, which readers read as HTML.
        """
        if issubclass(self.feed_type, Atom1Feed):
            return value
        return escape_text(value)

    def link(self, page):
        return page.get_url(self.request)

    def get_posts(self, page):
        raise NotImplementedError

    def items(self, page):
        return list(self.get_posts(page)[: app_settings.FEED_ITEMS])

    def item_title(self, post):
        return self.text(post.title)

    def item_description(self, post):
        text = post.intro or Truncator(body_text(post.body)).words(SUMMARY_WORDS)
        return text_as_html(text)

    def item_link(self, post):
        return post.get_url(self.request)

    def item_pubdate(self, post):
        return post.first_published_at

    def item_updateddate(self, post):
        return post.last_published_at or post.first_published_at

    def item_author_name(self, post):
        return self.text(display_name(post.author))

    def item_categories(self, post):
        return [self.text(tag.name) for tag in post.tags.all()]


class CommunityRssFeed(PostFeed):
    def get_object(self, request, page, **kwargs):
        from .models.pages import requested_sort

        self.sort, self.window = requested_sort(request)
        return super().get_object(request, page, **kwargs)

    def title(self, page):
        if self.sort == "new":
            return self.text(page.title)
        return self.text(f"{page.title} ({SORT_TITLES[self.sort]})")

    def description(self, page):
        return self.text(
            _("Latest posts from the members of %(community)s") % {"community": page.title}
        )

    def get_posts(self, page):
        return page.get_sorted_posts(self.sort, self.window)


class CommunityAtomFeed(CommunityRssFeed):
    feed_type = Atom1Feed
    subtitle = CommunityRssFeed.description


class TagRssFeed(PostFeed):
    def title(self, page):
        return self.text(
            _("%(community)s: posts tagged “%(tag)s”")
            % {"community": page.title, "tag": self.extra["tag"].name}
        )

    def link(self, page):
        return page.get_url(self.request) + page.reverse_subpage(
            "tag_view", kwargs={"tag": self.extra["tag"].slug}
        )

    def description(self, page):
        return self.title(page)

    def get_posts(self, page):
        return page.get_posts().filter(tagged_items__tag=self.extra["tag"])


class TagAtomFeed(TagRssFeed):
    feed_type = Atom1Feed
    subtitle = TagRssFeed.description


class BlogRssFeed(PostFeed):
    def title(self, page):
        return self.text(page.title)

    def description(self, page):
        return self.text(page.intro or _("Posts by %(member)s") % {"member": page.member_name})

    def get_posts(self, page):
        return page.get_posts()


class BlogAtomFeed(BlogRssFeed):
    feed_type = Atom1Feed
    subtitle = BlogRssFeed.description
