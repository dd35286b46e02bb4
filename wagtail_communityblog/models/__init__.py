from .comments import (
    Comment,
    CommentFlag,
    CommentPreferences,
    CommentRecommendation,
    CommentSubscription,
)
from .curation import Flag, PromotionEvent
from .deliveries import EmailDelivery
from .federation import (
    ActivityDelivery,
    ActorKey,
    RemoteActor,
    RemoteFollower,
    RemoteFollowing,
    RemotePost,
    RemoteReaction,
    RemoteServer,
)
from .follows import Follow, Follower
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
from .vote_rings import PostHold, VoteCluster, VoteClusterMember

__all__ = [
    "ActivityDelivery",
    "ActorKey",
    "Comment",
    "CommentFlag",
    "CommentPreferences",
    "CommentRecommendation",
    "CommentSubscription",
    "CommunityIndexPage",
    "CommunityMember",
    "CommunityPostPage",
    "CommunityPostTag",
    "EmailDelivery",
    "Flag",
    "Follow",
    "Follower",
    "MemberBlogPage",
    "PostHold",
    "PostScore",
    "PromotionEvent",
    "Rating",
    "RemoteActor",
    "RemoteFollower",
    "RemoteFollowing",
    "RemotePost",
    "RemoteReaction",
    "RemoteServer",
    "VoteCluster",
    "VoteClusterMember",
    "display_name",
]
