"""The members' own pages: their dashboard, their blog, and writing, previewing, unpublishing
and deleting their posts. Each view checks the member's rights, calls one service and answers;
the writes live in ``services.posts``."""

from django.contrib import messages
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from .. import activitypub
from ..forms.frontend import BlogForm, ImageUploadForm, PostForm
from ..models import CommunityIndexPage, CommunityMember, CommunityPostPage, MemberBlogPage
from ..models.federation import reading_list
from ..ratelimit import check_limits
from ..sanitize import editor_html
from ..services import posts as post_service
from ..services.images import upload_image
from .responses import MEMBER_TEMPLATES as TEMPLATE_DIR
from .responses import (
    TemplateResponse,
    form_errors,
    json_refusal,
    member_required,
    with_retry_after,
)


def member_blogs(user):
    return list(MemberBlogPage.objects.of_member(user))


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
            "fediverse": _fediverse(blogs),
        },
    )


def _fediverse(blogs):
    """What the dashboard shows of the fediverse: while federation is on and the member has a
    blog that federates."""
    if not activitypub.enabled():
        return None
    federated = [blog for blog in blogs if activitypub.refusal(blog) is None]
    return reading_list(federated) if federated else None


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

    initial = (
        {"title": blog.title, "intro": blog.intro, "base_version": blog.latest_revision_id or 0}
        if blog
        else {}
    )
    conflict, refused = None, None
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
        uploads = ("image_upload",) if form.cleaned_data.get("avatar") else ()
        try:
            check_limits(request, post_service.PostingError, "blog_edit", *uploads)
            blog = post_service.save_blog(
                request.user,
                community=community,
                blog=blog,
                title=form.cleaned_data["title"],
                intro=form.cleaned_data["intro"],
                avatar_file=form.cleaned_data.get("avatar"),
                base_version=form.cleaned_data.get("base_version"),
            )
        except post_service.PostingError as error:
            form.add_error(None, str(error))
            refused = error
            if error.status == 409:
                conflict = MemberBlogPage.objects.get(pk=blog.pk)
                rebase(form, conflict.latest_revision_id)
        else:
            messages.success(request, _("Your blog has been saved."))
            return redirect("wagtail_communityblog:dashboard")
    response = TemplateResponse(
        request,
        TEMPLATE_DIR + "blog_form.html",
        {"form": form, "blog": blog, "conflict": conflict},
        status=refused.status if refused else 400 if form.errors else 200,
    )
    return with_retry_after(response, refused)


def rebase(form, version, **cleaned):
    """After a refused stale save: the form keeps what the member typed (``cleaned``: the
    sanitised values to show instead of the raw ones) and now carries the saved version, so
    saving again (after merging) goes through."""
    form.data = form.data.copy()
    form.data["base_version"] = str(version or 0)
    for name, value in cleaned.items():
        form.data[name] = value


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
            "base_version": post.latest_revision_id or 0,
        }
        post = latest
    conflict, refused = None, None
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
        limits = ("post_create",) if post is None else ("post_edit",)
        if data.get("header_image"):
            limits += ("image_upload",)
        try:
            check_limits(request, post_service.PostingError, *limits)
            post, outcome = post_service.save_post(
                request.user, blog=blog, post=post, data=data, action=data["action"]
            )
        except post_service.PostingError as error:
            form.add_error(None, str(error))
            refused = error
            if error.status == 409:
                saved = CommunityPostPage.objects.get(pk=post.pk)
                conflict = saved.get_latest_revision_as_object()
                if data.get("header_image"):
                    form.add_error("header_image", _("Choose your header image again."))
                rebase(form, saved.latest_revision_id, body=editor_html(data["body"]))
        else:
            return _after_save(request, post, outcome)
    response = TemplateResponse(
        request,
        TEMPLATE_DIR + "post_form.html",
        {
            "form": form,
            "post": post,
            "conflict": conflict,
            "tag_suggestions": CommunityPostPage.objects.live().tags_in_use()[:100],
        },
        status=refused.status if refused else 400 if form.errors else 200,
    )
    return with_retry_after(response, refused)


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
        try:
            post_service.delete_post(post, request.user)
        except post_service.PostingError as error:
            messages.error(request, str(error))
            return redirect("wagtail_communityblog:dashboard")
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
        return JsonResponse({"error": form_errors(form)}, status=400)
    try:
        check_limits(request, post_service.PostingError, "image_upload")
        image = upload_image(
            form.cleaned_data["image"], member=request.user, alt=form.cleaned_data["alt"]
        )
    except post_service.PostingError as error:
        return json_refusal(error)
    rendition = image.get_rendition("max-1200x1200")
    return JsonResponse(
        {
            "id": image.pk,
            "url": f"{rendition.url}#wagtail-image-{image.pk}",
            "alt": form.cleaned_data["alt"],
        },
        status=201,
    )
