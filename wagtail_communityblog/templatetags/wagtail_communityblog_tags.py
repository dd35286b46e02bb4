from django import template
from django.utils.safestring import mark_safe
from wagtail.templatetags.wagtailcore_tags import richtext

from .. import layout, sharing
from ..conf import app_settings
from ..links import login_url_for
from ..models.ratings import lasting_vote_refusal
from ..rating_schemes import get_scheme
from ..sanitize import clean_rendered_links

register = template.Library()


@register.filter
def ugc_richtext(value):
    """Render member rich text like ``|richtext``, with ``rel="nofollow ugc"`` on every link."""
    return mark_safe(clean_rendered_links(str(richtext(value))))  # noqa: S308


@register.simple_tag(takes_context=True)
def communityblog_messages_once(context):
    """True the first time a page asks, False after: ``includes/messages.html`` shows Django's
    messages once per response, even when the site's base template includes it too (twice,
    a screen reader would announce every message twice)."""
    if not app_settings.SHOW_MESSAGES:
        return False  # the site's base template shows them (WAGTAIL_COMMUNITYBLOG_SHOW_MESSAGES)
    request = context.get("request")
    if request is None:
        return True
    shown = getattr(request, "_communityblog_messages_shown", False)
    request._communityblog_messages_shown = True
    return not shown


@register.simple_tag(takes_context=True)
def communityblog_assets(context, head=False):
    """The package's stylesheet, once per response.

    Every package page calls it at the start of its content: when the page renders in the
    site's base template, the stylesheet then arrives whatever the site calls its head blocks
    (a stylesheet link is valid in the body); in the standalone layout, whose head has it, it
    adds nothing. A site's base template may call ``{% communityblog_assets head=True %}`` in
    its ``<head>`` to load it there on every page (promoted blocks appear anywhere): the
    package's pages then add no second link."""
    return layout.assets(context, head=head)


@register.inclusion_tag("wagtail_communityblog/includes/share_meta.html", takes_context=True)
def communityblog_share_meta(context, route=None, title=None):
    """The page's canonical link, Open Graph and Twitter card tags and JSON-LD, for its
    ``extra_head``: what a link to it shows when shared (see ``sharing.py``). ``route`` and
    ``title`` name a route of the community index, e.g. ``route="blogs_view"``."""
    return {
        "share": sharing.metadata(context, route=(route, title) if route else None),
    }


@register.inclusion_tag("wagtail_communityblog/includes/rating_widget.html", takes_context=True)
def rating_widget(context, post, compact=False):
    """Show a post's score and, to a reader who may vote, the buttons to vote.

    Reads only what the view put in the context (the post's ``score`` and the reader's votes in
    ``communityblog_votes``, a dict of post id to value): a template tag never queries.
    """
    request = context.get("request")
    user = getattr(request, "user", None)
    votes = context.get("communityblog_votes") or {}
    viewer = context.get("communityblog_viewer") or {}
    score = _loaded_score(post)
    my_vote = votes.get(post.pk, 0)
    is_author = user is not None and user.is_authenticated and post.author_id == user.pk
    scheme = get_scheme()
    buttons = [
        {
            "value": 0 if my_vote == value else value,
            "pressed": my_vote == value,
            "for_value": value,
        }
        for value in scheme.values
    ]
    next_url = request.get_full_path() if request else ""
    return {
        "request": request,
        "post": post,
        "score": score,
        "scheme": scheme.name,
        "my_vote": my_vote,
        "buttons": buttons,
        "compact": compact,
        "is_author": is_author,
        # Buttons for every reader whose vote here is not refused for good; a refusal that
        # lifts with time (an account too new to vote yet) is explained when they vote.
        "can_vote": (score is None or score.is_listed)
        and lasting_vote_refusal(post, user, suspended=viewer.get("suspended")) is None,
        "anonymous": user is None or not user.is_authenticated,
        "next_url": next_url,
        "login_url": login_url_for(next_url),
        "csrf_token": context.get("csrf_token"),
    }


def _loaded_score(post):
    """The post's score row if the view loaded it; never a query from the template."""
    cache = getattr(post, "_state", None)
    if cache is not None and "score" in cache.fields_cache:
        return cache.fields_cache["score"]
    return None


@register.inclusion_tag("wagtail_communityblog/includes/comment_count.html")
def comment_count(post):
    """A link to the post's discussion with its number of comments, from the loaded score row
    (never a query); nothing when comments are off or the listing did not load the scores."""
    score = _loaded_score(post)
    return {
        "post": post,
        "count": score.comment_count if score is not None else None,
        "closed": bool(score is not None and score.comments_closed),
        "enabled": app_settings.COMMENTS_ENABLED,
    }
