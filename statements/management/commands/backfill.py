"""python manage.py backfill SOURCE_ID [--until DATE] [--max-pages N]"""

from __future__ import annotations

import sys
from datetime import UTC, datetime, time

from django.core.management.base import BaseCommand, CommandError
from django.utils.dateparse import parse_date, parse_datetime

from statements.ingest import backfill
from statements.models import BackfillCheckpoint, Source


def parse_moment(value: str) -> datetime:
    """A date (its midnight, UTC) or an ISO datetime (UTC unless it says otherwise)."""
    moment = parse_datetime(value)
    if moment is None:
        day = parse_date(value)
        if day is None:
            raise ValueError(value)
        moment = datetime.combine(day, time.min)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


class Command(BaseCommand):
    help = (
        "Walk a feed's archive pages back in time (RFC 5005 next/prev-archive links, or a "
        "?paged= / ?page= parameter) through the poll's own pipeline. Resumable: run it "
        "again after an interruption and it continues from its checkpoint."
    )

    def add_arguments(self, parser):
        parser.add_argument("source_id", type=int, metavar="SOURCE_ID")
        parser.add_argument(
            "--until", metavar="DATE", help="stop once entries this old are reached (UTC)"
        )
        parser.add_argument("--max-pages", type=int, metavar="N", help="fetch at most N pages")

    def handle(self, *args, source_id, until=None, max_pages=None, **options):
        source = Source.objects.filter(pk=source_id).first()
        if source is None:
            raise CommandError(f"No source with id #{source_id} (see the admin's Sources list)")
        if max_pages is not None and max_pages < 1:
            raise CommandError("--max-pages must be at least 1")
        try:
            until_at = parse_moment(until) if until else None
        except ValueError:
            raise CommandError(f"--until: {until!r} is not a date (YYYY-MM-DD)") from None

        interactive = self.stdout.isatty() if hasattr(self.stdout, "isatty") else False

        def show(checkpoint: BackfillCheckpoint) -> None:
            line = backfill.describe(checkpoint)
            if interactive:
                # One line redrawn in place: a progress bar without a dependency.
                self.stdout.write(f"\r{line}\x1b[K", ending="")
            else:
                self.stdout.write(line)
            sys.stdout.flush()

        try:
            checkpoint = backfill.run_backfill(
                source=source, until=until_at, max_pages=max_pages, progress=show
            )
        except backfill.BackfillBusy as exc:
            raise CommandError(str(exc)) from None
        if interactive:
            self.stdout.write("")
        summary = f"#{source.pk} {source}: {checkpoint.get_state_display().lower()}, " + (
            backfill.describe(checkpoint)
        )
        if checkpoint.error:
            summary += f" ({checkpoint.error})"
        failed = checkpoint.state == BackfillCheckpoint.State.FAILED
        self.stdout.write(self.style.ERROR(summary) if failed else summary)
