"""Statements edited or removed after publication: the /changes/ list, its Atom and CSV.

Three kinds of change, each dated:
- edited: the feed served the entry again with other content (a StatementRevision);
  shown with a word-level diff against the version before it;
- no longer listed: the feed stopped listing it while still listing older entries;
- removed: its own address answered 404/410 or redirected to a listing.
The original text always stays in the record.
"""

from __future__ import annotations

import io
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Q
from django.utils.safestring import SafeString, mark_safe

from actors.graph import ActorGraph
from actors.models import Actor
from statements.ingest.revisions import word_changes, word_diff
from statements.models import Statement, StatementRevision
from statements.research.csvfiles import CitationWriter, metadata, one_line

EDITED = "edited"
UNLISTED = "unlisted"
REMOVED = "removed"
KIND_LABELS = {
    EDITED: "Edited after publication",
    UNLISTED: "No longer listed",
    REMOVED: "Removed from the site",
}
DEFAULT_LIMIT = 200


@dataclass(frozen=True)
class Version:
    seen_at: datetime
    title: str
    body_text: str


@dataclass(frozen=True)
class Change:
    kind: str
    at: datetime
    statement: Statement
    # For an edit: the version before and the version after.
    before: Version | None = None
    after: Version | None = None

    @property
    def label(self) -> str:
        return KIND_LABELS[self.kind]

    @property
    def title_diff(self) -> SafeString:
        if not (self.before and self.after):
            return mark_safe("")
        return mark_safe(word_diff(self.before.title, self.after.title))

    @property
    def body_diff(self) -> SafeString:
        if not (self.before and self.after):
            return mark_safe("")
        # word_diff escapes every word it emits: the only markup is <ins>/<del>.
        return mark_safe(word_diff(self.before.body_text, self.after.body_text))

    @property
    def words_changed(self) -> tuple[int, int]:
        if not (self.before and self.after):
            return (0, 0)
        before = f"{self.before.title} {self.before.body_text}"
        after = f"{self.after.title} {self.after.body_text}"
        return word_changes(before, after)


def recent_changes(
    *, actor: Actor | None = None, kind: str = "", limit: int = DEFAULT_LIMIT
) -> list[Change]:
    """The latest changes, newest first; a fixed number of queries whatever their number."""
    statements = Statement.objects.select_related("actor", "source")
    if actor is not None:
        # A state's or an institution's record includes its members' (the graph's rule).
        statements = statements.filter(actor__in=ActorGraph.load().own_speakers(actor.pk))
    found: list[Change] = []

    if kind in ("", EDITED):
        revisions = list(
            StatementRevision.objects.filter(statement__in=statements)
            .select_related("statement__actor", "statement__source")
            .defer("raw", "statement__raw")
            .order_by("-seen_at", "-pk")[:limit]
        )
        found += _edits(revisions)

    if kind in ("", UNLISTED, REMOVED):
        wanted = Q()
        if kind in ("", UNLISTED):
            wanted |= Q(unlisted_at__isnull=False, removed_at=None)
        if kind in ("", REMOVED):
            wanted |= Q(removed_at__isnull=False)
        for statement in (
            statements.filter(wanted)
            .defer("raw", "body_html")
            .order_by("-unlisted_at", "-pk")[:limit]
        ):
            if statement.removed_at:
                found.append(Change(REMOVED, statement.removed_at, statement))
            else:
                found.append(Change(UNLISTED, statement.unlisted_at, statement))

    found.sort(key=lambda c: (c.at, c.statement.pk), reverse=True)
    return found[:limit]


def _edits(revisions: list[StatementRevision]) -> list[Change]:
    """Each revision with the version just before it (an earlier revision or the original)."""
    if not revisions:
        return []
    every = defaultdict(list)
    for revision in StatementRevision.objects.filter(
        statement__in={r.statement_id for r in revisions}
    ).only("pk", "statement_id", "seen_at", "title", "body_text"):
        every[revision.statement_id].append(revision)
    changes = []
    for revision in revisions:
        statement = revision.statement
        versions = sorted(every[statement.pk], key=lambda r: (r.seen_at, r.pk))
        index = next(i for i, r in enumerate(versions) if r.pk == revision.pk)
        previous = versions[index - 1] if index else None
        before = (
            Version(previous.seen_at, previous.title, previous.body_text)
            if previous
            else Version(statement.fetched_at, statement.title, statement.body_text)
        )
        after = Version(revision.seen_at, revision.title, revision.body_text)
        changes.append(Change(EDITED, revision.seen_at, statement, before, after))
    return changes


def statement_history(statement: Statement) -> list[Change]:
    """A statement's own record of changes, oldest first; no query unless it changed."""
    changes: list[Change] = []
    if statement.edited_at:
        revisions = list(statement.revisions.order_by("seen_at", "pk"))
        for revision in revisions:
            revision.statement = statement
        changes += _edits(revisions)
    if statement.unlisted_at:
        changes.append(Change(UNLISTED, statement.unlisted_at, statement))
    if statement.removed_at:
        changes.append(Change(REMOVED, statement.removed_at, statement))
    return sorted(changes, key=lambda c: c.at)


CSV_COLUMNS = [
    "change",
    "changed_at",
    "statement_id",
    "actor",
    "source",
    "published_at",
    "url",
    "title",
    "title_after",
    "words_removed",
    "words_added",
    "text_before",
    "text_after",
]


def changes_csv(changes: list[Change], *, generated_at: datetime, query: str) -> str:
    out = io.StringIO()
    out.write(
        metadata(
            [
                ("file", "Statements edited or removed after publication"),
                ("generated_at", generated_at.isoformat()),
                ("filter", query or "none"),
            ]
        )
    )
    writer = CitationWriter(out)
    writer.writerow(CSV_COLUMNS)
    for change in changes:
        statement = change.statement
        removed, added = change.words_changed
        writer.writerow(
            [
                change.kind,
                change.at.isoformat(),
                statement.pk,
                statement.actor.slug if statement.actor else "",
                str(statement.source or ""),
                statement.published_at.isoformat(),
                statement.url,
                one_line(change.before.title if change.before else statement.title),
                one_line(change.after.title) if change.after else "",
                removed,
                added,
                one_line(change.before.body_text) if change.before else "",
                one_line(change.after.body_text) if change.after else "",
            ]
        )
    return out.getvalue()
