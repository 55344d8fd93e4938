"""Politeness towards the servers we poll, across every worker on every machine.

The counters live in Django's cache, which is Redis in production (REDIS_URL),
so all workers share them:

- `host_turn(host)`: a context manager; while it is held no other fetch from any
  worker goes to `host`, and consecutive fetches to a host are at least
  FEED_HOST_SPACING_SECONDS apart. A killed worker's hold runs out after a lease
  longer than any one fetch.
- `hold_off(host, seconds)`: a 429/503 Retry-After (capped at FEED_MAX_RETRY_AFTER)
  keeps every fetch away from the host until then.
- `next_poll_delay(...)`: the adaptive polling interval: follows how often the
  feed publishes, clamped to [FEED_MIN_POLL_INTERVAL, FEED_MAX_POLL_INTERVAL],
  never shorter than the server's Cache-Control max-age or Retry-After, with
  ±10 % jitter so sources added together drift apart.

If the cache itself is unreachable the fetch goes ahead unthrottled (and says so
in the log): a Redis outage must not stop ingestion that no longer needs it.
"""

from __future__ import annotations

import logging
import random
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

from django.conf import settings
from django.core.cache import cache

logger = logging.getLogger(__name__)


class HostBusy(Exception):
    """The host's turn did not come before the caller's deadline."""


def _busy_key(host: str) -> str:
    return f"politeness:busy:{host.lower()}"


def _next_key(host: str) -> str:
    return f"politeness:next:{host.lower()}"


@contextmanager
def host_turn(
    host: str, *, wait_up_to: float | None = None, sleep=time.sleep
) -> Iterator[None]:
    """Wait for `host`'s turn (no fetch to it in flight anywhere, spacing kept)."""
    lease = settings.FEED_TIMEOUT_SECONDS + 30
    give_up = time.monotonic() + (wait_up_to if wait_up_to is not None else lease)
    try:
        while not cache.add(_busy_key(host), 1, timeout=lease):
            if time.monotonic() > give_up:
                raise HostBusy(f"Another fetch from {host} is still running")
            sleep(0.1)
        wait = (cache.get(_next_key(host)) or 0) - time.time()
    except HostBusy:
        raise
    except Exception:  # The cache (Redis) is down: go ahead, unthrottled.
        logger.warning("Politeness counters unreachable; fetching %s unthrottled", host)
        yield
        return
    try:
        if wait > 0:
            if time.monotonic() + wait > give_up:
                raise HostBusy(f"{host} asked us to wait {wait:.0f} s more")
            sleep(wait)
        yield
    finally:
        try:
            spacing = settings.FEED_HOST_SPACING_SECONDS
            not_before = max(cache.get(_next_key(host)) or 0, time.time() + spacing)
            cache.set(_next_key(host), not_before, timeout=int(max(spacing, 1)) + 3600)
            cache.delete(_busy_key(host))
        except Exception:
            logger.warning("Politeness counters unreachable after fetching %s", host)


def hold_off(host: str, seconds: float) -> float:
    """Keep every worker away from `host` for `seconds` (capped); returns the wait used."""
    seconds = min(max(seconds, 0), settings.FEED_MAX_RETRY_AFTER.total_seconds())
    try:
        until = max(cache.get(_next_key(host)) or 0, time.time() + seconds)
        cache.set(_next_key(host), until, timeout=int(seconds) + 3600)
    except Exception:
        logger.warning("Politeness counters unreachable; Retry-After of %s not shared", host)
    return seconds


_MAX_AGE = re.compile(r"(?:^|,)\s*(?:s-)?max-age\s*=\s*\"?(\d{1,10})", re.IGNORECASE)


def max_age(cache_control: str) -> int | None:
    found = [int(m) for m in _MAX_AGE.findall(cache_control or "")]
    return max(found) if found else None


def next_poll_delay(
    *,
    published: list[datetime],
    cache_control: str = "",
    retry_after: float | None = None,
    rng: random.Random | None = None,
) -> timedelta:
    """How long until the next poll of a feed that published at `published` times.

    Half the median gap between its recent entries (a feed posting hourly is
    polled every half hour), clamped; never below the server's max-age or
    Retry-After (capped); ±10 % jitter.
    """
    rng = rng or random
    if not settings.FEED_ADAPTIVE_POLLING:
        return settings.FEED_POLL_INTERVAL
    low, high = settings.FEED_MIN_POLL_INTERVAL, settings.FEED_MAX_POLL_INTERVAL
    recent = sorted({p for p in published}, reverse=True)[:20]
    gaps = sorted(
        (a - b).total_seconds() for a, b in zip(recent, recent[1:], strict=False) if a > b
    )
    if gaps:
        wanted = timedelta(seconds=gaps[len(gaps) // 2] / 2)
    else:
        wanted = settings.FEED_POLL_INTERVAL
    wanted = min(max(wanted, low), high)
    wanted = wanted * rng.uniform(0.9, 1.1)
    floor = timedelta(0)
    age = max_age(cache_control)
    if age is not None:
        floor = max(floor, timedelta(seconds=min(age, high.total_seconds())))
    if retry_after is not None:
        floor = max(floor, min(timedelta(seconds=retry_after), settings.FEED_MAX_RETRY_AFTER))
    return max(wanted, floor)
