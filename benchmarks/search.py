"""Statement search: one results page (count + 20 ranked hits with snippets) over 50,000 statements.

Synthetic English and Russian press releases are bulk-inserted (the PostgreSQL
trigger computes each search vector, as for the ingest pipeline's bulk insert),
then each query is timed as the search page runs it: `search_statements` and
one page of hits, i.e. the count, the ranked page with its ts_headline
snippets and the prefetch of event links. Median and worst of REPEATS runs, in
milliseconds. Everything happens in one transaction that is rolled back, so
the benchmark leaves the database as it found it.

Without PostgreSQL (the SQLite default) the word-stem fallback is measured
over SQLITE_STATEMENTS statements instead: it scans, so it is not meant for
large archives.
"""

from __future__ import annotations

import hashlib
import random
import statistics
import time
from datetime import UTC, datetime, timedelta

from django.db import connection, transaction

from actors.models import Actor, Alias
from statements.models import Statement
from statements.research.search import SearchFilters, search_statements

STATEMENTS = 50_000
SQLITE_STATEMENTS = 5_000
REPEATS = 15

_EN = (
    "The Foreign Ministry notes with deep concern the developments around Venezuela.",
    "Minister Sergey Lavrov held talks with his counterparts on regional security.",
    "We call on all parties to show restraint and to return to dialogue without delay.",
    "The United States committed an act of armed aggression against a sovereign state.",
    "New sanctions against the country's officials were announced by the Treasury.",
    "The sides discussed trade, energy cooperation and humanitarian assistance.",
    "Such actions are a gross violation of the fundamental norms of international law.",
    "The briefing also covered the situation in the Middle East and in Africa.",
    "President Putin held a telephone conversation with President Maduro.",
)
_RU = (
    "Заявление МИД России в связи с событиями вокруг Венесуэлы.",
    "Призываем все стороны к сдержанности и политическому урегулированию.",
    "Министр иностранных дел провел переговоры с коллегами из стран региона.",
    "Москва выражает глубокую обеспокоенность задержанием Николаса Мадуро.",
    "Новые санкции против должностных лиц страны недопустимы.",
    "Стороны обсудили вопросы торгово-экономического сотрудничества.",
    "Подобные действия являются грубым нарушением Устава ООН.",
)
QUERIES = [
    ("Maduro (widened to his Russian names)", {"q": "Maduro"}),
    ("санкций (Russian, inflected)", {"q": "санкций"}),
    ("sanctioned (English, inflected)", {"q": "sanctioned"}),
    ('"armed aggression" (phrase)', {"q": '"armed aggression"'}),
    ("Guaidó (a rare word: 1 in 1,000)", {"q": "Guaidó"}),
    ("Мадуро санкции, ru, from 2025", {"q": "Мадуро санкции", "language": "ru",
                                       "date_from": datetime(2025, 1, 1).date()}),
    ("no words, newest first", {}),
]


class _Rollback(Exception):
    pass


def _statements(count: int, actor: Actor, rng: random.Random) -> list[Statement]:
    start = datetime(2019, 1, 1, tzinfo=UTC)
    rows = []
    for n in range(count):
        russian = rng.random() < 0.4
        sentences = _RU if russian else _EN
        body = " ".join(rng.choice(sentences) for _ in range(rng.randint(3, 12)))
        if n % 1_000 == 0:
            body += " Juan Guaidó declared himself interim president."
        rows.append(Statement(
            actor=actor, attribution=Statement.Attribution.FEED_DEFAULT,
            entry_id=f"bench-{n}", url=f"https://bench.invalid/{n}",
            title=rng.choice(sentences)[:90], body_text=body, language="ru" if russian else "en",
            published_at=start + timedelta(minutes=97 * n),
            content_hash=hashlib.sha256(str(n).encode()).hexdigest(),
        ))
    return rows


def _time_page(filters: SearchFilters) -> tuple[list[float], int]:
    timings, count = [], 0
    for _ in range(REPEATS):
        started = time.perf_counter()
        page = search_statements(filters=filters).page(1)
        count = page.paginator.count
        list(page.object_list)
        timings.append((time.perf_counter() - started) * 1_000)
    return timings, count


def run() -> list[dict[str, object]]:
    postgres = connection.vendor == "postgresql"
    total = STATEMENTS if postgres else SQLITE_STATEMENTS
    rng = random.Random(2026)
    rows: list[dict[str, object]] = []
    try:
        with transaction.atomic():
            actor = Actor.objects.create(name="Bench ministry", slug="bench-ministry-search",
                                         kind=Actor.Kind.INSTITUTION)
            maduro = Actor.objects.create(name="Bench Maduro", slug="bench-nicolas-maduro",
                                          kind=Actor.Kind.PERSON)
            for text, lang in (("Maduro", "en"), ("Nicolas Maduro", "en"), ("Мадуро", "ru"),
                               ("Николас Мадуро", "ru")):
                Alias.objects.create(actor=maduro, text=text, lang=lang)
            started = time.perf_counter()
            Statement.objects.bulk_create(_statements(total, actor, rng), batch_size=5_000)
            insert_s = time.perf_counter() - started
            if postgres:
                with connection.cursor() as cursor:
                    cursor.execute("ANALYZE statements_statement")
            what = "trigger computes vectors" if postgres else "no vectors"
            rows.append({"query": f"bulk insert of {total:,} ({what})",
                         "matches": total, "median ms": insert_s * 1_000,
                         "worst ms": insert_s * 1_000,
                         "search": "full text" if postgres else "word stems"})
            for label, params in QUERIES:
                timings, count = _time_page(SearchFilters(**params))
                rows.append({"query": label, "matches": count,
                             "median ms": statistics.median(timings),
                             "worst ms": max(timings),
                             "search": "full text" if postgres else "word stems"})
            raise _Rollback
    except _Rollback:
        pass
    return rows
