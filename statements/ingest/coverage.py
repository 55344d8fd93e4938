"""Recording coverage: each fetch attempt extends its source's CoverageInterval rows.

Intervals are kept per source as attempts are recorded (`record_attempt`), and can
be rebuilt from the attempt log (`rebuild`): the table is a compaction of the log,
never a second truth. What the intervals mean is in statements.responses.coverage.
"""

from __future__ import annotations

from datetime import datetime

from django.db import transaction

from statements.models import ArchiveImport, CoverageInterval, FetchAttempt, Source
from statements.responses.coverage import Span

POLL = CoverageInterval.Origin.POLL


def record_attempt(*, attempt: FetchAttempt, previous_success_at: datetime | None) -> None:
    """Fold one recorded attempt into its source's coverage intervals.

    `previous_success_at` is the source's last successful fetch before this
    one: a 304 only extends the interval that fetch produced.
    """
    source = attempt.source
    fetched_at = attempt.started_at
    Outcome = FetchAttempt.Outcome
    if attempt.outcome == Outcome.OK and attempt.oldest_entry_at is not None:
        _merge(source, Span(min(attempt.oldest_entry_at, fetched_at), fetched_at))
    elif attempt.outcome in (Outcome.NOT_MODIFIED, Outcome.UNCHANGED) and previous_success_at:
        # The interval of the previous success ends exactly at its fetch time.
        # If the last success listed no dated entries, there is none to extend.
        latest = (
            CoverageInterval.objects.filter(source=source, origin=POLL, end=previous_success_at)
            .order_by("-start")
            .first()
        )
        if latest is not None:
            _merge(source, Span(latest.start, fetched_at))


def vouch(*, source: Source, span: Span, origin: str, archive: ArchiveImport | None = None) -> None:
    """Record a span vouched for by other evidence than polls: archive pages of the
    feed (a backfill) or an archive file an admin stated complete for the span.
    Spans of one origin (and one file) merge among themselves; a reader takes the
    union of every origin.
    """
    _merge(source, span, origin=origin, archive=archive)


def _merge(
    source: Source, span: Span, *, origin: str = "poll", archive: ArchiveImport | None = None
) -> None:
    with transaction.atomic():
        # Lock the source's row so two workers folding attempts for one source
        # cannot interleave their read-merge-write.
        Source.objects.select_for_update().filter(pk=source.pk).first()
        touching = list(
            CoverageInterval.objects.filter(
                source=source,
                origin=origin,
                archive=archive,
                start__lte=span.end,
                end__gte=span.start,
            )
        )
        start = min([span.start, *(i.start for i in touching)])
        end = max([span.end, *(i.end for i in touching)])
        if len(touching) == 1 and (touching[0].start, touching[0].end) == (start, end):
            return
        CoverageInterval.objects.filter(pk__in=[i.pk for i in touching]).delete()
        CoverageInterval.objects.create(
            source=source, start=start, end=end, origin=origin, archive=archive
        )


def rebuild(source: Source) -> list[Span]:
    """Recompute a source's intervals from its whole attempt log."""
    with transaction.atomic():
        # Only what the attempt log produced; backfill and archive spans stay.
        CoverageInterval.objects.filter(source=source, origin=POLL).delete()
        previous_success_at = None
        for attempt in source.attempts.order_by("started_at", "pk"):
            attempt.source = source
            record_attempt(attempt=attempt, previous_success_at=previous_success_at)
            if attempt.succeeded:
                previous_success_at = attempt.started_at
    return [Span(i.start, i.end) for i in source.coverage.filter(origin=POLL).order_by("start")]
