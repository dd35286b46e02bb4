"""A site that includes the package's URLs but not its WebFinger and NodeInfo (check W050)."""

from django.urls import include, path
from wagtail import urls as wagtail_urls

urlpatterns = [
    path("community/", include("wagtail_communityblog.urls")),
    path("", include(wagtail_urls)),
]
