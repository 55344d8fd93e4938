"""python manage.py import_archive FILE --source SOURCE_ID --map FIELD=COLUMN,…
[--complete-from DATE --complete-to DATE] [--dry-run]"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from statements.ingest.archive import FIELDS, ArchiveError, import_archive, parse_mapping
from statements.management.commands.backfill import parse_moment
from statements.models import Source


class Command(BaseCommand):
    help = (
        "Import statements from a CSV, CSV.gz or JSON-lines archive through the same "
        "attribution and linking as a poll. The archive vouches for coverage only over "
        "the span given by --complete-from/--complete-to; without them it is partial."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", metavar="FILE")
        parser.add_argument("--source", type=int, required=True, metavar="SOURCE_ID")
        parser.add_argument(
            "--map",
            required=True,
            metavar="FIELD=COLUMN,…",
            help=f"which column holds each field ({', '.join(FIELDS)}); date and a title "
            "or text are required",
        )
        parser.add_argument("--complete-from", metavar="DATE")
        parser.add_argument("--complete-to", metavar="DATE")
        parser.add_argument(
            "--dry-run", action="store_true", help="read and check every row, write nothing"
        )

    def handle(self, *args, **options):
        source = Source.objects.filter(pk=options["source"]).first()
        if source is None:
            raise CommandError(f"No source with id #{options['source']}")
        span = []
        for name in ("complete_from", "complete_to"):
            value = options[name]
            try:
                span.append(parse_moment(value) if value else None)
            except ValueError:
                flag = "--" + name.replace("_", "-")
                raise CommandError(f"{flag}: {value!r} is not a date (YYYY-MM-DD)") from None
        complete_from, complete_to = span
        if complete_to is not None and options["complete_to"] and len(options["complete_to"]) == 10:
            # A day given as the end means the whole of that day.
            complete_to = complete_to.replace(hour=23, minute=59, second=59)
        try:
            mapping = parse_mapping(options["map"])
            report = import_archive(
                path=options["file"],
                source=source,
                mapping=mapping,
                complete_from=complete_from,
                complete_to=complete_to,
                dry_run=options["dry_run"],
                progress=lambda r: self.stderr.write(f"\r{r.rows_read} rows read…", ending=""),
            )
        except ArchiveError as exc:
            raise CommandError(str(exc)) from None
        self.stderr.write("")
        for error in report.errors:
            self.stdout.write(self.style.ERROR(str(error)))
        if report.rows_rejected > len(report.errors):
            self.stdout.write(f"… and {report.rows_rejected - len(report.errors)} more bad rows")
        verb = "would store" if report.dry_run else "stored"
        summary = (
            f"{report.file_name}: {report.rows_read} rows read, {verb} {report.rows_new} new, "
            f"{report.rows_rejected} rejected"
        )
        if report.dry_run:
            summary += " (dry run: nothing written)"
        self.stdout.write(summary)
        if report.vouches:
            self.stdout.write(
                f"vouches for {report.vouches.start:%Y-%m-%d %H:%M} – "
                f"{report.vouches.end:%Y-%m-%d %H:%M} UTC"
            )
        elif report.note:
            self.stdout.write(self.style.WARNING(report.note))
        else:
            self.stdout.write("partial archive: vouches for no coverage (no --complete-from/-to)")
