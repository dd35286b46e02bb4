"""Following by e-mail (``models.Follower``, ``models.Follow``): following and unfollowing,
the double opt-in, and the e-mails that go out: a followed blog's or tag's new post, a post
readers promoted, the weekly digest.

Every e-mail goes through the outbox (``deliveries``) with a key made of what it is about and
who it is for (``follow:post:<post>:to:<follower>``, ``digest:<community>:<week>:to:<follower>``),
so a task that runs twice, a post published again or a digest job retried sends nothing twice.
A follower who follows a post's blog and one of its tags gets one e-mail about it.
"""

import logging
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from ..conf import app_settings
from ..errors import FollowError
from ..links import absolute_url, one_click_unsubscribe, page_full_url
from ..models import (
    CommunityIndexPage,
    CommunityPostPage,
    EmailDelivery,
    Follow,
    Follower,
    MemberBlogPage,
    PostScore,
)
from ..models.members import is_suspended_id
from ..sharing import plain_text
from . import deliveries

logger = logging.getLogger(__name__)

# A form anyone can post to must not become a way to flood somebody's inbox: one confirmation
# e-mail per new follow (asking again for the same one sends nothing), and at most this many
# per address in a day.
CONFIRMATIONS_PER_DAY = 3
# A follow nobody confirmed is forgotten after this long (``forget_unconfirmed``): the address
# was someone else's, or its owner changed their mind.
UNCONFIRMED_DAYS = 7
BATCH = 500


# Following --------------------------------------------------------------------------------


def normalise_email(value):
    email = (value or "").strip()
    try:
        validate_email(email)
    except ValidationError:
        raise FollowError(_("Enter a valid e-mail address.")) from None
    # One follower per address, however it is typed (mail providers ignore the case).
    return email.lower()


def target(community_id=None, blog_id=None, tag_slug=None, kind=None):
    """What a follow form names, checked: ``(kind, community, blog, tag)``; raises a 404
    ``FollowError`` for a blog, community or tag that readers cannot see."""
    if blog_id:
        blog = (
            MemberBlogPage.objects.live()
            .public()
            .filter(pk=blog_id)
            .select_related("owner")
            .first()
        )
        if blog is None or blog.community_id is None or is_suspended_id(blog.owner_id):
            raise FollowError(_("There is no such blog to follow."), 404)
        return Follow.BLOG, blog.community, blog, None
    community = CommunityIndexPage.objects.live().public().filter(pk=community_id).first()
    if community is None:
        raise FollowError(_("There is no such community to follow."), 404)
    if tag_slug:
        from taggit.models import Tag

        tag = Tag.objects.filter(
            slug=tag_slug,
            wagtail_communityblog_communityposttag_items__content_object__score__community=community,
            wagtail_communityblog_communityposttag_items__content_object__score__is_listed=True,
        ).first()
        if tag is None:
            raise FollowError(_("No post in this community has that tag."), 404)
        return Follow.TAG, community, None, tag
    if kind not in (Follow.PROMOTED, Follow.DIGEST):
        raise FollowError(_("Choose what to follow."))
    return kind, community, None, None


def follower_for_member(user):
    """The member's ``Follower`` (made on first use, with their account's address)."""
    if not user.email:
        raise FollowError(_("Your account has no e-mail address to send posts to."))
    follower = Follower.objects.filter(user=user).first()
    if follower is not None:
        if follower.email != normalise_email(user.email):
            # The account's address changed: the e-mails follow it.
            follower = _move_address(follower, normalise_email(user.email))
        return follower
    follower = _follower(normalise_email(user.email))
    if follower.user_id is None:
        # An address that followed before its owner had an account: now theirs. What it
        # followed without confirming still waits for the link in its e-mail.
        Follower.objects.filter(pk=follower.pk, user__isnull=True).update(user=user)
        follower.refresh_from_db()
    return follower


def _follower(email):
    """The ``Follower`` of ``email``, made if there is none (by this request or, at the same
    moment, another)."""
    try:
        with transaction.atomic():
            return Follower.objects.get_or_create(email=email)[0]
    except IntegrityError:
        return Follower.objects.get(email=email)


def _move_address(follower, email):
    if Follower.objects.filter(email=email).exclude(pk=follower.pk).exists():
        return follower  # someone else follows with it: keep sending to the old one
    follower.email = email
    follower.save(update_fields=["email"])
    return follower


def follow(what, *, user=None, email=None):
    """Follow ``what`` (``target()``'s answer), as the member ``user`` or as the address
    ``email``. A member's follow is confirmed at once; an address's waits for the link in the
    confirmation e-mail, sent here (see ``queue_confirmation``). Return
    ``(follow, confirmation_needed)``; following twice is no error and changes nothing."""
    kind, community, blog, tag = what
    member = user is not None and user.is_authenticated
    follower = follower_for_member(user) if member else _follower(normalise_email(email))
    lookup = {"kind": kind, "community": community, "blog": blog, "tag": tag}
    try:
        with transaction.atomic():
            existing, _created = Follow.objects.get_or_create(follower=follower, **lookup)
    except IntegrityError:
        existing = Follow.objects.get(follower=follower, **lookup)
    if existing.confirmed_at is not None:
        return existing, False
    if member:
        Follow.objects.filter(pk=existing.pk).update(confirmed_at=timezone.now())
        existing.refresh_from_db()
        return existing, False
    queue_confirmation(follower, existing)
    return existing, True


def queue_confirmation(follower, follow):
    """The e-mail asking an address to confirm what it follows (all that waits), once for
    each new follow and at most ``CONFIRMATIONS_PER_DAY`` a day; return whether it is queued.

    The day's e-mails have numbered keys (``follow:confirm:<follower>:<day>:<n>``): the outbox's
    unique key is what holds the limit when requests for one address arrive at once."""
    prefix = f"follow:confirm:{follower.pk}:"
    if EmailDelivery.objects.filter(
        key__startswith=prefix, created_at__gte=follow.created_at
    ).exists():
        return False  # asked again: the e-mail sent since it was asked lists it already
    day = timezone.now().date().isoformat()
    return any(
        deliveries.queue_new("follow_confirm", f"{prefix}{day}:{number}", follower.pk)
        for number in range(CONFIRMATIONS_PER_DAY)
    )


def confirm(follower):
    """The follower opened the confirmation link: their waiting follows start; how many."""
    return follower.follows.filter(confirmed_at__isnull=True).update(confirmed_at=timezone.now())


def unfollow(follower, follow_id=None):
    """Stop one follow (``follow_id``) or all of them; how many were stopped."""
    follows = follower.follows.all()
    if follow_id is not None:
        follows = follows.filter(pk=follow_id)
    deleted, _per_model = follows.delete()
    return deleted


def forget_unconfirmed(now=None):
    """Delete the follows an address never confirmed within ``UNCONFIRMED_DAYS``, and the
    addresses left with nothing (and no account); return how many follows were deleted."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=UNCONFIRMED_DAYS)
    deleted, _per_model = Follow.objects.filter(
        confirmed_at__isnull=True, created_at__lt=cutoff
    ).delete()
    Follower.objects.filter(user__isnull=True, follows__isnull=True, created_at__lt=cutoff).delete()
    return deleted


# Links ------------------------------------------------------------------------------------


def manage_url(follower, page):
    return absolute_url(
        page, reverse("wagtail_communityblog:follow_manage", kwargs={"token": follower.token})
    )


def unsubscribe_url(follow, page):
    return absolute_url(
        page,
        reverse(
            "wagtail_communityblog:follow_unsubscribe",
            kwargs={"token": follow.follower.token, "follow_id": follow.pk},
        ),
    )


# What goes out ----------------------------------------------------------------------------


def _queue_each(kind, key_prefix, follows_by_follower, *arguments):
    """One outbox e-mail per follower (for the first of their follows that matched); return
    how many were not queued before."""
    rows = [
        (f"{key_prefix}:to:{follower_id}", [follower_id, follow_id, *arguments])
        for follower_id, follow_id in sorted(follows_by_follower.items())
    ]
    return sum(
        deliveries.queue_many(kind, rows[start : start + BATCH])
        for start in range(0, len(rows), BATCH)
    )


def _confirmed(queryset):
    return queryset.filter(confirmed_at__isnull=False).order_by("kind", "pk")


def _first_per_follower(follows, exclude_user_id=None):
    chosen = {}
    for follow_id, follower_id, user_id in follows.values_list(
        "pk", "follower_id", "follower__user_id"
    ):
        if exclude_user_id is not None and user_id == exclude_user_id:
            continue  # the author is not told of their own post
        chosen.setdefault(follower_id, follow_id)
    return chosen


def _post_follows(blog_id, community_id, tag_ids):
    return Follow.objects.filter(kind=Follow.BLOG, blog_id=blog_id) | Follow.objects.filter(
        kind=Follow.TAG, community_id=community_id, tag_id__in=tag_ids
    )


def post_published(post):
    """A post was published for the first time: if anyone follows its blog or one of its
    tags, record (in the publishing transaction) that they are to hear of it, once; the task
    worker then queues their e-mails (``notify_new_post``)."""
    blog = post.get_blog()
    if blog is None:
        return
    tag_ids = list(post.tags.values_list("pk", flat=True))
    if _confirmed(_post_follows(blog.pk, blog.community_id, tag_ids)).exists():
        deliveries.queue("followers_post", f"followers:post:{post.pk}", post.pk)


def notify_new_post(post_id):
    """Queue an e-mail about a newly published post to each follower of its blog or of one of
    its tags; return how many were new. A post that is not listed (private, a suspended author's)
    goes to nobody."""
    score = PostScore.objects.filter(post_id=post_id, is_listed=True).first()
    if score is None or score.blog_id is None:
        return 0
    post = CommunityPostPage.objects.get(pk=post_id)
    tag_ids = list(post.tags.values_list("pk", flat=True))
    follows = _post_follows(score.blog_id, score.community_id, tag_ids)
    chosen = _first_per_follower(_confirmed(follows), post.author_id)
    return _queue_each("follow_post", f"follow:post:{post_id}", chosen, post_id)


def promoted_followers_exist(post_id):
    """Does anyone follow the promoted posts of this post's community?"""
    return _confirmed(
        Follow.objects.filter(
            kind=Follow.PROMOTED,
            community_id=PostScore.objects.filter(pk=post_id).values("community_id")[:1],
        )
    ).exists()


def notify_promoted(post_id):
    """Queue an e-mail about a post readers promoted to the followers of its community's
    promoted posts; return how many."""
    score = PostScore.objects.filter(post_id=post_id, is_listed=True).first()
    if score is None or score.community_id is None:
        return 0
    follows = Follow.objects.filter(kind=Follow.PROMOTED, community_id=score.community_id)
    chosen = _first_per_follower(_confirmed(follows))
    return _queue_each("follow_promoted", f"follow:promoted:{post_id}", chosen, post_id)


def digest_posts(community, now):
    """The posts of a week's digest: the best listed posts published in the seven days before
    ``now``, by net score (ties: the newer first)."""
    return list(
        CommunityPostPage.objects.listed()
        .filter(
            score__community=community,
            score__published_at__gte=now - timedelta(days=7),
            score__published_at__lt=now,
        )
        .order_by("-score__score", "-score__published_at", "-pk")
        .values_list("pk", flat=True)[: app_settings.DIGEST_POSTS]
    )


def queue_digests(now=None):
    """Queue this week's digest to every follower of every community's digest (none for a
    community with no new post); return how many were new. Run again in the same ISO week (a retried
    job), it queues nothing more."""
    now = now or timezone.now()
    year, week, _day = now.isocalendar()
    total = 0
    communities = Follow.objects.filter(kind=Follow.DIGEST, confirmed_at__isnull=False)
    for community_id in communities.values_list("community_id", flat=True).distinct():
        community = CommunityIndexPage.objects.filter(pk=community_id).first()
        posts = digest_posts(community, now) if community else []
        if not posts:
            continue
        follows = Follow.objects.filter(kind=Follow.DIGEST, community_id=community_id)
        chosen = _first_per_follower(_confirmed(follows))
        total += _queue_each("digest", f"digest:{community_id}:{year}-W{week:02d}", chosen, posts)
    return total


# Sending (the outbox's senders: run by the task worker) -----------------------------------


def _post_context(post):
    blog = post.get_blog()
    return {
        "title": post.title,
        "summary": plain_text(post.intro or post.search_description, 500),
        "author": post.author_name,
        "blog_title": blog.title if blog else "",
        "url": page_full_url(post),
    }


def address(follower):
    """Where a follower's e-mails go: a member's account address as it is now (none for an
    account that was deactivated), anyone else's own."""
    user = follower.user
    if user is not None:
        return user.email if user.is_active else ""
    return follower.email


def _send(follower, follow, template, context, page):
    from ..adapter import get_adapter

    to = address(follower)
    if not to:
        return
    unsubscribe = unsubscribe_url(follow, page)
    context = {
        **context,
        "follow_description": follow.describe(),
        "manage_url": manage_url(follower, page),
        "unsubscribe_url": unsubscribe,
    }
    get_adapter().send_mail(
        f"wagtail_communityblog/emails/{template}",
        to,
        context,
        headers=one_click_unsubscribe(unsubscribe),
    )


def _live_follow(follower_id, follow_id):
    """The follow an e-mail is for, if it still stands (unfollowed since: nothing to send)."""
    return (
        Follow.objects.filter(pk=follow_id, follower_id=follower_id, confirmed_at__isnull=False)
        .select_related("follower__user", "community", "blog", "tag")
        .first()
    )


def _send_about_post(template, follower_id, follow_id, post_id):
    follow = _live_follow(follower_id, follow_id)
    post = CommunityPostPage.objects.filter(pk=post_id, score__is_listed=True).first()
    if follow is None or post is None:
        return
    _send(follow.follower, follow, template, _post_context(post), post)


def send_post(follower_id, follow_id, post_id):
    """A followed blog's or tag's new post."""
    _send_about_post("follow_post", follower_id, follow_id, post_id)


def send_promoted(follower_id, follow_id, post_id):
    """A post readers promoted in a community whose promoted posts are followed."""
    _send_about_post("follow_promoted", follower_id, follow_id, post_id)


def send_digest(follower_id, follow_id, post_ids):
    follow = _live_follow(follower_id, follow_id)
    if follow is None:
        return
    listed = CommunityPostPage.objects.filter(pk__in=post_ids, score__is_listed=True)
    by_id = {post.pk: post for post in listed}
    posts = [_post_context(by_id[pk]) for pk in post_ids if pk in by_id]
    if not posts:
        return
    community = follow.community
    context = {"community": community.title, "posts": posts, "url": page_full_url(community)}
    _send(follow.follower, follow, "follow_digest", context, community)


def send_confirmation(follower_id):
    from ..adapter import get_adapter

    follower = Follower.objects.filter(pk=follower_id).first()
    if follower is None:
        return
    waiting = list(
        follower.follows.filter(confirmed_at__isnull=True).select_related(
            "community", "blog", "tag"
        )
    )
    if not waiting:
        return
    page = waiting[0].community
    confirm_url = absolute_url(
        page, reverse("wagtail_communityblog:follow_confirm", kwargs={"token": follower.token})
    )
    get_adapter().send_mail(
        "wagtail_communityblog/emails/follow_confirm",
        follower.email,
        {
            "follows": [follow.describe() for follow in waiting],
            "confirm_url": confirm_url,
            "site_url": absolute_url(page, "/"),
        },
    )
