"""An independent ActivityPub peer for the tests: another server on the fediverse.

It shares no code with the package. Its actor document and inbox are served over real HTTP
on loopback (``http.server`` in a thread), so the site under test fetches its key the way it
would fetch Mastodon's; it signs what it sends with ``http-message-signatures`` (RFC 9421),
or draft-cavage-12 the way Mastodon does (its own signing string, on ``cryptography``); and it
checks the signatures of what the site delivers to it with its own draft-cavage verifier,
against the key the site's actor document publishes.
"""

import base64
import datetime
import email.utils
import hashlib
import json
import re
import threading
import time
from email.utils import parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

import requests
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from http_message_signatures import HTTPMessageSigner, HTTPSignatureKeyResolver, algorithms

AP = "application/activity+json"
AS = "https://www.w3.org/ns/activitystreams"


def new_key():
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return key, public.decode()


class _Resolver(HTTPSignatureKeyResolver):
    def __init__(self, key):
        self.key = key

    def resolve_private_key(self, key_id):
        return self.key

    def resolve_public_key(self, key_id):  # pragma: no cover - the peer only signs with it
        return self.key.public_key()


class Peer:
    """One account, ``@zoe@127.0.0.1:<port>``, on a server of its own."""

    def __init__(self, username="zoe"):
        self.username = username
        self.key, self.public_pem = new_key()
        self.received = []  # (path, headers, body) of what was posted to its inboxes
        self.inbox_status = 202
        self.subscribe_template = None
        self.drip = False
        self.clock_offset = datetime.timedelta(0)
        self.document_changes = {}
        peer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                path = self.path.split("?")[0]
                document = None
                if path == urlsplit(peer.actor_url).path:
                    document = peer.actor_document()
                elif path == "/.well-known/webfinger":
                    document = peer.webfinger_document()
                if document is not None and peer.drip:
                    # A hostile server: headers, then a byte at a time.
                    self.send_response(200)
                    self.send_header("Content-Type", AP)
                    self.end_headers()
                    for byte in json.dumps(document).encode():
                        self.wfile.write(bytes([byte]))
                        self.wfile.flush()
                        time.sleep(0.2)
                    return
                if document is not None:
                    body = json.dumps(document).encode()
                    self.send_response(200)
                    self.send_header("Content-Type", AP)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                else:
                    self.send_response(404)
                    self.send_header("Content-Length", "0")
                    self.end_headers()

            def do_POST(self):
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length)
                peer.received.append((self.path, dict(self.headers.items()), body))
                self.send_response(peer.inbox_status)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.server.server_port}"
        self.actor_url = f"{self.base}/users/{username}"
        self.key_id = f"{self.actor_url}#main-key"
        self.inbox = f"{self.actor_url}/inbox"
        self.shared_inbox = f"{self.base}/inbox"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self._serial = 0

    def close(self):
        self.server.shutdown()
        self.server.server_close()

    def rotate_key(self):
        self.key, self.public_pem = new_key()

    def actor_document(self):
        return {
            "@context": [AS, "https://w3id.org/security/v1"],
            "id": self.actor_url,
            "type": "Person",
            "preferredUsername": self.username,
            "name": "Zoë <b>Peer</b>",
            "inbox": self.inbox,
            "endpoints": {"sharedInbox": self.shared_inbox},
            "publicKey": {
                "id": self.key_id,
                "owner": self.actor_url,
                "publicKeyPem": self.public_pem,
            },
            **self.document_changes,
        }

    def webfinger_document(self):
        links = [{"rel": "self", "type": AP, "href": self.actor_url}]
        if self.subscribe_template:
            links.append(
                {
                    "rel": "http://ostatus.org/schema/1.0/subscribe",
                    "template": self.subscribe_template,
                }
            )
        return {"subject": f"acct:{self.username}@{urlsplit(self.base).netloc}", "links": links}

    @property
    def handle(self):
        return f"@{self.username}@{urlsplit(self.base).netloc}"

    def new_id(self, kind):
        self._serial += 1
        return f"{self.base}/{kind}/{self._serial}"

    # Activities ---------------------------------------------------------------------------

    def follow(self, target):
        return {
            "@context": AS,
            "id": self.new_id("follows"),
            "type": "Follow",
            "actor": self.actor_url,
            "object": target,
        }

    def undo(self, activity):
        return {
            "@context": AS,
            "id": self.new_id("undos"),
            "type": "Undo",
            "actor": self.actor_url,
            "object": activity,
        }

    def reply(self, in_reply_to, html):
        note = {
            "id": self.new_id("notes"),
            "type": "Note",
            "attributedTo": self.actor_url,
            "inReplyTo": in_reply_to,
            "content": html,
            "to": [f"{AS}#Public"],
        }
        return {
            "@context": AS,
            "id": note["id"] + "/activity",
            "type": "Create",
            "actor": self.actor_url,
            "object": note,
        }

    def note(self, html, **fields):
        note = {
            "id": self.new_id("notes"),
            "type": "Note",
            "attributedTo": self.actor_url,
            "content": html,
            "to": [f"{AS}#Public"],
            **fields,
        }
        return {
            "@context": AS,
            "id": note["id"] + "/activity",
            "type": "Create",
            "actor": self.actor_url,
            "object": note,
        }

    def accept(self, follow):
        return {
            "@context": AS,
            "id": self.new_id("accepts"),
            "type": "Accept",
            "actor": self.actor_url,
            "object": follow,
        }

    def like(self, post_url, kind="Like"):
        return {
            "@context": AS,
            "id": self.new_id(kind.lower()),
            "type": kind,
            "actor": self.actor_url,
            "object": post_url,
        }

    # Signing ------------------------------------------------------------------------------

    def sign_rfc9421(self, url, body, headers):
        request = requests.Request("POST", url, data=body, headers=headers).prepare()
        HTTPMessageSigner(
            signature_algorithm=algorithms.RSA_V1_5_SHA256, key_resolver=_Resolver(self.key)
        ).sign(
            request,
            key_id=self.key_id,
            label="sig1",
            covered_component_ids=(
                "@method",
                "@target-uri",
                "@authority",
                "content-digest",
                "date",
            ),
            body=body,
            created=datetime.datetime.now() + self.clock_offset,
        )
        return dict(request.headers.items())

    def sign_cavage(self, url, body, headers):
        parts = urlsplit(url)
        headers = {
            **headers,
            "Host": parts.netloc,
            "Digest": "SHA-256=" + base64.b64encode(hashlib.sha256(body).digest()).decode(),
        }
        names = ["(request-target)", "host", "date", "digest", "content-type"]
        values = {
            "(request-target)": f"post {parts.path}",
            "host": headers["Host"],
            "date": headers["Date"],
            "digest": headers["Digest"],
            "content-type": headers["Content-Type"],
        }
        string = "\n".join(f"{name}: {values[name]}" for name in names).encode()
        signature = base64.b64encode(self.key.sign(string, padding.PKCS1v15(), hashes.SHA256()))
        headers["Signature"] = (
            f'keyId="{self.key_id}",algorithm="rsa-sha256",'
            f'headers="{" ".join(names)}",signature="{signature.decode()}"'
        )
        return headers

    def post(self, client, url, activity, *, scheme="rfc9421", date=None, tamper=None):
        """POST ``activity`` to the site under test (Django's test client), signed."""
        if isinstance(activity, dict):
            activity = {**activity}
        body = activity if isinstance(activity, bytes) else json.dumps(activity).encode()
        full = url if url.startswith("http") else f"http://testserver{url}"
        headers = {"Content-Type": AP, "Date": date or email.utils.formatdate(usegmt=True)}
        sign = self.sign_rfc9421 if scheme == "rfc9421" else self.sign_cavage
        headers = sign(full, body, headers)
        if tamper is not None:
            body, headers = tamper(body, headers)
        meta = {
            "HTTP_" + name.upper().replace("-", "_"): value
            for name, value in headers.items()
            if name.lower() not in ("content-type", "content-length", "host")
        }
        meta["HTTP_HOST"] = urlsplit(full).netloc
        return client.generic(
            "POST", urlsplit(full).path, body, content_type=headers.get("Content-Type", AP), **meta
        )

    # What the site delivered ----------------------------------------------------------------

    def deliveries(self, fetch_json):
        """What the site posted to this peer, each ``(activity, signed_by)``: its signature
        checked against the key of the actor its keyId names (``fetch_json`` reads the site's
        documents). A delivery whose signature does not verify raises."""
        checked = []
        for path, headers, body in self.received:
            key_id = verify_cavage("post", path, headers, body, fetch_json)
            checked.append((json.loads(body), key_id))
        return checked


def verify_cavage(method, path, headers, body, fetch_json, max_skew=300):
    """The peer's own draft-cavage-12 check: required headers signed, date, digest, RSA."""
    h = {name.lower(): value for name, value in headers.items()}
    params = dict(re.findall(r'(\w+)="([^"]*)"', h.get("signature", "")))
    signed = params.get("headers", "date").split()
    assert {"(request-target)", "host", "date", "digest"} <= set(signed), signed
    assert h["digest"] == "SHA-256=" + base64.b64encode(hashlib.sha256(body).digest()).decode()
    assert abs(time.time() - parsedate_to_datetime(h["date"]).timestamp()) < max_skew
    h["(request-target)"] = f"{method} {path}"
    string = "\n".join(f"{name}: {h[name]}" for name in signed).encode()
    actor = fetch_json(params["keyId"].split("#")[0])
    assert actor["publicKey"]["id"] == params["keyId"]
    key = serialization.load_pem_public_key(actor["publicKey"]["publicKeyPem"].encode())
    key.verify(base64.b64decode(params["signature"]), string, padding.PKCS1v15(), hashes.SHA256())
    return params["keyId"]
