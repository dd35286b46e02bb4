"""The hostile corpus through the page API and the e-mails (issue 15): what members write comes
out as data or plain text, never as markup that runs, and is never dropped on the way.

The feeds have their own run in ``test_feeds.py``; pages and comments in ``test_sanitize.py``
and ``test_comments.py``.
"""

import json

import pytest
from django.core import mail
from django.test import override_settings

from tests.factories import make_blog, make_community, make_post, make_user
from tests.hostile import HOSTILE, assert_inert_html, html_text
from wagtail_communityblog.sanitize import clean_html
from wagtail_communityblog.services import comments as comment_service
from wagtail_communityblog.services.curation import notify_promoted

pytestmark = pytest.mark.django_db

HOSTILE_NAME = {"first_name": "<script>alert(1)</script>", "last_name": "'><b>x"}


def words(text):
    return "".join(text.split())


@pytest.fixture
def hostile_posts(db):
    community = make_community()
    author = make_user("mallory", **HOSTILE_NAME)
    blog = make_blog(community, author, title="'><img src=x onerror=alert(1)> & co")
    posts = []
    for payload in HOSTILE:
        # As the post form stores them: the body through the sanitiser, the rest as typed.
        body = clean_html(payload) or "<p>text</p>"
        posts.append(make_post(blog, title=payload, intro=payload, body=body, tags=[payload]))
    return posts


def test_the_page_api_gives_member_text_as_data_and_bodies_inert(client, hostile_posts):
    for post in hostile_posts:
        response = client.get(f"/api/v2/pages/{post.pk}/")
        assert response.status_code == 200
        assert response["Content-Type"] == "application/json"
        data = json.loads(response.content)

        # Plain-text fields are JSON strings holding exactly what was typed.
        assert data["title"] == post.title
        assert data["intro"] == post.intro
        assert data["tags"] == [post.title]
        assert data["author_name"] == "<script>alert(1)</script> '><b>x"
        assert data["blog_title"] == "'><img src=x onerror=alert(1)> & co"
        # The one HTML field is the sanitised body, which nothing in it can run.
        assert data["body"] == post.body
        assert_inert_html(data["body"], f"in the API body of {post.title!r}")

    # And the listing, twenty at a time.
    response = client.get(
        "/api/v2/pages/",
        {"type": "wagtail_communityblog.CommunityPostPage", "fields": "intro,tags", "limit": 20},
    )
    assert response["Content-Type"] == "application/json"
    data = json.loads(response.content)
    assert data["meta"]["total_count"] == len(hostile_posts)
    typed = {post.pk: post for post in hostile_posts}
    for item in data["items"]:
        assert item["title"] == typed[item["id"]].title
        assert item["intro"] == typed[item["id"]].intro


def assert_plain_text_mail(message):
    """A text/plain message with no HTML part and a one-line subject."""
    assert message.content_subtype == "plain"
    assert not getattr(message, "alternatives", [])
    assert "\n" not in message.subject and "\r" not in message.subject
    message.message()  # builds the MIME message: no header injection error


@override_settings(WAGTAIL_COMMUNITYBLOG_COMMENT_MODERATION="none")
def test_comment_notifications_carry_hostile_text_as_plain_text(
    django_capture_on_commit_callbacks,
):
    author = make_user("amara")
    blog = make_blog(make_community(), author)
    commenter = make_user("mallory", **HOSTILE_NAME)
    for payload in HOSTILE:
        mail.outbox.clear()
        post = make_post(blog, title=payload)
        with django_capture_on_commit_callbacks(execute=True):
            comment = comment_service.create_comment(post, commenter, payload)

        [message] = [m for m in mail.outbox if m.to == [author.email]]
        assert_plain_text_mail(message)
        # The title as typed (on one line), the comment as it reads on the page, the name.
        assert " ".join(payload.split()) in message.subject, payload
        assert post.title in message.body, payload
        assert words(html_text(comment.body)) in words(message.body), payload
        assert "<script>alert(1)</script> '><b>x" in message.body


def test_promotion_e_mails_carry_hostile_titles_as_plain_text():
    blog = make_blog(make_community(), make_user("amara", **HOSTILE_NAME))
    for payload in HOSTILE:
        mail.outbox.clear()
        post = make_post(blog, title=payload)

        notify_promoted(post.pk)

        [message] = mail.outbox
        assert_plain_text_mail(message)
        assert " ".join(payload.split()) in message.subject, payload
        assert payload in message.body, payload
        assert "<script>alert(1)</script> '><b>x" in message.body
