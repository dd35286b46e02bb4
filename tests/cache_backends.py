"""Caches that are down, for the outage tests (tests/test_cache_outage.py).

``UnreachableCache`` raises on every call, as Django's own Redis backend does when Redis is
gone; ``SilentCache`` answers nothing and keeps nothing, as django-redis does with
``IGNORE_EXCEPTIONS``.
"""

from django.core.cache.backends.base import BaseCache


class UnreachableCache(BaseCache):
    def __init__(self, location, params):
        super().__init__(params)

    def _down(self, *args, **kwargs):
        raise ConnectionError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    add = get = set = touch = delete = incr = clear = has_key = get_many = set_many = _down


class SilentCache(BaseCache):
    def __init__(self, location, params):
        super().__init__(params)

    def add(self, *args, **kwargs):
        return None

    def get(self, key, default=None, version=None):
        return None

    def incr(self, *args, **kwargs):
        return None

    def set(self, *args, **kwargs):
        return None

    def delete(self, *args, **kwargs):
        return None

    def clear(self):
        return None
