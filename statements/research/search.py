"""Statement search: full text in English and Russian, filters, snippets and exports.

`search_statements(*, filters)` is the one selector behind `/statements/`, its
CSV and JSON exports and the API's statement list.

On PostgreSQL each statement carries a `search_vector`, kept current by a
database trigger (migration 0004) with the text-search configuration of the
statement's language. A query is parsed twice, with the English and the
Russian configuration, and the two are OR-ed: a researcher may type either
language and "санкций" finds "санкции", "sanctioned" finds "sanctions".
Results are ranked (title above body) and come with highlighted snippets.

On the SQLite default there is no full text: each word must occur in the
title or the text as its stem (statements.textmatch), so inflected words still
match, unranked, newest first.

Names are searched in every language: a word or phrase of the query that is
an actor's alias ("Maduro", "Путина") is widened to all of that actor's
aliases ("Мадуро", "Nicolas Maduro", …), so one query finds the statements in
both languages. `names=typed` turns that off, and so does any web-search
syntax in the query ("quotes", or, -minus), which is then passed on as typed.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import cached_property
from urllib.parse import urlencode

from django import forms
from django.contrib.postgres.search import SearchQuery, SearchRank
from django.core.paginator import Page, Paginator
from django.db import connection
from django.db.models import F, Func, Prefetch, Q, QuerySet, TextField, Value
from django.db.models.functions import Concat, Left
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from actors.graph import ActorGraph
from actors.models import Actor, ActorGroup, Alias
from statements.models import Event, EventLink, Source, Stance, Statement
from statements.research.csvfiles import CitationWriter, metadata, one_line
from statements.text.highlight import mark_spans
from statements.text.terms import (
    TermIndex,
    content_words,
    is_function_word,
    longest_first,
    tokenize,
)
from statements.timeline.labels import iso_utc  # noqa: F401  (web/api.py imports it from here)

PAGE_SIZE = 20
# An export is one file; beyond this many rows it says it was cut (meta / header).
EXPORT_MAX_ROWS = 50_000
SNIPPET_WORDS = 40
# Markers ts_headline puts around a hit: control characters cannot occur in the
# stored plain text, so the snippet can be escaped first and marked up after.
MARK_START, MARK_END = "\x02", "\x03"
# Query syntax of websearch_to_tsquery: a query using it is searched as typed.
_WEBSEARCH_SYNTAX = re.compile(r'"|(?:^|\s)-\w|(?:^|\s)or(?:\s|$)', re.IGNORECASE)

SORT_RELEVANCE, SORT_NEWEST, SORT_OLDEST = "", "newest", "oldest"
NAMES_ALL, NAMES_TYPED = "", "typed"
# A results page must not cost more as the archive grows (make bench: search at 10 k and
# 1 M statements). Matches are counted exactly up to COUNT_EXACT_UP_TO, beyond that the
# planner's estimate is shown ("about 120,000"); a ranked page ranks the newest
# RANK_CANDIDATES matches rather than every match. Exports and the API rank them all.
COUNT_EXACT_UP_TO = 1_000
RANK_CANDIDATES = 1_000


def full_text_available() -> bool:
    return connection.vendor == "postgresql"


# --- the filters --------------------------------------------------------------


@dataclass(frozen=True)
class SearchFilters:
    q: str = ""
    names: str = NAMES_ALL
    actor: Actor | None = None
    group: ActorGroup | None = None
    source: Source | None = None
    language: str = ""
    date_from: date | None = None
    date_to: date | None = None
    event: Event | None = None
    stance: str = ""
    sort: str = SORT_RELEVANCE

    @property
    def params(self) -> dict[str, str]:
        """The filters as canonical query parameters: what a shared link or an export names."""
        values = {
            "q": self.q,
            "names": self.names,
            "actor": self.actor.slug if self.actor else "",
            "group": self.group.slug if self.group else "",
            "source": str(self.source.pk) if self.source else "",
            "language": self.language,
            "from": self.date_from.isoformat() if self.date_from else "",
            "to": self.date_to.isoformat() if self.date_to else "",
            "event": self.event.slug if self.event else "",
            "stance": self.stance,
            "sort": self.sort,
        }
        return {key: value for key, value in values.items() if value}

    @property
    def query_string(self) -> str:
        return urlencode(self.params)

    @property
    def is_active(self) -> bool:
        return bool(self.params)

    @property
    def narrowing(self) -> bool:
        """Anything but the words and how they are searched: filters that narrow the set."""
        return bool(set(self.params) - {"q", "names", "sort"})


class SearchForm(forms.Form):
    """The search page's GET parameters. Each invalid one is reported and left out."""

    q = forms.CharField(
        max_length=300, required=False, label="Search statements",
        widget=forms.TextInput(attrs={
            "type": "search", "autocomplete": "off", "spellcheck": "false",
            "placeholder": "Maduro, санкций, \"armed aggression\", Putin -Syria …"}))
    actor = forms.ModelChoiceField(
        queryset=Actor.objects.order_by("name"), to_field_name="slug", required=False,
        empty_label="Any actor", label="Actor (with members)",
        error_messages={"invalid_choice": "There is no actor “%(value)s”."},
    )
    group = forms.ModelChoiceField(
        queryset=ActorGroup.objects.order_by("name"), to_field_name="slug", required=False,
        empty_label="Any group", label="Actor group",
        error_messages={"invalid_choice": "There is no actor group “%(value)s”."},
    )
    source = forms.ModelChoiceField(
        queryset=Source.objects.order_by("title", "url"), required=False,
        empty_label="Any source",
        error_messages={"invalid_choice": "There is no source “%(value)s”."},
    )
    language = forms.ChoiceField(
        required=False,
        error_messages={"invalid_choice": "“%(value)s” is not a language of any source."},
    )
    date_from = forms.DateField(required=False, label="From (UTC)",
                                widget=forms.DateInput(attrs={"type": "date"}),
                                error_messages={"invalid": "“From” must be a date (YYYY-MM-DD)."})
    date_to = forms.DateField(required=False, label="To (UTC)",
                              widget=forms.DateInput(attrs={"type": "date"}),
                              error_messages={"invalid": "“To” must be a date (YYYY-MM-DD)."})
    event = forms.ModelChoiceField(
        queryset=Event.objects.published().order_by("-occurred_at"), to_field_name="slug",
        required=False, empty_label="Any event", label="Linked to event",
        error_messages={"invalid_choice": "There is no event “%(value)s”."},
    )
    stance = forms.ChoiceField(
        choices=[("", "Any stance"), *Stance.choices], required=False,
        error_messages={"invalid_choice": "“%(value)s” is not a stance (use one of: "
                        + ", ".join(Stance.values) + ")."},
    )
    sort = forms.ChoiceField(
        choices=[(SORT_RELEVANCE, "Best match"), (SORT_NEWEST, "Newest first"),
                 (SORT_OLDEST, "Oldest first")],
        required=False,
        error_messages={"invalid_choice": "“%(value)s” is not a sort order (use newest or "
                        "oldest, or leave it out)."},
    )
    names = forms.ChoiceField(
        choices=[(NAMES_ALL, "in every language"), (NAMES_TYPED, "only as typed")],
        required=False, label="Names",
        error_messages={"invalid_choice": "“%(value)s” is not a names option (use “typed” "
                        "or leave it out)."},
    )
    page = forms.IntegerField(min_value=1, required=False,
                              error_messages={"invalid": "The page must be a number.",
                                              "min_value": "Pages start at 1."})
    format = forms.ChoiceField(
        choices=[("", "Web page"), ("csv", "CSV"), ("json", "JSON")], required=False,
        error_messages={"invalid_choice": "“%(value)s” is not an export format (use csv or "
                        "json)."},
    )

    # The URL says ?from=…&to=… ("from" is a Python keyword, so the fields are named apart).
    PARAM_NAMES = {"date_from": "from", "date_to": "to"}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        languages = set(Source.objects.exclude(language="").values_list("language", flat=True))
        self.fields["language"].choices = [("", "Any language")] + [
            (code, code) for code in sorted(languages | {"en", "ru"})
        ]

    def add_prefix(self, field_name):
        return self.PARAM_NAMES.get(field_name, field_name)

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("date_from"), cleaned.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", "“To” comes before “From”: swap the dates.")
        return cleaned

    def filters(self) -> SearchFilters:
        """The valid filters; an invalid field is left out (and reported), never guessed."""
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        return SearchFilters(
            q=" ".join((data.get("q") or "").split()),
            names=data.get("names") or NAMES_ALL,
            actor=data.get("actor"),
            group=data.get("group"),
            source=data.get("source"),
            language=data.get("language") or "",
            date_from=data.get("date_from"),
            date_to=data.get("date_to"),
            event=data.get("event"),
            stance=data.get("stance") or "",
            sort=data.get("sort") or SORT_RELEVANCE,
        )

    @property
    def page_number(self) -> int:
        self.is_valid()
        return getattr(self, "cleaned_data", {}).get("page") or 1

    @property
    def export_format(self) -> str:
        self.is_valid()
        return getattr(self, "cleaned_data", {}).get("format") or ""

    def error_messages_list(self) -> list[str]:
        if not self.is_bound or self.is_valid():
            return []
        return [message for errors in self.errors.values() for message in errors]


# --- names in every language ----------------------------------------------------


@dataclass(frozen=True)
class SearchTerm:
    """One part of the query, and the phrases searched for it (any of them may match)."""

    typed: str
    phrases: tuple[str, ...]
    actor_name: str = ""
    # Searched as typed, with websearch_to_tsquery's syntax ("quotes", or, -minus).
    as_typed: bool = False

    @property
    def widened(self) -> tuple[str, ...]:
        """The phrases added to what was typed."""
        typed = self.typed.casefold()
        return tuple(p for p in self.phrases if p.casefold() != typed)


def search_terms(q: str, *, names: str = NAMES_ALL) -> list[SearchTerm]:
    """The query as terms to AND together; actors' names are widened to all their aliases.

    A query written in web-search syntax is one term, searched as typed.
    """
    q = " ".join(q.split())
    if not q:
        return []
    if names == NAMES_TYPED or _WEBSEARCH_SYNTAX.search(q):
        return [SearchTerm(typed=q, phrases=(q,), as_typed=True)]
    aliases: dict[int, list[str]] = {}
    actor_names: dict[int, str] = {}
    for actor_id, text, name in Alias.objects.values_list("actor_id", "text", "actor__name"):
        aliases.setdefault(actor_id, []).append(text)
        actor_names[actor_id] = name
    index: TermIndex[int] = TermIndex((actor_id, texts) for actor_id, texts in aliases.items())
    tokens = tokenize(q)
    matches = longest_first(index.scan(tokens, q)) if index else []
    # Two actors sharing an alias: the phrase stands for both.
    by_span: dict[tuple[int, int], list[int]] = {}
    for match in matches:
        by_span.setdefault((match.first_token, match.end_token), []).append(match.key)

    terms, position = [], 0
    for (first, end), actor_ids in sorted(by_span.items()):
        terms.extend(SearchTerm(typed=t.surface, phrases=(t.surface,))
                     for t in tokens[position:first])
        typed = q[tokens[first].start:tokens[end - 1].end]
        phrases = dict.fromkeys([typed, *(a for i in actor_ids for a in aliases[i])])
        terms.append(SearchTerm(typed=typed, phrases=tuple(phrases),
                                actor_name=", ".join(actor_names[i] for i in actor_ids)))
        position = end
    terms.extend(SearchTerm(typed=t.surface, phrases=(t.surface,)) for t in tokens[position:])
    # «в Тегеране» is searched as «Тегеране»: a lone preposition or article is no term.
    meaningful = [t for t in terms if t.actor_name
                  or not all(is_function_word(w) for w in tokenize(t.typed))]
    return meaningful or terms


# --- the search -----------------------------------------------------------------


@dataclass
class Hit:
    """One statement in the results, with its highlighted title and snippet."""

    statement: Statement
    title_html: SafeString
    snippet_html: SafeString
    rank: float | None

    @property
    def links(self) -> list[EventLink]:
        return list(self.statement.links.all())


@dataclass
class Search:
    filters: SearchFilters
    terms: list[SearchTerm]
    queryset: QuerySet[Statement]
    full_text: bool
    stems: frozenset[str] = field(default_factory=frozenset)
    # What a results page pages through, when it is a bounded part of `queryset`.
    page_queryset: QuerySet[Statement] | None = None

    @cached_property
    def events(self) -> list[Event]:
        """Events whose match terms the query names: their linked statements are about it
        even where they do not use the word ("the US aggression against Venezuela")."""
        if not self.filters.q or self.filters.event is not None:
            return []
        return events_named_in(self.filters.q)

    @property
    def widened_terms(self) -> list[SearchTerm]:
        return [t for t in self.terms if t.widened]

    @property
    def ranked(self) -> bool:
        return self.full_text and bool(self.terms) and self.filters.sort == SORT_RELEVANCE

    def page(self, number: int, per_page: int = PAGE_SIZE) -> Page:
        """One page of results; its object_list holds Hits. Always the same few queries."""
        bounded = self.page_queryset is not None
        paginator = BoundedPaginator(
            self.page_queryset if bounded else self.queryset, per_page, counted=self.queryset,
            rows_up_to=RANK_CANDIDATES if bounded else None)
        page = paginator.get_page(number)
        # Highlighting happens here, for the page shown only.
        page.object_list = [self.hit(s) for s in page.object_list]
        return page

    def hit(self, statement: Statement) -> Hit:
        # Marked by the same keys the index holds (statements.text.terms), on both
        # databases, and only for the page shown: «Тегеране» is marked for «Тегеран».
        title = _python_marked(statement.title, self.stems)
        snippet = _python_snippet(statement.body_text, self.stems)
        return Hit(statement=statement, title_html=title, snippet_html=snippet,
                   rank=getattr(statement, "rank", None))

    def rows(self, limit: int = EXPORT_MAX_ROWS) -> Iterator[Statement]:
        """Every matching statement for an export, streamed in chunks, up to `limit`."""
        return self.queryset[:limit].iterator(chunk_size=1000)


def search_statements(*, filters: SearchFilters) -> Search:
    """The statements matching `filters`, ordered, with what the results page shows."""
    statements = Statement.objects.select_related("actor", "source").prefetch_related(
        Prefetch(
            "links",
            EventLink.objects.filter(event__is_published=True)
            .exclude(status=EventLink.Status.REJECTED)
            .select_related("event")
            .order_by("event__occurred_at"),
        )
    ).defer("raw", "body_html", "search_vector")
    statements = _narrow(statements, filters)
    terms = search_terms(filters.q, names=filters.names)
    full_text = full_text_available()
    stems: frozenset[str] = frozenset()
    if terms:
        stems = frozenset(key for term in terms for p in term.phrases
                          for t in _fallback_tokens(term, p) for key in t.keys)
    page_statements = None
    ordering = _ordering(filters, ranked=bool(terms) and full_text)
    if terms and full_text:
        query = _tsquery(terms)
        matching = statements.filter(search_vector=query)
        statements = matching.annotate(rank=SearchRank(F("search_vector"), query))
        if filters.sort == SORT_RELEVANCE:
            newest = matching.order_by("-published_at", "-id").values("pk")[:RANK_CANDIDATES]
            page_statements = (
                matching.filter(pk__in=newest)
                .annotate(rank=SearchRank(F("search_vector"), query))
                .order_by(*ordering)
            )
    elif terms:
        statements = statements.filter(_fallback_condition(terms, statements))
    statements = statements.order_by(*ordering)
    return Search(filters=filters, terms=terms, queryset=statements, full_text=full_text,
                  stems=stems, page_queryset=page_statements)


class BoundedPaginator(Paginator):
    """A paginator whose count stops at COUNT_EXACT_UP_TO, then estimates (`estimated`).

    `counted` is what is counted (every match); `object_list` may be a bounded part
    of it (the ranked candidates), of at most `rows_up_to` rows.
    """

    def __init__(self, object_list, per_page, *, counted, rows_up_to=None):
        super().__init__(object_list, per_page)
        self._counted = counted.order_by()
        self._rows_up_to = rows_up_to
        self._estimated = False

    @cached_property
    def count(self) -> int:
        exact = self._counted[: COUNT_EXACT_UP_TO + 1].count()
        if exact <= COUNT_EXACT_UP_TO or connection.vendor != "postgresql":
            return exact if exact <= COUNT_EXACT_UP_TO else self._counted.count()
        self._estimated = True
        plan = json.loads(self._counted.explain(format="json"))
        rows = int(plan[0]["Plan"]["Plan Rows"])
        # Two significant figures: the estimate is a planner's, not a count.
        rounded = round(rows, -max(len(str(rows)) - 2, 0))
        return max(rounded, COUNT_EXACT_UP_TO + 1)

    @property
    def estimated(self) -> bool:
        """True when `count` is an estimate (more than COUNT_EXACT_UP_TO matches)."""
        _ = self.count
        return self._estimated

    @cached_property
    def num_pages(self) -> int:
        rows = self.count if self._rows_up_to is None else min(self.count, self._rows_up_to)
        if rows == 0 and not self.allow_empty_first_page:
            return 0
        return max(1, -(-max(rows - self.orphans, 0) // self.per_page))


def events_named_in(q: str) -> list[Event]:
    """Published events whose match terms occur in the query, whatever their inflection."""
    events = list(Event.objects.published().only("slug", "title", "terms", "occurred_at"))

    def terms_of(event: Event) -> list[str]:
        terms = event.terms if isinstance(event.terms, dict) else {}
        return [t for values in terms.values() if isinstance(values, list)
                for t in values if isinstance(t, str)]

    index: TermIndex[int] = TermIndex((e.pk, terms_of(e)) for e in events)
    found = index.find(q) if index else {}
    return sorted((e for e in events if e.pk in found), key=lambda e: e.occurred_at,
                  reverse=True)


class StatementConfig(Func):
    """The text-search configuration of each statement, as its trigger chose it."""

    function = "statements_search_config"
    output_field = TextField()

    def __init__(self):
        sample = Concat(F("title"), Value(" "), F("body_text"), output_field=TextField())
        super().__init__(F("language"), Left(sample, 2000))


def _tsquery(terms: list[SearchTerm]) -> SearchQuery:
    """AND over the terms, OR over each term's phrases; each word of a phrase is any of
    its keys (lemmas, stems) and the words follow each other — the keys the search
    vector was written with, so a query in any form meets every form."""

    def lexeme(key: str) -> str:
        return "'" + key.replace("\\", "\\\\").replace("'", "''") + "'"

    def phrase_query(phrase: str, *, as_typed: bool) -> SearchQuery | None:
        tokens = content_words(tokenize(phrase))
        if as_typed:
            # Web-search syntax: quotes, "or" and minus keep their meaning; each
            # word is searched as its first key.
            text = phrase
            for token in reversed(tokens):
                if token.norm != "or":
                    text = text[:token.start] + token.keys[0] + text[token.end:]
            return SearchQuery(text, search_type="websearch", config="simple")
        words = ["(" + " | ".join(lexeme(k) for k in t.keys) + ")" for t in tokens]
        if not words:
            return None
        return SearchQuery(" <-> ".join(words), search_type="raw", config="simple")

    combined = None
    for term in terms:
        alternatives = None
        for phrase in term.phrases:
            query = phrase_query(phrase, as_typed=term.as_typed)
            if query is None:
                continue
            alternatives = query if alternatives is None else alternatives | query
        if alternatives is None:
            continue
        combined = alternatives if combined is None else combined & alternatives
    return combined if combined is not None else SearchQuery("", config="simple")


def _fallback_condition(terms: list[SearchTerm], candidates: QuerySet[Statement]) -> Q:
    """Without PostgreSQL: the statements where each term occurs as any of its phrases,
    each word by any of its keys, read by the same normaliser as the index.

    A LIKE on the first letters of a key narrows the rows first (SQLite folds case
    for ASCII only, so a Cyrillic prefix is also tried capitalised); the rows left
    are tokenised and checked word by word. This is the embedded demo's search.
    """
    wanted = []
    narrowing = Q()
    for term in terms:
        if term.as_typed:
            # Typed with web-search syntax: read here as plain words, each required.
            wanted.extend([TermIndex([(0, [t.surface])])]
                          for phrase in term.phrases for t in _fallback_tokens(term, phrase))
        else:
            wanted.append([TermIndex([(0, [phrase])]) for phrase in term.phrases
                           if _fallback_tokens(term, phrase)])
        alternatives = Q(pk__in=[])
        for phrase in term.phrases:
            for token in _fallback_tokens(term, phrase)[:1]:
                for key in token.keys:
                    head = key[:max(3, len(key) - 3)] if len(key) > 3 else key
                    for variant in {head, head.capitalize(), head.upper(),
                                    token.surface.lower()[:len(head)]}:
                        alternatives |= (Q(title__icontains=variant)
                                         | Q(body_text__icontains=variant))
        narrowing &= alternatives
    found = []
    rows = candidates.filter(narrowing).values_list("pk", "title", "body_text", "language")
    for pk, title, body, language in rows.iterator(chunk_size=500):
        text = f"{title}\n{body}"
        tokens = tokenize(text, language)
        if all(any(index.scan(tokens, text) for index in phrases) for phrases in wanted):
            found.append(pk)
    return Q(pk__in=found)


def _fallback_tokens(term: SearchTerm, phrase: str):
    tokens = content_words(tokenize(phrase))
    if term.as_typed:  # no operators here: "or" and minus signs are read as plain words
        tokens = [t for t in tokens if t.norm != "or"]
    return tokens


def _narrow(statements: QuerySet[Statement], filters: SearchFilters) -> QuerySet[Statement]:
    if filters.actor is not None:
        statements = statements.filter(actor_id__in=_with_members([filters.actor.pk]))
    if filters.group is not None:
        members = list(filters.group.members.values_list("pk", flat=True))
        statements = statements.filter(actor_id__in=_with_members(members))
    if filters.source is not None:
        statements = statements.filter(source=filters.source)
    if filters.language:
        statements = statements.filter(language=filters.language)
    if filters.date_from:
        statements = statements.filter(published_at__gte=_utc_midnight(filters.date_from))
    if filters.date_to and filters.date_to < date.max:  # the calendar's last day bounds nothing
        statements = statements.filter(
            published_at__lt=_utc_midnight(filters.date_to + timedelta(days=1)))
    if filters.event is not None or filters.stance:
        # One link must satisfy both: "condemns, on this event", not one of each.
        links = EventLink.objects.exclude(status=EventLink.Status.REJECTED)
        if filters.event is not None:
            links = links.filter(event=filters.event)
        else:
            links = links.filter(event__is_published=True)
        if filters.stance:
            links = links.filter(stance=filters.stance)
        statements = statements.filter(pk__in=links.values("statement_id"))
    return statements


def _with_members(actor_ids: Iterable[int]) -> set[int]:
    """The actors and everyone under them in the tree (a state's ministries and people)."""
    graph = ActorGraph.load()
    found: set[int] = set()
    for actor_id in actor_ids:
        if actor_id in graph.by_id:
            found |= graph.own_speakers(actor_id)
    return found


def _utc_midnight(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def _ordering(filters: SearchFilters, *, ranked: bool) -> list:
    if filters.sort == SORT_OLDEST:
        return ["published_at", "id"]
    if filters.sort == SORT_NEWEST or not ranked:
        return ["-published_at", "-id"]
    return [F("rank").desc(), "-published_at", "-id"]


# --- snippets -------------------------------------------------------------------


def _marked(headline: str, *, whole: str | None = None) -> SafeString:
    """ts_headline's output, escaped, with its hit markers turned into <mark>; an
    ellipsis where it leaves out the start or the end of `whole`."""
    shown = " ".join(headline.split())
    text = escape(shown).replace(MARK_START, "<mark>").replace(MARK_END, "</mark>")
    if whole is not None and shown:
        plain = shown.replace(MARK_START, "").replace(MARK_END, "")
        whole = " ".join(whole.split())
        if not whole.startswith(plain[:40]):
            text = "… " + text
        if not whole.endswith(plain[-40:]):
            text += " …"
    return mark_safe(text)


def _python_marked(text: str, stems: frozenset[str]) -> SafeString:
    return _python_snippet(text, stems, words=None)


def _python_snippet(text: str, stems: frozenset[str], *,
                    words: int | None = SNIPPET_WORDS) -> SafeString:
    """A window of the text around its first hit, hits marked (the fallback's headline)."""
    text = " ".join((text or "")[:20_000].split())
    tokens = tokenize(text)
    hits = [i for i, token in enumerate(tokens) if set(token.stems) & stems]
    if words is not None and len(tokens) > words:
        first = max(0, (hits[0] if hits else 0) - words // 4)
        shown = tokens[first:first + words]
        start, end = shown[0].start, shown[-1].end
        prefix, suffix = ("… " if start else ""), (" …" if end < len(text) else "")
    else:
        start, end, prefix, suffix = 0, len(text), "", ""
    spans = [(tokens[i].start, tokens[i].end) for i in hits]
    return mark_spans(text, spans, start=start, end=end, before=prefix, after=suffix)


# --- exports --------------------------------------------------------------------

EXPORT_COLUMNS = [
    "statement_id", "published_at", "actor", "actor_name", "title", "url", "source",
    "source_url", "language", "events", "rank", "permalink",
]


def statement_row(statement: Statement, *, base_url: str) -> dict:
    """One statement as data, with what a citation needs: its URL, source and permalink."""
    source = statement.source
    return {
        "id": statement.pk,
        "published_at": iso_utc(statement.published_at),
        "actor": ({"slug": statement.actor.slug, "name": statement.actor.name}
                  if statement.actor_id else None),
        "title": statement.title,
        "url": statement.url,
        "source": ({"title": source.title or source.url, "url": source.url}
                   if source is not None else None),
        "language": statement.language,
        "attribution": statement.attribution,
        "events": [
            {"slug": link.event.slug, "link_status": link.status, "stance": link.stance,
             "intensity": link.intensity}
            for link in statement.links.all()
        ],
        "permalink": base_url + statement.get_absolute_url(),
    }


def export_meta(search: Search, *, generated_at: datetime, base_url: str, count: int,
                truncated: bool) -> dict:
    query_string = search.filters.query_string
    return {
        "statement-tracker": "statement search results",
        "query": search.filters.params,
        "url": f"{base_url}/statements/" + (f"?{query_string}" if query_string else ""),
        "search": "full text (PostgreSQL, english+russian)" if search.full_text
        else "word stems (fallback without PostgreSQL)",
        "names_widened": {t.typed: list(t.widened) for t in search.widened_terms},
        "generated_at": iso_utc(generated_at),
        "count": count,
        "truncated": truncated,
    }


def search_json(search: Search, *, generated_at: datetime, base_url: str,
                limit: int = EXPORT_MAX_ROWS) -> dict:
    rows = []
    for statement in search.rows(limit + 1):
        row = statement_row(statement, base_url=base_url)
        row["rank"] = _rank(statement)
        rows.append(row)
    truncated = len(rows) > limit
    rows = rows[:limit]
    return {
        "meta": export_meta(search, generated_at=generated_at, base_url=base_url,
                            count=len(rows), truncated=truncated),
        "results": rows,
    }


def search_csv_lines(search: Search, *, generated_at: datetime, base_url: str,
                     limit: int = EXPORT_MAX_ROWS) -> Iterator[str]:
    """The CSV, line by line (for streaming): '#' header lines, then the rows.

    The header cannot know the final count before the rows are read, so it says
    where the file ends instead: a last comment line with the count.
    """
    meta = export_meta(search, generated_at=generated_at, base_url=base_url, count=0,
                       truncated=False)
    yield metadata([
        ("statement-tracker", meta["statement-tracker"]),
        ("query", search.filters.query_string or "none (all statements)"),
        ("url", meta["url"]),
        ("search", meta["search"]),
        *(("names widened", f"{typed} -> {' | '.join(widened)}")
          for typed, widened in meta["names_widened"].items()),
        ("generated_at", meta["generated_at"]),
    ])
    buffer = io.StringIO()
    writer = CitationWriter(buffer)

    def flush() -> str:
        value = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return value

    writer.writerow(EXPORT_COLUMNS)
    yield flush()
    count = 0
    for statement in search.rows(limit + 1):
        if count == limit:
            yield f"# truncated: only the first {limit} rows are included\n"
            return
        count += 1
        row = statement_row(statement, base_url=base_url)
        writer.writerow([
            row["id"], row["published_at"],
            row["actor"]["slug"] if row["actor"] else "",
            row["actor"]["name"] if row["actor"] else "",
            one_line(row["title"]), row["url"],
            row["source"]["title"] if row["source"] else "",
            row["source"]["url"] if row["source"] else "",
            row["language"],
            "; ".join(f"{e['slug']}:{e['stance']}:{e['intensity']}" for e in row["events"]),
            "" if _rank(statement) is None else _rank(statement),
            row["permalink"],
        ])
        yield flush()


def _rank(statement: Statement) -> float | None:
    rank = getattr(statement, "rank", None)
    return None if rank is None else round(float(rank), 6)





