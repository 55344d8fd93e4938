"""Events from the site: a preview of what the terms would match, and the save.

`preview_event_matches` reads which stored statements an event's terms would catch over
its candidate range (TermIndex, as rematch_event does) without writing; `save_event`
saves and queues the re-matching after commit.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from functools import partial

from django.db import transaction

from actors.models import Actor, ActorGroup
from config.celery import enqueue
from statements.ingest.linking import event_phrases, matched_terms, statement_text
from statements.models import (
    CANDIDATE_LEAD,
    CANDIDATE_TAIL,
    Event,
    EventLink,
    Statement,
    Tag,
)
from statements.text.terms import TermIndex
from statements.timeline.labels import hours_between

PREVIEW_MATCHES = 100



@dataclass
class EventDraft:
    """An event as the form describes it, saved or not."""

    title: str
    slug: str
    occurred_at: datetime  # aware, UTC
    window_hours: int
    description: str = ""
    terms: dict[str, list[str]] = field(default_factory=dict)
    tags: list[str] = field(default_factory=list)
    expected_actors: list[Actor] = field(default_factory=list)
    expected_groups: list[ActorGroup] = field(default_factory=list)
    is_published: bool = True

    @property
    def window_ends_at(self) -> datetime:
        return Event(occurred_at=self.occurred_at, window_hours=self.window_hours).window_ends_at

    @property
    def candidate_from(self) -> datetime:
        return self.occurred_at - CANDIDATE_LEAD

    @property
    def candidate_until(self) -> datetime:
        return self.window_ends_at + CANDIDATE_TAIL


@dataclass(frozen=True)
class MatchRow:
    statement: Statement
    terms: list[str]
    offset_hours: float
    # The statement's current link to the event being edited: None when there
    # is none (saving would suggest it), else the link's status.
    link_status: str | None


@dataclass
class MatchPreview:
    draft: EventDraft
    phrase_count: int
    scanned: int = 0
    rows: list[MatchRow] = field(default_factory=list)
    total: int = 0
    # Automatic suggestions of the saved event that the new terms no longer catch.
    would_remove: int = 0

    @property
    def new_count(self) -> int:
        return sum(1 for row in self.rows if row.link_status is None)

    @property
    def shown(self) -> int:
        return len(self.rows)


def preview_event_matches(*, draft: EventDraft, event: Event | None = None,
                          limit: int = PREVIEW_MATCHES) -> MatchPreview:
    """The stored statements the draft's terms would link, as rematch_event reads them; no writes.

    Editors' decisions stay as they are on saving; they are shown with their status.
    """
    index = TermIndex([(0, event_phrases(draft.terms))])
    preview = MatchPreview(draft=draft, phrase_count=index.phrase_count)
    links = {}
    if event is not None and event.pk:
        links = {sid: (status, method) for sid, status, method in EventLink.objects.filter(
            event=event).values_list("statement_id", "status", "method")}
    if not index:
        preview.would_remove = sum(1 for status, method in links.values()
                                   if _is_open(status, method))
        return preview
    statements = (
        Statement.objects.filter(published_at__range=(draft.candidate_from, draft.candidate_until))
        .select_related("actor")
        .only("pk", "published_at", "title", "body_text", "url", "actor__name", "actor__slug")
        .order_by("published_at", "pk")
        .iterator(chunk_size=500)
    )
    matched: set[int] = set()
    for statement in statements:
        preview.scanned += 1
        terms = matched_terms(index, statement_text(statement)).get(0)
        if not terms:
            continue
        matched.add(statement.pk)
        preview.total += 1
        if len(preview.rows) < limit:
            link = links.get(statement.pk)
            offset = hours_between(draft.occurred_at, statement.published_at)
            preview.rows.append(MatchRow(statement=statement, terms=terms, offset_hours=offset,
                                         link_status=link[0] if link else None))
    preview.would_remove = sum(1 for sid, (status, method) in links.items()
                               if sid not in matched and _is_open(status, method))
    return preview


def _is_open(status: str, method: str) -> bool:
    return status == EventLink.Status.SUGGESTED and method == EventLink.Method.AUTO


def save_event(*, event: Event | None, draft: EventDraft) -> tuple[Event, bool]:
    """Create or update an event from a draft; (event, whether re-matching was queued).

    Re-matching is queued, once the save commits, for a new event and for one
    whose terms, time or window changed.
    """
    with transaction.atomic():
        created = event is None
        if created:
            event = Event(slug=draft.slug)
            before = None
        else:
            before = (event.terms, event.occurred_at, event.window_hours)
        event.title = draft.title
        event.occurred_at = draft.occurred_at
        event.window_hours = draft.window_hours
        event.description = draft.description
        event.terms = draft.terms
        event.is_published = draft.is_published
        event.save()
        event.tags.set(_tags(draft.tags))
        event.expected_actors.set(draft.expected_actors)
        event.expected_groups.set(draft.expected_groups)
        rematch = created or before != (event.terms, event.occurred_at, event.window_hours)
        if rematch:
            transaction.on_commit(partial(_enqueue_rematch, event.pk))
    return event, rematch


def _tags(slugs: list[str]) -> list[Tag]:
    Tag.objects.bulk_create([Tag(slug=slug) for slug in slugs], ignore_conflicts=True)
    return list(Tag.objects.filter(slug__in=slugs))


def _enqueue_rematch(event_id: int) -> None:
    enqueue("statements.tasks.rematch_event", event_id)


def queue_rematch(event: Event) -> None:
    """Re-match an event saved elsewhere (the Django admin) once the save commits."""
    transaction.on_commit(partial(_enqueue_rematch, event.pk))
