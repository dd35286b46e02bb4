"""The promoted block's one statement (``PostScore.objects.promoted()``) chooses and orders
exactly what the ORM's rankings do: checked against the three ORM queries it replaced, over
many blocks on data full of ties, pins, hidden posts and drafts."""

import itertools
import random
from datetime import timedelta

import pytest
from django.db.models import Q
from django.utils import timezone

from tests.factories import make_blog, make_community, make_post, make_user
from wagtail_communityblog.blocks import PromotedPostsBlock
from wagtail_communityblog.models import CommunityPostPage, PostScore
from wagtail_communityblog.models.scores import RANKED

pytestmark = pytest.mark.django_db


def reference_ids(block, value):
    """What the block listed before it had one statement, through the ORM: the pinned posts'
    IDs, the ranking's top IDs (``top_post_ids``), the newest when it fills; each list taken
    from the live posts only."""
    count = value.get("count") or 5
    ranking, filters = block.ranking_filters(value)
    community = filters["community"]
    chosen = [page.pk for page in value.get("pinned") or [] if page is not None]
    live = set(CommunityPostPage.objects.live().values_list("pk", flat=True))
    pinned_query = Q(is_pinned=True)
    if community is not None:
        pinned_query &= Q(community=community)
    candidates = {
        post_id: pinned_at or published_at
        for post_id, pinned_at, published_at in PostScore.objects.filter(RANKED)
        .filter(Q(post_id__in=chosen) | pinned_query, post_id__in=live)
        .values_list("post_id", "pinned_at", "published_at")
    }
    editor_pinned = sorted(
        (pk for pk in candidates if pk not in chosen),
        key=lambda pk: (candidates[pk], pk),
        reverse=True,
    )
    pinned = ([pk for pk in chosen if pk in candidates] + editor_pinned)[:count]
    ranked = []
    if len(pinned) < count:
        top = PostScore.objects.top_post_ids(ranking, 1000, exclude=pinned, **filters)
        ranked = [pk for pk in top if pk in live][: count - len(pinned)]
    newest = []
    if value.get("fill_with_newest") and len(pinned) + len(ranked) < count:
        top = PostScore.objects.top_post_ids(
            "new", 1000, community=community, tag=filters["tag"], exclude=pinned + ranked
        )
        newest = [pk for pk in top if pk in live][: count - len(pinned) - len(ranked)]
    return pinned + ranked + newest, set(pinned)


@pytest.fixture
def tangle():
    """Two communities of posts whose scores tie often, some hidden, pinned or unlisted."""
    rng = random.Random(20)
    now = timezone.now()
    housing = make_community("Housing", "housing")
    transport = make_community("Transport", "transport")
    posts = {housing: [], transport: []}
    for community in (housing, transport):
        blog = make_blog(community, make_user())
        for number in range(14):
            tags = rng.choice([(), ("rent",), ("rent", "buses"), ("buses",)])
            post = make_post(blog, title=f"{community.slug} {number}", tags=tags)
            posts[community].append(post)
            published = now - timedelta(hours=rng.choice([1, 5, 5, 30, 200, 900]))
            PostScore.objects.filter(pk=post.pk).update(
                score=rng.choice([-2, 0, 3, 3, 8]),
                vote_count=rng.choice([0, 2, 5, 5, 12]),
                hot=rng.choice([0.5, 1.25, 1.25, 2.0]),
                best=rng.choice([0.1, 0.4, 0.4]),
                published_at=published,
                is_hidden=rng.random() < 0.1,
                is_listed=rng.random() > 0.05,
            )
    # Pins: two in Housing (one pinned later), one in Transport, and one pinned but hidden.
    for post, hours in [(posts[housing][3], 1), (posts[housing][9], 3), (posts[transport][2], 2)]:
        PostScore.objects.filter(pk=post.pk).update(
            is_pinned=True, pinned_at=now - timedelta(hours=hours), is_hidden=False, is_listed=True
        )
    PostScore.objects.filter(pk=posts[transport][5].pk).update(
        is_pinned=True, pinned_at=now, is_hidden=True
    )
    # A draft that still has a listed score row (an inconsistent row must not show).
    draft = posts[transport][7]
    CommunityPostPage.objects.filter(pk=draft.pk).update(live=False)
    return {"housing": housing, "transport": transport, "posts": posts}


def test_the_statement_lists_what_the_orm_queries_listed(tangle):
    block = PromotedPostsBlock()
    housing, transport = tangle["housing"], tangle["transport"]
    chosen_sets = [
        [],
        [tangle["posts"][transport][0].pk, tangle["posts"][housing][6].pk],
        [tangle["posts"][transport][5].pk],  # pinned but hidden: not shown
    ]
    checked = 0
    for ranking, window, source, tag, minimums, chosen, fill, count in itertools.product(
        ["hot", "best", "top", "new"],
        ["week", "all"],
        [None, housing.pk],
        ["", "rent"],
        [(0, None), (5, 3), (None, None)],
        chosen_sets,
        [False, True],
        [1, 3, 8, 40],
    ):
        min_votes, min_score = minimums
        value = block.to_python(
            {
                "ranking": ranking,
                "window": window,
                "source": source,
                "tag": tag,
                "min_votes": min_votes,
                "min_score": min_score,
                "pinned": chosen,
                "fill_with_newest": fill,
                "count": count,
            }
        )
        assert block.post_ids(value) == reference_ids(block, value), value
        checked += 1
    assert checked == 4 * 2 * 2 * 2 * 3 * 3 * 2 * 4


def test_a_card_holds_the_posts_columns_as_the_orm_reads_them(tangle):
    post = tangle["posts"][tangle["housing"]][3]  # pinned
    (row,) = [row for row in PostScore.objects.promoted("hot", 1) if row.pk == post.pk]
    page = CommunityPostPage.objects.select_related("author", "score", "score__blog").get(
        pk=post.pk
    )
    assert (row.title, row.url_path, row.intro) == (page.title, page.url_path, page.intro)
    assert row.first_published_at == page.first_published_at
    assert timezone.is_aware(row.first_published_at) and timezone.is_aware(row.pinned_at)
    assert row.pinned_at == page.score.pinned_at
    assert row.published_at == page.score.published_at
    assert (row.score, row.vote_count, row.comment_count) == (
        page.score.score,
        page.score.vote_count,
        page.score.comment_count,
    )
    assert row.blog_url_path == page.score.blog.url_path
    assert row.author == page.author
    assert row.author.username == page.author.username
    assert row.author.date_joined == page.author.date_joined
    assert row.author.is_active is True


def test_hostile_tag_and_chosen_values_are_parameters_not_sql(tangle):
    block = PromotedPostsBlock()
    value = block.to_python(
        {"ranking": "hot", "count": 5, "min_votes": 0, "tag": "x') OR 1=1; --", "pinned": []}
    )
    pinned = {row.pk for row in PostScore.objects.filter(RANKED, is_pinned=True).only("post_id")}
    # Only the pinned posts: no post carries that tag.
    assert set(block.post_ids(value)[0]) == pinned


def test_a_post_chosen_twice_is_shown_once_in_its_first_place(tangle):
    block = PromotedPostsBlock()
    first, second = tangle["posts"][tangle["transport"]][0], tangle["posts"][tangle["housing"]][6]
    value = block.to_python(
        {"ranking": "new", "count": 4, "min_votes": 0, "pinned": [first.pk, second.pk, first.pk]}
    )
    ids, pinned = block.post_ids(value)
    assert ids[:2] == [first.pk, second.pk]
    assert len(ids) == len(set(ids)) == 4


def test_authors_of_a_user_model_spread_over_tables_come_in_one_more_query(
    tangle, monkeypatch, django_assert_num_queries
):
    from django.contrib.auth import get_user_model

    from wagtail_communityblog.models import querysets

    # A multi-table child (as CommunityPostPage is of Page) has columns outside its own table:
    # the statement cannot read them all, so it reads the author's key alone.
    assert querysets.authors_inline(get_user_model())
    assert not querysets.authors_inline(CommunityPostPage)
    monkeypatch.setattr(querysets, "authors_inline", lambda user_model: False)
    querysets.promoted_columns.cache_clear()
    try:
        with django_assert_num_queries(2):  # the statement, then the authors in bulk
            rows = PostScore.objects.promoted("new", 6)
        assert rows
        for row in rows:
            page = CommunityPostPage.objects.select_related("author").get(pk=row.pk)
            assert row.author == page.author
            assert row.author.username == page.author.username
    finally:
        querysets.promoted_columns.cache_clear()
