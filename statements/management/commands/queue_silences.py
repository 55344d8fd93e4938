"""Queue silences for review now, as the periodic task does every ten minutes.

`--all` also queues events whose window closed long ago (the task looks back
30 days only), e.g. after importing an archive or loading the sample data.
"""

from django.core.management.base import BaseCommand
from django.utils import timezone

from statements.editorial.decisions import SILENCE_LOOKBACK, queue_silence_reviews


class Command(BaseCommand):
    help = "Queue expected actors whose response window closed unanswered for editors' review."

    def add_arguments(self, parser):
        parser.add_argument("--all", action="store_true",
                            help="any closed window, however old (default: the last "
                                 f"{SILENCE_LOOKBACK.days} days)")

    def handle(self, *args, all=False, **options):
        queued = queue_silence_reviews(now=timezone.now(),
                                       lookback=None if all else SILENCE_LOOKBACK)
        self.stdout.write(f"{queued} silence{'s' if queued != 1 else ''} queued for review.")
