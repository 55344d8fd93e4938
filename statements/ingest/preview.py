"""A feed previewed before it is saved: fetched, parsed and attributed by the pipeline's own
functions (fetch_feed, parse_feed, SpeakerIndex.attribute), with nothing stored.

The fetch runs on a worker (request_feed_preview → the preview_feed task →
run_feed_preview), and the page polls feed_preview_result: a slow or hostile feed ties
up a worker, never a web process.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field, replace
from datetime import datetime

from django.core.cache import cache

from actors.models import Actor
from config.celery import enqueue
from statements.ingest.attribution import SpeakerIndex
from statements.ingest.feedparse import FeedParseError, ParsedEntry, ParsedFeed, parse_feed
from statements.ingest.fetching import FetchError, FetchResult, fetch_feed
from statements.models import (
    Source,
    Statement,
)

PREVIEW_ENTRIES = 50


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
        # The entry's date, as ingest does: an office is its holder on that day.
        actor, attribution = speakers.attribute(
            title=entry.title, default_actor=default_actor, on=entry.published_at.date())
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
    token = secrets.token_urlsafe(16)
    cache.set(_preview_key(token), {"user": user_id, "preview": None}, PREVIEW_TTL_SECONDS)
    enqueue("statements.tasks.preview_feed", token=token, url=url, language=language,
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
