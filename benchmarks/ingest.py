"""Ingest against its peers: feedparser alone, `reader`, the project's poll and Celery worker.

Each round, interleaved so that the machine's load hits every contender alike:
feedparser alone on the feeds' bytes (its defaults, as `reader` calls it, and
the project's call with sanitize_html=False); `reader`'s update_feeds() into
SQLite with one worker, in its own Python 3.12 venv; the project's
`manage.py poll --all` from an empty database (one process), then its
re-polls: the server answering 304, the server ignoring validators (the body
hash), the server changing every body by one comment while no entry changes;
finally a Celery worker at concurrency 2 draining one fetch task per feed.
Both child processes time their own work (`poll --all`, `update_feeds()`),
leaving out interpreter start-up and imports alike. The figures are medians over the rounds.
"""

from __future__ import annotations

import io
import os
import signal
import subprocess
import tempfile
import time
from datetime import timedelta
from pathlib import Path

import feedparser
from django.db import connection

from actors.models import Actor, Alias
from benchmarks.common import PYTHON, ROOT, Config, Figure, child_env, median, run_timed
from benchmarks.feeds import T0, FeedServer, make_feeds
from benchmarks.matching import event_terms
from statements.models import (
    CoverageInterval,
    Event,
    EventLink,
    FetchAttempt,
    Source,
    Statement,
)

READER_VERSION = "3.27"
READER_PYTHON = "/root/.pyenv/versions/3.12.1/bin/python"
READER_VENV = ROOT / "benchmarks" / ".reader-venv"
DRIVER = ROOT / "benchmarks" / "_reader_driver.py"
POLL_DRIVER = ROOT / "benchmarks" / "_poll_driver.py"


def reader_python() -> Path:
    """The venv with `reader` from PyPI, made on first use (reader needs Python ≥ 3.11)."""
    python = READER_VENV / "bin" / "python"
    if not python.exists():
        subprocess.run([READER_PYTHON, "-m", "venv", str(READER_VENV)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "--quiet",
                        f"reader=={READER_VERSION}"], check=True)
    return python


def _world(feed_count: int) -> None:
    """Speakers, and the ten published events a real deployment matches against."""
    ministries = [
        Actor(slug=f"bench-ministry-{n}", name=f"Bench ministry {n}", kind=Actor.Kind.INSTITUTION)
        for n in range(feed_count)
    ]
    Actor.objects.bulk_create(ministries)
    lavrov = Actor.objects.create(slug="bench-lavrov", name="Sergey Lavrov",
                                  kind=Actor.Kind.PERSON)
    for text, lang in (("Lavrov", "en"), ("Sergey Lavrov", "en"), ("Лавров", "ru"),
                       ("Сергей Лавров", "ru")):
        Alias.objects.create(actor=lavrov, text=text, lang=lang)
    named = [
        {"en": ["Venezuela", "Maduro"], "ru": ["Венесуэла", "Мадуро"]},
        {"en": ["sanctions"], "ru": ["санкции"]},
        {"en": ["armed aggression", "strikes on civilian infrastructure"],
         "ru": ["удары по гражданской инфраструктуре"]},
    ]
    made_up = [{"en": terms} for _, terms in event_terms(10 - len(named) + 1)[1:]]
    for n, terms in enumerate(named + made_up):
        Event.objects.create(slug=f"bench-ingest-{n}", title=f"Bench event {n}",
                             occurred_at=T0 - timedelta(hours=80 - 5 * n), terms=terms)


def _reset(server: FeedServer, feeds) -> None:
    """An empty archive and one source per feed, as before a first poll."""
    tables = [m._meta.db_table for m in (EventLink, CoverageInterval, FetchAttempt)]
    history = getattr(Statement, "history", None)
    if history is not None:
        tables.append(history.model._meta.db_table)
    tables += [Statement._meta.db_table, Source._meta.db_table]
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE")
    ministries = {a.slug: a for a in Actor.objects.filter(slug__startswith="bench-ministry-")}
    Source.objects.bulk_create(
        Source(url=server.url(feed), actor=ministries[f"bench-ministry-{feed.number}"],
               language=feed.language)
        for feed in feeds
    )


def _feedparser_alone(feeds, **options) -> float:
    started = time.perf_counter()
    for feed in feeds:
        feedparser.parse(io.BytesIO(feed.body),
                         response_headers={"content-type": "application/rss+xml; charset=utf-8"},
                         **options)
    return time.perf_counter() - started


def _reader(server: FeedServer, feeds, python: Path) -> tuple[float, str]:
    with tempfile.TemporaryDirectory() as tmp:
        urls = Path(tmp) / "urls.txt"
        urls.write_text("\n".join(server.url(feed) for feed in feeds))
        server.mode = "etag"
        _, out = run_timed([str(python), str(DRIVER), str(Path(tmp) / "reader.sqlite"),
                            str(urls)], env=dict(os.environ))
    elapsed, entries, errors = out.split()
    return float(elapsed), f"{int(entries):,} entries, {errors} errors"


def _poll_all(config: Config) -> float:
    _, out = run_timed([PYTHON, str(POLL_DRIVER)], env=child_env(config))
    return float(out.split()[-1])


class CeleryWorker:
    """`celery worker --concurrency 2` against the bench's Redis database, started and stopped."""

    def __init__(self, config: Config, log: Path):
        import redis

        redis.Redis.from_url(config.redis_url).flushdb()
        self.log = log
        self._file = log.open("w")
        self.process = subprocess.Popen(
            [PYTHON, "-m", "celery", "-A", "config", "worker", "--concurrency", "2",
             "--pool", "prefork", "--loglevel", "INFO", "-n", f"bench-{os.getpid()}@%h",
             "--without-gossip", "--without-mingle", "--without-heartbeat"],
            cwd=ROOT, env=child_env(config, REDIS_URL=config.redis_url),
            stdout=self._file, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + 120
        while " ready." not in log.read_text():
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"the Celery worker did not start:\n{log.read_text()[-3000:]}")
            time.sleep(0.2)

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self._file.close()


def _celery_drain(config: Config, server: FeedServer, feeds) -> float:
    from celery import Celery

    _reset(server, feeds)
    server.mode = "etag"
    with tempfile.TemporaryDirectory() as tmp:
        worker = CeleryWorker(config, Path(tmp) / "worker.log")
        try:
            app = Celery("bench", broker=config.redis_url)
            ids = list(Source.objects.order_by("pk").values_list("pk", flat=True))
            started = time.perf_counter()
            for pk in ids:
                app.send_task("statements.tasks.fetch_source", args=[pk])
            deadline = time.monotonic() + 1_800
            while FetchAttempt.objects.count() < len(ids):
                if time.monotonic() > deadline or worker.process.poll() is not None:
                    raise RuntimeError(f"the worker did not drain the tasks:\n"
                                       f"{worker.log.read_text()[-3000:]}")
                time.sleep(0.1)
            elapsed = time.perf_counter() - started
        finally:
            worker.stop()
    return elapsed


def figures(config: Config) -> list[Figure]:
    feeds = make_feeds(config.feeds, config.entries)
    megabytes = sum(len(f.body) for f in feeds) / 1e6
    entries = config.feeds * config.entries
    server = FeedServer(feeds)
    _world(config.feeds)
    use_reader = "reader" not in config.skip
    python = reader_python() if use_reader else None
    runs: dict[str, list[float]] = {}

    def note(key: str, value: float) -> None:
        runs.setdefault(key, []).append(value)
        print(f"  {key}: {value:.2f} s", flush=True)

    stored = 0
    reader_out = ""
    try:
        for round_number in range(config.rounds):
            print(f"  round {round_number + 1} of {config.rounds}", flush=True)
            note("feedparser", _feedparser_alone(feeds))
            note("feedparser-nosanitize", _feedparser_alone(feeds, sanitize_html=False))
            if python is not None:
                elapsed, reader_out = _reader(server, feeds, python)
                note("reader", elapsed)
            _reset(server, feeds)
            server.mode = "etag"
            note("first", _poll_all(config))
            stored = Statement.objects.count()
            note("304", _poll_all(config))
            server.mode = "ignore"
            note("hash", _poll_all(config))
            server.mode = "drift"
            note("drift", _poll_all(config))
            if "celery" not in config.skip:
                note("celery", _celery_drain(config, server, feeds))
    finally:
        server.close()

    m = {key: median(values) for key, values in runs.items()}
    first, fp = m["first"], m["feedparser"]
    what = f"{config.feeds} feeds × {config.entries} entries, {megabytes:.1f} MB"
    rows = [
        Figure("ingest peer: feedparser alone, its defaults", fp, "s", detail=what),
        Figure("ingest peer: feedparser alone, sanitize_html=False",
               m["feedparser-nosanitize"], "s"),
        Figure("ingest: poll --all first poll (1 process) vs feedparser defaults", first, "s",
               target=1.5, peer=f"feedparser {fp:.1f} s", ratio=first / fp,
               detail=f"{stored:,} of {entries:,} stored, {entries / first:,.0f} entries/s"),
    ]
    if "reader" in m:
        rd = m["reader"]
        rows.append(Figure(f"reader {READER_VERSION} update_feeds(), 1 worker, SQLite", rd, "s",
                           detail=reader_out))
        rows.append(Figure("reader: poll --all first poll vs reader", first, "s", target=0.75,
                           peer=f"reader {rd:.1f} s", ratio=first / rd))
        if "celery" in m:
            rows.append(Figure("reader: Celery worker, concurrency 2, vs reader", m["celery"],
                               "s", target=0.5, peer=f"reader {rd:.1f} s",
                               ratio=m["celery"] / rd))
    elif "celery" in m:
        rows.append(Figure("ingest: Celery worker, concurrency 2, draining the tasks",
                           m["celery"], "s"))
    peer = f"first poll {first:.1f} s"
    rows += [
        Figure("re-poll: server answers 304", m["304"], "s", target=0.05, peer=peer,
               ratio=m["304"] / first),
        Figure("re-poll: server ignores validators (body hash)", m["hash"], "s", target=0.05,
               peer=peer, ratio=m["hash"] / first),
        Figure("re-poll: every body changed by a comment, no entry changed", m["drift"], "s",
               target=0.2, peer=peer, ratio=m["drift"] / first),
    ]
    return rows
