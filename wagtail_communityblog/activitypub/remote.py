"""Talking to other servers: fetching their documents and posting to their inboxes, guarded.

Every address comes from another server (a key id, an actor's inbox), so every request is
checked before it is made: ``https://`` only, a host name that resolves to public addresses
only (never loopback, a private network, link-local or the like), no redirects that have not
passed the same check, a timeout, and at most ``ACTIVITYPUB_MAX_BYTES`` read. Otherwise any
server could make ours call into its own network (SSRF). ``ACTIVITYPUB_ALLOW_PRIVATE_ADDRESSES``
lifts the address and scheme checks for development and tests, never on a public site.

The check resolves the name before ``requests`` resolves it again to connect; a name whose
answer changes between the two (DNS rebinding) could slip through, which is why a deployment
should also refuse outgoing connections to its own networks at the firewall (docs/how-to/
activitypub.md).
"""

import ipaddress
import json
import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from urllib.parse import urljoin, urlsplit

import requests

from .. import __version__
from ..conf import app_settings

ACCEPT = 'application/activity+json, application/ld+json; profile="https://www.w3.org/ns/activitystreams"'
USER_AGENT = f"wagtail-communityblog/{__version__} (ActivityPub)"
MAX_REDIRECTS = 3


class RemoteError(Exception):
    """Another server could not be asked, or answered with something unusable."""

    def __init__(self, message, status=None):
        super().__init__(message)
        self.status = status


def host_of(url):
    """The lower-case host name (with a port other than the scheme's) of ``url``; '' when it
    has none or does not parse."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except (ValueError, TypeError, AttributeError):
        return ""
    host = (parts.hostname or "").lower()
    if port and port not in (80, 443):
        host = f"{host}:{port}"
    return host


def check_url(url):
    """Refuse (``RemoteError``) an address the site must not call; return it otherwise."""
    if not isinstance(url, str) or len(url) > 2000:
        raise RemoteError("Not an address.")
    try:
        parts = urlsplit(url)
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as error:
        raise RemoteError(f"Not an address: {error}") from error
    allow_private = app_settings.ACTIVITYPUB_ALLOW_PRIVATE_ADDRESSES
    schemes = ("https", "http") if allow_private else ("https",)
    if parts.scheme not in schemes or not parts.hostname:
        raise RemoteError(f"Only {' or '.join(schemes)} addresses are fetched: {url[:200]}")
    if parts.username or parts.password:
        raise RemoteError("Addresses with credentials are refused.")
    if allow_private:
        return url
    try:
        infos = socket.getaddrinfo(parts.hostname, port, type=socket.SOCK_STREAM)
    except (OSError, ValueError, UnicodeError) as error:
        raise RemoteError(f"Cannot resolve {parts.hostname}: {error}") from error
    for info in infos:
        address = ipaddress.ip_address(info[4][0].split("%")[0])
        if not address.is_global:
            raise RemoteError(f"{parts.hostname} is not a public address.")
    return url


def _read(response, deadline):
    limit = app_settings.ACTIVITYPUB_MAX_BYTES
    length = response.headers.get("Content-Length")
    if length and length.isdigit() and int(length) > limit:
        raise RemoteError(f"The document is larger than {limit} bytes.")
    body = b""
    # chunk_size=None: each piece as it arrives, so a server that sends a byte at a time
    # is stopped at the deadline rather than kept for as long as it drips.
    for chunk in response.iter_content(None):
        body += chunk
        if len(body) > limit:
            raise RemoteError(f"The document is larger than {limit} bytes.")
        if time.monotonic() > deadline:
            raise RemoteError("The server took too long to answer.")
    return body


def _get(url, deadline):
    """One GET (no redirects followed): ``(status, location, body)``."""
    timeout = app_settings.ACTIVITYPUB_FETCH_TIMEOUT
    try:
        with requests.get(
            url,
            headers={"Accept": ACCEPT, "User-Agent": USER_AGENT},
            timeout=timeout,
            allow_redirects=False,
            stream=True,
        ) as response:
            if response.is_redirect:
                return response.status_code, response.headers.get("Location"), b""
            if response.status_code != 200:
                return response.status_code, None, b""
            return 200, None, _read(response, deadline)
    except requests.RequestException as error:
        raise RemoteError(f"{url[:200]}: {type(error).__name__}") from error


# Requests to other servers run on a few threads of their own, so that however slowly another
# server answers (a byte at a time, headers included, each within the read timeout), the
# request or task waiting for it gives up after ACTIVITYPUB_FETCH_TIMEOUT; a slow one left
# behind only holds one of these threads, and while all are busy new ones fail at once rather
# than queue (a delivery is then retried later).
_FETCHERS = ThreadPoolExecutor(max_workers=4, thread_name_prefix="communityblog-fetch")
_BUSY = threading.BoundedSemaphore(4)


def _within(deadline, call, *args):
    """``call(*args)`` on a fetch thread, given up on (``RemoteError``) at ``deadline``."""
    if not _BUSY.acquire(blocking=False):
        raise RemoteError("Too many requests to other servers are under way; try again.")

    def run():
        try:
            return call(*args)
        finally:
            _BUSY.release()

    future = _FETCHERS.submit(run)
    try:
        return future.result(timeout=max(0.0, deadline - time.monotonic()) + 0.5)
    except FutureTimeout as error:
        raise RemoteError(f"{str(args[0])[:200]} took too long to answer.") from error


def fetch_json(url):
    """GET an ActivityPub document (following at most ``MAX_REDIRECTS`` checked redirects),
    all of it within ``ACTIVITYPUB_FETCH_TIMEOUT``."""
    deadline = time.monotonic() + app_settings.ACTIVITYPUB_FETCH_TIMEOUT
    for _hop in range(MAX_REDIRECTS + 1):
        check_url(url)
        status, location, body = _within(deadline, _get, url, deadline)
        if location:
            url = urljoin(url, location)
            continue
        if status == 410:
            raise RemoteError("Gone.", 410)
        if status != 200:
            raise RemoteError(f"{url[:200]} answered {status}.", status)
        try:
            data = json.loads(body)
        except (ValueError, UnicodeDecodeError, RecursionError) as error:
            raise RemoteError(f"{url[:200]} did not answer with usable JSON.") from error
        if not isinstance(data, dict):
            raise RemoteError(f"{url[:200]} did not answer with a JSON object.")
        return data
    raise RemoteError("Too many redirects.")


def _post(url, body, headers):
    try:
        with requests.post(
            url,
            data=body,
            headers={"User-Agent": USER_AGENT, **headers},
            timeout=app_settings.ACTIVITYPUB_FETCH_TIMEOUT,
            allow_redirects=False,
            stream=True,
        ) as response:
            return response.status_code
    except requests.RequestException as error:
        raise RemoteError(f"{url[:200]}: {type(error).__name__}: {error}") from error


def post(url, body, headers):
    """POST ``body`` (bytes) to an inbox within ``ACTIVITYPUB_FETCH_TIMEOUT``; return the
    status code (``RemoteError`` when the server cannot be reached or is too slow)."""
    check_url(url)
    deadline = time.monotonic() + app_settings.ACTIVITYPUB_FETCH_TIMEOUT
    return _within(deadline, _post, url, body, headers)
