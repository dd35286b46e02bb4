from wagtail.api.v2.router import WagtailAPIRouter
from wagtail.images.api.v2.views import ImagesAPIViewSet

from wagtail_communityblog.api import CommunityPagesAPIViewSet

api_router = WagtailAPIRouter("wagtailapi")
# Wagtail's pages endpoint, less the posts of suspended members.
api_router.register_endpoint("pages", CommunityPagesAPIViewSet)
api_router.register_endpoint("images", ImagesAPIViewSet)
