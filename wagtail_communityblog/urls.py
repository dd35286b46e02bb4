"""Front-end URLs: ``path("community/", include("wagtail_communityblog.urls"))``."""

app_name = "wagtail_communityblog"

urlpatterns = []
