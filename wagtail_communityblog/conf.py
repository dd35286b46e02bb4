"""Package settings, read from Django settings each time they are used.

Every setting is prefixed ``WAGTAIL_COMMUNITYBLOG_``. Reading them through properties (rather
than copying them at import time) keeps ``override_settings`` working in tests and lets a site
change them without restarting anything that imported this module.

What Django's settings hold is remembered until a ``setting_changed`` signal (which
``override_settings`` and pytest-django's ``settings`` fixture send): some settings are read on
every vote, and asking Django for one a site has not set raises and catches an AttributeError
each time.
"""

from datetime import timedelta

from django.conf import settings

PREFIX = "WAGTAIL_COMMUNITYBLOG_"

MEMBER_DELETION_CHOICES = ("keep_others", "delete", "keep")
MODERATION_CHOICES = ("none", "first_post", "all")
RATING_SCHEME_CHOICES = ("recommend", "updown", "stars")

DEFAULT_RATE_LIMITS = {
    # action: "count/period", period one of s, m, h, d (django-ratelimit's syntax).
    "post_create": "10/h",
    "post_edit": "60/h",
    "blog_edit": "20/h",
    "image_upload": "30/h",
    "vote": "200/h",
    "comment": "30/h",
    "comment_edit": "30/h",
    "recommend": "200/h",
    "flag": "20/h",
    "follow": "60/h",
    "subscribe": "10/h",
    # Each fetch from another server that a request makes (a key the site has not seen, an
    # account a member looks up), by the address the request came from: a server delivers
    # from known keys, so its own fetches are few.
    "activitypub_fetch": "120/h",
}


_UNSET = object()
_read = {}


def forget_settings(*, setting=None, **kwargs):
    """``setting_changed`` receiver (connected in ``AppConfig.ready``): read afresh."""
    if setting is None or setting.startswith(PREFIX):
        _read.clear()


class AppSettings:
    def _get(self, name, default):
        try:
            value = _read[name]
        except KeyError:
            value = _read[name] = getattr(settings, PREFIX + name, _UNSET)
        return default if value is _UNSET else value

    @property
    def POSTS_PER_PAGE(self):
        """Items per page on the community index, tag pages, member blogs, the blog directory
        and search results."""
        return self._get("POSTS_PER_PAGE", 20)

    @property
    def FEED_ITEMS(self):
        """How many posts an RSS or Atom feed carries."""
        return self._get("FEED_ITEMS", 30)

    @property
    def ON_MEMBER_DELETE(self):
        """What happens to a member's blog, posts and comments when their account is deleted.

        ``"keep_others"`` (the default) removes the member's words but never other people's:
        a post of theirs that others have commented on or voted on stays, under a "former
        member" byline. ``"delete"`` removes everything they wrote, other people's comments
        and votes on it included; ``"keep"`` keeps it all under the "former member" byline.
        """
        return self._get("ON_MEMBER_DELETE", "keep_others")

    @property
    def HOT_TAU(self):
        """Seconds of freshness worth a tenfold score in the "hot" ranking (Reddit's 45000)."""
        return float(self._get("HOT_TAU", 45000.0))

    @property
    def ADAPTER(self):
        """Dotted path of the adapter class (``adapter.DefaultCommunityBlogAdapter``): who may
        blog, members' names and avatars, the e-mails sent (docs/reference/adapter.md)."""
        return self._get("ADAPTER", "wagtail_communityblog.adapter.DefaultCommunityBlogAdapter")

    @property
    def MEMBER_GROUP(self):
        """Name of the group whose members may blog; ``None`` lets any active user blog."""
        return self._get("MEMBER_GROUP", None)

    @property
    def MODERATION(self):
        """``"none"``, ``"first_post"`` (a member's first post waits for approval) or ``"all"``."""
        return self._get("MODERATION", "first_post")

    @property
    def MODERATOR_GROUPS(self):
        """Groups whose members approve or reject waiting posts in the Wagtail admin."""
        return self._get("MODERATOR_GROUPS", ["Moderators"])

    @property
    def RATE_LIMITS(self):
        """Per-member limits on writing actions; a site's dict is merged over the defaults."""
        return {**DEFAULT_RATE_LIMITS, **self._get("RATE_LIMITS", {})}

    @property
    def MAX_IMAGE_SIZE(self):
        """Largest image upload, in bytes."""
        return int(self._get("MAX_IMAGE_SIZE", 5 * 1024 * 1024))

    @property
    def MAX_IMAGE_PIXELS(self):
        """Largest image upload, in pixels (width x height)."""
        return int(self._get("MAX_IMAGE_PIXELS", 40_000_000))

    @property
    def IMAGE_COLLECTION(self):
        """Name of the Wagtail collection that members' uploads go into."""
        return self._get("IMAGE_COLLECTION", "Community uploads")

    @property
    def RATING_SCHEME(self):
        """``"recommend"``, ``"updown"`` (default) or ``"stars"``."""
        return self._get("RATING_SCHEME", "updown")

    @property
    def WILSON_Z(self):
        """Confidence of the "best" ranking's Wilson lower bound (1.96 = 95%)."""
        return float(self._get("WILSON_Z", 1.96))

    @property
    def BAYES_PRIOR_VOTES(self):
        """Star ratings: how many votes' weight the prior mean has in "best"."""
        return float(self._get("BAYES_PRIOR_VOTES", 5))

    @property
    def BAYES_PRIOR_MEAN(self):
        """Star ratings: the mean a post with no votes is assumed to have."""
        return float(self._get("BAYES_PRIOR_MEAN", 3.0))

    @property
    def MIN_ACCOUNT_AGE_TO_COUNT(self):
        """How old an account must be before its votes count in rankings (a ``timedelta``).

        Younger accounts' votes are recorded and folded in when the account comes of age.
        """
        return _as_timedelta(self._get("MIN_ACCOUNT_AGE_TO_COUNT", timedelta(hours=24)))

    @property
    def MIN_ACCOUNT_AGE_TO_VOTE(self):
        """How old an account must be to vote at all (a ``timedelta``; none by default)."""
        return _as_timedelta(self._get("MIN_ACCOUNT_AGE_TO_VOTE", timedelta(0)))

    @property
    def PROMOTION_MIN_VOTES(self):
        """Votes a post needs to be promoted (and its author told), as on Scoop/Daily Kos."""
        return int(self._get("PROMOTION_MIN_VOTES", 5))

    @property
    def PROMOTION_MIN_SCORE(self):
        """Net score a post needs to be promoted."""
        return int(self._get("PROMOTION_MIN_SCORE", 3))

    @property
    def FLAG_HIDE_THRESHOLD(self):
        """Open reports that hide a post from promotion until an editor decides (0: never)."""
        return int(self._get("FLAG_HIDE_THRESHOLD", 3))

    @property
    def BASE_TEMPLATE(self):
        """The site's base template the package's pages and member views render inside
        (filling its ``content`` block); empty: the package's own standalone layout."""
        return self._get("BASE_TEMPLATE", None) or None

    @property
    def ACTIVITYPUB(self):
        """Whether member blogs and community indexes are ActivityPub actors (federation)."""
        return bool(self._get("ACTIVITYPUB", False))

    @property
    def ACTIVITYPUB_ALLOW_PRIVATE_ADDRESSES(self):
        """Whether the site may fetch from and deliver to ``http://`` addresses and to
        loopback or private networks (development and tests only: on a public site it would let
        any remote request make the server call into its own network)."""
        return bool(self._get("ACTIVITYPUB_ALLOW_PRIVATE_ADDRESSES", False))

    @property
    def ACTIVITYPUB_SIGNATURE_WINDOW(self):
        """Seconds a signed request's date may be from the server's clock, either way."""
        return int(self._get("ACTIVITYPUB_SIGNATURE_WINDOW", 3600))

    @property
    def ACTIVITYPUB_MAX_BYTES(self):
        """The largest activity (request body) an inbox accepts, and the largest document the
        site fetches from another server."""
        return int(self._get("ACTIVITYPUB_MAX_BYTES", 256 * 1024))

    @property
    def ACTIVITYPUB_KEY_REFRESH_SECONDS(self):
        """How old a cached remote key must be before a signature that fails with it makes the
        site fetch the key again (a rotated key); a day's keys are kept otherwise."""
        return int(self._get("ACTIVITYPUB_KEY_REFRESH_SECONDS", 60))

    @property
    def ACTIVITYPUB_FETCH_TIMEOUT(self):
        """Seconds to wait for another server (fetching a key, delivering an activity)."""
        return float(self._get("ACTIVITYPUB_FETCH_TIMEOUT", 10))

    @property
    def ACTIVITYPUB_RETRY_MINUTES(self):
        """Minutes to wait before each new attempt at a failed delivery; after the last, the
        delivery is given up on."""
        return list(self._get("ACTIVITYPUB_RETRY_MINUTES", [1, 5, 30, 120, 720, 1440]))

    @property
    def ACTIVITYPUB_GIVE_UP_DAYS(self):
        """Days a server's deliveries may fail before it is given up on: nothing more is
        queued for it until it sends the site something again."""
        return float(self._get("ACTIVITYPUB_GIVE_UP_DAYS", 7))

    @property
    def DIGEST_POSTS(self):
        """How many posts the weekly digest of a community lists at most."""
        return int(self._get("DIGEST_POSTS", 10))

    @property
    def SHARE_META(self):
        """Whether the package's pages write their canonical URL, Open Graph and Twitter card
        tags and schema.org JSON-LD in ``extra_head`` (False when the site's base template or
        an SEO package writes them)."""
        return bool(self._get("SHARE_META", True))

    @property
    def SHOW_MESSAGES(self):
        """Whether the package shows Django's messages itself (False when the site's base
        template shows them)."""
        return bool(self._get("SHOW_MESSAGES", True))

    @property
    def SHOW_BREADCRUMBS(self):
        """Whether the package's pages show their own breadcrumb trail (False when the site's
        base template has one)."""
        return bool(self._get("SHOW_BREADCRUMBS", True))

    @property
    def CACHE_MAX_AGE(self):
        """Seconds a shared cache may keep an anonymous reader's page (``s-maxage``); 0 marks
        none ``public``."""
        return int(self._get("CACHE_MAX_AGE", 60))

    @property
    def CACHE_STALE_WHILE_REVALIDATE(self):
        """Seconds a shared cache may go on serving such a page while it fetches it again."""
        return int(self._get("CACHE_STALE_WHILE_REVALIDATE", 300))

    @property
    def SCHEDULE(self):
        """The periodic jobs ``communityblog_scheduler`` queues, each a crontab line (in
        ``TIME_ZONE``), or ``None`` to leave one out: the site's setting is merged over these."""
        schedule = {
            "detect_vote_rings": "*/10 * * * *",
            "fold_matured_votes": "*/15 * * * *",
            "recompute_scores": "17 3 * * *",
            "retry_emails": "* * * * *",
            "send_digests": "0 7 * * 1",
            "forget_unconfirmed_follows": "43 4 * * *",
            "retry_activities": "* * * * *",
        }
        schedule.update(self._get("SCHEDULE", {}) or {})
        return {name: spec for name, spec in schedule.items() if spec}

    @property
    def BLOCK_CACHE_TIMEOUT(self):
        """Seconds a rendered promoted-posts block may be served from the cache."""
        return int(self._get("BLOCK_CACHE_TIMEOUT", 300))

    @property
    def BLOCK_SCORES_MAX_AGE(self):
        """Seconds the scores a cached promoted-posts block shows, and the order votes give it,
        may lag the votes: a vote moves nothing in the cache, and a cached block is rendered
        again at most this long after it was. Promotions, pins, hides, holds, publications
        and suspensions still show at once. 0: every counted vote invalidates every cached
        block (what the package did before)."""
        return max(0, int(self._get("BLOCK_SCORES_MAX_AGE", 60)))

    @property
    def EMAIL_CLAIM_SECONDS(self):
        """How long a worker's claim on an e-mail it is sending holds: a worker killed while
        sending leaves the e-mail to be sent again once this has passed."""
        return int(self._get("EMAIL_CLAIM_SECONDS", 300))

    @property
    def EMAIL_RETRY_MINUTES(self):
        """Minutes to wait before each new attempt at an e-mail that failed; after the last,
        the e-mail is given up on (and the log says so)."""
        return [int(minutes) for minutes in self._get("EMAIL_RETRY_MINUTES", [1, 5, 30, 120])]

    @property
    def RESCUE_DAYS(self):
        """How recent a post must be to appear in the Rescue report."""
        return int(self._get("RESCUE_DAYS", 3))

    @property
    def RESCUE_MAX_VOTES(self):
        """Posts with at most this many votes appear in the Rescue report."""
        return int(self._get("RESCUE_MAX_VOTES", 2))

    @property
    def COMMENTS_ENABLED(self):
        """Whether posts show a discussion below them."""
        return bool(self._get("COMMENTS_ENABLED", True))

    @property
    def COMMENT_MODERATION(self):
        """``None`` (follow ``MODERATION``), ``"none"``, ``"first_post"`` or ``"all"``."""
        value = self._get("COMMENT_MODERATION", None)
        return self.MODERATION if value is None else value

    @property
    def COMMENT_MAX_DEPTH(self):
        """How deep replies nest (0: a flat discussion); deeper replies continue beside."""
        return max(0, int(self._get("COMMENT_MAX_DEPTH", 3)))

    @property
    def COMMENT_EDIT_WINDOW(self):
        """How long after writing a member may edit their comment (a ``timedelta``)."""
        return _as_timedelta(self._get("COMMENT_EDIT_WINDOW", timedelta(minutes=15)))

    @property
    def COMMENT_MAX_LENGTH(self):
        """Longest comment, in characters of what the member typed."""
        return int(self._get("COMMENT_MAX_LENGTH", 5000))

    @property
    def COMMENT_HIDE_THRESHOLD(self):
        """Open reports that hide a comment until an editor decides (0: never)."""
        return int(self._get("COMMENT_HIDE_THRESHOLD", 3))

    # --- vote rings (issue 8; see docs/explanation/community-health.md) -------------------

    @property
    def RING_DETECTION(self):
        """Detect vote rings and hold their votes until an editor decides (on by default)."""
        return bool(self._get("RING_DETECTION", True))

    @property
    def RING_WINDOW(self):
        """How far back the detection compares votes (a ``timedelta``; 48 hours)."""
        return _as_timedelta(self._get("RING_WINDOW", timedelta(hours=48)))

    @property
    def RING_CLOSENESS(self):
        """Two votes on a post are "together" when cast within this time (one hour)."""
        return _as_timedelta(self._get("RING_CLOSENESS", timedelta(hours=1)))

    @property
    def RING_MIN_SHARED(self):
        """Votes two accounts must have cast together before they can be linked."""
        return int(self._get("RING_MIN_SHARED", 3))

    @property
    def RING_MIN_SIMILARITY(self):
        """Share of two accounts' votes cast together (Jaccard) that links them."""
        return float(self._get("RING_MIN_SIMILARITY", 0.5))

    @property
    def RING_MIN_SIZE(self):
        """Linked accounts needed to make a ring."""
        return int(self._get("RING_MIN_SIZE", 3))

    @property
    def RING_KEEP_ONE_VOTE(self):
        """While a ring awaits review, one member's votes still count (the ring weighs as one
        reader); ``False`` holds every member's votes."""
        return bool(self._get("RING_KEEP_ONE_VOTE", True))

    @property
    def RING_HOLD_POSTS(self):
        """Keep the posts a detected ring pushed up out of every ranking until an editor
        decides the ring (on by default)."""
        return bool(self._get("RING_HOLD_POSTS", True))

    @property
    def RING_LOW_HISTORY_VOTES(self):
        """Accounts with fewer votes than this in their life are compared; others are not."""
        return int(self._get("RING_LOW_HISTORY_VOTES", 20))

    @property
    def CLIMB_HOLD(self):
        """Keep a post whose first-hour up votes were abnormally many out of every ranking
        until an editor has looked (on by default)."""
        return bool(self._get("CLIMB_HOLD", True))

    @property
    def CLIMB_FACTOR(self):
        """A post climbs abnormally fast from this many times the first-hour up votes of the
        recent posts' 90th percentile."""
        return float(self._get("CLIMB_FACTOR", 8.0))

    @property
    def CLIMB_MIN_VOTES(self):
        """...and from no fewer first-hour up votes than this."""
        return int(self._get("CLIMB_MIN_VOTES", 10))

    @property
    def CROWD_HOLD(self):
        """Keep a post out of every ranking until an editor has looked when, before it met the
        promotion rule, its up votes came mostly from accounts that follow the crowd (on by
        default): the farming ring's push."""
        return bool(self._get("CROWD_HOLD", True))

    @property
    def CROWD_MIN_VOTES(self):
        """An account follows the crowd from this many votes in its life..."""
        return int(self._get("CROWD_MIN_VOTES", 20))

    @property
    def CROWD_MAX_EARLY_SHARE(self):
        """...when fewer than this share of them were early (cast on a post that had not yet
        met the promotion rule)."""
        return float(self._get("CROWD_MAX_EARLY_SHARE", 0.02))

    @property
    def CROWD_HOLD_MIN_VOTES(self):
        """A post is held when at least this many of its early up votes, and at least half of
        them, come from accounts that follow the crowd."""
        return int(self._get("CROWD_HOLD_MIN_VOTES", 3))


def _as_timedelta(value):
    return value if isinstance(value, timedelta) else timedelta(seconds=float(value))


app_settings = AppSettings()
