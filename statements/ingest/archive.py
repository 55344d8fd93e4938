"""Importing statements from an archive file: CSV, CSV.gz, or JSON lines (gzipped or not).

Published corpora of official sites come as files with columns such as id,
date, title, text, link, language. A mapping names the column behind each
field (`date=pub_date,title=headline,text=body,url=link,id=doc_id`). The file
is streamed and stored in batches through the poll's own attribution, storage
and linking (pipeline.store_parsed), so memory stays flat whatever its size,
a re-import stores nothing twice, and events already in the database are
matched as rows arrive.

A bad row is reported with its line number and skipped; a dry run reads the
whole file, reports the same, and writes nothing. An archive vouches for
coverage only over the span an admin states it is complete for, and only when
every row was read; otherwise it is partial and vouches for nothing.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import html
import io
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import IO, Any

from django.db import reset_queries, transaction
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from statements.ingest import coverage
from statements.ingest.attribution import SpeakerIndex
from statements.ingest.feedparse import (
    ENTRY_ID_MAX,
    ParsedEntry,
    ParsedFeed,
    html_to_text,
    language_tag,
    sanitize_html,
)
from statements.ingest.pipeline import store_parsed
from statements.models import ArchiveImport, CoverageInterval, Source, Statement
from statements.responses.coverage import Span

FIELDS = ("date", "title", "text", "html", "url", "id", "language")
REQUIRED = ("date",)
BATCH_SIZE = 1000
MAX_ERRORS_KEPT = 200
# Official texts can be long; the csv module's default (128 KB) is not enough.
csv.field_size_limit(16 * 1024 * 1024)


class ArchiveError(Exception):
    """The file or the mapping cannot be imported at all; nothing was written."""


@dataclass(frozen=True)
class RowError:
    line: int
    message: str

    def __str__(self):
        return f"line {self.line}: {self.message}"


@dataclass
class ImportReport:
    file_name: str
    dry_run: bool
    rows_read: int = 0
    rows_new: int = 0
    rows_rejected: int = 0
    errors: list[RowError] = field(default_factory=list)
    archive: ArchiveImport | None = None
    vouches: Span | None = None
    note: str = ""

    def reject(self, line: int, message: str) -> None:
        self.rows_rejected += 1
        if len(self.errors) < MAX_ERRORS_KEPT:
            self.errors.append(RowError(line, message))


def parse_mapping(text: str) -> dict[str, str]:
    """`date=pub_date,title=headline` → {"date": "pub_date", "title": "headline"}."""
    mapping: dict[str, str] = {}
    for part in (text or "").split(","):
        if not part.strip():
            continue
        name, sep, column = part.partition("=")
        name, column = name.strip(), column.strip()
        if not sep or not name or not column:
            raise ArchiveError(f"--map: {part.strip()!r} is not FIELD=COLUMN")
        if name not in FIELDS:
            raise ArchiveError(f"--map: unknown field {name!r} (fields: {', '.join(FIELDS)})")
        mapping[name] = column
    missing = [f for f in REQUIRED if f not in mapping]
    if missing:
        raise ArchiveError(f"--map must name a column for: {', '.join(missing)}")
    if not {"title", "text", "html"} & set(mapping):
        raise ArchiveError("--map must name a column for title, text or html")
    return mapping


def import_archive(
    *,
    path: str | Path,
    source: Source,
    mapping: dict[str, str],
    complete_from: datetime | None = None,
    complete_to: datetime | None = None,
    dry_run: bool = False,
    batch_size: int = BATCH_SIZE,
    progress: Callable[[ImportReport], None] | None = None,
    now: datetime | None = None,
) -> ImportReport:
    """Read the archive at `path` into `source`; see the module's docstring."""
    path = Path(path)
    if (complete_from is None) != (complete_to is None):
        raise ArchiveError("--complete-from and --complete-to go together")
    if complete_from and complete_to and complete_from > complete_to:
        raise ArchiveError("--complete-from is after --complete-to")
    now = now or timezone.now()
    report = ImportReport(file_name=path.name, dry_run=dry_run)
    speakers = SpeakerIndex.load()
    archive = None
    if not dry_run:
        archive = ArchiveImport.objects.create(
            source=source,
            file_name=path.name[: ArchiveImport._meta.get_field("file_name").max_length],
            mapping=mapping,
            complete_from=complete_from,
            complete_to=complete_to,
            started_at=now,
        )
        report.archive = archive

    batch: list[ParsedEntry] = []

    def flush() -> None:
        if not batch:
            return
        if dry_run:
            ids = {e.entry_id for e in batch}
            stored = set(
                Statement.objects.filter(source=source, entry_id__in=ids).values_list(
                    "entry_id", flat=True
                )
            )
            report.rows_new += len(ids - stored)
        else:
            feed = ParsedFeed(title="", link="", language="", entries=list(batch))
            new, _edited = store_parsed(
                source=source, parsed=feed, fetched_at=now, speakers=speakers
            )
            report.rows_new += new
        batch.clear()
        reset_queries()  # With DEBUG on, Django would keep every query of the run.
        if progress is not None:
            progress(report)

    try:
        _read(
            path,
            mapping=mapping,
            report=report,
            batch=batch,
            flush=flush,
            batch_size=batch_size,
            now=now,
        )
    except ArchiveError:
        if archive is not None:
            archive.delete()  # Nothing was stored: the file failed before its first row.
        raise

    if complete_from and complete_to:
        if report.rows_rejected:
            report.note = (
                f"not vouching for {complete_from:%Y-%m-%d} – {complete_to:%Y-%m-%d}: "
                f"{report.rows_rejected} rows could not be read, so the file is not complete"
            )
        elif not source.is_partial:
            report.vouches = Span(complete_from, complete_to)
            if archive is not None:
                coverage.vouch(
                    source=source,
                    span=report.vouches,
                    origin=CoverageInterval.Origin.ARCHIVE,
                    archive=archive,
                )
    if archive is not None:
        with transaction.atomic():
            archive.rows_read = report.rows_read
            archive.rows_new = report.rows_new
            archive.rows_rejected = report.rows_rejected
            archive.finished_at = timezone.now()
            archive.save(update_fields=["rows_read", "rows_new", "rows_rejected", "finished_at"])
    return report


def _read(path, *, mapping, report, batch, flush, batch_size, now) -> None:
    seen_in_batch: set[str] = set()
    with _open(path) as stream:
        for line, row in _rows(path, stream, mapping):
            report.rows_read += 1
            if isinstance(row, str):
                report.reject(line, row)
                continue
            try:
                entry = _entry(row, mapping=mapping, line=line, file_name=path.name, now=now)
            except ValueError as exc:
                report.reject(line, str(exc))
                continue
            if entry.entry_id in seen_in_batch:
                flush()  # A repeated id in one batch: the first listing wins, as in a feed.
                seen_in_batch.clear()
            seen_in_batch.add(entry.entry_id)
            batch.append(entry)
            if len(batch) >= batch_size:
                flush()
                seen_in_batch.clear()
        flush()


def _open(path: Path) -> IO[bytes]:
    try:
        raw = path.open("rb")
    except OSError as exc:
        raise ArchiveError(f"Cannot read {path}: {exc.strerror or exc}") from None
    magic = raw.read(2)
    raw.seek(0)
    return gzip.GzipFile(fileobj=raw, mode="rb") if magic == b"\x1f\x8b" else raw


def _is_json_lines(path: Path) -> bool:
    suffixes = [s.lower() for s in path.suffixes if s.lower() != ".gz"]
    return bool(suffixes) and suffixes[-1] in (".jsonl", ".ndjson", ".json")


def _rows(
    path: Path, stream: IO[bytes], mapping: dict[str, str]
) -> Iterator[tuple[int, dict[str, Any] | str]]:
    """(line number, row) for each record; a str in place of the row says what is wrong."""
    text = io.TextIOWrapper(stream, encoding="utf-8-sig", errors="replace", newline="")
    if _is_json_lines(path):
        for number, line in enumerate(text, start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                yield number, f"not valid JSON ({exc.msg}, column {exc.colno})"
                continue
            if not isinstance(row, dict):
                yield number, "not a JSON object"
                continue
            yield number, row
        return

    reader = csv.DictReader(text)
    try:
        header = reader.fieldnames or []
    except csv.Error as exc:
        raise ArchiveError(f"{path.name}: the header line is not CSV ({exc})") from None
    absent = [column for column in mapping.values() if column not in header]
    if absent:
        raise ArchiveError(
            f"{path.name}: no column named {', '.join(map(repr, absent))} "
            f"(the header has: {', '.join(header)})"
        )
    started = reader.line_num + 1
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield started, f"not valid CSV ({exc})"
            started = reader.line_num + 1
            continue
        if None in row:
            yield (
                started,
                f"{len(header) + len(row[None])} cells where the header has {len(header)}",
            )
        else:
            yield started, row
        started = reader.line_num + 1


def _entry(
    row: dict[str, Any], *, mapping: dict[str, str], line: int, file_name: str, now: datetime
) -> ParsedEntry:
    def cell(name: str) -> str:
        column = mapping.get(name)
        value = row.get(column) if column else None
        return "" if value is None else str(value).replace("\x00", "").strip()

    published_at = parse_moment(cell("date"))
    if published_at is None:
        raise ValueError(f"date {cell('date')!r} is not a date" if cell("date") else "no date")
    if published_at > now:
        raise ValueError(f"date {cell('date')!r} is in the future")
    title = re.sub(r"\s+", " ", cell("title"))
    if cell("html"):
        body_html = sanitize_html(cell("html"))
    else:
        paragraphs = re.split(r"\n\s*\n", cell("text"))
        body_html = "".join(f"<p>{html.escape(p.strip())}</p>" for p in paragraphs if p.strip())
    body_text = html_to_text(body_html)
    if not title and not body_text:
        raise ValueError("neither a title nor a text")
    url = cell("url")
    if url and not re.match(r"https?://[^\s/]", url, re.IGNORECASE):
        raise ValueError(f"url {url[:80]!r} is not an http(s) address")
    entry_id = cell("id") or url or "sha256:" + _sha256(f"{title}\n{published_at.isoformat()}")
    if len(entry_id) > ENTRY_ID_MAX:
        entry_id = "sha256:" + _sha256(entry_id)
    # Provenance: where the row came from, and its other cells (not the text again).
    text_columns = {mapping.get("text"), mapping.get("html")}
    raw = {k: v for k, v in row.items() if k not in text_columns and k is not None}
    raw["archive"] = {"file": file_name, "line": line}
    return ParsedEntry(
        entry_id=entry_id,
        url=url[:2000],
        title=title,
        body_html=body_html,
        body_text=body_text,
        language=language_tag(cell("language")),
        published_at=published_at,
        published_at_estimated=False,
        # The feeds' formula, so an entry seen in both compares equal.
        content_hash=_sha256(f"{title}\n{body_text}"),
        raw=raw,
    )


def parse_moment(value: str) -> datetime | None:
    """ISO 8601 (date or datetime), RFC 2822, or Unix seconds; UTC when no zone is given."""
    value = (value or "").strip()
    if not value:
        return None
    moment = None
    try:
        moment = parse_datetime(value.replace(" ", "T", 1) if " " in value[:11] else value)
    except ValueError:
        moment = None
    if moment is None:
        try:
            day = parse_date(value)
        except ValueError:
            day = None
        if day is not None:
            moment = datetime(day.year, day.month, day.day)
    if moment is None and re.fullmatch(r"\d{9,11}(\.\d+)?", value):
        moment = datetime.fromtimestamp(float(value), tz=UTC)
    if moment is None:
        try:
            moment = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
    return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "replace")).hexdigest()
