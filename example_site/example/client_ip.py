"""The reader's address behind the caching proxy, for the rate limits of readers who are not
logged in (``RATELIMIT_IP_META_KEY`` in the production settings).

Varnish appends the address it was reached from to ``X-Forwarded-For``: the last entry is the
one to trust (what comes before it, the client may have written). Straight to an app server
(no proxy in front), ``REMOTE_ADDR``.
"""


def client_ip(request):
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    last = forwarded.rsplit(",", 1)[-1].strip()
    return last or request.META.get("REMOTE_ADDR", "")
