"""A real HTTP server on 127.0.0.1 for feed tests, configured route by route.

    def test_it_polls(feed_server):
        url = feed_server.serve("/feed.xml", FEEDS / "rss20.xml", etag='"v1"')
        ...
        assert feed_server.requests_to("/feed.xml")[-1].headers["If-None-Match"] == '"v1"'

Routes answer with a body and headers, honour ETag/If-None-Match and
Last-Modified/If-Modified-Since with 304, redirect, fail with any status,
stall (longer than a test's reduced FEED_TIMEOUT_SECONDS), drip bytes slowly,
or stream a body without Content-Length. Every request is logged.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest


@dataclass
class Route:
    body: bytes = b""
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    etag: str | None = None
    last_modified: str | None = None
    # Seconds to wait before answering (a stalled server).
    delay: float = 0.0
    # Send the body in pieces this size, `drip` seconds apart, without a
    # Content-Length: a server that keeps a slow fetch alive, or a body whose
    # size is only known by reading it.
    chunk_size: int | None = None
    drip: float = 0.0


@dataclass(frozen=True)
class LoggedRequest:
    path: str
    headers: dict[str, str]


class FeedServer:
    def __init__(self):
        self.routes: dict[str, Route] = {}
        self.requests: list[LoggedRequest] = []
        self._stopping = threading.Event()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._httpd.daemon_threads = True
        # A short poll interval keeps shutdown, hence every test's teardown, quick.
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    @property
    def base_url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    def url(self, path: str) -> str:
        return self.base_url + path

    def serve(
        self,
        path: str,
        body: bytes | str | Path = b"",
        *,
        status: int = 200,
        content_type: str | None = "application/rss+xml; charset=utf-8",
        headers: dict[str, str] | None = None,
        **options,
    ) -> str:
        """Answer GET `path` with `body` (bytes, text, or a file to read); returns its URL."""
        if isinstance(body, Path):
            body = body.read_bytes()
        elif isinstance(body, str):
            body = body.encode("utf-8")
        all_headers = {"Content-Type": content_type} if content_type else {}
        all_headers.update(headers or {})
        self.routes[path] = Route(body=body, status=status, headers=all_headers, **options)
        return self.url(path)

    def redirect(self, path: str, to: str, *, status: int = 301) -> str:
        location = to if "://" in to else self.url(to)
        return self.serve(path, status=status, content_type=None, headers={"Location": location})

    def requests_to(self, path: str) -> list[LoggedRequest]:
        return [r for r in self.requests if r.path == path]

    def start(self) -> FeedServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()  # Wakes stalled handlers so shutdown does not wait for them.
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)

    def _wait(self, seconds: float) -> bool:
        """Sleep; False if the server is stopping."""
        return not self._stopping.wait(seconds)


def _handler_for(server: FeedServer):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self):  # noqa: N802 (the name http.server dispatches to)
            server.requests.append(LoggedRequest(path=self.path, headers=dict(self.headers)))
            route = server.routes.get(self.path)
            if route is None:
                return self._send(404, {"Content-Type": "text/plain"}, b"no such route")
            if route.delay and not server._wait(route.delay):
                return
            if self._not_modified(route):
                return self._send(304, self._validators(route), b"", body_allowed=False)
            headers = {**route.headers, **self._validators(route)}
            if route.chunk_size:
                return self._send_in_pieces(route, headers)
            self._send(route.status, headers, route.body)

        def _validators(self, route: Route) -> dict[str, str]:
            found = {}
            if route.etag:
                found["ETag"] = route.etag
            if route.last_modified:
                found["Last-Modified"] = route.last_modified
            return found

        def _not_modified(self, route: Route) -> bool:
            if route.etag and self.headers.get("If-None-Match"):
                tags = [t.strip() for t in self.headers["If-None-Match"].split(",")]
                return route.etag in tags or "*" in tags
            since = self.headers.get("If-Modified-Since")
            if route.last_modified and since:
                try:
                    return parsedate_to_datetime(route.last_modified) <= parsedate_to_datetime(
                        since
                    )
                except (TypeError, ValueError):
                    return False
            return False

        def _send(self, status, headers, body, *, body_allowed=True):
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body) if body_allowed else 0))
            self.end_headers()
            if body_allowed:
                self.wfile.write(body)

        def _send_in_pieces(self, route: Route, headers):
            self.send_response(route.status)
            for name, value in headers.items():
                self.send_header(name, value)
            # HTTP/1.0-style framing: the body ends when the connection closes.
            self.send_header("Connection", "close")
            self.end_headers()
            self.close_connection = True
            for start in range(0, len(route.body), route.chunk_size):
                if route.drip and not server._wait(route.drip):
                    return
                self.wfile.write(route.body[start : start + route.chunk_size])
                self.wfile.flush()

        def handle(self):
            try:
                super().handle()
            except (BrokenPipeError, ConnectionResetError):
                pass  # The client gave up (a timeout or a size cap): expected in tests.

        def log_message(self, format, *args):
            pass

    return Handler


@pytest.fixture
def feed_server():
    """A fresh local feed server per test, stopped afterwards."""
    server = FeedServer().start()
    yield server
    server.stop()


def wait_for(predicate, *, timeout: float, interval: float = 0.2):
    """Poll `predicate` until it returns something truthy or `timeout` passes."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(interval)
