"""The demo command seeds a believable community, once."""

from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db.models import Count

from wagtail_communityblog.models import CommunityIndexPage, CommunityPostPage, MemberBlogPage

pytestmark = pytest.mark.django_db


def run_demo(*args):
    out = StringIO()
    call_command("communityblog_demo", *args, stdout=out)
    return out.getvalue()


def test_the_demo_seeds_members_blogs_tagged_posts_and_staff_accounts(client):
    output = run_demo()

    community = CommunityIndexPage.objects.get()
    assert community.get_url() == "/community/"
    assert MemberBlogPage.objects.filter(community=community).count() == 12
    posts = CommunityPostPage.objects.live()
    assert 90 <= posts.count() <= 110
    assert posts.annotate(n=Count("tagged_items")).filter(n=0).count() == 0
    dates = sorted(post.first_published_at for post in posts)
    assert (dates[-1] - dates[0]).days >= 21, "posts should spread over several weeks"

    User = get_user_model()
    admin = User.objects.get(username="admin")
    editor = User.objects.get(username="editor")
    assert admin.is_superuser
    assert editor.groups.filter(name="Editors").exists()
    assert "community-demo-2026" in output
    assert "admin" in output and "editor" in output
    assert client.login(username="editor", password="community-demo-2026")
    # Readers have voted, and the votes count.
    from wagtail_communityblog.models import PostScore, Rating

    assert Rating.objects.count() > 200
    assert PostScore.objects.filter(vote_count__gt=0).count() > 80
    assert "Votes on the demo posts" in output
    # Members have discussed some of the posts.
    from wagtail_communityblog.models import Comment

    assert Comment.objects.filter(parent__isnull=False).exists()
    assert PostScore.objects.filter(comment_count__gt=0).count() > 20

    # And everything a reader visits renders.
    assert_demo_renders(client)


def test_running_the_demo_twice_does_not_duplicate_anything():
    run_demo()
    from wagtail_communityblog.models import Comment, Rating

    counts = (
        get_user_model().objects.count(),
        MemberBlogPage.objects.count(),
        CommunityPostPage.objects.count(),
        Rating.objects.count(),
        Comment.objects.count(),
    )
    output = run_demo()
    assert (
        get_user_model().objects.count(),
        MemberBlogPage.objects.count(),
        CommunityPostPage.objects.count(),
        Rating.objects.count(),
        Comment.objects.count(),
    ) == counts
    assert "0 created now" in output


def assert_demo_renders(client):
    community = CommunityIndexPage.objects.get()
    blog = MemberBlogPage.objects.order_by("title").first()
    post = CommunityPostPage.objects.live().first()
    tag = post.tags.first()

    urls = [
        "/",
        community.url,
        community.url + "blogs/",
        community.url + f"tag/{tag.slug}/",
        community.url + "feed/",
        community.url + "feed/atom/",
        community.url + f"tag/{tag.slug}/feed/",
        community.url + f"tag/{tag.slug}/feed/atom/",
        blog.url,
        blog.url + "feed/",
        blog.url + "feed/atom/",
        post.url,
    ]
    for url in urls:
        assert client.get(url).status_code == 200, url
