"""The three page types: a community section, the member blogs under it, and their posts."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import models
from django.db.models import Count, Q
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy as _
from modelcluster.contrib.taggit import ClusterTaggableManager
from modelcluster.fields import ParentalKey
from taggit.models import Tag, TaggedItemBase
from wagtail.admin.panels import FieldPanel, MultiFieldPanel
from wagtail.api import APIField
from wagtail.contrib.routable_page.models import RoutablePageMixin, path
from wagtail.fields import RichTextField
from wagtail.models import Page, PageManager
from wagtail.search import index

from ..activitypub import FederationMixin
from ..adapter import get_adapter
from ..admin.forms import MemberBlogPageForm
from ..admin.panels import VoteBreakdownPanel
from ..conf import app_settings
from ..http_caching import HttpCachingMixin
from ..layout import LayoutMixin
from ..pagination import listing_page
from ..ranking import RANKINGS, window_labels
from ..rich_text import BODY_FEATURES
from ..search import search_query
from .comment_threads import thread_context
from .curation import report_refusal
from .members import CommunityMember
from .querysets import LISTING_KEYS, CommunityPostQuerySet, MemberBlogQuerySet
from .ratings import viewer_context
from .sitemaps import BlogSitemapMixin, CommunitySitemapMixin

# First path segments that routes of the community index (and the front-end views, when a site
# mounts them at the same prefix, as the example site does) already answer. A member blog with
# one of these slugs would be unreachable, so they are refused.
RESERVED_BLOG_SLUGS = frozenset(
    {"blogs", "feed", "search", "tag", "tags", "dashboard", "my-blog", "write", "posts", "api"}
    | {"follow", "ap"}
)


# A member blog's own routes: a post with one of these slugs could never be reached.
RESERVED_POST_SLUGS = frozenset({"feed"})


def paginate(request, queryset):
    """Return the requested page of ``queryset``; bad or out-of-range numbers give a valid page."""
    paginator = Paginator(queryset, app_settings.POSTS_PER_PAGE)
    return paginator.get_page(request.GET.get("page"))


SORTS = RANKINGS
WINDOW_CHOICES = window_labels()


def requested_sort(request):
    """The ``sort`` and ``window`` a reader asked for; anything unknown falls back quietly."""
    sort = request.GET.get("sort", "new")
    window = request.GET.get("window", "week")
    return (sort if sort in SORTS else "new"), (window if window in WINDOW_CHOICES else "week")


def listing_context(request, queryset, order="new", **extra):
    """Context for a page of posts: the posts, and the reader's votes on them for the widgets.

    Pages are read by keyset (see ``pagination.listing_page``): no page counts the
    whole listing, and a deep page costs what the first one does."""
    posts = listing_page(request, queryset, LISTING_KEYS[order])
    return {"posts": posts, **viewer_context(request, posts.object_list), **extra}


def feeds():
    """The feeds module, imported when a feed is first served (it imports this module)."""
    from .. import feeds as module

    return module


class CommunityIndexPage(
    CommunitySitemapMixin, FederationMixin, HttpCachingMixin, LayoutMixin, RoutablePageMixin, Page
):
    """The community section of a site: lists every member's posts, and holds their blogs."""

    intro = RichTextField(
        _("introduction"),
        blank=True,
        features=["bold", "italic", "link"],
        help_text=_("Shown above the list of posts."),
    )

    content_panels = Page.content_panels + [FieldPanel("intro")]
    search_fields = Page.search_fields + [index.SearchField("intro")]
    api_fields = [APIField("intro")]

    subpage_types = ["wagtail_communityblog.MemberBlogPage"]

    class Meta:
        verbose_name = _("community index page")
        verbose_name_plural = _("community index pages")

    def get_posts(self):
        """Return the posts readers can see in this community, newest first."""
        return (
            CommunityPostPage.objects.listed()
            .filter(score__community=self)
            .with_listing_data()
            .order_by("-score__published_at", "-pk")
        )

    def get_blogs(self):
        """Return this community's live member blogs, with their number of listed posts."""
        return (
            MemberBlogPage.objects.child_of(self)
            .live()
            .public()
            .select_related("owner", "avatar")
            .annotate(
                post_count=Count(
                    "blog_scores",
                    filter=Q(blog_scores__is_listed=True),
                    distinct=True,
                )
            )
            .order_by("title")
        )

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        context["community"] = self
        return context

    def get_sorted_posts(self, sort="new", window="all"):
        """This community's posts in one of the rankings (``new`` lists every listed post)."""
        if sort not in SORTS or sort == "new":
            return self.get_posts()
        return CommunityPostPage.objects.ranked(sort, community=self, window=window)

    @path("")
    def index_view(self, request):
        sort, window = requested_sort(request)
        return self.render(
            request,
            context_overrides=listing_context(
                request,
                self.get_sorted_posts(sort, window),
                order=sort,
                sort=sort,
                window=window,
                sorts=SORTS,
                windows=WINDOW_CHOICES,
            ),
        )

    @path("tag/<str:tag>/")
    def tag_view(self, request, tag):
        tag_object = self._get_tag(tag)
        posts = self.get_posts().filter(tagged_items__tag=tag_object)
        return self.render(
            request,
            template="wagtail_communityblog/community_tag_page.html",
            context_overrides=listing_context(request, posts, tag=tag_object),
        )

    @path("blogs/")
    def blogs_view(self, request):
        return self.render(
            request,
            template="wagtail_communityblog/community_blogs_page.html",
            context_overrides={"blogs": paginate(request, self.get_blogs())},
        )

    @path("search/")
    def search_view(self, request):
        query = search_query(request.GET.get("q", ""))
        results = None
        if query:
            posts = CommunityPostPage.objects.live().public().descendant_of(self)
            suspended = list(
                CommunityMember.objects.filter(is_suspended=True).values_list("user_id", flat=True)
            )
            if suspended:
                posts = posts.exclude(author__in=suspended)
            results = paginate(request, posts.search(query))
        return self.render(
            request,
            template="wagtail_communityblog/community_search_page.html",
            context_overrides={"search_query": query, "posts": results},
        )

    @path("feed/")
    def rss_feed(self, request):
        return feeds().CommunityRssFeed()(request, page=self)

    @path("feed/atom/")
    def atom_feed(self, request):
        return feeds().CommunityAtomFeed()(request, page=self)

    @path("tag/<str:tag>/feed/")
    def tag_rss_feed(self, request, tag):
        return feeds().TagRssFeed()(request, page=self, tag=self._get_tag(tag))

    @path("tag/<str:tag>/feed/atom/")
    def tag_atom_feed(self, request, tag):
        return feeds().TagAtomFeed()(request, page=self, tag=self._get_tag(tag))

    def _get_tag(self, slug):
        """Return the tag with this slug used by a post of this community, or raise 404."""
        return get_object_or_404(
            Tag.objects.filter(
                slug=slug,
                wagtail_communityblog_communityposttag_items__content_object__score__community=self,
            ).distinct()
        )


class MemberBlogPage(
    BlogSitemapMixin, FederationMixin, HttpCachingMixin, LayoutMixin, RoutablePageMixin, Page
):
    """One member's blog. Its ``owner`` is the member; it holds that member's posts."""

    intro = models.TextField(
        _("short introduction"),
        max_length=500,
        blank=True,
        help_text=_("A sentence or two about the blog and its author."),
    )
    avatar = models.ForeignKey(
        "wagtailimages.Image",
        verbose_name=_("avatar"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # ``member`` and ``community`` copy ``owner`` and the parent page into this table, so the
    # database itself can refuse a second blog for the same member in the same community
    # (a constraint can only span columns of one table). Both are kept in step by ``save()``.
    member = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("member"),
        null=True,
        blank=True,
        editable=False,
        on_delete=models.SET_NULL,
        related_name="community_blogs",
    )
    community = models.ForeignKey(
        CommunityIndexPage,
        verbose_name=_("community"),
        null=True,
        blank=True,
        editable=False,
        on_delete=models.SET_NULL,
        related_name="member_blogs",
    )

    content_panels = Page.content_panels + [
        FieldPanel("intro"),
        FieldPanel("avatar"),
        FieldPanel("owner", heading=_("Member")),
    ]
    search_fields = Page.search_fields + [index.SearchField("intro")]

    objects = PageManager.from_queryset(MemberBlogQuerySet)()
    api_fields = [APIField("intro"), APIField("member_name"), APIField("avatar")]

    base_form_class = MemberBlogPageForm

    parent_page_types = ["wagtail_communityblog.CommunityIndexPage"]
    subpage_types = ["wagtail_communityblog.CommunityPostPage"]

    class Meta:
        verbose_name = _("member blog page")
        verbose_name_plural = _("member blog pages")
        constraints = [
            models.UniqueConstraint(
                fields=["community", "member"],
                name="wagtail_communityblog_one_blog_per_member",
            )
        ]

    @property
    def member_name(self):
        """The member's public name, or "Former member" once their account is gone."""
        return display_name(self.owner)

    def clean(self):
        super().clean()
        if self.slug in RESERVED_BLOG_SLUGS:
            raise ValidationError(
                {
                    "slug": _("“%(slug)s” is reserved by the community section.")
                    % {"slug": self.slug}
                }
            )

    def save(self, *args, **kwargs):
        self.member_id = self.owner_id
        if self.community_id is None and self.path:
            parent = self.get_parent()
            if parent is not None and parent.specific_class is CommunityIndexPage:
                self.community_id = parent.pk
        return super().save(*args, **kwargs)

    def with_content_json(self, content):
        # Revisions must not resurrect an old member or community (the member may be gone).
        obj = super().with_content_json(content)
        obj.member_id = self.member_id
        obj.community_id = self.community_id
        return obj

    def get_posts(self):
        """Return this blog's posts readers can see, newest first."""
        return (
            CommunityPostPage.objects.listed()
            .filter(score__blog=self)
            .with_listing_data()
            .order_by("-score__published_at", "-pk")
        )

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        context["community"] = self.community
        return context

    @path("")
    def index_view(self, request):
        return self.render(request, context_overrides=listing_context(request, self.get_posts()))

    @path("feed/")
    def rss_feed(self, request):
        return feeds().BlogRssFeed()(request, page=self)

    @path("feed/atom/")
    def atom_feed(self, request):
        return feeds().BlogAtomFeed()(request, page=self)


class CommunityPostTag(TaggedItemBase):
    content_object = ParentalKey(
        "wagtail_communityblog.CommunityPostPage",
        on_delete=models.CASCADE,
        related_name="tagged_items",
    )

    class Meta:
        verbose_name = _("community post tag")
        verbose_name_plural = _("community post tags")


CommunityPostManager = PageManager.from_queryset(CommunityPostQuerySet)


class CommunityPostPage(FederationMixin, HttpCachingMixin, LayoutMixin, Page):
    """A member's post: a real Wagtail page under their blog, with revisions and history."""

    intro = models.TextField(
        _("summary"),
        max_length=600,
        blank=True,
        help_text=_("One or two sentences shown in listings and feeds."),
    )
    body = RichTextField(_("body"), features=BODY_FEATURES)
    tags = ClusterTaggableManager(verbose_name=_("tags"), through=CommunityPostTag, blank=True)
    header_image = models.ForeignKey(
        "wagtailimages.Image",
        verbose_name=_("header image"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("author"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="community_posts",
    )

    content_panels = Page.content_panels + [
        FieldPanel("intro"),
        FieldPanel("body"),
        MultiFieldPanel([FieldPanel("tags"), FieldPanel("header_image")], heading=_("Details")),
        FieldPanel("author"),
        VoteBreakdownPanel(),
    ]
    search_fields = Page.search_fields + [
        index.SearchField("intro"),
        index.SearchField("body"),
        index.RelatedFields("tags", [index.SearchField("name")]),
        index.FilterField("author"),
    ]
    api_fields = [
        APIField("intro"),
        APIField("body"),
        APIField("scores"),
        APIField("tags"),
        APIField("author_name"),
        APIField("blog_title"),
        APIField("first_published_at"),
        APIField("last_published_at"),
        APIField("header_image"),
    ]

    objects = CommunityPostManager()

    parent_page_types = ["wagtail_communityblog.MemberBlogPage"]
    subpage_types = []

    class Meta:
        verbose_name = _("community post")
        verbose_name_plural = _("community posts")

    @property
    def author_name(self):
        return display_name(self.author)

    @property
    def scores(self):
        """The post's stored scores (what rankings use), for the API."""
        score = getattr(self, "score", None)
        if score is None:
            return None
        return {
            "score": score.score,
            "up": score.up_count,
            "down": score.down_count,
            "votes": score.vote_count,
            "sum": score.vote_sum,
            "hot": score.hot,
            "best": score.best,
        }

    @property
    def blog_title(self):
        blog = self.get_blog()
        return blog.title if blog else ""

    def get_blog(self):
        """Return the member blog this post belongs to."""
        if not hasattr(self, "_blog_cache"):
            score = getattr(self, "score", None) if self.pk else None
            if score is not None and score.blog_id:
                self._blog_cache = score.blog
            else:
                parent = self.get_parent()
                self._blog_cache = parent.specific if parent else None
        return self._blog_cache

    def clean(self):
        super().clean()
        if self.slug in RESERVED_POST_SLUGS:
            raise ValidationError(
                {"slug": _("“%(slug)s” is reserved by the blog.") % {"slug": self.slug}}
            )

    def save(self, *args, **kwargs):
        if self.author_id is None and not self.pk:
            # A post belongs to the member whose blog it is in, even when an editor creates it.
            parent = self.get_parent() if self.path else None
            blog = parent.specific if parent is not None else None
            self.author_id = getattr(blog, "owner_id", None) or self.owner_id
        return super().save(*args, **kwargs)

    def with_content_json(self, content):
        # The author belongs to the page, not to a revision: an old revision must not bring
        # back an author whose account has since been deleted.
        obj = super().with_content_json(content)
        obj.author_id = self.author_id
        return obj

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        blog = self.get_blog()
        context["blog"] = blog
        context["community"] = getattr(blog, "community", None)
        context.update(viewer_context(request, [self]))
        context.update(thread_context(request, self))
        suspended = context["communityblog_viewer"]["suspended"]
        user = getattr(request, "user", None)
        context["can_report"] = (
            self.live and report_refusal(self, user, suspended=suspended) is None
        )
        return context


def display_name(user):
    """Return the public name for a member (never their e-mail address): the adapter's."""
    return get_adapter().display_name(user)
