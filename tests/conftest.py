import pytest
from django.core.cache import cache

from tests.factories import make_blog, make_community, make_user


@pytest.fixture
def community(db):
    return make_community()


@pytest.fixture
def member(db):
    return make_user("amara", first_name="Amara", last_name="Okafor")


@pytest.fixture
def blog(community, member):
    return make_blog(community, member, title="Notes from the doorstep", slug="amara")


@pytest.fixture(autouse=True)
def fresh_cache():
    """Rate-limit counters live in the cache; user ids repeat between tests, so start clean."""
    cache.clear()
    yield
    cache.clear()
