"""Following by e-mail: readers (members or not, double opt-in for the others) follow a blog,
a tag, the promoted posts or the weekly digest of a community; the posts and the digest reach
them once each, as HTML and plain text, with a one-click unsubscribe (RFC 8058)."""

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tests.factories import make_blog, make_community, make_post, make_user
from tests.hostile import HOSTILE_TEXT
from wagtail_communityblog.models import (
    CommunityMember,
    EmailDelivery,
    Follow,
    Follower,
    PostScore,
)
from wagtail_communityblog.services import follows as service
from wagtail_communityblog.tasks import PERIODIC

pytestmark = pytest.mark.django_db

FOLLOW = reverse("wagtail_communityblog:follow")
READER = "reader@example.org"


@pytest.fixture
def community():
    return make_community(title="Community")


@pytest.fixture
def author():
    return make_user("amara")


@pytest.fixture
def blog(community, author):
    return make_blog(community, author, title="Amara on housing")


@pytest.fixture
def run(django_capture_on_commit_callbacks):
    """Run ``action`` with what it queues for after the commit (the outbox's tasks) run, as
    the worker runs them."""

    def running(action, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return action(*args, **kwargs)

    return running


def confirm_link(message):
    [url] = re.findall(r"https?://\S+/follow/\S+/confirm/", message.body)
    return "/" + url.split("://", 1)[1].split("/", 1)[1]


def follow_by_email(client, run, email=READER, **target):
    return run(client.post, FOLLOW, {"email": email, **target})


def confirmed_reader(client, run, blog):
    """An address that followed ``blog`` and confirmed it; the outbox is emptied."""
    follow_by_email(client, run, blog=blog.pk)
    [message] = mail.outbox
    run(client.post, confirm_link(message))
    mail.outbox.clear()
    return Follower.objects.get(email=READER)


def post_mails(to=READER):
    """The e-mails ``to`` got, other than confirmations."""
    return [
        message
        for message in mail.outbox
        if message.to == [to] and not message.subject.startswith("Confirm")
    ]


def html_part(message):
    [(html, kind)] = message.alternatives
    assert kind == "text/html"
    return html


def test_the_follow_page_asks_for_an_address_and_writes_nothing_on_get(client, blog):
    response = client.get(FOLLOW, {"blog": blog.pk})
    assert response.status_code == 200
    html = response.content.decode()
    assert 'name="email"' in html and "Amara on housing" in html
    assert Follower.objects.count() == 0 and Follow.objects.count() == 0


def test_an_address_follows_a_blog_only_once_it_confirms(client, run, blog):
    response = follow_by_email(client, run, blog=blog.pk)
    assert response.status_code == 200
    assert "Check your inbox" in response.content.decode()
    follow = Follow.objects.get()
    assert follow.confirmed_at is None and follow.blog == blog
    [message] = mail.outbox
    assert message.to == [READER] and "Amara on housing" in message.body
    assert html_part(message).count("/confirm/") == 1

    # Before confirming, a new post goes nowhere.
    mail.outbox.clear()
    run(make_post, blog, title="Too early")
    assert post_mails() == []

    # Opening the link confirms nothing (link checkers open links); the button does.
    url = confirm_link(message)
    assert client.get(url).status_code == 200
    assert Follow.objects.get().confirmed_at is None
    response = run(client.post, url)
    assert "Confirmed" in response.content.decode()
    assert Follow.objects.get().confirmed_at is not None

    run(make_post, blog, title="Rent caps now", intro="Why the council must act.")
    [message] = post_mails()
    assert "Rent caps now" in message.subject and "amara" in message.subject
    assert "Why the council must act." in message.body
    assert "Rent caps now" in html_part(message)


def test_asking_again_sends_one_confirmation_and_says_the_same(client, run, community, blog):
    first = follow_by_email(client, run, blog=blog.pk)
    second = follow_by_email(client, run, blog=blog.pk)
    assert first.content == second.content
    assert len(mail.outbox) == 1 and Follow.objects.count() == 1
    # New follows each ask, three times a day at most: a form anyone can post to floods nobody.
    follow_by_email(client, run, community=community.pk, kind="digest")
    follow_by_email(client, run, community=community.pk, kind="promoted")
    assert len(mail.outbox) == 3
    other = make_blog(community, make_user("bea"))
    follow_by_email(client, run, blog=other.pk)
    assert len(mail.outbox) == 3 and Follow.objects.count() == 4


def test_nobody_can_sign_up_somebody_elses_address_without_their_click(client, run, blog):
    confirmed_reader(client, run, blog)
    tagged = make_post(blog, tags=["housing"])
    mail.outbox.clear()
    other = Client()
    follow_by_email(other, run, community=blog.community_id, tag="housing")
    # The answer gives nothing away, and the new follow waits for the owner's click.
    assert Follow.objects.get(kind=Follow.TAG).confirmed_at is None
    [message] = mail.outbox
    assert "Confirm" in message.subject
    assert tagged.pk


def test_each_new_post_reaches_a_follower_once_with_a_one_click_unsubscribe(client, run, blog):
    follower = confirmed_reader(client, run, blog)
    post = run(make_post, blog, title="Rent caps now", tags=["housing"])
    follow_by_email(client, run, community=blog.community_id, tag="housing")  # blog and tag
    run(post.save_revision().publish)  # published again: no news
    run(PERIODIC["retry_emails"].call)
    [message] = post_mails()
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    unsubscribe = message.extra_headers["List-Unsubscribe"].strip("<>")
    assert unsubscribe.startswith("http://") and follower.token in unsubscribe
    assert unsubscribe in message.body and unsubscribe in html_part(message)
    assert EmailDelivery.objects.filter(kind="follow_post").count() == 1

    # A mail client's one-click POST: no session, no CSRF token.
    path = "/" + unsubscribe.split("://", 1)[1].split("/", 1)[1]
    strict = Client(enforce_csrf_checks=True)
    assert strict.get(path).status_code == 200  # a GET only asks
    assert Follow.objects.filter(kind=Follow.BLOG).exists()
    response = strict.post(path, "List-Unsubscribe=One-Click", content_type="text/plain")
    assert response.status_code == 200
    assert not Follow.objects.filter(kind=Follow.BLOG).exists()
    mail.outbox.clear()
    run(make_post, blog, title="After")
    assert post_mails() == []


def test_following_a_blog_and_one_of_its_tags_brings_one_email_per_post(client, run, blog):
    confirmed_reader(client, run, blog)
    make_post(blog, tags=["housing"])  # the tag is in use
    follow_by_email(client, run, community=blog.community_id, tag="housing")
    run(client.post, confirm_link(mail.outbox[-1]))
    mail.outbox.clear()
    run(make_post, blog, title="Both", tags=["housing"])
    assert len(post_mails()) == 1


def test_a_member_follows_with_one_click_and_is_not_told_of_their_own_posts(
    client, run, blog, author
):
    member = make_user("bea")
    client.force_login(member)
    response = run(client.post, FOLLOW, {"blog": blog.pk})
    assert response.status_code == 200
    assert Follow.objects.get().confirmed_at is not None
    assert mail.outbox == []  # no confirmation: the account is the proof
    client.force_login(author)
    run(client.post, FOLLOW, {"blog": blog.pk})  # the author follows their own blog
    run(make_post, blog, title="News")
    assert [message.to for message in mail.outbox] == [[member.email]]


def test_the_manage_page_stops_one_follow_or_all(client, run, blog):
    follower = confirmed_reader(client, run, blog)
    run(client.post, FOLLOW, {"community": blog.community_id, "kind": "digest", "email": READER})
    run(client.post, confirm_link(mail.outbox[-1]))
    manage = reverse("wagtail_communityblog:follow_manage", kwargs={"token": follower.token})
    html = client.get(manage).content.decode()
    assert "Amara on housing" in html and "weekly digest" in html
    blog_follow = Follow.objects.get(kind=Follow.BLOG)
    assert client.post(manage, {"unfollow": blog_follow.pk}).status_code == 302
    assert list(Follow.objects.values_list("kind", flat=True)) == [Follow.DIGEST]
    client.post(manage, {"unfollow": "all"})
    assert Follow.objects.count() == 0
    for nonsense in ("nonsense", "99999999999999999999999", "²", "-1", "0"):
        assert client.post(manage, {"unfollow": nonsense}).status_code == 400


@pytest.mark.parametrize(
    "path",
    ["follow/not-a-token/", "follow/not-a-token/confirm/", "follow/not-a-token/unsubscribe/1/"],
)
def test_a_link_with_a_wrong_token_is_a_404_that_says_so(client, path):
    response = client.post("/community/" + path)
    assert response.status_code == 404
    assert "not valid" in response.content.decode()


def test_someone_elses_follow_cannot_be_stopped_with_my_token(client, run, blog):
    mine = confirmed_reader(client, run, blog)
    theirs = Follow.objects.create(
        follower=Follower.objects.create(email="other@example.org"),
        kind=Follow.BLOG,
        community=blog.community,
        blog=blog,
        confirmed_at=timezone.now(),
    )
    manage = reverse("wagtail_communityblog:follow_manage", kwargs={"token": mine.token})
    assert client.post(manage, {"unfollow": theirs.pk}).status_code == 400
    path = reverse(
        "wagtail_communityblog:follow_unsubscribe",
        kwargs={"token": mine.token, "follow_id": theirs.pk},
    )
    client.post(path)
    assert Follow.objects.filter(pk=theirs.pk).exists()


@pytest.mark.parametrize(
    ("data", "status"),
    [
        ({"blog": "999999", "email": READER}, 404),
        ({"blog": "x' OR 1=1", "email": READER}, 400),
        ({"blog": "²", "email": READER}, 400),
        ({"blog": "99999999999999999999", "email": READER}, 400),
        ({"community": "999999", "kind": "digest", "email": READER}, 404),
        ({"community": "COMMUNITY", "tag": "nobody-uses-it", "email": READER}, 404),
        ({"community": "COMMUNITY", "kind": "everything", "email": READER}, 400),
        ({"blog": "BLOG", "email": "not an address"}, 400),
        ({"blog": "BLOG", "email": ""}, 400),
    ],
)
def test_bad_follow_requests_are_refused_with_a_message_and_change_nothing(
    client, run, community, blog, data, status
):
    ids = {"COMMUNITY": str(community.pk), "BLOG": str(blog.pk)}
    data = {name: ids.get(value, value) for name, value in data.items()}
    response = run(client.post, FOLLOW, data)
    assert response.status_code == status
    assert Follow.objects.count() == 0 and mail.outbox == []
    json = run(client.post, FOLLOW, data, HTTP_ACCEPT="application/json")
    assert json.status_code == status and json.json()["error"]
    assert Follower.objects.count() == 0


def test_a_suspended_members_blog_cannot_be_followed_and_their_posts_go_to_nobody(
    client, run, blog, author
):
    follower = confirmed_reader(client, run, blog)
    CommunityMember.objects.update_or_create(user=author, defaults={"is_suspended": True})
    run(make_post, blog, title="While suspended")
    assert post_mails() == []
    assert (
        run(client.post, FOLLOW, {"blog": blog.pk, "email": "new@example.org"}).status_code == 404
    )
    assert follower.follows.count() == 1


def test_the_follow_form_needs_its_csrf_token(blog):
    strict = Client(enforce_csrf_checks=True)
    assert strict.post(FOLLOW, {"blog": blog.pk, "email": READER}).status_code == 403
    assert Follower.objects.count() == 0


def test_one_address_cannot_flood_inboxes_from_the_follow_form(client, run, blog, settings):
    settings.WAGTAIL_COMMUNITYBLOG_RATE_LIMITS = {"subscribe": "3/h"}
    for number in range(3):
        assert (
            follow_by_email(client, run, f"r{number}@example.org", blog=blog.pk).status_code == 200
        )
    response = follow_by_email(client, run, "r9@example.org", blog=blog.pk)
    assert response.status_code == 429 and response["Retry-After"]
    assert Follower.objects.filter(email="r9@example.org").count() == 0


def digest_follower(client, run, community):
    run(client.post, FOLLOW, {"community": community.pk, "kind": "digest", "email": READER})
    run(client.post, confirm_link(mail.outbox[-1]))
    mail.outbox.clear()


def test_the_weekly_digest_lists_the_weeks_best_posts_once(client, run, community, blog):
    digest_follower(client, run, community)
    old = make_post(blog, title="Last month", when=timezone.now() - timedelta(days=30))
    low = make_post(blog, title="Quiet one")
    high = make_post(blog, title="Loud one")
    PostScore.objects.filter(pk=high.pk).update(score=12)
    PostScore.objects.filter(pk=old.pk).update(score=99)
    mail.outbox.clear()
    assert run(PERIODIC["send_digests"].call) == 1
    assert run(PERIODIC["send_digests"].call) == 0  # retried in the same week: nothing more
    [message] = post_mails()
    assert "Community" in message.subject
    assert message.body.index("Loud one") < message.body.index("Quiet one")
    assert "Last month" not in message.body
    html = html_part(message)
    assert "Loud one" in html and message.extra_headers["List-Unsubscribe"]
    assert low.pk


def test_no_digest_goes_out_for_a_quiet_week(client, run, community, blog):
    digest_follower(client, run, community)
    make_post(blog, when=timezone.now() - timedelta(days=9))
    mail.outbox.clear()
    assert run(PERIODIC["send_digests"].call) == 0
    assert mail.outbox == []


def test_followers_of_promoted_posts_hear_of_each_promotion_once(client, run, community, blog):
    from wagtail_communityblog.services.curation import check_promotion

    run(client.post, FOLLOW, {"community": community.pk, "kind": "promoted", "email": READER})
    run(client.post, confirm_link(mail.outbox[-1]))
    post = make_post(blog, title="Rising")
    mail.outbox.clear()
    PostScore.objects.filter(pk=post.pk).update(vote_count=50, score=50)
    assert run(check_promotion, post.pk)
    assert not run(check_promotion, post.pk)
    [message] = post_mails()
    assert "Rising" in message.subject


@pytest.mark.parametrize("payload", HOSTILE_TEXT[:12])
def test_what_members_wrote_goes_into_the_html_part_as_text(client, run, blog, payload):
    confirmed_reader(client, run, blog)
    run(make_post, blog, title=f"T {payload}", intro=f"I {payload}")
    [message] = post_mails()
    html = html_part(message)
    assert "<script" not in html and "onerror=alert" not in html.replace("onerror=alert(1)&gt;", "")
    assert f"T {payload}" in message.body  # the plain text keeps the words as written
    assert "<img" not in html and "<svg" not in html


def test_an_email_whose_follow_was_stopped_before_it_went_out_is_not_sent(
    client, run, blog, django_capture_on_commit_callbacks
):
    follower = confirmed_reader(client, run, blog)
    with django_capture_on_commit_callbacks(execute=False):
        make_post(blog, title="Queued")  # its e-mails are recorded, their tasks not yet run
    service.unfollow(follower)
    run(PERIODIC["retry_emails"].call)
    for delivery in EmailDelivery.objects.all():
        run(service.deliveries.deliver, delivery.pk)
    assert post_mails() == []


def test_a_member_reaches_their_follows_from_the_dashboard(client, run, blog):
    member = make_user("bea")
    client.force_login(member)
    response = client.get(reverse("wagtail_communityblog:following"))
    assert response.status_code == 200 and "You follow nothing" in response.content.decode()
    run(client.post, FOLLOW, {"blog": blog.pk})
    response = client.get(reverse("wagtail_communityblog:following"))
    assert response.status_code == 302
    assert "Amara on housing" in client.get(response["Location"]).content.decode()
    anonymous = Client().get(reverse("wagtail_communityblog:following"))
    assert anonymous.status_code == 302 and "login" in anonymous["Location"]


def test_pages_link_to_following_by_email_without_a_form_for_anonymous_readers(
    client, community, blog
):
    make_post(blog, tags=["housing"])
    blog_html = client.get(blog.url).content.decode()
    assert f"{FOLLOW}?blog={blog.pk}" in blog_html
    assert "csrfmiddlewaretoken" not in blog_html
    tag_html = client.get(community.url + "tag/housing/").content.decode()
    assert f"{FOLLOW}?community={community.pk}&amp;tag=housing" in tag_html
    index_html = client.get(community.url).content.decode()
    assert "kind=digest" in index_html and "kind=promoted" in index_html


def test_a_members_emails_follow_their_accounts_address_and_stop_when_it_is_closed(
    client, run, blog
):
    member = make_user("bea")
    client.force_login(member)
    run(client.post, FOLLOW, {"blog": blog.pk})
    member.email = "bea.new@example.org"
    member.save()
    run(make_post, blog, title="First")
    assert [message.to for message in mail.outbox] == [["bea.new@example.org"]]
    member.is_active = False
    member.save()
    mail.outbox.clear()
    run(make_post, blog, title="Second")
    assert mail.outbox == []


def test_an_address_is_one_follower_however_it_is_typed(client, run, blog):
    follow_by_email(client, run, "Reader@Example.ORG", blog=blog.pk)
    follow_by_email(client, run, "reader@example.org", blog=blog.pk)
    assert Follower.objects.get().email == "reader@example.org"
    assert Follow.objects.count() == 1 and len(mail.outbox) == 1


def test_an_account_made_with_an_address_does_not_confirm_what_it_followed_before(
    client, run, blog, community
):
    follow_by_email(client, run, blog=blog.pk)  # never confirmed
    member = make_user("late", email=READER)
    client.force_login(member)
    run(client.post, FOLLOW, {"community": community.pk, "kind": "digest"})
    follower = Follower.objects.get()
    assert follower.user == member
    assert follower.follows.get(kind=Follow.BLOG).confirmed_at is None
    assert follower.follows.get(kind=Follow.DIGEST).confirmed_at is not None


@pytest.mark.django_db(transaction=True)
def test_requests_at_once_for_one_address_send_three_confirmations_at_most(site_tree):
    import threading

    from django.db import connection

    community = make_community(title="Community")
    blogs = [make_blog(community, make_user(f"m{number}")) for number in range(4)]
    targets = [{"blog": blog.pk} for blog in blogs] + [
        {"community": community.pk, "kind": kind} for kind in ("digest", "promoted")
    ]
    barrier = threading.Barrier(len(targets))
    statuses = []

    def follow(target):
        try:
            barrier.wait()
            statuses.append(Client().post(FOLLOW, {"email": READER, **target}).status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=follow, args=(target,)) for target in targets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert set(statuses) <= {200, 503}  # SQLite may refuse a writer that waited too long
    confirmations = EmailDelivery.objects.filter(kind="follow_confirm").count()
    assert 1 <= confirmations <= 3


def test_follows_nobody_confirmed_are_forgotten_after_a_week(client, run, blog):
    follow_by_email(client, run, blog=blog.pk)  # never confirmed
    confirmed_reader_client = Client()
    follow_by_email(confirmed_reader_client, run, "kept@example.org", blog=blog.pk)
    run(confirmed_reader_client.post, confirm_link(mail.outbox[-1]))
    assert PERIODIC["forget_unconfirmed_follows"].call() == 0  # not a week old yet
    Follow.objects.update(created_at=timezone.now() - timedelta(days=8))
    Follower.objects.update(created_at=timezone.now() - timedelta(days=8))
    assert PERIODIC["forget_unconfirmed_follows"].call() == 1
    assert list(Follower.objects.values_list("email", flat=True)) == ["kept@example.org"]
    assert Follow.objects.get().confirmed_at is not None
