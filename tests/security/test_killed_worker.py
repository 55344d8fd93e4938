"""A worker killed mid-fetch loses nothing: its task comes back within a minute.

A real `celery worker` (against a redis-server of the test's own) takes a fetch
whose server stalls; the test SIGKILLs the worker in the middle of it, starts a
new one, and then every entry is stored exactly once, with the interrupted poll
recorded, well within a minute. Before: redelivery waited for Redis's default
visibility timeout (an hour), and nothing said a poll had died.
"""

import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import quote

import pytest
from celery import Celery
from django.conf import settings as django_settings
from django.db import connection

from statements.models import FetchAttempt, Source, Statement
from tests.security.hostile import HostileServer, OwnRedis, wait_until

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

FEED = (
    b'<rss version="2.0"><channel><title>Survivor</title>'
    b"<item><guid>one</guid><title>One</title>"
    b"<pubDate>Mon, 05 Jan 2026 10:00:00 GMT</pubDate></item>"
    b"<item><guid>two</guid><title>Two</title>"
    b"<pubDate>Mon, 05 Jan 2026 11:00:00 GMT</pubDate></item>"
    b"</channel></rss>"
)


def start_worker(redis_url: str, log) -> subprocess.Popen:
    db = connection.settings_dict
    user = quote(db["USER"] or "") + (f":{quote(db['PASSWORD'])}" if db["PASSWORD"] else "")
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": f"postgres://{user}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/"
                        f"{db['NAME']}",
        "REDIS_URL": redis_url,
        "FEED_ALLOW_PRIVATE_HOSTS": "1",
        # Short deadlines keep the test short; production: 20 s and 45 s.
        "FEED_TIMEOUT_SECONDS": "8",
        "CELERY_TASK_VISIBILITY_SECONDS": "12",
    }
    env.pop("TEST_DATABASE_NAME", None)
    return subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool=solo",
         "--loglevel=INFO", "--without-gossip", "--without-mingle", "--without-heartbeat",
         "--hostname", f"killed-{os.getpid()}-{time.monotonic_ns()}@%h"],
        cwd=django_settings.BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT,
    )


def test_a_worker_killed_mid_fetch_loses_nothing():
    own_redis = OwnRedis()
    own_redis.start()
    server = HostileServer().start()
    calls = []
    first_arrived = threading.Event()

    def feed(send, stopping):
        calls.append(time.monotonic())
        if len(calls) == 1:
            first_arrived.set()
            stopping.wait(60)  # stalls: the worker is mid-fetch when it is killed
            return
        send(b"HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml\r\n"
             b"Content-Length: %d\r\n\r\n" % len(FEED) + FEED)

    source = Source.objects.create(url=server.answer("/feed.xml", feed))
    log = tempfile.NamedTemporaryFile(prefix="killed-worker-", suffix=".log", delete=False)
    client = Celery("killed-worker-test", broker=own_redis.url)
    first = start_worker(own_redis.url, log)
    second = None
    try:
        client.send_task("statements.tasks.fetch_source", args=[source.pk])
        assert first_arrived.wait(30), Path(log.name).read_text()[-3000:]
        os.kill(first.pid, signal.SIGKILL)
        first.wait(timeout=10)
        killed_at = time.monotonic()
        second = start_worker(own_redis.url, log)

        stored = wait_until(
            lambda: Statement.objects.filter(source=source).count() == 2, timeout=60
        )

        assert stored, Path(log.name).read_text()[-3000:]
        assert time.monotonic() - killed_at < 60
        time.sleep(1)  # nothing more arrives: each entry once
        assert sorted(Statement.objects.filter(source=source).values_list("entry_id", flat=True)) \
            == ["one", "two"]
        attempts = list(FetchAttempt.objects.filter(source=source).order_by("started_at"))
        Outcome = FetchAttempt.Outcome
        assert [a.outcome for a in attempts] == [Outcome.ERROR, Outcome.OK]
        assert attempts[0].error.startswith("Interrupted: the worker stopped")
    finally:
        for worker in (first, second):
            if worker is not None and worker.poll() is None:
                worker.kill()
                worker.wait(timeout=10)
        client.close()
        server.stop()
        own_redis.stop()
        log.close()
        os.unlink(log.name)
