"""Front-end URLs: ``path("community/", include("wagtail_communityblog.urls"))``.

Their first path segments are reserved as blog slugs (see ``models.pages.RESERVED_BLOG_SLUGS``),
so they never hide a member's blog when mounted at the community section's own prefix.
"""

from django.urls import path

from . import converters  # noqa: F401  (registers the communityblog_id path converter)
from .http_caching import private
from .views import activitypub, comments, curation, follows, posts, ratings

app_name = "wagtail_communityblog"

urlpatterns = [
    path("dashboard/", posts.dashboard, name="dashboard"),
    path("my-blog/", posts.blog_edit, name="blog_edit"),
    path("write/", posts.post_create, name="post_create"),
    path("posts/<communityblog_id:post_id>/edit/", posts.post_edit, name="post_edit"),
    path("posts/<communityblog_id:post_id>/preview/", posts.post_preview, name="post_preview"),
    path("posts/<communityblog_id:post_id>/delete/", posts.post_delete, name="post_delete"),
    path(
        "posts/<communityblog_id:post_id>/unpublish/", posts.post_unpublish, name="post_unpublish"
    ),
    path("posts/images/", posts.image_upload, name="image_upload"),
    path("posts/<communityblog_id:post_id>/rate/", ratings.rate, name="rate"),
    path("posts/<communityblog_id:post_id>/flag/", curation.flag, name="flag"),
    # Comments
    path(
        "posts/<communityblog_id:post_id>/comments/", comments.comment_create, name="comment_create"
    ),
    path(
        "posts/<communityblog_id:post_id>/comments/follow/",
        comments.comment_follow,
        name="comment_follow",
    ),
    path(
        "posts/<communityblog_id:post_id>/comments/close/",
        comments.comment_close,
        name="comment_close",
    ),
    path(
        "posts/comments/<communityblog_id:comment_id>/reply/",
        comments.comment_reply,
        name="comment_reply",
    ),
    path(
        "posts/comments/<communityblog_id:comment_id>/edit/",
        comments.comment_edit,
        name="comment_edit",
    ),
    path(
        "posts/comments/<communityblog_id:comment_id>/delete/",
        comments.comment_delete,
        name="comment_delete",
    ),
    path(
        "posts/comments/<communityblog_id:comment_id>/recommend/",
        comments.comment_recommend,
        name="comment_recommend",
    ),
    path(
        "posts/comments/<communityblog_id:comment_id>/flag/",
        comments.comment_flag,
        name="comment_flag",
    ),
    path(
        "posts/comments/unsubscribe/<str:token>/",
        comments.comment_unsubscribe,
        name="comment_unsubscribe",
    ),
    path(
        "dashboard/comments/",
        comments.comment_preferences,
        name="comment_preferences",
    ),
    # Following by e-mail
    path("follow/", follows.follow, name="follow"),
    path("follow/<str:token>/", follows.follow_manage, name="follow_manage"),
    path("follow/<str:token>/confirm/", follows.follow_confirm, name="follow_confirm"),
    path(
        "follow/<str:token>/unsubscribe/<communityblog_id:follow_id>/",
        follows.follow_unsubscribe,
        name="follow_unsubscribe",
    ),
    path("dashboard/following/", follows.following, name="following"),
    # ActivityPub (WAGTAIL_COMMUNITYBLOG_ACTIVITYPUB): the actors' collections
    path("ap/inbox/", activitypub.inbox, name="activitypub_shared_inbox"),
    path("ap/follow/", activitypub.remote_follow, name="activitypub_remote_follow"),
    path("ap/interact/", activitypub.interact, name="activitypub_interact"),
    path("ap/following/", activitypub.following_add, name="activitypub_following_add"),
    path(
        "ap/following/<communityblog_id:following_id>/remove/",
        activitypub.following_remove,
        name="activitypub_following_remove",
    ),
    path(
        "ap/actors/<communityblog_id:actor_id>/inbox/",
        activitypub.inbox,
        name="activitypub_inbox",
    ),
    path(
        "ap/actors/<communityblog_id:actor_id>/outbox/",
        activitypub.outbox,
        name="activitypub_outbox",
    ),
    path(
        "ap/actors/<communityblog_id:actor_id>/followers/",
        activitypub.followers,
        name="activitypub_followers",
    ),
]

# Every answer here is for one reader (their dashboard, their vote, a form with their token):
# never kept by a shared cache (see http_caching.py).
for pattern in urlpatterns:
    pattern.callback = private(pattern.callback)
