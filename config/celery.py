"""The Celery application: broker from REDIS_URL, or eager in-process tasks without it."""

import os

from celery import Celery
from kombu.exceptions import OperationalError

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("tracker")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


def enqueue(task_name: str, /, *args, **kwargs):
    """Queue the task registered under `task_name` (eagerly run without a broker).

    Domain code names the job it wants done instead of importing statements.tasks,
    which imports the domain: dependencies keep pointing one way, from the tasks down.
    The registry finds the task because autodiscover_tasks() loads every app's tasks.
    Raises QueueUnavailable when the broker cannot be reached, so a caller can say
    that the job did not happen (and change nothing) instead of answering 500.
    """
    if task_name not in app.tasks:
        # Outside a worker nothing has run autodiscovery yet: this fires it (every
        # installed app's tasks module is imported), as the worker does at start.
        app.loader.import_default_modules()
    try:
        return app.tasks[task_name].delay(*args, **kwargs)
    except (OperationalError, ConnectionError, OSError) as exc:
        raise QueueUnavailable(
            f"the task queue is unreachable ({exc.__class__.__name__})"
        ) from exc


class QueueUnavailable(RuntimeError):
    """The broker (Redis) did not take the task: nothing was queued."""
