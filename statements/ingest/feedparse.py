"""Turning a fetched feed body into plain, storable entries.

feedparser reads RSS 0.9x/1.0/2.0 and Atom, guesses encodings and tolerates
broken XML. This module adds what the tracker needs on top: a stable identity
per entry, UTC dates, HTML sanitised by nh3 (one policy for every feed), plain
text, and values that fit the database columns.

A feed is hostile input, so the work it can cause is bounded before
feedparser sees it: entity declarations may expand to at most
ENTITY_EXPANSION_BUDGET characters (feedparser's loose fallback, used when expat
refuses a document for amplification, would expand them without limit);
character references and control characters XML forbids are replaced or
dropped; and each stored field is cut to a size the database and its full-text
index take (TITLE_MAX, BODY_HTML_MAX, RAW_MAX), with a note on the attempt.
"""

from __future__ import annotations

import hashlib
import html
import io
import json
import logging
import math
import re
import time
import xml.sax
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urljoin

import feedparser
import nh3

from statements.models import Source, Statement

logger = logging.getLogger(__name__)

ENTRY_ID_MAX = Statement._meta.get_field("entry_id").max_length
URL_MAX = Statement._meta.get_field("url").max_length
FEED_TITLE_MAX = Source._meta.get_field("title").max_length
# What one entry may store. PostgreSQL's tsvector holds at most 1 MB, and a
# statement is a press release, not a book: these leave room for both.
TITLE_MAX = 1_000
BODY_HTML_MAX = 200_000
RAW_MAX = 300_000  # characters of the entry's JSON
RAW_STRING_MAX = 20_000  # per string, when the raw entry is cut down
# Characters all internal entity references in a document may expand to, and
# how many entities it may declare.
ENTITY_EXPANSION_BUDGET = 100_000
ENTITY_DECLARATIONS_MAX = 32


class FeedParseError(Exception):
    """The body is not a feed we can store anything from; the message is shown to admins."""


@dataclass(frozen=True)
class ParsedEntry:
    entry_id: str
    url: str
    title: str
    body_html: str
    body_text: str
    # The entry's own xml:lang (primary subtag), or "" when it has none.
    language: str
    published_at: datetime
    published_at_estimated: bool
    content_hash: str
    raw: dict[str, Any] = field(repr=False)
    # The fields cut to fit (e.g. ("title", "body")), for the attempt's note.
    cut: tuple[str, ...] = ()


@dataclass(frozen=True)
class ParsedFeed:
    title: str
    link: str
    language: str
    entries: list[ParsedEntry]
    # Set when feedparser read the feed with problems ("bozo"), entries were
    # dropped or fields were cut to fit.
    warning: str = ""
    # The feed's own <link rel=… href=…> (atom:link in RSS too), as (rel, absolute
    # URL): RFC 5005's next / prev-archive / first / last lead a backfill to older pages.
    links: tuple[tuple[str, str], ...] = ()


def parse_feed(
    body: bytes, *, content_type: str = "", base_url: str = "", fetched_at: datetime
) -> ParsedFeed:
    """Parse a feed body; raise FeedParseError when it yields nothing to store.

    `content_type` is the HTTP Content-Type, whose charset decides the
    encoding (a Windows-1251 feed is often declared only there). `base_url`
    is where the body came from, to resolve relative links. Entries without a
    date get `fetched_at`, flagged as estimated.
    """
    base_url = base_url if _http_url(base_url) else ""
    if not body.strip():
        raise FeedParseError("Empty response body")
    _refuse_entity_amplification(body)
    body = _xml_safe_bytes(body)
    # Without a Content-Type feedparser would assume ISO-8859-1 for an
    # undeclared document; XML's own default (UTF-8, or the prolog) is right.
    # No Content-Location: feedparser would resolve relative ids ("<guid>123</guid>")
    # against it, and an entry's identity must not change when its feed moves.
    # Relative links are resolved here instead.
    headers = {"content-type": content_type or "application/xml"}
    try:
        # A BytesIO, never bare bytes: feedparser tries to open() a bytes
        # argument as a file name, and would fetch a str that looks like a URL.
        # nh3 sanitises below with one policy, so feedparser's own is off and
        # `raw` keeps the entry as the feed gave it.
        result = feedparser.parse(io.BytesIO(body), response_headers=headers, sanitize_html=False)
    except Exception as exc:  # A parser crash on hostile input is a bad feed, not a bad worker.
        logger.warning("feedparser crashed on a body of %d bytes", len(body), exc_info=True)
        raise FeedParseError(f"The feed parser failed: {_describe(exc)}") from None

    problem = _describe(result.get("bozo_exception")) if result.get("bozo") else ""
    if not result.entries:
        if result.get("version"):
            # Recognisably a feed, only empty: that is the news, not the parser's complaint.
            raise FeedParseError(
                "Feed lists no entries" + (f" (parser: {problem})" if problem else "")
            )
        if problem:
            raise FeedParseError(f"Not a readable feed: {problem}")
        raise FeedParseError("Not an RSS, Atom or RDF feed")

    feed = result.feed
    feed_language = language_tag(feed.get("language", ""))
    entries: list[ParsedEntry] = []
    seen_ids: set[str] = set()
    repeated = 0
    cut: dict[str, int] = {}
    for raw_entry in result.entries:
        entry = _parse_entry(raw_entry, base_url=base_url, fetched_at=fetched_at)
        for name in entry.cut:
            cut[name] = cut.get(name, 0) + 1
        if entry.entry_id in seen_ids:
            repeated += 1
            continue
        seen_ids.add(entry.entry_id)
        entries.append(entry)

    warnings = []
    if problem:
        warnings.append(f"Feed read with problems: {problem}")
    if repeated:
        # The first listing wins: feeds put their newest version first.
        warnings.append(
            f"{repeated} {'entry' if repeated == 1 else 'entries'} repeated an id "
            "listed earlier and skipped"
        )
    if cut:
        warnings.append(
            "Fields cut to fit: "
            + ", ".join(f"{name} of {count} {'entry' if count == 1 else 'entries'}"
                        for name, count in cut.items())
        )
    return ParsedFeed(
        title=_plain_title(feed.get("title", ""), feed.get("title_detail"))[:FEED_TITLE_MAX],
        link=_http_url(feed.get("link", ""), base_url=base_url),
        language=feed_language,
        entries=entries,
        warning="; ".join(warnings),
        links=_feed_links(feed, base_url=base_url),
    )


def _feed_links(feed: dict, *, base_url: str) -> tuple[tuple[str, str], ...]:
    found = []
    for link in feed.get("links") or []:
        href = _http_url(link.get("href", ""), base_url=base_url)
        if href:
            found.append((str(link.get("rel", "alternate")).lower(), href))
    return tuple(found)


_ENTITY_DECLARATION = re.compile(rb"<!ENTITY\s+(%\s+)?([^\s\"'>]+)\s+(\"[^\"]*\"|'[^']*')", re.S)


def _refuse_entity_amplification(body: bytes) -> None:
    """Refuse documents whose internal entities would expand beyond the budget.

    The prolog is all that can declare entities, so only it is read; every
    reference in the document counts at the length of its entity's value
    (and nested references inside values count as refusals on their own).
    """
    start = re.search(rb"<[A-Za-z_]", body)
    prolog = body[: start.start()] if start else body
    if b"<!ENTITY" not in prolog:
        return
    declared = _ENTITY_DECLARATION.findall(prolog)
    if len(declared) > ENTITY_DECLARATIONS_MAX or any(pct for pct, _, _ in declared):
        raise FeedParseError(
            f"Refused: the document declares {len(declared)} entities "
            f"(parameter entities, or more than {ENTITY_DECLARATIONS_MAX}, are not read)"
        )
    # Values referring to other entities are dropped by feedparser itself
    # (replace_doctype keeps only "safe" ones), so one level is all that expands.
    names = {name: len(value) - 2 for _, name, value in declared}
    rest = body[len(prolog):]
    expansion = sum(length * rest.count(b"&" + name + b";") for name, length in names.items())
    if expansion > ENTITY_EXPANSION_BUDGET:
        raise FeedParseError(
            f"Refused: the document's entities would expand to {expansion:,} characters "
            f"(at most {ENTITY_EXPANSION_BUDGET:,} are read)"
        )


_CHAR_REFERENCE = re.compile(rb"&#(?:x([0-9A-Fa-f]{1,8})|([0-9]{1,10}));")
# C0 controls XML 1.0 forbids (all but tab, LF, CR); DEL and C1 are allowed but
# make no sense in a statement and break some XML writers.
_XML_FORBIDDEN_BYTES = re.compile(rb"[\x01-\x08\x0b\x0c\x0e-\x1f]")
_XML_FORBIDDEN_TEXT = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffe\uffff\ud800-\udfff]"
)


def _xml_safe_char(code: int) -> bool:
    return code in (0x9, 0xA, 0xD) or 0x20 <= code <= 0xD7FF or (
        0xE000 <= code <= 0x10FFFF and code not in (0xFFFE, 0xFFFF)
    )


def _xml_safe_bytes(body: bytes) -> bytes:
    """The body with forbidden character references and control bytes out of the way.

    `&#xD800;` (a lone surrogate) crashes feedparser's loose parser and
    rejected the whole feed; it becomes U+FFFD, as a browser shows it. Raw
    control bytes only make expat give up on a document, so they go.
    """

    def replace(match: re.Match) -> bytes:
        hex_digits, decimal = match.groups()
        code = int(hex_digits, 16) if hex_digits else int(decimal)
        if _xml_safe_char(code):
            return match.group(0)
        return b"" if code == 0 else b"&#xFFFD;"  # NUL has always just been dropped

    body = _CHAR_REFERENCE.sub(replace, body)
    # UTF-16/32 documents carry these bytes as halves of ordinary characters.
    if not body.startswith((b"\xff\xfe", b"\xfe\xff")) and b"\x00" not in body[:200]:
        body = _XML_FORBIDDEN_BYTES.sub(b"", body)
    return body


def xml_safe_text(value: str) -> str:
    """Text any XML 1.0 document (our Atom feeds) and PostgreSQL accept."""
    return _XML_FORBIDDEN_TEXT.sub("", value)


def _cut(value: str, limit: int) -> tuple[str, bool]:
    return (value, False) if len(value) <= limit else (value[:limit].rstrip() + "…", True)


def _parse_entry(entry: dict, *, base_url: str, fetched_at: datetime) -> ParsedEntry:
    cut = []
    title, title_cut = _cut(_plain_title(entry.get("title", ""), entry.get("title_detail")),
                            TITLE_MAX)
    if title_cut:
        cut.append("title")
    url = _http_url(entry.get("link", ""), base_url=base_url)
    body_html, detail = _body_html(entry, base_url=base_url)
    if len(body_html) > BODY_HTML_MAX:
        # Cut, then sanitised again: nh3 closes whatever the cut left open.
        body_html = sanitize_html(body_html[:BODY_HTML_MAX]) + "<p>…</p>"
        cut.append("body")
    body_text = html_to_text(body_html)
    published_at = _entry_date(entry)
    estimated = published_at is None
    raw = _jsonable(entry)
    if len(json.dumps(raw)) > RAW_MAX:
        raw = _shrunk(raw)
        if len(json.dumps(raw)) > RAW_MAX:
            raw = {k: raw[k] for k in ("id", "link", "published", "updated") if k in raw}
        raw["_cut"] = True
        cut.append("raw entry")
    if published_at is None:
        published_at = fetched_at
    return ParsedEntry(
        entry_id=_entry_id(entry, title=title, published_at=published_at, estimated=estimated),
        url=url,
        title=title,
        body_html=body_html,
        body_text=body_text,
        language=language_tag((detail or entry.get("title_detail") or {}).get("language") or ""),
        published_at=published_at,
        published_at_estimated=estimated,
        content_hash=_sha256(f"{title}\n{body_text}"),
        raw=raw,
        cut=tuple(cut),
    )


def _entry_id(entry: dict, *, title: str, published_at: datetime, estimated: bool) -> str:
    """The feed's id, else its link, else a hash of what identifies the entry."""
    for candidate in (entry.get("id"), entry.get("link")):
        candidate = _clean(candidate or "").strip()
        if candidate:
            # Too long for the column: a hash is as stable and still unique.
            return candidate if len(candidate) <= ENTRY_ID_MAX else f"sha256:{_sha256(candidate)}"
    # An estimated date changes from poll to poll, so it must not be part of the identity.
    date = "" if estimated else published_at.isoformat()
    return "sha256:" + _sha256(title + "\n" + date)


def _entry_date(entry: dict) -> datetime | None:
    # feedparser normalises every date it understands to a UTC struct_time.
    for key in ("published_parsed", "updated_parsed", "created_parsed"):
        parsed = entry.get(key)
        if parsed:
            try:
                return datetime(*parsed[:5], min(parsed[5], 59), tzinfo=UTC)
            except (TypeError, ValueError, OverflowError):
                continue
    return None


def _body_html(entry: dict, *, base_url: str) -> tuple[str, dict | None]:
    """The fullest body the entry has, sanitised, with the detail it came from."""
    candidates = [c for c in entry.get("content") or [] if c.get("value")]
    if entry.get("summary_detail") and entry["summary_detail"].get("value"):
        candidates.append(entry["summary_detail"])
    if not candidates:
        return "", None
    # Atom may give both a summary and the full content; take the longest.
    detail = max(candidates, key=lambda c: len(c.get("value", "")))
    value = _clean(detail.get("value", ""))
    if detail.get("type") == "text/plain":
        paragraphs = re.split(r"\n\s*\n", value)
        value = "".join(f"<p>{html.escape(p.strip())}</p>" for p in paragraphs if p.strip())
    return sanitize_html(value, base_url=base_url), detail


def sanitize_html(fragment: str, *, base_url: str = "") -> str:
    """Keep the structure of a statement (links, lists, paragraphs, emphasis), drop the rest.

    nh3's defaults drop <script> and <style> with their content, every on*
    handler and style attribute, and URLs outside a list of safe schemes
    (so javascript: links lose their href); links get rel="noopener noreferrer".
    Relative URLs are made absolute against `base_url`, as they would break
    once the text is shown on another site.
    """
    if base_url:
        try:
            cleaned = nh3.clean(fragment, url_relative=("rewrite_with_base", base_url))
        except ValueError:  # A base nh3 cannot parse: keep relative URLs as they are.
            cleaned = nh3.clean(fragment)
    else:
        cleaned = nh3.clean(fragment)
    return _images_as_links(cleaned).strip()


# nh3's output is normalised: attributes double-quoted, values escaped.
_IMG = re.compile(r"<img\b([^>]*)>", re.IGNORECASE)
_ATTR = re.compile(r'\s([a-z-]+)="([^"]*)"')


def _images_as_links(cleaned: str) -> str:
    """Remote images become links to them: an image a reader's browser loads from a
    feed's server would tell that server who reads the statement, and when.

    Dropped and linked rather than proxied: a proxy would fetch on every view what
    the tracker exists to store once. The CSP's img-src 'self' holds the same line
    for anything stored before this.
    """

    def replace(match: re.Match) -> str:
        attrs = dict(_ATTR.findall(match.group(1)))
        src, alt = attrs.get("src", ""), attrs.get("alt", "")
        label = f"[image: {alt}]" if alt else "[image]"  # alt is already escaped by nh3
        if not re.match(r"https?://", html.unescape(src), re.IGNORECASE):
            return label
        return f'<a class="remote-image" href="{src}" rel="noopener noreferrer">{label}</a>'

    return _IMG.sub(replace, cleaned)


# The links above are not words of the statement: search and matching skip them.
_IMAGE_LINK = re.compile(r'<a class="remote-image"[^>]*>[^<]*</a>|\[image(?:: [^\]]*)?\]')


# Tags that separate words: without a space "<p>a</p><p>b</p>" would read "ab".
_BLOCK_TAG = re.compile(
    r"<(?=/?(?:p|div|br|hr|li|ul|ol|dl|dt|dd|h[1-6]|blockquote|pre|table|tr|td|th|"
    r"section|article|header|footer|figure|figcaption|img)\b)",
    re.IGNORECASE,
)
_SPACES = re.compile(r"\s+")


def html_to_text(fragment: str) -> str:
    """Readable plain text (search, previews, matching) from sanitised HTML."""
    if not fragment:
        return ""
    spaced = _BLOCK_TAG.sub(" <", _IMAGE_LINK.sub(" ", fragment))
    text = html.unescape(nh3.clean(spaced, tags=set()))
    return _SPACES.sub(" ", text).strip()


def _plain_title(value: str, detail: dict | None) -> str:
    value = _clean(value or "")
    if detail and detail.get("type") in ("text/html", "application/xhtml+xml"):
        return html_to_text(value)
    return _SPACES.sub(" ", value).strip()


def language_tag(value: str) -> str:
    """"en-US" → "en": the app compares languages by their primary subtag."""
    primary = re.split(r"[-_]", (value or "").strip().lower(), maxsplit=1)[0]
    return primary if re.fullmatch(r"[a-z]{2,8}", primary) else ""


def _http_url(value: str, *, base_url: str = "") -> str:
    """An absolute http(s) URL that fits the column, or ""."""
    value = _clean(value or "").strip()
    if base_url and value:
        try:
            value = urljoin(base_url, value)
        except ValueError:
            return ""
    if len(value) > URL_MAX or not re.match(r"https?://[^\s/]", value, re.IGNORECASE):
        return ""
    return value


def _clean(value: str) -> str:
    """Text PostgreSQL and XML accept: no NUL or other control characters, no lone surrogates."""
    if not isinstance(value, str):
        value = str(value)
    return xml_safe_text(value.encode("utf-8", "replace").decode("utf-8"))


def _jsonable(value: Any) -> Any:
    """The entry as JSON for `Statement.raw`: dates as ISO strings, text cleaned."""
    if isinstance(value, time.struct_time):
        try:
            return datetime(*value[:6], tzinfo=UTC).isoformat()
        except (ValueError, OverflowError):
            return None
    if isinstance(value, dict):
        return {_clean(str(key)): _jsonable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(item) for item in value]
    if isinstance(value, bool | int) or value is None:
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, bytes):
        return _clean(value.decode("utf-8", "replace"))
    return _clean(str(value))


def _shrunk(value: Any) -> Any:
    if isinstance(value, str):
        return _cut(value, RAW_STRING_MAX)[0]
    if isinstance(value, dict):
        return {key: _shrunk(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_shrunk(item) for item in value[:100]]
    return value


def _describe(exc: BaseException | None) -> str:
    if exc is None:
        return ""
    if isinstance(exc, xml.sax.SAXParseException):
        return f"line {exc.getLineNumber()}, column {exc.getColumnNumber()}: {exc.getMessage()}"
    return _clean(str(exc)).strip() or type(exc).__name__


def _sha256(text: str) -> str:
    return hashlib.sha256(_clean(text).encode("utf-8")).hexdigest()
