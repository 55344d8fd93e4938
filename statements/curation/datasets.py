"""Data set files: one JSON format for the sample, for imports and for exports.

The format is the one in DESIGN.md ("Data set files"): four optional top-level
lists, `actors`, `groups`, `sources` and `events`. Records are matched on
re-import by slug (sources by URL), so importing a file twice changes nothing.

The file is the truth for the records it names. A record in the file replaces
the stored record field by field: a field that is absent or null takes its
empty value or default (no parent, no aliases, a 72-hour window, active,
published...), and a list replaces the stored list wholesale. An actor's
aliases become exactly the file's list: missing ones are added, ones the file
does not list are deleted. One exception: an actor's `roles`, when absent or
null, leave the stored roles alone (files written before roles were part of
the format would otherwise wipe them); a `roles` list, even empty, replaces them.
Records the file does not name are left alone; nothing is ever deleted because a
file omits it.

Besides the fields of DESIGN.md a record may carry, and an export writes when
they differ from the default: an actor's or a group's `description`, an
actor's `active`, a role's `spokesperson`, a source's `partial` and `active`, an
event's `description` and `published`. Any other field is a typo and is rejected.
Importing never touches what the pipeline owns: polling state, statements,
links, coverage.

A bad file changes nothing: the whole file is validated first (one pydantic
model per kind of record, then the checks across records: unique slugs, known
references, no parent cycles), every error is collected with the JSON path of
the field at fault (`actors[3].kind: ...`, from pydantic's error locations), and
only a valid file is written, in one transaction. Events that are new, or
whose terms, time or window changed, are re-matched once it commits.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from functools import partial
from pathlib import Path
from typing import Annotated, Any

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainValidator,
    PrivateAttr,
    StringConstraints,
)
from pydantic import ValidationError as PydanticValidationError
from pydantic_core import PydanticCustomError

from actors.countries import COUNTRY_CODES
from actors.models import Actor, ActorGroup, Alias, Role
from config.celery import enqueue
from statements.models import Event, Source, Tag

SECTIONS = ("actors", "groups", "sources", "events")

DEFAULT_WINDOW_HOURS = 72
MAX_WINDOW_HOURS = 24 * 365

SLUG_RE = re.compile(r"^[-a-zA-Z0-9_]+$")
LANG_RE = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$")
WIKIDATA_RE = re.compile(r"^Q[1-9][0-9]*$")

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


# --- The format, as pydantic models ------------------------------------------------
# Each rule of the format is written once, as an annotated type (SlugStr,
# CountryCode, ...) or a model field; pydantic applies them and reports where
# a value broke one (its error location becomes the path, `actors[3].kind`).
# The models are strict: no "72" for 72, no "true" for true. A field that may be
# absent or null takes its empty value or default, as DESIGN.md says.


def _rule_error(message: str) -> PydanticCustomError:
    # The message is already complete; braces in it are not template fields.
    return PydanticCustomError("dataset_rule", message.replace("{", "{{").replace("}", "}}"))


def _slug_rule(value: str) -> str:
    if len(value) > 100 or not SLUG_RE.match(value):
        raise _rule_error(f"{_show(value)} is not a slug (letters, digits, - and _; "
                          "at most 100 characters)")
    return value


def _lang_rule(value: str) -> str:
    if value and not LANG_RE.match(value):
        raise _rule_error(f"{_show(value)} is not a language tag such as \"en\" or \"ru\"")
    return value


def _country_rule(value: str) -> str:
    if value and value not in COUNTRY_CODES:
        raise _rule_error(f"{_show(value)} is not an ISO 3166 alpha-2 country code (two "
                          "uppercase letters such as \"RU\"), or empty")
    return value


def _wikidata_rule(value: str) -> str:
    if value and not WIKIDATA_RE.match(value):
        raise _rule_error(f"{_show(value)} is not a Wikidata id such as \"Q7747\"")
    return value


def _kind_rule(value: str) -> str:
    kinds = list(Actor.Kind.values)
    if value not in kinds:
        raise _rule_error(f"{_show(value)} is not one of {', '.join(kinds)}")
    return value


def _url_rule(value: str) -> str:
    try:
        _url_validator(value)
    except ValidationError:
        raise _rule_error(f"{_show(value)} is not an http or https URL") from None
    return value


def _not_blank(value: str) -> str:
    if not value.strip():
        raise _rule_error("must not be empty")
    return value


def _term_rule(value: str) -> str:
    if not value.strip():
        raise _rule_error(f"must be a non-empty string, not {_show(value)}")
    return value


def _window_rule(value: int) -> int:
    if not 1 <= value <= MAX_WINDOW_HOURS:
        raise _rule_error(f"must be a whole number of hours from 1 to {MAX_WINDOW_HOURS}, "
                          f"not {_show(value)}")
    return value


def _aware_time(value: Any) -> datetime:
    if value is None:
        raise _rule_error("required")
    parsed = parse_time(value) if isinstance(value, str) else None
    if parsed is None:
        raise _rule_error("not an ISO 8601 time with a timezone (such as "
                          "\"2026-01-03T06:00:00Z\")")
    return parsed


def _iso_date(value: Any) -> date:
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d\d-\d\d", value):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise _rule_error(f"{_show(value)} is not a date (YYYY-MM-DD)")


def _null_means(empty: Any) -> BeforeValidator:
    """Absent and null are the same: the field's empty value (a fresh one each time)."""
    return BeforeValidator(lambda value: copy.copy(empty) if value is None else value)


SlugStr = Annotated[str, AfterValidator(_slug_rule)]
LangTag = Annotated[str, _null_means(""), StringConstraints(max_length=10),
                    AfterValidator(_lang_rule)]
CountryCode = Annotated[str, _null_means(""), AfterValidator(_country_rule)]
WikidataId = Annotated[str, _null_means(""), StringConstraints(max_length=20),
                       AfterValidator(_wikidata_rule)]
ActorKind = Annotated[str, AfterValidator(_kind_rule)]
HttpUrlStr = Annotated[str, StringConstraints(max_length=2000), AfterValidator(_url_rule)]
Name = Annotated[str, StringConstraints(max_length=200), AfterValidator(_not_blank)]
Title = Annotated[str, StringConstraints(max_length=300), AfterValidator(_not_blank)]
OptionalTitle = Annotated[str, _null_means(""), StringConstraints(max_length=300)]
Description = Annotated[str, _null_means(""), StringConstraints(max_length=100_000)]
SlugList = Annotated[list[SlugStr], _null_means([])]
Term = Annotated[str, AfterValidator(_term_rule)]
AwareTime = Annotated[datetime, PlainValidator(_aware_time)]
WindowHours = Annotated[int, _null_means(DEFAULT_WINDOW_HOURS), AfterValidator(_window_rule)]
IsoDate = Annotated[date, PlainValidator(_iso_date)]
Terms = Annotated[dict[LangTag, list[Term]], _null_means({})]


TrueUnlessSaid = Annotated[bool, _null_means(True)]
FalseUnlessSaid = Annotated[bool, _null_means(False)]


class _Strict(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid")


class AliasIn(_Strict):
    text: Name
    lang: LangTag = ""


class RoleIn(_Strict):
    """A person's office: its words in feeds (`terms`) let a statement "by the President"
    be attributed to whoever held the role that day."""

    title: Name
    institution: SlugStr | None = None
    started_on: IsoDate | None = Field(None, alias="from")
    ended_on: IsoDate | None = Field(None, alias="to")
    terms: Terms = Field(default_factory=dict)
    is_spokesperson: FalseUnlessSaid = Field(False, alias="spokesperson")

    def key(self) -> tuple:
        return _role_key(self.title, self.institution, self.started_on, self.ended_on,
                         self.is_spokesperson, self.terms)


def _role_key(title, institution, started_on, ended_on, is_spokesperson, terms) -> tuple:
    return (title, institution, started_on, ended_on, is_spokesperson,
            json.dumps(terms, sort_keys=True, ensure_ascii=False))


class _Record(_Strict):
    """One record of a section; `path` is where it stands in the file (`actors[3]`)."""

    _path: str = PrivateAttr("")

    @property
    def path(self) -> str:
        return self._path


class ActorIn(_Record):
    slug: SlugStr
    name: Name
    kind: ActorKind
    country: CountryCode = ""
    parent: SlugStr | None = None
    wikidata_id: WikidataId = ""
    description: Description = ""
    is_active: TrueUnlessSaid = Field(True, alias="active")
    aliases: Annotated[list[AliasIn], _null_means([])] = Field(default_factory=list)
    speaks_for: SlugList = Field(default_factory=list)
    roles: list[RoleIn] | None = None  # None: the stored roles stay as they are

    @property
    def alias_pairs(self) -> list[tuple[str, str]]:
        return [(alias.text, alias.lang) for alias in self.aliases]


class GroupIn(_Record):
    slug: SlugStr
    name: Name
    description: Description = ""
    members: SlugList = Field(default_factory=list)


class SourceIn(_Record):
    url: HttpUrlStr
    title: OptionalTitle = ""
    actor: SlugStr | None = None
    language: LangTag = ""
    is_partial: FalseUnlessSaid = Field(False, alias="partial")
    is_active: TrueUnlessSaid = Field(True, alias="active")


class EventIn(_Record):
    slug: SlugStr
    title: Title
    occurred_at: AwareTime
    window_hours: WindowHours = DEFAULT_WINDOW_HOURS
    description: Description = ""
    terms: Terms = Field(default_factory=dict)
    tags: SlugList = Field(default_factory=list)
    expected: SlugList = Field(default_factory=list)  # actor and group slugs
    is_published: TrueUnlessSaid = Field(True, alias="published")


MODELS: dict[str, type[_Record]] = {
    "actors": ActorIn, "groups": GroupIn, "sources": SourceIn, "events": EventIn}


def _input_names(model: type[BaseModel]) -> tuple[str, ...]:
    return tuple(field.alias or name for name, field in model.model_fields.items())


# Fields each kind of record may carry; anything else is a typo worth reporting.
FIELDS = {section: _input_names(model) for section, model in MODELS.items()}
ALIAS_FIELDS = _input_names(AliasIn)
ROLE_FIELDS = _input_names(RoleIn)

# Kept for readers of the old names: the validated records are the models.
ActorSpec, GroupSpec, SourceSpec, EventSpec = ActorIn, GroupIn, SourceIn, EventIn


@dataclass
class ValidatedDataset:
    actors: list[ActorIn] = field(default_factory=list)
    groups: list[GroupIn] = field(default_factory=list)
    sources: list[SourceIn] = field(default_factory=list)
    events: list[EventIn] = field(default_factory=list)


# --- pydantic's errors, in the words of this format ---------------------------------


def _where(prefix: str, loc: tuple) -> str:
    """('aliases', 1, 'text') under "actors[2]" → "actors[2].aliases[1].text"."""
    where = prefix
    for part in loc:
        if part == "[key]":
            continue  # a bad mapping key: the path already ends in the key
        where += f"[{part}]" if isinstance(part, int) else f".{part}" if where else str(part)
    return where


def _message(error: dict, allowed: tuple[str, ...]) -> str:
    kind, value, loc = error["type"], error.get("input"), error["loc"]
    inside = next((part for part in reversed(loc[:-1]) if isinstance(part, str)), "")
    if kind == "dataset_rule":
        return error["msg"]
    if kind == "missing" or (value is None and kind.endswith("_type")):
        return "required"
    if kind == "extra_forbidden":
        names = {"aliases": ALIAS_FIELDS, "roles": ROLE_FIELDS}.get(inside, allowed)
        return f"unknown field (expected {', '.join(names)})"
    if kind == "string_type":
        return f"must be a string, not {_show(value)}"
    if kind == "bool_type":
        return f"must be true or false, not {_show(value)}"
    if kind == "int_type":
        return f"must be a whole number, not {_show(value)}"
    if kind == "list_type":
        what = "a list of terms" if inside == "terms" else "a list"
        return f"must be a list{what[6:]}, not {_show(value)}"
    if kind in ("dict_type", "model_type"):
        if loc and loc[-1] == "terms":
            return ("must be an object mapping a language to a list of terms, "
                    f"like {{\"en\": [\"Maduro\"]}}, not {_show(value)}")
        if inside == "aliases":
            return (f"must be an object like {{\"text\": \"Putin\", \"lang\": \"en\"}}, "
                    f"not {_show(value)}")
        return f"must be an object, not {_show(value)}"
    if kind == "string_too_long":
        return f"longer than {error['ctx']['max_length']} characters"
    return error["msg"]


def _field_errors(exc: PydanticValidationError, prefix: str,
                  allowed: tuple[str, ...]) -> list[FieldError]:
    return [FieldError(_where(prefix, tuple(e["loc"])), _message(e, allowed))
            for e in exc.errors(include_url=False)]


def _read_record(model: type[_Record], record: dict, path: str,
                 errors: list[FieldError]) -> _Record:
    """The validated record; with errors, the record's valid fields alone.

    A record with a bad field is still read for the rest, so that one run reports
    every error: its good references are checked too. Such a partial record (a
    bad required field is None) only ever reaches the cross-reference checks.
    """
    try:
        result = model.model_validate(record)
    except PydanticValidationError as exc:
        errors.extend(_field_errors(exc, path, _input_names(model)))
        bad = {e["loc"][0] for e in exc.errors() if e["loc"]}
        by_input = {(f.alias or name): name for name, f in model.model_fields.items()}
        result = model.model_construct(
            **{name: None for name, f in model.model_fields.items() if f.is_required()})
        for key, value in record.items():
            if key in by_input and key not in bad:
                model.__pydantic_validator__.validate_assignment(result, by_input[key], value)
    result._path = path
    return result


# --- Validation ---------------------------------------------------------------------


class _Validator:
    """Error collection and the format's rules for one-row readers (the actor-list CSV,
    OPML), which read text cells rather than JSON records. Each rule is the data
    set's own (`_slug_rule`, `_country_rule`, ...), so every file the app reads is
    held to the same rules."""

    def __init__(self):
        self.errors: list[FieldError] = []

    def error(self, path: str, message: str) -> None:
        self.errors.append(FieldError(path, message))

    def _rule(self, rule: Callable[[str], str], value: str, where: str) -> bool:
        try:
            rule(value)
        except PydanticCustomError as exc:
            self.error(where, exc.message())
            return False
        return True

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
        return self._rule(_slug_rule, value, where)

    def lang_ok(self, value: str, where: str) -> bool:
        return self._rule(_lang_rule, value, where)

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
        if kind is None:
            self.error(f"{path}.{key}", "required")
            return None
        if not isinstance(kind, str):
            self.error(f"{path}.{key}", f"must be a string, not {_show(kind)}")
            return None
        return kind if self._rule(_kind_rule, kind, f"{path}.{key}") else None

    def country(self, record: dict, key: str, path: str) -> str | None:
        country = record.get(key)
        if country is None:
            return ""
        if not isinstance(country, str):
            self.error(f"{path}.{key}", f"must be a string, not {_show(country)}")
            return None
        return country if self._rule(_country_rule, country, f"{path}.{key}") else None

    def wikidata_id(self, record: dict, key: str, path: str) -> str | None:
        return self.string(record, key, path, max_length=20,
                           check=lambda value, where: self._rule(_wikidata_rule, value, where))


# One set of rules for every file the app reads: the actor-list import
# (curation.actor_lists) and OPML (curation.opml) validate with these too.
RecordValidator = _Validator


def _check_url(validator: _Validator, value: str, where: str) -> bool:
    return validator._rule(_url_rule, value, where)


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
    errors: list[FieldError] = []
    result = ValidatedDataset()
    if not isinstance(data, dict):
        raise DatasetError("(top level)", "a data set is a JSON object with the keys "
                                          + ", ".join(SECTIONS))
    for key in data:
        if key not in SECTIONS:
            errors.append(FieldError(
                key, f"unknown top-level key (expected {', '.join(SECTIONS)})"))
    for name in SECTIONS:
        records = data.get(name)
        if records is None:
            continue
        if not isinstance(records, list):
            errors.append(FieldError(name, f"must be a list of objects, not {_show(records)}"))
            continue
        for i, record in enumerate(records):
            path = f"{name}[{i}]"
            if not isinstance(record, dict):
                errors.append(FieldError(path, f"must be an object, not {_show(record)}"))
                continue
            getattr(result, name).append(_read_record(MODELS[name], record, path, errors))

    v = _Validator()
    _check_repeats(v, result)
    _check_references(v, result)
    errors.extend(v.errors)
    if errors:
        # In file order: the reader fixes the file from the top.
        raise DatasetError(errors=sorted(errors, key=_file_order))
    return result


def _file_order(error: FieldError) -> tuple[int, int]:
    match = re.match(r"^(\w+)(?:\[(\d+)\])?", error.path)
    if not match or match.group(1) not in SECTIONS:
        return (-1, -1)
    return (SECTIONS.index(match.group(1)), int(match.group(2) or -1))


def _check_repeats(v: _Validator, dataset: ValidatedDataset) -> None:
    """A list names each slug once; an actor has each alias once (in any letter case)."""
    lists = [(spec, "speaks_for") for spec in dataset.actors]
    lists += [(spec, "members") for spec in dataset.groups]
    lists += [(spec, key) for spec in dataset.events for key in ("tags", "expected")]
    for spec, key in lists:
        seen: set[str] = set()
        for i, slug in enumerate(getattr(spec, key)):
            if slug in seen:
                v.error(f"{spec.path}.{key}[{i}]", f"{_show(slug)} is listed twice")
            seen.add(slug)
    for spec in dataset.actors:
        _alias_repeats(v, spec.path, [(i, a.text, a.lang) for i, a in enumerate(spec.aliases)])


def _alias_repeats(v: _Validator, path: str, aliases: list[tuple[int, str, str]]) -> set[int]:
    """Report aliases listed twice (same text in any case, same language); their indexes."""
    seen: set[tuple[str, str]] = set()
    repeated = set()
    for i, text, lang in aliases:
        key = (text.casefold(), lang)
        if key in seen:
            v.error(f"{path}.aliases[{i}].text",
                    f"{_show(text)} ({lang or 'any language'}) is listed twice")
            repeated.add(i)
        seen.add(key)
    return repeated


def _read_aliases(v: _Validator, path: str, record: dict) -> list[tuple[str, str]] | None:
    """An `aliases` list of a one-row reader, by the data set's AliasIn rules."""
    items = v.array(record, "aliases", path)
    if items is None:
        return None
    read: list[tuple[int, str, str]] = []
    for i, item in enumerate(items):
        where = f"{path}.aliases[{i}]"
        try:
            alias = AliasIn.model_validate(item)
        except PydanticValidationError as exc:
            if not isinstance(item, dict):
                v.error(where, _message({"type": "model_type", "input": item,
                                         "loc": ("aliases", i)}, ALIAS_FIELDS))
            else:
                v.errors.extend(_field_errors(exc, where, ALIAS_FIELDS))
            continue
        read.append((i, alias.text, alias.lang))
    repeated = _alias_repeats(v, path, read)
    return [(text, lang) for i, text, lang in read if i not in repeated]


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
        for i, role in enumerate(spec.roles or []):
            where = f"{spec.path}.roles[{i}]"
            if role.institution is not None and role.institution not in actor_slugs:
                v.error(f"{where}.institution", f"unknown actor {_show(role.institution)}")
            if role.started_on and role.ended_on and role.ended_on < role.started_on:
                v.error(f"{where}.to", f"{role.ended_on} is before the role's start, "
                                       f"{role.started_on}")
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
            .select_related("parent").prefetch_related("aliases", "speaks_for",
                                                       "roles__institution")
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
            if stored_aliases != set(spec.alias_pairs):
                changed.append("aliases")
            stored_speaks_for = (set() if created
                                 else {a.slug for a in actor.speaks_for.all()})
            if stored_speaks_for != set(spec.speaks_for):
                changed.append("speaks_for")
            if spec.roles is not None and sorted(map(_stored_role_key, [] if created else
                                                     actor.roles.all())) != sorted(
                                                         role.key() for role in spec.roles):
                changed.append("roles")
            if not self.record("actor", spec.slug, created, changed):
                continue
            if "parent" in changed:
                actor.parent = self._actor(spec.parent, by_slug)
            actor.save()
            by_slug[spec.slug] = actor
            pending_relations.append((actor, spec, stored_aliases, changed))

        for actor, spec, stored_aliases, changed in pending_relations:
            if "aliases" in changed:
                wanted = set(spec.alias_pairs)
                stale = stored_aliases - wanted
                for text, lang in stale:
                    actor.aliases.filter(text=text, lang=lang).delete()
                Alias.objects.bulk_create(
                    Alias(actor=actor, text=text, lang=lang)
                    for text, lang in spec.alias_pairs if (text, lang) not in stored_aliases
                )
            if "speaks_for" in changed:
                actor.speaks_for.set([self._actor(slug, by_slug) for slug in spec.speaks_for])
            if "roles" in changed:
                actor.roles.all().delete()
                Role.objects.bulk_create(
                    Role(person=actor, institution=self._actor(role.institution, by_slug),
                         title=role.title, started_on=role.started_on, ended_on=role.ended_on,
                         is_spokesperson=role.is_spokesperson, terms=role.terms)
                    for role in spec.roles)

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


def _stored_role_key(role: Role) -> tuple:
    return _role_key(role.title, role.institution.slug if role.institution_id else None,
                     role.started_on, role.ended_on, role.is_spokesperson, role.terms)


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
        Actor.objects.select_related("parent").prefetch_related("aliases", "speaks_for",
                                                                "roles__institution"),
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
            "roles": [_role_record(role) for role in sorted(
                actor.roles.all(), key=lambda r: (r.started_on or date.min, r.title))],
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


def _role_record(role: Role) -> dict:
    record = {
        "title": role.title,
        "institution": role.institution.slug if role.institution_id else None,
        "from": role.started_on.isoformat() if role.started_on else None,
        "to": role.ended_on.isoformat() if role.ended_on else None,
        "terms": {lang: list(words) for lang, words in sorted(role.terms.items())},
    }
    if role.is_spokesperson:
        record["spokesperson"] = True
    return record


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
