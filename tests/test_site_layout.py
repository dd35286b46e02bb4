"""The package's pages inside a base template of someone else's design (issue 16): its other
blocks named its own way (``head_extra``, not ``extra_head``), its own messages and
breadcrumbs, a ``page`` it reads everywhere. Everything the package needs still arrives, and
nothing shows twice."""

import json
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.test import override_settings
from django.urls import reverse

from tests.factories import make_blog, make_community, make_post, make_user
from wagtail_communityblog.checks import check_base_template

pytestmark = pytest.mark.django_db

SITE_TEMPLATES = Path(__file__).parent / "site_templates"
CSS = "wagtail_communityblog/css/communityblog.css"


def templates_with_site_dir():
    templates = [dict(engine) for engine in settings.TEMPLATES]
    templates[0]["DIRS"] = [SITE_TEMPLATES, *templates[0].get("DIRS", [])]
    return templates


def outsider(**extra):
    return override_settings(
        TEMPLATES=templates_with_site_dir(),
        WAGTAIL_COMMUNITYBLOG_BASE_TEMPLATE="outsider_base.html",
        **extra,
    )


@pytest.fixture
def site(db):
    community = make_community()
    author = make_user("amara")
    blog = make_blog(community, author)
    post = make_post(blog, title="Ten doors", tags=["housing"])
    return {"community": community, "blog": blog, "post": post, "author": author}


def assert_in_outsider_layout(html):
    assert html.count("<html") == 1, "one document: the site's"
    assert 'id="outsider-header"' in html
    # The package's stylesheet, exactly once, although the site's head has no block for it.
    assert len(re.findall(re.escape(CSS), html)) == 1


@outsider()
def test_every_public_page_renders_inside_the_sites_layout(client, site):
    community, blog, post = site["community"], site["blog"], site["post"]
    urls = [
        community.url,
        community.url + community.reverse_subpage("blogs_view"),
        community.url + community.reverse_subpage("tag_view", args=["housing"]),
        community.url + community.reverse_subpage("search_view") + "?q=doors",
        blog.url,
        post.url,
    ]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        assert_in_outsider_layout(response.content.decode())
    assert "Ten doors" in client.get(post.url).content.decode()


@outsider()
def test_member_views_render_inside_the_sites_layout_with_a_page_for_it(client, site):
    client.force_login(site["author"])
    for name in ("dashboard", "post_create", "blog_edit"):
        response = client.get(reverse(f"wagtail_communityblog:{name}"))
        html = response.content.decode()
        assert response.status_code == 200, name
        assert_in_outsider_layout(html)
        # The site's base reads ``page``: member views give it the site's home page.
        assert re.search(r'id="outsider-header">Outsider Party: <a href="/">', html), name
    editor = client.get(reverse("wagtail_communityblog:post_create")).content.decode()
    for script in ("vendor/quill/quill.js", "js/editor.js", "vendor/quill/quill.snow.css"):
        assert script in editor, f"{script} is missing from the editor"


@outsider(WAGTAIL_COMMUNITYBLOG_SHOW_MESSAGES=False, WAGTAIL_COMMUNITYBLOG_SHOW_BREADCRUMBS=False)
def test_the_site_shows_messages_and_breadcrumbs_and_the_package_does_not(client, site):
    client.force_login(site["author"])
    data = {"title": "Drafted", "intro": "", "body": "<p>Words.</p>", "tags": "", "action": "draft"}
    response = client.post(reverse("wagtail_communityblog:post_create"), data, follow=True)
    html = response.content.decode()

    assert 'id="outsider-messages"' in html
    assert "communityblog-messages" not in html
    post_page = client.get(site["post"].url).content.decode()
    assert "communityblog-breadcrumb" not in post_page
    assert 'id="outsider-breadcrumbs"' in post_page


@outsider()
def test_by_default_the_package_shows_its_messages_and_breadcrumbs(client, site):
    post_page = client.get(site["post"].url).content.decode()

    assert "communityblog-breadcrumb" in post_page


@override_settings(WAGTAIL_COMMUNITYBLOG_BASE_TEMPLATE=None)
def test_the_standalone_layout_is_a_document_of_its_own(client, site):
    html = client.get(site["post"].url).content.decode()

    assert html.count("<html") == 1
    head = html.split("</head>")[0]
    assert CSS in head and 'rel="alternate"' in head  # stylesheet and feed links in the head
    assert len(re.findall(re.escape(CSS), html)) == 1


def test_the_base_template_check_names_what_is_missing():
    with override_settings(TEMPLATES=templates_with_site_dir()):
        with override_settings(WAGTAIL_COMMUNITYBLOG_BASE_TEMPLATE="outsider_base.html"):
            [warning] = check_base_template(None)
        with override_settings(WAGTAIL_COMMUNITYBLOG_BASE_TEMPLATE="child_of_outsider.html"):
            # Blocks are read through {% extends %}: the child has the parent's content.
            assert [m.id for m in check_base_template(None)] == ["wagtail_communityblog.W031"]
        with override_settings(WAGTAIL_COMMUNITYBLOG_BASE_TEMPLATE="no_content_base.html"):
            [error] = check_base_template(None)
        with override_settings(WAGTAIL_COMMUNITYBLOG_BASE_TEMPLATE="nowhere.html"):
            [missing] = check_base_template(None)
        with override_settings(WAGTAIL_COMMUNITYBLOG_BASE_TEMPLATE="base.html"):
            assert check_base_template(None) == []  # the example site's: both blocks

    assert warning.id == "wagtail_communityblog.W031" and "extra_head" in warning.msg
    assert error.id == "wagtail_communityblog.E031" and "content" in error.msg
    assert missing.id == "wagtail_communityblog.E030"


def home_with_blocks(site_tree, count):
    home = site_tree.root_page.specific
    home.body = json.dumps(
        [
            {"type": "promoted_posts", "value": {"heading": f"Block {n}", "fill_with_newest": True}}
            for n in range(count)
        ]
    )
    home.save_revision().publish()
    return home


@pytest.mark.parametrize("cached", [True, False], ids=["block cache on", "block cache off"])
def test_a_promoted_block_on_a_site_page_brings_the_stylesheet_once(
    client, site, site_tree, cached
):
    """A site page (not the package's) whose base template loads nothing of the package: the
    block brings the stylesheet, once however many blocks the page has, cached or not."""
    # One override for both (pytest-django's ``settings`` inside this one would put the
    # site's layout back when it is undone, for the tests that run after).
    no_cache = {} if cached else {"WAGTAIL_COMMUNITYBLOG_BLOCK_CACHE_TIMEOUT": 0}
    home_with_blocks(site_tree, 2)
    with outsider(**no_cache):
        for _ in range(2):  # the second time from the block cache
            html = client.get("/").content.decode()
            assert "Block 0" in html and "Block 1" in html and "Ten doors" in html
            assert len(re.findall(re.escape(CSS), html)) == 1


@outsider()
def test_a_site_head_loading_the_stylesheet_gets_no_second_copy_from_a_block(
    client, site, site_tree, tmp_path
):
    (tmp_path / "home").mkdir()
    (tmp_path / "home" / "home_page.html").write_text(
        '{% extends "outsider_base.html" %}{% load wagtailcore_tags wagtail_communityblog_tags %}'
        "{% block head_extra %}{% communityblog_assets head=True %}{% endblock %}"
        "{% block content %}{% include_block page.body %}{% endblock %}"
    )
    templates = templates_with_site_dir()
    templates[0]["DIRS"] = [tmp_path, *templates[0]["DIRS"]]
    home_with_blocks(site_tree, 1)
    with override_settings(TEMPLATES=templates):
        html = client.get("/").content.decode()
    head = html.split("</head>")[0]
    assert CSS in head and len(re.findall(re.escape(CSS), html)) == 1
