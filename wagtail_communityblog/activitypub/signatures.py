"""HTTP Signatures: checking what other servers sign, signing what we deliver.

Two schemes are read, each checked strictly before its signature is:

- **draft-cavage-12** (``Signature: keyId=...,headers=...,signature=...``), what Mastodon and
  most of the fediverse send. ``(request-target)``, ``host``, ``date`` (or ``(created)``)
  and, with a body, ``digest`` must be among the signed headers; the date must be within
  ``ACTIVITYPUB_SIGNATURE_WINDOW`` of our clock; the ``Digest`` must be the body's SHA-256.
  No permissively licensed, maintained library checks it this strictly (apsig, the candidate,
  accepts a signature over ``date`` alone and depends on LGPL code), so the few lines of it are
  here, on ``cryptography``.
- **RFC 9421** (``Signature-Input`` and ``Signature``), checked by ``http-message-signatures``:
  ``@method``, the target (``@target-uri``, or ``@authority`` and ``@path``) and, with a body,
  ``content-digest`` (RFC 9530, checked against the body) must be covered, and ``created``
  within the window.

What we deliver is signed draft-cavage-12 (``rsa-sha256`` over ``(request-target) host date
digest content-type``), which every ActivityPub server reads.

``parse()`` does every check that needs no key and says what is wrong in plain words;
``verify()`` then checks the signature with the signer's public key.
"""

import base64
import hashlib
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import formatdate, parsedate_to_datetime
from urllib.parse import urlsplit

import http_sf
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, padding, rsa
from http_message_signatures import (
    HTTPMessageVerifier,
    HTTPSignatureKeyResolver,
    algorithms,
)
from http_message_signatures.exceptions import HTTPMessageSignaturesException

from ..conf import app_settings

CAVAGE_PARAM = re.compile(r'([A-Za-z]+)=(?:"([^"]*)"|([0-9.]+))')
RFC9421_ALGORITHMS = {
    "rsa-v1_5-sha256": algorithms.RSA_V1_5_SHA256,
    "rsa-pss-sha512": algorithms.RSA_PSS_SHA512,
    "ed25519": algorithms.ED25519,
    "ecdsa-p256-sha256": algorithms.ECDSA_P256_SHA256,
}


class SignatureError(Exception):
    """The request's signature is missing, malformed or fails a check."""


@dataclass
class Signed:
    """A request's signature, checked as far as it can be without the key."""

    scheme: str
    key_id: str
    signature: bytes = b""
    signing_string: bytes = b""
    algorithm: object = None
    message: object = None
    body: bytes = b""
    covered: tuple = field(default_factory=tuple)


def _window():
    return timedelta(seconds=app_settings.ACTIVITYPUB_SIGNATURE_WINDOW)


def _from_timestamp(value, what):
    try:
        return datetime.fromtimestamp(int(value), UTC)
    except (OverflowError, OSError, ValueError) as error:
        raise SignatureError(f"The {what} is not a usable time.") from error


def _check_time(when, what):
    now = datetime.now(UTC)
    if abs(now - when) > _window():
        raise SignatureError(
            f"The {what} ({when:%Y-%m-%d %H:%M:%S} UTC) is more than "
            f"{app_settings.ACTIVITYPUB_SIGNATURE_WINDOW} seconds from this server's clock."
        )


def body_digest(body):
    return base64.b64encode(hashlib.sha256(body).digest()).decode()


def parse(request, body):
    """Read and check the signature of a Django ``request`` whose body is ``body``."""
    if "Signature-Input" in request.headers:
        return _parse_rfc9421(request, body)
    header = request.headers.get("Signature", "")
    if not header:
        authorization = request.headers.get("Authorization", "")
        if authorization.startswith("Signature "):
            header = authorization[len("Signature ") :]
    if not header:
        raise SignatureError(
            "Sign the request with HTTP Signatures (draft-cavage-12 or RFC 9421): it has no "
            "Signature header."
        )
    return _parse_cavage(request, body, header)


def _parse_cavage(request, body, header):
    params = {name: quoted or bare for name, quoted, bare in CAVAGE_PARAM.findall(header)}
    key_id, signature = params.get("keyId", ""), params.get("signature", "")
    if not key_id or not signature:
        raise SignatureError("The Signature header needs a keyId and a signature.")
    if params.get("algorithm", "hs2019").lower() not in ("rsa-sha256", "hs2019", "ed25519"):
        raise SignatureError(f"Unsupported signature algorithm {params['algorithm'][:40]!r}.")
    signed = params.get("headers", "date").lower().split()
    required = {"(request-target)", "host"}
    if body:
        required.add("digest")
    missing = required - set(signed)
    if "date" not in signed and "(created)" not in signed:
        missing.add("date")
    if missing:
        raise SignatureError(f"These must be signed: {', '.join(sorted(missing))}.")
    if "date" in signed:
        try:
            when = parsedate_to_datetime(request.headers.get("Date", ""))
        except (TypeError, ValueError, IndexError, OverflowError) as error:
            raise SignatureError("The Date header is missing or not a date.") from error
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        _check_time(when, "Date header")
    if "(created)" in signed:
        created = params.get("created", "")
        if not created.isdigit():
            raise SignatureError("(created) is signed but the signature has no created time.")
        _check_time(_from_timestamp(created, "created time"), "signature's created time")
    if body:
        digests = dict(
            part.strip().split("=", 1)
            for part in request.headers.get("Digest", "").split(",")
            if "=" in part
        )
        digests = {name.lower(): value for name, value in digests.items()}
        if "sha-256" in digests:
            matches = digests["sha-256"] == body_digest(body)
        elif "sha-512" in digests:
            expected = base64.b64encode(hashlib.sha512(body).digest()).decode()
            matches = digests["sha-512"] == expected
        else:
            raise SignatureError("The Digest header must give the body's SHA-256.")
        if not matches:
            raise SignatureError("The Digest header does not match the body.")
    lines = []
    for name in signed:
        if name == "(request-target)":
            value = f"{request.method.lower()} {request.get_full_path()}"
        elif name in ("(created)", "(expires)"):
            value = params.get(name[1:-1], "")
        elif name == "host":
            value = request.META.get("HTTP_HOST", "")
        else:
            value = request.headers.get(name)
            if value is None:
                raise SignatureError(f"The signed header {name[:40]!r} is missing.")
        lines.append(f"{name}: {value}")
    try:
        raw = base64.b64decode(signature, validate=True)
    except ValueError as error:
        raise SignatureError("The signature is not base64.") from error
    return Signed(
        scheme="cavage",
        key_id=key_id,
        signature=raw,
        signing_string="\n".join(lines).encode(),
        covered=tuple(signed),
    )


class _Message:
    """What ``http-message-signatures`` reads of a request."""

    def __init__(self, method, url, headers):
        self.method, self.url, self.headers = method, url, headers


class _OneKey(HTTPSignatureKeyResolver):
    def __init__(self, public_key):
        self.public_key = public_key

    def resolve_public_key(self, key_id):
        return self.public_key

    def resolve_private_key(self, key_id):  # pragma: no cover - never signs
        raise NotImplementedError


def _parse_rfc9421(request, body):
    try:
        inputs = http_sf.parse(request.headers["Signature-Input"].encode(), tltype="dictionary")
    except Exception as error:  # noqa: BLE001 - http_sf raises several kinds on bad input
        raise SignatureError("The Signature-Input header is not a structured field.") from error
    if not inputs or "Signature" not in request.headers:
        raise SignatureError("An RFC 9421 signature needs Signature-Input and Signature.")
    _label, (components, params) = next(iter(inputs.items()))
    if not isinstance(components, list) or not isinstance(params, dict):
        raise SignatureError("The Signature-Input header is malformed.")
    covered = {item[0] if isinstance(item, tuple) else item for item in components}
    covered = {str(name).lower() for name in covered}
    missing = {"@method"} - covered
    if "@target-uri" not in covered and not {"@authority", "@path"} <= covered:
        missing.add("@target-uri")
    if body and "content-digest" not in covered:
        missing.add("content-digest")
    if missing:
        raise SignatureError(
            f"These must be covered by the signature: {', '.join(sorted(missing))}."
        )
    key_id = params.get("keyid")
    created = params.get("created")
    if not isinstance(key_id, str) or not key_id:
        raise SignatureError("The signature needs a keyid.")
    if not isinstance(created, int) or isinstance(created, bool):
        raise SignatureError("The signature needs its created time.")
    _check_time(_from_timestamp(created, "created time"), "signature's created time")
    algorithm = RFC9421_ALGORITHMS.get(params.get("alg", "rsa-v1_5-sha256"))
    if algorithm is None:
        raise SignatureError(f"Unsupported signature algorithm {str(params.get('alg'))[:40]!r}.")
    message = _Message(
        request.method.upper(), request.build_absolute_uri(), dict(request.headers.items())
    )
    return Signed(
        scheme="rfc9421",
        key_id=key_id,
        algorithm=algorithm,
        message=message,
        body=body,
        covered=tuple(sorted(covered)),
    )


def _load(public_key_pem):
    try:
        return serialization.load_pem_public_key(public_key_pem.encode())
    except (ValueError, TypeError):
        return None


def verify(signed, public_key_pem):
    """Does ``signed`` verify with this public key?"""
    key = _load(public_key_pem)
    if key is None:
        return False
    if signed.scheme == "rfc9421":
        verifier = HTTPMessageVerifier(
            signature_algorithm=signed.algorithm, key_resolver=_OneKey(key)
        )
        # The same window both ways as draft-cavage's (parse() has checked ``created``);
        # the library's own tolerance for a clock ahead of ours is five seconds.
        verifier.max_clock_skew = _window()
        try:
            verifier.verify(
                signed.message,
                body=signed.body or None,
                max_age=_window(),
            )
        except (HTTPMessageSignaturesException, InvalidSignature, ValueError, TypeError):
            return False
        return True
    try:
        if isinstance(key, rsa.RSAPublicKey):
            key.verify(signed.signature, signed.signing_string, padding.PKCS1v15(), hashes.SHA256())
        elif isinstance(key, ed25519.Ed25519PublicKey):
            key.verify(signed.signature, signed.signing_string)
        else:
            return False
    except InvalidSignature:
        return False
    return True


def sign(method, url, body, *, key_id, private_key_pem, content_type):
    """The headers that sign a request (draft-cavage-12, ``rsa-sha256``)."""
    parts = urlsplit(url)
    target = parts.path or "/"
    if parts.query:
        target = f"{target}?{parts.query}"
    headers = {
        "Host": parts.netloc,
        "Date": formatdate(usegmt=True),
        "Digest": f"SHA-256={body_digest(body)}",
        "Content-Type": content_type,
    }
    names = ["(request-target)", "host", "date", "digest", "content-type"]
    values = {
        "(request-target)": f"{method.lower()} {target}",
        "host": headers["Host"],
        "date": headers["Date"],
        "digest": headers["Digest"],
        "content-type": content_type,
    }
    string = "\n".join(f"{name}: {values[name]}" for name in names).encode()
    private_key = serialization.load_pem_private_key(private_key_pem.encode(), password=None)
    signature = base64.b64encode(
        private_key.sign(string, padding.PKCS1v15(), hashes.SHA256())
    ).decode()
    headers["Signature"] = (
        f'keyId="{key_id}",algorithm="rsa-sha256",headers="{" ".join(names)}",'
        f'signature="{signature}"'
    )
    return headers
