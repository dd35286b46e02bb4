"""Following by e-mail: readers, members or not, who get a member's new posts, a tag's, the
posts readers promote, or a weekly digest of the best posts of a community.

A ``Follower`` is one e-mail address; its ``token`` is the secret in every link of every
e-mail it gets (manage, confirm, unsubscribe), so those pages need no log-in. A member follows
with their account (``user``), confirmed by being logged in; anyone else's follows wait
(``confirmed_at`` empty) until they open the link the confirmation e-mail carries (double
opt-in), so nobody can sign somebody else's address up for anything.
"""

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


def new_token():
    return secrets.token_urlsafe(32)


class Follower(models.Model):
    email = models.EmailField(_("e-mail address"), max_length=254, unique=True)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("member"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="communityblog_follower",
    )
    token = models.CharField(_("token"), max_length=64, unique=True, default=new_token)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("e-mail follower")
        verbose_name_plural = _("e-mail followers")

    def __str__(self):
        return self.email


class Follow(models.Model):
    BLOG, TAG, PROMOTED, DIGEST = "blog", "tag", "promoted", "digest"
    KINDS = [
        (BLOG, _("New posts in a member's blog")),
        (TAG, _("New posts with a tag")),
        (PROMOTED, _("Posts readers promote")),
        (DIGEST, _("A weekly digest of the best posts")),
    ]

    follower = models.ForeignKey(Follower, on_delete=models.CASCADE, related_name="follows")
    kind = models.CharField(_("kind"), max_length=10, choices=KINDS)
    community = models.ForeignKey(
        "wagtail_communityblog.CommunityIndexPage",
        verbose_name=_("community"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    blog = models.ForeignKey(
        "wagtail_communityblog.MemberBlogPage",
        verbose_name=_("blog"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="email_follows",
    )
    tag = models.ForeignKey(
        "taggit.Tag",
        verbose_name=_("tag"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("e-mail follow")
        verbose_name_plural = _("e-mail follows")
        constraints = [
            models.UniqueConstraint(
                fields=["follower", "blog"],
                condition=Q(kind="blog"),
                name="communityblog_follow_blog_once",
            ),
            models.UniqueConstraint(
                fields=["follower", "community", "tag"],
                condition=Q(kind="tag"),
                name="communityblog_follow_tag_once",
            ),
            models.UniqueConstraint(
                fields=["follower", "community", "kind"],
                condition=Q(kind__in=["promoted", "digest"]),
                name="communityblog_follow_community_once",
            ),
            models.CheckConstraint(
                condition=(
                    Q(kind="blog", blog__isnull=False, tag__isnull=True)
                    | Q(kind="tag", tag__isnull=False, blog__isnull=True)
                    | Q(kind__in=["promoted", "digest"], blog__isnull=True, tag__isnull=True)
                ),
                name="communityblog_follow_target",
            ),
        ]
        indexes = [models.Index(fields=["kind", "community"], name="communityblog_follow_kind")]

    def __str__(self):
        return f"{self.follower} → {self.describe()}"

    def describe(self):
        """What is followed, in words for the follower."""
        if self.kind == self.BLOG:
            return _("new posts in “%(blog)s”") % {"blog": self.blog.title}
        if self.kind == self.TAG:
            return _("new posts tagged “%(tag)s” in %(community)s") % {
                "tag": self.tag.name,
                "community": self.community.title,
            }
        if self.kind == self.PROMOTED:
            return _("posts readers promote in %(community)s") % {"community": self.community.title}
        return _("the weekly digest of %(community)s") % {"community": self.community.title}
