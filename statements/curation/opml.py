"""OPML import and export of sources.

Export writes OPML 2.0, one <outline type="rss"> per source, with the feed's
title, URL, site URL and language, and the tracker's own details in its own
namespace: `tracker:actor` (the default actor's slug), `tracker:partial`,
`tracker:active`. The actor is also written as a `category` ("/slug"), which
feed readers keep. The order is stable, so export → import → export gives the
same file.

Import reads any OPML a feed reader writes. Every outline with an `xmlUrl` is
a feed; other outlines are folders. A feed's default actor comes from, in
order: `tracker:actor` (which must name a known actor), its `category`
attribute (a comma-separated list of "/path/like" categories; the first whose
last part is an actor's slug or name), or the nearest enclosing folder whose
title is an actor's slug or name. The language comes from a `language`
attribute. Sources are matched by URL: an existing one is updated only in
what the outline says (an outline without any actor information leaves the
actor alone). Nothing is ever deleted.

A file with any rejected outline, or that is not well-formed OPML, changes
nothing; every problem is reported with its line. DTDs and entity
declarations are refused outright (no entity expansion attacks).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from xml.parsers import expat
from xml.sax.saxutils import quoteattr

from django.db import transaction

from actors.models import Actor
from statements.curation.datasets import RecordValidator, check_url
from statements.models import Source

NAMESPACE = "urn:statement-tracker:opml"
MAX_BYTES = 5 * 1024 * 1024
_TRACKER = NAMESPACE + " "  # expat joins namespace and local name with the separator
_FIELDS = ("title", "actor", "language", "is_partial", "is_active")
_ROW = "outline"


class OpmlError(ValueError):
    """A file that is not OPML we can read; nothing was written."""


@dataclass
class OutlineRecord:
    line: int
    attrs: dict[str, str]
    # Titles of the enclosing folder outlines, outermost first.
    folders: list[str]


@dataclass
class OutlineResult:
    line: int
    url: str
    title: str
    actor: str = ""  # slug
    action: str = ""  # created, updated, unchanged, rejected
    changes: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


@dataclass
class OpmlReport:
    rows: list[OutlineResult]
    dry_run: bool = False
    applied: bool = False

    def count(self, action: str) -> int:
        return sum(1 for row in self.rows if row.action == action)

    @property
    def is_valid(self) -> bool:
        return self.count("rejected") == 0

    def summary(self) -> str:
        """"2 created, 1 updated, …" once applied; "2 to create, …" before."""
        words = ({"created": "created", "updated": "updated"} if self.applied
                 else {"created": "to create", "updated": "to update"})
        return ", ".join(f"{self.count(a)} {words.get(a, a)}"
                         for a in ("created", "updated", "unchanged", "rejected"))


# --- Reading ---------------------------------------------------------------------------


def parse_opml(content: bytes) -> list[OutlineRecord]:
    if len(content) > MAX_BYTES:
        raise OpmlError(f"the file is larger than {MAX_BYTES // (1024 * 1024)} MB")
    parser = expat.ParserCreate(namespace_separator=" ")
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    elements: list[str] = []
    folders: list[str] = []
    feeds: list[OutlineRecord] = []
    seen_body = False

    def refuse(*_args):
        raise OpmlError(f"line {parser.CurrentLineNumber}: DTDs and entity declarations are "
                        "not accepted in OPML")

    def start(name: str, attrs: dict[str, str]) -> None:
        nonlocal seen_body
        line = parser.CurrentLineNumber
        if not elements and name != "opml":
            raise OpmlError(f"line {line}: the document is <{_local(name)}>, not <opml>")
        if name == "body" and elements == ["opml"]:
            seen_body = True
        if name == "outline" and "body" in elements:
            if attrs.get("xmlUrl") is not None or attrs.get("xmlurl") is not None:
                feeds.append(OutlineRecord(line=line, attrs=dict(attrs), folders=list(folders)))
            folders.append((attrs.get("title") or attrs.get("text") or "").strip())
        elements.append(name)

    def end(name: str) -> None:
        elements.pop()
        if name == "outline" and "body" in elements:
            folders.pop()

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.StartDoctypeDeclHandler = refuse
    parser.EntityDeclHandler = refuse
    try:
        parser.Parse(content, True)
    except expat.ExpatError as exc:
        raise OpmlError(f"line {exc.lineno}, column {exc.offset + 1}: not well-formed XML "
                        f"({expat.ErrorString(exc.code)})") from None
    if not seen_body:
        raise OpmlError("no <body> in the <opml> document")
    if not feeds:
        raise OpmlError("no feeds: no outline in the body has an xmlUrl")
    return feeds


def _local(name: str) -> str:
    return name.rsplit(" ", 1)[-1]


# --- Planning and import -----------------------------------------------------------------


@dataclass
class _Row:
    result: OutlineResult
    url: str | None
    title: str | None
    language: str | None  # None: the outline does not say
    actor_given: bool
    actor_id: int | None
    is_partial: bool | None
    is_active: bool | None


def _flag(attrs: dict[str, str], name: str, errors: list[str]) -> bool | None:
    value = attrs.get(_TRACKER + name)
    if value is None:
        return None
    if value.strip().lower() in ("true", "1", "yes"):
        return True
    if value.strip().lower() in ("false", "0", "no"):
        return False
    errors.append(f"tracker:{name}: {value!r} is not true or false")
    return None


class _ActorLookup:
    """Actors by slug and by name (case-insensitive), loaded once."""

    def __init__(self):
        self.by_slug: dict[str, tuple[int, str]] = {}
        self.by_name: dict[str, tuple[int, str]] = {}
        for pk, slug, name in Actor.objects.values_list("pk", "slug", "name"):
            self.by_slug[slug.casefold()] = (pk, slug)
            self.by_name.setdefault(name.casefold(), (pk, slug))

    def find(self, text: str) -> tuple[int, str] | None:
        key = text.strip().casefold()
        return self.by_slug.get(key) or self.by_name.get(key) if key else None


def _read_outline(record: OutlineRecord, actors: _ActorLookup) -> _Row:
    attrs = record.attrs
    url = (attrs.get("xmlUrl") or attrs.get("xmlurl") or "").strip()
    title = attrs.get("title")
    if title is None:
        # Readers write `text` only; ours writes the URL there for a source without a title.
        title = attrs.get("text") or ""
        title = "" if title.strip() == url else title
    title = title.strip()
    result = OutlineResult(line=record.line, url=url, title=title)
    v = RecordValidator()
    values = {"url": url, "title": title, "language": (attrs.get("language") or "").strip()}
    url_ok = v.string(values, "url", _ROW, required=True, max_length=2000,
                      check=lambda value, where: check_url(v, value, where))
    title_ok = v.string(values, "title", _ROW, max_length=300)
    language = v.string(values, "language", _ROW, max_length=10, check=v.lang_ok)
    for problem in v.errors:
        result.errors.append(f"{problem.path.removeprefix(_ROW + '.')}: {problem.message}")

    actor_given, actor_id = False, None
    explicit = attrs.get(_TRACKER + "actor")
    if explicit is not None:
        actor_given = True
        if explicit.strip():
            found = actors.by_slug.get(explicit.strip().casefold())
            if found is None:
                result.errors.append(f"tracker:actor: unknown actor {explicit.strip()!r}")
            else:
                actor_id, result.actor = found
    else:
        categories = [c.strip() for c in (attrs.get("category") or "").split(",") if c.strip()]
        for category in categories:
            found = actors.find(category.rstrip("/").rsplit("/", 1)[-1])
            if found:
                actor_given, (actor_id, result.actor) = True, found
                break
        else:
            if categories:
                result.notes.append(f"category {', '.join(categories)} names no known actor")
            for folder in reversed(record.folders):
                found = actors.find(folder)
                if found:
                    actor_given, (actor_id, result.actor) = True, found
                    result.notes.append(f"actor from the folder “{folder}”")
                    break
    return _Row(
        result=result, url=url_ok, title=title_ok,
        language=language if values["language"] else None,
        actor_given=actor_given, actor_id=actor_id,
        is_partial=_flag(attrs, "partial", result.errors),
        is_active=_flag(attrs, "active", result.errors),
    )


def import_opml(records: list[OutlineRecord], *, dry_run: bool = False) -> OpmlReport:
    """Create or update the file's sources; with dry_run, or any rejected outline, write nothing."""
    with transaction.atomic():
        actors = _ActorLookup()
        rows = [_read_outline(record, actors) for record in records]
        first_line: dict[str, int] = {}
        for row in rows:
            if row.url is None:
                continue
            if row.url in first_line:
                row.result.errors.append(f"url: already on line {first_line[row.url]}")
            else:
                first_line[row.url] = row.result.line
        existing = {s.url: s for s in Source.objects.filter(url__in=list(first_line))}

        to_create: list[Source] = []
        to_update: dict[str, Source] = {}
        changed_fields: set[str] = set()
        for row in rows:
            result = row.result
            if result.errors:
                result.action = "rejected"
                continue
            source = existing.get(row.url)
            if source is None:
                result.action = "created"
                to_create.append(Source(
                    url=row.url, title=row.title or "", actor_id=row.actor_id,
                    language=row.language or "",
                    is_partial=bool(row.is_partial), is_active=row.is_active is not False))
                continue
            wanted = {
                "title": row.title or None,  # an outline without a title keeps the stored one
                "actor_id": row.actor_id if row.actor_given else None,
                "language": row.language,
                "is_partial": row.is_partial,
                "is_active": row.is_active,
            }
            for name, value in wanted.items():
                given = value is not None or (name == "actor_id" and row.actor_given)
                if given and getattr(source, name) != value:
                    setattr(source, name, value)
                    result.changes.append(name.removesuffix("_id"))
                    changed_fields.add(name)
            result.action = "updated" if result.changes else "unchanged"
            if result.changes:
                to_update[source.url] = source

        report = OpmlReport(rows=[row.result for row in rows], dry_run=dry_run)
        if dry_run or not report.is_valid or not (to_create or to_update):
            return report
        # New sources have no next poll time: the next beat polls them.
        for new_source in to_create:
            new_source.keep_credentials_apart()  # bulk_create skips save()
        Source.objects.bulk_create(to_create)
        if to_update:
            Source.objects.bulk_update(list(to_update.values()), sorted(changed_fields))
        report.applied = True
    return report


# --- Export ------------------------------------------------------------------------------


def export_opml(sources=None) -> str:
    """Every source (or those of `sources`) as OPML 2.0, in a stable order."""
    queryset = (Source.objects.all() if sources is None else sources).select_related("actor")
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<opml version="2.0" xmlns:tracker="{NAMESPACE}">',
        "  <head>",
        "    <title>Statement tracker sources</title>",
        "  </head>",
        "  <body>",
    ]
    for source in sorted(queryset, key=lambda s: s.url):
        attrs = [("type", "rss"), ("text", source.title or source.url)]
        if source.title:
            attrs.append(("title", source.title))
        attrs.append(("xmlUrl", source.url))
        if source.site_url:
            attrs.append(("htmlUrl", source.site_url))
        if source.language:
            attrs.append(("language", source.language))
        if source.actor_id:
            attrs += [("category", f"/{source.actor.slug}"), ("tracker:actor", source.actor.slug)]
        else:
            attrs.append(("tracker:actor", ""))
        if source.is_partial:
            attrs.append(("tracker:partial", "true"))
        if not source.is_active:
            attrs.append(("tracker:active", "false"))
        rendered = " ".join(f"{name}={quoteattr(value)}" for name, value in attrs)
        lines.append(f"    <outline {rendered}/>")
    lines += ["  </body>", "</opml>", ""]
    return "\n".join(lines)
