"""Whether a source is alive by its own rhythm, and which entry dates are believable.

Coverage (statements.responses.coverage) says a fetch vouches for the span from
the oldest entry it listed to the fetch. That is only true of a feed that is
alive: a stuck cache or a dead CMS answering 200 lists the same old entries for
ever, and each fetch would "vouch" that the actor said nothing. So a source
vouches for a moment t only while it is alive at t by its own rhythm:

    alive at t  ⇔  the source has a plausibly dated entry in [t − allowance, t]
    allowance   =  3 × its usual gap between entries, bounded to [2 days, 30 days]
    usual gap   =  the median gap between its latest 60 plausibly dated entries
                   (needs at least 5 of them)

With fewer than 5 dated entries there is no rhythm to judge its pauses by, so
only the frozen-feed rule applies: it is alive until 14 days after its newest
entry, and not after.

A daily feed therefore stops vouching 3 days after its newest entry; a feed
that publishes hourly still has two days' grace (the floor: a weekend is not a
death); a monthly bulletin never vouches more than 30 days past its last issue
(the ceiling: beyond that we would rather say "no coverage").

Spans an admin stated complete for an imported archive file are an explicit
claim, not a feed's rhythm, and are taken as stated.

Entry dates are believable when they fall between 10 years before the source
was added (archives and backfills legitimately go back years) and one day after
the fetch (time zones, clock skew). Outside that (1900, 1970, a year ahead),
the feed's date is kept on the statement as `implausible_date`, the statement
sorts at its fetch time, and it counts neither for coverage nor for liveness.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.db.models import F, Q, Window
from django.db.models.functions import RowNumber

from statements.models import Statement
from statements.responses.coverage import Span, clip, subtract

QUIET_FACTOR = 3
QUIET_FLOOR = timedelta(days=2)
QUIET_CEILING = timedelta(days=30)
RHYTHM_SAMPLE = 60
RHYTHM_MIN_ENTRIES = 5
UNKNOWN_RHYTHM_ALLOWANCE = timedelta(days=14)

PLAUSIBLE_BEFORE_SOURCE = timedelta(days=3653)  # ten years
PLAUSIBLE_AFTER_FETCH = timedelta(days=1)


def date_is_plausible(published_at: datetime, *, source_added_at: datetime | None,
                      fetched_at: datetime) -> bool:
    """The one rule for believable entry dates (see the module docstring)."""
    if published_at > fetched_at + PLAUSIBLE_AFTER_FETCH:
        return False
    earliest = (source_added_at or fetched_at) - PLAUSIBLE_BEFORE_SOURCE
    return published_at >= earliest


def vouching_entries() -> Q:
    """Statements whose dates count as signs of life: dated by the feed, plausibly."""
    return Q(published_at_estimated=False, implausible_date__isnull=True)


@dataclass(frozen=True)
class Rhythm:
    """How often a source publishes, learned from its history."""

    usual_gap: timedelta | None  # None: too few entries to tell
    entries: int
    newest: datetime | None = None

    @property
    def allowance(self) -> timedelta:
        if self.usual_gap is None:
            return UNKNOWN_RHYTHM_ALLOWANCE
        return min(max(self.usual_gap * QUIET_FACTOR, QUIET_FLOOR), QUIET_CEILING)

    @property
    def description(self) -> str:
        """'daily', 'several times a day', 'every 4 days', 'weekly'…"""
        gap = self.usual_gap
        if gap is None:
            return "too rarely to learn its rhythm"
        hours = gap.total_seconds() / 3600
        if hours < 20:
            return "several times a day"
        if hours <= 36:
            return "daily"
        days = round(hours / 24)
        if 6 <= days <= 8:
            return "weekly"
        if days >= 25:
            return "monthly"
        return f"every {days} days"


def rhythm_of(dates: Sequence[datetime]) -> Rhythm:
    ordered = sorted(dates)
    gaps = [b - a for a, b in zip(ordered, ordered[1:], strict=False) if b > a]
    newest = ordered[-1] if ordered else None
    if len(ordered) < RHYTHM_MIN_ENTRIES or not gaps:
        return Rhythm(usual_gap=None, entries=len(ordered), newest=newest)
    return Rhythm(usual_gap=statistics.median(gaps), entries=len(ordered), newest=newest)


def rhythms(source_ids: Iterable[int]) -> dict[int, Rhythm]:
    """Each source's rhythm from its latest entries: one query for all of them."""
    source_ids = list(source_ids)
    dates: dict[int, list[datetime]] = defaultdict(list)
    if source_ids:
        latest = (
            Statement.objects.filter(vouching_entries(), source_id__in=source_ids)
            .annotate(newest_first=Window(RowNumber(), partition_by=[F("source_id")],
                                          order_by=[F("published_at").desc(), F("pk").desc()]))
            .filter(newest_first__lte=RHYTHM_SAMPLE)
            .values_list("source_id", "published_at")
        )
        for source_id, published_at in latest:
            dates[source_id].append(published_at)
    return {source_id: rhythm_of(dates.get(source_id, [])) for source_id in source_ids}


def entry_dates(source_ids: Iterable[int], ranges: Iterable[tuple[datetime, datetime]]
                ) -> dict[int, list[datetime]]:
    """The sources' vouching entry dates inside any of `ranges` (widened by the ceiling
    before, so the entry that keeps a window's start alive is found), in order."""
    source_ids = list(source_ids)
    widened = [Span(start - QUIET_CEILING, end) for start, end in ranges]
    spans = clip(widened, min(s.start for s in widened), max(s.end for s in widened)
                 ) if widened else []
    result: dict[int, list[datetime]] = defaultdict(list)
    if not source_ids or not spans:
        return result
    in_ranges = Q()
    for span in spans:
        in_ranges |= Q(published_at__gte=span.start, published_at__lte=span.end)
    rows = (Statement.objects.filter(vouching_entries(), in_ranges, source_id__in=source_ids)
            .order_by("published_at").values_list("source_id", "published_at"))
    for source_id, published_at in rows:
        result[source_id].append(published_at)
    return result


def live_spans(dates: Sequence[datetime], rhythm: Rhythm) -> list[Span]:
    """When the source was alive: each entry keeps it alive for its allowance."""
    allowance = rhythm.allowance
    if rhythm.usual_gap is None:
        if rhythm.newest is None:
            return []
        return [Span(_LONG_AGO, rhythm.newest + allowance)]
    spans: list[Span] = []
    for when in dates:  # in order
        if spans and when <= spans[-1].end:
            spans[-1] = Span(spans[-1].start, max(spans[-1].end, when + allowance))
        else:
            spans.append(Span(when, when + allowance))
    return spans


@dataclass(frozen=True)
class Quiet:
    """Why a source stops vouching somewhere in a window."""

    since: datetime | None  # its last entry before the quiet part; None if none is known
    rhythm: Rhythm
    dead: list[Span]  # the parts of its coverage inside the window it cannot vouch for

    @property
    def reason(self) -> str:
        usual = f"it usually publishes {self.rhythm.description}"
        if self.since is None:
            return f"feed quiet for over {QUIET_CEILING.days} days; {usual}"
        return f"feed quiet since {day_label(self.since)}; {usual}"


def day_label(when: datetime) -> str:
    """'3 Mar 2026': the day is what a reader checks against the feed."""
    return f"{when.day} {when:%b %Y}"


def vouched(coverage: Sequence[Span], dates: Sequence[datetime], rhythm: Rhythm,
            start: datetime, end: datetime) -> tuple[list[Span], Quiet | None]:
    """The parts of the window the source vouches for, and why it does not vouch for
    the rest of its coverage (None when it was alive all along)."""
    inside = clip(coverage, start, end)
    if rhythm.entries == 0:
        # No dated entry stored at all: nothing to judge liveness by. Polls record
        # coverage only from listed dated entries, so this is hand-made evidence.
        return inside, None
    alive = clip(live_spans(dates, rhythm), start, end)
    kept = intersect(inside, alive)
    dead = subtract(inside, kept)
    if not dead:
        return kept, None
    before = [d for d in [*dates, *([rhythm.newest] if rhythm.newest else [])]
              if d <= dead[0].start]
    return kept, Quiet(since=max(before) if before else None, rhythm=rhythm, dead=dead)


def intersect(a: Sequence[Span], b: Sequence[Span]) -> list[Span]:
    """The union of `a` intersected with the union of `b` (both merged, in order)."""
    result = []
    i = j = 0
    while i < len(a) and j < len(b):
        start, end = max(a[i].start, b[j].start), min(a[i].end, b[j].end)
        if start < end:
            result.append(Span(start, end))
        if a[i].end < b[j].end:
            i += 1
        else:
            j += 1
    return result


def is_quiet(last_entry_at: datetime | None, rhythm: Rhythm, now: datetime) -> bool:
    """Feed health's "quiet": the same rule as coverage, at the present moment."""
    return last_entry_at is None or now - last_entry_at > rhythm.allowance


_LONG_AGO = datetime(1900, 1, 1, tzinfo=UTC)
