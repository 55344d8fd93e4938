"""Politeness holds across workers (the counters live in Redis): one fetch per host
at a time, spaced; 429/503 Retry-After honoured (capped) by every worker; the
polling interval follows a feed's rhythm, clamped, never under max-age or
Retry-After, with jitter."""

import os
import random
import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
from django.core.cache import cache

from statements.ingest import politeness
from statements.ingest.pipeline import poll_source
from statements.models import FetchAttempt, Source, Statement

TEST_REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
RSS = (
    b'<rss version="2.0"><channel><title>Polite</title>'
    b"<item><guid>{n}</guid><title>Entry</title>"
    b"<pubDate>Mon, 05 Jan 2026 10:00:00 GMT</pubDate></item></channel></rss>"
)


@pytest.fixture
def shared_cache(settings):
    """The counters in Redis, as in production (shared by every worker)."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": TEST_REDIS_URL,
            "KEY_PREFIX": f"politeness-test-{os.getpid()}-{time.monotonic_ns()}",
        }
    }
    yield cache
    cache.clear()


@pytest.mark.django_db(transaction=True)
def test_two_workers_never_fetch_one_host_at_once_and_keep_the_spacing(
    feed_server, shared_cache, settings
):
    settings.FEED_HOST_SPACING_SECONDS = 0.5
    a = Source.objects.create(url=feed_server.serve("/a.xml", RSS.replace(b"{n}", b"a"), delay=0.6))
    b = Source.objects.create(url=feed_server.serve("/b.xml", RSS.replace(b"{n}", b"b"), delay=0.6))
    spans = {}

    def poll(source):
        started = time.monotonic()
        poll_source(source=source)
        spans[source.pk] = (started, time.monotonic())

    threads = [threading.Thread(target=poll, args=(s,)) for s in (a, b)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert Statement.objects.filter(source__in=[a, b]).count() == 2
    first_start = min(start for start, _ in spans.values())
    last_end = max(end for _, end in spans.values())
    # Whichever went second waited for the first to end, then for the spacing.
    assert last_end - first_start >= 0.6 + 0.5 + 0.6 - 0.05


@pytest.mark.django_db(transaction=True)
def test_retry_after_is_honoured_by_this_source_and_every_other_on_the_host(
    feed_server, shared_cache
):
    limited = Source.objects.create(
        url=feed_server.serve("/limited.xml", b"slow down", status=429,
                              headers={"Retry-After": "120"})
    )
    other = feed_server.serve("/other.xml", RSS.replace(b"{n}", b"o"))
    neighbour = Source.objects.create(url=other)

    attempt = poll_source(source=limited)
    assert attempt.http_status == 429
    limited.refresh_from_db()
    assert limited.next_poll_at >= attempt.started_at + timedelta(seconds=120)

    second = poll_source(source=neighbour)
    assert second.outcome == FetchAttempt.Outcome.ERROR
    assert "asked us to wait" in second.error
    assert feed_server.requests_to("/other.xml") == []


def test_retry_after_is_capped(settings):
    settings.FEED_MAX_RETRY_AFTER = timedelta(hours=6)
    assert politeness.hold_off("capped.example", 10**9) == 6 * 3600


def hourly(n):
    start = datetime(2026, 1, 5, tzinfo=UTC)
    return [start + timedelta(hours=i) for i in range(n)]


def test_the_interval_follows_the_feeds_rhythm_with_jitter():
    delays = {politeness.next_poll_delay(published=hourly(10), rng=random.Random(seed))
              for seed in range(20)}
    # Half the median gap (30 min), ±10 %.
    assert all(timedelta(minutes=27) <= d <= timedelta(minutes=33) for d in delays)
    assert len(delays) > 10


def test_the_interval_is_clamped(settings):
    settings.FEED_MIN_POLL_INTERVAL = timedelta(minutes=5)
    settings.FEED_MAX_POLL_INTERVAL = timedelta(hours=6)
    every_minute = [datetime(2026, 1, 5, tzinfo=UTC) + timedelta(minutes=i) for i in range(10)]
    yearly = [datetime(2020 + i, 1, 1, tzinfo=UTC) for i in range(5)]
    assert politeness.next_poll_delay(published=every_minute) >= timedelta(minutes=4.5)
    assert politeness.next_poll_delay(published=yearly) <= timedelta(hours=6.6)


def test_the_interval_never_undercuts_max_age_or_retry_after():
    assert politeness.next_poll_delay(
        published=hourly(10), cache_control="public, max-age=7200"
    ) >= timedelta(hours=2)
    assert politeness.next_poll_delay(published=hourly(10), retry_after=5000) >= timedelta(
        seconds=5000
    )


@pytest.mark.django_db
def test_a_poll_sets_the_adaptive_interval(feed_server):
    items = "".join(
        f"<item><guid>{i}</guid><title>t{i}</title>"
        f"<pubDate>Mon, 05 Jan 2026 {i:02d}:00:00 GMT</pubDate></item>"
        for i in range(0, 24, 4)
    )
    body = f'<rss version="2.0"><channel><title>Four-hourly</title>{items}</channel></rss>'
    source = Source.objects.create(url=feed_server.serve("/4h.xml", body))

    attempt = poll_source(source=source)

    delay = source.next_poll_at - attempt.started_at
    assert timedelta(hours=1.8) <= delay <= timedelta(hours=2.2)
