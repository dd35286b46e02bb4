"""What the admin's action views share."""

from django.urls import reverse
from wagtail.admin.utils import get_valid_next_url_from_request


class SafeNextMixin:
    """Go back to ``?next=`` after an action, only when it is on this site.

    Wagtail's own check (``get_valid_next_url_from_request``): another host, a scheme-relative
    ``//host`` or ``/\\host``, and a ``javascript:`` URL all fall back to the listing."""

    index_url_name = None

    def get_next_url(self):
        return get_valid_next_url_from_request(self.request) or reverse(self.index_url_name)
