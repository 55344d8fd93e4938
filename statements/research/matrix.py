"""Actors × events: how each actor answered each event, for a group and/or a tag.

`actor_event_matrix(*, group, tag, now)` is the selector behind `/matrix/` and
its CSV: the statuses come from one `responses_for_events` call over all the
columns (never re-derived here), so the page takes the same few queries
whatever the number of actors and events.

The same statuses, for one actor, make its record on the profile page:
`record_summary` adds the response rate, the median latency and the record
per topic (event tag) — "Putin on Venezuela: 2019 responded, 2026 silent".
"""

from __future__ import annotations

import io
import statistics
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlencode

from django import forms
from django.db.models import Q

from actors.models import Actor, ActorGroup
from statements.models import Event, EventLink, Tag
from statements.research.csvfiles import CitationWriter, metadata
from statements.responses.statuses import (
    NO_COVERAGE,
    PENDING,
    RESPONDED,
    RESPONDED_LATE,
    SILENT,
    STATUS_LABELS,
    VIA_PROXY,
    ActorGraph,
    Responder,
    responses_for_events,
)
from statements.timeline.labels import hours_between, iso_utc, offset_label, short_offset_label
from statements.timeline.selector import RecordRow

MAX_EVENTS = 40
ANSWERED = (RESPONDED, VIA_PROXY, RESPONDED_LATE)


class MatrixForm(forms.Form):
    group = forms.ModelChoiceField(
        queryset=ActorGroup.objects.order_by("name"), to_field_name="slug", required=False,
        empty_label="Everyone expected", label="Actor group",
        error_messages={"invalid_choice": "There is no actor group “%(value)s”."},
    )
    tag = forms.ModelChoiceField(
        queryset=Tag.objects.order_by("slug"), to_field_name="slug", required=False,
        empty_label="Any tag", label="Event tag",
        error_messages={"invalid_choice": "There is no event tag “%(value)s”."},
    )
    format = forms.ChoiceField(
        choices=[("", "Web page"), ("csv", "CSV")], required=False,
        error_messages={"invalid_choice": "“%(value)s” is not an export format (use csv)."},
    )
    layout = forms.ChoiceField(
        choices=[("", "One row per actor and event"), ("wide", "One row per actor")],
        required=False,
        error_messages={"invalid_choice": "“%(value)s” is not a CSV layout (use wide, or "
                        "leave it out)."},
    )

    def selection(self) -> tuple[ActorGroup | None, Tag | None]:
        """The valid choices; an invalid one is left out (and reported)."""
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        return data.get("group"), data.get("tag")

    def error_messages_list(self) -> list[str]:
        if not self.is_bound or self.is_valid():
            return []
        return [message for errors in self.errors.values() for message in errors]


@dataclass
class MatrixCell:
    event: Event
    responder: Responder | None  # None: not expected, and said nothing on it

    @property
    def status(self) -> str:
        return self.responder.status if self.responder else ""

    @property
    def label(self) -> str:
        return STATUS_LABELS[self.status] if self.responder else "Not expected"

    @property
    def expected(self) -> bool:
        return bool(self.responder and self.responder.expected)

    @property
    def latency_hours(self) -> float | None:
        when = self.responder.first_statement_at if self.responder else None
        return hours_between(self.event.occurred_at, when) if when else None

    @property
    def latency_short(self) -> str:
        return short_offset_label(self.latency_hours)

    @property
    def link(self) -> EventLink | None:
        return self.responder.link if self.responder else None

    @property
    def title(self) -> str:
        """The cell's tooltip: everything it stands for, in words."""
        if not self.responder:
            return f"{self.event.title}: not expected, nothing linked"
        parts = [f"{self.event.title}: {self.label}"]
        if self.latency_hours is not None:
            parts.append(f"first at {offset_label(self.latency_hours)}")
        if self.responder.through:
            parts.append(f"through {self.responder.through.name}")
        if self.link:
            parts.append(f"{self.link.get_stance_display().lower()}, intensity "
                         f"{self.link.intensity}")
        if not self.responder.expected:
            parts.append("not expected")
        return "; ".join(parts)


@dataclass
class MatrixRow:
    actor: Actor
    depth: int  # how many of its ancestors are rows above it (for indenting)
    cells: list[MatrixCell]

    @property
    def expected_count(self) -> int:
        return sum(1 for c in self.cells if c.expected and c.status != PENDING)

    @property
    def answered_count(self) -> int:
        return sum(1 for c in self.cells if c.expected and c.status in ANSWERED)

    @property
    def rate_label(self) -> str:
        return f"{self.answered_count}/{self.expected_count}" if self.expected_count else "—"


@dataclass
class MatrixColumn:
    event: Event
    answered: int
    expected: int


@dataclass
class Matrix:
    group: ActorGroup | None
    tag: Tag | None
    now: datetime
    columns: list[MatrixColumn]
    rows: list[MatrixRow]
    truncated: bool  # more events matched than MAX_EVENTS; the newest are shown

    @property
    def events(self) -> list[Event]:
        return [c.event for c in self.columns]

    @property
    def query(self) -> str:
        params = {"group": self.group.slug if self.group else "",
                  "tag": self.tag.slug if self.tag else ""}
        return urlencode({k: v for k, v in params.items() if v})


def actor_event_matrix(*, group: ActorGroup | None, tag: Tag | None, now: datetime,
                       max_events: int = MAX_EVENTS) -> Matrix:
    """Rows: the group's members (or everyone expected in the events); columns: the
    events with the tag (or those the group was expected in or spoke on), oldest first."""
    members: list[int] = list(group.members.values_list("pk", flat=True)) if group else []
    events = Event.objects.published().prefetch_related("tags")
    if tag is not None:
        events = events.filter(tags=tag)
    elif group is not None:
        spoke_on = EventLink.objects.filter(statement__actor_id__in=members).exclude(
            status=EventLink.Status.REJECTED).values("event_id")
        events = events.filter(Q(expected_actors__in=members)
                               | Q(expected_groups__members__in=members)
                               | Q(pk__in=spoke_on)).distinct()
    newest = list(events.order_by("-occurred_at")[:max_events + 1])
    truncated = len(newest) > max_events
    chosen = sorted(newest[:max_events], key=lambda e: e.occurred_at)

    responses = responses_for_events(events=chosen, now=now)
    graph = next(iter(responses.values())).graph if responses else ActorGraph.load()
    by_event = {
        event.pk: {r.actor.pk: r for r in responses[event.pk].responders} for event in chosen
    }
    if group is not None:
        row_ids = [m for m in members if m in graph.by_id]
    else:
        row_ids = list({r.actor.pk for event in chosen for r in responses[event.pk].responders
                        if r.expected})
    rows = [
        MatrixRow(actor=graph.by_id[actor_id], depth=0,
                  cells=[MatrixCell(event=e, responder=by_event[e.pk].get(actor_id))
                         for e in chosen])
        for actor_id in _tree_order(graph, row_ids)
    ]
    shown = {row.actor.pk for row in rows}
    for row in rows:
        row.depth = sum(1 for a in graph.ancestors(row.actor.pk) if a in shown)
    columns = [
        MatrixColumn(
            event=e,
            answered=sum(1 for row in rows
                         if row.cells[i].expected and row.cells[i].status in ANSWERED),
            expected=sum(1 for row in rows if row.cells[i].expected),
        )
        for i, e in enumerate(chosen)
    ]
    return Matrix(group=group, tag=tag, now=now, columns=columns, rows=rows,
                  truncated=truncated)


def _tree_order(graph: ActorGraph, actor_ids: Iterable[int]) -> list[int]:
    """Each actor after its ancestors, siblings by name: Russia, its Kremlin, Putin, …"""

    def path(actor_id: int) -> tuple:
        chain = [*reversed(graph.ancestors(actor_id)), actor_id]
        return tuple((graph.by_id[a].name.casefold(), a) for a in chain)

    return sorted(set(actor_ids), key=path)


# --- one cell ---------------------------------------------------------------------


@dataclass
class CellStatement:
    link: EventLink
    offset_hours: float
    phase: str  # before, window, late

    @property
    def offset_label(self) -> str:
        return offset_label(self.offset_hours)


@dataclass
class CellDetail:
    event: Event
    actor: Actor
    responder: Responder | None
    statements: list[CellStatement]

    @property
    def cell(self) -> MatrixCell:
        return MatrixCell(event=self.event, responder=self.responder)


def cell_detail(*, event: Event, actor: Actor, now: datetime) -> CellDetail:
    """What stands behind one cell: the status, and the statements that count for the
    actor on the event (its own, a body's members', a person's spokespeople's)."""
    responses = responses_for_events(events=[event], now=now)[event.pk]
    graph = responses.graph
    responder = next((r for r in responses.responders if r.actor.pk == actor.pk), None)
    speakers = graph.voices(actor.pk, on=event.occurred_at.date())
    window_end = event.window_ends_at
    statements = []
    for link in responses.links:  # in time order, statements and sources loaded
        if link.status == EventLink.Status.REJECTED or link.statement.actor_id not in speakers:
            continue
        published = link.statement.published_at
        phase = ("before" if published < event.occurred_at
                 else "window" if published <= window_end else "late")
        statements.append(CellStatement(
            link=link, offset_hours=hours_between(event.occurred_at, published), phase=phase))
    return CellDetail(event=event, actor=actor, responder=responder, statements=statements)


# --- the CSV ------------------------------------------------------------------------

LONG_COLUMNS = [
    "actor", "actor_name", "kind", "event", "event_title", "occurred_at", "window_hours",
    "expected", "status", "first_statement_at", "latency_hours", "through", "stance",
    "intensity", "statement_id", "statement_url", "source",
]


def matrix_csv(matrix: Matrix, *, generated_at: datetime, base_url: str,
               layout: str = "") -> str:
    """The matrix as CSV after '#' lines naming the selection and the time it was made.

    The default layout has one row per (actor, event) — tidy data for R or pandas;
    `layout="wide"` has one row per actor and a status column per event, like the page.
    """
    out = io.StringIO()
    out.write(metadata([
        ("statement-tracker", "actors × events matrix"
         + (" (one row per actor)" if layout == "wide" else " (one row per actor and event)")),
        ("group", matrix.group.slug if matrix.group else "none (everyone expected)"),
        ("tag", matrix.tag.slug if matrix.tag else "none (any)"),
        ("events", ", ".join(e.slug for e in matrix.events) or "none"),
        ("truncated", f"yes: only the newest {len(matrix.events)} events"
         if matrix.truncated else "no"),
        ("url", f"{base_url}/matrix/" + (f"?{matrix.query}" if matrix.query else "")),
        ("status", "as derived at generated_at; see DESIGN.md 'Response status'"),
        ("generated_at", iso_utc(generated_at)),
    ]))
    writer = CitationWriter(out)
    if layout == "wide":
        writer.writerow(["actor", "actor_name", "kind", *(e.slug for e in matrix.events),
                         "answered", "expected"])
        for row in matrix.rows:
            writer.writerow([row.actor.slug, row.actor.name, row.actor.kind,
                             *(c.status or "not_expected" for c in row.cells),
                             row.answered_count, row.expected_count])
        return out.getvalue()
    writer.writerow(LONG_COLUMNS)
    for row in matrix.rows:
        for cell in row.cells:
            link, responder = cell.link, cell.responder
            statement = link.statement if link else None
            writer.writerow([
                row.actor.slug, row.actor.name, row.actor.kind,
                cell.event.slug, " ".join(cell.event.title.split()),
                iso_utc(cell.event.occurred_at), cell.event.window_hours,
                "yes" if cell.expected else "no",
                cell.status or "not_expected",
                iso_utc(responder.first_statement_at) if responder else "",
                "" if cell.latency_hours is None else cell.latency_hours,
                responder.through.slug if responder and responder.through else "",
                link.stance if link else "",
                link.intensity if link else "",
                statement.pk if statement else "",
                statement.url if statement else "",
                (statement.source.title or statement.source.url)
                if statement and statement.source_id else "",
            ])
    return out.getvalue()


# --- one actor's record ---------------------------------------------------------------


@dataclass
class TopicRecord:
    tags: list[Tag]  # tags that gather exactly these events
    rows: list[RecordRow]  # oldest first


@dataclass
class RecordSummary:
    rows: list[RecordRow]
    expected: int  # events it was expected in whose window has closed
    answered: int
    silent: int
    no_coverage: int
    median_latency_hours: float | None
    topics: list[TopicRecord]

    @property
    def response_rate(self) -> float | None:
        return round(100 * self.answered / self.expected) if self.expected else None

    @property
    def median_latency_label(self) -> str:
        return offset_label(self.median_latency_hours)


def record_summary(rows: list[RecordRow]) -> RecordSummary:
    """Response rate and median latency over the events the actor was expected in and
    whose window has closed (a pending event decides nothing yet); and the record per
    event tag, oldest first, so the same topic in different years sits side by side."""
    decided = [r for r in rows if r.responder.expected and r.responder.status != PENDING]
    answered = [r for r in decided if r.responder.status in ANSWERED]
    latencies = [r.latency_hours for r in answered if r.latency_hours is not None]
    by_tag: dict[int, tuple[Tag, list[RecordRow]]] = {}
    for row in sorted(rows, key=lambda r: r.event.occurred_at):
        for tag in row.event.tags.all():
            by_tag.setdefault(tag.pk, (tag, []))[1].append(row)
    # A topic compares an actor with itself over time: it needs two events or more;
    # tags that gather the same events ("venezuela", "latin-america") make one line.
    topics: dict[tuple[int, ...], TopicRecord] = {}
    for tag, tagged in sorted(by_tag.values(), key=lambda item: item[0].slug):
        if len(tagged) >= 2:
            key = tuple(r.event.pk for r in tagged)
            topics.setdefault(key, TopicRecord(tags=[], rows=tagged)).tags.append(tag)
    return RecordSummary(
        rows=rows,
        expected=len(decided),
        answered=len(answered),
        silent=sum(1 for r in decided if r.responder.status == SILENT),
        no_coverage=sum(1 for r in decided if r.responder.status == NO_COVERAGE),
        median_latency_hours=round(statistics.median(latencies), 1) if latencies else None,
        topics=sorted(topics.values(), key=lambda t: (-len(t.rows), t.tags[0].slug)),
    )
