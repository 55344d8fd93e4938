"""Turning a fetched feed body into plain, storable entries.

feedparser reads RSS 0.9x/1.0/2.0 and Atom, guesses encodings and tolerates
broken XML. This module adds what the tracker needs on top: a stable identity
per entry, UTC dates, HTML sanitised by nh3 (one policy for every feed), plain
text, and values that fit the database columns.
"""

from __future__ import annotations

import hashlib
import html
import io
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


@dataclass(frozen=True)
class ParsedFeed:
    title: str
    link: str
    language: str
    entries: list[ParsedEntry]
    # Set when feedparser read the feed with problems ("bozo") or entries were dropped.
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
    for raw_entry in result.entries:
        entry = _parse_entry(raw_entry, base_url=base_url, fetched_at=fetched_at)
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


def _parse_entry(entry: dict, *, base_url: str, fetched_at: datetime) -> ParsedEntry:
    title = _plain_title(entry.get("title", ""), entry.get("title_detail"))
    url = _http_url(entry.get("link", ""), base_url=base_url)
    body_html, detail = _body_html(entry, base_url=base_url)
    body_text = html_to_text(body_html)
    published_at = _entry_date(entry)
    estimated = published_at is None
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
        raw=_jsonable(entry),
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
            return nh3.clean(fragment, url_relative=("rewrite_with_base", base_url)).strip()
        except ValueError:  # A base nh3 cannot parse: keep relative URLs as they are.
            pass
    return nh3.clean(fragment).strip()


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
    spaced = _BLOCK_TAG.sub(" <", fragment)
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
    """Text PostgreSQL accepts: no NUL characters, no lone surrogates."""
    if not isinstance(value, str):
        value = str(value)
    return value.encode("utf-8", "replace").decode("utf-8").replace("\x00", "")


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


def _describe(exc: BaseException | None) -> str:
    if exc is None:
        return ""
    if isinstance(exc, xml.sax.SAXParseException):
        return f"line {exc.getLineNumber()}, column {exc.getColumnNumber()}: {exc.getMessage()}"
    return _clean(str(exc)).strip() or type(exc).__name__


def _sha256(text: str) -> str:
    return hashlib.sha256(_clean(text).encode("utf-8")).hexdigest()
