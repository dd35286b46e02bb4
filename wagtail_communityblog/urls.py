"""Front-end URLs: ``path("community/", include("wagtail_communityblog.urls"))``.

Their first path segments are reserved as blog slugs (see ``models.pages.RESERVED_BLOG_SLUGS``),
so they never hide a member's blog when mounted at the community section's own prefix.
"""

from django.urls import path

from . import views

app_name = "wagtail_communityblog"

urlpatterns = [
    path("dashboard/", views.dashboard, name="dashboard"),
    path("my-blog/", views.blog_edit, name="blog_edit"),
    path("write/", views.post_create, name="post_create"),
    path("posts/<int:post_id>/edit/", views.post_edit, name="post_edit"),
    path("posts/<int:post_id>/preview/", views.post_preview, name="post_preview"),
    path("posts/<int:post_id>/delete/", views.post_delete, name="post_delete"),
    path("posts/<int:post_id>/unpublish/", views.post_unpublish, name="post_unpublish"),
    path("posts/images/", views.image_upload, name="image_upload"),
    path("posts/<int:post_id>/rate/", views.rate, name="rate"),
    path("posts/<int:post_id>/flag/", views.flag, name="flag"),
]
