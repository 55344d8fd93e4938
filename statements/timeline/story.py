"""The event page's story: the answer first, then the reactions in the reader's habit.

`event_page(*, event, now, filters)` is the one function behind the event
page. It takes the timeline (statements.timeline.selector, the same one the
exports serialise) and adds what a reader needs on the first screen and in
the reactions table:

- the answer in one or two sentences ("9 of the 12 expected answered …;
  Russia answered in 2.5 h through its Foreign Ministry; its leader Vladimir
  Putin never did.");
- a compact strip of who spoke (how fast, in what tone), who stayed silent and
  who cannot be judged, each name pointing to its row;
- the reactions grouped by state or organisation, as Wikipedia's "International
  reactions to …" tables group by country: a state's ministries and leaders under
  it, each row with the key quote (the sentence that gave the stance) and its
  citation;
- the statements-over-time chart (statements.timeline.chart).

Plain words live here too: "through a spokesperson (Dmitry Peskov)" rather than
"via proxy", the event's own time rather than "T0".
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Q

from actors.models import Actor
from statements.models import Event, Statement
from statements.responses.statuses import (
    NO_COVERAGE,
    PENDING,
    RESPONDED,
    RESPONDED_LATE,
    SILENT,
    VIA_PROXY,
)
from statements.timeline.chart import StanceChart, stance_chart
from statements.timeline.selector import (
    ResponderRow,
    Timeline,
    TimelineFilters,
    duration_label,
    event_timeline,
)
from statements.timeline.worldmap import WorldMap, world_map

ANSWERED = (RESPONDED, VIA_PROXY, RESPONDED_LATE)

# What each standing of a claim means, in a reader's words (DESIGN.md: every
# status carries its standing; the evidence helper adds it to the responder).
STANDING_LABELS = {
    "confirmed": "confirmed by an editor",
    "suggested": "machine suggestion, not yet checked",
    "decision": "an editor's decision",
}

INTENSITY_MAX = 3


def plain_status(row: ResponderRow) -> str:
    """The status in a reader's words: who spoke for whom, without the jargon."""
    responder = row.responder
    status = responder.status
    if status == VIA_PROXY:
        who = responder.through.name if responder.through else "a spokesperson"
        return f"Through a spokesperson ({who})"
    if status == RESPONDED and responder.through:
        return f"Responded, through {responder.through.name}"
    if status == RESPONDED_LATE:
        return "Responded, but only after the window"
    if status == NO_COVERAGE:
        return "Cannot tell (no coverage)"
    return responder.status_label


def standing(row: ResponderRow) -> str:
    """'confirmed', 'suggested', 'decision' or '' until the responder carries it."""
    return getattr(row.responder, "standing", "") or ""


def standing_label(row: ResponderRow) -> str:
    return STANDING_LABELS.get(standing(row), "")


# --- the key quote -------------------------------------------------------------

# A sentence ends at . ! ? … (or their CJK forms) followed by space, or at a line break.
_SENTENCE_END = re.compile(r"(?<=[.!?…。！？])\s+|\n+")
QUOTE_LIMIT = 320


def sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE_END.split(text or "") if s.strip()]


def key_sentence(text: str, cues: list[str], terms: list[str] = ()) -> str:
    """The sentence that gave the stance: the one holding the most cue words
    (the earliest among equals); failing that, the first naming the event; failing
    that, the first sentence. Long sentences are cut at a word with an ellipsis."""
    found = sentences(text)
    if not found:
        return ""
    lowered = [s.lower() for s in found]

    def hits(i: int, words) -> int:
        return sum(1 for w in words if w and w.lower().rstrip("…") in lowered[i])

    best = max(range(len(found)), key=lambda i: (hits(i, cues), -i))
    if not hits(best, cues):
        named = [i for i in range(len(found)) if hits(i, terms)]
        best = named[0] if named else 0
    quote = found[best]
    if len(quote) > QUOTE_LIMIT:
        quote = quote[:QUOTE_LIMIT].rsplit(" ", 1)[0] + " …"
    return quote


def words_as_written(terms: list[str], text: str) -> list[str]:
    """Matched terms as the text spells them: 'Венесуэл…' (a stem) becomes
    'Венесуэлы', the word the statement actually used; terms not found stay as
    they are, without the ellipsis."""
    written = []
    for term in terms or []:
        stem = term.rstrip("…").strip()
        if not stem:
            continue
        if term.endswith("…"):
            match = re.search(rf"\b{re.escape(stem)}\w*", text or "", flags=re.IGNORECASE)
        else:
            match = re.search(rf"\b{re.escape(stem)}\b", text or "", flags=re.IGNORECASE)
        word = match.group(0) if match else stem
        if word not in written:
            written.append(word)
    return written


@dataclass
class KeyQuote:
    text: str
    lang: str
    url: str  # the original address
    archived_url: str  # an archived copy, when the statement has one
    statement_url: str  # its page here
    source: str
    # The same sentence in the paired language version (statements.ingest.translations).
    translation: str = ""
    translation_lang: str = ""
    translation_url: str = ""


def key_quote(row: ResponderRow, versions: dict | None = None) -> KeyQuote | None:
    return responder_quote(row.responder, versions)


def language_versions(statements) -> dict[int, Statement]:
    """For each statement, its paired version in another language, in one query: the
    original for a translation, the first translation for an original."""
    statements = [s for s in statements if s is not None]
    if not statements:
        return {}
    originals = {s.translation_of_id for s in statements if s.translation_of_id}
    ids = {s.pk for s in statements}
    found = list(Statement.objects.filter(Q(pk__in=originals) | Q(translation_of_id__in=ids))
                 .only("pk", "language", "title", "body_text", "url", "translation_of_id")
                 .order_by("pk"))
    by_pk = {s.pk: s for s in found}
    versions: dict[int, Statement] = {}
    for statement in statements:
        if statement.translation_of_id in by_pk:
            versions[statement.pk] = by_pk[statement.translation_of_id]
            continue
        first = next((s for s in found if s.translation_of_id == statement.pk), None)
        if first is not None:
            versions[statement.pk] = first
    return versions


def responder_quote(responder, versions: dict | None = None) -> KeyQuote | None:
    """The key quote of the statement that gave a responder its status, with the same
    sentence from its paired language version when `versions` has one."""
    link = responder.link
    if link is None:
        return None
    statement = link.statement
    text = key_sentence(statement.body_text or statement.title, link.cues or [],
                        link.matched_terms or [])
    if not text:
        text = statement.title
    translation = ""
    other = (versions or {}).get(statement.pk)
    if other is not None:
        # A translation keeps the order of sentences: take the one at the same place.
        mine = sentences(statement.body_text or statement.title)
        theirs = sentences(other.body_text or other.title)
        at = next((i for i, s in enumerate(mine) if text.rstrip(" …") in s or s in text), 0)
        translation = theirs[at] if at < len(theirs) else (theirs[0] if theirs else "")
        if len(translation) > QUOTE_LIMIT:
            translation = translation[:QUOTE_LIMIT].rsplit(" ", 1)[0] + " …"
    return KeyQuote(
        translation=translation,
        translation_lang=other.language if other is not None else "",
        translation_url=other.get_absolute_url() if other is not None else "",
        text=text,
        lang=statement.language or "",
        url=statement.url,
        archived_url=getattr(statement, "archived_url", "") or "",
        statement_url=statement.get_absolute_url(),
        source=(statement.source.title or statement.source.url) if statement.source_id else "",
    )


# --- the strip of names --------------------------------------------------------


@dataclass
class GlanceName:
    row: ResponderRow

    @property
    def actor(self) -> Actor:
        return self.row.actor

    @property
    def anchor(self) -> str:
        return f"row-{self.actor.slug}"

    @property
    def latency(self) -> str:
        return duration_label(self.row.latency_hours)

    @property
    def stance(self) -> str:
        link = self.row.responder.link
        return link.stance if link else ""

    @property
    def stance_label(self) -> str:
        link = self.row.responder.link
        return link.get_stance_display().lower() if link else ""

    @property
    def note(self) -> str:
        status = self.row.responder.status
        if status == VIA_PROXY and self.row.responder.through:
            return f"through {self.row.responder.through.name}"
        if status == RESPONDED_LATE:
            return "late"
        return ""


@dataclass
class Glance:
    spoke: list[GlanceName]
    silent: list[GlanceName]
    cannot_tell: list[GlanceName]
    pending: list[GlanceName]


def glance(rows: list[ResponderRow]) -> Glance:
    spoke = sorted((r for r in rows if r.responder.status in ANSWERED),
                   key=lambda r: (r.latency_hours is None, r.latency_hours or 0, r.actor.name))
    return Glance(
        spoke=[GlanceName(r) for r in spoke],
        silent=[GlanceName(r) for r in rows if r.responder.status == SILENT],
        cannot_tell=[GlanceName(r) for r in rows if r.responder.status == NO_COVERAGE],
        pending=[GlanceName(r) for r in rows if r.responder.status == PENDING],
    )


# --- the answer ----------------------------------------------------------------


def answer_sentences(timeline: Timeline) -> list[str]:
    """One or two sentences: how many of the expected answered and how the rest
    stand; then the ladder that tells the story (a state that spoke while its
    leader did not), when there is one."""
    summary = timeline.summary
    counts = summary.counts
    if not summary.expected:
        first = "No actor was expected to respond to this event."
    else:
        first = f"{summary.answered} of the {summary.expected} expected answered"
        late = counts[RESPONDED_LATE]
        proxy = counts[VIA_PROXY]
        how = []
        if proxy:
            how.append(f"{proxy} through a spokesperson")
        if late:
            how.append(f"{late} only after the window")
        if how:
            first += f" ({', '.join(how)})"
        rest = []
        if counts[SILENT]:
            rest.append(f"{counts[SILENT]} stayed silent")
        if counts[NO_COVERAGE]:
            rest.append(f"for {counts[NO_COVERAGE]} we cannot tell, as their feeds do not "
                        "cover the window")
        if counts[PENDING]:
            rest.append(f"{counts[PENDING]} may still answer: the window is open")
        first += ("; " + "; ".join(rest)) if rest else ""
        first += "."
    telling = [v for v in timeline.ladders if v.ladder.silent_leaders] or timeline.ladders
    return [first, telling[0].sentence] if telling else [first]


# --- the reactions table --------------------------------------------------------


@dataclass
class ReactionRow:
    row: ResponderRow
    depth: int  # 0 for the state or organisation itself, 1+ for its members
    quote: KeyQuote | None
    # The member whose words gave this row its status, when it has a row of its own
    # below: its quote is shown there once, not twice.
    quoted_below: Actor | None = None

    @property
    def actor(self) -> Actor:
        return self.row.actor

    @property
    def anchor(self) -> str:
        return f"row-{self.actor.slug}"

    @property
    def status_text(self) -> str:
        return plain_status(self.row)

    @property
    def standing(self) -> str:
        return standing(self.row)

    @property
    def standing_label(self) -> str:
        return standing_label(self.row)

    @property
    def latency(self) -> str:
        return duration_label(self.row.latency_hours)



@dataclass
class ReactionGroup:
    head: Actor
    rows: list[ReactionRow] = field(default_factory=list)

    @property
    def anchor(self) -> str:
        return f"group-{self.head.slug}"


GROUP_KINDS = (Actor.Kind.STATE, Actor.Kind.ORGANIZATION)


def reaction_groups(timeline: Timeline) -> list[ReactionGroup]:
    """Rows under their state or organisation (the top of the actor's tree);
    states first, then organisations, each by name; inside, the state itself
    first, then its members from the top of the tree down."""
    graph = timeline.responses.graph
    groups: dict[int, ReactionGroup] = {}
    versions = language_versions(r.responder.statement for r in timeline.rows)
    for row in timeline.rows:
        chain = [row.actor.pk, *graph.ancestors(row.actor.pk)]
        top = next((a for a in reversed(chain) if a in graph.by_id
                    and graph.by_id[a].kind in GROUP_KINDS), row.actor.pk)
        head = graph.by_id.get(top, row.actor)
        group = groups.setdefault(top, ReactionGroup(head=head))
        depth = chain.index(top) if top in chain else 0
        group.rows.append(ReactionRow(row=row, depth=depth, quote=key_quote(row, versions)))
    for group in groups.values():
        group.rows.sort(key=lambda r: (r.depth, r.actor.name))
        in_group = {r.actor.pk for r in group.rows}
        for r in group.rows:
            through = r.row.responder.through
            if through is not None and through.pk in in_group:
                r.quote, r.quoted_below = None, through
    kind_order = {Actor.Kind.STATE: 0, Actor.Kind.ORGANIZATION: 1}
    return sorted(groups.values(),
                  key=lambda g: (kind_order.get(g.head.kind, 2), g.head.name))


# --- the page --------------------------------------------------------------------


@dataclass
class EventPage:
    timeline: Timeline
    answer: list[str]
    glance: Glance
    groups: list[ReactionGroup]
    chart: StanceChart
    map: WorldMap

    @property
    def event(self) -> Event:
        return self.timeline.event


def event_page(*, event: Event, now: datetime, filters: TimelineFilters | None = None) -> EventPage:
    timeline = event_timeline(event=event, now=now, filters=filters)
    return EventPage(
        timeline=timeline,
        answer=answer_sentences(timeline),
        glance=glance(timeline.rows),
        groups=reaction_groups(timeline),
        chart=stance_chart(event=event, entries=timeline.entries),
        map=world_map(timeline.rows, label=plain_status),
    )
