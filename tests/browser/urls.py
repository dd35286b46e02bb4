"""The example site's URLs, plus its uploaded media: Django serves those only with ``DEBUG``
on, and the live test server runs with it off."""

from django.conf import settings
from django.urls import re_path
from django.views.static import serve

from example.urls import urlpatterns as example_urlpatterns

urlpatterns = [
    re_path(
        r"^{}(?P<path>.*)$".format(settings.MEDIA_URL.lstrip("/")),
        serve,
        {"document_root": settings.MEDIA_ROOT},
    ),
    *example_urlpatterns,
]
