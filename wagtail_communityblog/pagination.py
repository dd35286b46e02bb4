"""Keyset pagination: a page of a listing read from just after (or before) a cursor.

A cursor is the sort keys of the last (or first) row shown, so any page, however deep, is one
index range scan, and the listing is never counted. The keys each listing sorts on are
``models.querysets.LISTING_KEYS``.
"""

import base64
import binascii
import json
import math
from collections.abc import Sequence

from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import models
from django.db.models import F, Field, Func, Value
from django.db.models.lookups import GreaterThan, LessThan

from .conf import app_settings


class Row(Func):
    """A row value, ``(a, b, c)``: compared column by column, as one index condition."""

    function = ""
    template = "(%(expressions)s)"
    output_field = Field()


class ListingPage(Sequence):
    """One page of a listing, as a paginator's page but without counting the whole listing.

    ``next_cursor`` and ``previous_cursor`` are the keys of the last and first post shown:
    the next page is read with ``?after=``, the previous one with ``?before=``, each an index
    range scan however deep the page. ``paginator`` is ``None``: the total is not counted.
    """

    paginator = None

    def __init__(self, object_list, number, has_next, has_previous, keys):
        self.object_list = object_list
        self.number = number
        self._has_next = has_next
        self._has_previous = has_previous
        self.keys = keys

    def __len__(self):
        return len(self.object_list)

    def __getitem__(self, index):
        return self.object_list[index]

    def __repr__(self):
        return f"<ListingPage {self.number}>"

    def has_next(self):
        return self._has_next

    def has_previous(self):
        return self._has_previous

    def has_other_pages(self):
        return self._has_next or self._has_previous

    def next_page_number(self):
        return self.number + 1

    def previous_page_number(self):
        return max(self.number - 1, 1)

    @property
    def next_cursor(self):
        return encode_cursor(self.object_list[-1], self.keys) if self.object_list else ""

    @property
    def previous_cursor(self):
        return encode_cursor(self.object_list[0], self.keys) if self.object_list else ""


def key_values(obj, keys):
    values = []
    for key in keys:
        value = obj
        for attribute in key.split("__"):
            value = getattr(value, attribute)
        values.append(value)
    return values


def key_fields(model, keys):
    fields = []
    for key in keys:
        current, field = model, None
        for name in key.split("__"):
            field = current._meta.get_field(name)
            current = field.related_model
        fields.append(field)
    return fields


def encode_cursor(obj, keys):
    """An opaque, URL-safe token holding the sort keys of ``obj``."""
    values = [
        value.isoformat() if hasattr(value, "isoformat") else value
        for value in key_values(obj, keys)
    ]
    raw = json.dumps(values, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(token, model, keys):
    """The sort keys in ``token``, typed as the columns; ``None`` for anything malformed."""
    if not token or len(token) > 512:
        return None
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        values = json.loads(raw)
        fields = key_fields(model, keys)
        if not isinstance(values, list) or len(values) != len(fields):
            return None
        typed = []
        for field, value in zip(fields, values, strict=True):
            if value is None or isinstance(value, (list, dict, bool)):
                return None
            if isinstance(field, (models.FloatField,)) and not isinstance(value, (int, float)):
                return None
            if isinstance(value, float) and not math.isfinite(value):
                return None  # JSON's Infinity and NaN: no column holds them
            if isinstance(value, int) and not -MAX_INT <= value <= MAX_INT:
                return None  # beyond a 64-bit column: the database would refuse the query
            typed.append(field.to_python(value))
        if any(value is None for value in typed):
            return None
        return list(zip(fields, typed, strict=True))
    except (ValueError, TypeError, ValidationError, binascii.Error, UnicodeDecodeError):
        return None


# The largest value a 64-bit integer column holds, and the deepest ``?page=`` read by OFFSET
# (beyond it, the last page, as for any page past the end).
MAX_INT = 2**63 - 1
MAX_PAGE = 100_000


def _parse_number(raw):
    if raw is None or len(raw) > 20:
        return None if raw is None else MAX_PAGE + 1
    try:
        return int(raw)
    except (TypeError, ValueError):
        return None


def listing_page(request, queryset, keys, per_page=None):
    """The page of ``queryset`` the request asks for, without counting the whole listing.

    ``?after=<cursor>`` (the "Next" links) and ``?before=<cursor>`` (the "Previous" links)
    read the page right after or right before a post with one index range scan, however deep;
    ``?page=N`` alone still works, with ``OFFSET`` (for links made before cursors, and shallow
    pages). ``page`` beside a cursor is only the number shown. A malformed cursor falls back to
    ``?page=``; a page number that is not a number is page 1, and one past the end (or below 1)
    shows the last page, as Django's ``Paginator.get_page()`` does.
    """
    per_page = per_page or app_settings.POSTS_PER_PAGE
    ordered = queryset.order_by(*(f"-{key}" for key in keys))
    number = _parse_number(request.GET.get("page"))
    model = queryset.model
    after = decode_cursor(request.GET.get("after"), model, keys)
    before = None if after else decode_cursor(request.GET.get("before"), model, keys)
    if after or before:
        fields, values = zip(*(after or before), strict=True)
        row = Row(*(F(key) for key in keys))
        bound = Row(*(Value(v, output_field=f) for f, v in zip(fields, values, strict=True)))
        if after:
            rows = list(ordered.filter(LessThan(row, bound))[: per_page + 1])
            if rows:
                shown = max(number or 2, 2)
                return ListingPage(rows[:per_page], shown, len(rows) > per_page, True, keys)
            # Past the end (the posts after it were withdrawn): as ``?page=`` alone would.
        else:
            # The posts just above the cursor, read upwards, shown in the listing's order.
            above = list(queryset.order_by(*keys).filter(GreaterThan(row, bound))[: per_page + 1])
            if len(above) > per_page:
                return ListingPage(above[:per_page][::-1], max(number or 2, 2), True, True, keys)
            # Within the first page's reach: the first page, read from the top.
            number = 1
    number = number if number is not None else 1
    if 1 <= number <= MAX_PAGE:
        offset = (number - 1) * per_page
        rows = list(ordered[offset : offset + per_page + 1])
        if rows or number == 1:
            return ListingPage(rows[:per_page], number, len(rows) > per_page, number > 1, keys)
    # Out of range: the last page, as before (the only case that counts the listing).
    last = Paginator(ordered, per_page).get_page(number)
    rows = list(last.object_list)
    return ListingPage(rows, last.number, False, last.number > 1, keys)
