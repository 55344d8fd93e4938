"""A source's life from the site: create, poll now, pause, resume.

Polling is queued as the fetch_source task once the transaction commits.
"""

from __future__ import annotations

from datetime import datetime
from functools import partial

from django.conf import settings
from django.db import transaction

from actors.models import Actor
from config.celery import enqueue
from statements.models import (
    Source,
)


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
    with transaction.atomic():
        # The lease poll_due_sources takes, so the next beat does not queue it twice.
        Source.objects.filter(pk=source.pk).update(next_poll_at=now + settings.FEED_POLL_INTERVAL)
        _queue_fetch(source.pk)


def pause_source(*, source: Source) -> None:
    Source.objects.filter(pk=source.pk).update(is_active=False)


def resume_source(*, source: Source, now: datetime) -> None:
    # Due at the next beat: a feed that was off has news to catch up on.
    Source.objects.filter(pk=source.pk).update(is_active=True, next_poll_at=now)


def _queue_fetch(source_id: int) -> None:
    transaction.on_commit(partial(enqueue, "statements.tasks.fetch_source", source_id))
