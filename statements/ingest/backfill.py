"""Backfill: walk a feed's own archive back in time, page by page.

Feeds page their history in two ways: RFC 5005 links (`<atom:link rel="next">`
in a paged feed, `rel="prev-archive"` in an archived one, in Atom or in RSS)
and CMS page parameters (`?paged=2` on WordPress, `?page=2` elsewhere). Each
page goes through the poll's own fetch (the guarded fetcher), parse, attribution,
storage and linking (pipeline.store_parsed), so a backfilled statement is
indistinguishable from a polled one and events already in the database are
matched against it as it arrives.

Coverage: a page vouches for the span between its oldest and newest entries,
and a page that follows the previous one directly also vouches for the span
between its newest entry and the previous page's oldest (nothing can lie
between two consecutive pages), so contiguous pages join into one interval. A
missing page breaks the chain: the span it would have listed stays a gap.

Idempotent (the unique (source, entry id) stores nothing twice), resumable (a
BackfillCheckpoint per source, saved after every page), polite (one page of a
host at a time, shared with polls through statements.ingest.politeness, at least
BACKFILL_HOST_SPACING_SECONDS between pages, Retry-After honoured).
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from config.celery import enqueue
from statements.ingest import coverage, politeness
from statements.ingest.feedparse import FeedParseError, ParsedFeed, parse_feed
from statements.ingest.fetching import FetchError, fetch_feed
from statements.ingest.pipeline import store_parsed
from statements.models import BackfillCheckpoint, CoverageInterval, Source
from statements.responses.coverage import Span

logger = logging.getLogger(__name__)

State = BackfillCheckpoint.State
RFC5005 = "rfc5005"
# Tried in this order on page 2 of a feed without RFC 5005 links.
PAGE_PARAMETERS = ("paged", "page")
# Links to older pages: "next" in a paged feed, "prev-archive" in an archived one.
OLDER_RELS = ("next", "prev-archive", "previous-archive")
RETRIES = 3
RETRY_AFTER_CAP = 300  # seconds: a server asking for more ends this run (resumable)
# Longer than the longest pause between two pages (a capped Retry-After).
SOURCE_LEASE_SECONDS = RETRY_AFTER_CAP + 60


@dataclass(frozen=True)
class Page:
    url: str
    parsed: ParsedFeed | None
    error: str = ""
    http_status: int | None = None


ProgressCallback = Callable[[BackfillCheckpoint], None]


class BackfillBusy(Exception):
    """A backfill of this source is already queued or running; the message says since when."""


# A checkpoint left RUNNING this long without progress belongs to a process that died.
STALE_AFTER = timedelta(minutes=10)


def queue_backfill(
    *, source: Source, until: datetime | None, max_pages: int | None, now: datetime
) -> BackfillCheckpoint:
    """Start (or continue) a backfill on a worker; the checkpoint shows its progress."""
    current = BackfillCheckpoint.objects.filter(source=source).first()
    if (
        current is not None
        and current.state in (State.QUEUED, State.RUNNING)
        and now - current.updated_at < STALE_AFTER
    ):
        raise BackfillBusy(
            f"A backfill of {source} is already {current.get_state_display().lower()} "
            f"(last progress {current.updated_at:%Y-%m-%d %H:%M} UTC)."
        )
    checkpoint = start(source=source, until=until, max_pages=max_pages)
    transaction.on_commit(
        partial(
            enqueue,
            "statements.tasks.backfill_source",
            source.pk,
            until.isoformat() if until else None,
            max_pages,
        )
    )
    return checkpoint


def start(*, source: Source, until: datetime | None, max_pages: int | None) -> BackfillCheckpoint:
    """The checkpoint a run continues from: the one left by an unfinished run, or a new walk."""
    checkpoint, created = BackfillCheckpoint.objects.get_or_create(source=source)
    finished = checkpoint.state in (State.DONE,) or not checkpoint.next_url
    if created or finished:
        # A finished walk starts again from the head: what it stored before is not
        # stored twice, and anything published since is picked up.
        checkpoint.mode = ""
        checkpoint.next_url = source.url
        checkpoint.page_number = 1
        checkpoint.pages_done = checkpoint.entries_seen = checkpoint.entries_new = 0
        checkpoint.pages_missing = 0
        checkpoint.pages_total = None
        checkpoint.reached_at = checkpoint.chain_oldest_at = None
        checkpoint.started_at = timezone.now()
    checkpoint.until = until
    checkpoint.max_pages = max_pages
    checkpoint.state = State.QUEUED
    checkpoint.error = ""
    checkpoint.finished_at = None
    checkpoint.updated_at = timezone.now()
    checkpoint.save()
    return checkpoint


def run_backfill(
    *,
    source: Source,
    until: datetime | None = None,
    max_pages: int | None = None,
    progress: ProgressCallback | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> BackfillCheckpoint:
    """Walk the source's archive pages from its checkpoint; returns the final checkpoint.

    Raises BackfillBusy when another process is walking the same source.
    """
    with source_turn(source):
        return _walk(
            source=source, until=until, max_pages=max_pages, progress=progress, sleep=sleep
        )


def _walk(*, source, until, max_pages, progress, sleep) -> BackfillCheckpoint:
    checkpoint = start(source=source, until=until, max_pages=max_pages)
    checkpoint.state = State.RUNNING
    _save(checkpoint)
    # Entry ids met in this run: a CMS that answers an out-of-range page with page 1
    # again would otherwise be walked for ever.
    seen_ids: set[str] = set()
    visited: set[str] = set()
    missing_in_a_row = 0
    pages_this_run = 0

    while checkpoint.next_url:
        if max_pages is not None and pages_this_run >= max_pages:
            return _finish(checkpoint, State.STOPPED, f"stopped after {max_pages} pages")
        url = checkpoint.next_url
        visited.add(url)
        page = _fetch_page(url, sleep=sleep)
        pages_this_run += 1

        repeated = page.parsed is not None and {e.entry_id for e in page.parsed.entries} <= seen_ids
        if (page.parsed is None or repeated) and _guess_again(checkpoint, source=source):
            _save(checkpoint, progress)
            continue

        if page.parsed is None:
            if page.http_status is not None and page.http_status in (429, 503):
                # The server still refuses after honouring Retry-After: resume later.
                return _finish(checkpoint, State.FAILED, page.error)
            if _end_of_pages(checkpoint, page):
                return _finish(checkpoint, State.DONE, "")
            missing_in_a_row += 1
            checkpoint.pages_missing += 1
            # What that page listed is unknown: the coverage chain breaks here.
            checkpoint.chain_oldest_at = None
            if checkpoint.mode == RFC5005 or checkpoint.page_number == 1:
                # Without the page there is no link to follow.
                return _finish(checkpoint, State.FAILED, f"{url}: {page.error}")
            if missing_in_a_row >= settings.BACKFILL_MAX_MISSING_PAGES:
                return _finish(
                    checkpoint, State.FAILED, f"{missing_in_a_row} pages missing in a row"
                )
            logger.warning("Backfill of %s: page %s missing: %s", source, url, page.error)
            _advance_by_parameter(checkpoint, source=source)
            _save(checkpoint, progress)
            continue

        missing_in_a_row = 0
        entries = page.parsed.entries
        if checkpoint.page_number > 1 and repeated:
            # The same entries again: past the last page, the CMS serves the first.
            return _finish(checkpoint, State.DONE, "")
        seen_ids |= {e.entry_id for e in entries}

        fetched_at = timezone.now()
        new, _edited = store_parsed(source=source, parsed=page.parsed, fetched_at=fetched_at)
        _vouch(checkpoint, source=source, parsed=page.parsed, fetched_at=fetched_at)
        checkpoint.pages_done += 1
        checkpoint.entries_seen += len(entries)
        checkpoint.entries_new += new

        reached_until = (
            until is not None
            and checkpoint.reached_at is not None
            and (checkpoint.reached_at <= until)
        )
        following = _older_page(checkpoint, source=source, parsed=page.parsed)
        if following in visited:
            following = ""
        if reached_until or not following:
            checkpoint.next_url = following
            return _finish(checkpoint, State.DONE, "")
        checkpoint.next_url = following
        checkpoint.page_number += 1
        _save(checkpoint, progress)

    return _finish(checkpoint, State.DONE, "")


def _fetch_page(url: str, *, sleep: Callable[[float], None]) -> Page:
    host = urlsplit(url).hostname or ""
    # Long enough to sit out a capped Retry-After that a poll or another walk met.
    patience = RETRY_AFTER_CAP + settings.FEED_TIMEOUT_SECONDS + 30
    for attempt in range(RETRIES + 1):
        try:
            # The same per-host turn as polls (statements.ingest.politeness): a page of
            # the archive never goes to a host while any other fetch to it is in flight.
            with politeness.host_turn(host, wait_up_to=patience, sleep=sleep):
                try:
                    result = fetch_feed(url=url)
                finally:
                    # A deep walk is spaced more widely than polls, if so configured.
                    politeness.hold_off(host, settings.BACKFILL_HOST_SPACING_SECONDS)
        except politeness.HostBusy as exc:
            if attempt < RETRIES:
                continue
            return Page(url=url, parsed=None, error=str(exc), http_status=503)
        except FetchError as exc:
            retry_after = getattr(exc, "retry_after", None)
            if exc.http_status in (429, 503) and attempt < RETRIES:
                wait = retry_after if retry_after is not None else 2 ** (attempt + 1)
                if wait <= RETRY_AFTER_CAP:
                    politeness.hold_off(host, wait)
                    continue
            return Page(url=url, parsed=None, error=str(exc), http_status=exc.http_status)
        try:
            parsed = parse_feed(
                result.body,
                content_type=result.content_type,
                base_url=result.url,
                fetched_at=timezone.now(),
            )
        except FeedParseError as exc:
            return Page(url=url, parsed=None, error=str(exc), http_status=result.status)
        return Page(url=url, parsed=parsed)
    return Page(url=url, parsed=None, error="gave up after retries")


def _end_of_pages(checkpoint: BackfillCheckpoint, page: Page) -> bool:
    """Past the last page of a parameter-paged feed: 404, or a feed that lists nothing."""
    if checkpoint.page_number == 1 or checkpoint.mode == RFC5005:
        return False
    if checkpoint.mode.startswith("param:") and checkpoint.pages_done >= 1:
        return page.http_status in (404, 410) or "lists no entries" in page.error
    return False


def _older_page(checkpoint: BackfillCheckpoint, *, source: Source, parsed: ParsedFeed) -> str:
    links = dict(reversed(parsed.links))  # the first link of a rel wins
    if "last" in links and checkpoint.pages_total is None:
        checkpoint.pages_total = _page_number_in(links["last"])
    for rel in OLDER_RELS:
        if rel in links:
            checkpoint.mode = RFC5005
            return links[rel]
    if checkpoint.mode == RFC5005:
        return ""  # The chain of links ends here: the oldest page.
    if not checkpoint.mode:
        # Page 1 without archive links: guess the CMS parameter on page 2.
        checkpoint.mode = f"param:{PAGE_PARAMETERS[0]}"
    return _with_page(source.url, checkpoint.mode.split(":", 1)[1], checkpoint.page_number + 1)


def _guess_again(checkpoint: BackfillCheckpoint, *, source: Source) -> bool:
    """Page 2 under a guessed parameter failed or repeated page 1: try the next CMS's."""
    if not checkpoint.mode.startswith("param:") or checkpoint.page_number != 2:
        return False
    if checkpoint.pages_done != 1:
        return False
    name = checkpoint.mode.split(":", 1)[1]
    if name == PAGE_PARAMETERS[-1]:
        return False
    name = PAGE_PARAMETERS[PAGE_PARAMETERS.index(name) + 1]
    checkpoint.mode = f"param:{name}"
    checkpoint.next_url = _with_page(source.url, name, 2)
    return True


def _advance_by_parameter(checkpoint: BackfillCheckpoint, *, source: Source) -> None:
    name = checkpoint.mode.split(":", 1)[1]
    checkpoint.page_number += 1
    checkpoint.next_url = _with_page(source.url, name, checkpoint.page_number)


def _with_page(url: str, name: str, number: int) -> str:
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != name]
    query.append((name, str(number)))
    return urlunsplit(parts._replace(query=urlencode(query)))


def _page_number_in(url: str) -> int | None:
    for key, value in parse_qsl(urlsplit(url).query):
        if key in (*PAGE_PARAMETERS, "p") and value.isdigit():
            return int(value)
    match = re.search(r"/(?:page/)?(\d+)(?:\.\w+)?/?$", urlsplit(url).path)
    return int(match.group(1)) if match else None


def _vouch(
    checkpoint: BackfillCheckpoint, *, source: Source, parsed: ParsedFeed, fetched_at: datetime
) -> None:
    # Undated entries and dates after the fetch say nothing about when things were published.
    dated = [
        e.published_at
        for e in parsed.entries
        if not e.published_at_estimated and e.published_at <= fetched_at
    ]
    if not dated:
        checkpoint.chain_oldest_at = None
        return
    oldest, newest = min(dated), max(dated)
    end = max(newest, checkpoint.chain_oldest_at or newest)
    if not source.is_partial:
        coverage.vouch(
            source=source, span=Span(oldest, end), origin=CoverageInterval.Origin.BACKFILL
        )
    checkpoint.chain_oldest_at = oldest
    checkpoint.reached_at = min(oldest, checkpoint.reached_at or oldest)


def _finish(checkpoint: BackfillCheckpoint, state: str, error: str) -> BackfillCheckpoint:
    checkpoint.state = state
    checkpoint.error = error
    checkpoint.finished_at = timezone.now()
    if state == State.DONE:
        checkpoint.next_url = ""
    _save(checkpoint)
    return checkpoint


def _save(checkpoint: BackfillCheckpoint, progress: ProgressCallback | None = None) -> None:
    checkpoint.updated_at = timezone.now()
    checkpoint.save()
    _renew_source_turn(checkpoint.source)
    if progress is not None:
        progress(checkpoint)


# --- One walk per source ---------------------------------------------------------
#
# Kept in the cache: Redis when REDIS_URL is set, so every worker and every
# `manage.py backfill` agrees; the in-process cache otherwise (the embedded demo).


@contextmanager
def source_turn(source: Source) -> Iterator[None]:
    """One walk of a source at a time (a worker's task and a command, say).

    The lease outlives any one page; a killed walker's lease simply runs out.
    """
    key = f"backfill:source:{source.pk}"
    lease = SOURCE_LEASE_SECONDS + settings.FEED_TIMEOUT_SECONDS
    if not cache.add(key, 1, timeout=lease):
        raise BackfillBusy(
            f"Another backfill of {source} is running (or stopped less than {lease} s ago)."
        )
    try:
        yield
    finally:
        cache.delete(key)


def _renew_source_turn(source: Source) -> None:
    cache.touch(
        f"backfill:source:{source.pk}", SOURCE_LEASE_SECONDS + settings.FEED_TIMEOUT_SECONDS
    )


def describe(checkpoint: BackfillCheckpoint) -> str:
    """`page 12/57 · 240 entries (180 new) · reached 2019-03-04 · 1 missing` for a progress line."""
    total = f"/{checkpoint.pages_total}" if checkpoint.pages_total else ""
    parts = [
        f"pages {checkpoint.pages_done}{total}",
        f"{checkpoint.entries_seen} entries ({checkpoint.entries_new} new)",
        f"reached {checkpoint.reached_at:%Y-%m-%d}" if checkpoint.reached_at else "reached —",
    ]
    if checkpoint.pages_missing:
        parts.append(f"{checkpoint.pages_missing} missing")
    return " · ".join(parts)
