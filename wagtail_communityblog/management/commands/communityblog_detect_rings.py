"""Look for vote rings and abnormally fast climbers in the recent votes; hold them for review."""

from django.core.management.base import BaseCommand

from wagtail_communityblog.conf import app_settings
from wagtail_communityblog.models import CommunityMember
from wagtail_communityblog.services.crowd import refresh_crowd
from wagtail_communityblog.services.vote_rings import detect_rings, hold_fast_climbers


class Command(BaseCommand):
    help = (
        "Compare the recent votes of accounts with little voting history, record groups that "
        "voted together (Community > Vote rings) and hold all but one of each group's votes "
        "until an editor confirms or clears it, with the posts each group pushed up; hold the "
        "posts that received abnormally many up votes in their first hour (Community > Held "
        "posts); refresh which accounts follow the crowd (the crowd hold at the vote reads "
        "it). Run it often, e.g. every 10 minutes from cron (or enqueue the "
        "detect_vote_rings task): a ring's votes count until it runs."
    )

    def handle(self, *args, **options):
        if app_settings.CROWD_HOLD:
            refreshed = refresh_crowd()
            following = CommunityMember.objects.filter(follows_crowd=True).count()
            self.stdout.write(
                f"Who follows the crowd, refreshed for the accounts that voted since the last "
                f"run: {refreshed} of them do; {following} account(s) in all."
            )
        # Rings first: a post a detected ring pushed is held with the ring's evidence, and
        # released with the ring's decision.
        if app_settings.RING_DETECTION:
            clusters = detect_rings()
            for cluster in clusters:
                self.stdout.write(
                    f"{cluster}: {cluster.members.count()} accounts, similarity "
                    f"{cluster.similarity:.2f}, {len(cluster.posts)} posts ({cluster.status})"
                )
            self.stdout.write(f"{len(clusters)} vote ring(s) recorded or grown.")
        else:
            self.stdout.write("Vote ring detection is off (WAGTAIL_COMMUNITYBLOG_RING_DETECTION).")
        for hold in hold_fast_climbers():
            self.stdout.write(
                f"Post {hold.post_id} held: {hold.first_hour_up_votes} up votes in its first "
                f"hour (threshold {hold.threshold:.0f})."
            )
