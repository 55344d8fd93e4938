"""The demo: the sample data set, with its feeds ingested through the real pipeline.

`load_sample` imports `sample/dataset.json`, then polls every active source
under the sample feeds' base URL with `ingest.poll_source`, exactly as the
Celery task would: fetch, parse, attribute, store, link, record coverage.

The feeds are files in settings.SAMPLE_FEEDS_DIR, addressed as
`http://127.0.0.1:<port>/sample-feeds/<file>` (SAMPLE_FEEDS_BASE_URL; `make run
PORT=8765` sets it), where the development server serves them
(statements/web/urls.py). `load_sample` runs before that server is up, so it
serves the same directory on the same address itself, from a temporary
threaded HTTP server, for as long as the polls take. If the port is taken it
refuses, saying so: whatever answers there is not known to be these files, and
statuses computed from another server's answers would be wrong without a sign.

Fetching from 127.0.0.1 needs FEED_ALLOW_PRIVATE_HOSTS: the guard against
feeds on private addresses stays on unless the environment says otherwise.
"""

from __future__ import annotations

import errno
import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.db.models import Count
from django.utils import timezone

from actors.models import Actor, ActorGroup
from statements.curation.datasets import ImportReport, import_dataset, read_dataset_file
from statements.ingest import pipeline as ingest
from statements.models import Event, EventLink, FetchAttempt, Source, Statement

# The address the sample data set names its feeds by. SAMPLE_FEEDS_BASE_URL
# may move them elsewhere (a test on a free port); the data set's URLs are
# then rewritten on import.
CANONICAL_BASE_URL = "http://127.0.0.1:8000/sample-feeds/"
DATASET_PATH = settings.BASE_DIR / "sample" / "dataset.json"

# The file names statements/urls.py serves; nothing else is reachable.
_FEED_FILE = re.compile(r"^[\w.-]+$")
_LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1"}


class SampleError(Exception):
    """The sample cannot be loaded; the message says what to do about it."""


def sample_feeds_base_url() -> str:
    base = settings.SAMPLE_FEEDS_BASE_URL or CANONICAL_BASE_URL
    return base if base.endswith("/") else base + "/"


def sample_dataset(*, base_url: str | None = None, path: Path = DATASET_PATH) -> dict[str, Any]:
    """The sample data set, its feed URLs moved under `base_url`."""
    base_url = base_url or sample_feeds_base_url()
    data = read_dataset_file(path)
    for source in data.get("sources") or []:
        url = source.get("url", "")
        if isinstance(url, str) and url.startswith(CANONICAL_BASE_URL):
            source["url"] = base_url + url[len(CANONICAL_BASE_URL):]
    return data


@dataclass
class SourcePoll:
    source: Source
    attempt: FetchAttempt
    links: int = 0

    @property
    def name(self) -> str:
        return self.source.url.rsplit("/", 1)[-1]

    def describe(self) -> str:
        a = self.attempt
        status = f"HTTP {a.http_status}" if a.http_status else "no response"
        Outcome = FetchAttempt.Outcome
        if a.outcome == Outcome.ERROR:
            return f"{self.name}: FAILED ({status}): {a.error}"
        if a.outcome == Outcome.OK:
            line = f"{self.name}: {a.entries_seen} entries, {a.entries_new} new ({status})"
        elif a.outcome == Outcome.NOT_MODIFIED:
            line = f"{self.name}: not modified ({status})"
        else:
            line = f"{self.name}: unchanged ({status})"
        if a.warning:
            line += f"; warning: {a.warning}"
        return line


@dataclass
class SampleReport:
    imported: ImportReport
    served_by: str  # "temporary server" or "existing server"
    base_url: str
    polls: list[SourcePoll] = field(default_factory=list)
    links_before: int = 0
    links_after: int = 0

    @property
    def failed(self) -> list[SourcePoll]:
        return [p for p in self.polls if p.attempt.outcome == FetchAttempt.Outcome.ERROR]

    @property
    def statements_new(self) -> int:
        return sum(p.attempt.entries_new for p in self.polls)

    @property
    def links_new(self) -> int:
        return self.links_after - self.links_before


def load_sample(
    *, base_url: str | None = None, log: Callable[[str], None] = lambda line: None
) -> SampleReport:
    """Import the sample data set and ingest its feeds through the real pipeline."""
    if not settings.FEED_ALLOW_PRIVATE_HOSTS:
        raise SampleError(
            "The sample feeds are served from 127.0.0.1, and fetching from loopback "
            "addresses is refused unless FEED_ALLOW_PRIVATE_HOSTS is set. Run "
            "`FEED_ALLOW_PRIVATE_HOSTS=1 python manage.py load_sample` (make run does)."
        )

    base_url = base_url or sample_feeds_base_url()
    # The port first: a busy one is refused before anything is imported.
    with serve_sample_feeds(base_url=base_url) as how:
        imported = import_dataset(sample_dataset(base_url=base_url))
        log(f"Imported {DATASET_PATH.name}: {imported.summary()}")
        sources = list(Source.objects.active().filter(url__startswith=base_url).order_by("url"))
        links_before = _sample_links(base_url)
        report = SampleReport(imported=imported, served_by=how, base_url=base_url,
                              links_before=links_before)
        log(f"Feeds served by the {how} at {base_url}")
        for source in sources:
            attempt = ingest.poll_source(source=source, now=timezone.now())
            poll = SourcePoll(source=source, attempt=attempt)
            report.polls.append(poll)
            log("  " + poll.describe())
    report.links_after = _sample_links(base_url)
    counts = dict(
        EventLink.objects.filter(statement__source__url__startswith=base_url)
        .values_list("statement__source").annotate(n=Count("pk"))
    )
    for poll in report.polls:
        poll.links = counts.get(poll.source.pk, 0)
    return report


def _sample_links(base_url: str) -> int:
    return EventLink.objects.filter(statement__source__url__startswith=base_url).count()


def sample_totals(base_url: str | None = None) -> dict[str, int]:
    base_url = base_url or sample_feeds_base_url()
    return {
        "actors": Actor.objects.count(),
        "groups": ActorGroup.objects.count(),
        "events": Event.objects.count(),
        "sources": Source.objects.filter(url__startswith=base_url).count(),
        "statements": Statement.objects.filter(source__url__startswith=base_url).count(),
        "links": _sample_links(base_url),
    }


# --- Serving the feeds ----------------------------------------------------------


class _SampleFeedHandler(SimpleHTTPRequestHandler):
    """GET/HEAD /<prefix>/<file> from the feeds folder, with Last-Modified and 304s.

    SimpleHTTPRequestHandler already answers If-Modified-Since with 304, so a
    second load_sample polls like a second visit to a real feed.
    """

    prefix = "/sample-feeds/"

    def send_head(self):
        path = self.path.split("?", 1)[0]
        name = path[len(self.prefix):] if path.startswith(self.prefix) else ""
        if not _FEED_FILE.match(name) or not (Path(self.directory) / name).is_file():
            self.send_error(404, "No such sample feed")
            return None
        self.path = "/" + name
        return super().send_head()

    def guess_type(self, path):
        # No charset: the XML prolog declares each feed's encoding (one is
        # windows-1251), as it does when the development server serves them.
        return "application/xml" if str(path).endswith(".xml") else super().guess_type(path)

    def log_message(self, format, *args):
        pass


@contextmanager
def serve_sample_feeds(*, base_url: str) -> Iterator[str]:
    """Serve SAMPLE_FEEDS_DIR at `base_url` for the duration.

    Yields how the feeds are served: "temporary server" (started here), or
    "remote server" when `base_url` is not on this machine (nothing to start).
    A taken port is a SampleError naming the port and the way out.
    """
    parts = urlsplit(base_url)
    host, port = parts.hostname or "", parts.port or 80
    if host not in _LOOPBACK_HOSTS:
        yield "remote server"
        return
    handler_class = type("SampleFeedHandler", (_SampleFeedHandler,), {
        "prefix": parts.path if parts.path.endswith("/") else parts.path + "/",
    })
    handler = partial(handler_class, directory=str(settings.SAMPLE_FEEDS_DIR))
    try:
        server = ThreadingHTTPServer((host, port), handler)
    except OSError as exc:
        if exc.errno != errno.EADDRINUSE:
            raise SampleError(f"Cannot serve the sample feeds on {host}:{port}: {exc}") from None
        raise SampleError(
            f"Port {port} on {host} is already in use, so the sample feeds cannot be served "
            f"at {base_url}. Stop what listens there (a development server started "
            f"earlier?), or use another port for the demo and its feeds: "
            f"`make run PORT={port + 1}`, or SAMPLE_FEEDS_BASE_URL="
            f"http://{host}:{port + 1}/sample-feeds/ for load_sample alone."
        ) from None
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, name="sample-feeds", daemon=True)
    thread.start()
    try:
        yield "temporary server"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)

