from .comments import (
    Comment,
    CommentFlag,
    CommentPreferences,
    CommentRecommendation,
    CommentSubscription,
)
from .curation import Flag, PromotionEvent
from .integrity import PostHold, VoteCluster, VoteClusterMember
from .members import CommunityMember
from .pages import (
    CommunityIndexPage,
    CommunityPostPage,
    CommunityPostTag,
    MemberBlogPage,
    display_name,
)
from .ratings import Rating
from .scores import PostScore

__all__ = [
    "Comment",
    "CommentFlag",
    "CommentPreferences",
    "CommentRecommendation",
    "CommentSubscription",
    "CommunityIndexPage",
    "CommunityMember",
    "CommunityPostPage",
    "CommunityPostTag",
    "Flag",
    "MemberBlogPage",
    "PostHold",
    "PostScore",
    "PromotionEvent",
    "Rating",
    "VoteCluster",
    "VoteClusterMember",
    "display_name",
]
