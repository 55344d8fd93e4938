"""Side by side: one actor across events, and events across their responders.

`actor_across_events(*, actor, events, now)`: for each chosen event, the actor's
status, latency, stance and key quote — Putin on Venezuela in 2019 against 2026.

`events_side_by_side(*, events, now)`: the same responders in rows, the events in
columns, so "who spoke on Assad but not on Maduro" is one glance.

`telling_pairs(*, record)`: the comparisons worth offering from an actor's
profile — two events on the same topic (a shared tag) where it answered one and
not the other, the widest apart first.

All three read statuses from statements.responses (one batched derivation),
never re-deriving them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from itertools import combinations

from actors.models import Actor
from statements.models import Event
from statements.responses.statuses import (
    RESPONDED,
    RESPONDED_LATE,
    VIA_PROXY,
    Responder,
    responses_for_events,
)
from statements.timeline.labels import duration_label
from statements.timeline.story import KeyQuote, responder_quote

MAX_EVENTS = 8
ANSWERED = (RESPONDED, VIA_PROXY, RESPONDED_LATE)


@dataclass
class Cell:
    event: Event
    responder: Responder | None  # None: neither expected nor spoke
    latency_hours: float | None
    quote: KeyQuote | None

    @property
    def latency(self) -> str:
        return duration_label(self.latency_hours)

    @property
    def status(self) -> str:
        return self.responder.status if self.responder else ""

    @property
    def answered(self) -> bool:
        return self.status in ANSWERED


@dataclass
class ActorComparison:
    actor: Actor
    cells: list[Cell]


@dataclass
class ComparisonRow:
    actor: Actor
    cells: list[Cell]


@dataclass
class EventsComparison:
    events: list[Event]
    rows: list[ComparisonRow]


def _cells_for(actor_ids, events: list[Event], responses) -> dict[int, list[Cell]]:
    cells: dict[int, list[Cell]] = {pk: [] for pk in actor_ids}
    for event in events:
        by_actor = {r.actor.pk: r for r in responses[event.pk].responders}
        for pk in actor_ids:
            responder = by_actor.get(pk)
            cells[pk].append(Cell(
                event=event,
                responder=responder,
                latency_hours=(responses[event.pk].latency_hours(responder.first_statement_at)
                               if responder else None),
                quote=responder_quote(responder) if responder else None,
            ))
    return cells


def actor_across_events(*, actor: Actor, events: list[Event], now: datetime) -> ActorComparison:
    """The actor's answer to each event, oldest first."""
    events = sorted(events, key=lambda e: e.occurred_at)
    responses = responses_for_events(events=events, now=now)
    return ActorComparison(actor=actor, cells=_cells_for([actor.pk], events, responses)[actor.pk])


def events_side_by_side(*, events: list[Event], now: datetime) -> EventsComparison:
    """Every actor that is a responder to any of the events, in rows; events in columns."""
    events = sorted(events, key=lambda e: e.occurred_at)
    responses = responses_for_events(events=events, now=now)
    actors: dict[int, Actor] = {}
    for event in events:
        for responder in responses[event.pk].responders:
            actors.setdefault(responder.actor.pk, responder.actor)
    order = sorted(actors.values(), key=lambda a: (a.kind != Actor.Kind.STATE, a.name))
    cells = _cells_for(list(actors), events, responses)
    return EventsComparison(events=events,
                            rows=[ComparisonRow(actor=a, cells=cells[a.pk]) for a in order])


@dataclass
class Pair:
    first: Event
    second: Event
    tag: str

    @property
    def query(self) -> str:
        return f"{self.first.slug},{self.second.slug}"


def telling_pairs(*, record, limit: int = 3) -> list[Pair]:
    """Pairs of events from an actor's record (statements.timeline.selector.RecordRow)
    sharing a tag, where it answered one and not the other; the widest apart first."""
    pairs = []
    for a, b in combinations(record, 2):
        shared = {t.slug for t in a.event.tags.all()} & {t.slug for t in b.event.tags.all()}
        if not shared:
            continue
        if (a.responder.status in ANSWERED) == (b.responder.status in ANSWERED):
            continue
        first, second = sorted((a.event, b.event), key=lambda e: e.occurred_at)
        pairs.append(Pair(first=first, second=second, tag=sorted(shared)[0]))
    pairs.sort(key=lambda p: p.first.occurred_at - p.second.occurred_at)
    return pairs[:limit]
