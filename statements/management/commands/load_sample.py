"""python manage.py load_sample"""

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from statements.curation.datasets import DatasetError
from statements.curation.sample import DATASET_PATH, SampleError, load_sample, sample_totals
from statements.models import Event
from statements.responses.statuses import STATUSES, responses_for_events


class Command(BaseCommand):
    help = (
        "Import the sample data set (sample/dataset.json) and ingest its feeds "
        "(sample/feeds/) through the real pipeline. Idempotent: a second run "
        "changes nothing. Needs FEED_ALLOW_PRIVATE_HOSTS=1, the feeds being on 127.0.0.1."
    )

    def handle(self, *args, verbosity, **options):
        try:
            report = load_sample(log=self.stdout.write if verbosity > 0 else lambda line: None)
        except DatasetError as exc:
            raise CommandError(f"{DATASET_PATH} is not a valid data set:\n{exc}") from None
        except SampleError as exc:
            raise CommandError(str(exc)) from None

        totals = sample_totals(report.base_url)
        self.stdout.write(
            f"Sample: {totals['actors']} actors, {totals['groups']} groups, "
            f"{totals['events']} events, {totals['sources']} sources polled; "
            f"{totals['statements']} statements stored ({report.statements_new} new this run), "
            f"{totals['links']} event links ({report.links_new} new this run)."
        )
        if verbosity > 0:
            self._write_statuses(detailed=verbosity > 1)
        if report.failed:
            names = ", ".join(p.name for p in report.failed)
            raise CommandError(f"{len(report.failed)} sample feeds could not be ingested: {names}")
        self.stdout.write(self.style.SUCCESS("Sample loaded."))

    def _write_statuses(self, *, detailed):
        """Who responded to each event, as the timelines will show it."""
        events = Event.objects.order_by("occurred_at")
        for responses in responses_for_events(events=events, now=timezone.now()).values():
            by_status = {}
            for responder in responses.responders:
                if not (responder.expected or detailed):
                    continue
                name = responder.actor.slug
                if responder.through:
                    name += f" (through {responder.through.slug})"
                by_status.setdefault(responder.status, []).append(name)
            self.stdout.write(f"{responses.event.slug}:")
            for status in STATUSES:
                if status in by_status:
                    self.stdout.write(f"  {status}: {', '.join(by_status[status])}")
