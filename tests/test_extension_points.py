"""A site changes the package through its adapter and reacts to it through signals."""

import feedparser
import pytest
from django.core.checks import run_checks
from django.test import override_settings
from django.urls import reverse

from tests.factories import make_blog, make_post, make_user, make_voter
from wagtail_communityblog import signals
from wagtail_communityblog.adapter import DefaultCommunityBlogAdapter, get_adapter
from wagtail_communityblog.models import CommunityPostPage, MemberBlogPage
from wagtail_communityblog.services import comments as comment_service
from wagtail_communityblog.services.members import suspend_member, unsuspend_member
from wagtail_communityblog.services.posts import save_post
from wagtail_communityblog.services.ratings import VoteError, rate_post
from wagtail_communityblog.tasks import send_member_email

pytestmark = pytest.mark.django_db

ADAPTER = "tests.test_extension_points.PartyAdapter"


class PartyAdapter(DefaultCommunityBlogAdapter):
    """A site's adapter: only staff write; members go by "Comrade <username>"; own subjects."""

    def blogging_refusal(self, user):
        refusal = super().blogging_refusal(user)
        if refusal is None and not user.is_staff:
            return "Only party staff write here for now."
        return refusal

    def display_name(self, user):
        return "A former comrade" if user is None else f"Comrade {user.get_username()}"

    def render_mail(self, template_prefix, email, context, headers=None):
        message = super().render_mail(template_prefix, email, context, headers)
        message.subject = f"[Party] {message.subject}"
        return message


def test_the_default_adapter_is_the_packages_own():
    assert type(get_adapter()) is DefaultCommunityBlogAdapter


@override_settings(WAGTAIL_COMMUNITYBLOG_ADAPTER=ADAPTER)
def test_the_adapter_setting_is_read_at_call_time():
    assert isinstance(get_adapter(), PartyAdapter)


@override_settings(WAGTAIL_COMMUNITYBLOG_ADAPTER="tests.nowhere.Adapter")
def test_an_adapter_that_cannot_be_imported_is_a_system_check_error():
    errors = [e for e in run_checks() if e.id == "wagtail_communityblog.E010"]
    assert errors and "tests.nowhere.Adapter" in errors[0].msg


@override_settings(WAGTAIL_COMMUNITYBLOG_ADAPTER=ADAPTER)
def test_an_adapter_can_narrow_who_may_blog(client, community):
    member = make_user("sam")
    client.force_login(member)

    assert client.get(reverse("wagtail_communityblog:dashboard")).status_code == 403
    response = client.post(reverse("wagtail_communityblog:blog_edit"), {"title": "Sneaky"})
    assert response.status_code == 403
    assert "Only party staff write here" in response.content.decode()
    assert not MemberBlogPage.objects.filter(owner=member).exists()

    member.is_staff = True
    member.save()
    assert client.get(reverse("wagtail_communityblog:dashboard")).status_code == 200


@override_settings(WAGTAIL_COMMUNITYBLOG_ADAPTER=ADAPTER)
def test_an_adapter_names_members_on_pages_feeds_and_comments(client, community, blog, member):
    post = make_post(blog, title="Rent controls now")
    with override_settings(WAGTAIL_COMMUNITYBLOG_MODERATION="none"):
        comment = comment_service.create_comment(post, make_user("bea", is_staff=True), "Agreed.")

    page = client.get(post.url).content.decode()
    assert f"Comrade {member.get_username()}" in page
    assert "Comrade bea" in page
    assert comment.author_name == "Comrade bea"
    feed = feedparser.parse(client.get(f"{community.url}feed/").content)
    assert feed.entries[0].author == f"Comrade {member.get_username()}"


@override_settings(WAGTAIL_COMMUNITYBLOG_ADAPTER=ADAPTER)
def test_an_adapter_words_the_e_mails(member, mailoutbox):
    send_member_email.call(
        member.pk,
        "wagtail_communityblog/emails/post_approved",
        {"title": "Rent", "url": "http://x/", "comment": "", "dashboard_url": "http://x/"},
    )
    [message] = mailoutbox
    assert message.subject.startswith("[Party] ")
    assert f"Comrade {member.get_username()}" in message.body


@pytest.fixture
def received():
    """Every signal of ``signals`` as it is received: (signal name, kwargs)."""
    log = []
    names = [
        "post_published",
        "post_unpublished",
        "post_promoted",
        "vote_cast",
        "comment_posted",
        "member_suspended",
        "member_unsuspended",
    ]
    receivers = {}
    for name in names:

        def receiver(sender, signal, name=name, **kwargs):
            log.append((name, sender, kwargs))

        receivers[name] = receiver
        getattr(signals, name).connect(receiver)
    yield log
    for name, receiver in receivers.items():
        getattr(signals, name).disconnect(receiver)


def test_a_vote_is_announced_once_after_commit(django_capture_on_commit_callbacks, blog, received):
    post = make_post(blog)
    voter = make_voter()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        rate_post(post, voter, 1)
    assert [r for r in received if r[0] == "vote_cast"] == []  # nothing before the commit
    for callback in callbacks:
        callback()
    votes = [r for r in received if r[0] == "vote_cast"]
    assert len(votes) == 1
    name, sender, kwargs = votes[0]
    assert kwargs == {"post": post, "user": voter, "value": 1, "counted": True}


def test_a_refused_vote_is_not_announced(
    django_capture_on_commit_callbacks, blog, member, received
):
    post = make_post(blog)
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(VoteError):
        rate_post(post, member, 1)  # one's own post
    assert [r for r in received if r[0] == "vote_cast"] == []


def test_publishing_unpublishing_and_suspending_are_announced(
    django_capture_on_commit_callbacks, blog, member, received
):
    data = {"title": "Signals", "intro": "", "body": "<p>Words.</p>", "tags": []}
    with (
        override_settings(WAGTAIL_COMMUNITYBLOG_MODERATION="none"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        post, status = save_post(member, blog=blog, data=data, action="publish")
    assert status == "published"
    published = [r for r in received if r[0] == "post_published"]
    assert len(published) == 1
    assert published[0][1] is CommunityPostPage
    assert published[0][2]["post"].pk == post.pk and published[0][2]["author"] == member

    editor = make_user("chief", is_staff=True)
    with django_capture_on_commit_callbacks(execute=True):
        suspend_member(member, by=editor, reason="Spam")
    with django_capture_on_commit_callbacks(execute=True):
        unsuspend_member(member, by=editor)
    assert [(r[0], r[2]) for r in received if r[0].startswith("member_")] == [
        ("member_suspended", {"user": member, "by": editor, "reason": "Spam"}),
        ("member_unsuspended", {"user": member, "by": editor}),
    ]


def test_a_comment_and_a_promotion_are_announced(
    django_capture_on_commit_callbacks, community, received
):
    author = make_user("writer")
    post = make_post(make_blog(community, author))
    reader = make_user("bea")
    with (
        override_settings(WAGTAIL_COMMUNITYBLOG_MODERATION="none"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        comment = comment_service.create_comment(post, reader, "Hello.")
    assert [(r[0], r[2]) for r in received if r[0] == "comment_posted"] == [
        ("comment_posted", {"comment": comment, "post": post, "author": reader})
    ]
    with override_settings(
        WAGTAIL_COMMUNITYBLOG_PROMOTION_MIN_VOTES=2, WAGTAIL_COMMUNITYBLOG_PROMOTION_MIN_SCORE=2
    ):
        for _ in range(3):
            with django_capture_on_commit_callbacks(execute=True):
                rate_post(post, make_voter(), 1)
    assert [r[2] for r in received if r[0] == "post_promoted"] == [{"post_id": post.pk}]


RULES = "tests.test_extension_points.PartyRulesAdapter"


class PartyRulesAdapter(DefaultCommunityBlogAdapter):
    """A site's rules: only members with a party address vote; nobody comments on posts whose
    title says the debate is over."""

    def vote_refusal(self, user, post):
        if not user.email.endswith("@party.example"):
            return "Only party members vote on the party's posts."
        return None

    def comment_refusal(self, user, post):
        if post.title.startswith("[Decided]"):
            return "This question is decided; the debate has moved on."
        return super().comment_refusal(user, post)


@override_settings(WAGTAIL_COMMUNITYBLOG_ADAPTER=RULES)
def test_an_adapter_can_narrow_who_may_vote(client, blog):
    post = make_post(blog, title="Rent controls now")
    outsider = make_voter("outsider", email="outsider@example.org")
    client.force_login(outsider)

    page = client.get(post.url).content.decode()
    assert 'name="value"' not in page  # no buttons for a reader the site refuses

    response = client.post(
        reverse("wagtail_communityblog:rate", kwargs={"post_id": post.pk}),
        {"value": "1"},
        HTTP_ACCEPT="application/json",
    )
    assert response.status_code == 403
    assert response.json()["error"] == "Only party members vote on the party's posts."
    with pytest.raises(VoteError):
        rate_post(post, outsider, 1)  # the service asks the adapter too, whoever calls it
    assert not post.ratings.exists()

    comrade = make_voter("comrade", email="comrade@party.example")
    client.force_login(comrade)
    assert 'name="value"' in client.get(post.url).content.decode()
    response = client.post(
        reverse("wagtail_communityblog:rate", kwargs={"post_id": post.pk}),
        {"value": "1"},
        HTTP_ACCEPT="application/json",
    )
    assert response.status_code == 200 and response.json()["counted"] is True


@override_settings(WAGTAIL_COMMUNITYBLOG_ADAPTER=RULES)
def test_an_adapter_cannot_let_a_member_vote_on_their_own_post(blog, member):
    member.email = "writer@party.example"
    member.save()
    with pytest.raises(VoteError, match="own post"):
        rate_post(make_post(blog), member, 1)


@override_settings(
    WAGTAIL_COMMUNITYBLOG_ADAPTER=RULES, WAGTAIL_COMMUNITYBLOG_COMMENT_MODERATION="none"
)
def test_an_adapter_can_narrow_who_may_comment(client, blog):
    decided = make_post(blog, title="[Decided] The manifesto")
    open_post = make_post(blog, title="What next?")
    reader = make_user("bea")
    client.force_login(reader)

    page = client.get(decided.url).content.decode()
    assert "This question is decided; the debate has moved on." in page
    response = client.post(
        reverse("wagtail_communityblog:comment_create", kwargs={"post_id": decided.pk}),
        {"body": "But…"},
        HTTP_ACCEPT="application/json",
    )
    assert response.status_code == 403
    assert response.json()["error"] == "This question is decided; the debate has moved on."
    assert not decided.comments.exists()

    response = client.post(
        reverse("wagtail_communityblog:comment_create", kwargs={"post_id": open_post.pk}),
        {"body": "Organise."},
        HTTP_ACCEPT="application/json",
    )
    assert response.status_code == 201
