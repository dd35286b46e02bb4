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
    "CommunityPostPage",
    "CommunityPostTag",
    "MemberBlogPage",
    "PostScore",
    "display_name",
]
