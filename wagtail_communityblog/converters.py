"""The package's path converter for row ids in its URLs (front end and admin).

Django's ``int`` converter takes any number of digits, and a number past a 64-bit primary key
reaches the database, which refuses it: a 500 (``OverflowError`` on SQLite, ``DataError`` on
PostgreSQL). This one matches only ids a row can have, so anything else is a 404.
"""

from django.urls import register_converter

MAX_ID = 2**63 - 1


class RowIdConverter:
    regex = "[0-9]{1,19}"

    def to_python(self, value):
        number = int(value)
        if not 0 < number <= MAX_ID:
            raise ValueError(value)  # Django's resolver: this path does not match
        return number

    def to_url(self, value):
        return str(value)


# A name of the package's own, so it never replaces a converter the site registered.
register_converter(RowIdConverter, "communityblog_id")
