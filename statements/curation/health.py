"""Feed health: how each source has been polling, read from the attempt log and the clock.

`source_health` is the selector behind /sources/. Three queries whatever
the number of sources: the sources with their counts annotated, their rhythms
(statements.responses.liveness), and the recent attempts of all of them at
once (a window function numbers each source's attempts from the newest, and
only the first HISTORY_LENGTH are read).

A source is flagged, most serious first:

- failing: its latest polls failed (FAILING_AFTER in a row or more), or it
  has failed since its last success;
- quiet: it polls fine but it is not alive by its own rhythm: its newest
  plausibly dated entry is older than its allowance (3 × its usual gap between
  entries, within [2, 30] days; 14 days while its rhythm is unknown), or it has
  listed nothing at all for that long. The rule and the sentence ("feed quiet
  since 3 Mar 2026; it usually publishes daily") are statements.responses.liveness's,
  the same that stops a quiet feed from vouching for a silence;
- paused: an admin turned it off;
- new: never polled yet.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db.models import Count, F, Max, Q, Window
from django.db.models.functions import RowNumber
from django.utils.timesince import timesince, timeuntil

from statements.models import FetchAttempt, Source
from statements.responses import liveness

HISTORY_LENGTH = 30
RECENT_ENTRIES = timedelta(days=7)
QUIET_AFTER = liveness.UNKNOWN_RHYTHM_ALLOWANCE  # while a source's rhythm is unknown
FAILING_AFTER = 3

# Problems first, in this order, then the sources that are fine.
SEVERITY = ("failing", "erratic", "quiet", "new", "paused", "ok")
LABELS = {
    "failing": "Failing",
    "erratic": "Failed last time",
    "quiet": "Quiet",
    "new": "Not polled yet",
    "paused": "Paused",
    "ok": "OK",
}

# The sparkline: one bar per attempt, oldest on the left. Successes rise from
# the baseline (a full fetch higher than a 304 or an unchanged body), failures
# hang below it, so the outcome shows by position as well as by colour.
BAR_WIDTH = 4
BAR_GAP = 1
SPARK_HEIGHT = 22
BASELINE = 14
# (css class, top, height): successes end on the baseline, failures start below it.
_BAR = {
    FetchAttempt.Outcome.OK: ("ok", 1, BASELINE - 1),
    FetchAttempt.Outcome.NOT_MODIFIED: ("same", BASELINE - 5, 5),
    FetchAttempt.Outcome.UNCHANGED: ("same", BASELINE - 5, 5),
    FetchAttempt.Outcome.ERROR: ("error", BASELINE + 1, SPARK_HEIGHT - BASELINE - 1),
}


@dataclass(frozen=True)
class Bar:
    x: int
    y: int
    height: int
    css: str
    label: str
    width: int = BAR_WIDTH


def relative(moment: datetime | None, now: datetime) -> str:
    """"just now", "3 hours ago", "in 12 minutes": one unit is enough at a glance."""
    if moment is None:
        return ""
    seconds = (now - moment).total_seconds()
    if abs(seconds) < 60:
        return "just now" if seconds >= 0 else "in a minute"
    if seconds > 0:
        return f"{timesince(moment, now, depth=1)} ago"
    return f"in {timeuntil(moment, now, depth=1)}"


@dataclass
class SourceHealth:
    source: Source
    state: str
    entries_recent: int
    last_entry_at: datetime | None
    now: datetime
    attempts: list[FetchAttempt] = field(default_factory=list)  # newest first
    rhythm: liveness.Rhythm = field(default_factory=lambda: liveness.rhythm_of([]))

    @property
    def quiet_reason(self) -> str:
        """The sentence the evidence panel gives for the same feed."""
        if self.state != "quiet":
            return ""
        return liveness.Quiet(since=self.last_entry_at, rhythm=self.rhythm, dead=[]).reason

    @property
    def last_success_text(self) -> str:
        return relative(self.source.last_success_at, self.now)

    @property
    def last_attempt_text(self) -> str:
        return relative(self.last_attempt.started_at, self.now) if self.last_attempt else ""

    @property
    def last_entry_text(self) -> str:
        return relative(self.last_entry_at, self.now)

    @property
    def next_poll_text(self) -> str:
        source = self.source
        if not source.is_active:
            return "paused"
        if source.next_poll_at is None or source.next_poll_at <= self.now:
            return "due now"
        return relative(source.next_poll_at, self.now)

    @property
    def label(self) -> str:
        return LABELS[self.state]

    @property
    def is_problem(self) -> bool:
        return self.state in ("failing", "erratic", "quiet")

    @property
    def last_attempt(self) -> FetchAttempt | None:
        return self.attempts[0] if self.attempts else None

    @property
    def failed_recently(self) -> int:
        return sum(1 for a in self.attempts if a.outcome == FetchAttempt.Outcome.ERROR)

    @property
    def spark_width(self) -> int:
        return HISTORY_LENGTH * (BAR_WIDTH + BAR_GAP)

    @property
    def spark_baseline(self) -> float:
        return BASELINE + 0.5

    @property
    def bars(self) -> list[Bar]:
        bars = []
        oldest_first = list(reversed(self.attempts))
        # Right-aligned: the newest attempt is always at the same place.
        offset = HISTORY_LENGTH - len(oldest_first)
        for i, attempt in enumerate(oldest_first):
            css, y, height = _BAR[attempt.outcome]
            when = f"{attempt.started_at:%Y-%m-%d %H:%M} UTC"
            what = attempt.get_outcome_display()
            if attempt.outcome == FetchAttempt.Outcome.ERROR and attempt.error:
                what += f": {attempt.error[:120]}"
            elif attempt.outcome == FetchAttempt.Outcome.OK:
                what += f", {attempt.entries_new} new of {attempt.entries_seen}"
            bars.append(Bar(x=(offset + i) * (BAR_WIDTH + BAR_GAP), y=y, height=height,
                            css=css, label=f"{when}: {what}"))
        return bars

    @property
    def spark_summary(self) -> str:
        total = len(self.attempts)
        if not total:
            return "No attempts yet"
        return (f"Last {total} attempt{'s' if total != 1 else ''}: "
                f"{total - self.failed_recently} succeeded, {self.failed_recently} failed")


@dataclass
class HealthOverview:
    rows: list[SourceHealth]
    now: datetime

    def count(self, state: str) -> int:
        return sum(1 for row in self.rows if row.state == state)

    @property
    def counts(self) -> list[tuple[str, str, int]]:
        return [(state, LABELS[state], self.count(state)) for state in SEVERITY
                if self.count(state)]


def source_state(source: Source, *, last_entry_at: datetime | None, now: datetime,
                 rhythm: liveness.Rhythm | None = None) -> str:
    if not source.is_active:
        return "paused"
    if source.last_attempt_at is None:
        return "new"
    if source.consecutive_failures >= FAILING_AFTER:
        return "failing"
    if source.consecutive_failures:
        return "erratic"
    rhythm = rhythm or liveness.rhythm_of([])
    if liveness.is_quiet(last_entry_at or source.created_at, rhythm, now):
        return "quiet"
    return "ok"


def source_health(*, now: datetime, sources=None) -> HealthOverview:
    """Every source (or those of `sources`, a queryset) with its health, problems first."""
    queryset = (Source.objects.all() if sources is None else sources).select_related("actor")
    queryset = queryset.annotate(
        entries_recent=Count("statements", filter=Q(statements__published_at__gte=now
                                                    - RECENT_ENTRIES)),
        # Only entries the feed dated believably are signs of life.
        last_entry_at=Max("statements__published_at",
                          filter=Q(statements__published_at_estimated=False,
                                   statements__implausible_date__isnull=True)),
    )
    listed = list(queryset)
    rhythms = liveness.rhythms([s.pk for s in listed]) if listed else {}
    attempts: dict[int, list[FetchAttempt]] = {source.pk: [] for source in listed}
    if listed:
        recent = (
            FetchAttempt.objects.filter(source__in=[s.pk for s in listed])
            .annotate(newest_first=Window(RowNumber(), partition_by=[F("source_id")],
                                          order_by=[F("started_at").desc(), F("pk").desc()]))
            .filter(newest_first__lte=HISTORY_LENGTH)
            .order_by("source_id", "newest_first")
            .only("source_id", "started_at", "outcome", "http_status", "entries_seen",
                  "entries_new", "error")
        )
        for attempt in recent:
            attempts[attempt.source_id].append(attempt)

    rows = [
        SourceHealth(
            source=source,
            state=source_state(source, last_entry_at=source.last_entry_at, now=now,
                               rhythm=rhythms[source.pk]),
            entries_recent=source.entries_recent,
            last_entry_at=source.last_entry_at,
            now=now,
            attempts=attempts[source.pk],
            rhythm=rhythms[source.pk],
        )
        for source in listed
    ]
    rows.sort(key=lambda row: (SEVERITY.index(row.state), (row.source.title or
                                                           row.source.url).casefold()))
    return HealthOverview(rows=rows, now=now)
