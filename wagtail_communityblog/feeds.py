"""RSS and Atom feeds for a community, a tag within it, and a member blog."""

from django.contrib.syndication.views import Feed
from django.utils.feedgenerator import Atom1Feed
from django.utils.html import strip_tags
from django.utils.text import Truncator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from .conf import app_settings
from .models import display_name

SORT_TITLES = {"hot": _lazy("hot"), "best": _lazy("best"), "top": _lazy("top")}


class PostFeed(Feed):
    """Common item rendering; subclasses say which posts and how the feed is titled."""

    def get_object(self, request, page, **kwargs):
        self.request = request
        self.extra = kwargs
        return page

    def link(self, page):
        return page.get_url(self.request)

    def get_posts(self, page):
        raise NotImplementedError

    def items(self, page):
        return list(self.get_posts(page)[: app_settings.FEED_ITEMS])

    def item_title(self, post):
        return post.title

    def item_description(self, post):
        if post.intro:
            return post.intro
        return Truncator(strip_tags(post.body)).words(60)

    def item_link(self, post):
        return post.get_url(self.request)

    def item_pubdate(self, post):
        return post.first_published_at

    def item_updateddate(self, post):
        return post.last_published_at or post.first_published_at

    def item_author_name(self, post):
        return display_name(post.author)

    def item_categories(self, post):
        return [tag.name for tag in post.tags.all()]


class CommunityRssFeed(PostFeed):
    def get_object(self, request, page, **kwargs):
        from .models.pages import requested_sort

        self.sort, self.window = requested_sort(request)
        return super().get_object(request, page, **kwargs)

    def title(self, page):
        if self.sort == "new":
            return page.title
        return f"{page.title} ({SORT_TITLES[self.sort]})"

    def description(self, page):
        return _("Latest posts from the members of %(community)s") % {"community": page.title}

    def get_posts(self, page):
        return page.get_sorted_posts(self.sort, self.window)


class CommunityAtomFeed(CommunityRssFeed):
    feed_type = Atom1Feed
    subtitle = CommunityRssFeed.description


class TagRssFeed(PostFeed):
    def title(self, page):
        return _("%(community)s: posts tagged “%(tag)s”") % {
            "community": page.title,
            "tag": self.extra["tag"].name,
        }

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
        return page.title

    def description(self, page):
        return page.intro or _("Posts by %(member)s") % {"member": page.member_name}

    def get_posts(self, page):
        return page.get_posts()


class BlogAtomFeed(BlogRssFeed):
    feed_type = Atom1Feed
    subtitle = BlogRssFeed.description
