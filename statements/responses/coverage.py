"""Coverage: the evidence that lets us call an actor "silent".

A feed lists its latest entries, so a successful fetch at time t whose oldest
listed entry is dated o vouches that the source published nothing else in
[o, t]. A 304 or an unchanged body at time t' says the feed is as it was at the
previous successful fetch, so it extends that fetch's interval to t'. A source
marked partial (filtered or curated) vouches for nothing.

This module is the read side: spans and what they cover. The intervals are
written as attempts are recorded, by statements.ingest.coverage.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class Span:
    start: datetime
    end: datetime

    @property
    def hours(self) -> float:
        return (self.end - self.start).total_seconds() / 3600


def clip(spans: Iterable[Span], start: datetime, end: datetime) -> list[Span]:
    """The parts of `spans` inside [start, end], merged and in order."""
    clipped = sorted(
        (
            Span(max(s.start, start), min(s.end, end))
            for s in spans
            if s.end >= start and s.start <= end
        ),
        key=lambda s: (s.start, s.end),
    )
    merged: list[Span] = []
    for span in clipped:
        if merged and span.start <= merged[-1].end:
            merged[-1] = Span(merged[-1].start, max(merged[-1].end, span.end))
        else:
            merged.append(span)
    return merged


def covers(spans: Sequence[Span], start: datetime, end: datetime) -> bool:
    """True when the union of `spans` contains all of [start, end]."""
    inside = clip(spans, start, end)
    return len(inside) == 1 and inside[0].start == start and inside[0].end == end


def gaps(spans: Sequence[Span], start: datetime, end: datetime) -> list[Span]:
    """The parts of [start, end] that `spans` leave uncovered."""
    result = []
    cursor = start
    for span in clip(spans, start, end):
        if span.start > cursor:
            result.append(Span(cursor, span.start))
        cursor = max(cursor, span.end)
    if cursor < end:
        result.append(Span(cursor, end))
    return result


def subtract(spans: Sequence[Span], removed: Sequence[Span]) -> list[Span]:
    """The parts of `spans` (merged, in order) that `removed` leaves."""
    result = []
    for span in spans:
        result += gaps(removed, span.start, span.end)
    return result
