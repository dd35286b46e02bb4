import pytest
from django.contrib.auth.models import Group, Permission
from django.core.cache import cache

from tests.factories import make_blog, make_community, make_user

# The browser suites' shared fixtures (tests/browser/ and tests/outsider/).
pytest_plugins = ["tests.browser.fixtures"]


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


@pytest.fixture
def site_tree(db):
    """The page tree, locale and site that migrations create, recreated if a transactional
    test's flush has emptied the database (tests with threads need real commits)."""
    from django.conf import settings
    from wagtail.coreutils import get_supported_content_language_variant
    from wagtail.models import Locale, Page, Site

    from home.models import HomePage

    Locale.objects.get_or_create(
        language_code=get_supported_content_language_variant(settings.LANGUAGE_CODE)
    )
    root = Page.get_first_root_node() or Page.add_root(title="Root", slug="root")
    if not Site.objects.filter(is_default_site=True).exists():
        home = HomePage(title="Home", slug="home")
        root.add_child(instance=home)
        Site.objects.create(
            hostname="localhost", root_page=home, is_default_site=True, site_name="Example Party"
        )
    return Site.objects.get(is_default_site=True)


@pytest.fixture
def curator(db):
    """An editor with admin access and the curation permission (Community menu)."""
    user = make_user("curator", is_staff=True)
    group = Group.objects.create(name="Community curators")
    group.permissions.add(
        Permission.objects.get(codename="access_admin"),
        Permission.objects.get(codename="curate_community"),
    )
    user.groups.add(group)
    return user
