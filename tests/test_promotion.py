"""The PromotedPostsBlock, the promotion rule, and the community index's sorts."""

import io
from datetime import timedelta

import pytest
from django.core import mail
from django.test import override_settings
from django.utils import timezone
from django.utils.html import strip_tags

from tests.factories import make_blog, make_community, make_post, make_user, make_voter
from wagtail_communityblog.blocks import PromotedPostsBlock
from wagtail_communityblog.models import CommunityPostPage, PostScore, PromotionEvent
from wagtail_communityblog.services import curation
from wagtail_communityblog.services.members import suspend_member
from wagtail_communityblog.services.ratings import rate_post

pytestmark = pytest.mark.django_db


def vote(post, up=0, down=0):
    for _ in range(up):
        rate_post(post, make_voter(), 1)
    for _ in range(down):
        rate_post(post, make_voter(), -1)


def block_titles(value, **context):
    block = PromotedPostsBlock()
    value = block.to_python({**value}) if isinstance(value, dict) else value
    return [post.title for post in block.get_context(value)["posts"]]


def shown(**settings_):
    """The titles a block shows; without the promotion rule's minimums unless asked."""
    settings_.setdefault("min_votes", 0)
    block = PromotedPostsBlock()
    return [post.title for post in block.get_posts(block.to_python(settings_))]


@pytest.fixture
def posts(community, blog):
    now = timezone.now()
    old = make_post(blog, title="Old favourite", when=now - timedelta(days=20), tags=["housing"])
    fresh = make_post(blog, title="Fresh", when=now - timedelta(hours=1))
    middling = make_post(blog, title="Middling", when=now - timedelta(days=2), tags=["housing"])
    disliked = make_post(blog, title="Disliked", when=now - timedelta(hours=3))
    vote(old, up=30)
    vote(fresh, up=2)
    vote(middling, up=6, down=2)
    vote(disliked, down=5)
    return {"old": old, "fresh": fresh, "middling": middling, "disliked": disliked}


def test_each_ranking_orders_posts_as_documented(posts):
    assert shown(ranking="new", count=10) == ["Fresh", "Disliked", "Middling", "Old favourite"]
    assert shown(ranking="top", window="all", count=10)[0] == "Old favourite"
    assert shown(ranking="top", window="week", count=10) == ["Middling", "Fresh", "Disliked"]
    assert shown(ranking="best", count=10)[0] == "Old favourite"
    assert shown(ranking="best", count=10)[-1] == "Disliked"
    hot = shown(ranking="hot", count=10)
    # Freshness beats 20-day-old votes; five down votes three hours ago still beat four net up
    # votes two days ago (-0.70 - 0.24 against 0.60 - 3.84 in hot's units).
    assert hot == ["Fresh", "Disliked", "Middling", "Old favourite"]


def test_count_thresholds_and_tag_limit_what_qualifies(posts):
    assert shown(ranking="new", count=2) == ["Fresh", "Disliked"]
    assert shown(ranking="new", count=10, min_votes=6) == ["Middling", "Old favourite"]
    assert shown(ranking="new", count=10, min_score=3) == ["Middling", "Old favourite"]
    assert shown(ranking="new", count=10, tag="housing") == ["Middling", "Old favourite"]


def test_by_default_a_ranked_block_shows_only_posts_that_meet_the_promotion_rule(posts):
    def default_block(**settings_):
        block = PromotedPostsBlock()
        return {post.title for post in block.get_posts(block.to_python(settings_))}

    # 5 counted votes and a net score of 3 (the default rule): not "Fresh" (2 votes) nor
    # "Disliked" (net -5).
    for ranking in ("hot", "best", "top"):
        assert default_block(ranking=ranking, window="all", count=10) == {
            "Old favourite",
            "Middling",
        }
    assert len(default_block(ranking="new", count=10)) == 4  # "New" lists by date
    assert len(default_block(ranking="hot", count=10, min_votes=0)) == 4  # an editor's 0
    assert default_block(ranking="hot", count=10, min_score=10) == {"Old favourite"}
    with override_settings(
        WAGTAIL_COMMUNITYBLOG_PROMOTION_MIN_VOTES=2, WAGTAIL_COMMUNITYBLOG_PROMOTION_MIN_SCORE=2
    ):
        assert "Fresh" in default_block(ranking="hot", count=10)


def test_pinned_posts_come_first_in_the_editors_order_even_below_thresholds(posts):
    block = PromotedPostsBlock()
    value = block.to_python(
        {
            "ranking": "best",
            "count": 3,
            "min_votes": 10,
            "pinned": [posts["disliked"].pk, posts["fresh"].pk],
        }
    )
    assert [p.title for p in block.get_posts(value)] == ["Disliked", "Fresh", "Old favourite"]


def test_posts_pinned_by_an_editor_come_first_in_every_block(posts, member):
    curation.pin(posts["disliked"], member)
    assert shown(ranking="best", count=2) == ["Disliked", "Old favourite"]
    curation.unpin(posts["disliked"], member)
    assert "Disliked" not in shown(ranking="best", count=2)


def test_hidden_unpublished_private_and_suspended_authors_posts_never_appear(
    community, blog, posts, member
):
    from wagtail.models import PageViewRestriction

    curation.hide(posts["old"], member, "Off-topic")
    posts["middling"].unpublish()
    PageViewRestriction.objects.create(page=posts["fresh"], restriction_type="login")
    other_author = make_user()
    theirs = make_post(make_blog(community, other_author), title="Suspended's post")
    vote(theirs, up=40)
    suspend_member(other_author)

    assert shown(ranking="hot", count=10) == ["Disliked"]


def test_the_source_limits_posts_to_one_community(posts):
    elsewhere = make_community(title="Elsewhere", slug="elsewhere")
    make_post(make_blog(elsewhere), title="Other community")
    everywhere = shown(ranking="new", count=10)
    assert "Other community" in everywhere
    block = PromotedPostsBlock()
    value = block.to_python({"ranking": "new", "count": 10, "source": elsewhere.pk})
    assert [p.title for p in block.get_posts(value)] == ["Other community"]


@pytest.mark.parametrize("count", [5, 50])
def test_the_block_uses_a_fixed_number_of_queries_whatever_its_size(
    community, count, django_assert_num_queries
):
    from django.core.files.images import ImageFile
    from wagtail.images import get_image_model

    from tests.test_posts import png_file

    author = make_user()
    blog = make_blog(community, author)
    image = get_image_model().objects.create(
        title="Header", file=ImageFile(png_file(size=(800, 450)), name="header.png")
    )
    for number in range(55):
        post = make_post(blog, title=f"Post {number}", tags=["a", "b"])
        post.header_image = image
        post.save_revision().publish()
    block = PromotedPostsBlock()
    # Renditions are created once, on first render; the count is about later renders.
    block.render(
        block.to_python({"ranking": "hot", "count": 50, "show_image": True, "min_votes": 0})
    )
    from django.core.cache import cache

    cache.clear()
    block = PromotedPostsBlock()
    value = block.to_python(
        {"ranking": "hot", "count": count, "show_image": True, "pinned": [], "min_votes": 0}
    )
    with django_assert_num_queries(QUERIES_PER_BLOCK):
        html = block.render(value)
    assert html.count("<article>") == count
    assert html.count("<img") == count


# The same for 5 posts as for 50: the block's one statement (pinned posts, the ranking's top,
# what the cards show), then the images and their renditions, each fetched once for all; and
# Wagtail's site root paths for the links (cached after the first request, here just cleared).
QUERIES_PER_BLOCK = 4


@pytest.mark.parametrize("ranking", ["hot", "best", "top", "new"])
def test_the_blocks_top_n_is_the_rankings_own_order_ties_included(community, blog, ranking):
    from wagtail_communityblog.models import PostScore

    when = timezone.now() - timedelta(hours=5)
    # Equal scores and publication times: only the tie-break (newest id first) orders them.
    tied = [make_post(blog, title=f"Tied {n}", when=when) for n in range(4)]
    for post in tied[:2]:
        vote(post, up=3)
    vote(make_post(blog, title="Liked", when=when - timedelta(hours=1)), up=8, down=1)

    expected = [post.pk for post in CommunityPostPage.objects.ranked(ranking, window="week")[:4]]
    assert PostScore.objects.top_post_ids(ranking, 4, window="week") == expected
    assert shown(ranking=ranking, window="week", count=4) == [
        CommunityPostPage.objects.get(pk=pk).title for pk in expected
    ]


def test_a_private_section_takes_its_posts_out_of_blocks_and_listings_and_back(
    client, community, blog, posts
):
    from wagtail.models import PageViewRestriction

    restriction = PageViewRestriction.objects.create(page=blog, restriction_type="login")
    assert not PostScore.objects.filter(is_listed=True).exists()
    assert shown(ranking="hot", count=10) == []
    assert b"Old favourite" not in client.get(community.url).content

    restriction.delete()
    assert set(shown(ranking="hot", count=10)) == {"Old favourite", "Fresh", "Middling", "Disliked"}
    assert b"Old favourite" in client.get(community.url).content


def test_a_community_moved_under_a_private_page_leaves_the_rankings(community, posts):
    from wagtail.models import Page, PageViewRestriction

    home = community.get_parent()
    members_area = home.add_child(instance=Page(title="Members' area", slug="members-area"))
    PageViewRestriction.objects.create(page=members_area, restriction_type="login")
    community.move(members_area, pos="last-child")
    assert shown(ranking="hot", count=10) == []

    community.refresh_from_db()
    community.move(home, pos="last-child")
    assert len(shown(ranking="hot", count=10)) == 4


def test_lifting_a_suspension_does_not_list_the_members_private_posts(community, member):
    from wagtail.models import PageViewRestriction

    from wagtail_communityblog.services.members import unsuspend_member

    author = make_user()
    blog = make_blog(community, author)
    public = make_post(blog, title="Public one")
    private = make_post(blog, title="Private one")
    PageViewRestriction.objects.create(page=private, restriction_type="login")
    suspend_member(author)
    unsuspend_member(author)

    listed = set(PostScore.objects.filter(is_listed=True).values_list("post_id", flat=True))
    assert public.pk in listed
    assert private.pk not in listed


def test_a_vote_shows_in_the_cached_block_within_its_scores_max_age(posts, monkeypatch):
    import time

    from wagtail_communityblog.cache import generation

    block = PromotedPostsBlock()
    value = block.to_python({"ranking": "top", "window": "all", "count": 1})
    assert "Old favourite" in block.render(value)
    before = generation()

    vote(posts["middling"], up=40)  # already promoted: the votes reorder, nothing more

    assert generation() == before  # no cache write for the votes
    assert "Old favourite" in block.render(value)  # served from the cache, up to 60 s old
    later = time.time() + 61
    monkeypatch.setattr(time, "time", lambda: later)
    assert "Middling" in block.render(value)


@override_settings(WAGTAIL_COMMUNITYBLOG_BLOCK_SCORES_MAX_AGE=0)
def test_with_no_scores_max_age_every_vote_invalidates_the_cached_block(posts):
    block = PromotedPostsBlock()
    value = block.to_python({"ranking": "top", "window": "all", "count": 1})
    assert "Old favourite" in block.render(value)
    vote(posts["middling"], up=40)
    assert "Middling" in block.render(value)


def test_a_vote_that_promotes_a_post_invalidates_the_cached_block_at_once(posts, community):
    from wagtail_communityblog.cache import generation

    fresh = make_post(make_blog(community), title="Brand new")
    block = PromotedPostsBlock()
    value = block.to_python({"ranking": "new", "count": 1, "min_votes": 5, "min_score": 3})
    block.render(value)
    before = generation()

    vote(fresh, up=5)

    assert PostScore.objects.get(pk=fresh.pk).promoted_at is not None
    assert generation() != before
    assert "Brand new" in block.render(value)


def test_hiding_a_post_invalidates_the_cached_block_at_once(posts, member):
    block = PromotedPostsBlock()
    value = block.to_python({"ranking": "top", "window": "all", "count": 1})
    assert "Old favourite" in block.render(value)
    curation.hide(posts["old"], member, "Spam")
    assert "Old favourite" not in block.render(value)


def test_unpublishing_invalidates_the_cached_block(posts):
    block = PromotedPostsBlock()
    value = block.to_python({"ranking": "top", "window": "all", "count": 1})
    assert "Old favourite" in block.render(value)
    posts["old"].unpublish()
    assert "Old favourite" not in block.render(value)


def test_display_options_control_what_is_shown(posts):
    block = PromotedPostsBlock()
    bare = block.render(
        block.to_python(
            {
                "ranking": "new",
                "count": 1,
                "show_excerpt": False,
                "show_author": False,
                "show_score": False,
                "heading": "From members",
            }
        )
    )
    assert "From members" in bare
    assert 'rel="author"' not in bare and "communityblog-promoted-score" not in bare
    full = block.render(block.to_python({"ranking": "new", "count": 1, "show_score": True}))
    assert 'rel="author"' in full and "communityblog-promoted-score" in full


@pytest.mark.parametrize(
    "votes, shown",
    [
        ([1], "1 point from 1 vote"),
        ([1, 1], "2 points from 2 votes"),
        ([1, -1], "0 points from 2 votes"),
    ],
)
def test_the_score_line_uses_the_right_plural_for_points_and_votes(votes, shown):
    community = make_community()
    post = make_post(make_blog(community, make_user("amara")), title="Rent")
    for value in votes:
        rate_post(post, make_voter(), value)
    block = PromotedPostsBlock()
    html = block.render(block.to_python({"ranking": "new", "count": 1, "show_score": True}))

    assert shown in " ".join(strip_tags(html).split())


def test_the_block_has_an_admin_preview_with_real_posts(posts):
    block = PromotedPostsBlock()
    value = block.get_preview_value()
    assert block.render(value).count("<article>") >= 1


def test_the_home_page_shows_the_block_placed_by_the_demo(client):
    from django.core.management import call_command

    call_command("communityblog_demo", posts=12, stdout=io.StringIO())
    page = client.get("/").content.decode()
    assert "Recommended by members" in page
    assert "New from members" in page


# --- promotion with a memory -------------------------------------------------------------


@override_settings(
    WAGTAIL_COMMUNITYBLOG_PROMOTION_MIN_VOTES=3, WAGTAIL_COMMUNITYBLOG_PROMOTION_MIN_SCORE=2
)
def test_a_post_meeting_the_rule_is_promoted_once_its_author_told_and_a_badge_shown(
    client, blog, member, django_capture_on_commit_callbacks
):
    post = make_post(blog, title="Rising")
    with django_capture_on_commit_callbacks(execute=True):
        vote(post, up=2)
    assert PostScore.objects.get(pk=post.pk).promoted_at is None
    with django_capture_on_commit_callbacks(execute=True):
        vote(post, up=1)
    score = PostScore.objects.get(pk=post.pk)
    assert score.promoted_at is not None
    [email] = [m for m in mail.outbox if m.to == [member.email]]
    assert "promoted" in email.subject
    assert "Promoted" in client.get(post.url).content.decode()
    # More votes do not promote it again.
    with django_capture_on_commit_callbacks(execute=True):
        vote(post, up=3)
    assert PromotionEvent.objects.filter(post=post, kind="promoted").count() == 1
    assert len([m for m in mail.outbox if m.to == [member.email]]) == 1


# --- community index sorts ----------------------------------------------------------------


def test_the_community_index_offers_the_rankings_as_tabs_with_feeds(client, community, posts):
    default = client.get(community.url)
    assert [p.title for p in default.context["posts"]][0] == "Fresh"
    top = client.get(community.url, {"sort": "top", "window": "all"})
    assert [p.title for p in top.context["posts"]][0] == "Old favourite"
    assert 'aria-current="page">Top<' in top.content.decode()
    best = client.get(community.url, {"sort": "best"})
    assert [p.title for p in best.context["posts"]][-1] == "Disliked"
    bogus = client.get(community.url, {"sort": "bogus", "window": "forever"})
    assert bogus.status_code == 200
    import feedparser

    feed = feedparser.parse(
        client.get(community.url + "feed/", {"sort": "top", "window": "all"}).content
    )
    assert feed.entries[0].title == "Old favourite"
