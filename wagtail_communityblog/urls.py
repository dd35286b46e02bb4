"""Front-end URLs: ``path("community/", include("wagtail_communityblog.urls"))``.

Their first path segments are reserved as blog slugs (see ``models.pages.RESERVED_BLOG_SLUGS``),
so they never hide a member's blog when mounted at the community section's own prefix.
"""

from django.urls import path

from . import comment_views, views

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
    # Comments
    path("posts/<int:post_id>/comments/", comment_views.comment_create, name="comment_create"),
    path(
        "posts/<int:post_id>/comments/follow/",
        comment_views.comment_follow,
        name="comment_follow",
    ),
    path("posts/<int:post_id>/comments/close/", comment_views.comment_close, name="comment_close"),
    path(
        "posts/comments/<int:comment_id>/reply/",
        comment_views.comment_reply,
        name="comment_reply",
    ),
    path("posts/comments/<int:comment_id>/edit/", comment_views.comment_edit, name="comment_edit"),
    path(
        "posts/comments/<int:comment_id>/delete/",
        comment_views.comment_delete,
        name="comment_delete",
    ),
    path(
        "posts/comments/<int:comment_id>/recommend/",
        comment_views.comment_recommend,
        name="comment_recommend",
    ),
    path("posts/comments/<int:comment_id>/flag/", comment_views.comment_flag, name="comment_flag"),
    path(
        "posts/comments/unsubscribe/<str:token>/",
        comment_views.comment_unsubscribe,
        name="comment_unsubscribe",
    ),
    path(
        "dashboard/comments/",
        comment_views.comment_preferences,
        name="comment_preferences",
    ),
]
