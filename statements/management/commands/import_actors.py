"""python manage.py import_actors FILE [--dry-run]"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from statements.curation.actor_lists import ActorFileError, import_actors, read_actor_file


class Command(BaseCommand):
    help = (
        "Create or update actors from an actor list (CSV or JSON, by the file's extension), "
        "matched by slug. Every rejected record is reported with its line, and then "
        "nothing of the file is written."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="an actor list: .csv or .json")
        parser.add_argument("--dry-run", action="store_true",
                            help="report what would be created, updated or rejected; write nothing")

    def handle(self, *args, file, dry_run, verbosity, **options):
        path = Path(file)
        try:
            content = path.read_bytes()
        except OSError as exc:
            raise CommandError(f"cannot read {file}: {exc.strerror or exc}") from None
        try:
            records = read_actor_file(name=path.name, content=content)
        except ActorFileError as exc:
            raise CommandError(f"{file} is not a valid actor list (nothing was written): {exc}") \
                from None
        report = import_actors(records, dry_run=dry_run, file_name=path.name)

        would = "would be " if dry_run or not report.is_valid else ""
        for row in report.rows:
            if row.action == "unchanged" and verbosity < 2:
                continue
            detail = row.describe()
            label = row.action if row.action == "rejected" else would + row.action
            self.stdout.write(f"  line {row.line}: {row.slug or '(no slug)'} {label}"
                              + (f": {detail}" if detail else ""))
        if report.new_groups:
            self.stdout.write(f"  groups {would}created: {', '.join(report.new_groups)}")
        if not report.is_valid:
            raise CommandError(f"{file}: {report.rejected} record"
                               f"{'s' if report.rejected != 1 else ''} rejected; "
                               f"nothing was written ({report.summary()})")
        if dry_run:
            self.stdout.write(f"Dry run, nothing written: {report.summary()}")
        else:
            self.stdout.write(self.style.SUCCESS(f"Imported {file}: {report.summary()}"))
