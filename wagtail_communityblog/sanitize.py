"""Turn whatever HTML a browser sends into the safe subset of Wagtail rich text members may use.

The allow-list is applied on the server with nh3 (the Ammonia sanitiser), whatever editor or
script produced the HTML: only the features in ``rich_text.BODY_FEATURES`` survive. Images are
kept only when they are Wagtail images a member uploaded through the package, and are stored as
Wagtail's own ``<embed embedtype="image">`` so they render through renditions.
"""

import re

import nh3
from bs4 import BeautifulSoup
from django.utils.html import escape

from .typed_markup import CONTENT_TAGS, keep_stray_text, keep_typed_text

ALLOWED_TAGS = {
    "p",
    "br",
    "h2",
    "h3",
    "b",
    "strong",
    "i",
    "em",
    "ol",
    "ul",
    "li",
    "blockquote",
    "a",
    "img",
}
# "*": nothing on every tag (nh3 would otherwise allow ``lang`` and ``title`` everywhere).
ALLOWED_ATTRIBUTES = {"*": set(), "a": {"href"}, "img": {"src", "alt"}}
URL_SCHEMES = {"http", "https", "mailto"}
LINK_REL = "nofollow ugc"

# The editor marks images it uploaded with this fragment, which survives any editor's handling
# of ``src``: "/media/images/x.width-800.jpg#wagtail-image-42".
IMAGE_MARKER = re.compile(r"#wagtail-image-(\d+)$")

_RENAME = {"strong": "b", "em": "i", "h1": "h2", "h4": "h3", "h5": "h3", "h6": "h3"}

_BLOCK_TAGS = {"p", "h2", "h3", "ol", "ul", "blockquote", "embed"}


def _nh3_clean(html, tags, attributes=ALLOWED_ATTRIBUTES):
    return nh3.clean(
        html,
        tags=tags,
        clean_content_tags=CONTENT_TAGS,
        attributes=attributes,
        url_schemes=URL_SCHEMES,
        link_rel=LINK_REL,
        strip_comments=True,
    )


def escape_text(text):
    """Plain text as HTML: ``&``, ``<`` and ``>`` escaped (quotes are safe outside attributes)."""
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def text_as_html(text):
    """Plain text (a summary, a title) as HTML for places that expect HTML, such as feeds.

    The text is escaped, then passed through the body's allow-list anyway, so that whatever
    reaches a reader as HTML has been through the one sanitiser.
    """
    return _nh3_clean(escape_text(text or ""), ALLOWED_TAGS)


def clean_rendered_html(html, root_url=""):
    """Already rendered rich text (``expand_db_html``) through the allow-list again, for HTML
    that leaves the site (federation): whatever is stored, even an editor's or an old row's, goes
    out as the allow-list permits; links and images made absolute on ``root_url``."""
    soup = BeautifulSoup(_nh3_clean(html or "", ALLOWED_TAGS), "html.parser")
    for tag, attribute in (("a", "href"), ("img", "src")):
        for node in soup.find_all(tag):
            value = node.get(attribute, "")
            if value.startswith("/") and not value.startswith("//"):
                node[attribute] = root_url.rstrip("/") + value
    return str(soup)


def clean_html(html, allowed_image_ids=None):
    """Return ``html`` reduced to the allowed features, in Wagtail's rich text storage format.

    ``allowed_image_ids`` is the set of Wagtail image IDs this author may place in the body;
    any other image is dropped.
    """
    html = html or ""
    marked, has_markup = keep_stray_text(html)
    if has_markup:
        html = marked
    else:
        # Plain text (a browser without JavaScript): blank lines separate paragraphs, and a
        # "<" or "&" is just a character.
        html = "".join(
            f"<p>{escape(block).replace(chr(10), '<br>')}</p>"
            for block in re.split(r"\n\s*\n", html.replace("\r\n", "\n"))
            if block.strip()
        )
    # Headings other than h2/h3 become the nearest allowed level rather than losing their text.
    html = re.sub(
        r"<(/?)h([1456])\b", lambda m: f"<{m.group(1)}{'h2' if m.group(2) == '1' else 'h3'}", html
    )
    cleaned = _nh3_clean(html, ALLOWED_TAGS)
    soup = BeautifulSoup(cleaned, "html.parser")
    for name, new_name in _RENAME.items():
        for tag in soup.find_all(name):
            tag.name = new_name
    for img in soup.find_all("img"):
        _replace_image(soup, img, allowed_image_ids or set())
    for link in soup.find_all("a"):
        if not link.get("href"):
            link.unwrap()
    _wrap_loose_inline_content(soup)
    _flatten_nested_blocks(soup)
    for tag in soup.find_all(["p", "h2", "h3", "li", "blockquote"]):
        if not tag.get_text(strip=True) and not tag.find("embed"):
            tag.decompose()
    return str(soup).strip()


def _replace_image(soup, img, allowed_image_ids):
    match = IMAGE_MARKER.search(img.get("src", ""))
    image_id = int(match.group(1)) if match else None
    if image_id is None or image_id not in allowed_image_ids:
        img.decompose()
        return
    embed = soup.new_tag(
        "embed",
        attrs={
            "embedtype": "image",
            "id": str(image_id),
            "format": "fullwidth",
            "alt": img.get("alt", ""),
        },
    )
    # An image is a block in Wagtail rich text: lift it out of the paragraph it sits in.
    container = img
    while container.parent is not None and container.parent.name not in (None, "[document]"):
        container = container.parent
    if container is img:
        img.replace_with(embed)
    else:
        img.extract()
        container.insert_after(embed)


def _wrap_loose_inline_content(soup):
    """Wrap top-level text and inline tags in paragraphs, as Wagtail rich text expects."""
    run = []

    def flush():
        if run and any(_text_of(node).strip() for node in run):
            paragraph = soup.new_tag("p")
            run[0].insert_before(paragraph)
            for node in run:
                paragraph.append(node.extract())
        run.clear()

    for node in list(soup.contents):
        if getattr(node, "name", None) in _BLOCK_TAGS:
            flush()
        elif getattr(node, "name", None) == "br":
            flush()
            node.decompose()
        else:
            run.append(node)
    flush()


def _flatten_nested_blocks(soup):
    """Keep the text of blocks a parser left inside a paragraph or heading (``<b><p>``), not
    the blocks: a paragraph holds no paragraph, and the result must read the same if sanitised
    again."""
    for container in soup.find_all(["p", "h2", "h3"]):
        for block in container.find_all(["p", "h2", "h3", "ol", "ul", "li", "blockquote"]):
            block.unwrap()


def _text_of(node):
    return node.get_text() if hasattr(node, "get_text") else str(node)


def clean_rendered_links(html):
    """Give every link in already-rendered rich text ``rel="nofollow ugc"``.

    Editors may edit member posts in the Wagtail admin, whose editor drops ``rel``; applying it
    at render time keeps the promise whatever happened to the stored HTML.
    """
    soup = BeautifulSoup(html, "html.parser")
    for link in soup.find_all("a", href=True):
        link["rel"] = LINK_REL
    return str(soup)


def editor_html(db_html):
    """Turn stored rich text back into the HTML the member's editor works with.

    Images become ``<img>`` tags carrying their marker (so saving keeps them) and Wagtail's
    internal links become ordinary links; everything else is already editor HTML.
    """
    from wagtail.images import get_image_model
    from wagtail.rich_text import expand_db_html

    soup = BeautifulSoup(db_html or "", "html.parser")
    embeds = soup.find_all("embed", attrs={"embedtype": "image"})
    images = get_image_model().objects.in_bulk(
        [int(e["id"]) for e in embeds if str(e.get("id", "")).isdigit()]
    )
    for embed in embeds:
        image = images.get(int(embed["id"])) if str(embed.get("id", "")).isdigit() else None
        if image is None:
            embed.decompose()
            continue
        rendition = image.get_rendition("max-1200x1200")
        paragraph = soup.new_tag("p")
        paragraph.append(
            soup.new_tag(
                "img",
                attrs={
                    "src": f"{rendition.url}#wagtail-image-{image.pk}",
                    "alt": embed.get("alt", ""),
                },
            )
        )
        embed.replace_with(paragraph)
    return expand_db_html(str(soup))


def image_ids_in(db_html):
    """IDs of the Wagtail images a stored body already shows."""
    soup = BeautifulSoup(db_html or "", "html.parser")
    return {
        int(embed["id"])
        for embed in soup.find_all("embed", attrs={"embedtype": "image"})
        if str(embed.get("id", "")).isdigit()
    }


# Comments: paragraphs, line breaks, links, emphasis and quotes; nothing else.
COMMENT_TAGS = {"p", "br", "b", "strong", "i", "em", "blockquote", "a"}
_URL_IN_TEXT = re.compile(r"https?://[^\s<>\"']+[^\s<>\"'.,;:!?)\]]")


def clean_comment_html(text):
    """Return a comment reduced to the comment subset, with ``rel="nofollow ugc"`` links.

    What members type is text: blank lines separate paragraphs, line breaks are kept and bare
    web addresses become links. The subset's tags (``<b>``, ``<i>``, ``<a>``, ``<blockquote>``)
    may be typed too. Anything else is text as typed: a "<" that does not start one of those
    tags (``a<b``, ``<style>``, ``<span>``) and every "&" are shown, never read as markup.
    """
    text = keep_typed_text((text or "").replace("\r\n", "\n"))
    blocks = []
    for block in re.split(r"\n[ \t]*\n", text):
        block = block.strip()
        if not block:
            continue
        if re.match(r"<(p|blockquote)\b", block, re.I):
            blocks.append(block)
        else:
            blocks.append(f"<p>{block}</p>")
    cleaned = _nh3_clean("".join(blocks), COMMENT_TAGS, attributes={"*": set(), "a": {"href"}})
    soup = BeautifulSoup(cleaned, "html.parser")
    for name, new_name in (("strong", "b"), ("em", "i")):
        for tag in soup.find_all(name):
            tag.name = new_name
    for link in soup.find_all("a"):
        # Only absolute links: a comment has no page of its own for a relative one to mean.
        if not link.get("href", "").startswith(("http://", "https://", "mailto:")):
            link.unwrap()
    _link_bare_addresses(soup)
    _wrap_loose_inline_content(soup)
    _keep_line_breaks(soup)
    _trim_line_breaks(soup)
    for tag in soup.find_all(["p", "blockquote"]):
        if not tag.get_text(strip=True):
            tag.decompose()
    return str(soup).strip()


def clean_federated_html(html):
    """HTML from another server (a reply, a post members follow) reduced to the comment subset:
    unlike a member's typed comment it *is* HTML, so tags outside the subset go and their text
    stays (Mastodon's ``<span class="h-card">`` mentions read as ``@amara``); links are
    absolute or dropped, with ``rel="nofollow ugc"``."""
    cleaned = _nh3_clean(html or "", COMMENT_TAGS, attributes={"*": set(), "a": {"href"}})
    soup = BeautifulSoup(cleaned, "html.parser")
    for name, new_name in (("strong", "b"), ("em", "i")):
        for tag in soup.find_all(name):
            tag.name = new_name
    for link in soup.find_all("a"):
        if not link.get("href", "").startswith(("http://", "https://")):
            link.unwrap()
    _wrap_loose_inline_content(soup)
    _drop_empty_blocks(soup)
    return str(soup).strip()


def _drop_empty_blocks(soup, names=("p", "blockquote")):
    """Remove the ``names`` blocks that hold no text and no line break, in one pass: another
    server's HTML may nest thousands of levels deep, and asking each block for its text would
    take quadratic time."""
    from bs4 import NavigableString

    filled = set()
    for node in soup.descendants:
        if (isinstance(node, NavigableString) and node.strip()) or getattr(
            node, "name", None
        ) == "br":
            parent = node.parent
            while parent is not None and id(parent) not in filled:
                filled.add(id(parent))
                parent = parent.parent
    for tag in soup.find_all(list(names)):
        if id(tag) not in filled and not tag.decomposed:
            tag.decompose()


def _link_bare_addresses(soup):
    from bs4 import NavigableString

    for node in list(soup.find_all(string=_URL_IN_TEXT)):
        if node.find_parent("a") is not None or not isinstance(node, NavigableString):
            continue
        text = str(node)
        pieces = []
        position = 0
        for match in _URL_IN_TEXT.finditer(text):
            pieces.append(text[position : match.start()])
            link = soup.new_tag("a", href=match.group(0), rel=LINK_REL)
            link.string = match.group(0)
            pieces.append(link)
            position = match.end()
        pieces.append(text[position:])
        for piece in pieces:
            if piece == "":
                continue
            node.insert_before(piece)
        node.extract()


def _trim_line_breaks(soup):
    """No line break or space opens or closes a paragraph: typing it again would not bring it
    back (blocks are stripped)."""
    from bs4 import NavigableString

    def blank(node):
        if isinstance(node, NavigableString):
            return not str(node).strip()
        return node.name == "br"

    for block in soup.find_all(["p", "blockquote"]):
        # Two line breaks in a row are a blank line, which typing again makes a new paragraph.
        for br in block.find_all("br"):
            node = br.next_sibling
            while node is not None and blank(node):
                following = node.next_sibling
                node.extract()
                node = following
        while block.contents and blank(block.contents[-1]):
            block.contents[-1].extract()
        while block.contents and blank(block.contents[0]):
            block.contents[0].extract()
        if block.contents and isinstance(block.contents[-1], NavigableString):
            block.contents[-1].replace_with(str(block.contents[-1]).rstrip())
        if block.contents and isinstance(block.contents[0], NavigableString):
            block.contents[0].replace_with(str(block.contents[0]).lstrip())


def _keep_line_breaks(soup):
    """A line break typed inside a paragraph stays one (``<br>``)."""
    from bs4 import NavigableString

    for node in list(soup.find_all(string=re.compile("\n"))):
        if not isinstance(node, NavigableString) or node.find_parent(["p", "blockquote"]) is None:
            continue
        lines = str(node).split("\n")
        for index, line in enumerate(lines):
            if index:
                node.insert_before(soup.new_tag("br"))
            if line:
                node.insert_before(line)
        node.extract()


def comment_text(html):
    """The text a member would type to get this stored comment back (for editing it)."""
    soup = BeautifulSoup(html or "", "html.parser")
    blocks = []
    for node in soup.contents:
        if getattr(node, "name", None) == "p":
            blocks.append("".join(_typed(child) for child in node.contents))
        elif getattr(node, "name", None) is not None or str(node).strip():
            blocks.append(_typed(node))
    return "\n\n".join(blocks)


def _typed(node):
    """``node`` as a member types it: text as it reads, the subset's tags as tags."""
    name = getattr(node, "name", None)
    if name is None:
        # Text: every "<" and "&" in it was typed as a character and is read as one again.
        return str(node)
    if name == "br":
        return "\n"
    inner = "".join(_typed(child) for child in node.contents)
    if name == "a":
        href = node.get("href", "")
        if inner == href:
            return href
        return f'<a href="{escape(href)}">{inner}</a>'
    return f"<{name}>{inner}</{name}>"
