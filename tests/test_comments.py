"""Members discuss posts in threaded comments; readers read them, recommend and report them."""

import re
from datetime import timedelta

import pytest
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone

from tests.factories import make_post, make_user
from wagtail_communityblog.models import Comment, PostScore
from wagtail_communityblog.models.comment_threads import build_thread
from wagtail_communityblog.services import comments as service
from wagtail_communityblog.services.members import suspend_member

pytestmark = pytest.mark.django_db

NO_MODERATION = override_settings(WAGTAIL_COMMUNITYBLOG_MODERATION="none")


@pytest.fixture
def post(blog):
    return make_post(blog, title="Rent controls now")


@pytest.fixture
def reader(db):
    return make_user("bea", first_name="Bea", last_name="Reader")


@pytest.fixture
def reader_client(client, reader):
    client.force_login(reader)
    return client


def url(name, **kwargs):
    return reverse(f"wagtail_communityblog:{name}", kwargs=kwargs)


def say(post, user, text="A thought.", parent=None):
    with override_settings(WAGTAIL_COMMUNITYBLOG_MODERATION="none"):
        return service.create_comment(post, user, text, parent=parent)


def count(post):
    return PostScore.objects.get(pk=post.pk).comment_count


# --- writing and reading --------------------------------------------------------------------


@NO_MODERATION
def test_a_member_comments_with_a_plain_form_and_lands_back_at_their_comment(reader_client, post):
    response = reader_client.post(url("comment_create", post_id=post.pk), {"body": "Agreed."})
    comment = Comment.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"{post.url}#comment-{comment.pk}"
    assert comment.body == "<p>Agreed.</p>"
    assert comment.author.username == "bea"
    page = reader_client.get(post.url).content.decode()
    assert "Agreed." in page and f'id="comment-{comment.pk}"' in page
    assert count(post) == 1


@NO_MODERATION
def test_a_comment_sent_as_json_answers_with_its_html_for_the_page(reader_client, post):
    response = reader_client.post(
        url("comment_create", post_id=post.pk),
        {"body": "In place."},
        HTTP_ACCEPT="application/json",
    )
    assert response.status_code == 201
    data = response.json()
    assert data["status"] == "approved" and data["parent_id"] is None
    assert f'id="comment-{data["id"]}"' in data["html"] and "In place." in data["html"]
    assert data["comment_count"] == 1 and data["count_label"] == "1 comment"
    assert data["following"] is True  # commenters follow by default


def test_anonymous_readers_read_the_discussion_and_get_a_log_in_link(client, post, reader):
    say(post, reader, "Visible to all.")
    page = client.get(post.url).content.decode()
    assert "Visible to all." in page
    assert "Log in to comment" in page
    assert 'name="body"' not in page
    response = client.post(url("comment_create", post_id=post.pk), {"body": "x"})
    assert response.status_code == 302 and "/login" in response["Location"]
    json_response = client.post(
        url("comment_create", post_id=post.pk), {"body": "x"}, HTTP_ACCEPT="application/json"
    )
    assert json_response.status_code == 403
    assert Comment.objects.count() == 1


def test_an_empty_or_overlong_comment_is_refused_and_nothing_is_saved(reader_client, post):
    assert (
        reader_client.post(url("comment_create", post_id=post.pk), {"body": "  "}).status_code
        == 400
    )
    with override_settings(WAGTAIL_COMMUNITYBLOG_COMMENT_MAX_LENGTH=10):
        response = reader_client.post(
            url("comment_create", post_id=post.pk),
            {"body": "x" * 11},
            HTTP_ACCEPT="application/json",
        )
    assert response.status_code == 400 and "at most 10" in response.json()["error"]
    assert not Comment.objects.exists()


def test_a_comment_on_a_post_that_is_not_live_is_a_404(reader_client, blog):
    draft = make_post(blog, publish=False)
    assert (
        reader_client.post(url("comment_create", post_id=draft.pk), {"body": "x"}).status_code
        == 404
    )


def test_commenting_is_a_post_only_write(reader_client, post):
    response = reader_client.get(url("comment_create", post_id=post.pk), {"body": "x"})
    assert response.status_code == 200  # the form on a page of its own
    assert not Comment.objects.exists()


def test_the_csrf_token_is_required(post, reader):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(reader)
    assert client.post(url("comment_create", post_id=post.pk), {"body": "x"}).status_code == 403
    assert not Comment.objects.exists()


# --- threading and depth --------------------------------------------------------------------


@NO_MODERATION
def test_replies_nest_under_their_comment_in_the_page(reader_client, post, member):
    top = say(post, member, "Top.")
    response = reader_client.post(url("comment_reply", comment_id=top.pk), {"body": "Reply."})
    reply = Comment.objects.get(body="<p>Reply.</p>")
    assert response["Location"].endswith(f"#comment-{reply.pk}")
    assert reply.parent == top and reply.depth == 1
    page = reader_client.get(post.url).content.decode()
    top_block = page[page.index(f'id="comment-{top.pk}"') :]
    assert top_block.index(f'id="comment-{reply.pk}"') < top_block.index("</li>\n</ol>") + 10_000


@override_settings(WAGTAIL_COMMUNITYBLOG_COMMENT_MAX_DEPTH=2)
def test_replies_deeper_than_the_limit_continue_beside_and_say_whom_they_answer(
    post, member, reader
):
    level0 = say(post, member, "0")
    level1 = say(post, reader, "1", parent=level0)
    level2 = say(post, member, "2", parent=level1)
    level3 = say(post, reader, "3", parent=level2)
    assert [c.depth for c in (level0, level1, level2, level3)] == [0, 1, 2, 2]
    assert level3.parent == level1 and level3.reply_to == level2
    nodes = build_thread(post)
    deepest = nodes[0].replies[0].replies
    assert [n.pk for n in deepest] == [level2.pk, level3.pk]
    assert deepest[1].reply_to_name == "Amara Okafor"


@override_settings(WAGTAIL_COMMUNITYBLOG_COMMENT_MAX_DEPTH=0)
def test_with_depth_zero_the_discussion_is_flat(post, member, reader):
    first = say(post, member, "first")
    answer = say(post, reader, "answer", parent=first)
    assert answer.parent is None and answer.depth == 0 and answer.reply_to == first


def test_a_reply_to_a_comment_of_another_post_is_refused(post, blog, member, reader):
    other = make_post(blog)
    elsewhere = say(other, member)
    with pytest.raises(service.CommentError) as error:
        say(post, reader, "x", parent=elsewhere)
    assert error.value.status == 404


def test_the_thread_sorts_by_oldest_newest_and_best(client, post, member, reader):
    voters = [make_user() for _ in range(3)]
    first = say(post, member, "first")
    second = say(post, reader, "second")
    third = say(post, member, "third")
    for voter in voters:
        service.recommend(second, voter, 1)
    service.recommend(third, voters[0], 1)
    assert [n.pk for n in build_thread(post, sort="oldest")] == [
        first.pk,
        second.pk,
        third.pk,
    ]
    assert [n.pk for n in build_thread(post, sort="newest")] == [
        third.pk,
        second.pk,
        first.pk,
    ]
    assert [n.pk for n in build_thread(post, sort="best")] == [
        second.pk,
        third.pk,
        first.pk,
    ]
    page = client.get(post.url, {"comments": "best"}).content.decode()
    assert page.index("second") < page.index("third") < page.index("first</p>")
    assert client.get(post.url, {"comments": "nonsense"}).status_code == 200


# --- ownership and the editing window -------------------------------------------------------


def test_the_author_edits_their_comment_within_the_window(reader_client, post, reader):
    comment = say(post, reader, "Typo hre.")
    form = reader_client.get(url("comment_edit", comment_id=comment.pk))
    assert "Typo hre." in form.content.decode()
    response = reader_client.post(
        url("comment_edit", comment_id=comment.pk), {"body": "Typo here."}
    )
    assert response.status_code == 302
    comment.refresh_from_db()
    assert comment.body == "<p>Typo here.</p>" and comment.edited_at is not None
    assert "edited" in reader_client.get(post.url).content.decode()


@override_settings(WAGTAIL_COMMUNITYBLOG_COMMENT_EDIT_WINDOW=timedelta(minutes=1))
def test_a_one_minute_window_is_said_in_the_singular(post, reader):
    comment = say(post, reader, "Old words.")
    Comment.objects.filter(pk=comment.pk).update(created_at=timezone.now() - timedelta(minutes=2))
    comment.refresh_from_db()
    with pytest.raises(service.CommentError) as refused:
        service.edit_comment(comment, reader, "New")
    assert str(refused.value) == "You can edit a comment only for 1 minute after writing it."


@override_settings(WAGTAIL_COMMUNITYBLOG_COMMENT_EDIT_WINDOW=timedelta(minutes=5))
def test_after_the_window_the_comment_can_no_longer_be_edited(reader_client, post, reader):
    comment = say(post, reader, "Old words.")
    Comment.objects.filter(pk=comment.pk).update(created_at=timezone.now() - timedelta(minutes=6))
    response = reader_client.post(url("comment_edit", comment_id=comment.pk), {"body": "New"})
    assert response.status_code == 403
    comment.refresh_from_db()
    assert comment.body == "<p>Old words.</p>"
    assert (
        url("comment_edit", comment_id=comment.pk)
        not in reader_client.get(post.url).content.decode()
    )


def test_nobody_edits_or_deletes_someone_elses_comment(reader_client, post, member):
    comment = say(post, member, "Mine.")
    assert (
        reader_client.post(url("comment_edit", comment_id=comment.pk), {"body": "x"}).status_code
        == 403
    )
    assert reader_client.post(url("comment_delete", comment_id=comment.pk)).status_code == 403
    comment.refresh_from_db()
    assert comment.body == "<p>Mine.</p>"


def test_deleting_a_comment_with_replies_leaves_a_placeholder_that_holds_them(
    reader_client, client, post, reader, member
):
    comment = say(post, reader, "Provocative.")
    reply = say(post, member, "Rebuttal.", parent=comment)
    assert reader_client.get(url("comment_delete", comment_id=comment.pk)).status_code == 200
    response = reader_client.post(url("comment_delete", comment_id=comment.pk))
    assert response.status_code == 302
    comment.refresh_from_db()
    assert comment.is_removed and comment.body == "" and comment.author == reader
    page = client.get(post.url).content.decode()
    assert "Comment deleted" in page and "Provocative." not in page and "Rebuttal." in page
    assert count(post) == 1
    # When the last reply goes too, the empty comment goes with it.
    service.delete_comment(reply, member)
    assert not Comment.objects.exists()
    assert count(post) == 0


def test_deleting_a_comment_without_replies_removes_it(reader_client, post, reader):
    comment = say(post, reader, "Oops.")
    reader_client.post(url("comment_delete", comment_id=comment.pk))
    assert not Comment.objects.filter(pk=comment.pk).exists()
    assert count(post) == 0


# --- moderation paths -----------------------------------------------------------------------


@override_settings(WAGTAIL_COMMUNITYBLOG_MODERATION="first_post")
def test_a_new_members_first_comment_waits_and_only_they_see_it(
    reader_client, client, post, reader
):
    reader_client.post(url("comment_create", post_id=post.pk), {"body": "First words."})
    comment = Comment.objects.get()
    assert comment.status == Comment.STATUS_PENDING
    assert count(post) == 0
    own_view = reader_client.get(post.url).content.decode()
    assert "First words." in own_view and "Awaiting moderation" in own_view
    assert "First words." not in Client().get(post.url).content.decode()
    service.approve(comment, make_user("editor-x"))
    assert count(post) == 1
    # Once one comment is through, the member is trusted.
    second = service.create_comment(post, reader, "Second words.")
    assert second.status == Comment.STATUS_APPROVED


@override_settings(WAGTAIL_COMMUNITYBLOG_MODERATION="first_post")
def test_a_member_with_a_published_post_is_already_trusted(post, member, blog):
    assert service.create_comment(post, member, "On my own post").status == "approved"


@override_settings(WAGTAIL_COMMUNITYBLOG_MODERATION="all")
def test_with_all_moderation_every_comment_waits(post, reader):
    say(post, reader, "earlier")
    assert service.create_comment(post, reader, "later").status == "pending"


@override_settings(
    WAGTAIL_COMMUNITYBLOG_MODERATION="all", WAGTAIL_COMMUNITYBLOG_COMMENT_MODERATION="none"
)
def test_comment_moderation_can_differ_from_the_blogs(post, reader):
    assert service.create_comment(post, reader, "free").status == "approved"


@override_settings(WAGTAIL_COMMUNITYBLOG_MODERATION="first_post")
def test_a_rejected_comment_stays_invisible(client, post, reader):
    comment = service.create_comment(post, reader, "Spam spam.")
    service.reject(comment, make_user("editor-y"))
    assert "Spam spam." not in client.get(post.url).content.decode()
    assert count(post) == 0


def test_a_suspended_member_cannot_comment(reader_client, post, reader):
    suspend_member(reader)
    response = reader_client.post(
        url("comment_create", post_id=post.pk), {"body": "x"}, HTTP_ACCEPT="application/json"
    )
    assert response.status_code == 403 and "suspended" in response.json()["error"]
    assert not Comment.objects.exists()
    assert "suspended" in reader_client.get(post.url).content.decode()


@override_settings(WAGTAIL_COMMUNITYBLOG_MEMBER_GROUP="Party members")
def test_outside_the_member_group_nobody_comments(reader_client, post):
    response = reader_client.post(url("comment_create", post_id=post.pk), {"body": "x"})
    assert response.status_code == 403
    assert not Comment.objects.exists()


@override_settings(WAGTAIL_COMMUNITYBLOG_RATE_LIMITS={"comment": "2/h"})
def test_comments_are_rate_limited_per_member(reader_client, post):
    codes = [
        reader_client.post(
            url("comment_create", post_id=post.pk),
            {"body": f"n{i}"},
            HTTP_ACCEPT="application/json",
        ).status_code
        for i in range(3)
    ]
    assert codes == [201, 201, 429]
    assert Comment.objects.count() == 2


@override_settings(
    WAGTAIL_COMMUNITYBLOG_RATE_LIMITS={
        "recommend": "1/h",
        "follow": "1/h",
        "comment_edit": "1/h",
    }
)
def test_recommending_following_and_editing_each_have_their_own_allowance(
    reader_client, reader, post, member
):
    mine = say(post, reader, "Mine")
    theirs = say(post, member, "Theirs")
    json = {"HTTP_ACCEPT": "application/json"}

    recommend = url("comment_recommend", comment_id=theirs.pk)
    assert reader_client.post(recommend, {"value": "1"}, **json).status_code == 200
    over = reader_client.post(recommend, {"value": "0"}, **json)
    assert over.status_code == 429 and over.json()["retry_after"] == int(over["Retry-After"])

    follow = url("comment_follow", post_id=post.pk)
    assert reader_client.post(follow, {"follow": "0"}, **json).status_code == 200
    assert reader_client.post(follow, {"follow": "1"}, **json).status_code == 429

    edit = url("comment_edit", comment_id=mine.pk)
    assert reader_client.post(edit, {"body": "Mine, edited"}).status_code == 302
    over = reader_client.post(edit, {"body": "Mine, again"})
    assert over.status_code == 429 and over["Retry-After"]
    assert "Mine, again" in over.content.decode()
    mine.refresh_from_db()
    assert "Mine, edited" in mine.body


@override_settings(WAGTAIL_COMMUNITYBLOG_RATE_LIMITS={"vote": "1/h", "recommend": "5/h"})
def test_recommending_does_not_spend_the_vote_allowance(reader_client, post, member):
    theirs = say(post, member, "Theirs")
    recommend = url("comment_recommend", comment_id=theirs.pk)
    json = {"HTTP_ACCEPT": "application/json"}
    codes = [reader_client.post(recommend, {"value": v}, **json).status_code for v in "101"]
    assert codes == [200, 200, 200]


# --- closing --------------------------------------------------------------------------------


def test_the_posts_author_closes_and_reopens_comments(client, member, post, reader):
    client.force_login(member)
    assert client.post(url("comment_close", post_id=post.pk), {"closed": "1"}).status_code == 302
    assert PostScore.objects.get(pk=post.pk).comments_closed
    with pytest.raises(service.CommentError) as error:
        say(post, reader, "late")
    assert error.value.status == 403
    assert "Comments on this post are closed." in client.get(post.url).content.decode()
    client.post(url("comment_close", post_id=post.pk), {"closed": "0"})
    assert say(post, reader, "open again")


def test_an_editor_closes_any_thread_and_others_cannot(client, post, reader):
    from django.contrib.auth.models import Permission

    client.force_login(reader)
    assert client.post(url("comment_close", post_id=post.pk), {"closed": "1"}).status_code == 403
    assert not PostScore.objects.get(pk=post.pk).comments_closed
    editor = make_user("closer")
    editor.user_permissions.add(Permission.objects.get(codename="curate_community"))
    client.force_login(editor)
    client.post(url("comment_close", post_id=post.pk), {"closed": "1"})
    assert PostScore.objects.get(pk=post.pk).comments_closed


# --- recommendations ------------------------------------------------------------------------


def test_readers_recommend_and_withdraw_with_json(reader_client, post, member):
    comment = say(post, member, "Good point.")
    endpoint = url("comment_recommend", comment_id=comment.pk)
    data = reader_client.post(endpoint, {"value": "1"}, HTTP_ACCEPT="application/json").json()
    assert data["recommended"] and data["recommend_count"] == 1
    again = reader_client.post(endpoint, {"value": "1"}, HTTP_ACCEPT="application/json").json()
    assert again["recommend_count"] == 1  # one per reader
    assert 'aria-pressed="true"' in reader_client.get(post.url).content.decode()
    data = reader_client.post(endpoint, {"value": "0"}, HTTP_ACCEPT="application/json").json()
    assert data["recommend_count"] == 0
    assert reader_client.post(endpoint, {"value": "7"}).status_code == 400


def test_nobody_recommends_their_own_comment(reader_client, post, reader):
    comment = say(post, reader)
    response = reader_client.post(
        url("comment_recommend", comment_id=comment.pk),
        {"value": "1"},
        HTTP_ACCEPT="application/json",
    )
    assert response.status_code == 403


# --- sanitising: the hostile corpus used for posts ------------------------------------------


@pytest.mark.parametrize("html", __import__("tests.test_sanitize", fromlist=["HOSTILE"]).HOSTILE)
def test_hostile_input_is_harmless_in_a_comment(html):
    from wagtail_communityblog.sanitize import clean_comment_html

    assert_harmless_comment(clean_comment_html(html))


COMMENT_TAGS = {"p", "br", "b", "i", "blockquote", "a"}


def assert_harmless_comment(html):
    # Parsed, not pattern-matched: what a member types stays text (``&lt;img onerror=...&gt;``
    # shows the characters and runs nothing), so only real elements and attributes count.
    from tests.hostile import assert_inert_html, parse_html

    assert_inert_html(html)
    for tag in parse_html(html).find_all(True):
        assert tag.name in COMMENT_TAGS, f"<{tag.name}> survived in {html!r}"
    for link in re.findall(r"<a\b[^>]*>", html):
        assert 'rel="nofollow ugc"' in link, link
        href = re.search(r'href="([^"]*)"', link)
        assert href is None or href.group(1).startswith(("http://", "https://", "mailto:"))


def test_the_whole_hostile_corpus_is_harmless_on_the_post_page(client, post, reader):
    from tests.test_sanitize import HOSTILE

    say(post, reader, "\n\n".join(HOSTILE))
    content = client.get(post.url).content.decode()
    start = content.index('<div class="communityblog-comment-body">') + len(
        '<div class="communityblog-comment-body">'
    )
    assert_harmless_comment(content[start : content.index("</div>", start)])


def test_the_comment_subset_survives_and_plain_text_becomes_paragraphs_and_links():
    from wagtail_communityblog.sanitize import clean_comment_html, comment_text

    text = (
        "First line\nsecond line\n\nSee https://example.org/a?b=1. <b>Bold</b> <em>it</em>\n\n"
        '<blockquote>Quoted</blockquote>\n\n<a href="https://x.example/">link</a> '
        '<span class="x">no</span> <a href="/x">rel</a>'
    )
    html = clean_comment_html(text)
    assert html == (
        "<p>First line<br/>second line</p>"
        '<p>See <a href="https://example.org/a?b=1" rel="nofollow ugc">https://example.org/a?b=1</a>.'
        " <b>Bold</b> <i>it</i></p><blockquote>Quoted</blockquote>"
        # Not one of the subset's tags: text, shown as typed.
        '<p><a href="https://x.example/" rel="nofollow ugc">link</a> '
        '&lt;span class="x"&gt;no&lt;/span&gt; rel</p>'
    )
    # Editing starts from what the member typed, and saving it again changes nothing.
    assert clean_comment_html(comment_text(html)) == html


@pytest.mark.parametrize(
    "setting,value",
    [("COMMENT_MODERATION", "sometimes"), ("COMMENT_MAX_LENGTH", 0), ("COMMENT_MAX_DEPTH", "x")],
)
def test_comment_settings_are_checked_at_start_up(setting, value):
    from wagtail_communityblog.checks import check_comment_settings

    with override_settings(**{f"WAGTAIL_COMMUNITYBLOG_{setting}": value}):
        assert [error.id for error in check_comment_settings(None)] in (
            ["wagtail_communityblog.E020"],
            ["wagtail_communityblog.E021"],
        )
    assert check_comment_settings(None) == []


@override_settings(WAGTAIL_COMMUNITYBLOG_COMMENTS_ENABLED=False)
def test_a_site_can_turn_comments_off(reader_client, community, post):
    assert 'id="comments"' not in reader_client.get(post.url).content.decode()
    assert "comments</a>" not in reader_client.get(community.url).content.decode()
    response = reader_client.post(url("comment_create", post_id=post.pk), {"body": "x"})
    assert response.status_code == 404
    assert not Comment.objects.exists()


def test_the_comment_box_is_labelled_and_its_help_is_text_not_markup(reader_client, post):
    page = reader_client.get(post.url).content.decode()
    assert '<label for="comment-body-new">Your comment</label>' in page
    assert "You may use &lt;b&gt;, &lt;i&gt;, &lt;a&gt; and &lt;blockquote&gt;." in page
    assert 'aria-describedby="comment-body-new-help"' in page
    assert 'role="status" aria-live="polite" data-comments-status' in page


def test_each_comments_actions_name_the_comment_they_act_on(reader_client, post, member, reader):
    theirs = say(post, member, "Theirs")
    mine = say(post, reader, "Mine")
    page = reader_client.get(post.url).content.decode()
    assert f'href="{url("comment_reply", comment_id=theirs.pk)}"' in page
    assert 'aria-label="Reply to Amara Okafor"' in page
    for link in (
        url("comment_flag", comment_id=theirs.pk),
        url("comment_edit", comment_id=mine.pk),
        url("comment_delete", comment_id=mine.pk),
    ):
        comment_id = theirs.pk if "flag" in link else mine.pk
        assert f'<a href="{link}" aria-describedby="comment-{comment_id}-by">' in page
