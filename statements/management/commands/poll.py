"""python manage.py poll [--all] [--source ID ...]"""

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from statements.ingest.pipeline import poll_source
from statements.models import FetchAttempt, Source


class Command(BaseCommand):
    help = (
        "Fetch feeds now, synchronously, through the same code as the Celery task. "
        "Without options, polls the sources that are due; prints one line per source."
    )

    def add_arguments(self, parser):
        parser.add_argument("--all", action="store_true", help="every active source, due or not")
        parser.add_argument(
            "--source",
            type=int,
            action="append",
            metavar="ID",
            help="this source (active or not); repeat for several",
        )

    def handle(self, *args, **options):
        wanted = options["source"]
        if wanted:
            sources = list(Source.objects.filter(pk__in=wanted).order_by("pk"))
            missing = sorted(set(wanted) - {s.pk for s in sources})
            if missing:
                ids = ", ".join(f"#{pk}" for pk in missing)
                raise CommandError(f"No source with id {ids} (see the admin's Sources list)")
        elif options["all"]:
            sources = list(Source.objects.active().order_by("pk"))
        else:
            sources = list(Source.objects.due(timezone.now()).order_by("pk"))
        if not sources:
            self.stdout.write("No sources to poll.")
            return
        for each in sources:
            attempt = poll_source(source=each)
            line = describe(source=each, attempt=attempt)
            style = self.style.ERROR if attempt.outcome == FetchAttempt.Outcome.ERROR else str
            self.stdout.write(style(line))


def describe(*, source: Source, attempt: FetchAttempt) -> str:
    """`#3 Kremlin (en): ok 200, 12 seen, 2 new` and the like."""
    name = f"#{source.pk} {source}" + (f" ({source.language})" if source.language else "")
    Outcome = FetchAttempt.Outcome
    if attempt.outcome == Outcome.OK:
        result = (
            f"ok {attempt.http_status}, {attempt.entries_seen} seen, {attempt.entries_new} new"
        )
    elif attempt.outcome == Outcome.NOT_MODIFIED:
        result = "not modified (304)"
    elif attempt.outcome == Outcome.UNCHANGED:
        result = f"unchanged ({attempt.http_status}, same body as last time)"
    else:
        wait = _duration(source.next_poll_at - attempt.started_at) if source.next_poll_at else "?"
        result = f"error: {attempt.error} (next try in {wait})"
    if attempt.warning:
        result += f"; warning: {attempt.warning.splitlines()[0]}"
    return f"{name}: {result}"


def _duration(delta) -> str:
    minutes = round(delta.total_seconds() / 60)
    hours, minutes = divmod(minutes, 60)
    if hours and minutes:
        return f"{hours} h {minutes} min"
    return f"{hours} h" if hours else f"{minutes} min"

