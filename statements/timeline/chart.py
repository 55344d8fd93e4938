"""Statements over time: on an event each day by stance, and an actor's attention by month.

A server-drawn stacked bar chart (geometry only; the template draws the SVG),
so it reads without JavaScript, with a table of the same counts beside it for
screen readers and for anyone who wants the numbers. Days are UTC days. When
the statements spread over more than MAX_DAY_BARS days, bars are weeks, and
the chart says so.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from statements.models import Stance

WIDTH = 660
HEIGHT = 200
LEFT = 34
RIGHT = 10
TOP = 14
BOTTOM = 40
MAX_DAY_BARS = 45
STANCE_ORDER = (Stance.CONDEMNS, Stance.CONCERN, Stance.SUPPORTS, Stance.NEUTRAL)


@dataclass
class Segment:
    stance: str
    label: str
    count: int
    x: float
    y: float
    width: float
    height: float


@dataclass
class Bar:
    start: date
    label: str  # "3 Jan" or "week of 3 Jan"
    total: int
    counts: dict[str, int]
    segments: list[Segment]
    x: float
    width: float
    contains_event: bool

    @property
    def text_x(self) -> float:
        return round(self.x + self.width / 2, 1)

    @property
    def top_y(self) -> float:
        return round(min((s.y for s in self.segments), default=HEIGHT - BOTTOM) - 3, 1)


@dataclass
class AxisTick:
    y: float
    value: int


@dataclass
class StanceChart:
    bars: list[Bar]
    unit: str  # "day" or "week"
    width: int
    height: int
    plot_left: int
    plot_bottom: int
    plot_right: int
    y_ticks: list[AxisTick]
    label_every: int  # label one bar in so many, so dates do not overlap
    stances: list[tuple[str, str]]  # (value, label) in drawing order

    @property
    def total(self) -> int:
        return sum(b.total for b in self.bars)

    @property
    def date_label_y(self) -> int:
        return self.plot_bottom + 15

    @property
    def event_label_y(self) -> int:
        return self.plot_bottom + 30

    @property
    def labelled_bars(self) -> list[Bar]:
        return [b for i, b in enumerate(self.bars) if i % self.label_every == 0 or b.contains_event]


def _nice_max(value: int) -> int:
    for step in (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000):
        if value <= step * 4:
            return step * -(-value // step) if value else step
    return value


def _day(when: datetime) -> date:
    return when.astimezone(UTC).date()


def stance_chart(*, event, entries) -> StanceChart:
    """Bars per UTC day (or week) from the event's day to the last statement."""
    labels = dict(Stance.choices)
    stances = [(s.value, labels[s.value]) for s in STANCE_ORDER]
    first = min([_day(event.occurred_at), *(_day(e.statement.published_at) for e in entries)])
    last = max([_day(event.window_ends_at), *(_day(e.statement.published_at) for e in entries)])
    unit = "day" if (last - first).days + 1 <= MAX_DAY_BARS else "week"
    if unit == "week":
        first -= timedelta(days=first.weekday())
    step = timedelta(days=1 if unit == "day" else 7)

    starts = []
    current = first
    while current <= last:
        starts.append(current)
        current += step
    counts = {start: dict.fromkeys((s for s, _ in stances), 0) for start in starts}
    for entry in entries:
        day = _day(entry.statement.published_at)
        start = day if unit == "day" else day - timedelta(days=day.weekday())
        stance = entry.link.stance if entry.link.stance in counts[start] else Stance.NEUTRAL
        counts[start][stance] += 1

    peak = max((sum(c.values()) for c in counts.values()), default=0)
    top = _nice_max(max(peak, 1))
    plot_bottom = HEIGHT - BOTTOM
    plot_height = plot_bottom - TOP
    plot_width = WIDTH - LEFT - RIGHT
    slot = plot_width / max(len(starts), 1)
    bar_width = max(min(slot * 0.75, 40), 2)
    event_day = _day(event.occurred_at)

    bars = []
    for i, start in enumerate(starts):
        x = LEFT + i * slot + (slot - bar_width) / 2
        y = plot_bottom
        segments = []
        for stance, label in stances:
            n = counts[start][stance]
            if not n:
                continue
            h = n / top * plot_height
            y -= h
            segments.append(Segment(stance=stance, label=label, count=n, x=round(x, 1),
                                    y=round(y, 1), width=round(bar_width, 1), height=round(h, 1)))
        end = start + step - timedelta(days=1)
        label = f"{start:%-d %b}" if unit == "day" else f"week of {start:%-d %b}"
        bars.append(Bar(start=start, label=label, total=sum(counts[start].values()),
                        counts=counts[start], segments=segments, x=round(x, 1),
                        width=round(bar_width, 1), contains_event=start <= event_day <= end))
    ticks_step = max(top // 4, 1)
    y_ticks = [AxisTick(y=round(plot_bottom - v / top * plot_height, 1), value=v)
               for v in range(0, top + 1, ticks_step)]
    return StanceChart(
        bars=bars, unit=unit, width=WIDTH, height=HEIGHT, plot_left=LEFT,
        plot_bottom=plot_bottom, plot_right=WIDTH - RIGHT, y_ticks=y_ticks,
        label_every=max(1, -(-len(bars) // 8)), stances=stances,
    )


# --- an actor's attention over time ---------------------------------------------------

ATTENTION_MONTHS = 36


@dataclass
class MonthBar:
    month: date
    total: int
    on_events: int  # statements linked (not rejected) to some published event
    x: float
    width: float
    y_total: float
    y_events: float

    @property
    def label(self) -> str:
        return f"{self.month:%b %Y}"

    @property
    def h_total(self) -> float:
        return round(HEIGHT - BOTTOM - self.y_total, 1)

    @property
    def h_events(self) -> float:
        return round(HEIGHT - BOTTOM - self.y_events, 1)


@dataclass
class AttentionChart:
    bars: list[MonthBar]
    width: int
    height: int
    plot_left: int
    plot_right: int
    plot_bottom: int
    y_ticks: list[AxisTick]
    label_every: int

    @property
    def total(self) -> int:
        return sum(b.total for b in self.bars)

    @property
    def labelled_bars(self) -> list[MonthBar]:
        return [b for i, b in enumerate(self.bars) if i % self.label_every == 0]

    @property
    def date_label_y(self) -> int:
        return self.plot_bottom + 15


def attention_chart(counts: list[tuple[date, int, int]]) -> AttentionChart:
    """Bars per month from (month, statements, statements on events), the most recent
    ATTENTION_MONTHS months that have any, with the empty months between them drawn."""
    counts = sorted(counts)[-ATTENTION_MONTHS:]
    months: list[date] = []
    if counts:
        current, last = counts[0][0], counts[-1][0]
        while current <= last:
            months.append(current)
            current = date(current.year + current.month // 12, current.month % 12 + 1, 1)
    by_month = {m: (t, e) for m, t, e in counts}
    peak = max((t for _, t, _ in counts), default=0)
    top = _nice_max(max(peak, 1))
    plot_bottom = HEIGHT - BOTTOM
    plot_height = plot_bottom - TOP
    slot = (WIDTH - LEFT - RIGHT) / max(len(months), 1)
    width = max(min(slot * 0.75, 40), 2)
    bars = []
    for i, month in enumerate(months):
        total, on_events = by_month.get(month, (0, 0))
        bars.append(MonthBar(
            month=month, total=total, on_events=on_events,
            x=round(LEFT + i * slot + (slot - width) / 2, 1), width=round(width, 1),
            y_total=round(plot_bottom - total / top * plot_height, 1),
            y_events=round(plot_bottom - on_events / top * plot_height, 1),
        ))
    step = max(top // 4, 1)
    return AttentionChart(
        bars=bars, width=WIDTH, height=HEIGHT, plot_left=LEFT, plot_right=WIDTH - RIGHT,
        plot_bottom=plot_bottom,
        y_ticks=[AxisTick(y=round(plot_bottom - v / top * plot_height, 1), value=v)
                 for v in range(0, top + 1, step)],
        label_every=max(1, -(-len(bars) // 8)),
    )
