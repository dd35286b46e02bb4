"""Member blogs, reader ratings and promoted posts for Wagtail sites."""

__version__ = "0.1.0"
