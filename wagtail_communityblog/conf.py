"""Package settings, read from Django settings each time they are used.

Every setting is prefixed ``WAGTAIL_COMMUNITYBLOG_``. Reading them through properties (rather
than copying them at import time) keeps ``override_settings`` working in tests and lets a site
change them without restarting anything that imported this module.
"""

from django.conf import settings

PREFIX = "WAGTAIL_COMMUNITYBLOG_"

MEMBER_DELETION_CHOICES = ("delete", "keep")


class AppSettings:
    def _get(self, name, default):
        return getattr(settings, PREFIX + name, default)

    @property
    def POSTS_PER_PAGE(self):
        """Posts per page on the community index, tag pages and member blogs."""
        return self._get("POSTS_PER_PAGE", 20)

    @property
    def FEED_ITEMS(self):
        """How many posts an RSS or Atom feed carries."""
        return self._get("FEED_ITEMS", 30)

    @property
    def ON_MEMBER_DELETE(self):
        """What happens to a member's blog and posts when their account is deleted.

        ``"delete"`` removes them; ``"keep"`` keeps them under a "former member" byline.
        """
        return self._get("ON_MEMBER_DELETE", "delete")

    @property
    def HOT_TAU(self):
        """Seconds of freshness worth a tenfold score in the "hot" ranking (Reddit's 45000)."""
        return float(self._get("HOT_TAU", 45000.0))


app_settings = AppSettings()
