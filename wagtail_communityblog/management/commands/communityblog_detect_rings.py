"""Look for vote rings in the recent votes and hold them for an editor's review."""

from django.core.management.base import BaseCommand

from wagtail_communityblog.conf import app_settings
from wagtail_communityblog.services.integrity import detect_rings


class Command(BaseCommand):
    help = (
        "Compare the recent votes of accounts with little voting history, record groups that "
        "voted together (Community > Vote rings) and hold all but one of each group's votes "
        "until an editor confirms or clears it. Run it often, e.g. every 10 minutes from cron "
        "(or enqueue the detect_vote_rings task): a ring's votes count until it runs."
    )

    def handle(self, *args, **options):
        if not app_settings.RING_DETECTION:
            self.stdout.write("Vote ring detection is off (WAGTAIL_COMMUNITYBLOG_RING_DETECTION).")
            return
        clusters = detect_rings()
        for cluster in clusters:
            self.stdout.write(
                f"{cluster}: {cluster.members.count()} accounts, similarity "
                f"{cluster.similarity:.2f}, {len(cluster.posts)} posts ({cluster.status})"
            )
        self.stdout.write(f"{len(clusters)} vote ring(s) recorded or grown.")
