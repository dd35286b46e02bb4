"""Filters of the admin's vote and post listings."""

import django_filters
from django.utils.translation import gettext_lazy as _
from wagtail.admin.filters import DateRangePickerWidget, WagtailFilterSet

from ..models import CommunityIndexPage, PostScore, Rating


class RatingFilterSet(WagtailFilterSet):
    post = django_filters.NumberFilter(field_name="post_id", label=_("Post ID"))
    voter = django_filters.CharFilter(
        field_name="user__username", lookup_expr="icontains", label=_("Voter")
    )
    value = django_filters.NumberFilter(label=_("Value"))
    counted = django_filters.BooleanFilter(label=_("Counted"))
    created_at = django_filters.DateFromToRangeFilter(
        label=_("Cast between"), widget=DateRangePickerWidget
    )

    class Meta:
        model = Rating
        fields = ["post", "voter", "value", "counted", "created_at"]


class PostFilterSet(WagtailFilterSet):
    community = django_filters.ModelChoiceFilter(
        field_name="community", queryset=CommunityIndexPage.objects.all(), label=_("Community")
    )
    is_pinned = django_filters.BooleanFilter(label=_("Pinned"))
    is_hidden = django_filters.BooleanFilter(label=_("Hidden"))
    promoted = django_filters.BooleanFilter(
        field_name="promoted_at", lookup_expr="isnull", exclude=True, label=_("Promoted")
    )
    published_at = django_filters.DateFromToRangeFilter(
        label=_("Published between"), widget=DateRangePickerWidget
    )

    class Meta:
        model = PostScore
        fields = ["community", "is_pinned", "is_hidden", "promoted", "published_at"]
