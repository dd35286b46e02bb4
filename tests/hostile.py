"""A hostile corpus for members' text, and a check that nothing in some HTML can execute.

The payloads are what a member could type into any field: plain-text boxes (titles, summaries,
blog intros, tags, names) as much as the post body. ``assert_inert_html`` judges HTML the way a
browser (or a feed reader) would read it: parsed, not pattern-matched.
"""

import warnings
from urllib.parse import urlsplit

from bs4 import BeautifulSoup, MarkupResemblesLocatorWarning

from tests.test_sanitize import HOSTILE as HOSTILE_HTML

# Payloads aimed at text fields: breaking out of attributes, markup that works only unescaped,
# entity-encoded markup that works if a consumer decodes it once too often.
HOSTILE_TEXT = [
    "'><img src=x onerror=alert(1)>",
    '"><img src=x onerror=alert(1)>',
    '"><script>alert(1)</script>',
    "</title><script>alert(1)</script>",
    "</description><script>alert(1)</script>",
    "]]><script>alert(1)</script><![CDATA[",
    "<svg/onload=alert(1)>",
    "<svg><animate onbegin=alert(1) attributeName=x dur=1s>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    "<math><maction actiontype=statusline xlink:href=javascript:alert(1)>x</maction></math>",
    "<a href=javascript:alert(1)>click</a>",
    "javascript:alert(1)",
    "&lt;script&gt;alert(1)&lt;/script&gt;",
    "&lt;img src=x onerror=alert(1)&gt;",
    "&#60;img src=x onerror=alert(1)&#62;",
    "&#x3C;script&#x3E;alert(1)&#x3C;/script&#x3E;",
    "&amp;lt;script&amp;gt;alert(1)&amp;lt;/script&amp;gt;",
    "<iframe src=javascript:alert(1)>",
    "<body onload=alert(1)>",
    "<details open ontoggle=alert(1)>",
    "<input autofocus onfocus=alert(1)>",
    "<img src=x:x onerror=alert(1)//",
    "<scr<script>ipt>alert(1)</scr</script>ipt>",
    "a<b onmouseover=alert(1)>bold",
    "Never put <style> in a post",
    "x<style>*{display:none}</style>y",
    "<!--<img src=x onerror=alert(1)>-->",
    '<noscript><p title="</noscript><img src=x onerror=alert(1)>">',
    "<template><script>alert(1)</script></template>",
    'Tom & Jerry\'s "quoted" <3',
]

HOSTILE = HOSTILE_TEXT + HOSTILE_HTML

# What rendered member HTML may contain, anywhere it is shown.
INERT_TAGS = {"p", "br", "h2", "h3", "b", "i", "strong", "em", "ol", "ul", "li", "blockquote", "a"}
INERT_ATTRIBUTES = {"a": {"href", "rel"}}
SAFE_SCHEMES = {"", "http", "https", "mailto"}


def parse_html(html):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MarkupResemblesLocatorWarning)
        return BeautifulSoup(html, "html.parser")


def assert_inert_html(html, where=""):
    """Fail if ``html``, parsed as a browser would, holds anything that could run or load."""
    soup = parse_html(html)
    for tag in soup.find_all(True):
        assert tag.name in INERT_TAGS, f"<{tag.name}> survived {where}: {html!r}"
        extra = set(tag.attrs) - INERT_ATTRIBUTES.get(tag.name, set())
        assert not extra, f"attributes {extra} survived on <{tag.name}> {where}: {html!r}"
        if "href" in tag.attrs:
            scheme = urlsplit(tag["href"].strip()).scheme.lower()
            assert scheme in SAFE_SCHEMES, f"href {tag['href']!r} survived {where}: {html!r}"


def html_text(html):
    """The text a browser shows for ``html``."""
    return parse_html(html).get_text()
