"""Per-post aggregates and editor decisions, kept apart from the page table.

Publishing a page from a revision copies every page field from the revision's JSON, so counts
or editor flags stored on the page would be silently overwritten with stale values. Keeping
them in their own table also keeps vote-time row locks off Wagtail's page table.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .curation import Flag, reporters
from .querysets import PostScoreQuerySet

RANKED = Q(is_listed=True, is_hidden=False)


class PostScore(models.Model):
    # Not content: keep these rows out of Wagtail's reference index (which would otherwise
    # be written on every vote).
    wagtail_reference_index_ignore = True

    post = models.OneToOneField(
        "wagtail_communityblog.CommunityPostPage",
        verbose_name=_("post"),
        primary_key=True,
        on_delete=models.CASCADE,
        related_name="score",
    )
    # Copies of where the post lives and who wrote it, so listings and rankings are index
    # scans on this table alone.
    community = models.ForeignKey(
        "wagtail_communityblog.CommunityIndexPage",
        verbose_name=_("community"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="post_scores",
    )
    blog = models.ForeignKey(
        "wagtail_communityblog.MemberBlogPage",
        verbose_name=_("blog"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="blog_scores",
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("author"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    # Live, public (no view restriction on the post or above it) and by a member in good
    # standing: may appear in listings and rankings. Kept by services/listing.py on publish,
    # move, suspension and privacy changes.
    is_listed = models.BooleanField(_("listed"), default=False)
    # An editor's decision to keep the post out of promotion and rankings.
    is_hidden = models.BooleanField(_("hidden from promotion"), default=False)
    hidden_reason = models.TextField(_("reason for hiding"), blank=True)
    # Hidden automatically because enough readers reported the post; cleared when an editor
    # decides (dismissing the reports unhides it).
    hidden_by_reports = models.BooleanField(_("hidden pending review"), default=False)
    is_pinned = models.BooleanField(_("pinned"), default=False)
    pinned_at = models.DateTimeField(_("pinned at"), null=True, blank=True)

    up_count = models.PositiveIntegerField(_("up votes"), default=0)
    down_count = models.PositiveIntegerField(_("down votes"), default=0)
    vote_count = models.PositiveIntegerField(_("votes"), default=0)
    vote_sum = models.IntegerField(_("sum of votes"), default=0)
    score = models.IntegerField(_("net score"), default=0)
    hot = models.FloatField(_("hot"), default=0.0)
    best = models.FloatField(_("best"), default=0.0)

    published_at = models.DateTimeField(_("first published"), null=True)
    # Where the post's "hot" clock starts: first publication, moved by an editor's re-up.
    rank_time = models.DateTimeField(_("ranking time"), null=True)
    # ``rank_time`` in "hot" units, (rank_time - epoch) / tau, so the database can compute
    # ``hot`` on each vote (see ranking_expressions.py).
    time_score = models.FloatField(_("time score"), default=0.0)
    promoted_at = models.DateTimeField(_("promoted at"), null=True, blank=True)
    # Comments readers can see (approved, not hidden, not deleted), kept by services/comments.py.
    comment_count = models.PositiveIntegerField(_("comments"), default=0)
    comments_closed = models.BooleanField(_("comments closed"), default=False)
    # From other servers (ActivityPub): shown, never counted as votes.
    fediverse_likes = models.PositiveIntegerField(_("likes from the fediverse"), default=0)
    fediverse_boosts = models.PositiveIntegerField(_("boosts from the fediverse"), default=0)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = PostScoreQuerySet.as_manager()

    class Meta:
        verbose_name = _("community post")
        verbose_name_plural = _("community posts")
        permissions = [
            ("curate_community", _("Can curate the community (pin, hide, re-up, act on reports)"))
        ]
        # One index per listing order, ending with the post's id so that the order is total:
        # a page of any listing, at any depth, is one range scan (keyset pagination, see
        # services/listing.py), and the top-N of a ranking needs no sort at all.
        indexes = [
            models.Index(
                fields=["community", "-published_at", "-post"],
                condition=Q(is_listed=True),
                name="wcb_score_listed_new",
            ),
            models.Index(
                fields=["blog", "-published_at", "-post"],
                condition=Q(is_listed=True),
                name="wcb_score_blog_new",
            ),
            models.Index(
                fields=["-hot", "-published_at", "-post"], condition=RANKED, name="wcb_score_hot"
            ),
            models.Index(
                fields=["-best", "-vote_count", "-published_at", "-post"],
                condition=RANKED,
                name="wcb_score_best",
            ),
            models.Index(
                fields=["-score", "-published_at", "-post"], condition=RANKED, name="wcb_score_top"
            ),
            models.Index(fields=["-published_at", "-post"], condition=RANKED, name="wcb_score_new"),
            # The few pinned posts, which a promoted block reads on every render.
            models.Index(
                fields=["-pinned_at"], condition=Q(is_pinned=True), name="wcb_score_pinned"
            ),
        ]

    def __str__(self):
        post = self._state.fields_cache.get("post")
        return post.title if post is not None else str(self.post_id)

    @property
    def hot_display(self):
        return f"{self.hot:.3f}"

    @property
    def best_display(self):
        return f"{self.best:.3f}"

    @property
    def promotion_state(self):
        """A short description of the post's standing, for editors' listings."""
        parts = []
        if self.is_pinned:
            parts.append(gettext("pinned"))
        if self.is_hidden:
            parts.append(
                gettext("hidden pending review") if self.hidden_by_reports else gettext("hidden")
            )
        if self.promoted_at:
            parts.append(gettext("promoted"))
        if not self.is_listed:
            parts.append(gettext("not listed"))
        return ", ".join(parts) or "–"

    @property
    def latest_report_reasons(self):
        reasons = Flag.objects.filter(post_id=self.post_id, status=Flag.STATUS_OPEN).order_by(
            "-created_at"
        )[:3]
        return " / ".join(flag.reason[:80] for flag in reasons)

    @property
    def latest_reporters(self):
        """Who made the open reports, latest first; a report that does not count toward
        hiding (a new, suspended or held account) says so."""
        reports = (
            Flag.objects.filter(post_id=self.post_id, status=Flag.STATUS_OPEN)
            .select_related("user", "user__community_member")
            .order_by("-created_at")
        )
        return reporters(reports)

    @property
    def average(self):
        """Mean vote (for star ratings), or ``None`` without votes."""
        return self.vote_sum / self.vote_count if self.vote_count else None
