"""Small helpers that build pages and members the way the package itself does."""

import itertools

from django.contrib.auth import get_user_model
from wagtail.models import Site

from wagtail_communityblog.models import CommunityIndexPage, CommunityPostPage, MemberBlogPage
from wagtail_communityblog.services.listing import set_first_published_at

_counter = itertools.count(1)


def make_user(username=None, **fields):
    number = next(_counter)
    username = username or f"member{number}"
    fields.setdefault("email", f"{username}@example.org")
    user = get_user_model().objects.create_user(username=username, password="pw", **fields)
    return user


def make_voter(username=None, **fields):
    """A reader whose account is old enough for their votes to count."""
    from datetime import timedelta

    from django.utils import timezone

    fields.setdefault("date_joined", timezone.now() - timedelta(days=30))
    return make_user(username, **fields)


def site_root():
    return Site.objects.get(is_default_site=True).root_page


def make_community(title="Community", slug="community", parent=None):
    community = CommunityIndexPage(title=title, slug=slug)
    (parent or site_root()).add_child(instance=community)
    community.save_revision().publish()
    return community


def make_blog(community, member=None, title=None, slug=None):
    member = member or make_user()
    blog = MemberBlogPage(
        title=title or f"{member.username}'s blog",
        slug=slug or member.username,
        owner=member,
    )
    community.add_child(instance=blog)
    blog.save_revision(user=member).publish(user=member, skip_permission_checks=True)
    return blog


def make_post(
    blog, title=None, tags=(), body="<p>Body text.</p>", intro="", publish=True, when=None
):
    number = next(_counter)
    post = CommunityPostPage(
        title=title or f"Post {number}",
        slug=f"post-{number}",
        intro=intro,
        body=body,
        owner=blog.owner,
        author=blog.owner,
        live=publish,
    )
    for tag in tags:
        post.tags.add(tag)
    blog.add_child(instance=post)
    revision = post.save_revision(user=blog.owner)
    if publish:
        revision.publish(user=blog.owner, skip_permission_checks=True)
        post.refresh_from_db()
        if when is not None:
            set_first_published_at(post, when)
            post.refresh_from_db()
    return post
