"""ActivityPub discovery (WAGTAIL_COMMUNITYBLOG_ACTIVITYPUB): a member's blog is found as
``@slug@host`` through WebFinger, its actor document carries a public key other servers can
load, the pages answer ``Accept: application/activity+json`` with their documents, and the
outboxes list the posts. Off by default; every part of it a 404 then."""

import json

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.test import Client

from tests.factories import make_blog, make_community, make_post, make_user
from tests.hostile import HOSTILE_HTML
from wagtail_communityblog.models import CommunityMember, PostScore

pytestmark = pytest.mark.django_db

AP = "application/activity+json"
HOST = "http://testserver"


@pytest.fixture
def federation(settings):
    settings.WAGTAIL_COMMUNITYBLOG_ACTIVITYPUB = True


@pytest.fixture
def author():
    return make_user("amara")


@pytest.fixture
def community():
    return make_community(title="Community")


@pytest.fixture
def blog(community, author):
    return make_blog(community, author, title="Amara on housing")


def fetch(client, url, status=200):
    response = client.get(url, HTTP_ACCEPT=AP)
    assert response.status_code == status, response.content[:300]
    if status == 200:
        assert response["Content-Type"].startswith(AP)
        assert "Accept" in response["Vary"]
    return json.loads(response.content)


def webfinger(client, resource):
    return client.get("/.well-known/webfinger", {"resource": resource})


def test_off_by_default_nothing_federates(client, blog):
    assert webfinger(client, "acct:amara@testserver").status_code == 404
    assert client.get("/.well-known/nodeinfo").status_code == 404
    response = client.get(blog.url, HTTP_ACCEPT=AP)
    assert response["Content-Type"].startswith("text/html")
    assert client.get(f"/community/ap/actors/{blog.pk}/outbox/").status_code == 404


def test_webfinger_finds_a_members_blog_by_its_handle(client, federation, blog):
    response = webfinger(client, "acct:amara@testserver")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/jrd+json")
    data = response.json()
    assert data["subject"] == "acct:amara@testserver"
    [self_link] = [link for link in data["links"] if link["rel"] == "self"]
    assert self_link == {"rel": "self", "type": AP, "href": HOST + blog.url}


@pytest.mark.parametrize(
    ("resource", "status"),
    [
        ("", 400),
        ("amara@testserver", 400),
        ("acct:amara", 400),
        ("acct:<script>@testserver", 400),
        ("acct:nobody@testserver", 404),
        ("acct:amara@elsewhere.example", 404),
    ],
)
def test_webfinger_refuses_what_it_cannot_answer(client, federation, blog, resource, status):
    response = webfinger(client, resource)
    assert response.status_code == status and response.json()["error"]


def test_the_blogs_actor_has_a_public_key_and_its_collections(client, federation, blog):
    actor = fetch(client, blog.url)
    assert actor["id"] == HOST + blog.url
    assert actor["type"] == "Person" and actor["preferredUsername"] == "amara"
    assert actor["name"] == "Amara on housing"
    key = serialization.load_pem_public_key(actor["publicKey"]["publicKeyPem"].encode())
    assert isinstance(key, rsa.RSAPublicKey) and key.key_size >= 2048
    assert actor["publicKey"]["owner"] == actor["id"]
    assert actor["publicKey"]["id"] == actor["id"] + "#main-key"
    assert fetch(client, blog.url)["publicKey"] == actor["publicKey"]  # the same key each time
    for name in ("outbox", "followers"):
        assert fetch(client, actor[name].removeprefix(HOST))["type"] == "OrderedCollection"
    assert actor["endpoints"]["sharedInbox"].startswith(HOST + "/community/ap/")


def test_the_html_page_varies_on_accept_when_federating(client, federation, blog):
    response = client.get(blog.url, HTTP_ACCEPT="text/html,application/xhtml+xml")
    assert response["Content-Type"].startswith("text/html")
    assert "Accept" in response["Vary"]


def test_a_post_is_an_article_attributed_to_its_blog(client, federation, blog):
    post = make_post(blog, title="Rent caps now", intro="Why.", tags=["housing"])
    article = fetch(client, post.url)
    assert article["type"] == "Article" and article["id"] == HOST + post.url
    assert article["attributedTo"] == HOST + blog.url
    assert article["name"] == "Rent caps now" and article["summary"] == "Why."
    assert "https://www.w3.org/ns/activitystreams#Public" in article["to"]
    assert article["tag"] == [
        {"type": "Hashtag", "name": "#housing", "href": HOST + "/community/tag/housing/"}
    ]


@pytest.mark.parametrize("payload", HOSTILE_HTML[:10])
def test_what_leaves_the_site_is_sanitised_like_the_page(client, federation, blog, payload):
    post = make_post(blog, title="T <b>x</b>", body=f"<p>ok</p>{payload}")
    article = fetch(client, post.url)
    content = article["content"].lower()
    assert "<script" not in content and "onerror" not in content and "javascript:" not in content
    assert article["name"] == "T <b>x</b>"  # text, for the receiver to escape


def test_a_draft_or_a_suspended_members_blog_is_not_served(client, federation, blog, author):
    draft = make_post(blog, publish=False)
    assert client.get(draft.url, HTTP_ACCEPT=AP).status_code == 404
    CommunityMember.objects.update_or_create(user=author, defaults={"is_suspended": True})
    assert client.get(f"/community/ap/actors/{blog.pk}/outbox/").status_code == 410
    assert webfinger(client, "acct:amara@testserver").status_code == 404


def test_the_outbox_lists_the_posts_newest_first_in_pages(client, federation, blog):
    first = make_post(blog, title="First")
    second = make_post(blog, title="Second")
    url = f"/community/ap/actors/{blog.pk}/outbox/"
    outbox = fetch(client, url)
    assert outbox["totalItems"] == 2
    page = fetch(client, outbox["first"].removeprefix(HOST))
    assert page["type"] == "OrderedCollectionPage"
    assert [item["type"] for item in page["orderedItems"]] == ["Create", "Create"]
    assert [item["object"]["id"] for item in page["orderedItems"]] == [
        HOST + second.url,
        HOST + first.url,
    ]
    for bad in ("abc", "0", "-1", "99999999999", "²", "١"):
        assert client.get(url, {"page": bad}).status_code == 400


def test_the_communitys_outbox_announces_its_promoted_posts(client, federation, community, blog):
    from django.utils import timezone

    post = make_post(blog, title="Rising")
    make_post(blog, title="Quiet")
    PostScore.objects.filter(pk=post.pk).update(promoted_at=timezone.now())
    actor = fetch(client, community.url)
    assert actor["type"] == "Group"
    page = fetch(client, actor["outbox"].removeprefix(HOST) + "?page=1")
    [announce] = page["orderedItems"]
    assert announce["type"] == "Announce" and announce["object"] == HOST + post.url


def test_nodeinfo_says_what_this_is(client, federation, blog):
    make_post(blog)
    links = client.get("/.well-known/nodeinfo").json()["links"]
    [link] = links
    data = client.get(link["href"].removeprefix(HOST)).json()
    assert data["software"]["name"] == "wagtail-communityblog"
    assert data["protocols"] == ["activitypub"]
    assert data["usage"] == {"users": {"total": 1}, "localPosts": 1}


def test_an_unsigned_activity_is_refused_401_and_changes_nothing(client, federation, blog):
    from wagtail_communityblog.models import Comment, RemoteActor, RemoteFollower

    activity = {"type": "Follow", "actor": "https://remote.example/users/x", "object": blog.url}
    server = Client(enforce_csrf_checks=True)  # other servers have no CSRF token
    for url in ("/community/ap/inbox/", f"/community/ap/actors/{blog.pk}/inbox/"):
        response = server.post(url, json.dumps(activity), content_type=AP)
        assert response.status_code == 401
        assert "Signature" in response.json()["error"]
        assert client.get(url).status_code == 405
    assert Comment.objects.count() == 0
    assert not RemoteActor.objects.exists() and not RemoteFollower.objects.exists()


def test_an_actor_that_is_not_an_actor_is_a_404(client, federation, blog):
    post = make_post(blog)
    assert client.get(f"/community/ap/actors/{post.pk}/outbox/").status_code == 404
    assert client.get("/community/ap/actors/999999/followers/").status_code == 404


@pytest.mark.parametrize(
    ("accept", "json_wanted"),
    [
        (
            f'{AP}, application/ld+json; profile="https://www.w3.org/ns/activitystreams", '
            "text/html;q=0.1",
            True,
        ),
        (f"{AP}, text/html;q=0.9", True),
        ("Application/Activity+JSON", True),
        ('application/ld+json; profile="https://www.w3.org/ns/activitystreams"', True),
        (f"{AP}; q=0", False),
        ("*/*", False),
        ("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", False),
        (f"text/html, {AP};q=0.5", False),
    ],
)
def test_the_page_answers_what_the_client_prefers(client, federation, blog, accept, json_wanted):
    response = client.get(blog.url, HTTP_ACCEPT=accept)
    assert response.status_code == 200
    assert response["Content-Type"].startswith(AP if json_wanted else "text/html")


def test_a_suspended_members_pages_answer_410_to_other_servers(client, federation, blog, author):
    post = make_post(blog)
    make_blog(make_community(title="Other", slug="other"), make_user("bea"))
    CommunityMember.objects.update_or_create(user=author, defaults={"is_suspended": True})
    for url in (blog.url, post.url):
        response = client.get(url, HTTP_ACCEPT=AP)
        assert response.status_code == 410 and response.json()["error"]
    assert client.get("/nodeinfo/2.1").json()["usage"]["users"]["total"] == 1


def test_handles_are_found_whatever_their_case(client, federation, blog):
    response = webfinger(client, "acct:AMARA@TestServer")
    assert response.status_code == 200
    assert response.json()["links"][0]["href"] == HOST + blog.url


def test_hashtags_are_names_other_servers_can_use(client, federation, blog):
    post = make_post(blog, tags=["climate action", "</script><b>", "nhs-funding"])
    names = sorted(tag["name"] for tag in fetch(client, post.url)["tag"])
    assert names == ["#climate_action", "#nhs_funding", "#scriptb"]


def test_with_federation_off_every_route_is_a_404_whatever_the_method(client, blog):
    for url in ("/community/ap/inbox/", f"/community/ap/actors/{blog.pk}/inbox/"):
        assert client.get(url).status_code == 404


def test_the_checks_say_when_federation_cannot_work(settings):
    from wagtail_communityblog.checks import check_activitypub

    assert check_activitypub(None) == []  # off: nothing to say
    settings.WAGTAIL_COMMUNITYBLOG_ACTIVITYPUB = True
    settings.WAGTAILADMIN_BASE_URL = "https://party.example"
    assert check_activitypub(None) == []  # the test URLconf mounts WebFinger
    settings.WAGTAILADMIN_BASE_URL = "http://party.example"
    assert [m.id for m in check_activitypub(None)] == ["wagtail_communityblog.W051"]
    settings.ROOT_URLCONF = "tests.urls_without_webfinger"
    assert [m.id for m in check_activitypub(None)] == [
        "wagtail_communityblog.W050",
        "wagtail_communityblog.W051",
    ]
    settings.ROOT_URLCONF = "example.urls"
    settings.WAGTAILADMIN_BASE_URL = "https://party.example"
    settings.WAGTAIL_COMMUNITYBLOG_ACTIVITYPUB_ALLOW_PRIVATE_ADDRESSES = True
    assert [m.id for m in check_activitypub(None)] == ["wagtail_communityblog.W052"]
    settings.DEBUG = True  # two sites on one developer's machine: fine
    assert check_activitypub(None) == []
