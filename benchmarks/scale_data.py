"""The scale data set, loaded straight into PostgreSQL with COPY and INSERT ... SELECT.

Creating 100,000 pages through ``Page.add_child()`` takes hours; this writes the same rows
directly. One member blog and one post are made through Wagtail as usual (``make_blog`` and
``make_post``: revision, publication, ``PostScore`` row); every other blog and post is a copy of
their ``wagtailcore_page`` row and their specific row, with its own id, tree path
(treebeard's materialised path: 4 base-36 characters per level), slug, URL path, title,
translation key and dates. Votes are ``Rating`` rows made in Python from a seeded generator and
copied in with COPY; each post's ``PostScore`` row is then computed from those rows with the
package's own ranking functions (``ranking.py``), so ``communityblog_recompute_scores`` finds
nothing to repair. Used by ``benchmarks/scale.py``; PostgreSQL only.
"""

import random
import time
from datetime import timedelta

ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
STEPLEN = 4
VOTER_PREFIX = "scalevoter"
AUTHOR_PREFIX = "scaleauthor"


def b36(number):
    """Treebeard's step for the ``number``-th child (1-based)."""
    out = []
    for _ in range(STEPLEN):
        number, digit = divmod(number, 36)
        out.append(ALPHABET[digit])
    return "".join(reversed(out))


def vote_targets(n_posts, n_votes, n_voters, skew, seed):
    """``n_votes`` distinct (post index, voter index, value) triples, popularity Zipf-skewed."""
    rng = random.Random(seed)
    # Post popularity: a Zipf law over a random permutation of the posts (popular posts are
    # spread over time, not all the newest).
    order = list(range(n_posts))
    rng.shuffle(order)
    cum, total = [], 0.0
    for rank in range(1, n_posts + 1):
        total += 1.0 / rank**skew
        cum.append(total)
    seen = set()
    out = []
    capacity = n_posts * n_voters
    n_votes = min(n_votes, capacity // 2)
    while len(out) < n_votes:
        need = n_votes - len(out)
        ranks = rng.choices(range(n_posts), cum_weights=cum, k=need + need // 10 + 10)
        for rank in ranks:
            post = order[rank]
            voter = rng.randrange(n_voters)
            key = post * n_voters + voter
            if key in seen:
                continue
            seen.add(key)
            out.append((post, voter, 1 if rng.random() < 0.75 else -1))
            if len(out) == n_votes:
                break
    return out


class Timer:
    def __init__(self, log):
        self.log = log
        self.phases = {}

    def phase(self, name):
        timer = self

        class _Phase:
            def __enter__(self):
                self.started = time.perf_counter()
                timer.log(f"  {name} ...")

            def __exit__(self, *exc):
                timer.phases[name] = time.perf_counter() - self.started
                timer.log(f"  {name}: {timer.phases[name]:.1f} s")

        return _Phase()


def load(n_posts, n_blogs, n_votes, n_voters, skew=0.8, seed=2026, log=print):
    """Load the data set into the (freshly migrated, otherwise empty) database; return timings."""
    from django.contrib.auth import get_user_model
    from django.db import connection, transaction
    from django.utils import timezone

    from tests.factories import make_blog, make_community, make_post
    from wagtail_communityblog.conf import app_settings
    from wagtail_communityblog.models import (
        CommunityPostPage,
        MemberBlogPage,
        PostScore,
        Rating,
    )
    from wagtail_communityblog.ranking import hot_from_time_score, time_score, wilson_lower_bound
    from wagtail_communityblog.services.listing import set_first_published_at

    assert connection.vendor == "postgresql", "the scale loader writes PostgreSQL SQL"
    timer = Timer(log)
    n_blogs = min(n_blogs, n_posts)
    now = timezone.now().replace(microsecond=0)
    span = timedelta(days=365)
    user_model = get_user_model()
    page_table = "wagtailcore_page"
    blog_table = MemberBlogPage._meta.db_table
    post_table = CommunityPostPage._meta.db_table
    score_table = PostScore._meta.db_table
    rating_table = Rating._meta.db_table

    with timer.phase("accounts"):
        joined = now - timedelta(days=60)
        with transaction.atomic():
            user_model.objects.bulk_create(
                [
                    user_model(
                        username=f"{AUTHOR_PREFIX}{i}",
                        email=f"{AUTHOR_PREFIX}{i}@example.org",
                        first_name="Author",
                        last_name=str(i),
                        password="!",
                        date_joined=joined,
                    )
                    for i in range(n_blogs)
                ],
                batch_size=5000,
            )
            user_model.objects.bulk_create(
                [
                    user_model(
                        username=f"{VOTER_PREFIX}{i}",
                        email=f"{VOTER_PREFIX}{i}@example.org",
                        password="!",
                        date_joined=joined,
                    )
                    for i in range(n_voters)
                ],
                batch_size=5000,
            )
        authors = list(
            user_model.objects.filter(username__startswith=AUTHOR_PREFIX)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        voters = list(
            user_model.objects.filter(username__startswith=VOTER_PREFIX)
            .order_by("pk")
            .values_list("pk", flat=True)
        )

    with timer.phase("templates through Wagtail (1 community, 1 blog, 1 post)"):
        community = make_community(title="Members' blogs", slug="community")
        template_blog = make_blog(
            community, user_model.objects.get(pk=authors[0]), title="Blog 0", slug="blog-0"
        )
        template_post = make_post(
            template_blog,
            title="Post 0",
            intro="A short summary of the post, as members write them for listings.",
            body="<p>" + "Body text of a member's post. " * 20 + "</p>",
        )
        first_when = now - span
        set_first_published_at(template_post, first_when)
        template_blog.refresh_from_db()
        template_post.refresh_from_db()

    def page_columns():
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT column_name FROM information_schema.columns "
                "WHERE table_name = %s ORDER BY ordinal_position",
                [page_table],
            )
            return [row[0] for row in cursor.fetchall()]

    columns = page_columns()

    def clone_select(overrides):
        """SELECT list copying the template page row, with some columns replaced."""
        return ", ".join(overrides.get(column, f"t.{column}") for column in columns)

    with connection.cursor() as cursor:
        cursor.execute(f"SELECT max(id) FROM {page_table}")
        base_id = cursor.fetchone()[0] + 1
    blog_ids = [template_blog.pk] + [base_id + i for i in range(n_blogs - 1)]
    post_base = base_id + n_blogs
    post_ids = [template_post.pk] + [post_base + k for k in range(n_posts - 1)]

    def post_when(k):
        # Evenly over the last year, oldest first (post 0 is the oldest).
        return first_when + span * k / n_posts

    with (
        timer.phase(f"{n_blogs:,} blog pages"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("CREATE TEMPORARY TABLE scale_blogs (i int, id int, author int)")
        with connection.connection.cursor().copy(
            "COPY scale_blogs (i, id, author) FROM STDIN"
        ) as copy:
            for i in range(1, n_blogs):
                copy.write_row((i, blog_ids[i], authors[i]))
        prefix = community.path
        select = clone_select(
            {
                "id": "b.id",
                "path": f"'{prefix}' || b.path_step",
                "numchild": "0",
                "title": "'Blog ' || b.i",
                "draft_title": "'Blog ' || b.i",
                "slug": "'blog-' || b.i",
                "url_path": f"'{community.url_path}' || 'blog-' || b.i || '/'",
                "owner_id": "b.author",
                "translation_key": "gen_random_uuid()",
                "latest_revision_id": "NULL",
                "live_revision_id": "NULL",
            }
        )
        steps = [(i, b36(i + 1)) for i in range(1, n_blogs)]
        cursor.execute("CREATE TEMPORARY TABLE scale_steps (i int, path_step text)")
        with connection.connection.cursor().copy(
            "COPY scale_steps (i, path_step) FROM STDIN"
        ) as copy:
            for row in steps:
                copy.write_row(row)
        cursor.execute(
            f"INSERT INTO {page_table} ({', '.join(columns)}) "
            f"SELECT {select} FROM {page_table} t, "
            "(SELECT scale_blogs.*, scale_steps.path_step FROM scale_blogs "
            " JOIN scale_steps USING (i)) b WHERE t.id = %s",
            [template_blog.pk],
        )
        cursor.execute(
            f"INSERT INTO {blog_table} (page_ptr_id, intro, avatar_id, member_id, "
            "community_id) SELECT b.id, t.intro, t.avatar_id, b.author, t.community_id "
            f"FROM {blog_table} t, scale_blogs b WHERE t.page_ptr_id = %s",
            [template_blog.pk],
        )
        cursor.execute(
            f"UPDATE {page_table} SET numchild = %s WHERE id = %s", [n_blogs, community.pk]
        )

    with (
        timer.phase(f"{n_posts:,} post pages"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(
            "CREATE TEMPORARY TABLE scale_posts (k int, id int, blog int, author int, "
            "path text, url_path text, published timestamptz)"
        )
        blog_paths = [template_blog.path] + [community.path + b36(i + 1) for i in range(1, n_blogs)]
        blog_url_paths = [template_blog.url_path] + [
            f"{community.url_path}blog-{i}/" for i in range(1, n_blogs)
        ]
        children = [0] * n_blogs
        with connection.connection.cursor().copy(
            "COPY scale_posts (k, id, blog, author, path, url_path, published) FROM STDIN"
        ) as copy:
            for k in range(n_posts):
                b = k % n_blogs
                children[b] += 1
                if k == 0:
                    continue
                copy.write_row(
                    (
                        k,
                        post_ids[k],
                        blog_ids[b],
                        authors[b],
                        blog_paths[b] + b36(children[b]),
                        f"{blog_url_paths[b]}post-{k}/",
                        post_when(k),
                    )
                )
        select = clone_select(
            {
                "id": "p.id",
                "path": "p.path",
                "title": "'Post ' || p.k",
                "draft_title": "'Post ' || p.k",
                "slug": "'post-' || p.k",
                "url_path": "p.url_path",
                "owner_id": "p.author",
                "translation_key": "gen_random_uuid()",
                "first_published_at": "p.published",
                "last_published_at": "p.published",
                "latest_revision_created_at": "p.published",
                "latest_revision_id": "NULL",
                "live_revision_id": "NULL",
            }
        )
        cursor.execute(
            f"INSERT INTO {page_table} ({', '.join(columns)}) "
            f"SELECT {select} FROM {page_table} t, scale_posts p WHERE t.id = %s",
            [template_post.pk],
        )
        cursor.execute(
            f"INSERT INTO {post_table} (page_ptr_id, intro, body, header_image_id, author_id) "
            "SELECT p.id, t.intro, t.body, t.header_image_id, p.author "
            f"FROM {post_table} t, scale_posts p WHERE t.page_ptr_id = %s",
            [template_post.pk],
        )
        cursor.execute("CREATE TEMPORARY TABLE scale_children (id int, n int)")
        with connection.connection.cursor().copy("COPY scale_children (id, n) FROM STDIN") as copy:
            for b in range(n_blogs):
                copy.write_row((blog_ids[b], children[b]))
        cursor.execute(
            f"UPDATE {page_table} SET numchild = c.n FROM scale_children c "
            f"WHERE {page_table}.id = c.id"
        )
        cursor.execute(
            f"SELECT setval(pg_get_serial_sequence(%s, 'id'), (SELECT max(id) FROM {page_table}))",
            [page_table],
        )

    with timer.phase(f"{n_votes:,} votes"):
        targets = vote_targets(n_posts, n_votes, len(voters), skew, seed)
        tallies = [[0, 0] for _ in range(n_posts)]
        with (
            transaction.atomic(),
            connection.cursor(),
            connection.connection.cursor().copy(
                f"COPY {rating_table} (post_id, user_id, value, scheme, counted, created_at, "
                "updated_at) FROM STDIN"
            ) as copy,
        ):
            for post, voter, value in targets:
                tallies[post][0 if value > 0 else 1] += 1
                copy.write_row((post_ids[post], voters[voter], value, "updown", True, now, now))
        del targets

    with timer.phase("score rows from the votes (ranking.py)"), transaction.atomic():
        tau, z = app_settings.HOT_TAU, app_settings.WILSON_Z
        min_votes, min_score = app_settings.PROMOTION_MIN_VOTES, app_settings.PROMOTION_MIN_SCORE
        with connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {score_table}")
            with connection.connection.cursor().copy(
                f"COPY {score_table} (post_id, community_id, blog_id, author_id, is_listed, "
                "is_hidden, hidden_reason, hidden_by_reports, is_pinned, pinned_at, up_count, "
                "down_count, vote_count, vote_sum, score, hot, best, published_at, rank_time, "
                "time_score, promoted_at, comment_count, comments_closed, fediverse_likes, "
                "fediverse_boosts, updated_at) FROM STDIN"
            ) as copy:
                for k in range(n_posts):
                    up, down = tallies[k]
                    net = up - down
                    when = post_when(k)
                    part = time_score(when, tau)
                    promoted = now if up + down >= min_votes and net >= min_score else None
                    b = k % n_blogs
                    copy.write_row(
                        (
                            post_ids[k],
                            community.pk,
                            blog_ids[b],
                            authors[b],
                            True,
                            False,
                            "",
                            False,
                            False,
                            None,
                            up,
                            down,
                            up + down,
                            net,
                            net,
                            hot_from_time_score(net, part),
                            wilson_lower_bound(up, down, z),
                            when,
                            when,
                            part,
                            promoted,
                            0,
                            False,
                            0,
                            0,
                            now,
                        )
                    )

    with timer.phase("VACUUM ANALYZE"), connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_database_size(current_database()), pg_total_relation_size(%s), "
            "pg_total_relation_size(%s), pg_total_relation_size(%s)",
            [page_table, rating_table, score_table],
        )
        db_bytes, page_bytes, rating_bytes, score_bytes = cursor.fetchone()
    return {
        "community_id": community.pk,
        "community_url": community.url,
        "posts": n_posts,
        "blogs": n_blogs,
        "votes": n_votes,
        "voters": len(voters),
        "skew": skew,
        "seed": seed,
        "phases_s": timer.phases,
        "load_s": sum(timer.phases.values()),
        "sizes_mb": {
            "database": db_bytes / 2**20,
            "wagtailcore_page": page_bytes / 2**20,
            "rating": rating_bytes / 2**20,
            "postscore": score_bytes / 2**20,
        },
    }


def set_up_home_pages(count=5):
    """The site's home page with two promoted-posts blocks (hot; top of the week), and a
    sibling page identical but for the blocks, for the comparison. Returns their URLs."""
    from wagtail.models import Site

    from home.models import HomePage
    from wagtail_communityblog.blocks import PromotedPostsBlock

    block = PromotedPostsBlock()
    home = Site.objects.get(is_default_site=True).root_page.specific
    assert isinstance(home, HomePage), home
    intro = "<p>Welcome to the party's site: news, events, and our members' own blogs.</p>"
    home.body = [
        ("heading", "From our members"),
        ("paragraph", intro),
        ("promoted_posts", block.to_python(promoted_value("hot", "Hot right now", count))),
        (
            "promoted_posts",
            block.to_python(promoted_value("top", "Best of the week", count, window="week")),
        ),
    ]
    home.save_revision().publish()
    bare = HomePage.objects.filter(slug="bare").first()
    if bare is None:
        bare = HomePage(title="Home without blocks", slug="bare")
        home.add_child(instance=bare)
    bare.body = [("heading", "From our members"), ("paragraph", intro)]
    bare.save_revision().publish()
    home.refresh_from_db()
    bare.refresh_from_db()
    return home.url, bare.url


def promoted_value(ranking, heading, count, window="all"):
    return {
        "heading": heading,
        "source": None,
        "ranking": ranking,
        "window": window,
        "count": count,
        "min_votes": 0,
        "min_score": None,
        "tag": "",
        "pinned": [],
        "show_excerpt": True,
        "show_author": True,
        "show_image": False,
        "show_score": True,
    }
