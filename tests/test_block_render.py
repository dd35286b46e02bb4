"""The promoted-posts block computes what it shows in Python, once: the links must be exactly
what ``{% pageurl %}`` gives, on any site's URL settings."""

import pytest
from django.test import RequestFactory, override_settings
from wagtail.models import Site

from tests.factories import make_blog, make_post
from wagtail_communityblog.blocks import Links, PromotedPostsBlock

pytestmark = pytest.mark.django_db


def request_for(site):
    request = RequestFactory().get("/", HTTP_HOST=site.hostname)
    request.site = site
    return request


def assert_same_as_pageurl(pages, request):
    for page in pages:
        assert Links(request).url(type(page), page.url_path) == page.get_url(request=request)


def test_links_are_what_pageurl_gives(community):
    blog = make_blog(community)
    posts = [make_post(blog), make_post(blog, title="Café", tags=())]
    posts[1].slug = "café-au-lait"
    posts[1].save_revision().publish()
    posts[1].refresh_from_db()
    request = request_for(Site.objects.get(is_default_site=True))

    assert_same_as_pageurl([*posts, blog], request)
    with override_settings(WAGTAIL_APPEND_SLASH=False):
        assert_same_as_pageurl([*posts, blog], request)


def test_a_post_of_another_site_gets_its_full_url(community):
    blog = make_blog(community)
    post = make_post(blog)
    default = Site.objects.get(is_default_site=True)
    other = Site.objects.create(hostname="other.example", port=80, root_page=community)

    assert_same_as_pageurl([post, blog], request_for(default))
    assert_same_as_pageurl([post, blog], request_for(other))
    seen_from_other = Links(request_for(other)).url(type(post), post.url_path)
    assert seen_from_other != Links(request_for(default)).url(type(post), post.url_path)


def test_the_rendered_block_links_each_post_and_its_blog(community, rf):
    blog = make_blog(community)
    post = make_post(blog)
    block = PromotedPostsBlock()
    value = block.to_python({"ranking": "new", "count": 5, "show_comments": True})
    request = request_for(Site.objects.get(is_default_site=True))

    html = block.render(value, {"request": request})

    assert f'href="{post.get_url(request=request)}"' in html
    assert f'href="{post.get_url(request=request)}#comments"' in html
    assert f'href="{blog.get_url(request=request)}" rel="author"' in html
    assert "0 points from 0 votes" in html and "0 comments" in html


def test_a_sites_own_template_still_gets_the_posts_as_pages(community, django_assert_num_queries):
    from django.template import Context, Template

    blog = make_blog(community)
    post = make_post(blog, title="Budget line")
    block = PromotedPostsBlock()
    value = block.to_python({"ranking": "new", "count": 5})
    request = request_for(Site.objects.get(is_default_site=True))
    context = block.get_context(value, {"request": request})
    # The package's own template reads the cards only: the pages are not loaded for it.
    assert [card.title for card in context["cards"]] == ["Budget line"]
    template = Template(
        "{% load wagtailcore_tags %}{% for post in posts %}{% pageurl post %}|"
        "{{ post.score.blog.title }}|{{ post.block_url }}|{{ post.is_pinned_here }};{% endfor %}"
    )

    with django_assert_num_queries(1):  # the posts, when a template first reads them
        html = template.render(Context(context))

    from django.utils.html import escape

    url = post.get_url(request=request)
    assert html == f"{url}|{escape(blog.title)}|{url}|False;"


@override_settings(USE_THOUSAND_SEPARATOR=True)
def test_counts_are_printed_as_the_site_prints_numbers(community):
    from wagtail_communityblog.models import PostScore

    post = make_post(make_blog(community))
    PostScore.objects.filter(pk=post.pk).update(score=1234, vote_count=1500, comment_count=1001)
    block = PromotedPostsBlock()
    value = block.to_python({"ranking": "new", "count": 1, "show_comments": True})

    html = block.render(value, {"request": request_for(Site.objects.get(is_default_site=True))})

    assert "1,234 points from 1,500 votes" in html and "1,001 comments" in html


@pytest.mark.parametrize("cache_timeout", [0, 300])  # the labels alone; the cached block
def test_labels_follow_the_readers_time_zone_and_language_render_after_render(
    community, cache_timeout, settings
):
    from datetime import UTC, datetime

    from django.utils import timezone, translation

    from wagtail_communityblog.services.listing import set_first_published_at

    settings.WAGTAIL_COMMUNITYBLOG_BLOCK_CACHE_TIMEOUT = cache_timeout
    post = make_post(make_blog(community))
    # 23:30 UTC on 1 March: still 1 March in London, already 2 March in Kiritimati.
    set_first_published_at(post, datetime(2026, 3, 1, 23, 30, tzinfo=UTC))
    block = PromotedPostsBlock()
    value = block.to_python({"ranking": "new", "count": 1, "min_votes": 0})
    context = {"request": request_for(Site.objects.get(is_default_site=True))}

    def label():
        html = block.render(value, context)
        return html.split('<time datetime="')[1].split("</time>")[0]

    with timezone.override("Europe/London"):
        london = label()
    with timezone.override("Pacific/Kiritimati"):
        kiritimati = label()
    with timezone.override("Europe/London"):
        assert label() == london  # labels are remembered per zone, not shared between zones
    assert london == '2026-03-01T23:30:00+0000">1 Mar 2026'
    assert kiritimati == '2026-03-02T13:30:00+1400">2 Mar 2026'
    with translation.override("de"), timezone.override("Europe/London"):
        assert label().endswith("1. März 2026")


def test_two_posts_an_hour_apart_when_the_clocks_go_back_keep_their_own_offsets(community):
    from datetime import UTC, datetime

    from django.utils import timezone

    from wagtail_communityblog.services.listing import set_first_published_at

    blog = make_blog(community)
    summer, winter = make_post(blog), make_post(blog)
    # 02:30 in Berlin twice on 25 October 2026: first in summer time, then in winter time.
    set_first_published_at(summer, datetime(2026, 10, 25, 0, 30, tzinfo=UTC))
    set_first_published_at(winter, datetime(2026, 10, 25, 1, 30, tzinfo=UTC))
    block = PromotedPostsBlock()
    value = block.to_python(
        {"ranking": "new", "count": 2, "min_votes": 0, "pinned": [summer.pk, winter.pk]}
    )

    with timezone.override("Europe/Berlin"):
        html = block.render(value, {"request": request_for(Site.objects.get(is_default_site=True))})

    assert 'datetime="2026-10-25T02:30:00+0200"' in html
    assert 'datetime="2026-10-25T02:30:00+0100"' in html
