"""At scale: the timeline, search and event matching with 10 k and with 1 M statements.

One published event has 60 expected responders and 500 linked statements; the
rest of the archive is bulk-loaded in SQL (generate_series, the search trigger
computing each vector, the indexes rebuilt after the load), half English and
half Russian, a rare name in one statement in 1,000. At each size the event's
page and JSON are requested through Django's test client (median of REPEATS,
query count of one request), and ten fixed searches run as the search page
runs them (count, one ranked page, snippets, event links). Matching is
link_statements over 10 k statements against 10 and against 1,000 published
events, in a transaction that is rolled back.
"""

from __future__ import annotations

import json
from datetime import timedelta

from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from actors.models import Actor, Alias
from benchmarks.common import Config, Figure, median, timed_ms
from benchmarks.feeds import EN_SENTENCES, RU_SENTENCES, T0
from benchmarks.matching import event_terms
from statements.ingest.linking import link_statements
from statements.models import Event, EventLink, Statement
from statements.research.search import SearchFilters, search_statements
from statements.text.terms import search_vector_literal

REPEATS = 5
EVENT_SLUG = "bench-scale-event"
RESPONDERS = 60
LINKED = 500
BACKGROUND_ACTORS = 200
RARE_EN = " Juan Guaidó declared himself interim president."
RARE_RU = " Хуан Гуайдо объявил себя временным президентом."

QUERIES = [
    ("sanctions, ranked (common, en)", {"q": "sanctions"}),
    ("санкции, ranked (common, ru)", {"q": "санкции"}),
    ("sanctions, newest first", {"q": "sanctions", "sort": "newest"}),
    ("санкции, newest first", {"q": "санкции", "sort": "newest"}),
    ("Maduro, ranked (a name, widened)", {"q": "Maduro"}),
    ("Guaidó, ranked (rare)", {"q": "Guaidó"}),
    ("Guaidó, newest first (rare)", {"q": "Guaidó", "sort": "newest"}),
    ("Гуайдо, newest first (rare, ru)", {"q": "Гуайдо", "sort": "newest"}),
    ("xylophone, ranked (no hit)", {"q": "xylophone"}),
    ("ксилофон, newest first (no hit, ru)", {"q": "ксилофон", "sort": "newest"}),
]


class _Rollback(Exception):
    pass


def _world() -> Event:
    # The ingest group's statements go: the sizes here are the whole archive.
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {Statement._meta.db_table} RESTART IDENTITY CASCADE")
    state = Actor.objects.create(slug="bench-scale-state", name="Bench state",
                                 kind=Actor.Kind.STATE)
    responders = Actor.objects.bulk_create(
        Actor(slug=f"bench-responder-{n}", name=f"Bench responder {n}",
              kind=Actor.Kind.INSTITUTION, parent=state)
        for n in range(RESPONDERS)
    )
    Actor.objects.bulk_create(
        Actor(slug=f"bench-background-{n}", name=f"Bench background {n}",
              kind=Actor.Kind.INSTITUTION)
        for n in range(BACKGROUND_ACTORS)
    )
    maduro = Actor.objects.create(slug="bench-maduro", name="Nicolás Maduro",
                                  kind=Actor.Kind.PERSON)
    for text, lang in (("Maduro", "en"), ("Nicolas Maduro", "en"), ("Мадуро", "ru"),
                       ("Николас Мадуро", "ru")):
        Alias.objects.create(actor=maduro, text=text, lang=lang)
    event = Event.objects.create(slug=EVENT_SLUG, title="Bench: the strikes on Caracas",
                                 occurred_at=T0 - timedelta(days=2),
                                 terms={"en": ["Venezuela", "Caracas"],
                                        "ru": ["Венесуэла", "Каракас"]})
    event.expected_actors.set(responders)
    rows = []
    for n in range(LINKED):
        actor = responders[n % RESPONDERS]
        russian = n % 2 == 1
        sentences = RU_SENTENCES if russian else EN_SENTENCES
        body = " ".join(sentences[(n + k) % len(sentences)] for k in range(6))
        rows.append(Statement(
            actor=actor, attribution=Statement.Attribution.FEED_DEFAULT,
            entry_id=f"bench-linked-{n}", url=f"https://bench.invalid/linked/{n}",
            title=("Каракас: " if russian else "On Caracas: ") + sentences[n % len(sentences)],
            body_html="".join(f"<p>{s}</p>" for s in body.split(". ")),
            body_text=body, language="ru" if russian else "en",
            published_at=event.occurred_at + timedelta(minutes=7 * n),
            fetched_at=event.occurred_at + timedelta(minutes=7 * n + 3),
            content_hash=f"{n:064d}",
        ))
    Statement.objects.bulk_create(rows)
    EventLink.objects.bulk_create(
        EventLink(event=event, statement=s, status=EventLink.Status.CONFIRMED,
                  method=EventLink.Method.AUTO, matched_terms=["Venezuela"],
                  stance=("concern", "condemn", "support", "neutral")[i % 4], intensity=1)
        for i, s in enumerate(rows)
    )
    return event


def _bulk_load(start: int, stop: int) -> None:
    """Background statements number `start` to `stop` - 1, inserted by PostgreSQL itself."""
    actor_ids = list(Actor.objects.filter(slug__startswith="bench-background-")
                     .order_by("pk").values_list("pk", flat=True))
    known = {"id", "source", "actor", "attribution", "entry_id", "url", "title", "body_html",
             "body_text", "language", "published_at", "published_at_estimated", "fetched_at",
             "content_hash", "raw", "is_manual", "added_by", "search_vector"}
    extra_columns, extra_values, params = [], [], []
    for field in Statement._meta.concrete_fields:
        # Columns other helpers add later: their Python default, if they need a value.
        if field.name in known or field.null:
            continue
        default = field.get_default()
        extra_columns.append(field.column)
        extra_values.append(f"%(extra_{len(params)})s")
        params.append(json.dumps(default) if field.get_internal_type() == "JSONField"
                      else default)
    columns = ", ".join(["actor_id", "attribution", "entry_id", "url", "title", "body_html",
                         "body_text", "language", "published_at", "published_at_estimated",
                         "fetched_at", "content_hash", "raw", "is_manual", "search_vector",
                         *extra_columns])
    extra_sql = "".join(", " + v for v in extra_values)
    # Rows are made of a few fixed sentences, so the project's normaliser runs once per
    # sentence here and PostgreSQL joins the sentences' vectors (`||` shifts the positions
    # of its right side): each row gets the vector the pipeline would have written.
    sql = f"""
      INSERT INTO statements_statement ({columns})
      SELECT (%(actors)s::int[])[1 + mod(i, %(actor_count)s)], 'feed_default', 'bulk-' || i,
             'https://bench.invalid/bulk/' || i, p[t], '<p>' || b || '</p>', b, lang,
             %(t0)s::timestamptz - make_interval(mins => i * 3), false,
             %(t0)s::timestamptz - make_interval(mins => i * 3 - 5), md5(i::text), '{{}}'::jsonb,
             false, pt[t] || v || coalesce(rare_vector, ''::tsvector){extra_sql}
      FROM generate_series(%(start)s, %(stop)s) i,
           LATERAL (SELECT
             CASE WHEN mod(i, 2) = 0 THEN 'en' ELSE 'ru' END AS lang,
             CASE WHEN mod(i, 2) = 0 THEN %(en)s::text[] ELSE %(ru)s::text[] END AS p,
             CASE WHEN mod(i, 2) = 0 THEN %(en_title)s::tsvector[]
                  ELSE %(ru_title)s::tsvector[] END AS pt,
             CASE WHEN mod(i, 2) = 0 THEN %(en_body)s::tsvector[]
                  ELSE %(ru_body)s::tsvector[] END AS pb,
             CASE mod(i, 1000) WHEN 0 THEN %(rare_en)s WHEN 1 THEN %(rare_ru)s END AS rare,
             CASE mod(i, 1000) WHEN 0 THEN %(rare_en_vector)s::tsvector
                               WHEN 1 THEN %(rare_ru_vector)s::tsvector END AS rare_vector
           ) pool,
           LATERAL (SELECT 1 + mod(i, array_length(p, 1)) AS t) title,
           LATERAL (SELECT array_to_string(array_agg(p[j] ORDER BY k), ' ')
                           || coalesce(rare, '') AS b,
                           pg_temp.tsvector_cat(pb[j] ORDER BY k) AS v
                    FROM (SELECT k, 1 + mod(i * 7 + k * 3 + i / 13, array_length(p, 1)) AS j
                          FROM generate_series(1, 3 + mod(i, 6)) k) picks) body
    """

    def vectors(sentences, language, *, title):
        return [search_vector_literal(s if title else "", "" if title else s, language)
                for s in sentences]

    values = {"actors": actor_ids, "actor_count": len(actor_ids), "rare_en": RARE_EN,
              "rare_ru": RARE_RU, "t0": T0 - timedelta(days=3), "start": start,
              "stop": stop - 1, "en": list(EN_SENTENCES), "ru": list(RU_SENTENCES),
              "en_title": vectors(EN_SENTENCES, "en", title=True),
              "ru_title": vectors(RU_SENTENCES, "ru", title=True),
              "en_body": vectors(EN_SENTENCES, "en", title=False),
              "ru_body": vectors(RU_SENTENCES, "ru", title=False),
              "rare_en_vector": search_vector_literal("", RARE_EN, "en"),
              "rare_ru_vector": search_vector_literal("", RARE_RU, "ru"),
              **{f"extra_{n}": p for n, p in enumerate(params)}}
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = "
                       "'statements_statement' AND indexname NOT IN (SELECT conname FROM "
                       "pg_constraint)")
        indexes = cursor.fetchall()
        cursor.execute("DROP AGGREGATE IF EXISTS pg_temp.tsvector_cat(tsvector)")
        cursor.execute("CREATE AGGREGATE pg_temp.tsvector_cat(tsvector) "
                       "(SFUNC = tsvector_concat, STYPE = tsvector, INITCOND = '')")
        # Rebuilding the indexes after a large load is much faster than updating them row by
        # row; the unique and primary keys stay, as they are constraints.
        big = stop - start > 100_000
        if big:
            for name, _ in indexes:
                cursor.execute(f'DROP INDEX "{name}"')
        chunk = 200_000
        for first in range(start, stop, chunk):
            values.update(start=first, stop=min(first + chunk, stop) - 1)
            cursor.execute(sql, values)
            print(f"  loaded {min(first + chunk, stop):,} statements", flush=True)
        if big:
            cursor.execute("SET maintenance_work_mem = '256MB'")
            for _, definition in indexes:
                cursor.execute(definition)
        cursor.execute("ANALYZE statements_statement")
        cursor.execute("ANALYZE statements_eventlink")


def _timeline(client: Client, url: str) -> tuple[float, int, int]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    # Counted now: the next request resets the connection's query log.
    count = len(queries.captured_queries)
    assert response.status_code == 200, (url, response.status_code)
    times = timed_ms(lambda: client.get(url), REPEATS)
    return median(times), count, len(response.content)


def _search(params: dict) -> tuple[float, float, int]:
    def one() -> int:
        page = search_statements(filters=SearchFilters(**params)).page(1)
        list(page.object_list)
        return page.paginator.count

    count = one()
    times = timed_ms(one, REPEATS)
    return median(times), max(times), count


def _match(statements: list[Statement], events: int) -> float:
    try:
        with transaction.atomic():
            Event.objects.bulk_create(
                Event(slug=f"bench-match-{key}", title=f"Match {key}",
                      occurred_at=T0 - timedelta(days=10), terms={"en": terms},
                      candidate_from=T0 - timedelta(days=40),
                      candidate_until=T0 + timedelta(days=40))
                for key, terms in event_terms(events)
            )
            (elapsed,) = timed_ms(lambda: link_statements(statements), 1)
            raise _Rollback
    except _Rollback:
        pass
    return elapsed


def figures(config: Config) -> list[Figure]:
    event = _world()
    client = Client(HTTP_HOST="127.0.0.1")
    page_url = reverse("event-detail", args=[event.slug])
    json_url = reverse("event-timeline-json", args=[event.slug])
    results: dict[int, dict] = {}
    rows: list[Figure] = []
    loaded = LINKED
    for size in (config.small, config.large):
        _bulk_load(loaded, size)
        loaded = size
        at = results[size] = {}
        at["page"] = _timeline(client, page_url)
        at["json"] = _timeline(client, json_url)
        print(f"  {size:,}: page {at['page'][0]:.0f} ms, {at['page'][1]} queries; "
              f"JSON {at['json'][0]:.0f} ms, {at['json'][1]} queries", flush=True)
        at["search"] = {label: _search(params) for label, params in QUERIES}
        if size == config.small:
            statements = list(Statement.objects.order_by("pk")[: config.match_statements])
            at["match"] = {n: _match(statements, n) for n in (10, config.many_events)}
    small, large = results[config.small], results[config.large]
    sizes = f"{config.large:,} vs {config.small:,}"
    for kind in ("page", "json"):
        s, big = small[kind], large[kind]
        rows.append(Figure(f"timeline {kind} at {config.large:,} statements vs "
                           f"{config.small:,}", big[0], "ms", target=1.3,
                           peer=f"{s[0]:.0f} ms", ratio=big[0] / s[0],
                           detail=f"{big[2] / 1000:.0f} KB"))
        rows.append(Figure(f"timeline {kind} query count at {config.large:,} (= at "
                           f"{config.small:,})", big[1], "queries", target=float(s[1]),
                           peer=f"{s[1]} queries"))
    rows.append(Figure(f"timeline page at {config.large:,} statements", large["page"][0], "ms",
                       target=150.0))
    per_query = []
    for label, _ in QUERIES:
        s_med, _, s_count = small["search"][label]
        l_med, l_worst, l_count = large["search"][label]
        per_query.append(Figure(f"search {label}", l_med, "ms", peer=f"{s_med:.0f} ms",
                                ratio=l_med / s_med,
                                detail=f"{s_count:,} / {l_count:,} hits, worst {l_worst:.0f} ms"))
    s_median = median([v[0] for v in small["search"].values()])
    l_median = median([v[0] for v in large["search"].values()])
    s_worst = max(v[1] for v in small["search"].values())
    l_worst = max(v[1] for v in large["search"].values())
    rows.append(Figure(f"search: median of the ten queries, {sizes}", l_median, "ms",
                       target=3.0, peer=f"{s_median:.0f} ms", ratio=l_median / s_median))
    rows.append(Figure(f"search: worst of the ten queries, {sizes}", l_worst, "ms",
                       target=3.0, peer=f"{s_worst:.0f} ms", ratio=l_worst / s_worst))
    rows += per_query
    few, many = small["match"][10], small["match"][config.many_events]
    rows.append(Figure(f"match {config.match_statements:,} statements: {config.many_events:,} "
                       "events vs 10", many, "ms", target=2.0, peer=f"{few:.0f} ms",
                       ratio=many / few))
    return rows


def timeline_path() -> str:
    return reverse("event-detail", args=[EVENT_SLUG])

