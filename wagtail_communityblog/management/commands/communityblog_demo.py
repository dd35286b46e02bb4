"""Seed believable demo content: members with blogs, posts over several weeks, staff accounts."""

import random
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.test.utils import override_settings
from django.utils import timezone
from django.utils.html import escape
from django.utils.text import slugify
from wagtail.fields import StreamField
from wagtail.models import Page, Site

from wagtail_communityblog.blocks import PromotedPostsBlock
from wagtail_communityblog.models import (
    Comment,
    CommunityIndexPage,
    CommunityPostPage,
    MemberBlogPage,
    Rating,
)
from wagtail_communityblog.services.comments import create_comment
from wagtail_communityblog.services.listing import set_first_published_at
from wagtail_communityblog.services.ratings import rate_post

MEMBERS = [
    ("amara", "Amara", "Okafor", "Notes from the doorstep", "Canvassing in the north end."),
    ("bilal", "Bilal", "Hussain", "Bus lanes and beyond", "Transport, buses and the city."),
    ("carys", "Carys", "Evans", "Green shoots", "Climate policy for people who rent."),
    ("dominik", "Dominik", "Nowak", "The ward report", "What the council did this week."),
    ("elena", "Elena", "Rossi", "Small print", "Reading the budget so you do not have to."),
    ("fergus", "Fergus", "Mackay", "Highland view", "Rural services and the long drive."),
    ("grace", "Grace", "Mensah", "Classroom to council", "A teacher on schools and funding."),
    ("hana", "Hana", "Sato", "Open data, open doors", "Transparency and local government."),
    ("ioan", "Ioan", "Price", "Valley voices", "Work, pay and the high street."),
    ("julia", "Julia", "Schmidt", "Housing first", "Homes, rents and who builds them."),
    ("kwame", "Kwame", "Asante", "Youth wing", "Students, apprentices and first jobs."),
    ("leila", "Leila", "Haddad", "Care matters", "Health, social care and carers."),
]

TOPICS = {
    "housing": [
        "Why our rent cap motion deserves a second look",
        "Three empty buildings on Station Road, and what we could do with them",
        "Council housing waiting lists: the numbers behind the headlines",
    ],
    "transport": [
        "The night bus we lost, and how to win it back",
        "Safe cycling routes to school: a street-by-street survey",
        "What a fare freeze would really cost",
    ],
    "climate": [
        "Insulating the estate: lessons from the pilot",
        "A community energy co-op in six months",
        "Trees, shade and the hottest street in town",
    ],
    "nhs": [
        "Waiting at the walk-in centre: a Saturday diary",
        "GP surgeries and the phone queue at 8am",
        "Mental health services for young people need more than leaflets",
    ],
    "education": [
        "Free breakfast clubs: what teachers told us",
        "The school roof fund and where it went",
        "Adult education classes are a lifeline, not a luxury",
    ],
    "campaigning": [
        "Ten things I learned knocking on 500 doors",
        "How to run a street stall that people actually stop at",
        "Leaflets versus conversations: our ward's small experiment",
    ],
    "local-elections": [
        "Our candidates for May, in their own words",
        "Postal votes: how to help neighbours register in time",
        "Reading the by-election result ward by ward",
    ],
    "economy": [
        "The high street is not dead, it is under-rented",
        "A living wage for council contractors",
        "Local procurement: keeping money in the town",
    ],
    "organising": [
        "Starting a branch book club (and why it worked)",
        "Welcoming new members without the jargon",
        "Meeting times that work for parents and shift workers",
    ],
}

PARAGRAPHS = [
    "Last week a group of us spent the evening going through the figures, and the picture is "
    "clearer than the press releases suggest.",
    "Nobody on the doorstep asked about slogans. They asked about the bins, the buses and the "
    "rent, and they wanted to know what we would do differently.",
    "There is a practical proposal here that the branch could put to the next meeting, and I "
    "would like to hear from anyone who has tried something similar.",
    "The council's own report admits the problem. What it does not do is set a date for "
    "fixing it, and that is where we can push.",
    "If you have half an hour this weekend, come along. Bring a friend, bring questions, and "
    "bring the things you think we are getting wrong.",
    "I do not pretend this is the whole answer. It is a start, and it is something we can "
    "measure, which is more than can be said for most promises.",
]

COMMENTS = [
    "Thank you for writing this up. We saw the same on our estate.",
    "I'm not convinced. Who pays for it, and when?",
    "Strongly agree with the second point; the first needs more evidence.",
    "Our branch tried this last year. Happy to share what worked.",
    "Could we bring this to the next policy meeting?",
    "Good piece. The figures in the third paragraph are worth checking, though.",
    "This is the conversation we should be having.",
    "Respectfully, I think this misses the rural side of the question.",
]

DEMO_PASSWORD = "community-demo-2026"
READERS = 20


class Command(BaseCommand):
    help = (
        "Seed demo content: a community section, a dozen member blogs with about 100 tagged "
        "posts over several weeks, an editor and an admin account. Safe to run twice."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--parent",
            type=int,
            help="ID of the page to create the community section under "
            "(default: the default site's root page).",
        )
        parser.add_argument(
            "--password",
            default=DEMO_PASSWORD,
            help="Password for every demo account (default: %(default)s).",
        )
        parser.add_argument(
            "--posts", type=int, default=100, help="Roughly how many posts (default: 100)."
        )
        parser.add_argument("--seed", type=int, default=2026, help="Random seed.")

    def handle(self, *args, **options):
        rng = random.Random(options["seed"])
        password = options["password"]
        # The "your post was promoted" e-mails that demo votes trigger (sent when the
        # transaction commits) are not for real people: keep them off the console.
        with (
            override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"),
            transaction.atomic(),
        ):
            community = self.get_or_create_community(options["parent"])
            admin = self.ensure_user(
                "admin", "Ada", "Admin", password, is_superuser=True, is_staff=True
            )
            editor = self.ensure_user("editor", "Eddie", "Editor", password, is_staff=False)
            editors_group = Group.objects.filter(name="Editors").first()
            if editors_group is not None:
                editor.groups.add(editors_group)
            editor.groups.add(self.curators_group())
            created_posts = self.create_members_and_posts(
                community, password, rng, options["posts"]
            )
            # Its own random stream, so a second run casts exactly the same votes; the
            # "your post was promoted" e-mails the votes trigger are not sent for demo data.
            with override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"):
                votes = self.cast_votes(community, password, random.Random(options["seed"] + 1))
                comments = self.add_comments(community, random.Random(options["seed"] + 2))
            placed = self.place_promoted_blocks(community)

        self.stdout.write(
            self.style.SUCCESS(
                f"Community section: {community.get_url()} "
                f"({community.member_blogs.count()} member blogs, "
                f"{CommunityPostPage.objects.descendant_of(community).live().count()} live posts; "
                f"{created_posts} created now)."
            )
        )
        self.stdout.write(f"Votes on the demo posts: {votes}. Comments: {comments}.")
        if placed:
            self.stdout.write(f"Promoted-posts blocks placed on “{placed}”.")
        self.stdout.write(f"Demo accounts (password for all: {password})")
        self.stdout.write(f"  admin   {admin.username:<10} superuser, Wagtail admin at /admin/")
        self.stdout.write(
            f"  editor  {editor.username:<10} in the Editors and Community curators groups"
        )
        self.stdout.write(
            "  members "
            + ", ".join(username for username, *_ in MEMBERS)
            + " (write from /community/)"
        )

    def curators_group(self):
        """A group with the package's curation permissions (as a site would set one up)."""
        group, _created = Group.objects.get_or_create(name="Community curators")
        group.permissions.add(
            *Permission.objects.filter(
                content_type__app_label__in=["wagtail_communityblog", "wagtailadmin"],
                codename__in=[
                    "access_admin",
                    "curate_community",
                    "view_rating",
                    "delete_rating",
                    "view_communitymember",
                    "add_communitymember",
                    "change_communitymember",
                ],
            )
        )
        return group

    def get_or_create_community(self, parent_id):
        existing = CommunityIndexPage.objects.order_by("path").first()
        if existing is not None:
            return existing
        if parent_id is not None:
            try:
                parent = Page.objects.get(pk=parent_id)
            except Page.DoesNotExist as error:
                raise CommandError(f"No page with ID {parent_id}.") from error
        else:
            site = Site.objects.filter(is_default_site=True).first() or Site.objects.first()
            if site is None:
                raise CommandError("No Wagtail site exists; pass --parent=<page id>.")
            parent = site.root_page
        community = CommunityIndexPage(
            title="Community",
            slug="community",
            intro="<p>Blogs written by our members. Read, rate, and start your own.</p>",
        )
        parent.add_child(instance=community)
        community.save_revision().publish()
        return community

    def ensure_user(self, username, first_name, last_name, password, **flags):
        User = get_user_model()
        user, created = User.objects.get_or_create(
            username=username,
            defaults={
                "first_name": first_name,
                "last_name": last_name,
                "email": f"{username}@example.org",
                # Demo accounts "joined" weeks ago, so their votes count at once.
                "date_joined": timezone.now() - timedelta(days=60),
                **flags,
            },
        )
        if created:
            user.set_password(password)
            user.save()
        return user

    def place_promoted_blocks(self, community):
        """Put a "Recommended by members" and a "New from members" block on the page above the
        community section, if its ``body`` StreamField accepts a ``PromotedPostsBlock``."""
        page = community.get_parent().specific
        field = next(
            (f for f in page._meta.get_fields() if isinstance(f, StreamField) and f.name == "body"),
            None,
        )
        if field is None:
            return None
        name = next(
            (
                n
                for n, b in field.stream_block.child_blocks.items()
                if isinstance(b, PromotedPostsBlock)
            ),
            None,
        )
        if name is None or any(block.block_type == name for block in page.body):
            return None
        page.body.append(
            (name, {"heading": "Recommended by members", "ranking": "hot", "count": 5})
        )
        page.body.append(
            (
                name,
                {
                    "heading": "New from members",
                    "ranking": "new",
                    "count": 5,
                    "show_score": False,
                },
            )
        )
        page.save_revision().publish()
        return page.title

    def cast_votes(self, community, password, rng):
        """Members and readers vote, more often and more kindly on some posts than others."""
        voters = [
            self.ensure_user(f"reader{n:02d}", "Reader", f"{n:02d}", password)
            for n in range(1, READERS + 1)
        ]
        voters += list(get_user_model().objects.filter(username__in=[m[0] for m in MEMBERS]))
        posts = CommunityPostPage.objects.descendant_of(community).live().order_by("pk")
        for post in posts:
            appeal = rng.random()  # the post's hidden quality
            for voter in voters:
                if voter.pk == post.author_id or rng.random() > 0.1 + 0.4 * appeal:
                    continue
                rate_post(post, voter, 1 if rng.random() < 0.35 + 0.6 * appeal else -1)
        return Rating.objects.filter(post__in=posts).count()

    def add_comments(self, community, rng):
        """Members discuss about half the posts, with some replies; once the demo posts have
        comments, a second run adds none."""
        members = list(get_user_model().objects.filter(username__in=[m[0] for m in MEMBERS]))
        posts = CommunityPostPage.objects.descendant_of(community).live().order_by("pk")
        if Comment.objects.filter(post__in=posts).exists():
            return Comment.objects.filter(post__in=posts).count()
        with override_settings(WAGTAIL_COMMUNITYBLOG_MODERATION="none"):
            for post in posts:
                if rng.random() < 0.5:
                    continue
                written = []
                for _ in range(rng.randint(1, 6)):
                    author = rng.choice([m for m in members if m.pk != post.author_id])
                    parent = rng.choice(written) if written and rng.random() < 0.5 else None
                    written.append(create_comment(post, author, rng.choice(COMMENTS), parent))
        return Comment.objects.filter(post__in=posts).count()

    def create_members_and_posts(self, community, password, rng, total_posts):
        now = timezone.now()
        created = 0
        topics = list(TOPICS.items())
        per_member = max(1, round(total_posts / len(MEMBERS)))
        for index, (username, first, last, blog_title, blog_intro) in enumerate(MEMBERS):
            member = self.ensure_user(username, first, last, password)
            blog = MemberBlogPage.objects.filter(community=community, member=member).first()
            if blog is None:
                blog = MemberBlogPage(
                    title=blog_title, slug=slugify(username), intro=blog_intro, owner=member
                )
                community.add_child(instance=blog)
                blog.save_revision(user=member).publish(user=member, skip_permission_checks=True)
            for number in range(per_member + (index % 3) - 1):
                tag, titles = topics[(index + number) % len(topics)]
                title = titles[number % len(titles)]
                slug = slugify(title)[:80]
                if CommunityPostPage.objects.child_of(blog).filter(slug=slug).exists():
                    continue
                extra_tag = rng.choice([t for t, _ in topics if t != tag])
                body = "".join(
                    f"<p>{escape(paragraph)}</p>" for paragraph in rng.sample(PARAGRAPHS, 3)
                )
                post = CommunityPostPage(
                    title=title,
                    slug=slug,
                    intro=rng.choice(PARAGRAPHS),
                    body=f"<h2>{escape(title)}</h2>{body}",
                    owner=member,
                    author=member,
                )
                post.tags.add(tag, extra_tag)
                blog.add_child(instance=post)
                post.save_revision(user=member).publish(user=member, skip_permission_checks=True)
                published = now - timedelta(
                    days=rng.randint(0, 41), hours=rng.randint(0, 23), minutes=rng.randint(0, 59)
                )
                set_first_published_at(post, published)
                created += 1
        return created
