"""Remote actors and their keys: fetched, recorded, checked against a request's HTTP
signature; and the local pages an activity names."""

from urllib.parse import urldefrag, urlsplit

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.html import strip_tags
from wagtail.models import Page, Site

from ... import activitypub
from ...activitypub import remote, signatures
from ...conf import app_settings
from ...models import (
    CommunityIndexPage,
    CommunityPostPage,
    MemberBlogPage,
    RemoteActor,
    RemoteServer,
)
from ...ratelimit import over_limit


class InboxError(Exception):
    """An activity refused: ``status`` (a 4xx) and a message for the sending server."""

    def __init__(self, message, status=400):
        super().__init__(message)
        self.message = message
        self.status = status


# Remote actors and their keys ----------------------------------------------------------------


def _text(value, limit=255):
    return strip_tags(value if isinstance(value, str) else "")[:limit].strip()


def _url(value):
    """An http(s) URL from a document (with a host, and a port that parses), else ''."""
    if isinstance(value, dict):
        value = value.get("id") or value.get("href")
    if not isinstance(value, str) or len(value) > 500:
        return ""
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 - raises ValueError for a port that is not one
    except ValueError:
        return ""
    return value if parts.scheme in ("https", "http") and parts.hostname else ""


def _object_id(value):
    """The id of an activity's object, whether it is embedded or only named."""
    return _url(value)


def server_for(url):
    """The ``RemoteServer`` of ``url``'s host, recorded the first time it is seen."""
    domain = remote.host_of(url)
    server = RemoteServer.objects.filter(domain=domain).first()
    if server is not None:
        return server
    try:
        with transaction.atomic():
            return RemoteServer.objects.create(domain=domain)
    except IntegrityError:
        return RemoteServer.objects.get(domain=domain)


def _key_of(document, key_id):
    """The ``publicKey`` entry ``key_id`` of an actor document (its PEM a string), else None."""
    keys = document.get("publicKey")
    keys = keys if isinstance(keys, list) else [keys]
    for key in keys:
        if (
            isinstance(key, dict)
            and key.get("id") == key_id
            and isinstance(key.get("publicKeyPem"), str)
            and key["publicKeyPem"].strip()
        ):
            return key
    return None


def fetch_key(key_id):
    """Fetch the actor document that publishes ``key_id``: ``(document, key)``, recording
    nothing; ``InboxError`` (401) for a key its actor does not publish, or an actor on another
    host than its key."""
    if not _url(key_id):
        raise InboxError("The keyId is not an http(s) address.", 401)
    try:
        document = remote.fetch_json(key_id)
        if "publicKeyPem" in document and _url(document.get("owner")):
            # A key document of its own (GoToSocial, some others): its owner is the actor.
            document = fetch_actor_document(_url(document["owner"]))
        else:
            document = fetch_actor_document(urldefrag(key_id).url, document)
    except remote.RemoteError as error:
        raise InboxError(f"Could not fetch the signing key {key_id[:200]}: {error}", 401) from error
    actor_url = _url(document.get("id"))
    key = _key_of(document, key_id)
    if not actor_url or key is None or _url(key.get("owner")) not in ("", actor_url):
        raise InboxError("The signing key is not published by its actor.", 401)
    if remote.host_of(actor_url) != remote.host_of(key_id):
        raise InboxError("The signing key and its actor are on different servers.", 401)
    return document, key


def fetch_actor_document(url, document=None):
    """The actor document at ``url`` (``document``, when it has been fetched already), as its
    own address serves it: a document that names another ``id`` than the address it came
    from is fetched again from that ``id``, which must name itself. Otherwise a page anyone
    can publish could claim to be someone else's account and put its key in their place."""
    if document is None:
        document = remote.fetch_json(url)
    claimed = _url(document.get("id"))
    if claimed and claimed != url:
        document = remote.fetch_json(claimed)
        if _url(document.get("id")) != claimed:
            raise remote.RemoteError("The account's document does not name itself.")
    return document


def fetch_actor_for_key(key_id):
    """Fetch and record (``RemoteActor``) the actor of ``key_id``."""
    document, key = fetch_key(key_id)
    return record_actor(document, key)


def record_actor(document, key):
    """Create or refresh the ``RemoteActor`` an actor document describes."""
    actor_url = _url(document.get("id"))
    host = remote.host_of(actor_url)
    inbox = _url(document.get("inbox"))
    # Deliveries go only to the actor's own server, never wherever its document says.
    if not inbox or remote.host_of(inbox) != host:
        raise InboxError("The actor has no inbox on its own server.", 400)
    endpoints = document.get("endpoints") if isinstance(document.get("endpoints"), dict) else {}
    shared_inbox = _url(endpoints.get("sharedInbox"))
    if shared_inbox and remote.host_of(shared_inbox) != host:
        shared_inbox = ""
    values = {
        "server": server_for(actor_url),
        "username": _text(document.get("preferredUsername"))[:255],
        "name": _text(document.get("name")),
        "profile_url": _url(document.get("url")) or actor_url,
        "inbox": inbox,
        "shared_inbox": shared_inbox,
        "key_id": key["id"][:500],
        "public_key_pem": key["publicKeyPem"][:10000],
        "fetched_at": timezone.now(),
    }
    try:
        with transaction.atomic():
            actor, _created = RemoteActor.objects.update_or_create(url=actor_url, defaults=values)
    except IntegrityError:  # recorded at the same moment by another request
        actor = RemoteActor.objects.get(url=actor_url)
    return actor


def verified_actor(request, body):
    """Check the request's HTTP signature; return the remote actor that signed it.

    The key is the one recorded for its ``keyId`` or, the first time, fetched; when the
    signature fails with a recorded key older than ``ACTIVITYPUB_KEY_REFRESH_SECONDS``, the
    key is fetched again once (the actor may have rotated it). A fetched key is recorded only
    once a signature verifies with it: a bad request writes nothing.
    """
    try:
        signed = signatures.parse(request, body)
    except signatures.SignatureError as error:
        raise InboxError(str(error), 401) from error
    if not _url(signed.key_id):
        raise InboxError("The keyId is not an http(s) address.", 401)
    _refuse_blocked_host(remote.host_of(signed.key_id))
    actor = (
        RemoteActor.objects.filter(key_id=signed.key_id).select_related("server").order_by("-pk")
    ).first()
    if actor is not None:
        if signatures.verify(signed, actor.public_key_pem):
            return actor
        age = (timezone.now() - actor.fetched_at).total_seconds()
        if age < app_settings.ACTIVITYPUB_KEY_REFRESH_SECONDS:
            raise InboxError("The signature does not match the request.", 401)
    refused = over_limit(request, "activitypub_fetch", InboxError)
    if refused is not None:
        raise refused
    document, key = fetch_key(signed.key_id)
    if not signatures.verify(signed, key["publicKeyPem"]):
        raise InboxError("The signature does not match the request.", 401)
    return record_actor(document, key)


def own_hosts():
    """The hosts this site answers as (its public address and its Wagtail sites)."""
    from django.conf import settings

    hosts = {remote.host_of(getattr(settings, "WAGTAILADMIN_BASE_URL", "") or "")}
    for site in Site.objects.all():
        hosts.add(remote.host_of(site.root_url))
    hosts.discard("")
    return hosts


def _refuse_blocked_host(domain):
    if RemoteServer.objects.filter(domain=domain, is_blocked=True).exists():
        raise InboxError("This site does not accept activities from your server.", 403)


# Local objects -----------------------------------------------------------------------------


def local_page(url):
    """The page of this site whose ActivityPub id (its full URL) is ``url``, or None."""
    url = _url(url)
    if not url:
        return None
    parts = urlsplit(url)
    path = parts.path if parts.path.endswith("/") else parts.path + "/"
    host = (parts.hostname or "").lower()
    sites = list(Site.objects.select_related("root_page"))
    candidates = [site for site in sites if site.hostname.lower() == host] or sites
    url_paths = [site.root_page.url_path + path.lstrip("/") for site in candidates]
    page = Page.objects.filter(url_path__in=url_paths).first()
    if page is None:
        return None
    page = page.specific
    # The id must be exactly the page's own address, host included.
    if remote.host_of(activitypub.actor_id(page)) != remote.host_of(url):
        return None
    return page


def _local_actor(url):
    page = local_page(url)
    if isinstance(page, (MemberBlogPage, CommunityIndexPage)) and activitypub.refusal(page) is None:
        return page
    return None


def _local_post(url):
    page = local_page(url)
    if isinstance(page, CommunityPostPage) and activitypub.refusal(page) is None:
        return page
    return None
