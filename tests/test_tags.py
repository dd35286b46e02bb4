"""Tags in any script: kept as typed, reachable by their own page and feeds."""

import feedparser
import pytest
from django.test import override_settings
from django.urls import reverse

from tests.factories import make_community, make_user
from wagtail_communityblog.forms.frontend import PostForm
from wagtail_communityblog.models import CommunityPostPage

pytestmark = pytest.mark.django_db

NON_LATIN = ["日本語", "Ελληνικά", "عربي", "русский", "हिन्दी", "café"]


def tags_of(text):
    form = PostForm(
        data={"title": "T", "body": "<p>Body.</p>", "tags": text, "action": "draft"},
        member=make_user("tagger"),
    )
    form.is_valid()
    return form


def test_tags_in_any_script_are_kept_as_typed():
    form = tags_of(", ".join(NON_LATIN))

    assert form.is_valid(), form.errors
    assert sorted(form.cleaned_data["tags"]) == sorted(NON_LATIN)


@pytest.mark.parametrize("typed", ["!!!", "🙂", "--, housing"])
def test_a_tag_with_nothing_to_put_in_its_address_is_refused_with_a_message(typed):
    form = tags_of(typed)

    assert not form.is_valid()
    assert "tags" in form.errors
    assert "letter or digit" in str(form.errors["tags"])


def test_empty_items_between_commas_are_not_tags():
    form = tags_of("housing, , transport,")

    assert form.is_valid(), form.errors
    assert sorted(form.cleaned_data["tags"]) == ["housing", "transport"]


@override_settings(WAGTAIL_COMMUNITYBLOG_MODERATION="none")
@pytest.mark.parametrize("name", NON_LATIN)
def test_a_non_latin_tag_has_a_working_page_and_feeds(client, name):
    community = make_community()
    member = make_user("amara")
    client.force_login(member)
    client.post(reverse("wagtail_communityblog:blog_edit"), {"title": "Notes", "intro": ""})
    response = client.post(
        reverse("wagtail_communityblog:post_create"),
        {
            "title": "Tagged",
            "intro": "",
            "body": "<p>Words.</p>",
            "tags": f"{name}, housing",
            "action": "publish",
        },
    )
    assert response.status_code == 302, response.content.decode()
    post = CommunityPostPage.objects.get(author=member)
    assert post.live
    assert sorted(post.tags.names()) == sorted([name, "housing"])
    client.logout()

    page = client.get(post.url).content.decode()
    tag = post.tags.get(name=name)
    tag_url = community.url + community.reverse_subpage("tag_view", args=[tag.slug])
    assert f'href="{tag_url}"' in page
    listing = client.get(tag_url)
    assert listing.status_code == 200
    assert "Tagged" in listing.content.decode()
    for suffix in ("feed/", "feed/atom/"):
        feed = feedparser.parse(client.get(tag_url + suffix).content)
        assert not feed.bozo, feed.bozo_exception
        assert [entry.title for entry in feed.entries] == ["Tagged"]
        assert name in feed.feed.title
