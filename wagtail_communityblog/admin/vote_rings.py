"""Wagtail admin views for vote rings (the list, one ring's evidence, confirm and clear) and
for held posts (the list, release and keep hidden).

Registered in ``wagtail_hooks.py`` under Community > Vote rings and Community > Held posts.
Viewing, clearing, releasing and keeping need the curation permission; confirming a ring
suspends accounts, so it also needs the permission to change community members.
"""

import django_filters
from django import forms
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db.models import Case, Count, When
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views import View
from wagtail.admin.filters import WagtailFilterSet
from wagtail.admin.views.reports import ReportView

from ..models import CommunityPostPage, PostHold, Rating, VoteCluster
from ..models.vote_rings import name_crowd_accounts
from ..services import vote_rings
from .curation import CuratorOnlyMixin, can_curate

SUSPEND_PERMISSION = "wagtail_communityblog.change_communitymember"


def can_confirm(user):
    return can_curate(user) and user.has_perm(SUSPEND_PERMISSION)


class ConfirmForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Reason for the suspension (shown to the members)"),
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=1000,
        required=False,
    )


class VoteRingFilterSet(WagtailFilterSet):
    status = django_filters.ChoiceFilter(
        choices=VoteCluster.STATUS_CHOICES, label=gettext_lazy("Status")
    )

    class Meta:
        model = VoteCluster
        fields = ["status"]


class VoteRingsReportView(CuratorOnlyMixin, ReportView):
    """Detected vote rings, those awaiting review first."""

    page_title = gettext_lazy("Vote rings")
    header_icon = "warning"
    index_url_name = "wagtail_communityblog_rings:index"
    index_results_url_name = "wagtail_communityblog_rings:index_results"
    results_template_name = "wagtail_communityblog/admin/vote_rings_results.html"
    paginate_by = 50
    filterset_class = VoteRingFilterSet

    def get_queryset(self):
        return VoteCluster.objects.annotate(accounts=Count("members")).order_by("-detected_at")


class VoteRingDetailView(CuratorOnlyMixin, View):
    """One ring's evidence: who, which posts, how similar; with confirm and clear."""

    template_name = "wagtail_communityblog/admin/vote_ring_detail.html"

    def get(self, request, pk):
        cluster = get_object_or_404(VoteCluster, pk=pk)
        return self.render(cluster, ConfirmForm())

    def render(self, cluster, form, status=200):
        members = list(cluster.members.select_related("user", "user__community_member"))
        user_ids = [member.user_id for member in members]
        lifetime = dict(
            Rating.objects.filter(user_id__in=user_ids)
            .values("user_id")
            .annotate(n=Count("pk"))
            .values_list("user_id", "n")
        )
        for member in members:
            member.lifetime_votes = lifetime.get(member.user_id, 0)
        posts = CommunityPostPage.objects.in_bulk(
            [entry["post_id"] for entry in cluster.posts if "post_id" in entry]
        )
        evidence = [
            {
                "post": posts.get(entry["post_id"]),
                "post_id": entry["post_id"],
                "sign": entry["sign"],
                "accounts": entry["accounts"],
            }
            for entry in cluster.posts
        ]
        held = list(cluster.post_holds.select_related("post", "post__score"))
        return TemplateResponse(
            self.request,
            self.template_name,
            {
                "cluster": cluster,
                "members": members,
                "has_representative": any(member.is_representative for member in members),
                "evidence": evidence,
                "held": held,
                "form": form,
                "can_confirm": can_confirm(self.request.user),
                "is_open": cluster.status == VoteCluster.STATUS_OPEN,
                "index_url": reverse("wagtail_communityblog_rings:index"),
            },
            status=status,
        )


class VoteRingActionView(VoteRingDetailView):
    """Confirm or clear a ring (POST only)."""

    http_method_names = ["post"]

    def post(self, request, pk, action):
        cluster = get_object_or_404(VoteCluster, pk=pk)
        form = ConfirmForm(request.POST)
        if action == "confirm":
            if not can_confirm(request.user):
                raise PermissionDenied
            if not form.is_valid():
                return self.render(cluster, form, status=400)
        elif action != "clear":
            raise Http404
        try:
            if action == "confirm":
                posts = vote_rings.confirm_cluster(
                    cluster, by=request.user, reason=form.cleaned_data["reason"]
                )
            else:
                posts = vote_rings.clear_cluster(cluster, by=request.user)
        except vote_rings.ClusterError as error:
            messages.error(request, str(error))
            form.add_error(None, str(error))
            return self.render(cluster, form, status=400)
        messages.success(request, self.outcome(action, cluster, len(posts)))
        return redirect(reverse("wagtail_communityblog_rings:detail", args=[cluster.pk]))

    @staticmethod
    def outcome(action, cluster, posts):
        """What the editor is told, with each count in its own plural form."""
        recomputed = ngettext("%(posts)d post recomputed", "%(posts)d posts recomputed", posts) % {
            "posts": posts
        }
        if action == "clear":
            return _(
                "Vote ring #%(id)s cleared: its accounts' votes count again (%(recomputed)s) "
                "and the posts it held are back in the rankings."
            ) % {"id": cluster.pk, "recomputed": recomputed}
        accounts = get_user_model().objects.filter(community_vote_clusters__cluster=cluster).count()
        suspended = ngettext(
            "%(accounts)d account suspended", "%(accounts)d accounts suspended", accounts
        ) % {"accounts": accounts}
        return _(
            "Vote ring #%(id)s confirmed: %(suspended)s, their votes dropped, %(recomputed)s; "
            "the posts it pushed compete again on the votes that count."
        ) % {"id": cluster.pk, "suspended": suspended, "recomputed": recomputed}


class HeldPostFilterSet(WagtailFilterSet):
    status = django_filters.ChoiceFilter(
        choices=PostHold.STATUS_CHOICES, label=gettext_lazy("Status")
    )
    reason = django_filters.ChoiceFilter(choices=PostHold.REASON_CHOICES, label=gettext_lazy("Why"))

    class Meta:
        model = PostHold
        fields = ["status", "reason"]


class HeldPostsReportView(CuratorOnlyMixin, ReportView):
    """Posts the detection keeps out of the rankings, with release and keep-hidden actions."""

    page_title = gettext_lazy("Held posts")
    header_icon = "warning"
    index_url_name = "wagtail_communityblog_holds:index"
    index_results_url_name = "wagtail_communityblog_holds:index_results"
    results_template_name = "wagtail_communityblog/admin/held_posts_results.html"
    paginate_by = 50
    filterset_class = HeldPostFilterSet

    def get_queryset(self):
        # Those awaiting review first, newest first.
        awaiting = Case(When(status=PostHold.STATUS_OPEN, then=0), default=1)
        return PostHold.objects.select_related(
            "post", "post__score", "cluster", "decided_by"
        ).order_by(awaiting, "-held_at")

    def decorate_paginated_queryset(self, object_list):
        return name_crowd_accounts(object_list)


class HeldPostActionView(CuratorOnlyMixin, View):
    """Release a held post into the rankings, or keep it hidden (POST only)."""

    http_method_names = ["post"]

    def post(self, request, pk, action):
        hold = get_object_or_404(PostHold.objects.select_related("post"), pk=pk)
        if action not in ("release", "keep"):
            raise Http404
        index = reverse("wagtail_communityblog_holds:index")
        try:
            changed = vote_rings.decide_hold(hold, by=request.user, keep=action == "keep")
        except vote_rings.ClusterError as error:
            messages.error(request, str(error))
            return redirect(index)
        title = hold.post.title
        if action == "keep":
            messages.success(
                request,
                _("“%(title)s” stays hidden; unhide it from Community → Posts at any time.")
                % {"title": title},
            )
        elif changed:
            messages.success(request, _("“%(title)s” is back in the rankings.") % {"title": title})
        else:
            messages.warning(
                request,
                _(
                    "“%(title)s” was released, but it stays hidden: an editor or readers' "
                    "reports hid it for another reason meanwhile."
                )
                % {"title": title},
            )
        return redirect(index)
