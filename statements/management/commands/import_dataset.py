"""python manage.py import_dataset FILE.json [--dry-run]"""

import sys

from django.core.management.base import BaseCommand, CommandError

from statements.curation.datasets import (
    DatasetError,
    import_dataset,
    parse_dataset_text,
    read_dataset_file,
)

KINDS = ("actor", "group", "source", "event")


class Command(BaseCommand):
    help = (
        "Create or update actors, groups, sources and events from a data set file "
        "(the format of DESIGN.md), matched by slug (sources by URL). A bad file "
        "is rejected with the path of every bad field, and nothing is written."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="a data set JSON file, or - for standard input")
        parser.add_argument("--dry-run", action="store_true",
                            help="report what would be created or updated; write nothing")

    def handle(self, *args, file, dry_run, verbosity, **options):
        try:
            data = (parse_dataset_text(sys.stdin.read()) if file == "-"
                    else read_dataset_file(file))
            report = import_dataset(data, dry_run=dry_run)
        except DatasetError as exc:
            count = len(exc.errors)
            lines = "\n".join(f"  {error}" for error in exc.errors)
            raise CommandError(
                f"{file} is not a valid data set ({count} error{'s' if count != 1 else ''}; "
                f"nothing was written):\n{lines}"
            ) from None

        for change in report.changes:
            if change.action != "unchanged" or verbosity > 1:
                self.stdout.write(f"  {change.describe(dry_run=dry_run)}")
        for kind in KINDS:
            if any(c.kind == kind for c in report.changes):
                self.stdout.write(f"{kind}s: {report.summary(kind)}")
        if dry_run:
            self.stdout.write(f"Dry run, nothing written: {report.summary()}")
        else:
            self.stdout.write(self.style.SUCCESS(f"Imported {file}: {report.summary()}"))
            if report.rematched_events:
                self.stdout.write("Re-matching queued for: " + ", ".join(report.rematched_events))
