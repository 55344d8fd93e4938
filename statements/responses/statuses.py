"""Who responded to an event, who stayed silent, and the evidence for each claim.

The one place where the response statuses of DESIGN.md are derived. Everything
is computed at read time from event links, the actor tree, spokesperson
relations, coverage intervals and the clock, for a batch of events in a
constant number of queries.

For event E at T0 with window W, for each expected actor A (and any actor with
a linked statement), the first status that holds:

    responded       a linked, not rejected statement by A, or for an
                    institution or state by any of its members, in [T0, T0+W]
    via_proxy       A is a person, silent in the window, but someone who speaks
                    for A said something in it
    responded_late  nothing in the window; the first such statement came later
    pending         nothing yet, and the window is still open
    silent          nothing, the window has closed, and a source that can speak
                    for A covers the whole window
    no_coverage     nothing, and no such source covers the window

A source vouches only while it is alive by its own rhythm, and implausibly dated
entries never stretch its coverage (statements.responses.liveness): a frozen
feed gives `no_coverage` with the reason ("feed quiet since 3 Mar; it usually
publishes daily").

Every status carries its standing: `confirmed` when it rests on a link an editor
confirmed (or a hand-added statement a second editor confirmed), `decision` when
an editor's silence decision still holds for it, `suggested` otherwise (a machine
suggestion, or a silence derived from coverage that no editor has looked at).
Behind every silent and no_coverage row: the sources with their intervals over
the window, the reason when a source does not vouch, and what the actor (and
those whose words count as theirs) published in the window instead.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property

from django.db.models import Q

from actors.graph import ActorGraph
from actors.models import Actor, ActorGroup
from statements.models import (
    UNCONFIRMED_MANUAL,
    ArchiveImport,
    CoverageInterval,
    Event,
    EventLink,
    SilenceReview,
    Source,
    Statement,
)
from statements.responses import liveness
from statements.responses.coverage import Span, clip, covers, gaps

RESPONDED = "responded"
VIA_PROXY = "via_proxy"
RESPONDED_LATE = "responded_late"
PENDING = "pending"
SILENT = "silent"
NO_COVERAGE = "no_coverage"

# Precedence order: the first that holds is shown.
STATUSES = (RESPONDED, VIA_PROXY, RESPONDED_LATE, PENDING, SILENT, NO_COVERAGE)
# Standing: what a status rests on.
CONFIRMED = "confirmed"
SUGGESTED = "suggested"
DECISION = "decision"
STANDINGS = (CONFIRMED, SUGGESTED, DECISION)
STANDING_LABELS = {
    CONFIRMED: "checked: confirmed link",
    SUGGESTED: "machine suggestion, not checked",
    DECISION: "checked: editor's decision",
}

STATUS_LABELS = {
    RESPONDED: "Responded",
    VIA_PROXY: "Via proxy",
    RESPONDED_LATE: "Responded late",
    PENDING: "Pending",
    SILENT: "Silent",
    NO_COVERAGE: "No coverage",
}


@dataclass
class SourceEvidence:
    """One source that can speak for an actor, and what it vouches for in the window."""

    source: Source
    spans: list[Span]  # what it vouches for in the window
    gaps: list[Span]
    covers: bool
    quiet: liveness.Quiet | None = None  # why some of its coverage does not vouch
    # Imported archive files stated complete over part of the window (issue 13).
    archives: list[ArchiveImport] = field(default_factory=list)

    @property
    def reason(self) -> str:
        if self.source.is_partial:
            return "partial feed: vouches for nothing"
        return self.quiet.reason if self.quiet else ""


@dataclass
class Responder:
    actor: Actor
    expected: bool
    status: str
    link: EventLink | None = None  # the link whose statement gave the status
    through: Actor | None = None
    statement_count: int = 0
    evidence: list[SourceEvidence] = field(default_factory=list)
    standing: str = SUGGESTED
    # The editor's silence decision, while it still matches the derived status.
    decision: SilenceReview | None = None
    # For silent and no_coverage: what the actor and its voices published in the window.
    instead: list[Statement] = field(default_factory=list)

    @property
    def is_checked(self) -> bool:
        return self.standing in (CONFIRMED, DECISION)

    @property
    def standing_label(self) -> str:
        return STANDING_LABELS[self.standing]

    @property
    def quiet_reasons(self) -> list[str]:
        return [e.reason for e in self.evidence if e.quiet and not e.covers]

    @property
    def statement(self):
        return self.link.statement if self.link else None

    @property
    def first_statement_at(self) -> datetime | None:
        return self.link.statement.published_at if self.link else None

    @property
    def status_label(self) -> str:
        return STATUS_LABELS[self.status]


@dataclass
class Rung:
    """One member of a state on its ladder, and when it first spoke on the event."""

    actor: Actor
    role: str  # leader, spokesperson, institution, official
    link: EventLink | None  # the member's first statement on the event, whenever
    window_link: EventLink | None  # its first statement inside the window

    @property
    def in_window(self) -> bool:
        return self.window_link is not None

    @property
    def first_statement_at(self):
        return self.link.statement.published_at if self.link else None


@dataclass
class Ladder:
    state: Actor
    responder: Responder
    rungs: list[Rung]

    @property
    def first(self) -> Rung | None:
        spoken = [r for r in self.rungs if r.link]
        return min(spoken, key=lambda r: r.first_statement_at) if spoken else None

    @property
    def silent_leaders(self) -> list[Rung]:
        return [r for r in self.rungs if r.role == "leader" and not r.in_window]


@dataclass
class EventResponses:
    event: Event
    now: datetime
    responders: list[Responder]
    links: list[EventLink]  # all links of the event, rejected included, in time order
    ladders: list[Ladder]
    graph: ActorGraph

    def latency_hours(self, when: datetime | None) -> float | None:
        if when is None:
            return None
        return round((when - self.event.occurred_at).total_seconds() / 3600, 1)

    @property
    def counts(self) -> dict[str, int]:
        counts = dict.fromkeys(STATUSES, 0)
        for responder in self.responders:
            if responder.expected:
                counts[responder.status] += 1
        return counts

    @property
    def expected_count(self) -> int:
        return sum(1 for r in self.responders if r.expected)

    @property
    def checked_count(self) -> int:
        return sum(1 for r in self.responders if r.is_checked)

    @property
    def checked_summary(self) -> str:
        """'9 of 12 statuses checked by an editor'."""
        total = len(self.responders)
        return f"{self.checked_count} of {total} status{'es' if total != 1 else ''} " \
            "checked by an editor"

    @property
    def window_open(self) -> bool:
        return self.now < self.event.window_ends_at


RUNG_ORDER = {"leader": 0, "spokesperson": 1, "institution": 2, "official": 3}


def decision_holds(decision: str, status: str) -> bool:
    """Whether an editor's silence decision still says something true of the status.

    "Notable silence" holds only while the actor is silent (a response, or the
    finding that no source vouches, contradicts it); "dismissed" (not worth
    noting) holds while nothing was said. A response found elsewhere is not a
    silence decision: its hand-added statement gives the status its standing.
    """
    if decision == SilenceReview.Decision.NOTABLE:
        return status == SILENT
    if decision == SilenceReview.Decision.DISMISSED:
        return status in (SILENT, NO_COVERAGE)
    return False


class _Vouching:
    """The liveness evidence of every source, loaded only when a row needs it:
    two queries for the whole batch of events."""

    def __init__(self, sources: list[Source], events: list[Event]):
        self._ids = [s.pk for s in sources if not s.is_partial]
        self._ranges = [(e.occurred_at, e.window_ends_at) for e in events]
        self.stated: dict[int, list[Span]] = {}  # archive spans taken as stated
        # The archive files behind those spans, to name them in the evidence (issue 13).
        self.archives: dict[int, list[tuple[Span, ArchiveImport]]] = {}

    @cached_property
    def rhythms(self) -> dict[int, liveness.Rhythm]:
        return liveness.rhythms(self._ids)

    @cached_property
    def dates(self) -> dict[int, list[datetime]]:
        return liveness.entry_dates(self._ids, self._ranges)


def event_responses(*, event: Event, now: datetime) -> EventResponses:
    return responses_for_events(events=[event], now=now)[event.pk]


def responses_for_events(*, events: Iterable[Event], now: datetime) -> dict[int, EventResponses]:
    """Statuses for many events at once, in a constant number of queries."""
    events = list(events)
    if not events:
        return {}
    event_ids = [e.pk for e in events]
    expected = _expected_actor_ids(event_ids)
    graph = ActorGraph.load()

    links_by_event: dict[int, list[EventLink]] = defaultdict(list)
    links = (
        EventLink.objects.filter(event_id__in=event_ids)
        .select_related("statement__source")
        .order_by("statement__published_at", "statement_id")
    )
    for link in links:
        if link.statement.actor_id in graph.by_id:
            link.statement.actor = graph.by_id[link.statement.actor_id]
        links_by_event[link.event_id].append(link)

    sources = list(
        Source.objects.filter(actor__isnull=False).only(
            "title", "url", "actor_id", "is_partial", "is_active", "last_success_at",
            "created_at",
        )
    )
    vouching = _Vouching(sources, events)
    spans_by_source: dict[int, list[Span]] = defaultdict(list)
    stated_by_source: dict[int, list[Span]] = defaultdict(list)
    archives_by_source: dict[int, list[tuple[Span, ArchiveImport]]] = defaultdict(list)
    earliest = min(e.occurred_at for e in events)
    for interval in CoverageInterval.objects.filter(
        source__in=[s.pk for s in sources if not s.is_partial], end__gte=earliest
    ).select_related("archive").order_by("start"):
        # An archive an admin stated complete is taken as stated; the feed's own
        # evidence (polls, archive pages) vouches only while the feed is alive.
        stated = interval.origin == CoverageInterval.Origin.ARCHIVE
        by_origin = stated_by_source if stated else spans_by_source
        by_origin[interval.source_id].append(Span(interval.start, interval.end))
        if stated and interval.archive is not None:
            archives_by_source[interval.source_id].append(
                (Span(interval.start, interval.end), interval.archive))
    vouching.stated = stated_by_source
    vouching.archives = archives_by_source

    result = {}
    for event in events:
        responders = _responders(
            event=event,
            now=now,
            expected_ids=expected.get(event.pk, set()),
            links=links_by_event.get(event.pk, []),
            graph=graph,
            sources=sources,
            spans_by_source=spans_by_source,
            vouching=vouching,
        )
        result[event.pk] = EventResponses(
            event=event,
            now=now,
            responders=responders,
            links=links_by_event.get(event.pk, []),
            ladders=_ladders(event, responders, links_by_event.get(event.pk, []), graph),
            graph=graph,
        )
    _add_decisions(result, events)
    _add_instead(result, graph)
    return result


def _add_decisions(result: dict[int, EventResponses], events: list[Event]) -> None:
    """Give each row without a link the standing of an editor's decision that still
    holds for it: one query, and none when no row is past its window unanswered."""
    unanswered = {(event_id, r.actor.pk): r for event_id, responses in result.items()
                  for r in responses.responders if r.status in (SILENT, NO_COVERAGE)}
    if not unanswered:
        return
    decided = SilenceReview.objects.filter(
        event_id__in={event_id for event_id, _ in unanswered},
        decision__in=(SilenceReview.Decision.NOTABLE, SilenceReview.Decision.DISMISSED),
    ).select_related("decided_by")
    for review in decided:
        responder = unanswered.get((review.event_id, review.actor_id))
        if responder is not None and decision_holds(review.decision, responder.status):
            responder.decision, responder.standing = review, DECISION


def _add_instead(result: dict[int, EventResponses], graph: ActorGraph) -> None:
    """What each silent or no_coverage actor (and its voices) published in the window
    on other subjects: one query for the whole batch."""
    wanted = []
    for responses in result.values():
        event = responses.event
        for responder in responses.responders:
            if responder.status in (SILENT, NO_COVERAGE):
                voices = graph.voices(responder.actor.pk, on=event.occurred_at.date())
                wanted.append((responder, voices, event.occurred_at, event.window_ends_at))
    if not wanted:
        return
    speakers = set().union(*(voices for _, voices, _, _ in wanted))
    in_windows = Q()
    for _, _, start, end in wanted:
        in_windows |= Q(published_at__gte=start, published_at__lte=end)
    published = list(
        Statement.objects.filter(in_windows, actor_id__in=speakers)
        .exclude(is_manual=True, manual_review__in=UNCONFIRMED_MANUAL)
        .select_related("source")
        .only("title", "url", "published_at", "actor_id", "source__title", "source__url",
              "is_manual", "language")
        .order_by("published_at", "pk")
    )
    for statement in published:
        if statement.actor_id in graph.by_id:
            statement.actor = graph.by_id[statement.actor_id]
    for responder, voices, start, end in wanted:
        responder.instead = [s for s in published
                             if s.actor_id in voices and start <= s.published_at <= end]


def _expected_actor_ids(event_ids: list[int]) -> dict[int, set[int]]:
    expected: dict[int, set[int]] = defaultdict(set)
    through_actors = Event.expected_actors.through.objects.filter(event_id__in=event_ids)
    for event_id, actor_id in through_actors.values_list("event_id", "actor_id"):
        expected[event_id].add(actor_id)
    groups = Event.expected_groups.through.objects.filter(event_id__in=event_ids)
    group_ids = defaultdict(set)
    for event_id, group_id in groups.values_list("event_id", "actorgroup_id"):
        group_ids[group_id].add(event_id)
    members = ActorGroup.members.through.objects.filter(actorgroup_id__in=group_ids)
    for group_id, actor_id in members.values_list("actorgroup_id", "actor_id"):
        for event_id in group_ids[group_id]:
            expected[event_id].add(actor_id)
    return expected


def _responders(*, event, now, expected_ids, links, graph, sources, spans_by_source, vouching):
    t0, window_end = event.occurred_at, event.window_ends_at
    counting = [link for link in links if link.counts_toward_status]

    in_window_by_speaker: dict[int, EventLink] = {}
    late_by_speaker: dict[int, EventLink] = {}
    count_by_speaker: dict[int, int] = defaultdict(int)
    for link in counting:  # already in time order: the first seen is the earliest
        speaker = link.statement.actor_id
        if speaker is None:
            continue
        count_by_speaker[speaker] += 1
        published_at = link.statement.published_at
        if t0 <= published_at <= window_end:
            in_window_by_speaker.setdefault(speaker, link)
        elif published_at > window_end:
            late_by_speaker.setdefault(speaker, link)

    actor_ids = set(expected_ids) | set(count_by_speaker)
    responders = []
    for actor_id in actor_ids:
        if actor_id not in graph.by_id:
            continue
        speakers = graph.own_speakers(actor_id)
        responder = Responder(
            actor=graph.by_id[actor_id],
            expected=actor_id in expected_ids,
            status=NO_COVERAGE,
            statement_count=sum(count_by_speaker.get(s, 0) for s in speakers),
        )
        own = _earliest(in_window_by_speaker.get(s) for s in speakers)
        proxy = None
        if graph.by_id[actor_id].kind == Actor.Kind.PERSON:
            proxy = _earliest(
                in_window_by_speaker.get(s)
                for s in graph.spokespeople_of(actor_id, on=t0.date())
            )
        late = _earliest(late_by_speaker.get(s) for s in speakers)
        if own:
            responder.status, responder.link = RESPONDED, own
        elif proxy:
            responder.status, responder.link = VIA_PROXY, proxy
        elif late:
            responder.status, responder.link = RESPONDED_LATE, late
        elif now < window_end:
            responder.status = PENDING
        else:
            responder.evidence = _evidence(
                actor_id, t0, window_end, graph, sources, spans_by_source, vouching
            )
            covered = any(e.covers for e in responder.evidence)
            responder.status = SILENT if covered else NO_COVERAGE
        if responder.link is not None:
            confirmed = responder.link.status == EventLink.Status.CONFIRMED
            responder.standing = CONFIRMED if confirmed else SUGGESTED
        if responder.link and responder.link.statement.actor_id != actor_id:
            responder.through = graph.by_id.get(responder.link.statement.actor_id)
        responders.append(responder)

    order = {status: i for i, status in enumerate(STATUSES)}
    far_future = datetime.max.replace(tzinfo=t0.tzinfo)
    responders.sort(
        key=lambda r: (
            not r.expected,
            order[r.status],
            r.first_statement_at or far_future,
            r.actor.name,
        )
    )
    return responders


def _earliest(links: Iterable[EventLink | None]) -> EventLink | None:
    present = [link for link in links if link is not None]
    if not present:
        return None
    return min(present, key=lambda link: (link.statement.published_at, link.statement_id))


def _evidence(actor_id, start, end, graph, sources, spans_by_source, vouching
              ) -> list[SourceEvidence]:
    """Sources that can speak for the actor: its own, its members', its ancestors',
    each with what it vouches for while alive by its own rhythm."""
    related = graph.source_owners(actor_id)
    evidence = []
    for source in sources:
        if source.actor_id not in related:
            continue
        quiet = None
        archives = []
        if source.is_partial:
            spans = []
        else:
            spans, quiet = liveness.vouched(
                spans_by_source.get(source.pk, []), vouching.dates.get(source.pk, []),
                vouching.rhythms[source.pk], start, end)
            if vouching.stated.get(source.pk):
                spans = clip([*spans, *vouching.stated[source.pk]], start, end)
            archives = [archive for span, archive in vouching.archives.get(source.pk, [])
                        if span.end >= start and span.start <= end]
        evidence.append(
            SourceEvidence(
                source=source,
                spans=spans,
                gaps=gaps(spans, start, end),
                covers=covers(spans, start, end),
                quiet=quiet,
                archives=archives,
            )
        )
    evidence.sort(key=lambda e: (not e.covers, e.source.title))
    return evidence


def _ladders(event, responders, links, graph) -> list[Ladder]:
    """For each responding state: which rung spoke first, and which never did."""
    t0, window_end = event.occurred_at, event.window_ends_at
    first_link: dict[int, EventLink] = {}
    first_in_window: dict[int, EventLink] = {}
    for link in links:  # in time order
        speaker = link.statement.actor_id
        if not link.counts_toward_status or not speaker:
            continue
        first_link.setdefault(speaker, link)
        if t0 <= link.statement.published_at <= window_end:
            first_in_window.setdefault(speaker, link)

    ladders = []
    for responder in responders:
        state = responder.actor
        if state.kind != Actor.Kind.STATE:
            continue
        rungs = []
        for member_id in graph.descendants(state.pk):
            member = graph.by_id[member_id]
            if graph.is_leader(member_id):
                role = "leader"
            elif graph.is_spokesperson(member_id, on=t0.date()):
                role = "spokesperson"
            elif member.kind != Actor.Kind.PERSON:
                role = "institution"
            else:
                role = "official"
            link = first_link.get(member_id)
            if link is None and role not in ("leader", "institution"):
                continue  # only the top rungs are worth listing when they said nothing
            rungs.append(
                Rung(actor=member, role=role, link=link, window_link=first_in_window.get(member_id))
            )
        rungs.sort(key=lambda r: (RUNG_ORDER[r.role], r.actor.name))
        if rungs:
            ladders.append(Ladder(state=state, responder=responder, rungs=rungs))
    return ladders
