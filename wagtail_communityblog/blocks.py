"""``PromotedPostsBlock``: the best member posts, on any page with a StreamField."""

import hashlib
import json
from functools import lru_cache

from django.conf import settings
from django.http import HttpRequest
from django.urls import get_script_prefix, get_urlconf
from django.utils import dateformat, formats, timezone
from django.utils.functional import SimpleLazyObject, cached_property
from django.utils.safestring import mark_safe
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _now
from django.utils.translation import gettext_lazy as _
from wagtail import blocks
from wagtail.images import get_image_model
from wagtail.models import Site

from . import layout
from .cache import fetch, generation, store
from .conf import app_settings
from .models import CommunityPostPage, MemberBlogPage, PostScore
from .models.pages import display_name
from .models.querysets import NEWEST, PINNED, RANKED_BRANCH
from .ranking import RANKINGS, block_minimums, window_labels

# The rendition of a post's header image a block shows.
IMAGE_SPEC = "fill-640x360"
# In the context of the admin's block preview: explain an empty block.
EXPLAIN = "communityblog_explain_empty"


@lru_cache(maxsize=8192)
def _page_url(page_class, url_path, current_site, environment):
    """A page's URL as ``{% pageurl %}`` gives it, from its class and ``url_path`` alone.

    Wagtail's own ``get_url()``, on a bare instance and a stand-in request that carries what
    Wagtail reads from a request (the current site, the site root paths: the attributes
    ``Site.find_for_request()`` and ``Page._get_site_root_paths()`` cache on it), remembered: a
    post's URL depends only on what the key holds (``environment``: the site root paths, the
    language, the URL configuration and the settings that shape URLs), so a block renders
    fifty links without fifty URL reversals.
    """
    request = HttpRequest()
    request._wagtail_site = current_site
    request._wagtail_cached_site_root_paths = list(environment[0])
    return page_class(url_path=url_path).get_url(request=request)


def _site_root_paths(request):
    """``Site.get_site_root_paths()``, kept on the request as Wagtail's pages keep it."""
    if request is None:
        return Site.get_site_root_paths()
    if not hasattr(request, "_wagtail_cached_site_root_paths"):
        request._wagtail_cached_site_root_paths = Site.get_site_root_paths()
    return request._wagtail_cached_site_root_paths


class Links:
    """The URLs ``{% pageurl %}`` gives pages in ``request``'s context, without the page objects:
    what a URL depends on is read once per render, not once per link."""

    def __init__(self, request):
        self.current_site = Site.find_for_request(request) if request is not None else None
        self.environment = (
            tuple(_site_root_paths(request)),
            get_language(),
            get_urlconf(),
            get_script_prefix(),
            getattr(settings, "WAGTAIL_APPEND_SLASH", True),
            getattr(settings, "WAGTAIL_I18N_ENABLED", False),
        )

    def url(self, page_class, url_path):
        """The URL of a ``page_class`` page at ``url_path``."""
        return _page_url(page_class, url_path, self.current_site, self.environment)


class PostCard:
    """One post as the package's block template shows it: built from one row of the block's
    statement, not from a page object (see ``PromotedPostsBlock.get_cards``). Its labels are
    made when the template first reads them: a block that hides scores never formats one."""

    def __init__(self, row, labels):
        self.pk = self.id = row.pk
        self.title, self.url_path, self.intro = row.title, row.url_path, row.intro
        self.first_published_at, self.author = row.first_published_at, row.author
        self.header_image_id, self.header_image = row.header_image_id, None
        self.score, self.vote_count = row.score or 0, row.vote_count or 0
        self.comment_count = row.comment_count or 0
        self.is_pinned_here = False
        self.labels = labels

    @property
    def author_name(self):
        return display_name(self.author)

    @cached_property
    def _published(self):
        return self.labels.published(self.first_published_at)

    @property
    def published_label(self):
        return self._published[0]

    @property
    def published_iso(self):
        return self._published[1]

    @property
    def points_label(self):
        return self.labels.count(POINTS, self.score)

    @property
    def votes_label(self):
        return self.labels.count(VOTES, self.vote_count)

    @property
    def comments_label(self):
        return self.labels.count(COMMENTS, self.comment_count)


# The template's former {% blocktranslate count counter=... %} messages (their translations
# stay), by kind.
POINTS, VOTES, COMMENTS = 0, 1, 2


# A label depends only on its arguments (the language and time zone among them) and the
# settings that shape dates and numbers; a front page shows the same posts render after
# render, so each is made once per process. ``forget_labels`` empties them when such a
# setting changes (in tests).
@lru_cache(maxsize=4096)
def _count_label(language, thousands, kind, number):
    printed = {"counter": formats.localize(number) if thousands else str(number)}
    if kind == POINTS:
        return ngettext("%(counter)s point", "%(counter)s points", number) % printed
    if kind == VOTES:
        return ngettext("from %(counter)s vote", "from %(counter)s votes", number) % printed
    return ngettext("%(counter)s comment", "%(counter)s comments", number) % printed


@lru_cache(maxsize=4096)
def _date_labels(language, date_format, zone, moment):
    # Keyed by the moment itself, converted here: two moments an hour apart share a local time
    # when the clocks go back, and local times in one zone compare equal whatever their offset.
    local = moment.astimezone(zone) if zone is not None and timezone.is_aware(moment) else moment
    return dateformat.format(local, date_format), local.strftime("%Y-%m-%dT%H:%M:%S%z")


def forget_labels(**kwargs):
    _count_label.cache_clear()
    _date_labels.cache_clear()


class Labels:
    """The dates and labels the block shows, in the language, time zone and formats in force
    when it is made (once per render): ``published()`` (the first publication as
    ``date:"DATE_FORMAT"`` and an ISO 8601 ``datetime``, in the current time zone) and
    ``count()`` ("12 points", "from 15 votes", "3 comments", the number printed as the
    template printed it: with the locale's grouping when the site asks)."""

    def __init__(self):
        self.language = get_language()
        self.date_format = formats.get_format("DATE_FORMAT")
        self.thousands = settings.USE_THOUSAND_SEPARATOR
        self.zone = timezone.get_current_timezone() if settings.USE_TZ else None

    def published(self, first_published_at):
        """``(label, iso)``, or two empty strings for a post never published."""
        if first_published_at is None:
            return "", ""
        return _date_labels(self.language, self.date_format, self.zone, first_published_at)

    def count(self, kind, number):
        return _count_label(self.language, self.thousands, kind, number)

    def show(self, target, first_published_at, score, vote_count, comment_count):
        """Set every label on ``target`` (a page object, for a site's own template)."""
        target.published_label, target.published_iso = self.published(first_published_at)
        target.points_label = self.count(POINTS, score)
        target.votes_label = self.count(VOTES, vote_count)
        target.comments_label = self.count(COMMENTS, comment_count)


def explains_itself(context):
    """Whether this render is for an editor: a page preview or the admin's block preview,
    where an empty block says why it is empty."""
    context = context or {}
    request = context.get("request")
    return bool(context.get(EXPLAIN) or getattr(request, "is_preview", False))


class PromotedPostsBlock(blocks.StructBlock):
    heading = blocks.CharBlock(
        label=_("Heading"), required=False, default=_("Recommended by members")
    )
    source = blocks.PageChooserBlock(
        label=_("Community"),
        page_type="wagtail_communityblog.CommunityIndexPage",
        required=False,
        help_text=_("Leave empty to show posts from every community section."),
    )
    ranking = blocks.ChoiceBlock(
        label=_("Ranking"),
        choices=list(RANKINGS.items()),
        default="hot",
        help_text=_(
            "Hot: rising now. Best: most consistently liked. Top: highest score in the window. "
            "New: newest first."
        ),
    )
    window = blocks.ChoiceBlock(
        label=_("Window (for Top)"),
        choices=list(window_labels().items()),
        default="week",
    )
    count = blocks.IntegerBlock(label=_("How many posts"), min_value=1, max_value=50, default=5)
    min_votes = blocks.IntegerBlock(
        label=_("Minimum votes"),
        min_value=0,
        required=False,
        help_text=_(
            "Empty: the site's promotion rule (the votes and score a post needs to be promoted). "
            "0: no minimum. Not applied to New unless set."
        ),
    )
    min_score = blocks.IntegerBlock(
        label=_("Minimum score"),
        required=False,
        help_text=_("Empty: the promotion rule's when Minimum votes is empty, otherwise none."),
    )
    tag = blocks.CharBlock(
        label=_("Only posts tagged"), required=False, help_text=_("A tag's slug, e.g. housing.")
    )
    pinned = blocks.ListBlock(
        blocks.PageChooserBlock(page_type="wagtail_communityblog.CommunityPostPage"),
        label=_("Pinned posts"),
        required=False,
        default=[],
        help_text=_("Shown first, in this order, whatever their votes."),
    )
    fill_with_newest = blocks.BooleanBlock(
        label=_("Fill empty places with the newest posts"),
        required=False,
        default=False,
        help_text=_(
            "Until enough posts meet the minimums (on a new or small community, for days), "
            "show the newest published posts in the places left."
        ),
    )
    show_excerpt = blocks.BooleanBlock(label=_("Show summaries"), required=False, default=True)
    show_author = blocks.BooleanBlock(label=_("Show authors"), required=False, default=True)
    show_image = blocks.BooleanBlock(label=_("Show images"), required=False, default=False)
    show_score = blocks.BooleanBlock(label=_("Show scores"), required=False, default=True)
    show_comments = blocks.BooleanBlock(
        label=_("Show comment counts"), required=False, default=False
    )

    class Meta:
        icon = "pick"
        label = _("Promoted member posts")
        template = "wagtail_communityblog/blocks/promoted_posts.html"
        preview_template = "wagtail_communityblog/blocks/promoted_posts_preview.html"
        description = _("The best posts from the community, ranked by readers' votes.")
        preview_value = {
            "heading": "Recommended by members",
            "ranking": "hot",
            "count": 5,
            "show_excerpt": True,
            "show_author": True,
            "show_score": True,
        }

    def ranking_filters(self, value):
        """The block's ranking, and the filters of ``PostScore.objects.ranking()`` its settings
        mean (the promotion rule's minimums where the editor left them empty)."""
        ranking = value.get("ranking") or "hot"
        min_votes, min_score = block_minimums(
            ranking,
            value.get("min_votes"),
            value.get("min_score"),
            app_settings.PROMOTION_MIN_VOTES,
            app_settings.PROMOTION_MIN_SCORE,
        )
        return ranking, {
            "community": value.get("source"),
            "window": value.get("window") or "all",
            "tag": (value.get("tag") or "").strip() or None,
            "min_votes": min_votes,
            "min_score": min_score,
        }

    def get_posts(self, value):
        """Pinned posts first, then the ranking, as page objects; two queries for any count
        (three or four with images): the block's statement (``post_ids``), then those posts by
        primary key."""
        return self._posts(*self.post_ids(value), value)

    def _posts(self, ids, pinned, value):
        image_spec = IMAGE_SPEC if value.get("show_image") else None
        posts = CommunityPostPage.objects.by_ids(ids, image_spec=image_spec)
        for post in posts:
            post.is_pinned_here = post.pk in pinned
        return posts

    def post_ids(self, value):
        """The IDs the block lists, in order, and the set of those pinned: one query."""
        rows, pinned = self.get_rows(value)
        return [row.pk for row in rows], pinned

    def get_rows(self, value):
        """The ``PromotedRow``s of the posts the block lists, in order, and the set of the IDs
        of those pinned: one statement (``PostScore.objects.promoted()``) for any count.

        The editor's chosen posts come first, in their order, then the other pinned posts,
        latest pinned first; then the ranking's best among the rest; then, when the block
        fills with the newest, the newest of the rest. Only live posts are shown (a post that
        is not live has its score row unlisted, see services/listing.py)."""
        count = value.get("count") or 5
        ranking, filters = self.ranking_filters(value)
        # A post chosen twice is shown once, in its first place.
        chosen = list(
            dict.fromkeys(page.pk for page in value.get("pinned") or [] if page is not None)
        )
        rows = PostScore.objects.promoted(
            ranking,
            count,
            chosen=chosen,
            fill_with_newest=bool(value.get("fill_with_newest")),
            **filters,
        )
        candidates = {row.pk: row for row in rows if row.branch == PINNED}
        editor_pinned = sorted(
            (row for pk, row in candidates.items() if pk not in chosen),
            key=lambda row: (row.pinned_at or row.published_at, row.pk),
            reverse=True,
        )
        listed = ([candidates[pk] for pk in chosen if pk in candidates] + editor_pinned)[:count]
        pinned = {row.pk for row in listed}
        room = count - len(listed)
        ranked = sorted(
            (row for row in rows if row.branch == RANKED_BRANCH), key=lambda row: row.position
        )
        listed += ranked[:room]
        shown = {row.pk for row in listed}
        newest = sorted(
            (row for row in rows if row.branch == NEWEST and row.pk not in shown),
            key=lambda row: row.position,
        )
        listed += newest[: count - len(listed)]
        return listed, pinned

    def get_cards(self, rows, pinned, value, request):
        """The posts of these ``PromotedRow``s, in order, as ``PostCard``s: no query, but the
        header images with their renditions when the block shows images (two)."""
        cards = []
        labels, links = Labels(), Links(request)
        for row in rows:
            card = PostCard(row, labels)
            card.is_pinned_here = row.pk in pinned
            card.block_url = links.url(CommunityPostPage, row.url_path)
            blog = row.blog_url_path
            card.blog_url = links.url(MemberBlogPage, blog) if blog else None
            cards.append(card)
        if value.get("show_image"):
            wanted = {card.header_image_id for card in cards if card.header_image_id}
            images = (
                get_image_model().objects.prefetch_renditions(IMAGE_SPEC).in_bulk(wanted)
                if wanted
                else {}
            )
            for card in cards:
                card.header_image = images.get(card.header_image_id)
        return cards

    def get_context(self, value, parent_context=None):
        context = super().get_context(value, parent_context=parent_context)
        request = (parent_context or {}).get("request")
        rows, pinned = self.get_rows(value)
        ids = [row.pk for row in rows]
        context["cards"] = self.get_cards(rows, pinned, value, request)

        def posts():
            loaded = self._posts(ids, pinned, value)
            self.prepare_display(loaded, request)
            return loaded

        # The page objects, for a site's own template: loaded only if it reads them.
        context["posts"] = SimpleLazyObject(posts)
        context["image_spec"] = IMAGE_SPEC
        if not context["cards"] and explains_itself(parent_context):
            context["empty_reasons"] = self.empty_reasons(value)
        return context

    def prepare_display(self, posts, request):
        """What the package's template shows, on page objects too (``posts``, for a site's
        own template): ``block_url`` and ``blog_url`` (as ``{% pageurl %}`` gives them), and
        the dates and labels of ``Labels``."""
        labels, links = Labels(), Links(request)
        for post in posts:
            score = post.score
            post.block_url = links.url(type(post), post.url_path)
            blog = score.blog
            post.blog_url = links.url(type(blog), blog.url_path) if blog else None
            labels.show(
                post, post.first_published_at, score.score, score.vote_count, score.comment_count
            )

    def get_preview_context(self, value, parent_context=None):
        context = super().get_preview_context(value, parent_context=parent_context)
        return {**context, EXPLAIN: True}

    def empty_reasons(self, value):
        """Why the block shows nothing, and what an editor can change: for previews only."""
        ranking, filters = self.ranking_filters(value)
        min_votes, min_score = filters["min_votes"], filters["min_score"]
        counts = PostScore.objects.shortfall(ranking, **filters)
        published = counts["published"]
        if not published:
            return [_now("No published post matches this block's community, tag and window yet.")]
        reasons = [
            ngettext(
                "%(count)d post is published here.",
                "%(count)d posts are published here.",
                published,
            )
            % {"count": published}
        ]
        if counts["with_votes"] == 0:
            reasons.append(
                ngettext(
                    "None has %(votes)d counted vote yet.",
                    "None has %(votes)d counted votes yet.",
                    min_votes,
                )
                % {"votes": min_votes}
            )
        else:
            reasons.append(
                ngettext(
                    "%(count)d has enough votes, but none a score of %(score)d.",
                    "%(count)d have enough votes, but none a score of %(score)d.",
                    counts["with_votes"],
                )
                % {"count": counts["with_votes"], "score": min_score}
            )
        hours = int(app_settings.MIN_ACCOUNT_AGE_TO_COUNT.total_seconds() // 3600)
        reasons.append(
            ngettext(
                "Votes count once the voter's account is %(hours)d hour old.",
                "Votes count once the voter's account is %(hours)d hours old.",
                hours,
            )
            % {"hours": hours}
        )
        reasons.append(
            _now(
                "Lower “Minimum votes” and “Minimum score” in this block, or tick “Fill empty "
                "places with the newest posts”."
            )
        )
        return reasons

    def cache_key(self, value, context=None):
        """The rendered block depends on its class and template, its settings, the site, the
        URL configuration and script prefix (links are relative to them), the time zone (the
        dates), the rankings' generation and the language."""
        request = (context or {}).get("request")
        site = Site.find_for_request(request) if request is not None else None
        identity = json.dumps(
            [
                f"{type(self).__module__}.{type(self).__qualname__}",
                getattr(self.meta, "template", ""),
                site.pk if site else None,
                get_urlconf(),
                get_script_prefix(),
                timezone.get_current_timezone_name() if settings.USE_TZ else None,
                self.get_prep_value(value),
            ],
            sort_keys=True,
            default=str,
        )
        digest = hashlib.sha256(identity.encode()).hexdigest()[:32]
        return f"wagtail_communityblog:block:{digest}:{generation()}:{get_language()}"

    def render(self, value, context=None):
        # The fragment is the same for every reader (no per-reader vote state), so it is cached
        # whole. Every change that could alter which posts it shows moves the generation on
        # (see cache.py), but a vote does not: the scores and order it shows are at most
        # BLOCK_SCORES_MAX_AGE old, so the cache survives a stream of votes.
        timeout = app_settings.BLOCK_CACHE_TIMEOUT
        if app_settings.BLOCK_SCORES_MAX_AGE > 0:
            timeout = min(timeout, app_settings.BLOCK_SCORES_MAX_AGE)
        if not timeout or explains_itself(context):
            # Previews may explain an empty block to the editor: never cached for readers.
            html = str(super().render(value, context))
        else:
            key = self.cache_key(value, context)
            html = fetch(key)
            if html is None:
                html = str(super().render(value, context))
                store(key, html, timeout)
        return mark_safe(self.stylesheet(context) + html)  # noqa: S308 - our own template

    def stylesheet(self, context):
        """The package's stylesheet, so that the block looks right on any page of the site,
        whatever its base template loads: once per response (none when the site's head has
        ``{% communityblog_assets head=True %}`` or an earlier block brought it)."""
        if context is None or context.get("request") is None:
            return ""
        return layout.assets(context, head=True)
