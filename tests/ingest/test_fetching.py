"""statements.fetching against a real local HTTP server."""

import gzip
import time
from pathlib import Path

import pytest

from statements.ingest import fetching
from statements.ingest.fetching import FetchError, address_problem, fetch_feed

FEEDS = Path(__file__).parent.parent / "feeds"


@pytest.mark.smoke
def test_it_fetches_the_body_with_its_headers(feed_server, settings):
    url = feed_server.serve("/rss.xml", FEEDS / "rss20.xml", etag='"v1"')

    result = fetch_feed(url=url)

    assert result.status == 200
    assert result.body == (FEEDS / "rss20.xml").read_bytes()
    assert result.content_type == "application/rss+xml; charset=utf-8"
    assert result.etag == '"v1"'
    assert result.url == url
    assert result.permanent_redirect_to is None
    assert not result.not_modified
    sent = feed_server.requests_to("/rss.xml")[0].headers
    assert sent["User-Agent"] == settings.FEED_USER_AGENT
    assert "If-None-Match" not in sent


def test_it_keeps_the_host_name_in_the_host_header(feed_server):
    # The connection goes to the checked IP address; the server still sees the name.
    port = feed_server.base_url.rsplit(":", 1)[1]
    feed_server.serve("/rss.xml", "<rss/>")

    fetch_feed(url=f"http://localhost:{port}/rss.xml")

    assert feed_server.requests_to("/rss.xml")[0].headers["Host"] == f"localhost:{port}"


def test_it_sends_the_validators_and_reports_304(feed_server):
    modified = "Sat, 03 Jan 2026 12:00:00 GMT"
    url = feed_server.serve("/rss.xml", "<rss/>", etag='"v1"', last_modified=modified)

    result = fetch_feed(url=url, etag='"v1"', last_modified=modified)

    assert result.not_modified
    assert result.status == 304
    assert result.body == b""
    sent = feed_server.requests_to("/rss.xml")[0].headers
    assert sent["If-None-Match"] == '"v1"'
    assert sent["If-Modified-Since"] == modified


def test_it_answers_304_on_last_modified_alone(feed_server):
    modified = "Sat, 03 Jan 2026 12:00:00 GMT"
    url = feed_server.serve("/rss.xml", "<rss/>", last_modified=modified)

    assert fetch_feed(url=url, last_modified=modified).not_modified
    assert not fetch_feed(url=url, last_modified="Fri, 02 Jan 2026 12:00:00 GMT").not_modified


def test_a_chain_of_permanent_redirects_reports_the_new_url(feed_server):
    feed_server.redirect("/old", "/older-still", status=301)
    feed_server.redirect("/older-still", "/new", status=308)
    new_url = feed_server.serve("/new", "<rss/>")

    result = fetch_feed(url=feed_server.url("/old"))

    assert result.status == 200
    assert result.url == new_url
    assert result.permanent_redirect_to == new_url


def test_a_temporary_redirect_is_followed_but_not_reported_as_a_move(feed_server):
    feed_server.redirect("/feed", "/today", status=302)
    today = feed_server.serve("/today", "<rss/>")

    result = fetch_feed(url=feed_server.url("/feed"))

    assert result.url == today
    assert result.permanent_redirect_to is None


def test_a_move_is_only_as_permanent_as_its_permanent_prefix(feed_server):
    # /a moved for good to /b; /b only visits /c today.
    feed_server.redirect("/a", "/b", status=301)
    feed_server.redirect("/b", "/c", status=307)
    feed_server.redirect("/c", "/d", status=301)
    feed_server.serve("/d", "<rss/>")

    result = fetch_feed(url=feed_server.url("/a"))

    assert result.permanent_redirect_to == feed_server.url("/b")
    assert result.url == feed_server.url("/d")


def test_it_follows_relative_locations(feed_server):
    feed_server.serve("/dir/feed", status=301, content_type=None, headers={"Location": "other"})
    feed_server.serve("/dir/other", "<rss/>")

    assert fetch_feed(url=feed_server.url("/dir/feed")).url == feed_server.url("/dir/other")


def test_it_gives_up_after_the_maximum_number_of_redirects(feed_server, settings):
    settings.FEED_MAX_REDIRECTS = 2
    feed_server.redirect("/1", "/2")
    feed_server.redirect("/2", "/3")
    feed_server.redirect("/3", "/4")
    feed_server.serve("/4", "<rss/>")

    with pytest.raises(FetchError, match=r"^Too many redirects \(more than 2\)$"):
        fetch_feed(url=feed_server.url("/1"))
    assert feed_server.requests_to("/4") == []


def test_a_redirect_loop_ends(feed_server):
    feed_server.redirect("/a", "/b", status=302)
    feed_server.redirect("/b", "/a", status=302)

    with pytest.raises(FetchError, match="Too many redirects"):
        fetch_feed(url=feed_server.url("/a"))


@pytest.mark.parametrize(
    ("status", "message"),
    [(404, "HTTP 404 Not Found"), (500, "HTTP 500 Internal Server Error"), (410, "HTTP 410 Gone")],
)
def test_http_errors_have_readable_messages(feed_server, status, message):
    url = feed_server.serve("/feed", "oops", status=status, content_type="text/plain")

    with pytest.raises(FetchError) as caught:
        fetch_feed(url=url)

    assert str(caught.value) == message
    assert caught.value.http_status == status


def test_an_unknown_route_is_a_404(feed_server):
    with pytest.raises(FetchError, match="^HTTP 404 Not Found$"):
        fetch_feed(url=feed_server.url("/nowhere"))


def test_a_stalled_server_times_out(feed_server, settings):
    settings.FEED_TIMEOUT_SECONDS = 1
    url = feed_server.serve("/slow", "<rss/>", delay=5)

    started = time.monotonic()
    with pytest.raises(FetchError, match=r"^Timed out after 1 s$"):
        fetch_feed(url=url)
    assert time.monotonic() - started < 3


def test_a_server_dripping_bytes_hits_the_total_deadline(feed_server, settings):
    # Each piece arrives well within the read timeout; the whole never does.
    settings.FEED_TIMEOUT_SECONDS = 1
    url = feed_server.serve("/drip", b"x" * 40, chunk_size=1, drip=0.1)

    started = time.monotonic()
    with pytest.raises(FetchError, match=r"^Timed out after 1 s$"):
        fetch_feed(url=url)
    assert time.monotonic() - started < 3


def test_a_declared_oversized_body_is_refused(feed_server, settings):
    url = feed_server.serve("/big", b"x" * (settings.FEED_MAX_BYTES + 1))

    with pytest.raises(FetchError, match=r"^Response larger than 5 MB$") as caught:
        fetch_feed(url=url)
    assert caught.value.http_status == 200


def test_an_oversized_body_without_a_length_is_refused_while_streaming(feed_server, settings):
    settings.FEED_MAX_BYTES = 10 * 1024
    url = feed_server.serve("/big", b"<rss>" + b" " * 50_000 + b"</rss>", chunk_size=4096)

    with pytest.raises(FetchError, match=r"^Response larger than 10 KB$"):
        fetch_feed(url=url)


def test_the_size_cap_counts_decompressed_bytes(feed_server, settings):
    settings.FEED_MAX_BYTES = 10 * 1024
    bomb = gzip.compress(b" " * 1_000_000)
    assert len(bomb) < settings.FEED_MAX_BYTES
    url = feed_server.serve("/bomb", bomb, headers={"Content-Encoding": "gzip"})

    with pytest.raises(FetchError, match="Response larger than 10 KB"):
        fetch_feed(url=url)


def test_gzip_bodies_are_decompressed(feed_server):
    body = (FEEDS / "atom10.xml").read_bytes()
    url = feed_server.serve("/atom", gzip.compress(body), headers={"Content-Encoding": "gzip"})

    assert fetch_feed(url=url).body == body


def test_private_addresses_are_refused_unless_allowed(feed_server, settings):
    settings.FEED_ALLOW_PRIVATE_HOSTS = False
    url = feed_server.serve("/rss.xml", "<rss/>")

    with pytest.raises(FetchError, match=r"^Refused: 127\.0\.0\.1 is a loopback address$"):
        fetch_feed(url=url)
    assert feed_server.requests == []


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://10.0.0.1/feed", "Refused: 10.0.0.1 is a private address"),
        ("http://169.254.169.254/latest", "Refused: 169.254.169.254 is a link-local address"),
        ("http://[::1]:8000/feed", "Refused: ::1 is a loopback address"),
        ("http://0.0.0.0/feed", "Refused: 0.0.0.0 is an unspecified address"),
        ("http://[::ffff:192.168.0.1]/feed", "Refused: ::ffff:192.168.0.1 is a private address"),
    ],
)
def test_the_guard_checks_the_resolved_address(settings, url, message):
    settings.FEED_ALLOW_PRIVATE_HOSTS = False

    with pytest.raises(FetchError) as caught:
        fetch_feed(url=url)

    assert str(caught.value) == message


def test_every_redirect_hop_is_checked(feed_server, settings, monkeypatch):
    # Let the test server's own loopback address through, as if it were
    # public, to see that the hop it redirects to is still checked.
    settings.FEED_ALLOW_PRIVATE_HOSTS = False
    real_check = fetching.address_problem
    monkeypatch.setattr(
        fetching, "address_problem", lambda a: None if a == "127.0.0.1" else real_check(a)
    )
    feed_server.redirect("/feed", "http://10.1.2.3/internal-admin", status=302)

    with pytest.raises(FetchError, match=r"^Refused: 10\.1\.2\.3 is a private address$"):
        fetch_feed(url=feed_server.url("/feed"))


@pytest.mark.parametrize(
    "address", ["8.8.8.8", "2001:4860:4860::8888", "93.184.216.34"]
)
def test_public_addresses_pass_the_guard(address):
    assert address_problem(address) is None


@pytest.mark.parametrize(
    ("address", "problem"),
    [
        ("127.0.0.1", "a loopback address"),
        ("10.0.0.1", "a private address"),
        ("172.16.5.4", "a private address"),
        ("192.168.1.1", "a private address"),
        ("fd00::1", "a private address"),
        ("169.254.169.254", "a link-local address"),
        ("fe80::1%eth0", "a link-local address"),
        ("224.0.0.1", "a multicast address"),
        ("240.0.0.1", "a reserved address"),
        ("0.0.0.0", "an unspecified address"),
        ("100.64.0.1", "not a public address"),
    ],
)
def test_non_public_addresses_fail_the_guard(address, problem):
    assert address_problem(address) == problem


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("ftp://example.org/feed.xml", "Refused: only http and https URLs are fetched"),
        ("file:///etc/passwd", "Refused: only http and https URLs are fetched"),
        ("http:///feed", "Invalid URL"),
    ],
)
def test_only_web_urls_are_fetched(url, message):
    with pytest.raises(FetchError, match=f"^{message}"):
        fetch_feed(url=url)


def test_a_redirect_to_a_file_url_is_refused(feed_server):
    feed_server.redirect("/feed", "file:///etc/passwd", status=302)

    with pytest.raises(FetchError, match="Refused: only http and https URLs are fetched"):
        fetch_feed(url=feed_server.url("/feed"))


def test_a_closed_port_is_a_connection_error(feed_server):
    port = feed_server.base_url.rsplit(":", 1)[1]
    feed_server.stop()

    with pytest.raises(FetchError, match=r"^Could not connect to 127\.0\.0\.1: "):
        fetch_feed(url=f"http://127.0.0.1:{port}/feed")


def test_an_unknown_host_is_a_resolution_error():
    with pytest.raises(FetchError, match=r"^Could not resolve host no-such-host\.invalid"):
        fetch_feed(url="http://no-such-host.invalid/feed")
