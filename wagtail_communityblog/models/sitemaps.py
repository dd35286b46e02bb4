"""The community's entries in Wagtail's sitemap (``wagtail.contrib.sitemaps``).

Every live, public page is in it already, with the time it was last published; these mixins
add what a page's own publication does not tell: a member blog changes when one of its posts is
published, and the community index has pages of its own (its blog directory, one page per
tag) that are not Wagtail pages.
"""

from django.db.models import Max
from taggit.models import Tag

from .scores import PostScore


def _latest(*moments):
    moments = [moment for moment in moments if moment is not None]
    return max(moments) if moments else None


class CommunitySitemapMixin:
    """The community index, its blog directory and each tag page of its listed posts."""

    def get_sitemap_urls(self, request=None):
        urls = super().get_sitemap_urls(request)
        listed = PostScore.objects.filter(community=self, is_listed=True)
        latest_post = listed.aggregate(latest=Max("post__last_published_at"))["latest"]
        url = self.get_full_url(request)
        urls[0]["lastmod"] = _latest(urls[0]["lastmod"], latest_post)
        urls.append(
            {
                "location": url + self.reverse_subpage("blogs_view"),
                "lastmod": _latest(self.last_published_at, latest_post),
            }
        )
        # The tag pages, as tag_view lists them: a tag of one of this community's listed posts.
        items = "wagtail_communityblog_communityposttag_items__content_object"
        tags = (
            Tag.objects.filter(
                **{f"{items}__score__community": self, f"{items}__score__is_listed": True}
            )
            .values("slug")
            .annotate(lastmod=Max(f"{items}__last_published_at"))
            .order_by("slug")
        )
        urls += [
            {
                "location": url + self.reverse_subpage("tag_view", args=(tag["slug"],)),
                "lastmod": tag["lastmod"],
            }
            for tag in tags
        ]
        return urls


class BlogSitemapMixin:
    """A member blog, last changed when it or one of its listed posts was last published."""

    def get_sitemap_urls(self, request=None):
        urls = super().get_sitemap_urls(request)
        latest_post = PostScore.objects.filter(blog=self, is_listed=True).aggregate(
            latest=Max("post__last_published_at")
        )["latest"]
        for entry in urls:
            entry["lastmod"] = _latest(entry["lastmod"], latest_post)
        return urls
