"""The Celery tasks: claiming due sources, and a real worker fetching through Redis.

The `worker` tests start `celery -A config worker` as a subprocess against
the Redis at TEST_REDIS_URL and the test database, queue tasks through a
Celery client bound to that Redis, and wait (bounded) for what the worker
stores. An unreachable Redis fails them: it is part of the system under test.
"""

import os
import subprocess
import sys
import tempfile
from datetime import timedelta
from pathlib import Path
from urllib.parse import quote

import pytest
import redis
from celery import Celery
from django.conf import settings as django_settings
from django.db import connection
from django.utils import timezone

from statements import tasks
from statements.models import FetchAttempt, Source, Statement
from tests.feedserver import wait_for

FEEDS = Path(__file__).parent.parent / "feeds"
TEST_REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


# --- The tasks, run in-process ------------------------------------------------


def test_poll_due_sources_claims_any_number_of_sources_in_the_same_queries(
    db, django_capture_on_commit_callbacks, django_assert_max_num_queries
):
    def make(n, prefix):
        for i in range(n):
            Source.objects.create(url=f"https://x.example.org/{prefix}/{i}")

    make(2, "few")
    with django_capture_on_commit_callbacks() as few, \
            django_assert_max_num_queries(4) as few_queries:
        assert tasks.poll_due_sources() == 2
    make(30, "many")
    with django_capture_on_commit_callbacks() as many, \
            django_assert_max_num_queries(4) as many_queries:
        assert tasks.poll_due_sources() == 30
    assert (len(few), len(many)) == (2, 30)
    assert len(few_queries.captured_queries) == len(many_queries.captured_queries)


def test_poll_due_sources_claims_each_due_source_once(
    feed_server, db, settings, django_capture_on_commit_callbacks
):
    now = timezone.now()
    due = Source.objects.create(url=feed_server.serve("/due", FEEDS / "rss20.xml"))
    overdue = Source.objects.create(
        url=feed_server.serve("/overdue", FEEDS / "rdf10.xml"),
        next_poll_at=now - timedelta(hours=1),
    )
    Source.objects.create(url="https://x.example.org/later", next_poll_at=now + timedelta(hours=1))
    Source.objects.create(url="https://x.example.org/off", is_active=False)

    with django_capture_on_commit_callbacks() as queued:
        assert tasks.poll_due_sources() == 2
    # A second beat while those fetches wait in the queue finds nothing due.
    with django_capture_on_commit_callbacks() as queued_again:
        assert tasks.poll_due_sources() == 0

    assert len(queued) == 2 and queued_again == []
    for source in (due, overdue):
        source.refresh_from_db()
        assert source.next_poll_at >= now + settings.FEED_POLL_INTERVAL
    # Eager here (no REDIS_URL): running the queued callbacks fetches.
    for callback in queued:
        callback()
    assert Statement.objects.filter(source=due).count() == 3
    assert Statement.objects.filter(source=overdue).count() == 2


@pytest.mark.smoke
def test_fetch_source_polls_by_id(feed_server, db):
    source = Source.objects.create(url=feed_server.serve("/rss.xml", FEEDS / "rss20.xml"))

    assert tasks.fetch_source(source.pk) == FetchAttempt.Outcome.OK

    assert Statement.objects.filter(source=source).count() == 3


def test_fetch_source_skips_missing_and_inactive_sources(feed_server, db):
    inactive = Source.objects.create(
        url=feed_server.serve("/rss.xml", FEEDS / "rss20.xml"), is_active=False
    )

    assert tasks.fetch_source(inactive.pk) is None
    assert tasks.fetch_source(999_999) is None
    assert feed_server.requests == []


# --- A real worker ------------------------------------------------------------


@pytest.fixture(scope="module")
def celery_client():
    try:
        redis.Redis.from_url(TEST_REDIS_URL, socket_connect_timeout=3).ping()
    except redis.RedisError as exc:
        pytest.fail(f"Redis is not reachable at {TEST_REDIS_URL} (TEST_REDIS_URL): {exc}")
    app = Celery("ingest-worker-tests", broker=TEST_REDIS_URL)
    app.conf.task_serializer = "json"
    # Messages left by an earlier, interrupted run would point at other rows.
    app.control.purge()
    yield app
    app.close()


@pytest.fixture(scope="module")
def celery_worker(django_db_setup, django_db_blocker, celery_client):
    db = connection.settings_dict  # NAME is the test database's by now
    credentials = quote(db["USER"] or "") + (f":{quote(db['PASSWORD'])}" if db["PASSWORD"] else "")
    database_url = (
        f"postgres://{credentials}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    )
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": database_url,
        "REDIS_URL": TEST_REDIS_URL,
        "FEED_ALLOW_PRIVATE_HOSTS": "1",
    }
    env.pop("TEST_DATABASE_NAME", None)
    log = tempfile.NamedTemporaryFile(prefix="celery-worker-", suffix=".log", delete=False)
    process = subprocess.Popen(
        [
            sys.executable, "-m", "celery", "-A", "config", "worker",
            "--pool=solo", "--loglevel=INFO",
            "--without-gossip", "--without-mingle", "--without-heartbeat",
            "--hostname", f"ingest-tests-{os.getpid()}@%h",
        ],
        cwd=django_settings.BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    process.log_path = log.name
    yield process
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    log.close()
    os.unlink(log.name)


def worker_log(process) -> str:
    return Path(process.log_path).read_text(errors="replace")[-4000:]


def wait_for_worker(process, predicate, *, timeout: float = 60) -> None:
    """Wait until `predicate()` holds; fail at once, with the log, if the worker died."""
    done = wait_for(lambda: process.poll() is not None or predicate(), timeout=timeout)
    if process.poll() is not None:
        pytest.fail(f"the worker exited with {process.returncode}; its log:\n{worker_log(process)}")
    assert done, f"nothing stored in {timeout:g} s; the worker's log:\n{worker_log(process)}"


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_worker_fetches_a_source_queued_through_redis(feed_server, celery_client, celery_worker):
    source = Source.objects.create(url=feed_server.serve("/rss.xml", FEEDS / "rss20.xml"))

    celery_client.send_task("statements.tasks.fetch_source", args=[source.pk])

    wait_for_worker(
        celery_worker,
        lambda: Statement.objects.filter(source=source).count() == 3
        and FetchAttempt.objects.filter(source=source).exists(),
    )
    attempt = FetchAttempt.objects.get(source=source)
    assert (attempt.outcome, attempt.entries_new) == (FetchAttempt.Outcome.OK, 3)


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_worker_runs_the_beat_task_and_the_fetches_it_queues(
    feed_server, celery_client, celery_worker
):
    source = Source.objects.create(url=feed_server.serve("/rdf", FEEDS / "rdf10.xml"))

    celery_client.send_task("statements.tasks.poll_due_sources")

    wait_for_worker(celery_worker, lambda: Statement.objects.filter(source=source).count() == 2)
    source.refresh_from_db()
    assert source.last_success_at is not None
    assert source.next_poll_at > timezone.now()
