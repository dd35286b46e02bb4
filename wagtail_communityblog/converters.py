"""The package's path converter for row ids in its URLs (front end and admin).

Django's ``int`` converter takes any number of digits, and a number past a 64-bit primary key
reaches the database, which refuses it: a 500 (``OverflowError`` on SQLite, ``DataError`` on
PostgreSQL). This one matches only ids a row can have, so anything else is a 404.
"""

import re

from django.urls import register_converter

MAX_ID = 2**63 - 1
_ROW_ID = re.compile(r"[0-9]{1,19}")


class RowIdConverter:
    regex = "[0-9]{1,19}"

    def to_python(self, value):
        number = int(value)
        if not 0 < number <= MAX_ID:
            raise ValueError(value)  # Django's resolver: this path does not match
        return number

    def to_url(self, value):
        return str(value)


def row_id(value):
    """``value`` (a form's or a query's text) as an id a row can have, or None: the same rule
    as the converter, for ids that do not come in the path."""
    value = str(value or "").strip()
    if not _ROW_ID.fullmatch(value):
        return None
    number = int(value)
    return number if 0 < number <= MAX_ID else None


# A name of the package's own, so it never replaces a converter the site registered.
register_converter(RowIdConverter, "communityblog_id")
