"""Rebuild every post's stored scores from the votes, and report any drift it repaired."""

from django.core.management.base import BaseCommand

from wagtail_communityblog.services.ratings import (
    RECOMPUTE_BATCH,
    fold_in_matured_votes,
    recompute_all,
)


class Command(BaseCommand):
    help = (
        "Fold in votes from accounts that have come of age, then rebuild every post's stored "
        "scores (counts, net score, hot, best) from the Rating rows, reporting any drift. "
        "Safe to run while readers vote; run it after changing a ranking setting, and "
        "regularly (e.g. hourly from cron) so new accounts' votes are counted on time."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--matured-only",
            action="store_true",
            help="Only fold in votes of accounts that have come of age; skip the full rebuild.",
        )

        parser.add_argument(
            "--batch-size",
            type=int,
            default=RECOMPUTE_BATCH,
            help="Posts rebuilt per transaction (their score rows are locked meanwhile).",
        )

    def handle(self, *args, **options):
        folded = fold_in_matured_votes()
        self.stdout.write(f"Folded in {folded} vote(s) from accounts that came of age.")
        if options["matured_only"]:
            return
        total, repaired = recompute_all(batch_size=options["batch_size"])
        self.stdout.write(f"Recomputed the scores of {total} post(s).")
        if repaired:
            shown = ", ".join(map(str, repaired[:50])) + (" ..." if len(repaired) > 50 else "")
            self.stdout.write(
                self.style.WARNING(f"Drift repaired on {len(repaired)} post(s) (IDs: {shown}).")
            )
        else:
            self.stdout.write(self.style.SUCCESS("No drift: every stored score matched its votes."))
