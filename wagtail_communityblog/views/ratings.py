"""The vote endpoint, and the words a reader sees and hears after a vote."""

from django.http import JsonResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from ..links import login_url_for
from ..models import CommunityPostPage
from ..ratelimit import over_limit
from ..rating_schemes import get_scheme
from ..services.ratings import VoteError, rate_post
from .responses import refuse, safe_next, wants_json


@require_POST
def rate(request, post_id):
    """Cast, change (``value``) or withdraw (``value=0``) the reader's vote on a post.

    Answers JSON when the request accepts it; otherwise goes back to the page the form was on.
    """
    post = CommunityPostPage.objects.to_vote_on(post_id)
    try:
        if post is None:
            raise VoteError(_("There is no such post to vote on."), 404)
        result = rate_post(
            post,
            request.user,
            request.POST.get("value"),
            throttle=lambda: over_limit(request, "vote", VoteError),
        )
    except VoteError as error:
        back = _back(request, post)
        return refuse(
            request,
            error,
            template="wagtail_communityblog/rating_error.html",
            context={"post": post, "back": back, "login_url": login_url_for(back)},
        )
    if wants_json(request):
        return JsonResponse(vote_payload(result))
    return redirect(_back(request, post))


def _back(request, post):
    """Where the answer without JavaScript goes: the form's ``next``, or the post."""
    return safe_next(request, (post.get_url(request) if post is not None else None) or "/")


def score_summary(score, scheme_name):
    """The rating widget's one-line summary, as the reader sees it, in their language."""
    if scheme_name == "stars":
        if not score.vote_count:
            return _("No ratings yet")
        return ngettext(
            "%(average).1f stars on average (%(count)d rating)",
            "%(average).1f stars on average (%(count)d ratings)",
            score.vote_count,
        ) % {"average": score.average, "count": score.vote_count}
    points = ngettext("%(score)d point", "%(score)d points", abs(score.score)) % {
        "score": score.score
    }
    votes = ngettext("%(count)d vote", "%(count)d votes", score.vote_count) % {
        "count": score.vote_count
    }
    return f"{points} ({votes})"


def vote_message(result, scheme_name, summary):
    """What a screen reader announces after a vote, in the reader's language."""
    if not result.value:
        yours = _("Your vote is withdrawn.")
    elif scheme_name == "stars":
        yours = _("You rated it %(value)d out of 5.") % {"value": result.value}
    elif scheme_name == "recommend":
        yours = _("You recommend this post.")
    elif result.value > 0:
        yours = _("You voted up.")
    else:
        yours = _("You voted down.")
    message = f"{yours} {summary}."
    if result.value and not result.counted:
        if getattr(result, "held", False):
            message += " " + _(
                "Your vote is recorded; it will count once editors have reviewed it."
            )
        else:
            message += " " + _("Your vote will count once your account is a little older.")
    return message


def vote_payload(result):
    score = result.score
    scheme_name = get_scheme().name
    summary = score_summary(score, scheme_name)
    return {
        "label": summary,
        "message": vote_message(result, scheme_name, summary),
        "post_id": result.post_id,
        "value": result.value,
        "counted": result.counted,
        "vote_count": score.vote_count,
        "scores": {
            "score": score.score,
            "up": score.up_count,
            "down": score.down_count,
            "sum": score.vote_sum,
            "hot": score.hot,
            "best": score.best,
        },
    }
