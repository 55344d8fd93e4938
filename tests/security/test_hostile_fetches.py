"""Work one fetch can cause is bounded: memory, bytes and time, whatever the server sends.

Each fetch runs in a child process under a 1 GiB address-space limit; the test
asserts the error an admin would see, the child's peak memory and its wall time.
"""

import functools
import zlib

import pytest

from tests.security.hostile import HostileServer, run_bounded, trickle

FETCH = """
from statements.ingest.fetching import FetchError, fetch_feed
try:
    body = fetch_feed(url={url!r}).body
    result["ok"] = len(body)
except FetchError as exc:
    result["error"] = str(exc)
"""

ENV = {"FEED_ALLOW_PRIVATE_HOSTS": "1", "FEED_TIMEOUT_SECONDS": "4", "FEED_MAX_BYTES": "5242880"}


@pytest.fixture
def hostile():
    server = HostileServer().start()
    yield server
    server.stop()


def fetch_in_child(url: str) -> dict:
    outcome = run_bounded(FETCH.format(url=url), memory_mb=1024, timeout=60, env=ENV)
    assert "crashed" not in outcome, outcome
    return outcome


@functools.cache
def gzip_of_zeros(mebibytes: int) -> bytes:
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)
    block = bytes(1 << 20)
    return b"".join(packer.compress(block) for _ in range(mebibytes)) + packer.flush()


def gzip_bytes(data: bytes) -> bytes:
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)
    return packer.compress(data) + packer.flush()


def headers(encoding: str, length: int | None = None) -> bytes:
    lines = ["HTTP/1.1 200 OK", "Content-Type: application/rss+xml"]
    if encoding:
        lines.append(f"Content-Encoding: {encoding}")
    lines.append(f"Content-Length: {length}" if length is not None else "Connection: close")
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def test_a_body_encoded_twice_is_refused_without_inflating_it(hostile):
    # 1 GiB of zeros, gzipped twice: a couple of kilobytes on the wire.
    twice = gzip_bytes(gzip_of_zeros(1024))
    assert len(twice) < 20_000

    def script(send, stopping):
        send(headers("gzip, gzip", len(twice)) + twice)

    outcome = fetch_in_child(hostile.answer("/twice", script))

    assert outcome["error"] == "Refused: the response is encoded more than once (gzip, gzip)"
    assert outcome["grew_mb"] < 100
    assert outcome["seconds"] < 3


def test_a_gzip_bomb_stops_at_the_size_cap_with_bounded_memory(hostile):
    bomb = gzip_of_zeros(1024)  # ~1 MB on the wire, 1 GiB decoded

    def script(send, stopping):
        send(headers("gzip", len(bomb)) + bomb)

    outcome = fetch_in_child(hostile.answer("/bomb", script))

    assert outcome["error"] == "Response larger than 5 MB"
    assert outcome["grew_mb"] < 100
    assert outcome["seconds"] < 3


def endless(encoding: str, prefix: bytes, filler: bytes):
    def script(send, stopping):
        send(headers(encoding) + prefix)
        while not stopping.is_set():
            send(filler)

    return script


def test_a_gzip_header_comment_that_never_ends_stops_at_the_wire_cap(hostile):
    # Magic, deflate, FCOMMENT set, mtime, xfl, os; then a comment with no NUL, ever.
    header = b"\x1f\x8b\x08\x10\x00\x00\x00\x00\x00\x03"
    outcome = fetch_in_child(hostile.answer("/comment", endless("gzip", header, b"a" * 65536)))

    assert outcome["error"] == "Response larger than 5 MB"
    assert outcome["grew_mb"] < 100
    assert outcome["seconds"] < 4.5


def test_a_deflate_stream_of_empty_blocks_stops_at_the_wire_cap(hostile):
    # zlib header, then empty non-final stored blocks (LEN 0, NLEN 0xffff) forever.
    empty_blocks = b"\x00\x00\x00\xff\xff" * 13107
    outcome = fetch_in_child(
        hostile.answer("/empty-blocks", endless("deflate", b"\x78\x9c", empty_blocks))
    )

    assert outcome["error"] == "Response larger than 5 MB"
    assert outcome["grew_mb"] < 100
    assert outcome["seconds"] < 4.5


def test_headers_trickled_a_byte_at_a_time_meet_the_total_deadline(hostile):
    def script(send, stopping):
        send(b"HTTP/1.1 200 OK\r\n")
        trickle(b"X-Slow: " + b"a" * 10_000, every=0.2, stopping=stopping, send=send)

    outcome = fetch_in_child(hostile.answer("/slow-headers", script))

    assert outcome["error"] == "Timed out after 4 s"
    assert outcome["seconds"] < 5


def test_a_body_trickled_a_byte_at_a_time_meets_the_total_deadline(hostile):
    def script(send, stopping):
        send(headers(""))
        trickle(b"<rss>" + b" " * 10_000, every=0.2, stopping=stopping, send=send)

    outcome = fetch_in_child(hostile.answer("/slow-body", script))

    assert outcome["error"] == "Timed out after 4 s"
    assert outcome["seconds"] < 5


def test_one_gzip_layer_is_still_read(hostile):
    feed = b"<rss><channel><item><title>t</title></item></channel></rss>" * 100
    packed = gzip_bytes(feed)

    def script(send, stopping):
        send(headers("gzip", len(packed)) + packed)

    assert fetch_in_child(hostile.answer("/ok", script))["ok"] == len(feed)
