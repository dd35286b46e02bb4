"""Front-end views for comments. Each parses input, calls one service and answers: a redirect
back to the post at the comment (plain forms, no JavaScript needed), or JSON when the request
asks for it (``Accept: application/json``, as the page's script does)."""

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from ..forms.comments import CommentFlagForm, CommentForm, CommentPreferencesForm
from ..links import login_url_for
from ..models import Comment, CommentPreferences, CommunityPostPage, PostScore
from ..models.comment_threads import Node, can_edit, commenting_refusal, is_following
from ..ratelimit import check_limits
from ..sanitize import comment_text
from ..services import comments as service
from .responses import TemplateResponse, done, form_errors, login_first, refuse, wants_json

TEMPLATE_DIR = "wagtail_communityblog/comments/"


def _post_or_404(post_id):
    return get_object_or_404(
        CommunityPostPage.objects.live().public().select_related("score"), pk=post_id
    )


def _comment_or_404(comment_id):
    comment = get_object_or_404(
        Comment.objects.select_related("post", "author", "parent"), pk=comment_id
    )
    if not CommunityPostPage.objects.live().public().filter(pk=comment.post_id).exists():
        raise Http404
    return comment


def _at(request, comment_or_post, anchor=None):
    """The post's URL, at the comment (or the discussion)."""
    if isinstance(comment_or_post, Comment):
        return comment_or_post.get_url(request) or "/"
    return f"{comment_or_post.get_url(request) or '/'}#{anchor or 'comments'}"


def _error(request, error, *, post=None, template=None, context=None):
    if template is not None:
        return refuse(request, error, template=template, context=context)
    back = _at(request, post) if post is not None else "/"
    return refuse(
        request,
        error,
        template=TEMPLATE_DIR + "comment_error.html",
        context={"post": post, "back": back, "login_url": login_url_for(back)},
    )


def _login_first(request, post):
    error = service.CommentError(_("Log in to join the discussion."), 403)
    return login_first(request, error, _at(request, post))


def _published_message(comment):
    if comment.status == Comment.STATUS_PENDING:
        return _(
            "Thank you. Your comment will appear once an editor has approved it; until then "
            "only you can see it."
        )
    return _("Your comment is published.")


def _node_html(request, comment):
    """One comment, rendered as the thread shows it, for the page's script to insert."""
    node = Node.for_viewer(comment, request.user)
    if comment.reply_to_id and comment.reply_to_id != comment.parent_id and comment.reply_to:
        node.reply_to_name = comment.reply_to.author_name
    return render_to_string(
        TEMPLATE_DIR + "comment.html",
        {"node": node, "page": comment.post, "can_comment": True, "request": request},
        request=request,
    )


def _write(request, post, parent=None):
    """Create a comment or reply from the submitted form."""
    form = CommentForm(request.POST)
    template = TEMPLATE_DIR + "comment_form.html"
    context = {"form": form, "post": post, "parent": parent}
    if not form.is_valid():
        error = service.CommentError(form_errors(form))
        return _error(request, error, post=post, template=template, context=context)
    try:
        check_limits(request, service.CommentError, "comment")
        comment = service.create_comment(
            post, request.user, form.cleaned_data["body"], parent=parent
        )
    except service.CommentError as error:
        form.add_error(None, str(error))
        return _error(request, error, post=post, template=template, context=context)
    message = _published_message(comment)
    if wants_json(request):
        count = (
            PostScore.objects.filter(pk=post.pk).values_list("comment_count", flat=True).first()
            or 0
        )
        return JsonResponse(
            {
                "id": comment.pk,
                "parent_id": comment.parent_id,
                "status": comment.status,
                "message": message,
                "html": _node_html(request, comment),
                "comment_count": count,
                "count_label": ngettext("%(count)d comment", "%(count)d comments", count)
                % {"count": count},
                "following": is_following(post, request.user),
            },
            status=201,
        )
    messages.success(request, message)
    return redirect(_at(request, comment))


@require_http_methods(["GET", "POST"])
def comment_create(request, post_id):
    """Comment on a post. GET shows the form on a page of its own (the post page has it too)."""
    post = _post_or_404(post_id)
    if not request.user.is_authenticated:
        return _login_first(request, post)
    if request.method == "POST":
        return _write(request, post)
    refusal = commenting_refusal(post, request.user)
    if refusal is not None:
        return _error(request, refusal, post=post)
    return TemplateResponse(
        request, TEMPLATE_DIR + "comment_form.html", {"form": CommentForm(), "post": post}
    )


@require_http_methods(["GET", "POST"])
def comment_reply(request, comment_id):
    """Reply to a comment: the reply form on its own page (without JavaScript), and its POST."""
    parent = _comment_or_404(comment_id)
    post = parent.post
    if not request.user.is_authenticated:
        return _login_first(request, post)
    if request.method == "POST":
        return _write(request, post, parent=parent)
    refusal = commenting_refusal(post, request.user)
    if refusal is None and not parent.is_visible:
        refusal = service.CommentError(_("That comment cannot be replied to."), 404)
    if refusal is not None:
        return _error(request, refusal, post=post)
    return TemplateResponse(
        request,
        TEMPLATE_DIR + "comment_form.html",
        {"form": CommentForm(), "post": post, "parent": parent},
    )


@login_required
@require_http_methods(["GET", "POST"])
def comment_edit(request, comment_id):
    comment = _comment_or_404(comment_id)
    post = comment.post
    if not can_edit(comment, request.user):
        return _error(
            request,
            service.CommentError(
                _("You can edit your own comments only, for a short while after writing them."),
                403,
            ),
            post=post,
        )
    form = CommentForm(
        request.POST if request.method == "POST" else None,
        initial={"body": comment_text(comment.body), "base_version": comment.version},
    )
    context = {"form": form, "post": post, "comment": comment}
    template = TEMPLATE_DIR + "comment_form.html"
    if request.method == "POST":
        if not form.is_valid():
            error = service.CommentError(form_errors(form))
            return _error(request, error, post=post, template=template, context=context)
        try:
            check_limits(request, service.CommentError, "comment_edit")
            service.edit_comment(
                comment,
                request.user,
                form.cleaned_data["body"],
                base_version=form.cleaned_data.get("base_version"),
            )
        except service.CommentError as error:
            form.add_error(None, str(error))
            if error.status == 409:
                context["conflict"] = saved = Comment.objects.get(pk=comment.pk)
                form.data = form.data.copy()
                form.data["base_version"] = str(saved.version)
            return _error(request, error, post=post, template=template, context=context)
        if wants_json(request):
            return JsonResponse(
                {
                    "id": comment.pk,
                    "message": _("Your comment is saved."),
                    "html": _node_html(request, comment),
                }
            )
        messages.success(request, _("Your comment is saved."))
        return redirect(_at(request, comment))
    return TemplateResponse(request, template, context)


@login_required
@require_http_methods(["GET", "POST"])
def comment_delete(request, comment_id):
    comment = _comment_or_404(comment_id)
    post = comment.post
    if comment.author_id != request.user.pk or comment.is_removed:
        return _error(
            request,
            service.CommentError(_("You can delete only your own comments."), 403),
            post=post,
        )
    if request.method == "POST":
        try:
            service.delete_comment(comment, request.user)
        except service.CommentError as error:
            return _error(request, error, post=post)
        if wants_json(request):
            return JsonResponse({"id": comment_id, "deleted": True})
        messages.success(request, _("Your comment has been deleted."))
        return redirect(_at(request, post))
    return TemplateResponse(
        request, TEMPLATE_DIR + "comment_confirm_delete.html", {"comment": comment, "post": post}
    )


@require_POST
def comment_recommend(request, comment_id):
    """Recommend a comment (``value=1``) or withdraw the recommendation (``value=0``)."""
    comment = _comment_or_404(comment_id)
    post = comment.post
    if not request.user.is_authenticated:
        return _login_first(request, post)
    try:
        value = int(request.POST.get("value", "1"))
    except ValueError:
        value = -1
    try:
        check_limits(request, service.CommentError, "recommend")
        count = service.recommend(comment, request.user, value)
    except service.CommentError as error:
        return _error(request, error, post=post)
    if wants_json(request):
        label = ngettext("%(count)d recommendation", "%(count)d recommendations", count) % {
            "count": count
        }
        return JsonResponse(
            {
                "id": comment.pk,
                "recommended": bool(value),
                "recommend_count": count,
                "label": label,
                "message": (
                    _("You recommend this comment.") if value else _("Recommendation withdrawn.")
                )
                + " "
                + label
                + ".",
            }
        )
    return redirect(_at(request, comment))


@login_required
@require_http_methods(["GET", "POST"])
def comment_flag(request, comment_id):
    """Report a comment to the editors (a reason is required; one report per reader)."""
    comment = _comment_or_404(comment_id)
    post = comment.post
    form = CommentFlagForm(request.POST if request.method == "POST" else None)
    template = TEMPLATE_DIR + "comment_flag_form.html"
    context = {"form": form, "post": post, "comment": comment}
    if request.method != "POST":
        return TemplateResponse(request, template, context)
    if not form.is_valid():
        error = service.CommentError(form_errors(form))
        return refuse(request, error, template=template, context=context)
    try:
        check_limits(request, service.CommentError, "flag")
        service.flag_comment(comment, request.user, form.cleaned_data["reason"])
    except service.CommentError as error:
        form.add_error(None, str(error))
        return refuse(request, error, template=template, context=context)
    return done(
        request,
        data={"id": comment.pk, "reported": True},
        status=201,
        redirect_to=_at(request, comment),
        message=_("Thank you. The editors will look at your report."),
    )


@login_required
@require_POST
def comment_follow(request, post_id):
    """Follow (``follow=1``) or stop following (``follow=0``) a post's discussion."""
    post = _post_or_404(post_id)
    following = request.POST.get("follow") == "1"
    try:
        check_limits(request, service.CommentError, "follow")
        service.set_following(post, request.user, following)
    except service.CommentError as error:
        return _error(request, error, post=post)
    message = (
        _("You will be e-mailed about new comments here.")
        if following
        else _("You will no longer be e-mailed about new comments here.")
    )
    if wants_json(request):
        return JsonResponse({"post_id": post.pk, "following": following, "message": message})
    messages.success(request, message)
    return redirect(_at(request, post))


@login_required
@require_POST
def comment_close(request, post_id):
    """Close (``closed=1``) or reopen (``closed=0``) a post's comments: its author or editors."""
    post = _post_or_404(post_id)
    closed = request.POST.get("closed") == "1"
    try:
        service.set_comments_closed(post, request.user, closed)
    except service.CommentError as error:
        return _error(request, error, post=post)
    message = _("Comments are closed.") if closed else _("Comments are open again.")
    if wants_json(request):
        return JsonResponse({"post_id": post.pk, "closed": closed, "message": message})
    messages.success(request, message)
    return redirect(_at(request, post))


# A mail client's one-click unsubscribe (RFC 8058) POSTs without a session or CSRF token: the
# signed token is the credential, and all it can do is stop e-mails for one discussion.
@csrf_exempt
@require_http_methods(["GET", "POST"])
def comment_unsubscribe(request, token):
    """Stop e-mails about one discussion, from the link in those e-mails; no log-in needed."""
    try:
        user_id, post_id = service.read_unsubscribe_token(token)
    except service.CommentError as error:
        return _error(request, error)
    post = CommunityPostPage.objects.filter(pk=post_id).first()
    user = get_user_model().objects.filter(pk=user_id).first()
    if post is None or user is None:
        return _error(request, service.CommentError(_("This discussion no longer exists."), 404))
    done = False
    if request.method == "POST":
        service.set_following(post, user, False)
        done = True
    return TemplateResponse(
        request,
        TEMPLATE_DIR + "unsubscribe.html",
        {
            "post": post,
            "done": done,
            "preferences_url": reverse("wagtail_communityblog:comment_preferences"),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def comment_preferences(request):
    """A member's defaults for e-mails about comments."""
    instance = CommentPreferences.objects.filter(user=request.user).first() or CommentPreferences(
        user=request.user
    )
    # Bound on every POST: unticking both boxes sends an empty form.
    form = CommentPreferencesForm(
        request.POST if request.method == "POST" else None, instance=instance
    )
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("Your comment e-mail settings are saved."))
        return redirect("wagtail_communityblog:dashboard")
    return TemplateResponse(
        request,
        TEMPLATE_DIR + "preferences.html",
        {"form": form},
        status=400 if form.errors else 200,
    )
