"""python manage.py export_dataset [--output FILE]"""

from pathlib import Path

from django.core.management.base import BaseCommand

from statements.curation.datasets import dump_dataset, export_dataset


class Command(BaseCommand):
    help = (
        "Write every actor, group, source and event as a data set file (the format "
        "import_dataset reads), in a stable order: export, import, export gives the same file."
    )

    def add_arguments(self, parser):
        parser.add_argument("--output", "-o", help="write to this file instead of standard output")

    def handle(self, *args, output, **options):
        data = export_dataset()
        text = dump_dataset(data)
        if output:
            Path(output).write_text(text, encoding="utf-8")
            counts = ", ".join(f"{len(data[k])} {k}" for k in ("actors", "groups", "sources",
                                                              "events"))
            self.stderr.write(f"Wrote {output}: {counts}")
        else:
            self.stdout.write(text, ending="")
