"""python manage.py export_actors [--format csv|json]"""

from django.core.management.base import BaseCommand

from statements.curation.actor_lists import FORMATS, export_actors


class Command(BaseCommand):
    help = (
        "Write every actor as an actor list (the format import_actors reads) to standard "
        "output, sorted by slug: export, import, export gives the same file."
    )

    def add_arguments(self, parser):
        parser.add_argument("--format", choices=FORMATS, default="csv", dest="fmt")

    def handle(self, *args, fmt, **options):
        self.stdout.write(export_actors(fmt), ending="")
