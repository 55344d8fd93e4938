"""Celery tasks: each loads by id and calls a service; the logic lives in the services."""

from __future__ import annotations

import logging
from datetime import datetime
from functools import partial

from celery import shared_task
from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from statements.alerts import delivery as alerts
from statements.editorial import decisions as editorial
from statements.ingest import backfill, preview, revisions
from statements.ingest import linking as matching
from statements.ingest import pipeline as ingest
from statements.models import Event, Source

logger = logging.getLogger(__name__)


@shared_task
def poll_due_sources() -> int:
    """Queue a fetch for every source whose next poll time has come; returns how many."""
    now = timezone.now()
    # While a fetch waits in the queue or runs, the source must not look due to
    # the next beat. poll_source sets the real next poll time when it ends;
    # if the worker dies instead, the source is tried again after this lease.
    lease_until = now + settings.FEED_POLL_INTERVAL
    with transaction.atomic():
        # Two queries whatever the number of sources. Rows another beat holds are
        # skipped, not waited for: of two beats racing, each source goes to one.
        claimed = list(
            Source.objects.due(now)
            .select_for_update(skip_locked=True)
            .values_list("pk", flat=True)
        )
        Source.objects.filter(pk__in=claimed).update(next_poll_at=lease_until)
        for source_id in claimed:
            transaction.on_commit(partial(fetch_source.delay, source_id))
    return len(claimed)


@shared_task
def fetch_source(source_id: int) -> str | None:
    source = Source.objects.active().filter(pk=source_id).first()
    if source is None:
        logger.info("Source #%s is gone or inactive; nothing to fetch", source_id)
        return None
    # A claim in Redis outlives a worker killed mid-fetch: when the message is
    # redelivered (acks late, see CELERY_TASK_VISIBILITY_SECONDS), the poll that
    # died is recorded as interrupted before the source is polled again.
    claim = f"fetch-claim:{source_id}"
    interrupted_at = _cache_call(cache.get, claim)
    if interrupted_at:
        ingest.record_interrupted_poll(
            source=source, started_at=datetime.fromisoformat(interrupted_at)
        )
    _cache_call(cache.set, claim, timezone.now().isoformat(),
                timeout=10 * settings.CELERY_TASK_VISIBILITY_SECONDS)
    try:
        return ingest.poll_source(source=source).outcome
    finally:
        _cache_call(cache.delete, claim)


def _cache_call(method, *args, **kwargs):
    try:
        return method(*args, **kwargs)
    except Exception:  # The claim is a courtesy; an unreachable cache must not stop a poll.
        logger.warning("Fetch claims unreachable in the cache")
        return None


@shared_task
def rematch_event(event_id: int) -> None:
    event = Event.objects.filter(pk=event_id).first()
    if event is None:
        logger.info("Event #%s is gone; nothing to re-match", event_id)
        return
    matching.rematch_event(event)


@shared_task
def queue_silence_reviews() -> int:
    """Put each expected (event, actor) pair whose window just closed unanswered in the queue."""
    return editorial.queue_silence_reviews(now=timezone.now())


@shared_task
def send_alerts() -> int:
    """Deliver each subscribed occurrence once (e-mail and the personal Atom feed)."""
    return alerts.deliver_alerts(now=timezone.now())


@shared_task
def preview_feed(*, token: str, url: str, actor_id: int | None, language: str) -> None:
    """Fetch a feed an admin is testing, store nothing, keep the preview for the page."""
    preview.run_feed_preview(token=token, url=url, actor_id=actor_id, language=language,
                             now=timezone.now())


@shared_task
def backfill_source(source_id: int, until: str | None = None, max_pages: int | None = None):
    """Walk a source's archive pages (resumable: a re-queued task continues)."""
    source = Source.objects.filter(pk=source_id).first()
    if source is None:
        logger.info("Source #%s is gone; nothing to backfill", source_id)
        return None
    until_at = datetime.fromisoformat(until) if until else None
    try:
        return backfill.run_backfill(source=source, until=until_at, max_pages=max_pages).state
    except backfill.BackfillBusy as exc:
        logger.info("%s", exc)
        return "busy"


@shared_task
def recheck_removals() -> int:
    """Fetch the own address of a few statements their feed stopped listing; count removals."""
    return sum(1 for check in revisions.recheck_removals(now=timezone.now()) if check.removed)
