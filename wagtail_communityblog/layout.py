"""Which layout the package's pages render in: its own standalone one, or the site's base
template (``WAGTAIL_COMMUNITYBLOG_BASE_TEMPLATE``), whatever that template's other blocks are
called.

Every package template extends ``wagtail_communityblog/base.html``, which extends the template
named by ``communityblog_base`` in the context. The page models (``get_context``) and the
member views (``views.responses.LayoutResponse``) put it there with ``layout_context()``. In
the site's layout the package's own stylesheet and scripts go inside the ``content`` block
(``{% communityblog_assets %}``), so they arrive whatever the site's head blocks are called;
feed links and meta descriptions need a head block, ``extra_head``, and a system check says
when the site's base template has none.
"""

from django.template import TemplateDoesNotExist
from django.template.loader import get_template
from django.template.loader_tags import BlockNode, ExtendsNode
from django.templatetags.static import static
from django.utils.html import format_html
from wagtail.models import Site

from .conf import app_settings

STANDALONE = "wagtail_communityblog/standalone.html"
CONTENT_BLOCK = "content"
HEAD_BLOCK = "extra_head"


def base_template():
    """The template ``wagtail_communityblog/base.html`` extends."""
    return app_settings.BASE_TEMPLATE or STANDALONE


def in_site_layout():
    return app_settings.BASE_TEMPLATE is not None


def layout_context(request, context):
    """What the package's templates need to render in the chosen layout, added to ``context``
    (a dict) without replacing anything it holds."""
    context.setdefault("communityblog_base", base_template())
    context.setdefault("communityblog_in_site_layout", in_site_layout())
    context.setdefault("communityblog_hide_breadcrumbs", not app_settings.SHOW_BREADCRUMBS)
    if in_site_layout() and "page" not in context and request is not None:
        # Site base templates often read ``page`` (titles, menus): the site's home page.
        site = Site.find_for_request(request)
        if site is not None:
            context["page"] = site.root_page.specific
    return context


def assets(context, *, head=False):
    """The package's stylesheet link, once per response (``{% communityblog_assets %}``).

    ``head=False`` (a package page's content): only in the site's layout, since the standalone
    layout's head has it. ``head=True`` (a head, or a promoted block on any page of the site):
    always, unless the response has it already."""
    request = context.get("request")
    if request is not None and getattr(request, "_communityblog_assets_shown", False):
        return ""
    if not head and not context.get("communityblog_in_site_layout"):
        return ""
    if request is not None:
        request._communityblog_assets_shown = True
    return format_html(
        '<link rel="stylesheet" href="{}">', static("wagtail_communityblog/css/communityblog.css")
    )


def block_names(template_name):
    """The names of the blocks ``template_name`` and the templates it extends define (with a
    constant parent), or None when the template cannot be loaded."""
    try:
        template = get_template(template_name).template
    except TemplateDoesNotExist:
        return None
    names = set()
    seen = set()
    while template is not None and template.name not in seen:
        seen.add(template.name)
        names.update(node.name for node in template.nodelist.get_nodes_by_type(BlockNode))
        extends = template.nodelist.get_nodes_by_type(ExtendsNode)
        parent = extends[0].parent_name.var if extends else None
        if not isinstance(parent, str):
            break  # a parent chosen at render time: not followed
        try:
            template = get_template(parent.strip("\"'")).template
        except TemplateDoesNotExist:
            break
    return frozenset(names)


class LayoutMixin:
    """For the package's page models: their templates get the layout's context."""

    def get_context(self, request, *args, **kwargs):
        return layout_context(request, super().get_context(request, *args, **kwargs))
