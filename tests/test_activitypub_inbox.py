"""Federation with an independent peer (tests/activitypub_peer.py): another server's account
follows a member's blog, receives her next post signed, replies into the moderation queue,
likes and boosts it, undoes it all; bad, unsigned and oversized activities get a 4xx and change
nothing; blocked servers and accounts are refused; deliveries are retried, then given up on."""

import json
import re
from datetime import timedelta
from email.utils import formatdate

import pytest
from django.test import Client
from django.utils import timezone

from tests.activitypub_peer import AP, Peer
from tests.factories import make_blog, make_community, make_post, make_user
from tests.hostile import HOSTILE_HTML
from wagtail_communityblog.models import (
    ActivityDelivery,
    Comment,
    PostScore,
    Rating,
    RemoteActor,
    RemoteFollower,
    RemoteReaction,
    RemoteServer,
)
from wagtail_communityblog.services import activitypub as federation
from wagtail_communityblog.services.comments import approve
from wagtail_communityblog.services.members import suspend_member
from wagtail_communityblog.services.posts import unpublish_post

pytestmark = pytest.mark.django_db

SHARED_INBOX = "/community/ap/inbox/"


@pytest.fixture
def federation_on(settings):
    settings.WAGTAIL_COMMUNITYBLOG_ACTIVITYPUB = True
    # The peer is on loopback, over http: allowed for the tests only.
    settings.WAGTAIL_COMMUNITYBLOG_ACTIVITYPUB_ALLOW_PRIVATE_ADDRESSES = True
    settings.WAGTAIL_COMMUNITYBLOG_COMMENT_MODERATION = "first_post"


@pytest.fixture
def peer():
    peer = Peer()
    yield peer
    peer.close()


@pytest.fixture
def server():
    return Client(enforce_csrf_checks=True)  # other servers have no CSRF token


@pytest.fixture
def author():
    return make_user("amara")


@pytest.fixture
def blog(author):
    return make_blog(make_community(), author, title="Amara on housing")


def site_json(url):
    """The site's documents as the peer reads them (through the test client)."""
    response = Client().get(url.replace("http://testserver", ""), HTTP_ACCEPT=AP)
    assert response.status_code == 200, response.content[:200]
    return json.loads(response.content)


def blog_url(blog):
    return f"http://testserver{blog.url}"


def follow(peer, server, blog, capture, scheme="rfc9421"):
    activity = peer.follow(blog_url(blog))
    with capture(execute=True):
        response = peer.post(server, SHARED_INBOX, activity, scheme=scheme)
    assert response.status_code == 202, response.content
    return activity


def followed_by_member(peer, server, member, client, capture):
    """``member``'s blog follows the peer from the dashboard, and the peer accepts."""
    from django.urls import reverse

    client.force_login(member)
    with capture(execute=True):
        client.post(
            reverse("wagtail_communityblog:activitypub_following_add"), {"handle": peer.handle}
        )
    [(follow_activity, _key)] = peer.deliveries(site_json)
    assert peer.post(server, SHARED_INBOX, peer.accept(follow_activity)).status_code == 202
    return follow_activity


def publish(blog, capture, **kwargs):
    with capture(execute=True):
        return make_post(blog, **kwargs)


@pytest.mark.parametrize("scheme", ["rfc9421", "cavage"])
def test_a_peer_follows_a_blog_and_gets_a_signed_accept(
    federation_on, peer, server, blog, django_capture_on_commit_callbacks, scheme
):
    activity = follow(peer, server, blog, django_capture_on_commit_callbacks, scheme)

    follower = RemoteFollower.objects.get()
    assert follower.page_id == blog.pk and follower.actor.url == peer.actor_url
    assert follower.actor.handle == f"@zoe@127.0.0.1:{peer.server.server_port}"
    assert follower.actor.name == "Zoë Peer"  # its markup is not kept
    followers = site_json(f"/community/ap/actors/{blog.pk}/followers/")
    assert followers["totalItems"] == 1
    assert "first" not in followers  # who follows is theirs to tell: no pages to point to

    [(accept, key_id)] = peer.deliveries(site_json)
    assert accept["type"] == "Accept"
    assert accept["actor"] == blog_url(blog)
    assert accept["object"]["id"] == activity["id"]
    assert key_id == f"{blog_url(blog)}#main-key"
    assert peer.received[0][0] == "/users/zoe/inbox"  # an Accept goes to its own inbox


def test_the_followers_receive_the_next_post_signed_then_its_update_and_its_deletion(
    federation_on, peer, server, blog, author, django_capture_on_commit_callbacks
):
    follow(peer, server, blog, django_capture_on_commit_callbacks)
    peer.received.clear()

    post = publish(
        blog, django_capture_on_commit_callbacks, title="Rent caps", body="".join(HOSTILE_HTML)
    )
    [(create, key_id)] = peer.deliveries(site_json)
    assert peer.received[0][0] == "/inbox"  # the shared inbox
    assert create["type"] == "Create" and key_id == f"{blog_url(blog)}#main-key"
    article = create["object"]
    assert article["id"] == f"http://testserver{post.url}" and article["name"] == "Rent caps"
    assert "<script" not in article["content"] and "onerror" not in article["content"]

    peer.received.clear()
    with django_capture_on_commit_callbacks(execute=True):
        post.title = "Rent caps, revised"
        post.save_revision(user=author).publish(user=author, skip_permission_checks=True)
    [(update, _key)] = peer.deliveries(site_json)
    assert update["type"] == "Update" and update["object"]["name"] == "Rent caps, revised"

    peer.received.clear()
    with django_capture_on_commit_callbacks(execute=True):
        unpublish_post(post, author)
    [(delete, _key)] = peer.deliveries(site_json)
    assert delete["type"] == "Delete"
    assert delete["object"] == {"id": f"http://testserver{post.url}", "type": "Tombstone"}


def test_a_delivery_is_sent_once_however_often_its_task_runs(
    federation_on, peer, server, blog, django_capture_on_commit_callbacks
):
    follow(peer, server, blog, django_capture_on_commit_callbacks)
    publish(blog, django_capture_on_commit_callbacks)
    sent = ActivityDelivery.objects.filter(activity__type="Create").get()
    before = len(peer.received)
    assert federation.deliver(sent.pk) is None  # sent already: nothing to do
    assert len(peer.received) == before


def test_a_reply_waits_for_moderation_sanitised_then_shows_with_its_handle(
    federation_on, peer, server, blog, django_capture_on_commit_callbacks, client
):
    post = publish(blog, django_capture_on_commit_callbacks)
    reply = peer.reply(f"http://testserver{post.url}", "<p>Agreed!</p>" + "".join(HOSTILE_HTML))
    response = peer.post(server, SHARED_INBOX, reply)
    assert response.status_code == 202

    comment = Comment.objects.get()
    assert comment.status == Comment.STATUS_PENDING and comment.author is None
    assert comment.remote_actor.url == peer.actor_url
    assert "<script" not in comment.body and "Agreed!" in comment.body
    assert "Agreed!" not in client.get(post.url).content.decode()

    approve(comment, make_user("editor", is_staff=True))
    page = client.get(post.url).content.decode()
    assert "Agreed!" in page and f"@zoe@127.0.0.1:{peer.server.server_port}" in page

    # Its author approved once, the next reply (to the first) is shown at once.
    second = peer.reply(reply["object"]["id"], "<p>And another thing.</p>")
    assert peer.post(server, SHARED_INBOX, second).status_code == 202
    answer = Comment.objects.get(remote_id=second["object"]["id"])
    assert answer.status == Comment.STATUS_APPROVED and answer.reply_to_id == comment.pk

    # The same reply delivered again is not a second comment.
    assert peer.post(server, SHARED_INBOX, second).status_code == 202
    assert Comment.objects.count() == 2

    edit = {
        **second,
        "id": second["id"] + "#edit",
        "type": "Update",
        "object": {**second["object"], "content": "<p>Edited.</p>"},
    }
    assert peer.post(server, SHARED_INBOX, edit).status_code == 202
    answer.refresh_from_db()
    assert answer.body == "<p>Edited.</p>" and answer.edited_at is not None

    delete = {
        "id": peer.new_id("deletes"),
        "type": "Delete",
        "actor": peer.actor_url,
        "object": {"id": second["object"]["id"], "type": "Tombstone"},
    }
    assert peer.post(server, SHARED_INBOX, delete).status_code == 202
    assert not Comment.objects.filter(remote_id=second["object"]["id"]).exists()


def test_a_reply_on_a_post_with_closed_comments_is_refused(
    federation_on, peer, server, blog, django_capture_on_commit_callbacks
):
    post = publish(blog, django_capture_on_commit_callbacks)
    PostScore.objects.filter(pk=post.pk).update(comments_closed=True)
    response = peer.post(server, SHARED_INBOX, peer.reply(f"http://testserver{post.url}", "Hi"))
    assert response.status_code == 403 and "closed" in response.json()["error"]
    assert not Comment.objects.exists()


def test_likes_and_boosts_are_counted_apart_from_votes_and_can_be_undone(
    federation_on, peer, server, blog, django_capture_on_commit_callbacks, client
):
    post = publish(blog, django_capture_on_commit_callbacks)
    url = f"http://testserver{post.url}"
    like, boost = peer.like(url), peer.like(url, "Announce")
    assert peer.post(server, SHARED_INBOX, like).status_code == 202
    assert peer.post(server, SHARED_INBOX, boost).status_code == 202
    assert peer.post(server, SHARED_INBOX, like).status_code == 202  # again: still one

    score = PostScore.objects.get(pk=post.pk)
    assert (score.fediverse_likes, score.fediverse_boosts) == (1, 1)
    assert (score.vote_count, score.score) == (0, 0) and not Rating.objects.exists()
    page = client.get(post.url).content.decode()
    assert "1 like from the fediverse" in page and "1 boost" in page

    assert peer.post(server, SHARED_INBOX, peer.undo(like)).status_code == 202
    score.refresh_from_db()
    assert (score.fediverse_likes, score.fediverse_boosts) == (0, 1)


def test_undoing_a_follow_stops_the_deliveries(
    federation_on, peer, server, blog, django_capture_on_commit_callbacks
):
    activity = follow(peer, server, blog, django_capture_on_commit_callbacks)
    assert peer.post(server, SHARED_INBOX, peer.undo(activity)).status_code == 202
    assert not RemoteFollower.objects.exists()
    peer.received.clear()
    publish(blog, django_capture_on_commit_callbacks)
    assert peer.received == []


# Refusals ----------------------------------------------------------------------------------


def _swap_body(body, headers):
    return body.replace(b"Follow", b"Block!"), headers


def _drop_signature(body, headers):
    return body, {k: v for k, v in headers.items() if not k.lower().startswith("signature")}


def _old_date(body, headers):
    return body, headers


@pytest.mark.parametrize(
    ("scheme", "tamper", "status", "words"),
    [
        ("rfc9421", _swap_body, 401, "Content-Digest"),
        ("cavage", _swap_body, 401, "Digest"),
        ("rfc9421", _drop_signature, 401, "Signature"),
        ("cavage", _drop_signature, 401, "Signature"),
    ],
)
def test_a_tampered_or_unsigned_activity_is_refused_and_changes_nothing(
    federation_on, peer, server, blog, scheme, tamper, status, words
):
    response = peer.post(
        server, SHARED_INBOX, peer.follow(blog_url(blog)), scheme=scheme, tamper=tamper
    )
    assert response.status_code == status
    assert response.json()["error"]
    assert not RemoteFollower.objects.exists() and not ActivityDelivery.objects.exists()


def test_a_signature_by_another_key_is_refused(federation_on, peer, server, blog):
    impostor = Peer()
    try:
        # Signed with the impostor's key, in the name of the peer's key id.
        impostor.key_id, impostor.actor_url = peer.key_id, peer.actor_url
        response = impostor.post(server, SHARED_INBOX, peer.follow(blog_url(blog)))
    finally:
        impostor.close()
    assert response.status_code == 401
    assert "does not match" in response.json()["error"]
    # The key it fetched to check is not kept: a bad request writes nothing.
    assert not RemoteFollower.objects.exists() and not RemoteActor.objects.exists()


@pytest.mark.parametrize("scheme", ["rfc9421", "cavage"])
def test_an_old_date_is_refused(federation_on, peer, server, blog, scheme):
    old = formatdate((timezone.now() - timedelta(hours=3)).timestamp(), usegmt=True)
    response = peer.post(server, SHARED_INBOX, peer.follow(blog_url(blog)), scheme=scheme, date=old)
    if scheme == "rfc9421":
        # The RFC 9421 signature's own created time is now; its Date header is only a header.
        assert response.status_code == 202
    else:
        assert response.status_code == 401 and "clock" in response.json()["error"]
        assert not RemoteFollower.objects.exists()


def test_a_cavage_signature_over_too_few_headers_is_refused(federation_on, peer, server, blog):
    def only_date(body, headers):
        signature = headers["Signature"].replace(
            'headers="(request-target) host date digest content-type"', 'headers="date"'
        )
        return body, {**headers, "Signature": signature}

    response = peer.post(
        server, SHARED_INBOX, peer.follow(blog_url(blog)), scheme="cavage", tamper=only_date
    )
    assert response.status_code == 401
    assert "must be signed" in response.json()["error"]


def test_an_activity_in_someone_elses_name_is_refused(federation_on, peer, server, blog):
    activity = {**peer.follow(blog_url(blog)), "actor": "http://127.0.0.1:1/users/victim"}
    response = peer.post(server, SHARED_INBOX, activity)
    assert response.status_code == 403
    assert not RemoteFollower.objects.exists()


def test_an_oversized_or_malformed_activity_is_refused(federation_on, peer, server, blog, settings):
    settings.WAGTAIL_COMMUNITYBLOG_ACTIVITYPUB_MAX_BYTES = 2000
    big = {**peer.follow(blog_url(blog)), "padding": "x" * 3000}
    assert peer.post(server, SHARED_INBOX, big).status_code == 413
    assert peer.post(server, SHARED_INBOX, b"{not json").status_code == 400
    assert peer.post(server, SHARED_INBOX, b"[1, 2]").status_code == 400
    assert not RemoteFollower.objects.exists() and not RemoteActor.objects.exists()


def test_a_key_on_a_private_address_is_not_fetched_on_a_public_site(
    federation_on, peer, server, blog, settings
):
    settings.WAGTAIL_COMMUNITYBLOG_ACTIVITYPUB_ALLOW_PRIVATE_ADDRESSES = False
    response = peer.post(server, SHARED_INBOX, peer.follow(blog_url(blog)))
    assert response.status_code == 401
    assert "https" in response.json()["error"]
    assert not RemoteActor.objects.exists()


def test_a_rotated_key_is_fetched_again(
    federation_on, peer, server, blog, django_capture_on_commit_callbacks
):
    follow(peer, server, blog, django_capture_on_commit_callbacks)
    peer.rotate_key()
    # A key fetched a moment ago is not fetched again for every bad signature...
    response = peer.post(server, SHARED_INBOX, peer.follow(blog_url(blog)))
    assert response.status_code == 401
    # ...one fetched long enough ago is.
    RemoteActor.objects.update(fetched_at=timezone.now() - timedelta(minutes=5))
    response = peer.post(server, SHARED_INBOX, peer.like(blog_url(blog)))
    assert response.status_code == 202
    assert RemoteActor.objects.get().public_key_pem == peer.public_pem


def test_a_blocked_server_is_refused_and_loses_its_follows(
    federation_on, peer, server, blog, django_capture_on_commit_callbacks
):
    follow(peer, server, blog, django_capture_on_commit_callbacks)
    federation.block_domain(f"127.0.0.1:{peer.server.server_port}", reason="spam")
    assert not RemoteFollower.objects.exists()
    response = peer.post(server, SHARED_INBOX, peer.follow(blog_url(blog)))
    assert response.status_code == 403
    assert not RemoteFollower.objects.exists()
    peer.received.clear()
    publish(blog, django_capture_on_commit_callbacks)
    assert peer.received == []


def test_a_blocked_account_is_refused_and_its_waiting_replies_rejected(
    federation_on, peer, server, blog, django_capture_on_commit_callbacks
):
    post = publish(blog, django_capture_on_commit_callbacks)
    peer.post(server, SHARED_INBOX, peer.reply(f"http://testserver{post.url}", "spam"))
    federation.block_actor(RemoteActor.objects.get())
    assert Comment.objects.get().status == Comment.STATUS_REJECTED
    response = peer.post(server, SHARED_INBOX, peer.like(f"http://testserver{post.url}"))
    assert response.status_code == 403
    assert not RemoteReaction.objects.exists()


def test_a_suspended_members_blog_stops_federating(
    federation_on, peer, server, blog, author, django_capture_on_commit_callbacks
):
    follow(peer, server, blog, django_capture_on_commit_callbacks)
    suspend_member(author, reason="abuse")
    peer.received.clear()
    publish(blog, django_capture_on_commit_callbacks)
    assert peer.received == []
    response = peer.post(server, SHARED_INBOX, peer.follow(blog_url(blog)))
    assert response.status_code == 404


# Deliveries that fail --------------------------------------------------------------------


def test_a_failing_inbox_is_retried_with_back_off_then_given_up(
    federation_on, peer, server, blog, settings, django_capture_on_commit_callbacks
):
    settings.WAGTAIL_COMMUNITYBLOG_ACTIVITYPUB_RETRY_MINUTES = [1, 10]
    follow(peer, server, blog, django_capture_on_commit_callbacks)
    peer.inbox_status = 503
    publish(blog, django_capture_on_commit_callbacks)
    delivery = ActivityDelivery.objects.get(activity__type="Create")
    assert delivery.status == ActivityDelivery.PENDING and delivery.attempts == 1
    assert delivery.next_attempt_at > timezone.now() + timedelta(seconds=50)
    assert "503" in delivery.last_error

    for _attempt in range(2):
        ActivityDelivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now())
        federation.deliver(delivery.pk)
    delivery.refresh_from_db()
    assert delivery.status == ActivityDelivery.FAILED and delivery.attempts == 3


def test_a_server_failing_for_days_is_given_up_on_until_it_speaks_again(
    federation_on, peer, server, blog, settings, django_capture_on_commit_callbacks
):
    follow(peer, server, blog, django_capture_on_commit_callbacks)
    peer.inbox_status = 500
    RemoteServer.objects.update(failing_since=timezone.now() - timedelta(days=8))
    publish(blog, django_capture_on_commit_callbacks)
    remote = RemoteServer.objects.get()
    assert remote.is_unavailable
    assert ActivityDelivery.objects.get(activity__type="Create").status == ActivityDelivery.FAILED

    publish(blog, django_capture_on_commit_callbacks)
    assert ActivityDelivery.objects.filter(activity__type="Create").count() == 1  # none queued

    peer.inbox_status = 202
    assert peer.post(server, SHARED_INBOX, peer.like(blog_url(blog))).status_code == 202
    remote.refresh_from_db()
    assert not remote.is_unavailable and remote.failing_since is None


def test_a_refusing_inbox_is_not_retried(
    federation_on, peer, server, blog, django_capture_on_commit_callbacks
):
    follow(peer, server, blog, django_capture_on_commit_callbacks)
    peer.inbox_status = 403
    publish(blog, django_capture_on_commit_callbacks)
    delivery = ActivityDelivery.objects.get(activity__type="Create")
    assert delivery.status == ActivityDelivery.FAILED and delivery.attempts == 1


# Editors in the admin ------------------------------------------------------------------------

SERVERS = "wagtailsnippets_wagtail_communityblog_remoteserver"
ACCOUNTS = "wagtailsnippets_wagtail_communityblog_remoteactor"
DELIVERIES = "wagtailsnippets_wagtail_communityblog_activitydelivery"


@pytest.fixture
def admin_client(client):
    client.force_login(make_user("chief", is_superuser=True, is_staff=True))
    return client


def test_an_editor_blocks_a_domain_in_the_admin_before_it_ever_speaks(
    federation_on, peer, server, blog, admin_client
):
    from django.urls import reverse

    domain = f"127.0.0.1:{peer.server.server_port}"
    response = admin_client.post(
        reverse(f"{SERVERS}:add"), {"domain": domain, "is_blocked": "on", "reason": "harassment"}
    )
    assert response.status_code == 302
    assert RemoteServer.objects.get(domain=domain).is_blocked
    bad = admin_client.post(reverse(f"{SERVERS}:add"), {"domain": "https://x.example/path"})
    assert bad.status_code == 200 and "host name" in bad.content.decode()

    refused = peer.post(server, SHARED_INBOX, peer.follow(blog_url(blog)))
    assert refused.status_code == 403 and not RemoteFollower.objects.exists()
    listing = admin_client.get(reverse(f"{SERVERS}:list")).content.decode()
    assert domain in listing


def test_an_editor_blocks_an_account_from_its_page_in_the_admin(
    federation_on, peer, server, blog, admin_client, django_capture_on_commit_callbacks
):
    from django.urls import reverse

    follow(peer, server, blog, django_capture_on_commit_callbacks)
    actor = RemoteActor.objects.get()
    listing = admin_client.get(reverse(f"{ACCOUNTS}:list")).content.decode()
    assert actor.handle in listing
    assert admin_client.get(reverse(f"{ACCOUNTS}:add")).status_code in (302, 403, 404)
    response = admin_client.post(reverse(f"{ACCOUNTS}:edit", args=[actor.pk]), {"is_blocked": "on"})
    assert response.status_code == 302
    actor.refresh_from_db()
    assert actor.is_blocked and not RemoteFollower.objects.exists()
    deliveries = admin_client.get(reverse(f"{DELIVERIES}:list"))
    assert deliveries.status_code == 200 and "Accept" in deliveries.content.decode()


def test_an_editor_without_the_curation_permission_cannot_block(federation_on, client):
    from django.urls import reverse

    client.force_login(make_user("intern", is_staff=True))
    response = client.post(reverse(f"{SERVERS}:add"), {"domain": "x.example", "is_blocked": "on"})
    assert response.status_code in (302, 403)
    assert not RemoteServer.objects.exists()


# Members following the fediverse -----------------------------------------------------------


def test_a_member_follows_a_fediverse_account_and_reads_its_posts_on_the_dashboard(
    federation_on, peer, server, blog, author, client, django_capture_on_commit_callbacks
):
    from django.urls import reverse

    from wagtail_communityblog.models import RemoteFollowing, RemotePost

    client.force_login(author)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("wagtail_communityblog:activitypub_following_add"), {"handle": peer.handle}
        )
    assert response.status_code == 302
    following = RemoteFollowing.objects.get()
    assert following.page_id == blog.pk and not following.is_accepted
    [(follow_activity, key_id)] = peer.deliveries(site_json)
    assert follow_activity["type"] == "Follow" and follow_activity["object"] == peer.actor_url
    assert key_id == f"{blog_url(blog)}#main-key"
    dashboard = client.get(reverse("wagtail_communityblog:dashboard")).content.decode()
    assert peer.handle in dashboard and "waiting for their server" in dashboard

    # Before its server accepts, its posts are not kept.
    early = peer.note("<p>Too early</p>")
    assert peer.post(server, SHARED_INBOX, early).status_code == 202
    assert not RemotePost.objects.exists()

    assert peer.post(server, SHARED_INBOX, peer.accept(follow_activity)).status_code == 202
    assert RemoteFollowing.objects.get().is_accepted
    hostile = "".join(HOSTILE_HTML)
    note = peer.note(
        f'<p>Housing <span class="h-card">@amara</span> news</p>{hostile}',
        name="Housing news",
        url=f"{peer.base}/@zoe/1",
    )
    assert peer.post(server, SHARED_INBOX, note).status_code == 202
    post = RemotePost.objects.get()
    assert "<script" not in post.content and "onerror" not in post.content
    dashboard = client.get(reverse("wagtail_communityblog:dashboard")).content.decode()
    assert "Housing news" in dashboard and "waiting for their server" not in dashboard
    assert "<script>alert" not in dashboard

    delete = {
        "id": peer.new_id("deletes"),
        "type": "Delete",
        "actor": peer.actor_url,
        "object": note["object"]["id"],
    }
    assert peer.post(server, SHARED_INBOX, delete).status_code == 202
    assert not RemotePost.objects.exists()

    peer.received.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("wagtail_communityblog:activitypub_following_remove", args=[following.pk])
        )
    assert response.status_code == 302 and not RemoteFollowing.objects.exists()
    [(undo, _key)] = peer.deliveries(site_json)
    assert undo["type"] == "Undo" and undo["object"]["id"] == follow_activity["id"]


def test_following_needs_a_real_handle_and_a_federated_blog(
    federation_on, peer, blog, author, client
):
    from django.urls import reverse

    from wagtail_communityblog.models import RemoteFollowing

    url = reverse("wagtail_communityblog:activitypub_following_add")
    client.force_login(author)
    for handle in ("", "zoe", "@zoe", "https://", "@zoe@127.0.0.1:1/../x", "@a@b@c"):
        response = client.post(url, {"handle": handle})
        assert response.status_code in (400, 404), handle
    assert client.post(url, {"handle": "@nobody@127.0.0.1:1"}).status_code == 404
    assert client.get(url).status_code == 405
    stranger = Client()
    stranger.force_login(make_user("nobody"))  # no blog
    assert stranger.post(url, {"handle": peer.handle}).status_code == 403
    assert not RemoteFollowing.objects.exists()


def test_follow_from_the_fediverse_links_the_reader_to_their_own_server(
    federation_on, peer, blog, client
):
    from urllib.parse import quote

    from django.urls import reverse
    from django.utils.html import escape

    url = reverse("wagtail_communityblog:activitypub_remote_follow")
    page = client.get(url, {"actor": blog.pk})
    assert page.status_code == 200 and "@amara@testserver" in page.content.decode()
    assert "from the fediverse" in client.get(blog.url).content.decode()

    peer.subscribe_template = f"{peer.base}/authorize_interaction?uri={{uri}}"
    response = client.get(url, {"actor": blog.pk, "handle": peer.handle})
    # A link to follow, not a redirect: this site's addresses send nobody elsewhere by themselves.
    assert response.status_code == 200
    expected = f"{peer.base}/authorize_interaction?uri={quote(blog_url(blog), safe='')}"
    assert f'href="{escape(expected)}"' in response.content.decode()
    # A template that points anywhere but the reader's own server is not followed.
    peer.subscribe_template = "https://evil.example/?u={uri}"
    response = client.get(url, {"actor": blog.pk, "handle": peer.handle})
    assert response.status_code == 200 and "search for" in response.content.decode()
    assert "evil.example" not in response.content.decode()
    assert client.get(url, {"actor": blog.pk, "handle": "not a handle"}).status_code == 400


def test_the_interact_page_follows_an_account_after_the_member_confirms(
    federation_on, peer, blog, author, client, django_capture_on_commit_callbacks
):
    from django.urls import reverse

    from wagtail_communityblog.models import RemoteFollowing

    url = reverse("wagtail_communityblog:activitypub_interact")
    anonymous = client.get(url, {"uri": peer.actor_url})
    assert anonymous.status_code == 302 and "login" in anonymous["Location"]
    client.force_login(author)
    page = client.get(url, {"uri": peer.actor_url})
    assert page.status_code == 200 and peer.handle in page.content.decode()
    # Nothing written on GET: not the follow, not even the account it looked up.
    assert not RemoteFollowing.objects.exists() and not RemoteActor.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"uri": peer.actor_url, "blog": blog.pk})
    assert response.status_code == 302
    assert RemoteFollowing.objects.get().actor.url == peer.actor_url
    webfinger = client.get("/.well-known/webfinger", {"resource": "acct:amara@testserver"})
    [link] = [x for x in webfinger.json()["links"] if x["rel"].startswith("http://ostatus")]
    assert link["template"] == "http://testserver/community/ap/interact/?uri={uri}"


def test_a_mastodon_reply_reads_as_text_with_its_mention_not_as_markup(
    federation_on, peer, server, blog, django_capture_on_commit_callbacks
):
    post = publish(blog, django_capture_on_commit_callbacks)
    html = (
        '<p><span class="h-card" translate="no"><a href="http://testserver/community/amara/" '
        'class="u-url mention">@<span>amara</span></a></span> Rent caps &amp; more</p>'
    )
    assert (
        peer.post(
            server, SHARED_INBOX, peer.reply(f"http://testserver{post.url}", html)
        ).status_code
        == 202
    )
    body = Comment.objects.get().body
    assert body == (
        '<p><a href="http://testserver/community/amara/" rel="nofollow ugc">@amara</a>'
        " Rent caps &amp; more</p>"
    )


def test_a_community_boosts_a_promoted_post_to_its_followers(
    federation_on, peer, server, blog, settings, django_capture_on_commit_callbacks
):
    from wagtail_communityblog.services.curation import check_promotion

    settings.WAGTAIL_COMMUNITYBLOG_PROMOTION_MIN_VOTES = 0
    settings.WAGTAIL_COMMUNITYBLOG_PROMOTION_MIN_SCORE = 0
    community = blog.get_parent().specific
    activity = peer.follow(f"http://testserver{community.url}")
    with django_capture_on_commit_callbacks(execute=True):
        assert peer.post(server, SHARED_INBOX, activity).status_code == 202
    post = publish(blog, django_capture_on_commit_callbacks)
    peer.received.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert check_promotion(post.pk)
    [(announce, key_id)] = peer.deliveries(site_json)
    assert announce["type"] == "Announce" and announce["object"] == f"http://testserver{post.url}"
    assert key_id == f"http://testserver{community.url}#main-key"


# What an outside probe found (each once a 500, a hang or a write on a refused request) -------


def test_deeply_nested_json_is_a_400_not_a_500(federation_on, server):
    deep = b"[" * 100_000 + b"]" * 100_000
    response = server.post(SHARED_INBOX, deep, content_type=AP)
    assert response.status_code == 400


@pytest.mark.parametrize(
    "key_id", ["http://127.0.0.1:99999/k#main-key", "http://[::1/x#k", "http://127.0.0.1:abc/x"]
)
def test_a_key_id_that_is_not_an_address_is_a_401(federation_on, peer, server, blog, key_id):
    peer.key_id = key_id
    response = peer.post(server, SHARED_INBOX, peer.follow(blog_url(blog)))
    assert response.status_code == 401
    assert not RemoteActor.objects.exists()


@pytest.mark.parametrize("bad", ["http://[::1/x", "http://127.0.0.1:99999/community/amara/"])
def test_objects_that_are_not_addresses_are_ignored_not_a_500(
    federation_on, peer, server, blog, django_capture_on_commit_callbacks, bad
):
    post = publish(blog, django_capture_on_commit_callbacks)
    for activity in (peer.like(bad), peer.follow(bad), peer.reply(bad, "hi")):
        assert peer.post(server, SHARED_INBOX, activity).status_code in (202, 404)
    assert not RemoteReaction.objects.exists() and not Comment.objects.exists()
    assert PostScore.objects.get(pk=post.pk).fediverse_likes == 0


def test_signature_times_out_of_range_are_a_401(federation_on, peer, server, blog):
    def created_far_away(body, headers):
        signature = headers["Signature"].replace(
            'headers="(request-target) host date digest content-type"',
            'created="99999999999999999999",headers="(request-target) host (created) digest"',
        )
        return body, {**headers, "Signature": signature}

    response = peer.post(
        server, SHARED_INBOX, peer.follow(blog_url(blog)), scheme="cavage", tamper=created_far_away
    )
    assert response.status_code == 401

    def rfc9421_far_away(body, headers):
        signature_input = re.sub(
            r"created=\d+", "created=999999999999999", headers["Signature-Input"]
        )
        return body, {**headers, "Signature-Input": signature_input}

    response = peer.post(server, SHARED_INBOX, peer.follow(blog_url(blog)), tamper=rfc9421_far_away)
    assert response.status_code == 401


@pytest.mark.parametrize("pem", [{}, 5, ["x"], "not a key"])
def test_a_key_of_the_wrong_shape_is_a_401_and_records_nothing(
    federation_on, peer, server, blog, pem
):
    peer.document_changes = {
        "publicKey": {"id": peer.key_id, "owner": peer.actor_url, "publicKeyPem": pem}
    }
    response = peer.post(server, SHARED_INBOX, peer.follow(blog_url(blog)))
    assert response.status_code == 401
    assert not RemoteActor.objects.exists() and not RemoteServer.objects.exists()


def test_a_key_server_that_drips_is_given_up_on_within_the_timeout(
    federation_on, peer, server, blog, settings
):
    import time

    settings.WAGTAIL_COMMUNITYBLOG_ACTIVITYPUB_FETCH_TIMEOUT = 1
    peer.drip = True
    started = time.monotonic()
    response = peer.post(server, SHARED_INBOX, peer.follow(blog_url(blog)))
    assert response.status_code == 401
    assert time.monotonic() - started < 4


def test_an_inbox_on_another_server_is_never_delivered_to(federation_on, peer, server, blog):
    peer.document_changes = {"inbox": "http://127.0.0.1:1/somewhere-else/inbox"}
    response = peer.post(server, SHARED_INBOX, peer.follow(blog_url(blog)))
    assert response.status_code == 400
    assert not RemoteFollower.objects.exists() and not ActivityDelivery.objects.exists()


def test_an_activity_id_on_another_server_is_refused(federation_on, peer, server, blog):
    activity = {**peer.follow(blog_url(blog)), "id": "http://127.0.0.1:1/follows/1"}
    assert peer.post(server, SHARED_INBOX, activity).status_code == 400
    assert not RemoteFollower.objects.exists()


def test_undoing_someone_elses_follow_undoes_nothing(
    federation_on, peer, server, blog, django_capture_on_commit_callbacks
):
    follow(peer, server, blog, django_capture_on_commit_callbacks)
    theirs = {**peer.follow(blog_url(blog)), "actor": "http://127.0.0.1:1/users/mallory"}
    assert peer.post(server, SHARED_INBOX, peer.undo(theirs)).status_code == 202
    assert RemoteFollower.objects.count() == 1


def test_a_reply_of_only_blank_space_is_refused(
    federation_on, peer, server, blog, django_capture_on_commit_callbacks
):
    post = publish(blog, django_capture_on_commit_callbacks)
    reply = peer.reply(f"http://testserver{post.url}", "<p> &nbsp; </p>")
    assert peer.post(server, SHARED_INBOX, reply).status_code == 422
    assert not Comment.objects.exists()


# The second outside probe ---------------------------------------------------------------------


def test_a_page_claiming_to_be_another_account_cannot_put_its_key_in_their_place(
    federation_on, peer, server, blog, author, client, django_capture_on_commit_callbacks
):
    from django.urls import reverse

    from wagtail_communityblog.models import RemoteFollowing

    follow(peer, server, blog, django_capture_on_commit_callbacks)
    genuine_key = RemoteActor.objects.get().public_key_pem
    # Mallory's page claims to be zoe (same server), with Mallory's own key.
    mallory = Peer("mallory")
    try:
        mallory.document_changes = {
            "id": peer.actor_url,
            "publicKey": {
                "id": peer.key_id,
                "owner": peer.actor_url,
                "publicKeyPem": mallory.public_pem,
            },
        }
        client.force_login(author)
        response = client.post(
            reverse("wagtail_communityblog:activitypub_following_add"),
            {"handle": mallory.actor_url},
        )
    finally:
        mallory.close()
    # Fetched again from the id it claims, the document is zoe's own: her key stays.
    assert RemoteActor.objects.get(url=peer.actor_url).public_key_pem == genuine_key
    assert response.status_code in (302, 404)
    assert RemoteFollowing.objects.filter(actor__url=mallory.actor_url).count() == 0


def test_a_reply_nested_thousands_deep_is_cleaned_in_linear_time(
    federation_on, peer, server, blog, settings, django_capture_on_commit_callbacks
):
    import time

    settings.WAGTAIL_COMMUNITYBLOG_COMMENT_MAX_LENGTH = 50_000
    post = publish(blog, django_capture_on_commit_callbacks)
    deep = "<blockquote><b>" * 15_000 + "deep" + "</b></blockquote>" * 15_000
    started = time.monotonic()
    response = peer.post(server, SHARED_INBOX, peer.reply(f"http://testserver{post.url}", deep))
    assert time.monotonic() - started < 10
    assert response.status_code == 413  # ten times the text a comment may hold, at most


def test_a_followed_accounts_post_from_the_year_one_is_stored_as_now(
    federation_on, peer, server, blog, author, client, django_capture_on_commit_callbacks
):

    from wagtail_communityblog.models import RemotePost

    followed_by_member(peer, server, author, client, django_capture_on_commit_callbacks)
    old = peer.note("<p>Old</p>", published="0001-01-01T00:00:00+01:00")
    assert peer.post(server, SHARED_INBOX, old).status_code == 202
    assert RemotePost.objects.get().published_at.year >= 2026
    huge = peer.note("<p>" + "x" * 70_000 + "</p>")
    assert peer.post(server, SHARED_INBOX, huge).status_code == 413
    assert RemotePost.objects.count() == 1


def test_following_an_account_on_this_very_site_is_refused(federation_on, blog, author, client):
    from django.urls import reverse

    client.force_login(author)
    response = client.post(
        reverse("wagtail_communityblog:activitypub_following_add"),
        {"handle": blog_url(blog)},
    )
    assert response.status_code == 400 and "this site" in response.content.decode()


def test_fetches_a_request_causes_are_rate_limited_by_address(
    federation_on, peer, server, blog, settings
):
    settings.WAGTAIL_COMMUNITYBLOG_RATE_LIMITS = {"activitypub_fetch": "2/h"}
    statuses = []
    for number in range(3):
        stranger = Peer(f"stranger{number}")
        try:
            statuses.append(stranger.post(server, SHARED_INBOX, stranger.follow(blog_url(blog))))
        finally:
            stranger.close()
    assert [r.status_code for r in statuses] == [202, 202, 429]
    assert statuses[2]["Retry-After"]


def test_editors_see_a_fediverse_reply_with_its_handle_in_the_moderation_queue(
    federation_on, peer, server, blog, admin_client, django_capture_on_commit_callbacks
):
    from django.urls import reverse

    post = publish(blog, django_capture_on_commit_callbacks)
    peer.post(server, SHARED_INBOX, peer.reply(f"http://testserver{post.url}", "<p>Hello</p>"))
    listing = admin_client.get(reverse("wagtail_communityblog_comments:list"))
    assert listing.status_code == 200
    assert f"Zoë Peer ({peer.handle})" in listing.content.decode()
    found = admin_client.get(reverse("wagtail_communityblog_comments:list"), {"q": "zoe"})
    assert [c.remote_actor.username for c in found.context["object_list"]] == ["zoe"]


@pytest.mark.parametrize("scheme", ["rfc9421", "cavage"])
def test_a_clock_some_minutes_ahead_is_within_the_window_either_way(
    federation_on, peer, server, blog, scheme
):
    ahead = timezone.now() + timedelta(minutes=20)
    peer.clock_offset = timedelta(minutes=20)  # RFC 9421's created
    date = formatdate(ahead.timestamp(), usegmt=True)  # draft-cavage's Date
    response = peer.post(
        server, SHARED_INBOX, peer.follow(blog_url(blog)), scheme=scheme, date=date
    )
    assert response.status_code == 202, response.content


def test_a_followed_accounts_post_links_only_to_its_own_server_and_needs_words(
    federation_on, peer, server, blog, author, client, django_capture_on_commit_callbacks
):

    from wagtail_communityblog.models import RemotePost

    followed_by_member(peer, server, author, client, django_capture_on_commit_callbacks)
    elsewhere = peer.note("<p>Read this</p>", url="http://evil.example/phish")
    assert peer.post(server, SHARED_INBOX, elsewhere).status_code == 202
    assert (
        peer.post(
            server,
            SHARED_INBOX,
            {**peer.note(""), "object": {**peer.note("")["object"], "content": 5}},
        ).status_code
        == 202
    )
    post = RemotePost.objects.get()
    assert post.url == "" and post.link == elsewhere["object"]["id"]
