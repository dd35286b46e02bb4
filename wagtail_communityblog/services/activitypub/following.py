"""Members following accounts on other servers from their blogs (their reading list)."""

import logging
import re
import uuid
from urllib.parse import quote

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from ... import activitypub
from ...activitypub import remote
from ...conf import app_settings
from ...errors import FederationError
from ...models import (
    MemberBlogPage,
    RemoteActor,
    RemoteFollowing,
    RemoteServer,
)
from .actors import InboxError, _text, _url, fetch_actor_document, own_hosts, record_actor
from .outbox import queue_activity

# Members following the fediverse ----------------------------------------------------------

logger = logging.getLogger(__name__)

HANDLE = re.compile(r"^@?(?P<user>[^@\s/:?#]+)@(?P<host>[A-Za-z0-9.-]+(:[0-9]{1,5})?)$")
ACTIVITY_TYPES = {
    activitypub.CONTENT_TYPE,
    'application/ld+json; profile="https://www.w3.org/ns/activitystreams"',
}


def parse_handle(text):
    """``(user, host)`` of ``@user@host`` (or ``user@host``); ``FederationError`` otherwise."""
    match = HANDLE.match((text or "").strip())
    if not match:
        raise FederationError(
            _("Enter an account as @name@server.example, the way the fediverse writes it.")
        )
    return match["user"], match["host"].lower()


def webfinger(handle):
    """The WebFinger document of ``@user@host`` on its own server (https; http too where
    private addresses are allowed, for development)."""
    user, host = parse_handle(handle)
    resource = quote(f"acct:{user}@{host}", safe=":@")
    schemes = ("https", "http") if app_settings.ACTIVITYPUB_ALLOW_PRIVATE_ADDRESSES else ("https",)
    error = None
    for scheme in schemes:
        try:
            return remote.fetch_json(f"{scheme}://{host}/.well-known/webfinger?resource={resource}")
        except remote.RemoteError as problem:
            error = problem
    # What went wrong stays in the log: the page says no more than that it was not found, so
    # it cannot be used to probe what answers where.
    logger.info("WebFinger for @%s@%s failed: %s", user, host, error)
    raise FederationError(
        _("Could not find %(handle)s on its server.") % {"handle": f"@{user}@{host}"}, 404
    )


def _link(jrd, rel, types=None):
    for link in jrd.get("links") or []:
        if not isinstance(link, dict) or link.get("rel") != rel:
            continue
        if types is None or link.get("type") in types:
            return link
    return None


def find_account(handle_or_url):
    """Fetch the account a handle (``@user@host``) or an actor's URL names: ``(document,
    key)``, recording nothing; ``FederationError`` when it cannot be found or its server is
    blocked here."""
    text = (handle_or_url or "").strip()
    if text.startswith(("https://", "http://")):
        actor_url = _url(text)
    else:
        link = _link(webfinger(text), "self", ACTIVITY_TYPES) or {}
        actor_url = _url(link.get("href"))
    if not actor_url:
        raise FederationError(_("That account has no ActivityPub address."), 404)
    if RemoteServer.objects.filter(domain=remote.host_of(actor_url), is_blocked=True).exists():
        raise FederationError(_("This site does not federate with that server."), 403)
    if remote.host_of(actor_url) in own_hosts():
        raise FederationError(
            _("That account is on this site: follow it here, by e-mail or RSS."), 400
        )
    try:
        document = fetch_actor_document(actor_url)
    except remote.RemoteError as error:
        logger.info("Could not read the account %s: %s", actor_url[:200], error)
        raise FederationError(_("Could not read that account."), 404) from error
    actor_url = _url(document.get("id"))
    keys = document.get("publicKey")
    key = (keys[0] if isinstance(keys, list) and keys else keys) or {}
    if (
        not actor_url
        or not isinstance(key, dict)
        or not isinstance(key.get("publicKeyPem"), str)
        or not isinstance(key.get("id"), str)
    ):
        raise FederationError(_("That address is not an ActivityPub account."), 404)
    if remote.host_of(actor_url) != remote.host_of(key["id"]):
        raise FederationError(_("That account's key is on another server."), 404)
    if RemoteActor.objects.filter(url=actor_url, is_blocked=True).exists():
        raise FederationError(_("This site does not federate with that account."), 403)
    return document, key


def describe(handle_or_url):
    """The account as a ``RemoteActor`` that is not saved (for a page that only shows it)."""
    document, _key = find_account(handle_or_url)
    actor_url = _url(document.get("id"))
    return RemoteActor(
        url=actor_url,
        server=RemoteServer(domain=remote.host_of(actor_url)),
        username=_text(document.get("preferredUsername")),
        name=_text(document.get("name")),
        profile_url=_url(document.get("url")) or actor_url,
    )


def lookup(handle_or_url):
    """The remote account a handle or an actor's URL names, fetched and recorded."""
    document, key = find_account(handle_or_url)
    try:
        return record_actor(document, key)
    except InboxError as error:
        raise FederationError(error.message, 404) from error


def subscribe_template(handle):
    """Where the server of ``@user@host`` lets its user follow an address (OStatus's
    subscribe template, which Mastodon and others publish), or None."""
    link = _link(webfinger(handle), "http://ostatus.org/schema/1.0/subscribe") or {}
    template = link.get("template")
    return template if isinstance(template, str) and "{uri}" in template else None


def follow_remote(user, blog, handle_or_url):
    """``user``'s ``blog`` follows a remote account: recorded, and a signed ``Follow`` sent;
    it is in force when the other server accepts. Following again changes nothing."""
    if blog.owner_id != user.pk:
        raise FederationError(_("You can only follow from your own blog."), 403)
    if activitypub.refusal(blog) is not None:
        raise FederationError(_("Only a published, public blog can follow other accounts."), 403)
    actor = lookup(handle_or_url)
    existing = RemoteFollowing.objects.filter(page_id=blog.pk, actor=actor).first()
    if existing is not None:
        return existing
    follow_id = f"{activitypub.actor_id(blog)}#follows/{uuid.uuid4().hex}"
    with transaction.atomic():
        try:
            with transaction.atomic():
                following = RemoteFollowing.objects.create(
                    page_id=blog.pk, actor=actor, follow_id=follow_id
                )
        except IntegrityError:  # the same follow, asked twice at once
            return RemoteFollowing.objects.get(page_id=blog.pk, actor=actor)
        queue_activity(blog, _follow_activity(blog, actor, follow_id), [actor.inbox])
    return following


def _follow_activity(blog, actor, follow_id):
    return {
        "@context": activitypub.AS_CONTEXT,
        "id": follow_id,
        "type": "Follow",
        "actor": activitypub.actor_id(blog),
        "object": actor.url,
    }


def unfollow_remote(user, following):
    """Stop following: a signed ``Undo`` of the ``Follow``, and the row goes."""
    blog = MemberBlogPage.objects.filter(pk=following.page_id).first()
    if blog is None or blog.owner_id != user.pk:
        raise FederationError(_("That is not one of your follows."), 404)
    actor = following.actor
    with transaction.atomic():
        undo = {
            "@context": activitypub.AS_CONTEXT,
            "id": f"{following.follow_id}/undo",
            "type": "Undo",
            "actor": activitypub.actor_id(blog),
            "object": _follow_activity(blog, actor, following.follow_id),
        }
        if activitypub.refusal(blog) is None:
            queue_activity(blog, undo, [actor.inbox])
        following.delete()
