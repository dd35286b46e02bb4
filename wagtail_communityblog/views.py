"""Front-end views for members. Each parses input, checks the member's rights, calls one service
and renders; the writes live in ``services``."""

from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from taggit.models import Tag
from wagtail.models import Page, PageViewRestriction

from .forms.frontend import BlogForm, FlagForm, ImageUploadForm, PostForm
from .links import login_url_for
from .models import CommunityIndexPage, CommunityMember, CommunityPostPage, MemberBlogPage
from .ratelimit import limit_reached
from .rating_schemes import get_scheme
from .sanitize import editor_html
from .services import posts as post_service
from .services.curation import CurationError, flag_post
from .services.images import create_image
from .services.members import blogging_refusal
from .services.ratings import VoteError, parse_value, rate_post, vote_refusal

TEMPLATE_DIR = "wagtail_communityblog/member/"


def member_required(view):
    """Logged in, active and (if the site says so) in the member group; otherwise say why."""

    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        refusal = blogging_refusal(request.user)
        if refusal:
            return TemplateResponse(
                request, TEMPLATE_DIR + "not_allowed.html", {"reason": refusal}, status=403
            )
        return view(request, *args, **kwargs)

    return wrapper


def member_blogs(user):
    return list(
        MemberBlogPage.objects.filter(member=user, community__isnull=False)
        .select_related("community")
        .order_by("path")
    )


def communities():
    return CommunityIndexPage.objects.live().order_by("path")


def own_post_or_404(request, post_id):
    """The member's own post; any other id (someone else's, or none) is a 404."""
    return get_object_or_404(
        CommunityPostPage.objects.filter(author=request.user).select_related("header_image"),
        pk=post_id,
    )


@member_required
@require_GET
def dashboard(request):
    blogs = member_blogs(request.user)
    posts = list(
        CommunityPostPage.objects.filter(author=request.user)
        .select_related("score")
        .prefetch_workflow_states()
        .order_by("-latest_revision_created_at")
    )
    rows = []
    for post in posts:
        status, comment = post_service.post_status(post)
        rows.append(
            {
                "post": post,
                "status": status,
                "status_label": post_service.STATUS_LABELS[status],
                "comment": comment,
            }
        )
    membership = CommunityMember.objects.filter(user=request.user, is_suspended=True).first()
    missing = [c for c in communities() if c.pk not in {b.community_id for b in blogs}]
    return TemplateResponse(
        request,
        TEMPLATE_DIR + "dashboard.html",
        {
            "blogs": blogs,
            "rows": rows,
            "suspension": membership,
            "can_start_blog": bool(missing),
        },
    )


@member_required
@require_http_methods(["GET", "POST"])
def blog_edit(request):
    blogs = member_blogs(request.user)
    blog = None
    blog_id = request.GET.get("blog")
    if blog_id:
        blog = next((b for b in blogs if str(b.pk) == blog_id), None)
        if blog is None:
            raise Http404
    elif blogs and request.GET.get("new") is None:
        blog = blogs[0]
    open_communities = None
    if blog is None:
        taken = {b.community_id for b in blogs}
        open_communities = [c for c in communities() if c.pk not in taken]
        if not open_communities:
            if blogs:
                messages.info(request, _("You already have a blog in every community."))
            else:
                messages.info(request, _("The site has no community section to blog in yet."))
            return redirect("wagtail_communityblog:dashboard")

    initial = {"title": blog.title, "intro": blog.intro} if blog else {}
    form = BlogForm(
        request.POST or None,
        request.FILES or None,
        initial=initial,
        communities=open_communities,
    )
    if request.method == "POST" and form.is_valid():
        community = form.cleaned_data.get("community") or (
            open_communities[0] if open_communities else None
        )
        if form.cleaned_data.get("avatar") and limit_reached(request, "image_upload"):
            form.add_error(None, _("You have uploaded too many images recently. Try later."))
        else:
            try:
                blog = post_service.save_blog(
                    request.user,
                    community=community,
                    blog=blog,
                    title=form.cleaned_data["title"],
                    intro=form.cleaned_data["intro"],
                    avatar_file=form.cleaned_data.get("avatar"),
                )
            except post_service.PostingError as error:
                form.add_error(None, str(error))
            else:
                messages.success(request, _("Your blog has been saved."))
                return redirect("wagtail_communityblog:dashboard")
    return TemplateResponse(
        request,
        TEMPLATE_DIR + "blog_form.html",
        {"form": form, "blog": blog},
        status=400 if form.errors else 200,
    )


def _post_form_view(request, post=None):
    blogs = member_blogs(request.user)
    if not blogs:
        messages.info(request, _("Start your blog first; then you can write posts."))
        return redirect("wagtail_communityblog:blog_edit")
    initial = {}
    if post is not None:
        latest = post.get_latest_revision_as_object()
        initial = {
            "title": latest.title,
            "intro": latest.intro,
            "body": editor_html(latest.body),
            "tags": ", ".join(sorted(tag.name for tag in latest.tags.all())),
        }
        post = latest
    form = PostForm(
        request.POST or None,
        request.FILES or None,
        initial=initial,
        member=request.user,
        blogs=blogs if post is None else None,
        existing_body=post.body if post is not None else "",
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        blog = post.get_parent().specific if post else data.get("blog") or blogs[0]
        if post is None and limit_reached(request, "post_create"):
            form.add_error(None, _("You have started too many posts recently. Try again later."))
        elif data.get("header_image") and limit_reached(request, "image_upload"):
            form.add_error(None, _("You have uploaded too many images recently. Try later."))
        else:
            try:
                post, outcome = post_service.save_post(
                    request.user, blog=blog, post=post, data=data, action=data["action"]
                )
            except post_service.PostingError as error:
                form.add_error(None, str(error))
            else:
                return _after_save(request, post, outcome)
    return TemplateResponse(
        request,
        TEMPLATE_DIR + "post_form.html",
        {
            "form": form,
            "post": post,
            "tag_suggestions": Tag.objects.filter(
                wagtail_communityblog_communityposttag_items__content_object__live=True
            )
            .distinct()
            .order_by("name")[:100],
        },
        status=400 if form.errors else 200,
    )


def _after_save(request, post, outcome):
    if outcome == "preview":
        return redirect("wagtail_communityblog:post_preview", post_id=post.pk)
    if outcome == "published":
        messages.success(request, _("Your post is published."))
        return redirect(post.get_url(request) or reverse("wagtail_communityblog:dashboard"))
    if outcome == "submitted":
        messages.success(
            request,
            _("Your post has been sent to the editors. It will appear once they approve it."),
        )
    else:
        messages.success(request, _("Your draft has been saved."))
    return redirect("wagtail_communityblog:dashboard")


@member_required
@require_http_methods(["GET", "POST"])
def post_create(request):
    return _post_form_view(request)


@member_required
@require_http_methods(["GET", "POST"])
def post_edit(request, post_id):
    return _post_form_view(request, own_post_or_404(request, post_id))


@member_required
@require_GET
def post_preview(request, post_id):
    post = own_post_or_404(request, post_id)
    preview = post.get_latest_revision_as_object()
    context = preview.get_context(request)
    context.update({"page": preview, "self": preview, "is_member_preview": True})
    return TemplateResponse(request, TEMPLATE_DIR + "post_preview.html", context)


@member_required
@require_http_methods(["GET", "POST"])
def post_delete(request, post_id):
    post = own_post_or_404(request, post_id)
    if request.method == "POST":
        title = post.title
        post_service.delete_post(post, request.user)
        messages.success(request, _("“%(title)s” has been deleted.") % {"title": title})
        return redirect("wagtail_communityblog:dashboard")
    return TemplateResponse(request, TEMPLATE_DIR + "post_confirm_delete.html", {"post": post})


@member_required
@require_POST
def post_unpublish(request, post_id):
    post = own_post_or_404(request, post_id)
    try:
        post_service.unpublish_post(post, request.user)
    except post_service.PostingError as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request, _("“%(title)s” is no longer on the site.") % {"title": post.title}
        )
    return redirect("wagtail_communityblog:dashboard")


@member_required
@require_POST
def image_upload(request):
    """Upload an image for the post editor; answers JSON with where to show it."""
    form = ImageUploadForm(request.POST, request.FILES)
    if not form.is_valid():
        return JsonResponse(
            {"error": " ".join(e for errors in form.errors.values() for e in errors)},
            status=400,
        )
    if limit_reached(request, "image_upload"):
        return JsonResponse(
            {"error": _("You have uploaded too many images recently. Try later.")}, status=429
        )
    image = create_image(
        form.cleaned_data["image"], user=request.user, title=form.cleaned_data["alt"]
    )
    rendition = image.get_rendition("max-1200x1200")
    return JsonResponse(
        {
            "id": image.pk,
            "url": f"{rendition.url}#wagtail-image-{image.pk}",
            "alt": form.cleaned_data["alt"],
        },
        status=201,
    )


# What a vote reads of the post: its author (no voting on one's own post), and its place in the
# tree and its URL (the answer without JavaScript goes back to the post; a post missing its
# score row gets one). Any other field loads when it is first used.
RATE_POST_FIELDS = ("author_id", "live", "path", "depth", "url_path", "first_published_at")
_RATE_POST_SQL = {}


def post_to_vote_on(post_id):
    """The live, public post ``post_id`` with its ``RATE_POST_FIELDS``, or ``None``.

    One plain SQL statement. Wagtail's ``live().public()`` through the ORM reads every view
    restriction in a query of its own and compiles two queries, which together cost the vote
    endpoint more than the vote's own statements (benchmarks/README.md, "The vote path over
    HTTP"). "Public" as Wagtail means it: no view restriction on the post or on any page above
    it (a page above it is one whose tree path begins the post's).
    """
    sql = _RATE_POST_SQL.get(connection.alias)
    if sql is None:
        q = connection.ops.quote_name
        page, restriction = Page._meta.db_table, PageViewRestriction._meta.db_table
        columns = ", ".join(
            f"p.{q(CommunityPostPage._meta.get_field(name).column)}"
            for name in ("id", *RATE_POST_FIELDS)
            if name != "author_id"
        )
        sql = _RATE_POST_SQL[connection.alias] = (
            f"SELECT {columns}, cp.{q('page_ptr_id')}, cp.{q('author_id')} "
            f"FROM {q(CommunityPostPage._meta.db_table)} cp "
            f"INNER JOIN {q(page)} p ON p.{q('id')} = cp.{q('page_ptr_id')} "
            f"WHERE cp.{q('page_ptr_id')} = %s AND p.{q('live')} = %s AND NOT EXISTS ("
            f"SELECT 1 FROM {q(restriction)} r INNER JOIN {q(page)} rp "
            f"ON rp.{q('id')} = r.{q('page_id')} "
            f"WHERE SUBSTR(p.{q('path')}, 1, LENGTH(rp.{q('path')})) = rp.{q('path')})"
        )
    return next(iter(CommunityPostPage.objects.raw(sql, [post_id, True])), None)


@require_POST
def rate(request, post_id):
    """Cast, change (``value``) or withdraw (``value=0``) the reader's vote on a post.

    Answers JSON when the request accepts it; otherwise goes back to the page the form was on.
    """
    wants_json = "application/json" in request.headers.get("Accept", "")
    post = post_to_vote_on(post_id)
    try:
        if post is None:
            raise VoteError(_("There is no such post to vote on."), 404)
        # Refused before the rate limit counts the attempt; rate_post checks again itself.
        refusal = vote_refusal(post, request.user, check_suspension=False)
        if refusal is not None:
            raise refusal
        value = parse_value(request.POST.get("value"))
        if limit_reached(request, "vote"):
            raise VoteError(_("You are voting too fast. Please wait a little."), 429)
        result = rate_post(post, request.user, value)
    except VoteError as error:
        if wants_json:
            return JsonResponse({"error": str(error)}, status=error.status)
        return TemplateResponse(
            request,
            "wagtail_communityblog/rating_error.html",
            {
                "message": str(error),
                "post": post,
                "back": _safe_next(request, post),
                "login_url": login_url_for(_safe_next(request, post)),
            },
            status=error.status,
        )
    if wants_json:
        return JsonResponse(vote_payload(result))
    return redirect(_safe_next(request, post))


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


def _safe_next(request, post):
    target = request.POST.get("next") or request.GET.get("next")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    if post is not None:
        return post.get_url(request) or "/"
    return "/"


@login_required
@require_http_methods(["GET", "POST"])
def flag(request, post_id):
    """Report a post to the editors (a reason is required; one report per reader per post)."""
    post = get_object_or_404(CommunityPostPage.objects.live().public(), pk=post_id)
    wants_json = "application/json" in request.headers.get("Accept", "")
    form = FlagForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if not form.is_valid():
            status = 400
        elif limit_reached(request, "flag"):
            form.add_error(None, _("You have sent too many reports recently. Try later."))
            status = 429
        else:
            try:
                flag_post(post, request.user, form.cleaned_data["reason"])
            except CurationError as error:
                form.add_error(None, str(error))
                status = error.status
            else:
                if wants_json:
                    return JsonResponse({"post_id": post.pk, "reported": True}, status=201)
                messages.success(request, _("Thank you. The editors will look at your report."))
                return redirect(post.get_url(request) or "/")
        if wants_json:
            errors = [e for field_errors in form.errors.values() for e in field_errors]
            return JsonResponse({"error": " ".join(errors)}, status=status)
    return TemplateResponse(
        request, "wagtail_communityblog/flag_form.html", {"form": form, "post": post}, status=status
    )
