"""Actor lists: import and export as CSV or JSON, with a dry run.

One record per actor, in either format, with these fields:

    slug, name, kind, country, parent, aliases, wikidata_id, groups

In CSV, `aliases` is one cell of "text|lang" items separated by ";"
("Putin|en; Путин|ru"; an alias the same in every language has no "|lang"),
and `groups` lists group slugs separated by ";". A ";", "|" or "\\" inside an
alias is written with a backslash before it. In JSON the file is
{"actors": [...]}, aliases are objects as in a data set file
({"text": "Putin", "lang": "en"}) and groups a list of slugs.

Records are matched to stored actors by slug. `slug`, `name` and `kind` are
required; the other fields are managed only where the file carries them: a
CSV without a `groups` column, or a JSON record without a "groups" key, leaves
the actor's groups as they are, while an empty cell or null empties the field.
Aliases and groups are replaced wholesale by the file's list (a group not yet
known is created, named after its slug). Description, active flag and
speaks_for are never touched by an actor list; a data set file manages those.

A file is validated whole before anything is written, with each problem
reported by the line the record starts on. If any record is rejected nothing
of the file is applied; otherwise it is written in one transaction with a
constant number of queries (bulk inserts and updates, history included), so
re-importing the file it came from changes nothing.

The validation rules (slugs, kinds, countries, languages, Wikidata ids,
aliases, parent cycles) are the data set import's own (statements.datasets).
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import Any

from django.db import transaction
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from actors.models import Actor, ActorGroup, Alias
from statements.curation.datasets import ActionCounts, RecordValidator, parent_cycle, read_aliases

COLUMNS = ("slug", "name", "kind", "country", "parent", "aliases", "wikidata_id", "groups")
REQUIRED_COLUMNS = ("slug", "name", "kind")
FORMATS = ("csv", "json")
# Scalar fields compared and written as they are.
_SCALARS = ("name", "kind", "country", "wikidata_id")
_ROW = "row"  # the validator's path for one record; stripped when errors are shown


class ActorFileError(ValueError):
    """A file that cannot be read as an actor list at all (encoding, syntax, header)."""


@dataclass
class FileRecord:
    """One record as read from the file, before validation."""

    line: int
    record: dict[str, Any]
    # Problems found while reading the record's cells (CSV alias syntax).
    errors: list[str] = field(default_factory=list)


@dataclass
class RowResult:
    """What importing one record does (or would do), and why."""

    line: int
    slug: str
    name: str
    action: str = ""  # created, updated, unchanged, rejected
    changes: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def describe(self) -> str:
        if self.action == "rejected":
            return "; ".join(self.errors)
        if self.action == "updated":
            return "changes " + ", ".join(self.changes)
        return ""


@dataclass
class ActorImportReport(ActionCounts):
    rows: list[RowResult]
    # Group slugs the file names that do not exist yet: created on import.
    new_groups: list[str] = field(default_factory=list)
    dry_run: bool = False
    applied: bool = False

    def count(self, action: str) -> int:
        return sum(1 for row in self.rows if row.action == action)

    @property
    def rejected(self) -> int:
        return self.count("rejected")

    @property
    def is_valid(self) -> bool:
        return self.rejected == 0

    def summary(self) -> str:
        text = (f"{self.created} created, {self.updated} updated, "
                f"{self.unchanged} unchanged, {self.rejected} rejected")
        if self.new_groups:
            text += f"; new groups: {', '.join(self.new_groups)}"
        return text


# --- Reading files -------------------------------------------------------------------


def file_format(name: str) -> str:
    """"csv" or "json", from a file name's extension."""
    suffix = PurePath(name).suffix.lower().lstrip(".")
    if suffix not in FORMATS:
        raise ActorFileError(f"{name}: unknown format (use a .csv or .json file)")
    return suffix


def read_actor_file(*, name: str, content: bytes) -> list[FileRecord]:
    """The records of an actor list file; the format is chosen by the name's extension."""
    fmt = file_format(name)
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = content[: exc.start].count(b"\n") + 1
        raise ActorFileError(f"line {line}: the file is not UTF-8 text") from None
    return parse_csv(text) if fmt == "csv" else parse_json(text)


def parse_csv(text: str) -> list[FileRecord]:
    text = text.removeprefix("\ufeff")
    first_line = text.split("\n", 1)[0]
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(first_line))
    try:
        header = [cell.strip().lower() for cell in next(reader)]
    except StopIteration:
        raise ActorFileError("the file is empty (expected a header line: "
                             + ",".join(COLUMNS) + ")") from None
    except csv.Error as exc:
        raise ActorFileError(f"line 1: {exc}") from None
    _check_header(header)

    records: list[FileRecord] = []
    last_line = reader.line_num
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            raise ActorFileError(f"line {last_line + 1}: {exc}") from None
        line, last_line = last_line + 1, reader.line_num
        if not any(cell.strip() for cell in cells):
            continue  # blank lines are allowed anywhere
        errors = []
        if len(cells) != len(header):
            errors.append(f"has {len(cells)} cells, the header has {len(header)}")
        values = dict(zip(header, (cell.strip() for cell in cells), strict=False))
        record: dict[str, Any] = {}
        for column in header:
            value = values.get(column, "")
            if column in ("parent", "wikidata_id"):
                record[column] = value or None
            elif column == "aliases":
                record[column] = _parse_alias_cell(value, errors)
            elif column == "groups":
                record[column] = [g.strip() for g in value.split(";") if g.strip()]
            else:
                record[column] = value
        records.append(FileRecord(line=line, record=record, errors=errors))
    return records


def _delimiter(header_line: str) -> str:
    """"," — or ";" or a tab, as spreadsheets in some locales write CSV."""
    for candidate in (",", ";", "\t"):
        names = {cell.strip().strip('"').lower() for cell in header_line.split(candidate)}
        if set(REQUIRED_COLUMNS) <= names:
            return candidate
    return ","


def _check_header(header: list[str]) -> None:
    unknown = [c for c in header if c not in COLUMNS]
    if unknown:
        raise ActorFileError(
            f"line 1: unknown column{'s' if len(unknown) > 1 else ''} "
            f"{', '.join(repr(c) for c in unknown)} (expected {', '.join(COLUMNS)})")
    repeated = sorted({c for c in header if header.count(c) > 1})
    if repeated:
        raise ActorFileError(f"line 1: column {', '.join(repeated)} appears twice")
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        raise ActorFileError(f"line 1: missing required column{'s' if len(missing) > 1 else ''} "
                             f"{', '.join(missing)}")


def _split_escaped(text: str, separator: str) -> list[str]:
    """Split at separators that are not escaped; escapes are kept for the next level."""
    parts, current, i = [], [], 0
    while i < len(text):
        char = text[i]
        if char == "\\" and i + 1 < len(text):
            current.append(text[i : i + 2])
            i += 2
            continue
        if char == separator:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
        i += 1
    parts.append("".join(current))
    return parts


def _unescape(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text)


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace(";", "\\;").replace("|", "\\|")


def _parse_alias_cell(cell: str, errors: list[str]) -> list[dict[str, str]]:
    aliases = []
    for item in _split_escaped(cell, ";"):
        if not item.strip():
            continue
        parts = _split_escaped(item, "|")
        if len(parts) > 2:
            errors.append(f"aliases: {item.strip()!r} has more than one \"|\" "
                          "(write \\| for a \"|\" inside a name)")
            continue
        text = _unescape(parts[0]).strip()
        lang = _unescape(parts[1]).strip() if len(parts) == 2 else ""
        aliases.append({"text": text, "lang": lang})
    return aliases


_WHITESPACE = re.compile(r"[ \t\n\r]*")


def parse_json(text: str) -> list[FileRecord]:
    text = text.removeprefix("\ufeff")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ActorFileError(f"line {exc.lineno}: not valid JSON: {exc.msg} "
                             f"(column {exc.colno})") from None
    if not isinstance(data, dict) or not isinstance(data.get("actors"), list):
        raise ActorFileError('an actor list in JSON is an object {"actors": [...]}')
    extra = [key for key in data if key != "actors"]
    if extra:
        raise ActorFileError(f"unknown top-level key {', '.join(map(repr, extra))} "
                             '(expected only "actors")')
    lines = _array_lines(text, "actors")
    records = []
    for line, item in zip(lines, data["actors"], strict=True):
        if not isinstance(item, dict):
            records.append(FileRecord(line=line, record={},
                                      errors=[f"must be an object, not {json.dumps(item)}"]))
        else:
            records.append(FileRecord(line=line, record=item))
    return records


def _array_lines(text: str, key: str) -> list[int]:
    """The line each element of the top-level object's `key` array starts on.

    The text is known to be valid JSON; this walks it once with the standard
    decoder, counting newlines as it goes, since json.loads keeps no positions.
    """
    decoder = json.JSONDecoder()
    position, line = 0, 1
    found: list[int] = []

    def skip(to: int) -> int:
        nonlocal position, line
        end = _WHITESPACE.match(text, to).end()
        line += text.count("\n", position, end)
        position = end
        return end

    def advance(to: int) -> None:
        nonlocal position, line
        line += text.count("\n", position, to)
        position = to

    index = skip(0) + 1  # past "{"
    while True:
        index = skip(index)
        if text[index] == "}":
            return found
        name, end = decoder.raw_decode(text, index)
        advance(end)
        index = skip(end) + 1  # past ":"
        index = skip(index)
        if name == key:
            found = []
            index += 1  # past "["
            while True:
                index = skip(index)
                if text[index] == "]":
                    index += 1
                    break
                found.append(line)
                _value, end = decoder.raw_decode(text, index)
                advance(end)
                index = skip(end)
                if text[index] == ",":
                    index += 1
        else:
            _value, end = decoder.raw_decode(text, index)
            advance(end)
            index = end
        index = skip(index)
        if text[index] == ",":
            index += 1


# --- Validation and planning -------------------------------------------------------------


@dataclass
class _Row:
    result: RowResult
    given: frozenset[str]
    slug: str | None = None
    name: str | None = None
    kind: str | None = None
    country: str | None = None
    parent: str | None = None
    wikidata_id: str | None = None
    aliases: list[tuple[str, str]] | None = None
    groups: list[str] | None = None

    def error(self, message: str) -> None:
        self.result.errors.append(message)


def _read_row(source: FileRecord) -> _Row:
    record = source.record
    raw_slug, raw_name = record.get("slug"), record.get("name")
    result = RowResult(
        line=source.line,
        slug=raw_slug if isinstance(raw_slug, str) else "",
        name=raw_name if isinstance(raw_name, str) else "",
        errors=list(source.errors),
    )
    row = _Row(result=result, given=frozenset(k for k in record if k in COLUMNS))
    v = RecordValidator()
    v.known_fields(record, COLUMNS, _ROW)
    row.slug = v.string(record, "slug", _ROW, required=True, max_length=100, check=v.slug_ok)
    row.name = v.string(record, "name", _ROW, required=True, max_length=200)
    row.kind = v.actor_kind(record, "kind", _ROW)
    if "country" in row.given:
        row.country = v.country(record, "country", _ROW)
    if "parent" in row.given:
        row.parent = v.reference(record, "parent", _ROW)
    if "wikidata_id" in row.given:
        row.wikidata_id = v.wikidata_id(record, "wikidata_id", _ROW)
    if "aliases" in row.given:
        row.aliases = read_aliases(v, _ROW, record)
    if "groups" in row.given:
        row.groups = v.slug_list(record, "groups", _ROW)
    for problem in v.errors:
        where = problem.path.removeprefix(_ROW).lstrip(".")
        row.error(f"{where}: {problem.message}" if where else problem.message)
    return row


@dataclass
class _Plan:
    rows: list[_Row]
    existing: dict[str, Actor]
    actor_pks: dict[str, int]
    group_pks: dict[str, int]
    new_groups: list[str]
    # Per existing actor slug: its stored aliases and group slugs.
    stored_aliases: dict[str, dict[tuple[str, str], int]]
    stored_groups: dict[str, set[str]]


def _plan(records: list[FileRecord]) -> _Plan:
    rows = [_read_row(record) for record in records]
    db_actors = {slug: (pk, parent) for slug, pk, parent
                 in Actor.objects.values_list("slug", "pk", "parent__slug")}
    group_pks = dict(ActorGroup.objects.values_list("slug", "pk"))

    first_line: dict[str, int] = {}
    for row in rows:
        if row.slug is None:
            continue
        if row.slug in first_line:
            row.error(f"slug: {row.slug!r} is already on line {first_line[row.slug]}")
            continue
        first_line[row.slug] = row.result.line
        if row.slug in group_pks:
            row.error(f"slug: {row.slug!r} is already a group's slug "
                      "(actors and groups share one slug space)")
    actor_slugs = set(db_actors) | set(first_line)

    parents = {slug: parent for slug, (_pk, parent) in db_actors.items()}
    for row in rows:
        if row.slug is not None and "parent" in row.given and first_line.get(row.slug) == \
                row.result.line:
            parents[row.slug] = row.parent
    new_groups: list[str] = []
    for row in rows:
        if row.parent is not None:
            if row.parent == row.slug:
                row.error("parent: an actor cannot be its own parent")
            elif row.parent not in actor_slugs:
                row.error(f"parent: unknown actor {row.parent!r}")
            elif row.slug is not None and (cycle := parent_cycle(row.slug, parents)):
                row.error("parent: cycle in parent chain: " + " → ".join(cycle))
        for group in row.groups or ():
            if group in actor_slugs:
                row.error(f"groups: {group!r} is an actor's slug, not a group's")
            elif group not in group_pks and group not in new_groups:
                new_groups.append(group)

    existing = {
        actor.slug: actor
        for actor in Actor.objects.filter(slug__in=list(first_line))
        .select_related("parent").prefetch_related("aliases", "groups")
    }
    stored_aliases = {
        slug: {(a.text, a.lang): a.pk for a in actor.aliases.all()}
        for slug, actor in existing.items()
    }
    stored_groups = {slug: {g.slug for g in actor.groups.all()} for slug, actor in existing.items()}

    for row in rows:
        result = row.result
        if result.errors:
            result.action = "rejected"
            continue
        actor = existing.get(row.slug)
        if actor is None:
            result.action = "created"
            continue
        changes = [attr for attr in _SCALARS
                   if attr in row.given and getattr(row, attr) != getattr(actor, attr)]
        if "parent" in row.given and (actor.parent.slug if actor.parent_id else None) != row.parent:
            changes.append("parent")
        if "aliases" in row.given and set(stored_aliases[row.slug]) != set(row.aliases):
            changes.append("aliases")
        if "groups" in row.given and stored_groups[row.slug] != set(row.groups):
            changes.append("groups")
        result.action = "updated" if changes else "unchanged"
        result.changes = changes

    return _Plan(rows=rows, existing=existing,
                 actor_pks={slug: pk for slug, (pk, _parent) in db_actors.items()},
                 group_pks=group_pks, new_groups=new_groups,
                 stored_aliases=stored_aliases, stored_groups=stored_groups)


# --- Import ---------------------------------------------------------------------------------


def import_actors(records: list[FileRecord], *, dry_run: bool = False, user=None,
                  file_name: str = "") -> ActorImportReport:
    """Create or update the actors of a list; with dry_run, or any rejected record, write nothing.

    `user` and `file_name` go into the actors' edit history.
    """
    with transaction.atomic():
        plan = _plan(records)
        report = ActorImportReport(rows=[row.result for row in plan.rows],
                                   new_groups=plan.new_groups, dry_run=dry_run)
        if dry_run or not report.is_valid or not (report.changed or plan.new_groups):
            return report
        reason = f"Actor list import{f' ({file_name})' if file_name else ''}"
        _apply(plan, user=user, reason=reason)
        report.applied = True
    return report


def _group_name(slug: str) -> str:
    words = re.sub(r"[-_]+", " ", slug).strip()
    return words[:1].upper() + words[1:]


def _apply(plan: _Plan, *, user, reason: str) -> None:
    group_pks = dict(plan.group_pks)
    if plan.new_groups:
        made = ActorGroup.objects.bulk_create(
            [ActorGroup(slug=slug, name=_group_name(slug)) for slug in plan.new_groups])
        group_pks.update((group.slug, group.pk) for group in made)

    rows = [row for row in plan.rows if row.result.action in ("created", "updated")]
    actor_pks = dict(plan.actor_pks)

    # New actors, a generation at a time, so that each is created under its parent.
    pending = [row for row in rows if row.result.action == "created"]
    while pending:
        ready = [row for row in pending if row.parent is None or row.parent in actor_pks]
        if not ready:  # validation rejects cycles; this guards the loop
            raise RuntimeError("unresolvable parents among " + ", ".join(r.slug for r in pending))
        made = bulk_create_with_history(
            [Actor(slug=row.slug, name=row.name, kind=row.kind, country=row.country or "",
                   wikidata_id=row.wikidata_id or "", parent_id=actor_pks.get(row.parent))
             for row in ready],
            Actor, default_user=user, default_change_reason=reason,
        )
        actor_pks.update((actor.slug, actor.pk) for actor in made)
        pending = [row for row in pending if row.slug not in actor_pks]

    changed_actors, fields = [], set()
    for row in rows:
        if row.result.action != "updated":
            continue
        actor = plan.existing[row.slug]
        scalar = [name for name in row.result.changes if name in (*_SCALARS, "parent")]
        for name in scalar:
            if name == "parent":
                actor.parent_id = actor_pks.get(row.parent)
            else:
                setattr(actor, name, getattr(row, name))
        if scalar:
            changed_actors.append(actor)
            fields.update("parent_id" if name == "parent" else name for name in scalar)
    if changed_actors:
        bulk_update_with_history(changed_actors, Actor, sorted(fields),
                                 default_user=user, default_change_reason=reason)

    stale_aliases: list[int] = []
    new_aliases: list[Alias] = []
    through = ActorGroup.members.through
    stale_memberships: dict[int, list[int]] = defaultdict(list)  # group pk → actor pks
    new_memberships: list[Any] = []
    for row in rows:
        pk = actor_pks[row.slug]
        if row.aliases is not None:
            stored = plan.stored_aliases.get(row.slug, {})
            wanted = set(row.aliases)
            stale_aliases.extend(alias_pk for key, alias_pk in stored.items() if key not in wanted)
            new_aliases.extend(Alias(actor_id=pk, text=text, lang=lang)
                               for text, lang in row.aliases if (text, lang) not in stored)
        if row.groups is not None:
            stored_groups = plan.stored_groups.get(row.slug, set())
            for slug in stored_groups - set(row.groups):
                stale_memberships[group_pks[slug]].append(pk)
            new_memberships.extend(through(actorgroup_id=group_pks[slug], actor_id=pk)
                                   for slug in row.groups if slug not in stored_groups)
    if stale_aliases:
        # Before the inserts: "putin" may be replaced by "Putin" (unique ignoring case).
        Alias.objects.filter(pk__in=stale_aliases).delete()
    Alias.objects.bulk_create(new_aliases)
    for group_pk, actor_ids in stale_memberships.items():
        through.objects.filter(actorgroup_id=group_pk, actor_id__in=actor_ids).delete()
    through.objects.bulk_create(new_memberships, ignore_conflicts=True)


# --- Export ---------------------------------------------------------------------------------


def export_records() -> list[dict[str, Any]]:
    """Every actor as an actor-list record, sorted by slug; three queries."""
    records = []
    actors = Actor.objects.select_related("parent").prefetch_related("aliases", "groups")
    for actor in sorted(actors, key=lambda a: a.slug):
        records.append({
            "slug": actor.slug,
            "name": actor.name,
            "kind": actor.kind,
            "country": actor.country,
            "parent": actor.parent.slug if actor.parent_id else None,
            "aliases": [{"text": text, "lang": lang}
                        for lang, text in sorted((a.lang, a.text) for a in actor.aliases.all())],
            "wikidata_id": actor.wikidata_id or None,
            "groups": sorted(g.slug for g in actor.groups.all()),
        })
    return records


def export_csv(records: list[dict[str, Any]] | None = None) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for record in export_records() if records is None else records:
        writer.writerow([
            record["slug"], record["name"], record["kind"], record["country"],
            record["parent"] or "",
            "; ".join(_escape(a["text"]) + (f"|{_escape(a['lang'])}" if a["lang"] else "")
                      for a in record["aliases"]),
            record["wikidata_id"] or "",
            "; ".join(record["groups"]),
        ])
    return out.getvalue()


def export_json(records: list[dict[str, Any]] | None = None) -> str:
    data = {"actors": export_records() if records is None else records}
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"


def export_actors(fmt: str) -> str:
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r} (use csv or json)")
    return export_csv() if fmt == "csv" else export_json()
