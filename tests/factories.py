"""Small builders for test data: plain functions over the real models."""

import hashlib
import itertools
from datetime import UTC, datetime, timedelta

from actors.models import Actor
from statements.ingest import coverage
from statements.models import Event, EventLink, FetchAttempt, Source, Statement

_seq = itertools.count(1)


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def actor(slug, kind=Actor.Kind.PERSON, parent=None, speaks_for=(), **fields) -> Actor:
    made = Actor.objects.create(
        slug=slug,
        name=fields.pop("name", slug.replace("-", " ").title()),
        kind=kind,
        parent=parent,
        **fields,
    )
    if speaks_for:
        made.speaks_for.set(speaks_for)
    return made


def source(for_actor=None, **fields) -> Source:
    n = next(_seq)
    return Source.objects.create(
        url=fields.pop("url", f"https://feeds.example.org/{n}.xml"),
        title=fields.pop("title", f"Feed {n}"),
        actor=for_actor,
        **fields,
    )


def statement(by, published_at, source=None, title="", text="") -> Statement:
    n = next(_seq)
    return Statement.objects.create(
        source=source,
        actor=by,
        attribution=Statement.Attribution.FEED_DEFAULT,
        entry_id=f"entry-{n}",
        title=title or f"Statement {n}",
        body_text=text,
        published_at=published_at,
        content_hash=hashlib.sha256(str(n).encode()).hexdigest(),
    )


def event(slug="maduro-capture-2026", occurred_at=None, window_hours=72, expected=(), **fields):
    made = Event.objects.create(
        slug=slug,
        title=fields.pop("title", slug),
        window_hours=window_hours,
        occurred_at=occurred_at or utc(2026, 1, 3, 6),
        **fields,
    )
    made.expected_actors.set(expected)
    return made


def link(on_event, stmt, status=EventLink.Status.SUGGESTED, **fields) -> EventLink:
    return EventLink.objects.create(event=on_event, statement=stmt, status=status, **fields)


def fetched(src, at, outcome=FetchAttempt.Outcome.OK, oldest=None, **fields) -> FetchAttempt:
    """Record a fetch attempt and fold it into coverage, as the pipeline does."""
    src.refresh_from_db()
    attempt = FetchAttempt.objects.create(
        source=src,
        started_at=at,
        finished_at=at + timedelta(seconds=1),
        outcome=outcome,
        oldest_entry_at=oldest,
        **fields,
    )
    coverage.record_attempt(attempt=attempt, previous_success_at=src.last_success_at)
    if attempt.succeeded:
        Source.objects.filter(pk=src.pk).update(last_success_at=at)
    return attempt
