"""The ingestion pipeline: fetch → parse → attribute → store → link → record.

`poll_source` is the one code path behind the Celery task and the `poll`
command. It never deletes anything and never lets a bad feed escape as an
exception: every poll ends as a FetchAttempt in the source's log, and the
source's polling state (validators, back-off, next poll) is updated with it.
"""

from __future__ import annotations

import hashlib
import logging
import re
import time
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.utils import timezone

from statements.ingest import coverage, politeness, revisions
from statements.ingest.attribution import SpeakerIndex
from statements.ingest.feedparse import FeedParseError, ParsedEntry, ParsedFeed, parse_feed
from statements.ingest.fetching import FetchError, FetchResult, fetch_feed
from statements.ingest.linking import link_statements
from statements.ingest.translations import pair_translations
from statements.models import FetchAttempt, Source, Statement
from statements.responses.liveness import date_is_plausible
from statements.text.terms import detect_language, search_vector_from_tokens, tokenize

logger = logging.getLogger(__name__)

Outcome = FetchAttempt.Outcome

_ETAG_MAX = Source._meta.get_field("etag").max_length
_LAST_MODIFIED_MAX = Source._meta.get_field("last_modified").max_length
_URL_MAX = Source._meta.get_field("url").max_length
_SITE_URL_MAX = Source._meta.get_field("site_url").max_length


def poll_source(*, source: Source, now: datetime | None = None) -> FetchAttempt:
    """Poll one feed and record the attempt; `source` is updated in place."""
    started_at = now or timezone.now()
    clock = time.monotonic()

    def finished_at() -> datetime:
        # Offset from started_at rather than the wall clock, so a caller's `now` holds.
        return started_at + timedelta(seconds=time.monotonic() - clock)

    host = urlsplit(source.url).hostname or ""
    try:
        # One fetch per host at a time across all workers, spaced (politeness).
        with politeness.host_turn(host):
            result = fetch_feed(
                url=source.url,
                etag=source.etag,
                last_modified=source.last_modified,
                username=source.username,
                password=source.password,
            )
    except (FetchError, politeness.HostBusy) as exc:
        retry_after = getattr(exc, "retry_after", None)
        if retry_after is not None:
            # Every worker keeps away from the host, and this source waits as asked.
            retry_after = politeness.hold_off(host, retry_after)
        return _record_failure(
            source=source,
            started_at=started_at,
            finished_at=finished_at(),
            error=str(exc),
            http_status=getattr(exc, "http_status", None),
            not_before=started_at + timedelta(seconds=retry_after) if retry_after else None,
        )

    if result.not_modified:
        return _record_success(
            source=source,
            result=result,
            outcome=Outcome.NOT_MODIFIED,
            started_at=started_at,
            finished_at=finished_at(),
        )

    body_hash = entries_hash(result.body, url=result.url)
    if body_hash == source.body_hash:
        # The server ignores conditional requests but sends the same entries
        # (often in an envelope whose build date or comment changes every time):
        # as good as a 304, and much cheaper than parsing again.
        return _record_success(
            source=source,
            result=result,
            outcome=Outcome.UNCHANGED,
            started_at=started_at,
            finished_at=finished_at(),
        )

    try:
        parsed = parse_feed(
            result.body,
            content_type=result.content_type,
            base_url=result.url,
            fetched_at=started_at,
        )
    except FeedParseError as exc:
        return _record_failure(
            source=source,
            started_at=started_at,
            finished_at=finished_at(),
            error=str(exc),
            http_status=result.status,
        )

    try:
        return _record_success(
            source=source,
            result=result,
            outcome=Outcome.OK,
            started_at=started_at,
            finished_at=finished_at(),
            parsed=parsed,
            body_hash=body_hash,
        )
    except DatabaseError as exc:
        # Whatever the store refused as a whole (each entry's own failure is
        # caught below), the poll still ends as an attempt in the log, with back-off.
        logger.exception("Storing the entries of %s failed", source.url)
        return _record_failure_once_the_database_answers(
            source=source,
            started_at=started_at,
            finished_at=finished_at(),
            error=f"Storing the feed failed: {_first_line(exc)}",
            http_status=result.status,
        )


# How long a poll whose database connection broke waits for it to come back
# before giving up on recording its attempt (the task then fails visibly).
DATABASE_RETRY_SECONDS = 60


def _record_failure_once_the_database_answers(**failure) -> FetchAttempt:
    waited, pause = 0.0, 0.5
    while True:
        try:
            # A broken connection stays broken: drop it, the next query reconnects.
            if not connection.in_atomic_block and not connection.is_usable():
                connection.close()
            return _record_failure(**failure)
        except DatabaseError:
            if waited >= DATABASE_RETRY_SECONDS:
                raise
            time.sleep(pause)
            waited += pause
            pause = min(pause * 2, 8)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return (text[0] if text else type(exc).__name__)[:500]


# From the first entry's opening tag to the last entry's closing tag, in RSS (0.9x, 1.0,
# 2.0) and Atom, with or without a namespace prefix.
_FIRST_ENTRY = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?(?:item|entry)[\s>/]")
_LAST_ENTRY_END = re.compile(rb"</(?:[A-Za-z_][\w.-]*:)?(?:item|entry)\s*>")


def entries_hash(body: bytes, *, url: str = "") -> str:
    """What decides whether a fetched feed needs parsing: a hash of its entries' bytes.

    Everything from the first entry's start to the last entry's end counts, so any
    change to an entry, or an entry added between others, is seen; the envelope
    before and after (the channel's build date, a generator comment, a cache stamp)
    is left out, since it changes on every request of many servers while no entry
    does. A body with no recognisable entries is hashed whole. The address it came
    from counts too: relative links resolve against it, so a moved feed is read again.
    """
    first = _FIRST_ENTRY.search(body)
    start = first.start() if first else 0
    end = max((m.end() for m in _LAST_ENTRY_END.finditer(body, start)), default=None)
    region = body if first is None or end is None else body[start:end]
    return hashlib.sha256(url.encode() + b"\n" + region).hexdigest()


def record_interrupted_poll(*, source: Source, started_at: datetime) -> FetchAttempt:
    """Record a poll whose worker died before it ended (the task runs again now)."""
    return _record_failure(
        source=source,
        started_at=started_at,
        finished_at=timezone.now(),
        error="Interrupted: the worker stopped before this poll ended; it was run again",
        http_status=None,
    )


def backoff_after(failures: int) -> timedelta:
    """How long to wait after `failures` consecutive failed polls."""
    # The exponent is capped so that a long-dead feed cannot overflow timedelta.
    return min(settings.FEED_POLL_INTERVAL * 2 ** min(failures, 20), settings.FEED_MAX_BACKOFF)


def _record_success(
    *,
    source: Source,
    result: FetchResult,
    outcome: str,
    started_at: datetime,
    finished_at: datetime,
    parsed: ParsedFeed | None = None,
    body_hash: str = "",
) -> FetchAttempt:
    speakers = SpeakerIndex.load() if parsed else None
    warnings = [parsed.warning] if parsed and parsed.warning else []

    with transaction.atomic():
        # Two workers polling one source queue up here: the second sees what
        # the first stored. The unique constraint on (source, entry_id) is
        # what guarantees no duplicates; the lock makes the counts exact.
        locked = Source.objects.select_for_update().get(pk=source.pk)
        previous_success_at = locked.last_success_at

        seen = new = 0
        oldest_entry_at = None
        if parsed is not None:
            seen = len(parsed.entries)
            # An entry dated 1900 (or next year) must not stretch coverage.
            dated = [e.published_at for e in parsed.entries if not e.published_at_estimated
                     and date_is_plausible(e.published_at, source_added_at=locked.created_at,
                                           fetched_at=started_at)]
            oldest_entry_at = min(dated, default=None)
            refused: list[str] = []
            new, edited = _store_entries(
                source=locked,
                parsed=parsed,
                speakers=speakers,
                fetched_at=started_at,
                refused=refused,
            )
            if refused:
                warnings.append(
                    f"{len(refused)} {'entry' if len(refused) == 1 else 'entries'} "
                    "could not be stored: " + "; ".join(refused[:10])
                )
            # Only a poll of the feed's head says what it lists now (not a backfill page).
            revisions.record_listing(source=locked, entries=parsed.entries, seen_at=started_at)
            if edited:
                warnings.append(
                    f"{edited} stored {'entry has' if edited == 1 else 'entries have'} "
                    "changed in the feed since; "
                    "the stored versions were kept"
                )

        warnings.extend(_follow_permanent_redirect(source=locked, result=result))
        attempt = FetchAttempt.objects.create(
            source=locked,
            started_at=started_at,
            finished_at=finished_at,
            outcome=outcome,
            http_status=result.status,
            entries_seen=seen,
            entries_new=new,
            oldest_entry_at=oldest_entry_at,
            warning="\n".join(warnings),
        )
        coverage.record_attempt(attempt=attempt, previous_success_at=previous_success_at)

        if result.etag or outcome == Outcome.OK:
            locked.etag = result.etag if len(result.etag) <= _ETAG_MAX else ""
        if result.last_modified or outcome == Outcome.OK:
            lm = result.last_modified
            locked.last_modified = lm if len(lm) <= _LAST_MODIFIED_MAX else ""
        if body_hash:
            locked.body_hash = body_hash
        if parsed is not None:
            _fill_in_feed_details(source=locked, parsed=parsed)
        locked.last_attempt_at = started_at
        # Coverage pairs a later 304 with the interval that ends at this time.
        locked.last_success_at = started_at
        locked.consecutive_failures = 0
        locked.next_poll_at = started_at + politeness.next_poll_delay(
            published=_recent_dates(source=locked, parsed=parsed),
            cache_control=result.headers.get("cache-control", ""),
        )
        locked.save(update_fields=_STATE_FIELDS)

    _copy_state(locked, to=source)
    logger.info("Polled %s: %s, %d seen, %d new", source.url, outcome, seen, new)
    return attempt


def _store_entries(
    *,
    source: Source,
    parsed: ParsedFeed,
    speakers: SpeakerIndex,
    fetched_at: datetime,
    refused: list[str] | None = None,
) -> tuple[int, int]:
    """Insert the entries not stored yet, link them to events: (new, edited).

    One entry the database refuses never costs the others: `refused` gets
    "<entry id>: <reason>" for each entry that could not be stored.
    """
    refused = [] if refused is None else refused
    stored_hashes = dict(
        Statement.objects.filter(
            source=source, entry_id__in=[e.entry_id for e in parsed.entries]
        ).values_list("entry_id", "content_hash")
    )
    fresh = [e for e in parsed.entries if e.entry_id not in stored_hashes]
    # Same entry id, other content: the stored text stays, the new version is a revision.
    edited = revisions.record_edits(
        source=source,
        entries=[
            e
            for e in parsed.entries
            if e.entry_id in stored_hashes and stored_hashes[e.entry_id] != e.content_hash
        ],
        seen_at=fetched_at,
    )
    if not fresh:
        return 0, edited

    rows = []
    for e in fresh:
        try:
            rows.append(
                _statement(
                    source=source, parsed=parsed, entry=e, speakers=speakers, fetched_at=fetched_at
                )
            )
        except Exception as exc:  # One entry that breaks attribution must not stop the feed.
            logger.exception("Attributing entry %r of %s failed", e.entry_id, source.url)
            refused.append(f"{e.entry_id[:200]}: {_first_line(exc)}")
    _insert_each_that_fits(rows, refused=refused)
    # PostgreSQL does not return ids for rows inserted with ON CONFLICT DO
    # NOTHING, so read back what this poll added.
    added = list(
        Statement.objects.filter(source=source, entry_id__in=[e.entry_id for e in fresh])
    )
    if added:
        # Rows this poll built carry their tokens; a row another worker stored meanwhile does not.
        tokens = {row.entry_id: row.tokens for row in rows}
        link_statements(
            added,
            tokens={s.pk: tokens[s.entry_id] for s in added if s.entry_id in tokens},
        )
        # A ministry's Russian and English versions are one statement (counted once).
        pair_translations(added)
    return len(added), edited


def store_parsed(
    *,
    source: Source,
    parsed: ParsedFeed,
    fetched_at: datetime,
    speakers: SpeakerIndex | None = None,
) -> tuple[int, int]:
    """Store a parsed page that is not the feed's head (an archive page, an archive
    file's batch) through the same attribution, storage and linking as a poll:
    (new, edited). Records no attempt and touches no polling state.
    """
    speakers = speakers or SpeakerIndex.load()
    with transaction.atomic():
        locked = Source.objects.select_for_update().get(pk=source.pk)
        return _store_entries(
            source=locked, parsed=parsed, speakers=speakers, fetched_at=fetched_at
        )


def _insert_each_that_fits(rows: list[Statement], *, refused: list[str]) -> None:
    """One INSERT for all rows; if the database refuses it, one savepoint per row."""
    try:
        with transaction.atomic():
            Statement.objects.bulk_create(rows, ignore_conflicts=True)
        return
    except DatabaseError:
        pass
    for row in rows:
        try:
            with transaction.atomic():
                Statement.objects.bulk_create([row], ignore_conflicts=True)
        except DatabaseError as exc:
            logger.warning("Entry %r refused by the database: %s", row.entry_id, exc)
            refused.append(f"{row.entry_id[:200]}: {_first_line(exc)}")


def _statement(
    *,
    source: Source,
    parsed: ParsedFeed,
    entry: ParsedEntry,
    speakers: SpeakerIndex,
    fetched_at: datetime,
) -> Statement:
    # An entry's own xml:lang beats the admin's setting, which beats the feed's;
    # with none of them the text says (py3langid, offline).
    language = entry.language or source.language or parsed.language
    text = f"{entry.title}\n{entry.body_text}"
    if not language:
        language = detect_language(text)
    # The text is tokenised once: attribution, the search index and linking share it.
    tokens = tokenize(text, language)
    title_end = len(entry.title)
    decision = speakers.decide(
        title=entry.title,
        tokens=[t for t in tokens if t.end <= title_end],
        default_actor=source.actor,
        on=entry.published_at.date(),
    )
    actor, attribution = decision.actor, decision.attribution
    published_at, implausible_date = entry.published_at, None
    if not entry.published_at_estimated and not date_is_plausible(
            published_at, source_added_at=source.created_at, fetched_at=fetched_at):
        # Kept as the feed said, flagged; sorted at the moment we saw it.
        published_at, implausible_date = fetched_at, entry.published_at
    row = Statement(
        source=source,
        actor=actor,
        attribution=attribution,
        attribution_note=decision.note[:300],
        suggested_actor=decision.suggested,
        entry_id=entry.entry_id,
        url=entry.url,
        title=entry.title,
        body_html=entry.body_html,
        body_text=entry.body_text,
        language=language,
        published_at=published_at,
        published_at_estimated=entry.published_at_estimated,
        implausible_date=implausible_date,
        fetched_at=fetched_at,
        content_hash=entry.content_hash,
        raw=entry.raw,
        search_vector=(
            search_vector_from_tokens(tokens, title_end)
            if connection.vendor == "postgresql"
            else None
        ),
    )
    row.tokens = tokens  # not a field: handed to linking (see _store_entries)
    return row


def _follow_permanent_redirect(*, source: Source, result: FetchResult) -> list[str]:
    new_url = result.permanent_redirect_to
    if not new_url or new_url == source.url:
        return []
    if len(new_url) > _URL_MAX:
        return [f"Feed moved permanently to a URL too long to store: {new_url[:200]}…"]
    other = Source.objects.filter(url=new_url).exclude(pk=source.pk).first()
    if other is None:
        try:
            with transaction.atomic():
                Source.objects.filter(pk=source.pk).update(url=new_url)
        except IntegrityError:  # Another source took the URL since we looked.
            other = Source.objects.filter(url=new_url).first()
        else:
            old_url, source.url = source.url, new_url
            return [f"Feed moved permanently from {old_url} to {new_url}; URL updated"]
    where = f"source #{other.pk}" if other else "another source"
    return [f"Feed moved permanently to {new_url}, already polled as {where}; URL kept"]


def _fill_in_feed_details(*, source: Source, parsed: ParsedFeed) -> None:
    # Only blanks are filled: what an admin typed is never overwritten.
    if not source.title and parsed.title:
        source.title = parsed.title
    if not source.site_url and parsed.link and len(parsed.link) <= _SITE_URL_MAX:
        source.site_url = parsed.link
    if not source.language and parsed.language:
        source.language = parsed.language


def _recent_dates(*, source: Source, parsed: ParsedFeed | None) -> list[datetime]:
    """When the feed published lately: what the adaptive interval follows."""
    if parsed is not None:
        dated = [e.published_at for e in parsed.entries if not e.published_at_estimated]
        if len(dated) >= 2:
            return dated
    return list(
        Statement.objects.filter(source=source, published_at_estimated=False)
        .order_by("-published_at")
        .values_list("published_at", flat=True)[:20]
    )


def _record_failure(
    *,
    source: Source,
    started_at: datetime,
    finished_at: datetime,
    error: str,
    http_status: int | None,
    not_before: datetime | None = None,
) -> FetchAttempt:
    with transaction.atomic():
        locked = Source.objects.select_for_update().get(pk=source.pk)
        attempt = FetchAttempt.objects.create(
            source=locked,
            started_at=started_at,
            finished_at=finished_at,
            outcome=Outcome.ERROR,
            http_status=http_status,
            error=error,
        )
        coverage.record_attempt(attempt=attempt, previous_success_at=locked.last_success_at)
        locked.consecutive_failures += 1
        locked.last_attempt_at = started_at
        locked.next_poll_at = max(
            started_at + backoff_after(locked.consecutive_failures), not_before or started_at
        )
        locked.save(update_fields=_STATE_FIELDS)

    _copy_state(locked, to=source)
    logger.warning(
        "Polling %s failed (%d in a row): %s", source.url, locked.consecutive_failures, error
    )
    return attempt


_STATE_FIELDS = [
    "etag",
    "last_modified",
    "body_hash",
    "last_attempt_at",
    "last_success_at",
    "consecutive_failures",
    "next_poll_at",
    "title",
    "site_url",
    "language",
]


def _copy_state(locked: Source, *, to: Source) -> None:
    for name in [*_STATE_FIELDS, "url"]:
        setattr(to, name, getattr(locked, name))
