from django.db import migrations, models


def unlist_private_posts(apps, schema_editor):
    """``is_listed`` now also means public: take posts behind a view restriction out of the
    listings and rankings (they were filtered at read time until now)."""
    PageViewRestriction = apps.get_model("wagtailcore", "PageViewRestriction")
    PostScore = apps.get_model("wagtail_communityblog", "PostScore")
    for path in PageViewRestriction.objects.values_list("page__path", flat=True).distinct():
        PostScore.objects.filter(post__path__startswith=path, is_listed=True).update(
            is_listed=False
        )


class Migration(migrations.Migration):
    dependencies = [
        ("wagtail_communityblog", "0007_listing_order_indexes"),
        ("wagtailcore", "0094_alter_page_locale"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="postscore",
            index=models.Index(
                condition=models.Q(("is_pinned", True)),
                fields=["-pinned_at"],
                name="wcb_score_pinned",
            ),
        ),
        migrations.RunPython(unlist_private_posts, migrations.RunPython.noop, elidable=True),
    ]
