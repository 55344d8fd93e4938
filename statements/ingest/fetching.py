"""Fetching a feed over HTTP, politely and defensively.

A feed URL is user input, so every hop of a fetch is checked: only http and
https, only public addresses (unless FEED_ALLOW_PRIVATE_HOSTS), a total time
limit, and a size limit enforced while the body streams in. Errors come out as
one `FetchError` whose message is written for the feed-health page.
"""

from __future__ import annotations

import functools
import ipaddress
import re
import socket
import ssl
import time
from dataclasses import dataclass, field
from urllib.parse import urljoin

import httpx
from django.conf import settings

REDIRECT_STATUSES = {301, 302, 303, 307, 308}
PERMANENT_REDIRECT_STATUSES = {301, 308}


class FetchError(Exception):
    """A fetch that produced no usable response; the message is shown to admins."""

    def __init__(self, message: str, *, http_status: int | None = None):
        super().__init__(message)
        self.http_status = http_status


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


def fetch_feed(*, url: str, etag: str = "", last_modified: str = "") -> FetchResult:
    """GET `url` conditionally, following at most FEED_MAX_REDIRECTS checked redirects."""
    timeout = settings.FEED_TIMEOUT_SECONDS
    deadline = time.monotonic() + timeout
    request_headers = {"User-Agent": settings.FEED_USER_AGENT, "Accept": _ACCEPT}
    if etag:
        request_headers["If-None-Match"] = etag
    if last_modified:
        request_headers["If-Modified-Since"] = last_modified

    current = url
    permanent_to: str | None = None
    still_permanent = True
    for _hop in range(settings.FEED_MAX_REDIRECTS + 1):
        status, headers, body = _get_one(
            url=current, headers=request_headers, deadline=deadline, timeout=timeout
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
            raise FetchError(f"HTTP {status} {_reason(status)}".rstrip(), http_status=status)
        return FetchResult(
            status=status,
            body=body,
            headers=headers,
            url=current,
            permanent_redirect_to=permanent_to,
        )
    raise FetchError(f"Too many redirects (more than {settings.FEED_MAX_REDIRECTS})")


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
    ]
    return next((why for bad, why in checks if bad), None)


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
        timeout=remaining, follow_redirects=False, trust_env=False, verify=_tls_context()
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


def _read_capped(response: httpx.Response, *, deadline: float, timeout: float) -> bytes:
    status = response.status_code
    limit = settings.FEED_MAX_BYTES
    too_large = FetchError(f"Response larger than {_human_size(limit)}", http_status=status)
    timed_out = FetchError(f"Timed out after {timeout:g} s", http_status=status)
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise too_large
    chunks: list[bytes] = []
    size = 0
    try:
        # iter_bytes() decompresses, so the cap also holds against gzip bombs.
        for chunk in response.iter_bytes():
            size += len(chunk)
            if size > limit:
                raise too_large
            chunks.append(chunk)
            # httpx's timeout is per read: a server dripping a byte at a time
            # would never trip it, so the whole fetch also has a deadline.
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
