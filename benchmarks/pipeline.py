"""Ingestion and reading: a feed polled through the pipeline, and a busy event's timeline.

A 500-entry RSS feed is served on loopback and polled with poll_source (fetch,
parse, sanitise, attribute, bulk insert, link, record coverage), then polled
again (a 304). Then an event with many actors and linked statements is read
the way its page is: statuses, ladders, evidence, swimlane (event_timeline),
and the page itself through Django's test client.
"""

from __future__ import annotations

import statistics
import threading
import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from django.conf import settings
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from actors.models import Actor
from statements.ingest.pipeline import poll_source
from statements.models import Event, EventLink, Source, Statement
from statements.timeline.selector import event_timeline

T0 = datetime(2026, 1, 3, 6, tzinfo=UTC)
FEED_ENTRIES = 500


def _feed(entries: int) -> bytes:
    items = []
    for i in range(entries):
        published = format_datetime(T0 - timedelta(hours=entries - i))
        about = "Venezuela" if i % 10 == 0 else "trade and energy cooperation"
        items.append(
            f"<item><guid>urn:bench:{i}</guid><title>Statement {i} on {about}</title>"
            f"<link>https://bench.invalid/{i}</link><pubDate>{published}</pubDate>"
            f"<description><![CDATA[<p>We note with concern the situation; {about}. "
            f"<script>alert(1)</script>Paragraph {i}.</p>]]></description></item>"
        )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        "<title>Bench</title><link>https://bench.invalid/</link>"
        + "".join(items)
        + "</channel></rss>"
    ).encode()


def _serve(body: bytes) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            if self.headers.get("If-None-Match") == '"v1"':
                self.send_response(304)
                self.end_headers()
                return
            self.send_response(200)
            self.send_header("Content-Type", "application/rss+xml")
            self.send_header("ETag", '"v1"')
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def _timed(fn, repeats=1):
    times, result = [], None
    for _ in range(repeats):
        started = time.perf_counter()
        result = fn()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), result


def _busy_event(actors: int, statements_per_actor: int) -> Event:
    state = Actor.objects.create(slug="bench-state", name="Bench state", kind="state")
    bodies = [
        Actor.objects.create(slug=f"bench-{i}", name=f"Bench actor {i}", kind="institution",
                             parent=state)
        for i in range(actors)
    ]
    event = Event.objects.create(slug="bench-event", title="Bench event", occurred_at=T0,
                                 terms={"en": ["Venezuela"]})
    event.expected_actors.set(bodies)
    rows = [
        Statement(actor=body, attribution="feed_default", entry_id=f"b-{body.pk}-{j}",
                  title=f"On Venezuela {j}", published_at=T0 + timedelta(hours=j * 3),
                  content_hash=str(j))
        for body in bodies for j in range(statements_per_actor)
    ]
    Statement.objects.bulk_create(rows)
    EventLink.objects.bulk_create(
        EventLink(event=event, statement=s, stance="concern", intensity=1) for s in rows
    )
    return event


def run() -> list[dict]:
    settings.FEED_ALLOW_PRIVATE_HOSTS = True
    server = _serve(_feed(FEED_ENTRIES))
    source = Source.objects.create(url=f"http://127.0.0.1:{server.server_port}/feed.xml")
    Event.objects.create(slug="bench-venezuela", title="Bench", occurred_at=T0,
                         terms={"en": ["Venezuela"]})
    rows = []
    first_ms, attempt = _timed(lambda: poll_source(source=source))
    rows.append({"measure": f"first poll of a {FEED_ENTRIES}-entry feed",
                 "ms": first_ms, "detail": f"{attempt.entries_new} stored, "
                 f"{FEED_ENTRIES / first_ms * 1000:,.0f} entries/s"})
    again_ms, attempt = _timed(lambda: poll_source(source=source), repeats=5)
    rows.append({"measure": "poll of an unchanged feed (304)", "ms": again_ms,
                 "detail": attempt.outcome})
    server.shutdown()

    client = Client(HTTP_HOST="127.0.0.1")
    now = T0 + timedelta(days=60)
    for actors, per_actor in ((10, 5), (50, 20)):
        Event.objects.filter(slug="bench-event").delete()
        Statement.objects.filter(entry_id__startswith="b-").delete()
        Actor.objects.filter(slug__startswith="bench-").exclude(slug="bench-state").delete()
        Actor.objects.filter(slug="bench-state").delete()
        event = _busy_event(actors, per_actor)
        select_ms, _ = _timed(lambda e=event: event_timeline(event=e, now=now), repeats=5)
        with CaptureQueriesContext(connection) as queries:
            page_ms, response = _timed(
                lambda: client.get("/events/bench-event/"), repeats=5)
        label = f"{actors} actors, {actors * per_actor:,} statements"
        rows.append({"measure": f"timeline selector, {label}", "ms": select_ms, "detail": ""})
        rows.append({"measure": f"timeline page, {label}", "ms": page_ms,
                     "detail": f"HTTP {response.status_code}, "
                               f"{len(queries.captured_queries) // 5} queries"})
    return rows
