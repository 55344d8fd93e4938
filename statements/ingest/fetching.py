"""Fetching a feed over HTTP, politely and defensively.

A feed URL is user input, so every hop of a fetch is checked: only http and
https, only public addresses (unless FEED_ALLOW_PRIVATE_HOSTS; every block of
IANA's special-purpose registries is refused), one total deadline for the whole
fetch (connect, headers, body, decoding: every socket read is given only what
is left of it), and size limits enforced while the body streams in, on the bytes
from the wire and on the bytes decoded from them (at most one gzip or deflate
layer, decoded incrementally). Errors come out as one `FetchError` whose message
is written for the feed-health page.
"""

from __future__ import annotations

import base64
import functools
import ipaddress
import re
import socket
import ssl
import time
import zlib
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from urllib.parse import urljoin

import httpcore
import httpx
from django.conf import settings

from statements.models import split_url_credentials

REDIRECT_STATUSES = {301, 302, 303, 307, 308}
PERMANENT_REDIRECT_STATUSES = {301, 308}


class FetchError(Exception):
    """A fetch that produced no usable response; the message is shown to admins."""

    def __init__(
        self, message: str, *, http_status: int | None = None, retry_after: int | None = None
    ):
        super().__init__(message)
        self.http_status = http_status
        # Seconds the server asked us to wait (429/503 Retry-After), uncapped.
        self.retry_after = retry_after


@dataclass(frozen=True)
class FetchResult:
    status: int
    body: bytes
    # Lower-cased names; repeated headers joined with ", " (as httpx does).
    headers: dict[str, str] = field(default_factory=dict)
    # Where the body really came from, after redirects.
    url: str = ""
    # Set when the chain of redirects from the requested URL began with
    # permanent ones (301/308): the URL the source should use from now on.
    permanent_redirect_to: str | None = None
    not_modified: bool = False

    @property
    def etag(self) -> str:
        return self.headers.get("etag", "")

    @property
    def last_modified(self) -> str:
        return self.headers.get("last-modified", "")

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "")


def fetch_feed(
    *,
    url: str,
    etag: str = "",
    last_modified: str = "",
    username: str = "",
    password: str = "",
) -> FetchResult:
    """GET `url` conditionally, following at most FEED_MAX_REDIRECTS checked redirects.

    `username`/`password` (kept apart from the URL, see Source.credentials) are
    sent as HTTP Basic only to the origin of `url`, never to a host a redirect
    points at.
    """
    timeout = settings.FEED_TIMEOUT_SECONDS
    deadline = time.monotonic() + timeout
    # Credentials typed into a URL (a preview) are used the same way, and
    # never appear in a message or a log line.
    url, url_username, url_password = split_url_credentials(url)
    username, password = username or url_username, password or url_password
    request_headers = {
        "User-Agent": settings.FEED_USER_AGENT,
        "Accept": _ACCEPT,
        # Only what _Decoder undoes, one layer at a time; never br/zstd.
        "Accept-Encoding": "gzip, deflate",
    }
    origin = _origin(url)
    authorization = ""
    if username or password:
        token = base64.b64encode(f"{username}:{password}".encode()).decode("ascii")
        authorization = f"Basic {token}"
    if etag:
        request_headers["If-None-Match"] = etag
    if last_modified:
        request_headers["If-Modified-Since"] = last_modified

    current = url
    permanent_to: str | None = None
    still_permanent = True
    for _hop in range(settings.FEED_MAX_REDIRECTS + 1):
        hop_headers = dict(request_headers)
        if authorization and _origin(current) == origin:
            hop_headers["Authorization"] = authorization
        status, headers, body = _get_one(
            url=current, headers=hop_headers, deadline=deadline, timeout=timeout
        )
        if status in REDIRECT_STATUSES:
            location = headers.get("location", "").strip()
            if not location:
                raise FetchError(f"HTTP {status} redirect without a Location", http_status=status)
            current = urljoin(current, location)
            # A -301-> B -302-> C: A has moved to B for good; B only visits C.
            if still_permanent and status in PERMANENT_REDIRECT_STATUSES:
                permanent_to = current
            else:
                still_permanent = False
            continue
        if status == 304:
            return FetchResult(
                status=304,
                body=b"",
                headers=headers,
                url=current,
                permanent_redirect_to=permanent_to,
                not_modified=True,
            )
        if not 200 <= status < 300:
            retry_after = None
            if status in (429, 503):
                retry_after = parse_retry_after(headers.get("retry-after", ""))
            raise FetchError(
                f"HTTP {status} {_reason(status)}".rstrip(),
                http_status=status,
                retry_after=retry_after,
            )
        return FetchResult(
            status=status,
            body=body,
            headers=headers,
            url=current,
            permanent_redirect_to=permanent_to,
        )
    raise FetchError(f"Too many redirects (more than {settings.FEED_MAX_REDIRECTS})")


def parse_retry_after(value: str) -> int | None:
    """Retry-After as seconds from now (delta-seconds or an HTTP date), or None."""
    value = (value or "").strip()
    if not value:
        return None
    if value.isdigit():
        return int(value[:12])
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when is None or when.tzinfo is None:
        return None
    return max(0, int(when.timestamp() - time.time()))


def _origin(url: str) -> tuple[str, str, int | None]:
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, ValueError):
        return ("", "", None)
    return (parsed.scheme, parsed.host, parsed.port)


# Feeds first, but anything is accepted: many servers label feeds text/html.
_ACCEPT = (
    "application/rss+xml, application/atom+xml, application/rdf+xml, "
    "application/xml;q=0.9, text/xml;q=0.9, */*;q=0.8"
)


def _get_one(
    *, url: str, headers: dict[str, str], deadline: float, timeout: float
) -> tuple[int, dict[str, str], bytes]:
    """One request without following redirects: (status, headers, body)."""
    try:
        target = httpx.URL(url)
        host = target.host  # Decodes IDNA: a bad "xn--" label fails here.
    except (httpx.InvalidURL, ValueError) as exc:  # UnicodeError is a ValueError.
        raise FetchError(f"Invalid URL {url!r}: {_describe(exc)}") from None
    if target.scheme not in ("http", "https"):
        raise FetchError(f"Refused: only http and https URLs are fetched, not {url!r}")
    if not host:
        raise FetchError(f"Invalid URL {url!r}: no host")

    addresses = _resolve(target)
    last_error: Exception | None = None
    # Connect to the addresses we checked, not to whatever a second DNS lookup
    # returns (DNS rebinding): the URL carries the IP, while the Host header
    # and TLS SNI (which is also what the certificate is verified against)
    # carry the name.
    for address in addresses:
        try:
            return _request_pinned(
                target=target, address=address, headers=headers, deadline=deadline, timeout=timeout
            )
        except httpx.ConnectError as exc:
            last_error = exc
            continue
    raise FetchError(f"Could not connect to {target.host}: {_describe(last_error)}")


def _resolve(target: httpx.URL) -> list[str]:
    host = target.raw_host.decode("ascii")
    port = target.port or (443 if target.scheme == "https" else 80)
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:  # gaierror is an OSError
        raise FetchError(f"Could not resolve host {target.host}: {_describe(exc)}") from None
    addresses = list(dict.fromkeys(info[4][0] for info in infos))
    if not settings.FEED_ALLOW_PRIVATE_HOSTS:
        for address in addresses:
            problem = address_problem(address)
            if problem:
                raise FetchError(f"Refused: {address} is {problem}")
    if not addresses:
        raise FetchError(f"Could not resolve host {target.host}")
    return addresses


# Every block of IANA's IPv4 and IPv6 Special-Purpose Address Registries
# (iana-ipv4-special-registry, iana-ipv6-special-registry), including the ones
# marked globally reachable: none of them serves feeds, several (6to4, NAT64,
# Teredo) tunnel to addresses the checks below could not see. Multicast and
# the rest of what Python's ipaddress does not call global are refused too.
SPECIAL_PURPOSE_BLOCKS = tuple(
    ipaddress.ip_network(block)
    for block in (
        "0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16",
        "172.16.0.0/12", "192.0.0.0/24", "192.0.2.0/24", "192.31.196.0/24",
        "192.52.193.0/24", "192.88.99.0/24", "192.168.0.0/16", "192.175.48.0/24",
        "198.18.0.0/15", "198.51.100.0/24", "203.0.113.0/24", "240.0.0.0/4",
        "255.255.255.255/32",
        "::/128", "::1/128", "::ffff:0:0/96", "64:ff9b::/96", "64:ff9b:1::/48", "100::/64",
        "100:0:0:1::/64", "2001::/23", "2001:db8::/32", "2002::/16", "2620:4f:8000::/48",
        "3fff::/20", "5f00::/16", "fc00::/7", "fe80::/10",
    )
)


def address_problem(address: str) -> str | None:
    """Why a feed may not be fetched from this IP address, or None if it may."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])  # drop an IPv6 zone id
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    # The specific kinds first: most of them also count as "private".
    checks = [
        (ip.is_unspecified, "an unspecified address"),
        (ip.is_loopback, "a loopback address"),
        (ip.is_link_local, "a link-local address"),
        (ip.is_multicast, "a multicast address"),
        (ip.is_reserved, "a reserved address"),
        (ip.is_private, "a private address"),
        # Shared address space (100.64/10), documentation ranges and the like.
        (not ip.is_global, "not a public address"),
        (
            any(ip.version == block.version and ip in block for block in SPECIAL_PURPOSE_BLOCKS),
            "a special-purpose address",
        ),
    ]
    return next((why for bad, why in checks if bad), None)


class _DeadlineStream(httpcore.NetworkStream):
    """A socket whose every read and write gets only what is left of the fetch's deadline.

    httpx's timeouts are per operation: a server trickling its headers a byte a
    second never trips one. Here no single read may outlast the deadline, so
    connect + headers + body together cannot either.
    """

    def __init__(self, stream: httpcore.NetworkStream, deadline: float):
        self._stream = stream
        self._deadline = deadline

    def _left(self, timeout: float | None, error: type[Exception]) -> float:
        left = self._deadline - time.monotonic()
        if left <= 0:
            raise error("the fetch's deadline has passed")
        return left if timeout is None else min(timeout, left)

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._stream.read(max_bytes, self._left(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._stream.write(buffer, self._left(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._stream.close()

    def start_tls(self, ssl_context, server_hostname=None, timeout=None):
        stream = self._stream.start_tls(
            ssl_context, server_hostname, self._left(timeout, httpcore.ConnectTimeout)
        )
        return _DeadlineStream(stream, self._deadline)

    def get_extra_info(self, info: str):
        return self._stream.get_extra_info(info)


class _DeadlineBackend(httpcore.NetworkBackend):
    def __init__(self, deadline: float):
        self._backend = httpcore.SyncBackend()
        self._deadline = deadline

    def connect_tcp(self, host, port, timeout=None, local_address=None, socket_options=None):
        left = self._deadline - time.monotonic()
        if left <= 0:
            raise httpcore.ConnectTimeout("the fetch's deadline has passed")
        timeout = left if timeout is None else min(timeout, left)
        stream = self._backend.connect_tcp(host, port, timeout, local_address, socket_options)
        return _DeadlineStream(stream, self._deadline)

    def sleep(self, seconds: float) -> None:
        self._backend.sleep(seconds)


def _deadline_transport(deadline: float) -> httpx.HTTPTransport:
    transport = httpx.HTTPTransport(verify=_tls_context())
    # httpx has no switch for the network backend; its pool is rebuilt with ours.
    transport._pool = httpcore.ConnectionPool(
        ssl_context=_tls_context(), network_backend=_DeadlineBackend(deadline)
    )
    return transport


def _request_pinned(
    *, target: httpx.URL, address: str, headers: dict[str, str], deadline: float, timeout: float
) -> tuple[int, dict[str, str], bytes]:
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise FetchError(f"Timed out after {timeout:g} s")
    pinned = target.copy_with(host=address)
    host_header = target.netloc.decode("ascii")
    # trust_env=False: a proxy from the environment would make the address
    # check meaningless. One client per request: connections are pooled by
    # IP, and a pooled TLS connection to another name must not be reused.
    with httpx.Client(
        timeout=remaining,
        follow_redirects=False,
        trust_env=False,
        transport=_deadline_transport(deadline),
    ) as client:
        try:
            request = client.build_request(
                "GET",
                pinned,
                headers={**headers, "Host": host_header},
                extensions={"sni_hostname": target.host},
            )
            response = client.send(request, stream=True)
        except httpx.TimeoutException:
            raise FetchError(f"Timed out after {timeout:g} s") from None
        except httpx.ConnectError:
            raise
        except httpx.HTTPError as exc:
            raise FetchError(f"Request to {target.host} failed: {_describe(exc)}") from None
        try:
            response_headers = {name.lower(): value for name, value in response.headers.items()}
            body = b""
            if response.status_code not in REDIRECT_STATUSES | {304}:
                body = _read_capped(response, deadline=deadline, timeout=timeout)
            return response.status_code, response_headers, body
        finally:
            response.close()


@functools.cache
def _tls_context() -> ssl.SSLContext:
    # Loading the CA bundle costs ~15 ms; one context serves every fetch (and thread).
    return httpx.create_ssl_context()


class _Decoder:
    """Undoes at most one gzip/deflate layer, a chunk at a time, never past `limit` bytes.

    zlib's max_length bounds each step's output, so a 1 KB chunk that would
    inflate to 1 GB costs at most `limit` bytes of memory before it is refused.
    """

    def __init__(self, encoding: str, *, limit: int, too_large: FetchError):
        self._limit = limit
        self._too_large = too_large
        self._size = 0
        self._encoding = encoding
        self._zlib = None
        self._first = True
        if encoding in ("gzip", "x-gzip"):
            self._zlib = zlib.decompressobj(zlib.MAX_WBITS | 16)
        elif encoding == "deflate":
            self._zlib = zlib.decompressobj()

    def feed(self, data: bytes) -> bytes:
        if self._zlib is None:
            return self._count(data)
        out = []
        while data:
            try:
                piece = self._zlib.decompress(data, self._limit - self._size + 1)
            except zlib.error:
                if self._encoding == "deflate" and self._first:
                    # Some servers send raw deflate without the zlib wrapper.
                    self._zlib = zlib.decompressobj(-zlib.MAX_WBITS)
                    self._first = False
                    continue
                raise FetchError(f"Could not decode the {self._encoding} body") from None
            self._first = False
            out.append(self._count(piece))
            data = self._zlib.unconsumed_tail
            if self._zlib.eof:
                break  # Trailing bytes after the stream end are ignored, as browsers do.
        return b"".join(out)

    def _count(self, data: bytes) -> bytes:
        self._size += len(data)
        if self._size > self._limit:
            raise self._too_large
        return data


def _content_encoding(response: httpx.Response) -> str:
    layers = [
        token.strip().lower()
        for token in response.headers.get("content-encoding", "").split(",")
        if token.strip() and token.strip().lower() != "identity"
    ]
    if len(layers) > 1:
        raise FetchError(
            f"Refused: the response is encoded more than once ({', '.join(layers)})",
            http_status=response.status_code,
        )
    encoding = layers[0] if layers else ""
    if encoding not in ("", "gzip", "x-gzip", "deflate"):
        raise FetchError(
            f"Refused: unsupported content encoding {encoding!r}", http_status=response.status_code
        )
    return encoding


def _read_capped(response: httpx.Response, *, deadline: float, timeout: float) -> bytes:
    status = response.status_code
    limit = settings.FEED_MAX_BYTES
    too_large = FetchError(f"Response larger than {_human_size(limit)}", http_status=status)
    timed_out = FetchError(f"Timed out after {timeout:g} s", http_status=status)
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise too_large
    decoder = _Decoder(_content_encoding(response), limit=limit, too_large=too_large)
    chunks: list[bytes] = []
    wire = 0
    try:
        # iter_raw(): the bytes as sent. Decoding happens here, under the cap,
        # and the wire bytes count too: a gzip header that never ends or a
        # deflate stream of empty blocks decodes to nothing, forever.
        for chunk in response.iter_raw():
            wire += len(chunk)
            if wire > limit:
                raise too_large
            chunks.append(decoder.feed(chunk))
            if time.monotonic() > deadline:
                raise timed_out
    except httpx.TimeoutException:
        raise timed_out from None
    except httpx.HTTPError as exc:
        message = f"Reading the response failed: {_describe(exc)}"
        raise FetchError(message, http_status=status) from None
    return b"".join(chunks)


def _reason(status: int) -> str:
    return httpx.codes.get_reason_phrase(status)


def _human_size(size: int) -> str:
    for unit, factor in (("MB", 1024 * 1024), ("KB", 1024)):
        if size >= factor:
            amount = size / factor
            return f"{amount:g} {unit}" if amount == int(amount) else f"{amount:.1f} {unit}"
    return f"{size} bytes"


def _describe(exc: BaseException | None) -> str:
    if exc is None:
        return "no address to connect to"
    # "[Errno -2] Name or service not known" reads better without the number.
    text = re.sub(r"^\[Errno -?\d+\]\s*", "", str(exc).strip())
    return text or type(exc).__name__
