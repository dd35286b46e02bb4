"""The one exception the services raise when an action cannot be done.

Each service names its own subclass (``VoteError``, ``CommentError``, ``CurationError``,
``PostingError``); the message is for the person who asked, and ``status`` is the HTTP status a
view answers with, so the views turn any of them into a response the same way
(``views.responses.refuse``).
"""


class ActionRefused(Exception):
    """An action that cannot be done; ``str(error)`` says why, ``status`` is the HTTP status."""

    status = 400

    def __init__(self, message, status=None):
        super().__init__(message)
        if status is not None:
            self.status = status


class PostingError(ActionRefused):
    """A post or blog the member asked for cannot be saved, published or removed."""


class VoteError(ActionRefused):
    """A vote that cannot be accepted."""


class CommentError(ActionRefused):
    """A comment, reply, recommendation or report that cannot be made."""


class CurationError(ActionRefused):
    """A report on a post, or an editor's action, that cannot be made."""


class FollowError(ActionRefused):
    """A follow by e-mail that cannot be made, confirmed or changed."""


class FederationError(ActionRefused):
    """A member's follow of an account on another server that cannot be made or undone."""
