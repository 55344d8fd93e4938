"""Every feed of the shared robustness corpora, served over HTTP and ingested.

settings.FEED_CORPUS_DIR (tests/corpus.py) holds feedparser's own test feeds (well-formed,
ill-formed, encodings, entities, sanitiser cases) and Miniflux's (real
Windows-1251 and KOI8-R feeds, charset/prolog mismatches, large feeds). A
robust ingester stores what each contains, or records a readable error, and
never raises. Files with "http" in their path carry `Header:` lines meant as
HTTP response headers, and are served with them.
"""

import re
from urllib.parse import quote

import pytest

from statements.ingest.pipeline import poll_source
from statements.models import FetchAttempt, Source, Statement
from tests.corpus import CORPUS, require_corpus
from tests.feedserver import FeedServer

NOT_FEEDS = {"README.md", "SOURCE.txt"}
FILES = sorted(
    path.relative_to(CORPUS).as_posix()
    for path in CORPUS.rglob("*")  # nothing when the corpus is absent: see the test below
    if path.is_file() and path.name not in NOT_FEEDS and not path.name.startswith("LICENSE")
)
HEADER_LINE = re.compile(rb"^Header:\s*([A-Za-z0-9-]+):[ \t]*(.*?)\s*$", re.MULTILINE)
# Leftovers of unsafe markup that must never survive sanitising.
UNSAFE = re.compile(
    r"<\s*(script|style|iframe|object|embed|form|meta|link|base)\b|\son\w+\s*=|javascript:|"
    r"vbscript:|\bexpression\s*\(",
    re.IGNORECASE,
)


def test_the_corpus_is_there():
    # A missing corpus must not pass as an empty parametrisation: in CI it fails.
    require_corpus()
    assert len(FILES) > 2000, f"expected the shared corpus at {CORPUS.resolve()}"


@pytest.fixture(scope="module")
def corpus_server():
    server = FeedServer().start()
    yield server
    server.stop()


def response_headers(relative: str, body: bytes) -> dict[str, str]:
    if "http" not in relative:
        # As if read from disk: no Content-Type, so the prolog and BOM decide.
        return {}
    head = body[:2000]
    return {
        name.decode("latin-1"): value.decode("latin-1") for name, value in HEADER_LINE.findall(head)
    }


@pytest.mark.parametrize("relative", FILES)
def test_a_corpus_feed_is_stored_or_refused_readably(corpus_server, db, relative):
    body = (CORPUS / relative).read_bytes()
    path = "/" + quote(relative)
    url = corpus_server.serve(
        path, body, content_type=None, headers=response_headers(relative, body)
    )
    source = Source.objects.create(url=url)

    attempt = poll_source(source=source)

    statements = list(Statement.objects.filter(source=source))
    if attempt.outcome == FetchAttempt.Outcome.OK:
        assert attempt.entries_new == len(statements) > 0
        assert attempt.entries_seen >= attempt.entries_new
        for statement in statements:
            assert statement.published_at.utcoffset().total_seconds() == 0
            assert not UNSAFE.search(statement.body_html), statement.body_html
            assert len(statement.entry_id) <= 500
    else:
        assert attempt.outcome == FetchAttempt.Outcome.ERROR
        assert statements == []
        assert attempt.error and "Traceback" not in attempt.error
        assert len(attempt.error) < 500 and "\n" not in attempt.error, attempt.error
