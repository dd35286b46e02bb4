"""Where each page type may live, and that every page and route renders."""

from wagtail.models import Page
from wagtail.test.utils import WagtailPageTestCase

from home.models import HomePage
from tests.factories import make_blog, make_community, make_post, make_user
from wagtail_communityblog.models import CommunityIndexPage, CommunityPostPage, MemberBlogPage


class PageTreeRulesTests(WagtailPageTestCase):
    def test_a_community_section_can_be_created_under_an_ordinary_page(self):
        self.assertCanCreateAt(HomePage, CommunityIndexPage)
        self.assertCanCreateAt(Page, CommunityIndexPage)

    def test_member_blogs_live_only_in_a_community_section(self):
        self.assertAllowedParentPageTypes(MemberBlogPage, {CommunityIndexPage})
        self.assertCanCreateAt(CommunityIndexPage, MemberBlogPage)
        self.assertCanNotCreateAt(HomePage, MemberBlogPage)

    def test_posts_live_only_in_a_member_blog(self):
        self.assertAllowedParentPageTypes(CommunityPostPage, {MemberBlogPage})
        self.assertCanCreateAt(MemberBlogPage, CommunityPostPage)
        self.assertCanNotCreateAt(CommunityIndexPage, CommunityPostPage)
        self.assertCanNotCreateAt(HomePage, CommunityPostPage)

    def test_a_community_section_holds_only_member_blogs_and_posts_hold_nothing(self):
        self.assertAllowedSubpageTypes(CommunityIndexPage, {MemberBlogPage})
        self.assertAllowedSubpageTypes(MemberBlogPage, {CommunityPostPage})
        self.assertAllowedSubpageTypes(CommunityPostPage, set())


class RoutingAndRenderingTests(WagtailPageTestCase):
    @classmethod
    def setUpTestData(cls):
        cls.community = make_community()
        cls.member = make_user("bilal", first_name="Bilal", last_name="Hussain")
        cls.blog = make_blog(cls.community, cls.member, title="Bus lanes", slug="bilal")
        cls.post = make_post(cls.blog, title="The night bus", tags=["transport"])

    def test_the_community_section_and_its_routes_are_routable_and_render(self):
        for route in ["", "blogs/", "search/", "tag/transport/", "feed/", "feed/atom/"]:
            with self.subTest(route=route):
                self.assertPageIsRoutable(self.community, route)
                self.assertPageIsRenderable(self.community, route)

    def test_a_member_blog_and_its_feeds_render(self):
        for route in ["", "feed/", "feed/atom/"]:
            with self.subTest(route=route):
                self.assertPageIsRoutable(self.blog, route)
                self.assertPageIsRenderable(self.blog, route)

    def test_a_post_renders(self):
        self.assertPageIsRoutable(self.post)
        self.assertPageIsRenderable(self.post)

    def test_the_admin_edit_views_render_for_each_page_type(self):
        self.login()
        for page in (self.community, self.blog, self.post):
            with self.subTest(page=type(page).__name__):
                self.assertPageIsEditable(page)
