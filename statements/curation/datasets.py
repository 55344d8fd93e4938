"""Data set files: one JSON format for the sample, for imports and for exports.

The format is the one in DESIGN.md ("Data set files"): four optional top-level
lists, `actors`, `groups`, `sources` and `events`. Records are matched on
re-import by slug (sources by URL), so importing a file twice changes nothing.

The file is the truth for the records it names. A record in the file replaces
the stored record field by field: a field that is absent or null takes its
empty value or default (no parent, no aliases, a 72-hour window, active,
published...), and a list replaces the stored list wholesale. An actor's
aliases become exactly the file's list: missing ones are added, ones the file
does not list are deleted. Records the file does not name are left alone;
nothing is ever deleted because a file omits it.

Besides the fields of DESIGN.md a record may carry, and an export writes when
they differ from the default: an actor's or a group's `description`, an
actor's `active`, a source's `partial` and `active`, an event's `description`
and `published`. Any other field is a typo and is rejected. Importing never
touches what the pipeline owns: polling state, statements, links, coverage.

A bad file changes nothing: the whole file is validated first, every error is
collected with the JSON path of the field at fault (`actors[3].kind: ...`),
and only a valid file is written, in one transaction. Events that are new, or
whose terms, time or window changed, are re-matched once it commits.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction

from actors.models import Actor, ActorGroup, Alias
from config.celery import enqueue
from statements.models import Event, Source, Tag

SECTIONS = ("actors", "groups", "sources", "events")

# Fields each kind of record may carry; anything else is a typo worth reporting.
FIELDS = {
    "actors": ("slug", "name", "kind", "country", "parent", "wikidata_id", "description",
               "active", "aliases", "speaks_for"),
    "groups": ("slug", "name", "description", "members"),
    "sources": ("url", "title", "actor", "language", "partial", "active"),
    "events": ("slug", "title", "occurred_at", "window_hours", "description", "terms", "tags",
               "expected", "published"),
}
ALIAS_FIELDS = ("text", "lang")

DEFAULT_WINDOW_HOURS = 72
MAX_WINDOW_HOURS = 24 * 365

SLUG_RE = re.compile(r"^[-a-zA-Z0-9_]+$")
LANG_RE = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$")
WIKIDATA_RE = re.compile(r"^Q[1-9][0-9]*$")

# ISO 3166-1 alpha-2: the officially assigned codes, and XK (Kosovo), which
# is user-assigned but in general use.
COUNTRY_CODES = frozenset("""
AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS
BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE
EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM
HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC
LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ NA
NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW
SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO
TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW XK
""".split())

_url_validator = URLValidator(schemes=["http", "https"])


# --- Errors -------------------------------------------------------------------


@dataclass(frozen=True)
class FieldError:
    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


class DatasetError(ValueError):
    """A data set that cannot be imported; `errors` lists every bad field with its path."""

    def __init__(self, path: str | None = None, message: str | None = None, *,
                 errors: list[FieldError] | None = None):
        if errors is None:
            errors = [FieldError(path or "(file)", message or "invalid")]
        self.errors = list(errors)
        super().__init__("\n".join(str(e) for e in self.errors))

    @property
    def path(self) -> str:
        return self.errors[0].path

    @property
    def message(self) -> str:
        return self.errors[0].message


def _show(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


# --- Validated records ----------------------------------------------------------
# Normalised, with defaults filled in. While a file is being checked a field
# that failed is None; validate_dataset never returns such a record.


@dataclass
class ActorSpec:
    path: str
    slug: str
    name: str
    kind: str
    country: str
    parent: str | None
    wikidata_id: str
    description: str
    is_active: bool
    aliases: list[tuple[str, str]]  # (text, lang)
    speaks_for: list[str]


@dataclass
class GroupSpec:
    path: str
    slug: str
    name: str
    description: str
    members: list[str]


@dataclass
class SourceSpec:
    path: str
    url: str
    title: str
    actor: str | None
    language: str
    is_partial: bool
    is_active: bool


@dataclass
class EventSpec:
    path: str
    slug: str
    title: str
    occurred_at: datetime
    window_hours: int
    description: str
    terms: dict[str, list[str]]
    tags: list[str]
    expected: list[str]  # actor and group slugs
    is_published: bool


@dataclass
class ValidatedDataset:
    actors: list[ActorSpec] = field(default_factory=list)
    groups: list[GroupSpec] = field(default_factory=list)
    sources: list[SourceSpec] = field(default_factory=list)
    events: list[EventSpec] = field(default_factory=list)


# --- Validation -------------------------------------------------------------------

class _Validator:
    def __init__(self):
        self.errors: list[FieldError] = []

    def error(self, path: str, message: str) -> None:
        self.errors.append(FieldError(path, message))

    # Each reader returns the normalised value, or None after recording an error.

    def string(self, record: dict, key: str, path: str, *, required: bool = False,
               max_length: int, check: Callable[[str, str], bool] | None = None) -> str | None:
        value = record.get(key)
        where = f"{path}.{key}"
        if value is None:
            if required:
                self.error(where, "required")
                return None
            return ""
        if not isinstance(value, str):
            self.error(where, f"must be a string, not {_show(value)}")
            return None
        if required and not value.strip():
            self.error(where, "must not be empty")
            return None
        if len(value) > max_length:
            self.error(where, f"longer than {max_length} characters")
            return None
        if check is not None and value and not check(value, where):
            return None
        return value

    def boolean(self, record: dict, key: str, path: str, *, default: bool) -> bool | None:
        value = record.get(key)
        if value is None:
            return default
        if not isinstance(value, bool):
            self.error(f"{path}.{key}", f"must be true or false, not {_show(value)}")
            return None
        return value

    def array(self, record: dict, key: str, path: str) -> list | None:
        value = record.get(key)
        if value is None:
            return []
        if not isinstance(value, list):
            self.error(f"{path}.{key}", f"must be a list, not {_show(value)}")
            return None
        return value

    def slug_ok(self, value: str, where: str) -> bool:
        if len(value) > 100 or not SLUG_RE.match(value):
            self.error(where, f"{_show(value)} is not a slug (letters, digits, - and _; "
                              "at most 100 characters)")
            return False
        return True

    def lang_ok(self, value: str, where: str) -> bool:
        if not LANG_RE.match(value):
            self.error(where, f"{_show(value)} is not a language tag such as \"en\" or \"ru\"")
            return False
        return True

    def slug_list(self, record: dict, key: str, path: str) -> list[str]:
        """The well-formed slugs of a list; the others are reported."""
        result: list[str] = []
        for i, item in enumerate(self.array(record, key, path) or []):
            where = f"{path}.{key}[{i}]"
            if not isinstance(item, str):
                self.error(where, f"must be a slug string, not {_show(item)}")
            elif not self.slug_ok(item, where):
                pass
            elif item in result:
                self.error(where, f"{_show(item)} is listed twice")
            else:
                result.append(item)
        return result

    def reference(self, record: dict, key: str, path: str) -> str | None:
        """An optional actor slug; None when absent, null or malformed (reported)."""
        value = record.get(key)
        if value is None:
            return None
        if not isinstance(value, str):
            self.error(f"{path}.{key}", f"must be an actor slug or null, not {_show(value)}")
            return None
        return value if self.slug_ok(value, f"{path}.{key}") else None

    def known_fields(self, record: dict, allowed: tuple[str, ...], path: str) -> None:
        for key in record:
            if key not in allowed:
                self.error(f"{path}.{key}", f"unknown field (expected {', '.join(allowed)})")

    def actor_kind(self, record: dict, key: str, path: str) -> str | None:
        kind = record.get(key)
        kinds = list(Actor.Kind.values)
        if kind is None:
            self.error(f"{path}.{key}", "required")
        elif kind not in kinds:
            self.error(f"{path}.{key}", f"{_show(kind)} is not one of {', '.join(kinds)}")
        else:
            return kind
        return None

    def country(self, record: dict, key: str, path: str) -> str | None:
        country = record.get(key)
        if country is None:
            return ""
        if not isinstance(country, str) or (country and country not in COUNTRY_CODES):
            self.error(f"{path}.{key}", f"{_show(country)} is not an ISO 3166 alpha-2 country "
                                        "code (two uppercase letters such as \"RU\"), or empty")
            return None
        return country

    def wikidata_id(self, record: dict, key: str, path: str) -> str | None:
        return self.string(record, key, path, max_length=20, check=partial(_check_wikidata, self))


# One set of rules for every file the app reads: the actor-list import
# (actors.importing) and OPML (statements.opml) validate with these too.
RecordValidator = _Validator


def _check_wikidata(validator: _Validator, value: str, where: str) -> bool:
    if not WIKIDATA_RE.match(value):
        validator.error(where, f"{_show(value)} is not a Wikidata id such as \"Q7747\"")
        return False
    return True


def _check_url(validator: _Validator, value: str, where: str) -> bool:
    try:
        _url_validator(value)
    except ValidationError:
        validator.error(where, f"{_show(value)} is not an http or https URL")
        return False
    return True


def parse_time(value: str) -> datetime | None:
    """An aware ISO 8601 time, converted to UTC; None if it is not one."""
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        return None
    return parsed.astimezone(UTC)


def format_time(value: datetime) -> str:
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def validate_dataset(data: Any) -> ValidatedDataset:
    """Check a whole data set against the format and the database; raise DatasetError."""
    v = _Validator()
    result = ValidatedDataset()
    if not isinstance(data, dict):
        raise DatasetError("(top level)", "a data set is a JSON object with the keys "
                                          + ", ".join(SECTIONS))
    for key in data:
        if key not in SECTIONS:
            v.error(key, f"unknown top-level key (expected {', '.join(SECTIONS)})")
    sections: dict[str, list[tuple[str, dict]]] = {}
    for name in SECTIONS:
        records = data.get(name)
        sections[name] = []
        if records is None:
            continue
        if not isinstance(records, list):
            v.error(name, f"must be a list of objects, not {_show(records)}")
            continue
        for i, record in enumerate(records):
            path = f"{name}[{i}]"
            if not isinstance(record, dict):
                v.error(path, f"must be an object, not {_show(record)}")
                continue
            v.known_fields(record, FIELDS[name], path)
            sections[name].append((path, record))

    # A record with a bad field is still read for the rest, so that one run
    # reports every error: its good references are checked too.
    result.actors = [_read_actor(v, path, record) for path, record in sections["actors"]]
    result.groups = [_read_group(v, path, record) for path, record in sections["groups"]]
    result.sources = [_read_source(v, path, record) for path, record in sections["sources"]]
    result.events = [_read_event(v, path, record) for path, record in sections["events"]]

    _check_references(v, result)
    if v.errors:
        # In file order: the reader fixes the file from the top.
        raise DatasetError(errors=sorted(v.errors, key=_file_order))
    return result


def _file_order(error: FieldError) -> tuple[int, int]:
    match = re.match(r"^(\w+)(?:\[(\d+)\])?", error.path)
    if not match or match.group(1) not in SECTIONS:
        return (-1, -1)
    return (SECTIONS.index(match.group(1)), int(match.group(2) or -1))


def _read_actor(v: _Validator, path: str, record: dict) -> ActorSpec:
    slug = v.string(record, "slug", path, required=True, max_length=100, check=v.slug_ok)
    name = v.string(record, "name", path, required=True, max_length=200)
    kind = v.actor_kind(record, "kind", path)
    country = v.country(record, "country", path)
    parent = v.reference(record, "parent", path)
    wikidata_id = v.wikidata_id(record, "wikidata_id", path)
    description = v.string(record, "description", path, max_length=100_000)
    is_active = v.boolean(record, "active", path, default=True)
    aliases = _read_aliases(v, path, record)
    speaks_for = v.slug_list(record, "speaks_for", path)
    return ActorSpec(path=path, slug=slug, name=name, kind=kind, country=country, parent=parent,
                     wikidata_id=wikidata_id, description=description, is_active=is_active,
                     aliases=aliases, speaks_for=speaks_for)


def _read_aliases(v: _Validator, path: str, record: dict) -> list[tuple[str, str]] | None:
    items = v.array(record, "aliases", path)
    if items is None:
        return None
    aliases: list[tuple[str, str]] = []
    seen: set[tuple[str, str]] = set()
    for i, item in enumerate(items):
        where = f"{path}.aliases[{i}]"
        if not isinstance(item, dict):
            v.error(where, f"must be an object like {{\"text\": \"Putin\", \"lang\": \"en\"}}, "
                           f"not {_show(item)}")
            continue
        v.known_fields(item, ALIAS_FIELDS, where)
        text = v.string(item, "text", where, required=True, max_length=200)
        lang = v.string(item, "lang", where, max_length=10, check=v.lang_ok)
        if text is None or lang is None:
            continue
        key = (text.casefold(), lang)
        if key in seen:
            v.error(f"{where}.text", f"{_show(text)} ({lang or 'any language'}) is listed twice")
            continue
        seen.add(key)
        aliases.append((text, lang))
    return aliases


def _read_group(v: _Validator, path: str, record: dict) -> GroupSpec:
    slug = v.string(record, "slug", path, required=True, max_length=100, check=v.slug_ok)
    name = v.string(record, "name", path, required=True, max_length=200)
    description = v.string(record, "description", path, max_length=100_000)
    members = v.slug_list(record, "members", path)
    return GroupSpec(path=path, slug=slug, name=name, description=description, members=members)


def _read_source(v: _Validator, path: str, record: dict) -> SourceSpec:
    url = v.string(record, "url", path, required=True, max_length=2000,
                   check=partial(_check_url, v))
    title = v.string(record, "title", path, max_length=300)
    actor = v.reference(record, "actor", path)
    language = v.string(record, "language", path, max_length=10, check=v.lang_ok)
    is_partial = v.boolean(record, "partial", path, default=False)
    is_active = v.boolean(record, "active", path, default=True)
    return SourceSpec(path=path, url=url, title=title, actor=actor, language=language,
                      is_partial=is_partial, is_active=is_active)


def _read_event(v: _Validator, path: str, record: dict) -> EventSpec:
    slug = v.string(record, "slug", path, required=True, max_length=100, check=v.slug_ok)
    title = v.string(record, "title", path, required=True, max_length=300)
    occurred_at = None
    raw_time = record.get("occurred_at")
    if raw_time is None:
        v.error(f"{path}.occurred_at", "required")
    elif not isinstance(raw_time, str) or (occurred_at := parse_time(raw_time)) is None:
        v.error(f"{path}.occurred_at", "not an ISO 8601 time with a timezone "
                                       "(such as \"2026-01-03T06:00:00Z\")")
    window_hours = record.get("window_hours")
    if window_hours is None:
        window_hours = DEFAULT_WINDOW_HOURS
    elif (not isinstance(window_hours, int) or isinstance(window_hours, bool)
          or not 1 <= window_hours <= MAX_WINDOW_HOURS):
        v.error(f"{path}.window_hours",
                f"must be a whole number of hours from 1 to {MAX_WINDOW_HOURS}, "
                f"not {_show(window_hours)}")
    description = v.string(record, "description", path, max_length=100_000)
    terms = _read_terms(v, path, record)
    tags = v.slug_list(record, "tags", path)
    expected = v.slug_list(record, "expected", path)
    is_published = v.boolean(record, "published", path, default=True)
    return EventSpec(path=path, slug=slug, title=title, occurred_at=occurred_at,
                     window_hours=window_hours, description=description, terms=terms, tags=tags,
                     expected=expected, is_published=is_published)


def _read_terms(v: _Validator, path: str, record: dict) -> dict[str, list[str]] | None:
    terms = record.get("terms")
    if terms is None:
        return {}
    if not isinstance(terms, dict):
        v.error(f"{path}.terms", "must be an object mapping a language to a list of terms, "
                                 f"like {{\"en\": [\"Maduro\"]}}, not {_show(terms)}")
        return None
    result, ok = {}, True
    for lang, words in terms.items():
        where = f"{path}.terms.{lang}"
        if not v.lang_ok(lang, where):
            ok = False
            continue
        if not isinstance(words, list):
            v.error(where, f"must be a list of terms, not {_show(words)}")
            ok = False
            continue
        for i, word in enumerate(words):
            if not isinstance(word, str) or not word.strip():
                v.error(f"{where}[{i}]", f"must be a non-empty string, not {_show(word)}")
                ok = False
        result[lang] = list(words)
    return result if ok else None


def _check_references(v: _Validator, dataset: ValidatedDataset) -> None:
    """Slugs unique in the file, one slug space for actors and groups, every reference known."""
    db_parents = dict(Actor.objects.values_list("slug", "parent__slug"))
    db_groups = set(ActorGroup.objects.values_list("slug", flat=True))

    # A record whose own slug or URL is malformed (already reported) still has
    # its references checked, but takes no part in uniqueness.
    groups_in_file = {g.slug for g in dataset.groups}
    file_actors: dict[str, ActorSpec] = {}
    for spec in dataset.actors:
        if spec.slug is None:
            continue
        if spec.slug in file_actors:
            v.error(f"{spec.path}.slug", f"{_show(spec.slug)} is already used by "
                                         f"{file_actors[spec.slug].path}")
        else:
            file_actors[spec.slug] = spec
        if spec.slug in db_groups and spec.slug not in groups_in_file:
            v.error(f"{spec.path}.slug", f"{_show(spec.slug)} is already a group's slug "
                                         "(actors and groups share one slug space)")
    actor_slugs = set(db_parents) | set(file_actors)

    file_groups: dict[str, GroupSpec] = {}
    for spec in dataset.groups:
        if spec.slug is None:
            pass
        elif spec.slug in file_groups:
            v.error(f"{spec.path}.slug", f"{_show(spec.slug)} is already used by "
                                         f"{file_groups[spec.slug].path}")
        else:
            file_groups[spec.slug] = spec
        if spec.slug is not None and spec.slug in actor_slugs:
            v.error(f"{spec.path}.slug", f"{_show(spec.slug)} is already an actor's slug "
                                         "(actors and groups share one slug space)")
        for i, member in enumerate(spec.members):
            if member not in actor_slugs:
                v.error(f"{spec.path}.members[{i}]", f"unknown actor {_show(member)}")
    group_slugs = db_groups | set(file_groups)

    parents = {**db_parents, **{slug: spec.parent for slug, spec in file_actors.items()}}
    for spec in dataset.actors:
        if spec.parent is not None:
            if spec.parent == spec.slug:
                v.error(f"{spec.path}.parent", "an actor cannot be its own parent")
            elif spec.parent not in actor_slugs:
                v.error(f"{spec.path}.parent", f"unknown actor {_show(spec.parent)}")
            elif spec.slug is not None and file_actors.get(spec.slug) is spec:
                chain = _parent_cycle(spec.slug, parents)
                if chain:
                    v.error(f"{spec.path}.parent", "cycle in parent chain: " + " → ".join(chain))
        for i, principal in enumerate(spec.speaks_for):
            where = f"{spec.path}.speaks_for[{i}]"
            if principal == spec.slug:
                v.error(where, "an actor cannot speak for itself")
            elif principal not in actor_slugs:
                v.error(where, f"unknown actor {_show(principal)}")

    seen_urls: dict[str, str] = {}
    for spec in dataset.sources:
        if spec.url is None:
            pass
        elif spec.url in seen_urls:
            v.error(f"{spec.path}.url", f"{_show(spec.url)} is already used by "
                                        f"{seen_urls[spec.url]}")
        else:
            seen_urls[spec.url] = spec.path
        if spec.actor is not None and spec.actor not in actor_slugs:
            v.error(f"{spec.path}.actor", f"unknown actor {_show(spec.actor)}")

    seen_events: dict[str, str] = {}
    for spec in dataset.events:
        if spec.slug is None:
            pass
        elif spec.slug in seen_events:
            v.error(f"{spec.path}.slug", f"{_show(spec.slug)} is already used by "
                                         f"{seen_events[spec.slug]}")
        else:
            seen_events[spec.slug] = spec.path
        for i, slug in enumerate(spec.expected):
            if slug not in actor_slugs and slug not in group_slugs:
                v.error(f"{spec.path}.expected[{i}]", f"unknown actor or group {_show(slug)}")


def _parent_cycle(start: str, parents: dict[str, str | None]) -> list[str] | None:
    """The cycle through `start` in the parent chain, as a list of slugs, if there is one."""
    chain, current = [start], parents.get(start)
    while current is not None:
        if current == start:
            return [*chain, start]
        if current in chain:
            return None  # a cycle further up: reported at its own members
        chain.append(current)
        current = parents.get(current)
    return None


# Shared with actors.importing and statements.opml, like RecordValidator.
read_aliases = _read_aliases
parent_cycle = _parent_cycle
check_url = _check_url


# --- Import -------------------------------------------------------------------------


@dataclass(frozen=True)
class Change:
    kind: str  # actor, group, source, event
    key: str  # slug, or a source's URL
    action: str  # created, updated, unchanged
    fields: tuple[str, ...] = ()

    def __str__(self) -> str:
        return self.describe()

    def describe(self, *, dry_run: bool = False) -> str:
        verb = self.action
        if dry_run and self.action != "unchanged":
            verb = {"created": "would create", "updated": "would update"}[self.action]
        detail = f" ({', '.join(self.fields)})" if self.fields else ""
        return f"{verb} {self.kind} {self.key}{detail}"


class ActionCounts:
    """What an import report says in numbers; the report tallies its own items in `count`.

    Shared by the data set import and the actor-list import (actors.importing).
    """

    def count(self, action: str) -> int:
        raise NotImplementedError

    @property
    def created(self) -> int:
        return self.count("created")

    @property
    def updated(self) -> int:
        return self.count("updated")

    @property
    def unchanged(self) -> int:
        return self.count("unchanged")

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated)


@dataclass
class ImportReport(ActionCounts):
    dry_run: bool = False
    changes: list[Change] = field(default_factory=list)
    rematched_events: list[str] = field(default_factory=list)

    def count(self, action: str, kind: str | None = None) -> int:
        return sum(1 for c in self.changes if c.action == action and kind in (None, c.kind))

    def summary(self, kind: str | None = None) -> str:
        return (f"{self.count('created', kind)} created, {self.count('updated', kind)} updated, "
                f"{self.count('unchanged', kind)} unchanged")


def import_dataset(data: Any, *, dry_run: bool = False) -> ImportReport:
    """Create or update the records of a data set; with dry_run, only report what would change.

    Validation, comparison and writing happen in one transaction, so a bad file
    or a failure half-way writes nothing. Events that are new, or whose terms,
    time or window changed, are re-matched against stored statements once the
    transaction commits.
    """
    with transaction.atomic():
        dataset = validate_dataset(data)
        report = ImportReport(dry_run=dry_run)
        _Importer(dataset, report, dry_run=dry_run).run()
    return report


class _Importer:
    def __init__(self, dataset: ValidatedDataset, report: ImportReport, *, dry_run: bool):
        self.dataset = dataset
        self.report = report
        self.dry_run = dry_run

    def record(self, kind: str, key: str, created: bool, fields: list[str]) -> bool:
        """Log one record's change; True when something is to be written."""
        action = "created" if created else "updated" if fields else "unchanged"
        self.report.changes.append(Change(kind, key, action, () if created else tuple(fields)))
        return action != "unchanged" and not self.dry_run

    def run(self) -> None:
        self.import_actors()
        self.import_groups()
        self.import_sources()
        self.import_events()

    # Actors: scalar fields first, parents before their children, then the
    # relations that may point at any actor of the file.

    def import_actors(self) -> None:
        specs = self.dataset.actors
        slugs = [spec.slug for spec in specs]
        existing = {
            a.slug: a
            for a in Actor.objects.filter(slug__in=slugs)
            .select_related("parent").prefetch_related("aliases", "speaks_for")
        }
        by_slug = dict(existing)
        pending_relations = []
        for spec in _parents_first(specs):
            actor = existing.get(spec.slug)
            created = actor is None
            if created:
                actor = Actor(slug=spec.slug)
            changed = []
            for attr in ("name", "kind", "country", "wikidata_id", "description", "is_active"):
                if getattr(actor, attr) != getattr(spec, attr):
                    setattr(actor, attr, getattr(spec, attr))
                    changed.append(attr)
            current_parent = actor.parent.slug if actor.parent_id else None
            if current_parent != spec.parent:
                changed.append("parent")
            stored_aliases = set() if created else {(a.text, a.lang) for a in actor.aliases.all()}
            if stored_aliases != set(spec.aliases):
                changed.append("aliases")
            stored_speaks_for = (set() if created
                                 else {a.slug for a in actor.speaks_for.all()})
            if stored_speaks_for != set(spec.speaks_for):
                changed.append("speaks_for")
            if not self.record("actor", spec.slug, created, changed):
                continue
            if "parent" in changed:
                actor.parent = self._actor(spec.parent, by_slug)
            actor.save()
            by_slug[spec.slug] = actor
            pending_relations.append((actor, spec, stored_aliases, changed))

        for actor, spec, stored_aliases, changed in pending_relations:
            if "aliases" in changed:
                wanted = set(spec.aliases)
                stale = stored_aliases - wanted
                for text, lang in stale:
                    actor.aliases.filter(text=text, lang=lang).delete()
                Alias.objects.bulk_create(
                    Alias(actor=actor, text=text, lang=lang)
                    for text, lang in spec.aliases if (text, lang) not in stored_aliases
                )
            if "speaks_for" in changed:
                actor.speaks_for.set([self._actor(slug, by_slug) for slug in spec.speaks_for])

    def _actor(self, slug: str | None, cache: dict[str, Actor]) -> Actor | None:
        if slug is None:
            return None
        if slug not in cache:
            cache[slug] = Actor.objects.get(slug=slug)
        return cache[slug]

    def import_groups(self) -> None:
        specs = self.dataset.groups
        existing = {
            g.slug: g for g in ActorGroup.objects.filter(slug__in=[s.slug for s in specs])
            .prefetch_related("members")
        }
        for spec in specs:
            group = existing.get(spec.slug)
            created = group is None
            if created:
                group = ActorGroup(slug=spec.slug)
            changed = []
            for attr in ("name", "description"):
                if getattr(group, attr) != getattr(spec, attr):
                    setattr(group, attr, getattr(spec, attr))
                    changed.append(attr)
            members = set() if created else {a.slug for a in group.members.all()}
            if members != set(spec.members):
                changed.append("members")
            if not self.record("group", spec.slug, created, changed):
                continue
            group.save()
            if "members" in changed:
                group.members.set(Actor.objects.filter(slug__in=spec.members))

    def import_sources(self) -> None:
        specs = self.dataset.sources
        existing = {
            s.url: s for s in Source.objects.filter(url__in=[s.url for s in specs])
            .select_related("actor")
        }
        actor_ids = dict(Actor.objects.filter(
            slug__in={s.actor for s in specs if s.actor}).values_list("slug", "pk"))
        for spec in specs:
            source = existing.get(spec.url)
            created = source is None
            if created:
                source = Source(url=spec.url)
            changed = []
            for attr in ("title", "language", "is_partial", "is_active"):
                if getattr(source, attr) != getattr(spec, attr):
                    setattr(source, attr, getattr(spec, attr))
                    changed.append(attr)
            if (source.actor.slug if source.actor_id else None) != spec.actor:
                source.actor_id = actor_ids.get(spec.actor)
                changed.append("actor")
            if self.record("source", spec.url, created, changed):
                source.save()

    def import_events(self) -> None:
        specs = self.dataset.events
        existing = {
            e.slug: e for e in Event.objects.filter(slug__in=[s.slug for s in specs])
            .prefetch_related("tags", "expected_actors", "expected_groups")
        }
        wanted_slugs = {slug for spec in specs for slug in spec.expected}
        actors = {a.slug: a for a in Actor.objects.filter(slug__in=wanted_slugs)}
        groups = {g.slug: g for g in ActorGroup.objects.filter(slug__in=wanted_slugs)}
        for spec in specs:
            event = existing.get(spec.slug)
            created = event is None
            if created:
                event = Event(slug=spec.slug)
            changed = []
            for attr in ("title", "occurred_at", "window_hours", "description", "terms",
                         "is_published"):
                if getattr(event, attr) != getattr(spec, attr):
                    setattr(event, attr, getattr(spec, attr))
                    changed.append(attr)
            tags = set() if created else {t.slug for t in event.tags.all()}
            if tags != set(spec.tags):
                changed.append("tags")
            expected = set() if created else (
                {a.slug for a in event.expected_actors.all()}
                | {g.slug for g in event.expected_groups.all()}
            )
            if expected != set(spec.expected):
                changed.append("expected")
            if not self.record("event", spec.slug, created, changed):
                continue
            scalar = [f for f in changed if f not in ("tags", "expected")]
            if created or scalar:
                event.save()
            if "tags" in changed:
                event.tags.set([Tag.objects.get_or_create(slug=slug)[0] for slug in spec.tags])
            if "expected" in changed:
                # Actors and groups share one slug space; validation made the slugs unambiguous.
                event.expected_actors.set([actors[s] for s in spec.expected if s in actors])
                event.expected_groups.set(
                    [groups[s] for s in spec.expected if s in groups and s not in actors])
            if created or {"terms", "occurred_at", "window_hours"} & set(changed):
                self.report.rematched_events.append(event.slug)
                transaction.on_commit(partial(_enqueue_rematch, event.pk))


def _enqueue_rematch(event_id: int) -> None:
    enqueue("statements.tasks.rematch_event", event_id)


def _parents_first(specs: list[ActorSpec]) -> list[ActorSpec]:
    """The file's actors ordered so that a parent in the file comes before its children."""
    by_slug = {spec.slug: spec for spec in specs}
    ordered: list[ActorSpec] = []
    placed: set[str] = set()

    def place(spec: ActorSpec) -> None:
        if spec.slug in placed:
            return
        placed.add(spec.slug)  # validation rejected cycles; this only guards recursion
        if spec.parent in by_slug:
            place(by_slug[spec.parent])
        ordered.append(spec)

    for spec in specs:
        place(spec)
    return ordered


# --- Export -------------------------------------------------------------------------


def export_dataset() -> dict:
    """Every actor, group, source and event, in the import format and a stable order."""
    actors = []
    for actor in sorted(
        Actor.objects.select_related("parent").prefetch_related("aliases", "speaks_for"),
        key=lambda a: a.slug,
    ):
        record = {
            "slug": actor.slug,
            "name": actor.name,
            "kind": actor.kind,
            "country": actor.country,
            "parent": actor.parent.slug if actor.parent_id else None,
            "wikidata_id": actor.wikidata_id or None,
            "aliases": [{"text": text, "lang": lang} for lang, text in
                        sorted((a.lang, a.text) for a in actor.aliases.all())],
            "speaks_for": sorted(a.slug for a in actor.speaks_for.all()),
        }
        if actor.description:
            record["description"] = actor.description
        if not actor.is_active:
            record["active"] = False
        actors.append(record)

    groups = []
    for group in sorted(ActorGroup.objects.prefetch_related("members"), key=lambda g: g.slug):
        record = {"slug": group.slug, "name": group.name}
        if group.description:
            record["description"] = group.description
        record["members"] = sorted(a.slug for a in group.members.all())
        groups.append(record)

    sources = []
    for source in sorted(Source.objects.select_related("actor"), key=lambda s: s.url):
        record = {
            "url": source.url,
            "title": source.title,
            "actor": source.actor.slug if source.actor_id else None,
            "language": source.language,
        }
        if source.is_partial:
            record["partial"] = True
        if not source.is_active:
            record["active"] = False
        sources.append(record)

    events = []
    for event in sorted(
        Event.objects.prefetch_related("tags", "expected_actors", "expected_groups"),
        key=lambda e: e.slug,
    ):
        record = {
            "slug": event.slug,
            "title": event.title,
            "occurred_at": format_time(event.occurred_at),
            "window_hours": event.window_hours,
        }
        if event.description:
            record["description"] = event.description
        record["terms"] = {lang: list(words) for lang, words in sorted(event.terms.items())}
        record["tags"] = sorted(t.slug for t in event.tags.all())
        record["expected"] = sorted(
            [a.slug for a in event.expected_actors.all()]
            + [g.slug for g in event.expected_groups.all()]
        )
        if not event.is_published:
            record["published"] = False
        events.append(record)

    return {"actors": actors, "groups": groups, "sources": sources, "events": events}


def dump_dataset(data: dict) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"


def read_dataset_file(path: str | Path) -> Any:
    """Parse a data set file; a file that is not JSON raises DatasetError."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise DatasetError("(file)", f"cannot read {path}: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise DatasetError("(file)", f"{path} is not UTF-8 text") from None
    return parse_dataset_text(text)


def parse_dataset_text(text: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise DatasetError(
            "(file)", f"not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
        ) from None
