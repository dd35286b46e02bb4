"""One blog per member per community, reserved slugs, and what happens when a member leaves."""

import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.test import override_settings

from tests.factories import make_blog, make_community, make_post, make_user
from wagtail_communityblog.models import CommunityPostPage, MemberBlogPage, PostScore

pytestmark = pytest.mark.django_db


def test_a_blog_records_its_member_and_community(community, member, blog):
    assert blog.member == member
    assert blog.community_id == community.pk
    assert blog.member_name == "Amara Okafor"


def test_a_second_blog_for_the_same_member_in_one_community_is_refused(community, member, blog):
    with pytest.raises(ValidationError):
        community.add_child(instance=MemberBlogPage(title="Second", slug="second", owner=member))
    assert MemberBlogPage.objects.filter(member=member).count() == 1


def test_the_database_itself_refuses_a_second_blog_for_the_same_member(community, member, blog):
    other = make_blog(community, make_user())
    with pytest.raises(IntegrityError), transaction.atomic():
        MemberBlogPage.objects.filter(pk=other.pk).update(member=member)


def test_a_member_may_blog_in_two_different_communities(community, member, blog):
    other = make_community(title="Youth wing", slug="youth")
    make_blog(other, member, slug="amara")
    assert MemberBlogPage.objects.filter(member=member).count() == 2


@pytest.mark.parametrize("slug", ["tag", "feed", "blogs", "search", "dashboard", "posts"])
def test_blog_slugs_that_community_routes_use_are_refused(community, slug):
    blog = MemberBlogPage(title="Clash", slug=slug, owner=make_user())
    with pytest.raises(ValidationError) as error:
        blog.full_clean()
    assert "slug" in error.value.message_dict


def test_the_admin_form_explains_that_the_member_already_has_a_blog(community, member, blog):
    form_class = MemberBlogPage.get_edit_handler().get_form_class()
    form = form_class(
        data={"title": "Another", "slug": "another", "owner": member.pk},
        instance=MemberBlogPage(),
        parent_page=community,
        for_user=make_user(is_superuser=True),
    )
    assert not form.is_valid()
    assert "already has a blog" in str(form.errors["owner"])


def test_deleting_a_member_deletes_their_undiscussed_posts_and_empty_blog_by_default(
    community, member, blog
):
    post = make_post(blog)
    member.delete()

    assert not MemberBlogPage.objects.filter(pk=blog.pk).exists()
    assert not CommunityPostPage.objects.filter(pk=post.pk).exists()
    assert not PostScore.objects.filter(pk=post.pk).exists()
    community.refresh_from_db()
    assert community.numchild == 0


@override_settings(WAGTAIL_COMMUNITYBLOG_COMMENT_MODERATION="none")
def test_deleting_a_member_keeps_other_peoples_comments_and_votes_by_default(
    client, community, member, blog
):
    from tests.factories import make_voter
    from wagtail_communityblog.models import Comment, Rating
    from wagtail_communityblog.services.comments import create_comment
    from wagtail_communityblog.services.ratings import rate_post

    discussed = make_post(blog, title="Discussed")
    voted = make_post(blog, title="Voted on")
    quiet = make_post(blog, title="Nobody came")
    others = [make_voter() for _ in range(3)]
    reply = create_comment(discussed, others[0], "A reply worth keeping.")
    create_comment(discussed, member, "The author answers.")
    rate_post(voted, others[1], 1)
    rate_post(discussed, others[2], 1)

    member.delete()

    assert not CommunityPostPage.objects.filter(pk=quiet.pk).exists()
    kept = CommunityPostPage.objects.get(pk=discussed.pk)
    assert kept.author is None and kept.author_name == "Former member"
    assert CommunityPostPage.objects.filter(pk=voted.pk).exists()
    assert Comment.objects.filter(pk=reply.pk, is_removed=False).exists()
    assert not Comment.objects.filter(body__contains="The author answers").exists()
    assert Rating.objects.count() == 2
    assert PostScore.objects.get(pk=voted.pk).score == 1
    assert MemberBlogPage.objects.filter(pk=blog.pk).exists()  # it holds the kept posts
    page = client.get(kept.url).content.decode()
    assert "A reply worth keeping." in page and "Former member" in page


@override_settings(
    WAGTAIL_COMMUNITYBLOG_ON_MEMBER_DELETE="delete",
    WAGTAIL_COMMUNITYBLOG_COMMENT_MODERATION="none",
)
def test_an_editor_can_choose_to_delete_everything_a_member_wrote(community, member, blog):
    from tests.factories import make_voter
    from wagtail_communityblog.models import Comment, Rating
    from wagtail_communityblog.services.comments import create_comment
    from wagtail_communityblog.services.ratings import rate_post

    post = make_post(blog)
    create_comment(post, make_voter(), "Gone with it.")
    rate_post(post, make_voter(), 1)
    member.delete()
    assert not MemberBlogPage.objects.filter(pk=blog.pk).exists()
    assert not Comment.objects.exists() and not Rating.objects.exists()


@override_settings(WAGTAIL_COMMUNITYBLOG_ON_MEMBER_DELETE="keep")
def test_a_site_can_keep_a_leaving_members_posts_under_a_former_member_byline(
    client, community, member, blog
):
    post = make_post(blog, title="Still here")
    member.delete()

    post = CommunityPostPage.objects.get(pk=post.pk)
    assert post.author is None
    assert post.author_name == "Former member"
    response = client.get(post.url)
    assert response.status_code == 200
    assert b"Former member" in response.content
    # An old revision must not bring back the deleted account.
    post.get_latest_revision().publish(skip_permission_checks=True)
    assert CommunityPostPage.objects.get(pk=post.pk).author_id is None


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_requests_cannot_create_two_blogs_for_one_member(site_tree):
    community = make_community()
    member = make_user()
    barrier = threading.Barrier(2)
    outcomes = []

    def create(slug):
        try:
            barrier.wait()
            community_copy = type(community).objects.get(pk=community.pk)
            with transaction.atomic():
                community_copy.add_child(
                    instance=MemberBlogPage(title=slug, slug=slug, owner=member)
                )
            outcomes.append("created")
        except (IntegrityError, ValidationError):
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=create, args=(slug,)) for slug in ("one", "two")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert MemberBlogPage.objects.filter(member=member).count() == 1
    assert sorted(outcomes) == ["created", "refused"]
