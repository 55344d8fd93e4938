"""A source's life from the site: create, poll now, pause, resume.

Polling is queued as the fetch_source task once the transaction commits.
"""

from __future__ import annotations

import logging
from datetime import datetime
from functools import partial

from django.conf import settings
from django.db import transaction

from actors.models import Actor
from config.celery import QueueUnavailable, enqueue
from statements.models import (
    Source,
)

logger = logging.getLogger(__name__)


class CurationError(ValueError):
    """An action refused for a reason the admin can act on; the message says which."""


def create_source(*, url: str, title: str, actor: Actor | None, language: str,
                  is_partial: bool, is_active: bool = True) -> Source:
    """Save a new source; an active one gets its first poll queued once this commits."""
    with transaction.atomic():
        source = Source.objects.create(url=url, title=title, actor=actor, language=language,
                                       is_partial=is_partial, is_active=is_active)
        if is_active:
            _queue_fetch(source.pk)
    return source


def poll_now(*, source: Source, now: datetime) -> None:
    if not source.is_active:
        raise CurationError(f"{source} is paused: resume it to poll it.")
    # Queued first: with the broker down nothing happens, and the source's next
    # poll is not pushed out for a poll that never runs.
    try:
        enqueue("statements.tasks.fetch_source", source.pk)
    except QueueUnavailable:
        raise CurationError(
            f"The task queue is unreachable: “{source}” was not polled and nothing was "
            "changed. Try again in a minute."
        ) from None
    # The lease poll_due_sources takes, so the next beat does not queue it twice
    # (if the fetch has already ended, it set a later time itself).
    Source.objects.filter(pk=source.pk).exclude(last_attempt_at__gte=now).update(
        next_poll_at=now + settings.FEED_POLL_INTERVAL
    )


def pause_source(*, source: Source) -> None:
    Source.objects.filter(pk=source.pk).update(is_active=False)


def resume_source(*, source: Source, now: datetime) -> None:
    # Due at the next beat: a feed that was off has news to catch up on.
    Source.objects.filter(pk=source.pk).update(is_active=True, next_poll_at=now)


def _queue_fetch(source_id: int) -> None:
    transaction.on_commit(partial(_try_to_queue_fetch, source_id))


def _try_to_queue_fetch(source_id: int) -> None:
    # The source is saved by now and due (no next poll time): if the broker is down,
    # the beat queues it once Redis is back. Saving must not report an error.
    try:
        enqueue("statements.tasks.fetch_source", source_id)
    except QueueUnavailable:
        logger.warning("Source #%s saved; its first poll waits for the task queue", source_id)
