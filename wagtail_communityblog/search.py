"""What readers type in the community search, made safe for every search backend.

Wagtail's database backends hand the text to the database's full-text syntax: on SQLite an
unbalanced ``"`` is an "unterminated string" and a NUL byte an error, either a 500. Control
characters never mean anything in a search, and a lone quote is read as a plain word.
"""

import unicodedata

MAX_QUERY_LENGTH = 255


def search_query(raw):
    """The reader's text as a query every backend accepts (``""`` when nothing is left)."""
    text = "".join(
        " " if unicodedata.category(char).startswith("C") else char for char in (raw or "")
    )
    if text.count('"') % 2:
        text = text.replace('"', " ")
    return " ".join(text.split())[:MAX_QUERY_LENGTH].strip()
