"""Which "<" in what a member sent is markup, and which is text they typed.

Before the sanitiser (``sanitize``) parses anything, each "<" that does not start markup is
escaped, so that a parser cannot read ``a<b holds`` as a bold tag or an unclosed ``<style>``
as the start of a stylesheet that swallows the rest of the post. Posts (HTML from an editor,
or plain text) and comments (a plain-text box) have a rule each: ``keep_stray_text`` and
``keep_typed_text``. Both are linear in their input (benchmarks/sanitize.py).
"""

import re

# Elements removed with their content.
CONTENT_TAGS = {"script", "style", "iframe", "object", "svg", "math", "template"}

# A tag as HTML's tokeniser reads one (WHATWG "tag open" to "data" states): a name, attributes
# (quoted or not, separated by spaces or slashes), and a closing ">". A "<" that starts
# anything else (no name, an unterminated quote, no ">") is text. Possessive quantifiers keep
# the match linear on long input.
_TAG = re.compile(
    r"""<(/?)([a-zA-Z][^\s/>]*+)"""
    r"""(?>(?:\s|/)++[^\s/>=]++(?>\s*+=\s*+(?:"[^"]*+"|'[^']*+'|[^\s>"'][^\s>]*+))?)*+"""
    r"""(?:\s|/)*+>"""
)
_COMMENT_OR_DECLARATION = re.compile(r"<!--.*?-->|<!(?!--)[^>]*>|<\?[^>]*>", re.S)
# Elements that, left open, swallow everything after them: the content tags, and those whose
# content a browser reads as raw text. Opened and never closed, they are text a member typed
# ("Never put <style> in a post"), not markup. ``plaintext`` has no end tag at all.
_MUST_CLOSE = CONTENT_TAGS | {"textarea", "title", "xmp", "noscript", "noembed", "noframes"}
_NEVER_MARKUP = {"plaintext"}


# In a plain-text box only the comment subset's tags, written plainly and in pairs, are
# markup: ``<b>…</b>``, ``<a href="...">…</a>``. ``a<b and b>c`` is text, though a browser
# would read a tag; so is ``I like <b> tags``.
_PLAIN_TAG = re.compile(
    r"""<(/?)(p|br|b|strong|i|em|blockquote)\s*/?>"""
    r"""|<()(a)\s+href\s*=\s*(?:"[^"<>]*"|'[^'<>]*'|[^\s"'<>=`]+)\s*>|<(/)(a)\s*>""",
    re.I,
)


# The longest tag read as one where a quoted value could run past a ">" (a member's editor
# writes nothing near it); a longer one is text. It bounds the work per "<" on hostile input.
MAX_TAG_LENGTH = 4096
# How deep elements left open may nest before further openings are read as text. An editor
# nests a few levels; html5ever's work grows with the square of the open elements (30,000
# unclosed ``<b>`` take ten seconds), so this bounds what one hostile body costs.
MAX_OPEN_ELEMENTS = 100
_VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source"}


def keep_stray_text(html):
    """Escape each "<" in ``html`` that does not start markup, so that it stays text.

    Markup is a well-formed tag, an HTML comment or a declaration; an element from
    ``_MUST_CLOSE`` only when it is closed later. Return the HTML and whether it holds markup.
    Linear in the length of ``html``: every look-ahead below moves forwards only.
    """
    markup = {}
    position = 0
    end = len(html)
    next_gt = next_quote = -1
    last_comment_end = html.rfind("-->")
    closes = _last_closing_tags(html)
    depth = 0
    while (start := html.find("<", position)) != -1:
        if next_gt < start:
            next_gt = html.find(">", start)
        if next_gt == -1:
            # No ">" after this "<": no tag, comment or declaration can start here or later.
            markup.update((index, None) for index in _positions(html, "<", start))
            break
        if next_quote < start:
            quotes = [i for i in (html.find('"', start), html.find("'", start)) if i != -1]
            next_quote = min(quotes) if quotes else end
        # A tag ends at the first ">" unless a quoted value holds one.
        limit = next_gt + 1 if next_quote > next_gt else min(end, start + MAX_TAG_LENGTH)
        match = _markup_at(html, start, limit, start < last_comment_end, closes)
        if match is not None and match.re is _TAG:
            if match.group(1):
                depth = max(depth - 1, 0)
            elif match.group(2).lower() not in _VOID and not match.group(0).endswith("/>"):
                depth += 1
                if depth > MAX_OPEN_ELEMENTS:
                    depth -= 1
                    match = None
        markup[start] = match
        position = match.end() if match else start + 1
    return _escape_outside(html, markup, text_ampersands=False), any(markup.values())


def _positions(text, char, start):
    while (start := text.find(char, start)) != -1:
        yield start
        start += 1


def _last_closing_tags(html):
    """Where each element of ``_MUST_CLOSE`` is last closed in ``html``."""
    last = {}
    for match in re.finditer(r"</([a-zA-Z]+)\s*>", html):
        name = match.group(1).lower()
        if name in _MUST_CLOSE:
            last[name] = match.start()
    return last


def _markup_at(html, start, limit, comment_possible, closes):
    if html.startswith(("<!", "<?"), start):
        if html.startswith("<!--", start) and not comment_possible:
            return None
        return _COMMENT_OR_DECLARATION.match(html, start)
    match = _TAG.match(html, start, limit)
    if match is None:
        return None
    closing, name = match.group(1), match.group(2).lower()
    if name in _NEVER_MARKUP:
        return None
    if not closing and name in _MUST_CLOSE and closes.get(name, -1) < match.end():
        return None
    return match


def keep_typed_text(text):
    """Escape everything in typed ``text`` but the comment subset's tags, written plainly and
    in pairs (``<b>`` with a later ``</b>``); "&" is always a character."""
    candidates = {}
    open_tags = {}  # name: the openings not closed yet, latest last
    for match in _PLAIN_TAG.finditer(text):
        closing, name = (group.lower() for group in match.groups() if group is not None)
        if name == "br":
            candidates[match.start()] = match
        elif not closing:
            open_tags.setdefault(name, []).append(match)
        elif open_tags.get(name):
            opening = open_tags[name].pop()
            candidates[opening.start()] = opening
            candidates[match.start()] = match
    markup = {}
    position = 0
    while (start := text.find("<", position)) != -1:
        match = candidates.get(start)
        markup[start] = match
        position = match.end() if match else start + 1
    return _escape_outside(text, markup, text_ampersands=True)


def _escape_outside(html, markup, text_ampersands):
    """``html`` with each "<" in ``markup`` that maps to None escaped (and "&" outside tags)."""
    pieces = []
    position = 0
    for start, match in sorted(markup.items()):
        text = html[position:start]
        pieces.append(text.replace("&", "&amp;") if text_ampersands else text)
        if match is None:
            pieces.append("&lt;")
            position = start + 1
        else:
            pieces.append(match.group(0))
            position = match.end()
    text = html[position:]
    pieces.append(text.replace("&", "&amp;") if text_ampersands else text)
    return "".join(pieces)
