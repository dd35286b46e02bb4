from .members import CommunityMember
from .pages import (
    CommunityIndexPage,
    CommunityPostPage,
    CommunityPostTag,
    MemberBlogPage,
    display_name,
)
from .scores import PostScore

__all__ = [
    "CommunityIndexPage",
    "CommunityMember",
    "CommunityPostPage",
    "CommunityPostTag",
    "MemberBlogPage",
    "PostScore",
    "display_name",
]
