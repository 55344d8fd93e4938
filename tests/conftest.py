"""Shared test set-up.

The suite runs on PostgreSQL (DATABASE_URL) and talks to the real Redis; a
missing service is a failure, never a skip. `pytest -m smoke` is the quick run
that must also pass on the embedded SQLite default.
"""

import pytest
from django.db import connection

from config.celery import app as celery_app
from tests.browser import browser  # noqa: F401  (the machine's Chromium, via Playwright)
from tests.feedserver import feed_server  # noqa: F401  (a local HTTP server for feeds)
from tests.scenarios import build_desk, build_maduro_scenario


def pytest_collection_modifyitems(config, items):
    # Checked once, before any test runs, so a missing database fails loudly.
    if connection.vendor != "postgresql" and config.option.markexpr != "smoke":
        raise pytest.UsageError(
            "The full suite runs on PostgreSQL: set DATABASE_URL "
            "(make test does), or run the SQLite smoke subset with `pytest -m smoke`."
        )


@pytest.fixture(autouse=True)
def _feeds_on_loopback(settings):
    # Test feeds are served from 127.0.0.1; the guard itself has its own tests.
    settings.FEED_ALLOW_PRIVATE_HOSTS = True
    # Every test feed lives on 127.0.0.1, one host: the production spacing between
    # fetches of a host (1 s) would make the corpus alone take half an hour. The
    # politeness tests set their own spacing.
    settings.FEED_HOST_SPACING_SECONDS = 0


@pytest.fixture
def maduro():
    """The founding case (tests/scenarios.py: build_maduro_scenario)."""
    return build_maduro_scenario()


@pytest.fixture
def desk():
    """One closed event with a suggested link, an open flag and a silence to review."""
    return build_desk()


@pytest.fixture
def eager_tasks():
    """Queued Celery tasks run in-process, as the embedded default does (make run)."""
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = previous
