"""Linking statements to events by their terms.

A statement is suggested for an event when it was published within the
event's candidate range (24 hours before T0 to 30 days after the response
window, kept on the event as candidate_from/candidate_until) and its title or
body contains one of the event's terms, in any of the event's languages and
in any inflection (statements.textmatch). Each suggestion carries the terms
that matched, in the order they first appear, as the event lists them
("Венесуэла", not "Венесуэлы": the editor sees which of the event's terms
fired), and the statement's stance from statements.stance.

Two entry points:

- `link_statements` for newly stored statements, against every published
  event (drafts are not matched while statements arrive);
- `rematch_event` when an event's terms or time change, or when it is
  published: it re-reads the event's whole range, for drafts too, so an
  admin can preview what the terms catch.

Editors' decisions are never overwritten: a link that is confirmed or
rejected, or that an editor made, is left exactly as it is, and a rejected
link is never suggested again.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.db import transaction

from statements.models import Event, EventLink, Statement
from statements.text.aboutness import Relevance, passage_tokens, relevance, sentence_of
from statements.text.stance import StanceResult, cue_matches, score_tokens
from statements.text.terms import TermIndex, TermMatch, Token, tokenize

# Statements read per round trip while re-scanning an event's range.
SCAN_CHUNK = 500
WRITE_BATCH = 500


@dataclass(frozen=True, slots=True)
class RematchResult:
    added: int = 0
    removed: int = 0
    updated: int = 0


def event_phrases(terms: object) -> list[str]:
    """Every phrase of an event's terms, whatever the language: {"en": [...], "ru": [...]}.

    Terms are edited as free JSON, so a bare list or a lone string per
    language is read too, and anything else is skipped rather than failing
    the ingestion that calls this.
    """
    if isinstance(terms, dict):
        groups: Iterable[object] = terms.values()
    elif isinstance(terms, list):
        groups = [terms]
    else:
        return []
    phrases: list[str] = []
    for group in groups:
        if isinstance(group, str):
            group = [group]
        if isinstance(group, list):
            phrases.extend(p for p in group if isinstance(p, str) and p.strip())
    return phrases


def statement_text(statement: Statement) -> str:
    return f"{statement.title}\n{statement.body_text}"


def matched_terms(index: TermIndex[int], text: str) -> dict[int, list[str]]:
    """For each event found in `text`: its terms that matched, in order of appearance, once each."""
    found: dict[int, list[str]] = {}
    for match in index.matches(text):
        terms = found.setdefault(match.key, [])
        if match.term not in terms:
            terms.append(match.term)
    return found


@dataclass(slots=True)
class Reading:
    """What linking learns about one event in one statement: its terms, how much the
    statement is about it, and the stance of the passages about it."""

    terms: list[str]
    relevance: Relevance
    stance: StanceResult


def read_events(
    index: TermIndex[int], statement: Statement, tokens: list[Token] | None = None
) -> dict[int, Reading]:
    """Every event of `index` the statement names, each with its own relevance and stance.

    The stance of a link is scored on the sentences that name the event and their
    neighbours, so a call that condemns one thing and discusses another gives
    each event its own stance.
    """
    text = statement_text(statement)
    if tokens is None:
        tokens = tokenize(text, statement.language)
    by_event: dict[int, list[TermMatch[int]]] = {}
    for match in index.scan(tokens, text):
        by_event.setdefault(match.key, []).append(match)
    if not by_event:
        return {}
    sentences = sentence_of(tokens, text)
    cues = cue_matches(tokens, text)
    title_end = len(statement.title)
    counts = {key: len(_distinct(matches)) for key, matches in by_event.items()}
    top = max(counts.values())
    readings: dict[int, Reading] = {}
    sentences_of = {
        key: {sentences[m.first_token] for m in matches} for key, matches in by_event.items()
    }
    for key, matches in by_event.items():
        spans = _distinct(matches)
        others = set().union(*(v for k, v in sentences_of.items() if k != key))
        within = passage_tokens(sentences, spans, others=others)
        stance = score_tokens(tokens, text, within=within, cues_found=cues)
        terms = list(dict.fromkeys(m.term for m in matches))
        readings[key] = Reading(
            terms=terms,
            relevance=relevance(
                tokens=tokens,
                text=text,
                title_end=title_end,
                spans=spans,
                sentences=sentences,
                has_cue_in_passage=stance.stance != "neutral",
                most_frequent=counts[key] == top and list(counts.values()).count(top) == 1,
            ),
            stance=stance,
        )
    return readings


def _distinct(matches: list[TermMatch[int]]) -> list[tuple[int, int]]:
    """Token spans of the occurrences, overlapping terms counted once ("Venezuela" in
    "Bolivarian Republic of Venezuela")."""
    spans: list[tuple[int, int]] = []
    for match in sorted(matches, key=lambda m: (m.first_token, -m.length)):
        if spans and match.first_token < spans[-1][1]:
            continue
        spans.append((match.first_token, match.end_token))
    return spans


def link_statements(
    statements: Iterable[Statement], *, tokens: dict[int, list[Token]] | None = None
) -> int:
    """Suggest links from saved statements to the published events they mention.

    Three queries whatever the number of statements and events. Returns the
    number of links created. Pairs that already have a link (suggested,
    confirmed or rejected) are skipped; a pair another worker links at the
    same moment is absorbed by the unique constraint.
    """
    batch = [statement for statement in statements if statement.pk is not None]
    if not batch:
        return 0
    earliest = min(statement.published_at for statement in batch)
    latest = max(statement.published_at for statement in batch)
    events = {
        event.pk: event
        for event in Event.objects.published()
        .filter(candidate_from__lte=latest, candidate_until__gte=earliest)
        .order_by()
        .only("pk", "terms", "candidate_from", "candidate_until")
    }
    index = TermIndex((event.pk, event_phrases(event.terms)) for event in events.values())
    if not index:
        return 0
    already_linked = set(
        EventLink.objects.filter(
            statement__in=[statement.pk for statement in batch], event__in=list(events)
        ).values_list("event_id", "statement_id")
    )

    tokens = tokens or {}
    new_links: list[EventLink] = []
    for statement in batch:
        for event_id, reading in read_events(index, statement, tokens.get(statement.pk)).items():
            event = events[event_id]
            if not event.candidate_from <= statement.published_at <= event.candidate_until:
                continue
            if (event_id, statement.pk) in already_linked:
                continue
            new_links.append(_suggestion(event_id, statement.pk, reading))
    EventLink.objects.bulk_create(new_links, ignore_conflicts=True, batch_size=WRITE_BATCH)
    return len(new_links)


def rematch_event(event: Event) -> RematchResult:
    """Bring an event's suggested links in line with its current terms and range.

    Re-reads every statement in the event's candidate range (in chunks, only
    the columns needed): adds suggestions for statements that now match,
    deletes automatic suggestions whose statement no longer matches or has
    left the range, and refreshes the matched terms — and the stance, unless
    an editor set it — of the suggestions that stay. Links an editor confirmed,
    rejected or made are never touched.
    """
    index = TermIndex([(event.pk, event_phrases(event.terms))])
    links = {link.statement_id: link for link in EventLink.objects.filter(event=event)}

    to_create: list[EventLink] = []
    to_update: list[EventLink] = []
    to_delete: set[int] = set()
    in_range: set[int] = set()
    statements = (
        Statement.objects.filter(published_at__range=(event.candidate_from, event.candidate_until))
        .order_by()
        .only("pk", "published_at", "title", "body_text", "language")
        .iterator(chunk_size=SCAN_CHUNK)
    )
    for statement in statements:
        in_range.add(statement.pk)
        link = links.get(statement.pk)
        if link is not None and not _is_open_suggestion(link):
            continue
        reading = read_events(index, statement).get(event.pk)
        if link is None:
            if reading:
                to_create.append(_suggestion(event.pk, statement.pk, reading))
        elif not reading:
            to_delete.add(link.pk)
        elif _refresh(link, reading):
            to_update.append(link)
    to_delete.update(
        link.pk
        for statement_id, link in links.items()
        if statement_id not in in_range and _is_open_suggestion(link)
    )

    with transaction.atomic():
        # An editor may have decided on a suggestion while the range was read:
        # lock what is still an open suggestion and leave the rest alone.
        still_open = set(
            EventLink.objects.select_for_update()
            .filter(
                pk__in=to_delete | {link.pk for link in to_update},
                status=EventLink.Status.SUGGESTED,
                method=EventLink.Method.AUTO,
            )
            .values_list("pk", flat=True)
        )
        _, deleted = EventLink.objects.filter(pk__in=to_delete & still_open).delete()
        updates = [link for link in to_update if link.pk in still_open]
        EventLink.objects.bulk_update(
            updates,
            ["matched_terms", "stance", "intensity", "cues", "relevance", "relevance_evidence"],
            batch_size=WRITE_BATCH,
        )
        EventLink.objects.bulk_create(to_create, ignore_conflicts=True, batch_size=WRITE_BATCH)
    return RematchResult(
        added=len(to_create),
        removed=deleted.get(EventLink._meta.label, 0),
        updated=len(updates),
    )


def _is_open_suggestion(link: EventLink) -> bool:
    return link.status == EventLink.Status.SUGGESTED and link.method == EventLink.Method.AUTO


def _suggestion(event_id: int, statement_id: int, reading: Reading) -> EventLink:
    stance = reading.stance
    return EventLink(
        event_id=event_id,
        statement_id=statement_id,
        status=EventLink.Status.SUGGESTED,
        method=EventLink.Method.AUTO,
        matched_terms=reading.terms,
        stance=stance.stance,
        intensity=stance.intensity,
        cues=list(stance.cues),
        relevance=reading.relevance.score,
        relevance_evidence=reading.relevance.evidence,
    )


def _refresh(link: EventLink, reading: Reading) -> bool:
    """Update a suggestion in memory; True when something changed."""
    fields = ("matched_terms", "stance", "intensity", "cues", "relevance", "relevance_evidence")
    before = tuple(getattr(link, name) for name in fields)
    link.matched_terms = reading.terms
    link.relevance = reading.relevance.score
    link.relevance_evidence = reading.relevance.evidence
    if not link.stance_by_editor:
        stance = reading.stance
        link.stance, link.intensity, link.cues = stance.stance, stance.intensity, list(stance.cues)
    return tuple(getattr(link, name) for name in fields) != before
