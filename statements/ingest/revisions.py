"""Statements that change or vanish after publication.

A feed that serves an entry again with other content (same entry id, another
content hash) has edited it: the stored statement keeps the first version we
saw, and every later version becomes a StatementRevision. An entry the feed
stops listing while older neighbours are still listed is "no longer listed", a
candidate removal; a later check of the statement's own address through the
guarded fetcher confirms it (404/410, or a redirect to a listing) and marks it
removed. Nothing is deleted: the original text stays in the record.
"""

from __future__ import annotations

import difflib
import html
import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from django.conf import settings
from django.db.models import Q

from statements.ingest import politeness
from statements.ingest.feedparse import ParsedEntry
from statements.ingest.fetching import FetchError, fetch_feed
from statements.models import Source, Statement, StatementRevision

logger = logging.getLogger(__name__)


def record_edits(*, source: Source, entries: Iterable[ParsedEntry], seen_at: datetime) -> int:
    """Keep a revision for each entry whose content differs from every stored version.

    Returns how many entries turned out edited (a version not seen before).
    """
    by_id = {e.entry_id: e for e in entries}
    if not by_id:
        return 0
    statements = list(
        Statement.objects.filter(source=source, entry_id__in=list(by_id)).only(
            "pk", "entry_id", "content_hash"
        )
    )
    known: dict[int, set[str]] = {s.pk: {s.content_hash} for s in statements}
    for statement_id, content_hash in StatementRevision.objects.filter(
        statement__in=[s.pk for s in statements]
    ).values_list("statement_id", "content_hash"):
        known[statement_id].add(content_hash)

    revisions = []
    for statement in statements:
        entry = by_id[statement.entry_id]
        if entry.content_hash in known[statement.pk]:
            continue
        revisions.append(
            StatementRevision(
                statement=statement,
                seen_at=seen_at,
                title=entry.title,
                body_html=entry.body_html,
                body_text=entry.body_text,
                content_hash=entry.content_hash,
                raw=entry.raw,
            )
        )
    if not revisions:
        return 0
    # The unique (statement, content_hash) keeps a race between two polls harmless.
    StatementRevision.objects.bulk_create(revisions, ignore_conflicts=True)
    Statement.objects.filter(pk__in=[r.statement_id for r in revisions]).update(edited_at=seen_at)
    return len(revisions)


def record_listing(*, source: Source, entries: list[ParsedEntry], seen_at: datetime) -> int:
    """After a poll of the feed's head: mark what vanished from the listed span.

    An entry is "no longer listed" when the feed no longer lists it although it
    lists entries older than it: it was not simply pushed off the end. An entry
    listed again loses the mark. Returns how many were newly marked.
    """
    dated = [e.published_at for e in entries if not e.published_at_estimated]
    listed_ids = [e.entry_id for e in entries]
    if listed_ids:
        Statement.objects.filter(
            source=source, entry_id__in=listed_ids, unlisted_at__isnull=False, removed_at=None
        ).update(unlisted_at=None)
    if len(dated) < 2:
        return 0
    return (
        Statement.objects.filter(
            source=source,
            is_manual=False,
            published_at_estimated=False,
            published_at__gt=min(dated),
            published_at__lte=max(dated),
            unlisted_at__isnull=True,
        )
        .exclude(entry_id__in=listed_ids)
        # Rows from an archive file carry the file's ids, not the feed's: never "listed".
        .exclude(raw__has_key="archive")
        .update(unlisted_at=seen_at)
    )


@dataclass(frozen=True)
class RemovalCheck:
    statement_id: int
    removed: bool
    why: str


def recheck_removals(*, now: datetime, limit: int | None = None) -> list[RemovalCheck]:
    """Fetch the own address of a few unlisted statements; confirm those that are gone.

    Politely: at most `limit` (REMOVAL_RECHECK_BATCH) per run, each statement at
    most once per REMOVAL_RECHECK_INTERVAL, through the same guarded fetcher as feeds.
    """
    limit = settings.REMOVAL_RECHECK_BATCH if limit is None else limit
    due = now - settings.REMOVAL_RECHECK_INTERVAL
    candidates = list(
        Statement.objects.filter(unlisted_at__isnull=False, removed_at=None)
        .exclude(url="")
        .filter(Q(removal_checked_at__isnull=True) | Q(removal_checked_at__lte=due))
        .select_related("source")
        .order_by("removal_checked_at", "unlisted_at")[:limit]
    )
    results = []
    for statement in candidates:
        removed, why = _gone(statement)
        update = {"removal_checked_at": now}
        if removed:
            update["removed_at"] = now
        Statement.objects.filter(pk=statement.pk).update(**update)
        results.append(RemovalCheck(statement.pk, removed, why))
    return results


def _gone(statement: Statement) -> tuple[bool, str]:
    host = urlsplit(statement.url).hostname or ""
    try:
        # The host's turn, as for polls: a re-check never crowds a site we also poll.
        with politeness.host_turn(host, wait_up_to=settings.FEED_TIMEOUT_SECONDS):
            result = fetch_feed(url=statement.url)
    except politeness.HostBusy as exc:
        return False, str(exc)
    except FetchError as exc:
        if exc.retry_after:
            politeness.hold_off(host, exc.retry_after)
        if exc.http_status in (404, 410):
            return True, f"HTTP {exc.http_status}"
        # A timeout or a 500 says nothing about the page: try again next time.
        return False, str(exc)
    if result.url and _is_listing_redirect(statement.url, result.url, statement.source):
        return True, f"redirected to {result.url}"
    return False, f"HTTP {result.status}"


def _is_listing_redirect(asked: str, landed: str, source: Source | None) -> bool:
    """A statement's address that now lands on the site's front page or a section of it."""
    if _normal(asked) == _normal(landed):
        return False
    asked_parts, landed_parts = urlsplit(asked), urlsplit(landed)
    landed_path = landed_parts.path.rstrip("/")
    listings = {""}
    if source is not None:
        listings |= {urlsplit(u).path.rstrip("/") for u in (source.site_url, source.url) if u}
    if landed_path in listings:
        return True
    # /news/2024/05/item-17 → /news: a parent of the statement's own path.
    asked_path = asked_parts.path.rstrip("/")
    return bool(landed_path) and asked_path.startswith(landed_path + "/")


def _normal(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.netloc.lower()}{parts.path.rstrip('/')}?{parts.query}"


_WORDS = re.compile(r"\S+")


def word_diff(before: str, after: str) -> str:
    """A word-level diff as safe HTML: <del> for words taken out, <ins> for words put in."""
    old, new = _WORDS.findall(before or ""), _WORDS.findall(after or "")
    pieces = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(a=old, b=new, autojunk=False).get_opcodes():
        if op == "equal":
            pieces.append(html.escape(" ".join(old[i1:i2])))
            continue
        if i2 > i1:
            pieces.append(f"<del>{html.escape(' '.join(old[i1:i2]))}</del>")
        if j2 > j1:
            pieces.append(f"<ins>{html.escape(' '.join(new[j1:j2]))}</ins>")
    return " ".join(pieces)


def word_changes(before: str, after: str) -> tuple[int, int]:
    """(words removed, words added): the size of an edit, for lists and CSV."""
    old, new = _WORDS.findall(before or ""), _WORDS.findall(after or "")
    removed = added = 0
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(a=old, b=new, autojunk=False).get_opcodes():
        if op != "equal":
            removed += i2 - i1
            added += j2 - j1
    return removed, added
