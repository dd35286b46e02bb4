"""WebFinger and NodeInfo, which other servers look for at the root of the site: include these
at the root, ``path("", include("wagtail_communityblog.activitypub_urls"))``, before Wagtail's
own ``include(wagtail_urls)``. They answer 404 while ``WAGTAIL_COMMUNITYBLOG_ACTIVITYPUB`` is off.
"""

from django.urls import path

from .views import activitypub

urlpatterns = [
    path(".well-known/webfinger", activitypub.webfinger, name="wagtail_communityblog_webfinger"),
    path(
        ".well-known/nodeinfo",
        activitypub.nodeinfo_links,
        name="wagtail_communityblog_nodeinfo_links",
    ),
    path("nodeinfo/2.1", activitypub.nodeinfo, name="wagtail_communityblog_nodeinfo"),
]
