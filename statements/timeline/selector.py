"""The event timeline page: who answered, when, in what tone, and the evidence for every silence.

`event_timeline(*, event, now, filters)` is the one selector behind the
timeline page and its exports. It takes the statuses from
statements.responses (never re-deriving them) and adds what a reader needs to
see them: the rows of the status table, the swimlane chart's geometry, the
ladder sentences ("Russia answered in 5.5 h through Russian MFA; its leader
Vladimir Putin never did."), the coverage evidence behind each silence, and the linked
statements in time order with their offsets from T0.

Filters narrow the statements (and so the swimlane's marks); the group filter
also narrows the responder rows to the group's members. Rejected links are
left out unless the link-status filter asks for them: an editor rejected them
as not being about the event, so they are neither evidence nor data.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import urlencode

from django.db.models import Count, Q
from django.db.models.functions import TruncMonth

from actors.models import Actor, ActorGroup, Role
from statements.editorial.decisions import event_notes
from statements.models import Event, EventLink, Stance, Statement
from statements.responses.coverage import Span
from statements.responses.statuses import (
    NO_COVERAGE,
    PENDING,
    RESPONDED,
    RESPONDED_LATE,
    SILENT,
    STATUS_LABELS,
    STATUSES,
    VIA_PROXY,
    EventResponses,
    Ladder,
    Responder,
    responses_for_events,
)
from statements.timeline.chart import AttentionChart, attention_chart
from statements.timeline.labels import (
    duration_label,
    hours_between,
    offset_label,
    tick_label,
    utc_label,
)

# "Any status" is the only value that brings rejected links back.
LINK_STATUS_ANY = "any"

# Swimlane geometry, in SVG user units.
PLOT_LEFT = 16  # the actor names sit beside the chart, in HTML, so they can stay in view
MAIN_WIDTH = 660
BREAK_GAP = 26
LATE_WIDTH = 150
RIGHT_PAD = 24
TOP_PAD = 40
ROW_HEIGHT = 46
BOTTOM_PAD = 44
LEAD_HOURS = 24
NICE_STEPS = (1, 2, 3, 6, 12, 24, 48, 72, 168, 336, 720, 1440, 2160, 4320, 8760)
LATE_TICK_DAYS = (4, 5, 7, 10, 14, 21, 30, 45, 60, 90, 120, 180, 270, 365, 730)
MARK_RADIUS = {0: 5.0, 1: 6.0, 2: 7.0, 3: 8.5}
# Vertical offsets for marks that would sit on top of each other.
STAGGER = (0, -11, 11, -5, 5)


# --- filters ------------------------------------------------------------------


@dataclass(frozen=True)
class TimelineFilters:
    group: ActorGroup | None = None
    stance: str = ""
    link_status: str = ""  # "" = all but rejected; LINK_STATUS_ANY = all
    # Only claims a person checked: statuses whose standing is confirmed or an
    # editor's decision, and statements whose link an editor confirmed.
    checked: bool = False

    @property
    def is_active(self) -> bool:
        return bool(self.group or self.stance or self.link_status or self.checked)

    @property
    def query(self) -> str:
        """The filters as a query string, to carry them into export links and CSV headers."""
        params = {"group": self.group.slug if self.group else "", "stance": self.stance,
                  "link_status": self.link_status, "checked": "on" if self.checked else ""}
        return urlencode({k: v for k, v in params.items() if v})

    def admits_status(self, link: EventLink) -> bool:
        if self.link_status == LINK_STATUS_ANY:
            return True
        if self.link_status:
            return link.status == self.link_status
        return link.status != EventLink.Status.REJECTED

    def admits(self, link: EventLink) -> bool:
        if self.checked and not (link.status == EventLink.Status.CONFIRMED
                                 and link.counts_toward_status):
            return False
        return self.admits_status(link) and (not self.stance or link.stance == self.stance)


# --- summaries for lists --------------------------------------------------------


@dataclass
class SummaryPiece:
    status: str
    label: str
    count: int
    percent: float


@dataclass
class ResponseSummary:
    """'7 of 12 responded (1 through a spokesperson, 2 late), 3 silent, 2 no coverage' —
    expected actors only."""

    expected: int
    counts: dict[str, int]

    @property
    def answered(self) -> int:
        return sum(self.counts[s] for s in (RESPONDED, VIA_PROXY, RESPONDED_LATE))

    @property
    def pieces(self) -> list[SummaryPiece]:
        return [
            SummaryPiece(status, STATUS_LABELS[status], self.counts[status],
                         round(100 * self.counts[status] / self.expected, 2))
            for status in STATUSES if self.counts[status]
        ]

    @property
    def text(self) -> str:
        if not self.expected:
            return "No expected responders"
        text = f"{self.answered} of {self.expected} responded"
        how = ([f"{self.counts[VIA_PROXY]} through a spokesperson"]
               if self.counts[VIA_PROXY] else [])
        how += [f"{self.counts[RESPONDED_LATE]} late"] if self.counts[RESPONDED_LATE] else []
        if how:
            text += f" ({', '.join(how)})"
        for status in (PENDING, SILENT, NO_COVERAGE):
            if self.counts[status]:
                text += f", {self.counts[status]} {STATUS_LABELS[status].lower()}"
        return text


def summarize(responses: EventResponses) -> ResponseSummary:
    return ResponseSummary(expected=responses.expected_count, counts=responses.counts)


@dataclass
class EventSummary:
    event: Event
    summary: ResponseSummary
    window_open: bool


def event_summaries(*, events: Iterable[Event], now: datetime) -> list[EventSummary]:
    """The response summary of each event, for lists: one batched status derivation."""
    events = list(events)
    responses = responses_for_events(events=events, now=now)
    return [
        EventSummary(event=e, summary=summarize(responses[e.pk]),
                     window_open=responses[e.pk].window_open)
        for e in events
    ]


# --- the timeline -------------------------------------------------------------


@dataclass
class TimelineEntry:
    """One linked statement in the statements list (and in the exports)."""

    link: EventLink
    offset_hours: float
    phase: str  # before, window, late
    flags: list = field(default_factory=list)  # editors' open flags on the statement

    @property
    def statement(self) -> Statement:
        return self.link.statement

    @property
    def offset_label(self) -> str:
        return offset_label(self.offset_hours)

    @property
    def offset_short(self) -> str:
        """'+100.0 h' without the days, for narrow places."""
        return offset_label(self.offset_hours).split(" (")[0]

    @property
    def offset_days(self) -> str:
        return f"{abs(self.offset_hours) / 24:.1f} d" if abs(self.offset_hours) >= 48 else ""

    @property
    def phase_label(self) -> str:
        return {"before": "before the event", "window": "in the window",
                "late": "after the window"}[self.phase]


@dataclass
class BarPiece:
    """A span drawn as a percentage of the window (for the coverage bars)."""

    span: Span
    left: float
    width: float

    @property
    def label(self) -> str:
        start, end = utc_label(self.span.start), utc_label(self.span.end)
        return f"{start} – {end} ({self.span.hours:.1f} h)"


@dataclass
class EvidenceLine:
    source_title: str
    source_url: str  # the feed itself: it is the feed's fetch log that vouches
    is_partial: bool
    covers: bool
    spans: list[BarPiece]
    gaps: list[BarPiece]
    reason: str = ""  # why the source does not vouch (quiet by its rhythm, partial)
    # Imported archive files stated complete over part of the window, named (issue 13).
    archives: list = field(default_factory=list)


@dataclass
class ResponderRow:
    responder: Responder
    latency_hours: float | None
    evidence: list[EvidenceLine]
    # Editors' open flags on the (event, actor) pair, and a silence they confirmed as notable.
    flags: list = field(default_factory=list)
    notable_silence: object | None = None

    @property
    def actor(self) -> Actor:
        return self.responder.actor

    @property
    def latency_label(self) -> str:
        return offset_label(self.latency_hours)

    @property
    def latency_short(self) -> str:
        return self.latency_label.split(" (")[0]

    @property
    def evidence_summary(self) -> str:
        if not self.evidence:
            return f"No source that can speak for {self.actor.name} is watched."
        covering = [e for e in self.evidence if e.covers]
        watched = f"{len(self.evidence)} source{'s' if len(self.evidence) != 1 else ''} watched"
        if covering:
            verb = "covers" if len(covering) == 1 else "cover"
            return f"{watched}; {len(covering)} {verb} the whole window."
        return f"{watched}; none covers the whole window."


@dataclass
class RungLine:
    actor: Actor
    role: str
    title: str
    offset_hours: float | None  # the member's first statement on the event, whenever
    window_offset_hours: float | None  # its first statement inside the window

    @property
    def in_window(self) -> bool:
        return self.window_offset_hours is not None

    @property
    def offset_label(self) -> str:
        return offset_label(self.offset_hours)

    @property
    def window_offset_label(self) -> str:
        return offset_label(self.window_offset_hours)

    @property
    def spoke_before_t0(self) -> bool:
        return self.offset_hours is not None and self.offset_hours < 0


@dataclass
class LadderView:
    ladder: Ladder
    sentence: str
    rungs: list[RungLine]


@dataclass
class Tick:
    x: float
    label: str
    major: bool = False


@dataclass
class Mark:
    x: float
    y: float
    path: str
    stance: str
    own: bool  # the row's actor said it; otherwise a member or spokesperson did
    rejected: bool
    href: str
    tooltip: str


@dataclass
class CoverageBar:
    """A span some source vouches for, drawn under a silent or uncovered row."""

    x: float
    width: float
    label: str


@dataclass
class SwimlaneRow:
    row: ResponderRow
    y: float  # top of the row
    marks: list[Mark]
    coverage: list[CoverageBar]

    @property
    def coverage_y(self) -> float:
        return self.y + ROW_HEIGHT - 7

    height = ROW_HEIGHT

    @property
    def bottom(self) -> float:
        return self.y + ROW_HEIGHT

    @property
    def hatch_y(self) -> float:
        return self.y + 5

    @property
    def hatch_height(self) -> float:
        return ROW_HEIGHT - 10

    @property
    def note_y(self) -> float:
        return self.y + ROW_HEIGHT / 2 + 4

    @property
    def empty_note(self) -> str:
        status = self.row.responder.status
        if self.marks:
            return ""
        return {
            SILENT: "Silent — nothing linked, and its sources cover the window",
            NO_COVERAGE: "No coverage — we cannot tell",
            PENDING: "Pending — nothing yet, the window is open",
        }.get(status, "No statement matches the filters")


@dataclass
class Swimlane:
    width: float
    height: float
    plot_left: float
    plot_right: float
    plot_top: float
    plot_bottom: float
    band_x: float
    band_width: float
    ticks: list[Tick]
    late_ticks: list[Tick]
    break_x: float | None  # where the compressed late segment starts
    late_x: float | None
    now_x: float | None
    rows: list[SwimlaneRow]
    window_label: str
    late_label: str

    @property
    def plot_width(self) -> float:
        return self.plot_right - self.plot_left

    @property
    def plot_height(self) -> float:
        return self.plot_bottom - self.plot_top

    @property
    def t0_x(self) -> float:
        return self.band_x

    @property
    def window_end_x(self) -> float:
        return round(self.band_x + self.band_width, 1)

    @property
    def note_x(self) -> float:
        return round(self.band_x + self.band_width / 2, 1)

    @property
    def top_label_y(self) -> float:
        return self.plot_top - 8

    @property
    def tick_label_y(self) -> float:
        return self.plot_bottom + 16

    @property
    def axis_title_y(self) -> float:
        return self.plot_bottom + 34

    @property
    def break_path(self) -> str:
        """Two slashes across the axis where the scale changes."""
        if self.break_x is None:
            return ""
        y = self.plot_bottom + 7
        return f"M{self.break_x + 3},{y} l7,-14 M{self.late_x - 10},{y} l7,-14"

    @property
    def late_label_y(self) -> float:
        return self.plot_top - 22

    @property
    def bottom_pad(self) -> float:
        return self.height - self.plot_bottom

    @property
    def break_gap(self) -> float:
        return (self.late_x - self.break_x) if self.break_x is not None else 0


@dataclass
class Timeline:
    event: Event
    now: datetime
    filters: TimelineFilters
    responses: EventResponses
    rows: list[ResponderRow]
    entries: list[TimelineEntry]
    ladders: list[LadderView]
    swimlane: Swimlane
    total_links: int

    @property
    def summary(self) -> ResponseSummary:
        return summarize(self.responses)

    @property
    def window_open(self) -> bool:
        return self.responses.window_open

    @property
    def silences(self) -> list[ResponderRow]:
        return [r for r in self.rows if r.responder.status in (SILENT, NO_COVERAGE)]


def event_timeline(*, event: Event, now: datetime,
                   filters: TimelineFilters | None = None) -> Timeline:
    """Everything the timeline page and its exports show, in a constant number of queries."""
    filters = filters or TimelineFilters()
    responses = responses_for_events(events=[event], now=now)[event.pk]
    graph = responses.graph

    responders = responses.responders
    if filters.checked:
        responders = [r for r in responders if r.is_checked]
    if filters.group is not None:
        members = set(filters.group.members.values_list("pk", flat=True))
        responders = [r for r in responders if r.actor.pk in members]
        allowed_speakers = set().union(
            *(graph.voices(m, on=event.occurred_at.date()) for m in members if m in graph.by_id))
    else:
        allowed_speakers = None

    def shown(link: EventLink) -> bool:
        if not filters.admits(link):
            return False
        return allowed_speakers is None or link.statement.actor_id in allowed_speakers

    t0, window_end = event.occurred_at, event.window_ends_at
    entries = [
        TimelineEntry(link=link, offset_hours=hours_between(t0, link.statement.published_at),
                      phase=_phase(link.statement.published_at, t0, window_end))
        for link in responses.links if shown(link)
    ]
    rows = [
        ResponderRow(
            responder=r,
            latency_hours=responses.latency_hours(r.first_statement_at),
            evidence=[_evidence_line(e, t0, window_end) for e in r.evidence],
        )
        for r in responders
    ]
    notes = event_notes(event=event, statement_ids=[link.statement_id for link in responses.links])
    for row in rows:
        row.flags = notes.flags_by_actor.get(row.actor.pk, [])
        # Shown only while the decision holds for the status derived now
        # (statuses.decision_holds): a contradicted one is back in the queue.
        decision = row.responder.decision
        row.notable_silence = decision if decision and decision.decision == "notable" else None
    for entry in entries:
        entry.flags = notes.flags_by_statement.get(entry.link.statement_id, [])
    shown_ids = {r.actor.pk for r in rows}
    ladders = [ladder for ladder in responses.ladders if ladder.state.pk in shown_ids]
    axis_links = [link for link in responses.links if filters.admits_status(link)]
    return Timeline(
        event=event,
        now=now,
        filters=filters,
        responses=responses,
        rows=rows,
        entries=entries,
        ladders=_ladder_views(ladders, responses, event),
        swimlane=_swimlane(event, now, rows, entries, axis_links, graph),
        total_links=sum(1 for link in responses.links if filters.admits_status(link)),
    )


def _phase(published_at, t0, window_end) -> str:
    if published_at < t0:
        return "before"
    return "window" if published_at <= window_end else "late"


def _evidence_line(evidence, start, end) -> EvidenceLine:
    total = (end - start).total_seconds() or 1

    def piece(span: Span) -> BarPiece:
        left = (span.start - start).total_seconds() / total * 100
        width = (span.end - span.start).total_seconds() / total * 100
        return BarPiece(span=span, left=round(left, 2), width=round(max(width, 0.5), 2))

    source = evidence.source
    return EvidenceLine(
        source_title=str(source),
        source_url=source.url,
        is_partial=source.is_partial,
        covers=evidence.covers,
        spans=[piece(s) for s in evidence.spans],
        gaps=[piece(s) for s in evidence.gaps],
        reason=evidence.reason,
        archives=evidence.archives,
    )


# --- ladders --------------------------------------------------------------------

ROLE_LABELS = {"leader": "leader", "spokesperson": "spokesperson",
               "institution": "institution", "official": "official"}


def _ladder_views(ladders: list[Ladder], responses: EventResponses,
                  event: Event) -> list[LadderView]:
    if not ladders:
        return []
    t0 = event.occurred_at
    leader_ids = [r.actor.pk for ladder in ladders for r in ladder.rungs if r.role == "leader"]
    titles = _current_titles(leader_ids)
    views = []
    for ladder in ladders:
        rungs = [
            RungLine(
                actor=r.actor, role=ROLE_LABELS[r.role], title=titles.get(r.actor.pk, ""),
                offset_hours=hours_between(t0, r.first_statement_at) if r.link else None,
                window_offset_hours=(
                    hours_between(t0, r.window_link.statement.published_at)
                    if r.window_link else None),
            )
            for r in ladder.rungs
        ]
        views.append(LadderView(
            ladder=ladder,
            sentence=ladder_sentence(ladder, rungs, responses),
            rungs=rungs,
        ))
    return views


def _current_titles(person_ids: list[int]) -> dict[int, str]:
    if not person_ids:
        return {}
    titles: dict[int, str] = {}
    roles = Role.objects.filter(person_id__in=person_ids, ended_on__isnull=True).order_by(
        "-started_on")
    for person_id, title in roles.values_list("person_id", "title"):
        titles.setdefault(person_id, title)
    return titles


def ladder_sentence(ladder: Ladder, rungs: list[RungLine], responses: EventResponses) -> str:
    """'Russia answered in 5.5 h through Russian MFA; Vladimir Putin (President) never did.'

    Composed from the Ladder: the state's own status and latency, then a clause
    for each leader who did not speak inside the window."""
    state = ladder.state.name
    responder = ladder.responder
    latency = duration_label(responses.latency_hours(responder.first_statement_at))
    through = f" through {responder.through.name}" if responder.through else ""
    status = responder.status
    if status == RESPONDED:
        sentence = f"{state} answered in {latency}{through}"
    elif status == RESPONDED_LATE:
        sentence = f"{state} answered only after the window, {latency} after the event{through}"
    elif status == PENDING:
        sentence = f"{state} has not answered yet; the window is still open"
    elif status == SILENT:
        sentence = f"{state} said nothing in the window, and its sources cover it"
    else:
        sentence = f"{state} said nothing that we know of; its sources do not cover the window"
    answered = status in (RESPONDED, RESPONDED_LATE)

    clauses = []
    for rung in rungs:
        if rung.role != "leader" or rung.in_window:
            continue
        who = f"{rung.actor.name} ({rung.title})" if rung.title else f"its leader {rung.actor.name}"
        if rung.offset_hours is None:
            if responses.window_open:
                clauses.append(f"{who} has not spoken yet")
            else:
                clauses.append(f"{who} never did" if answered else f"nor did {who}")
        elif rung.offset_hours < 0:
            clauses.append(f"{who} spoke only before the event, at {rung.offset_label}")
        else:
            clauses.append(f"{who} spoke only after the window, at {rung.offset_label}")
    if clauses:
        sentence += "; " + "; ".join(clauses)
    return sentence + "."


# --- swimlane geometry ----------------------------------------------------------



class Axis:
    """Hours since T0 → x. Linear from before T0 to just past the window; beyond
    that, if late answers exist, a separate square-root segment after a visible
    break, so a reply 20 days later is shown without squashing the window. The
    break and the segment's own tick labels keep the compression honest."""

    def __init__(self, *, start: float, main_end: float, late_end: float | None):
        self.start, self.main_end, self.late_end = start, main_end, late_end
        self.main_left = PLOT_LEFT
        self.main_width = MAIN_WIDTH + (0 if late_end else BREAK_GAP + LATE_WIDTH)
        self.late_left = self.main_left + self.main_width + BREAK_GAP if late_end else None

    @property
    def right(self) -> float:
        if self.late_end:
            return self.late_left + LATE_WIDTH
        return self.main_left + self.main_width

    def x(self, hours: float) -> float:
        if hours <= self.main_end or not self.late_end:
            hours = min(hours, self.main_end)
            frac = (hours - self.start) / (self.main_end - self.start)
            return self.main_left + frac * self.main_width
        frac = math.sqrt((hours - self.main_end) / (self.late_end - self.main_end))
        return self.late_left + min(frac, 1.0) * LATE_WIDTH


def _axis(event: Event, offsets: list[float]) -> tuple[Axis, float]:
    window = float(event.window_hours)
    pad = max(6.0, window * 0.15)
    earliest = min([-LEAD_HOURS, *offsets])
    span = window + pad - earliest
    step = next((s for s in NICE_STEPS if span / s <= 9), NICE_STEPS[-1])
    start = math.floor(earliest / step) * step
    main_end = math.ceil((window + pad) / step) * step
    latest = max(offsets, default=0.0)
    # A little room past the latest answer, so its mark is not cut by the edge.
    late_end = main_end + (latest - main_end) * 1.08 if latest > main_end else None
    return Axis(start=start, main_end=main_end, late_end=late_end), step


def _mark_path(stance: str, cx: float, cy: float, r: float) -> str:
    """A shape per stance, so marks never rely on colour alone."""
    if stance == Stance.CONDEMNS:  # diamond
        return (f"M{cx:.1f},{cy - r:.1f} L{cx + r:.1f},{cy:.1f} "
                f"L{cx:.1f},{cy + r:.1f} L{cx - r:.1f},{cy:.1f} Z")
    if stance == Stance.CONCERN:  # triangle
        return (f"M{cx:.1f},{cy - r:.1f} L{cx + r:.1f},{cy + r * 0.8:.1f} "
                f"L{cx - r:.1f},{cy + r * 0.8:.1f} Z")
    if stance == Stance.SUPPORTS:  # square
        s = r * 0.85
        return f"M{cx - s:.1f},{cy - s:.1f} H{cx + s:.1f} V{cy + s:.1f} H{cx - s:.1f} Z"
    # neutral: circle
    return (f"M{cx - r:.1f},{cy:.1f} a{r:.1f},{r:.1f} 0 1,0 {2 * r:.1f},0 "
            f"a{r:.1f},{r:.1f} 0 1,0 {-2 * r:.1f},0 Z")


def _late_ticks(axis: Axis, min_gap: float = 36) -> list[Tick]:
    """Day ticks on the compressed segment, always including the last whole day,
    so the latest answers have a label near them."""
    candidates = [d for d in LATE_TICK_DAYS if axis.main_end < d * 24 <= axis.late_end]
    last_day = math.floor(axis.late_end / 24)
    ticks: list[Tick] = []
    for days in candidates:
        x = axis.x(days * 24)
        if (not ticks or x - ticks[-1].x >= min_gap) and axis.late_left + LATE_WIDTH - x >= 0:
            ticks.append(Tick(x=round(x, 1), label=f"+{days} d"))
    if last_day * 24 > axis.main_end and f"+{last_day} d" not in [t.label for t in ticks]:
        x = axis.x(last_day * 24)
        ticks = [t for t in ticks if x - t.x >= min_gap]
        ticks.append(Tick(x=round(x, 1), label=f"+{last_day} d"))
    return ticks


def _swimlane(event, now, rows, entries, axis_links, graph) -> Swimlane:
    t0 = event.occurred_at
    offsets = [hours_between(t0, link.statement.published_at) for link in axis_links]
    axis, step = _axis(event, offsets)

    ticks = []
    h = math.ceil(axis.start / step) * step
    while h <= axis.main_end:
        ticks.append(Tick(x=round(axis.x(h), 1), label=tick_label(h, step), major=h == 0))
        h += step
    late_ticks = _late_ticks(axis) if axis.late_end else []

    # Entries grouped by speaker once, so drawing stays linear in rows + statements.
    entries_by_speaker: dict[int | None, list[TimelineEntry]] = defaultdict(list)
    for entry in entries:
        entries_by_speaker[entry.statement.actor_id].append(entry)

    swim_rows = []
    for i, row in enumerate(rows):
        top = TOP_PAD + i * ROW_HEIGHT
        mid = top + ROW_HEIGHT / 2
        row_entries = sorted(
            (e for s in graph.voices(row.actor.pk, on=event.occurred_at.date())
             for e in entries_by_speaker.get(s, ())),
            key=lambda e: (e.offset_hours, e.statement.pk),
        )
        marks, last_x, cluster = [], None, 0
        for entry in row_entries:
            statement = entry.statement
            x = axis.x(entry.offset_hours)
            # Marks that would sit on top of each other are staggered vertically.
            cluster = cluster + 1 if last_x is not None and abs(x - last_x) < 9 else 0
            last_x = x
            y = mid + STAGGER[cluster % len(STAGGER)]
            link = entry.link
            speaker = statement.actor.name if statement.actor_id else "Unattributed"
            marks.append(Mark(
                x=round(x, 1), y=round(y, 1),
                path=_mark_path(link.stance, x, y, MARK_RADIUS.get(link.intensity, 6.0)),
                stance=link.stance,
                own=statement.actor_id == row.actor.pk,
                rejected=link.status == EventLink.Status.REJECTED,
                href=statement.get_absolute_url(),
                tooltip=(f"{speaker}, {entry.offset_label} ({utc_label(statement.published_at)}): "
                         f"{link.get_stance_display().lower()}, intensity {link.intensity}, "
                         f"{link.get_status_display().lower()} link — {statement}"),
            ))
        coverage = [
            CoverageBar(x=round(axis.x(hours_between(t0, piece.span.start)), 1),
                        width=round(max(axis.x(hours_between(t0, piece.span.end))
                                        - axis.x(hours_between(t0, piece.span.start)), 1.5), 1),
                        label=f"{line.source_title} vouches for {piece.label}")
            for line in row.evidence for piece in line.spans
        ]
        swim_rows.append(SwimlaneRow(row=row, y=top, marks=marks, coverage=coverage))

    plot_bottom = TOP_PAD + max(len(rows), 1) * ROW_HEIGHT
    band_x = axis.x(0)
    band_end = axis.x(float(event.window_hours))
    now_hours = (now - t0).total_seconds() / 3600
    now_x = round(axis.x(now_hours), 1) if axis.start <= now_hours <= axis.main_end else None
    return Swimlane(
        width=axis.right + RIGHT_PAD,
        height=plot_bottom + BOTTOM_PAD,
        plot_left=axis.main_left,
        plot_right=axis.right,
        plot_top=TOP_PAD,
        plot_bottom=plot_bottom,
        band_x=round(band_x, 1),
        band_width=round(band_end - band_x, 1),
        ticks=ticks,
        late_ticks=late_ticks,
        break_x=round(axis.main_left + axis.main_width, 1) if axis.late_end else None,
        late_x=axis.late_left,
        now_x=now_x,
        rows=swim_rows,
        window_label=f"window: {event.window_hours} h",
        late_label=f"after {tick_label(axis.main_end, step)}:",
    )


# --- other pages ----------------------------------------------------------------


@dataclass
class RecordRow:
    """One event in an actor's record: how it answered, how fast, in what tone."""

    event: Event
    responder: Responder
    latency_hours: float | None

    @property
    def latency_label(self) -> str:
        return offset_label(self.latency_hours)


def actor_attention(*, actor: Actor) -> AttentionChart:
    """The actor's statements per month (UTC), and how many were on some event: one query."""
    on_events = Q(links__event__is_published=True,
                  links__status__in=[EventLink.Status.SUGGESTED, EventLink.Status.CONFIRMED])
    rows = (Statement.objects.filter(actor=actor)
            .annotate(month=TruncMonth("published_at", tzinfo=UTC)).values("month")
            .annotate(total=Count("pk", distinct=True),
                      on_events=Count("pk", distinct=True, filter=on_events))
            .order_by("month"))
    return attention_chart([(r["month"].date() if isinstance(r["month"], datetime) else r["month"],
                             r["total"], r["on_events"]) for r in rows])


def actor_record(*, actor: Actor, now: datetime, limit: int = 20) -> list[RecordRow]:
    """The actor's status in the events it was expected in (or spoke on), newest first."""
    spoke_on = EventLink.objects.filter(statement__actor=actor).exclude(
        status=EventLink.Status.REJECTED).values("event_id")
    events = list(
        Event.objects.published()
        .filter(Q(expected_actors=actor) | Q(expected_groups__members=actor) | Q(pk__in=spoke_on))
        .distinct()
        .prefetch_related("tags")  # the profile groups the record by topic
        .order_by("-occurred_at")[:limit]
    )
    responses = responses_for_events(events=events, now=now)
    record = []
    for event in events:
        found = [r for r in responses[event.pk].responders if r.actor.pk == actor.pk]
        if found:
            record.append(RecordRow(event=event, responder=found[0],
                                    latency_hours=responses[event.pk].latency_hours(
                                        found[0].first_statement_at)))
    return record


@dataclass
class StatementLinkLine:
    link: EventLink
    offset_hours: float

    @property
    def offset_label(self) -> str:
        return offset_label(self.offset_hours)


def statement_links(*, statement: Statement) -> list[StatementLinkLine]:
    """The events a statement is linked to, with its offset from each T0 (links prefetched)."""
    return [
        StatementLinkLine(link=link, offset_hours=hours_between(link.event.occurred_at,
                                                                statement.published_at))
        for link in statement.links.all()
    ]

