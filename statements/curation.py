"""Admins' curation of sources and events: previews that write nothing, and the saves.

- `preview_feed` fetches and parses a feed with the pipeline's own functions
  (fetch_feed, parse_feed, SpeakerIndex.attribute) and stores nothing, so an
  admin sees the entries and who each would be attributed to before saving.
- `create_source`, `poll_now`, `pause_source`, `resume_source`: a source's
  life from the site; polling is queued as the Celery task, after commit.
- `preview_event_matches` reads which stored statements an event's terms
  would catch over its candidate range (TermIndex, as rematch_event does)
  without writing; `save_event` saves and queues the re-matching after commit.
- `stage_upload` / `take_staged_upload` carry an uploaded file from its dry
  run to its application inside the session, so what is applied is exactly
  what was previewed, without sending it back through the browser.
"""

from __future__ import annotations

import base64
import secrets
from dataclasses import dataclass, field, replace
from datetime import datetime
from functools import partial

from django.conf import settings
from django.core.cache import cache
from django.db import transaction

from actors.models import Actor, ActorGroup

from .attribution import SpeakerIndex
from .feedparse import FeedParseError, ParsedEntry, ParsedFeed, parse_feed
from .fetching import FetchError, FetchResult, fetch_feed
from .matching import event_phrases, matched_terms, statement_text
from .models import CANDIDATE_LEAD, CANDIDATE_TAIL, Event, EventLink, Source, Statement, Tag
from .textmatch import TermIndex

PREVIEW_ENTRIES = 50
PREVIEW_MATCHES = 100


class CurationError(ValueError):
    """An action refused for a reason the admin can act on; the message says which."""


# --- Sources -----------------------------------------------------------------------------


@dataclass(frozen=True)
class PreviewEntry:
    entry: ParsedEntry
    actor: Actor | None
    attribution: str  # a Statement.Attribution value
    language: str

    @property
    def attribution_label(self) -> str:
        return Statement.Attribution(self.attribution).label


@dataclass
class FeedPreview:
    url: str
    error: str = ""
    result: FetchResult | None = None
    feed: ParsedFeed | None = None
    entries: list[PreviewEntry] = field(default_factory=list)
    # The source that already polls this URL, if any.
    existing: Source | None = None
    entry_count: int = 0

    @property
    def ok(self) -> bool:
        return self.feed is not None

    @property
    def named_speakers(self) -> int:
        return sum(1 for e in self.entries if e.attribution == Statement.Attribution.NAME_MATCH)

    @property
    def unattributed(self) -> int:
        return sum(1 for e in self.entries if e.actor is None)


def preview_feed(*, url: str, default_actor: Actor | None, language: str = "",
                 now: datetime) -> FeedPreview:
    """Fetch and parse `url` as a poll would, attribute each entry, and store nothing."""
    preview = FeedPreview(url=url, existing=Source.objects.filter(url=url).first())
    try:
        preview.result = fetch_feed(url=url)
        preview.feed = parse_feed(preview.result.body, content_type=preview.result.content_type,
                                  base_url=preview.result.url, fetched_at=now)
    except (FetchError, FeedParseError) as exc:
        preview.error = str(exc)
        return preview
    preview.entry_count = len(preview.feed.entries)
    speakers = SpeakerIndex.load()
    for entry in preview.feed.entries[:PREVIEW_ENTRIES]:
        actor, attribution = speakers.attribute(title=entry.title, default_actor=default_actor)
        preview.entries.append(PreviewEntry(
            entry=entry, actor=actor, attribution=attribution,
            # The order ingest uses: the entry's xml:lang, the admin's setting, the feed's.
            language=entry.language or language or preview.feed.language,
        ))
    return preview


# A preview waits in the cache for the admin who asked for it, this long.
PREVIEW_TTL_SECONDS = 10 * 60


def request_feed_preview(*, url: str, default_actor: Actor | None, language: str,
                         user_id: int) -> str:
    """Queue a feed preview and return the token its result will be kept under.

    The web process never fetches (DESIGN: views read, they never fetch): a
    slow or hostile feed must tie up a worker, not a web process. In the
    embedded default Celery runs eagerly, so the result is there at once.
    """
    from . import tasks

    token = secrets.token_urlsafe(16)
    cache.set(_preview_key(token), {"user": user_id, "preview": None}, PREVIEW_TTL_SECONDS)
    tasks.preview_feed.delay(token=token, url=url, language=language,
                             actor_id=default_actor.pk if default_actor else None)
    return token


def run_feed_preview(*, token: str, url: str, actor_id: int | None, language: str,
                     now: datetime) -> None:
    """The worker's half: fetch and parse, then keep the result for the asking admin."""
    waiting = cache.get(_preview_key(token))
    if waiting is None:  # expired, or never asked for
        return
    actor = Actor.objects.filter(pk=actor_id).first() if actor_id else None
    preview = preview_feed(url=url, default_actor=actor, language=language, now=now)
    # Keep what the page shows, not the whole body and every entry.
    if preview.result is not None:
        preview.result = replace(preview.result, body=b"")
    if preview.feed is not None:
        preview.feed = replace(preview.feed, entries=[])
    cache.set(_preview_key(token), {**waiting, "preview": preview}, PREVIEW_TTL_SECONDS)


def feed_preview_result(*, token: str, user_id: int) -> tuple[bool, FeedPreview | None]:
    """(known, preview): unknown when expired or asked by someone else; None while pending."""
    waiting = cache.get(_preview_key(token))
    if waiting is None or waiting["user"] != user_id:
        return False, None
    return True, waiting["preview"]


def _preview_key(token: str) -> str:
    return f"feed-preview:{token}"


def create_source(*, url: str, title: str, actor: Actor | None, language: str,
                  is_partial: bool, is_active: bool = True) -> Source:
    """Save a new source; an active one gets its first poll queued once this commits."""
    with transaction.atomic():
        source = Source.objects.create(url=url, title=title, actor=actor, language=language,
                                       is_partial=is_partial, is_active=is_active)
        if is_active:
            _queue_fetch(source.pk)
    return source


def poll_now(*, source: Source, now: datetime) -> None:
    if not source.is_active:
        raise CurationError(f"{source} is paused: resume it to poll it.")
    with transaction.atomic():
        # The lease poll_due_sources takes, so the next beat does not queue it twice.
        Source.objects.filter(pk=source.pk).update(next_poll_at=now + settings.FEED_POLL_INTERVAL)
        _queue_fetch(source.pk)


def pause_source(*, source: Source) -> None:
    Source.objects.filter(pk=source.pk).update(is_active=False)


def resume_source(*, source: Source, now: datetime) -> None:
    # Due at the next beat: a feed that was off has news to catch up on.
    Source.objects.filter(pk=source.pk).update(is_active=True, next_poll_at=now)


def _queue_fetch(source_id: int) -> None:
    from . import tasks  # the task module imports the whole pipeline

    transaction.on_commit(partial(tasks.fetch_source.delay, source_id))


# --- Events --------------------------------------------------------------------------------


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
            offset = (statement.published_at - draft.occurred_at).total_seconds() / 3600
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
    from . import tasks

    tasks.rematch_event.delay(event_id)


def queue_rematch(event: Event) -> None:
    """Re-match an event saved elsewhere (the Django admin) once the save commits."""
    transaction.on_commit(partial(_enqueue_rematch, event.pk))


# --- Two-step uploads ---------------------------------------------------------------------


def stage_upload(session, *, kind: str, name: str, content: bytes) -> str:
    """Keep an uploaded file in the session between its dry run and its application.

    One file per kind: staging another replaces it, and the token says which
    preview an "apply" belongs to.
    """
    token = secrets.token_urlsafe(16)
    session[f"staged-upload:{kind}"] = {
        "token": token, "name": name, "content": base64.b64encode(content).decode("ascii"),
    }
    return token


def take_staged_upload(session, *, kind: str, token: str) -> tuple[str, bytes] | None:
    """The staged file for `token` (name, content), removed from the session; None if gone."""
    staged = session.get(f"staged-upload:{kind}")
    if not staged or not token or not secrets.compare_digest(staged["token"], token):
        return None
    del session[f"staged-upload:{kind}"]
    return staged["name"], base64.b64decode(staged["content"])
