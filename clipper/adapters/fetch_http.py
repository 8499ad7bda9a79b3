"""The retriever: httpx, politely. The only module that fetches feeds and pages.

Conditional GET with validators kept verbatim, gzip, connect/read/total timeouts, a body size
cap, redirects followed by hand (so permanent moves and loops are seen), Retry-After read, a
User-Agent per feed, and concurrency limits: globally (the caller's pool and httpx's
connection limit) and per host (a semaphore per host name). ``file://`` URLs read local files,
for bundled sample feeds and for managers trying a feed saved to disk.

Every direct connection goes through ``GuardedBackend``: the host is resolved once, each address is
judged by ``logic.netpolicy`` (loopback, private, link-local, ... are refused unless
``fetch.allow_private_networks`` allows them), and the socket connects to the address that was
judged, so a DNS answer that changes between check and connect cannot slip through. The same
backend bounds every socket operation by the request's total deadline (one deadline for a fetch
and all its redirect hops), so a server that drips its headers cannot hold a fetch past
``total_timeout``. Behind an environment proxy the proxy connects, so names are checked here
before the request instead (httpx ignores the environment's proxies once a transport is given:
``environment_proxies`` mounts them, on a backend with the same deadline). Bodies are decoded by
``logic.inflate`` with the size cap on the output of every layer. Does not parse anything.
Over 500 lines because it is one concept, fetching safely: the retriever's promises (address
checks, one deadline for all redirect hops, the size cap) rest on the guarded backend beside it.
"""

from __future__ import annotations

import http.cookiejar
import mimetypes
import socket
import sys
import threading
import time
import urllib.request
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urljoin, urlsplit

from ..exceptions import ConfigError, DecompressionError, DeliveryError, FetchError
from ..logic.inflate import Inflater
from ..logic.netpolicy import Address, Network, Refusal, parse_address, refusal
from ..logic.schedule import parse_retry_after
from ..logic.urls import host_of, redact_url
from ..types import CachingInfo, RetrievedFeed

#: what httpcore and httpx import for what this module never does: trio for async clients
#: (installed by a test dependency), httpx's own command line (rich, pygments)
_UNUSED = ("trio", "httpx._main")


def _import_httpcore() -> None:
    """Import httpcore and httpx without the modules in ``_UNUSED`` (~5 MiB, 0.2 s).

    Both libraries import them when they are installed, and go on without them when they are
    not; this module's clients are synchronous. Does not stop a later ``import trio`` from
    working, and hides nothing when httpcore or httpx is already imported.
    """
    if "httpcore" in sys.modules or "httpx" in sys.modules:
        return
    hidden = [name for name in _UNUSED if name not in sys.modules]
    for name in hidden:
        sys.modules[name] = None  # type: ignore[assignment]  # import → ImportError
    try:
        import httpcore  # noqa: F401
        import httpx  # noqa: F401
    finally:
        for name in hidden:
            if name in sys.modules and sys.modules[name] is None:
                del sys.modules[name]


_import_httpcore()

import httpcore  # noqa: E402  (imported above, trio hidden)
import httpx  # noqa: E402
from httpx._utils import get_environment_proxies  # noqa: E402

FEED_ACCEPT = (
    "application/rss+xml, application/atom+xml, application/rdf+xml, application/feed+json, "
    "application/xml;q=0.9, text/xml;q=0.9, */*;q=0.5"
)
PAGE_ACCEPT = "text/html, application/xhtml+xml;q=0.9, */*;q=0.5"
#: only the encodings ``logic.inflate`` decodes with a bounded output
ACCEPT_ENCODING = "gzip, deflate"
PERMANENT = frozenset({301, 308})
REDIRECTS = frozenset({301, 302, 303, 307, 308})


@dataclass(frozen=True, slots=True)
class FetchLimits:
    """Politeness and safety limits (seconds and bytes)."""

    user_agent: str
    connect_timeout: float = 10.0
    read_timeout: float = 20.0
    total_timeout: float = 60.0
    concurrency: int = 16
    per_host_concurrency: int = 2
    max_body_size: int = 15 * 2**20
    max_redirects: int = 5
    #: networks that may be connected to although they are private, loopback, ... (CIDRs)
    allow_private_networks: tuple[Network, ...] = ()


class AddressRefusedError(Exception):
    """Raised inside the connection pool when no address of a host may be connected to; the
    retriever turns it into a ``FetchError``."""

    def __init__(self, host: str, address: Address, reason: Refusal) -> None:
        self.host = host
        self.address = address
        self.reason = reason
        super().__init__(self.explain())

    def explain(self) -> str:
        """One line for the user: what was refused and how to allow it."""
        shown = self.host if self.host == str(self.address) else f"{self.host} ({self.address})"
        return (
            f"refused to connect to {shown}: {self.reason.value} "
            "(fetch.allow_private_networks can allow it)"
        )


_deadline = threading.local()
#: the most characters of one URL quoted in an error (a Location header may hold 100 kB)
MAX_SHOWN_URL = 300


def _show(url: str) -> str:
    """Return ``url`` as an error quotes it: its secrets hidden, cut to ``MAX_SHOWN_URL``."""
    shown = redact_url(url)
    return shown if len(shown) <= MAX_SHOWN_URL else shown[:MAX_SHOWN_URL] + "…"


def _budget(timeout: float | None, kind: type[Exception]) -> float | None:
    """Return ``timeout`` shortened to what is left of this thread's request deadline."""
    deadline: float | None = getattr(_deadline, "at", None)
    if deadline is None:
        return timeout
    left = deadline - time.monotonic()
    if left <= 0:
        raise kind("the total timeout has passed")
    return left if timeout is None else min(timeout, left)


class _DeadlineStream(httpcore.NetworkStream):
    """A socket stream whose every read, write and handshake ends by the request deadline."""

    def __init__(self, stream: httpcore.NetworkStream) -> None:
        self._stream = stream

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._stream.read(max_bytes, _budget(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._stream.write(buffer, _budget(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._stream.close()

    def start_tls(
        self,
        ssl_context: Any,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.NetworkStream:
        budget = _budget(timeout, httpcore.ConnectTimeout)
        return _DeadlineStream(self._stream.start_tls(ssl_context, server_hostname, budget))

    def get_extra_info(self, info: str) -> Any:
        return self._stream.get_extra_info(info)


class _TcpOnlyBackend(httpcore.NetworkBackend):
    """What both backends share: no Unix sockets, plain blocking sleep. Opens no connection."""

    def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        raise httpcore.ConnectError("Unix sockets are not fetched")

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


class GuardedBackend(_TcpOnlyBackend):
    """Resolves a host once, refuses addresses ``logic.netpolicy`` refuses, and connects to an
    address it checked (TLS still verifies and sends the host name). Does not cache answers."""

    def __init__(self, allowed: Iterable[Network] = ()) -> None:
        self.allowed = tuple(allowed)
        self._sync = httpcore.SyncBackend()

    def resolve(self, host: str, port: int) -> list[Address]:
        """Return the addresses ``host`` resolves to (an address literal is itself)."""
        literal = parse_address(host)
        if literal is not None:
            return [literal]
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except (OSError, UnicodeError) as exc:
            raise httpcore.ConnectError(f"cannot resolve {host}: {exc}") from exc
        found: list[Address] = []
        for *_, sockaddr in infos:
            address = parse_address(str(sockaddr[0]))
            if address is not None and address not in found:
                found.append(address)
        return found

    def permitted(self, host: str, port: int) -> list[Address]:
        """Return the addresses of ``host`` that may be connected to, in resolver order.

        Raises:
            AddressRefusedError: every address is refused (the first one is named).
            httpcore.ConnectError: the name does not resolve.
        """
        addresses = self.resolve(host, port)
        allowed = [a for a in addresses if refusal(a, self.allowed) is None]
        if addresses and not allowed:
            first = addresses[0]
            raise AddressRefusedError(
                host, first, refusal(first, self.allowed) or Refusal.NOT_GLOBAL
            )
        return allowed

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        last: Exception = httpcore.ConnectError(f"{host} has no address")
        for address in self.permitted(host, port):
            try:
                stream = self._sync.connect_tcp(
                    str(address),
                    port,
                    _budget(timeout, httpcore.ConnectTimeout),
                    local_address,
                    socket_options,
                )
            except httpcore.ConnectError as exc:
                last = exc
                continue
            return _DeadlineStream(stream)
        raise last


class DeadlineBackend(_TcpOnlyBackend):
    """httpcore's own backend with every socket operation bounded by the request deadline; for
    the operator's proxy. Does not judge addresses: the proxy is trusted configuration."""

    def __init__(self) -> None:
        self._sync = httpcore.SyncBackend()

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        budget = _budget(timeout, httpcore.ConnectTimeout)
        return _DeadlineStream(
            self._sync.connect_tcp(host, port, budget, local_address, socket_options)
        )


class ProxyTransport(httpx.HTTPTransport):
    """httpx's transport through an HTTP(S) proxy, on ``DeadlineBackend``."""

    def __init__(self, proxy: httpx.Proxy, limits: httpx.Limits) -> None:
        super().__init__(limits=limits)
        self._pool = httpcore.HTTPProxy(
            proxy_url=httpcore.URL(
                scheme=proxy.url.raw_scheme,
                host=proxy.url.raw_host,
                port=proxy.url.port,
                target=proxy.url.raw_path,
            ),
            proxy_auth=proxy.raw_auth,
            proxy_headers=proxy.headers.raw,
            ssl_context=httpx.create_ssl_context(),
            proxy_ssl_context=proxy.ssl_context,
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=DeadlineBackend(),
        )


def environment_proxies(limits: httpx.Limits) -> dict[str, httpx.BaseTransport | None]:
    """Return httpx mounts for the proxies in the environment (``HTTPS_PROXY``, ``NO_PROXY``,
    ...): None mounts connect directly. httpx ignores the environment once a transport is
    given, so this does its part. Does not check the proxies' addresses.

    Raises:
        ConfigError: a SOCKS proxy is set and the package it needs is missing.
    """
    mounts: dict[str, httpx.BaseTransport | None] = {}
    for pattern, url in get_environment_proxies().items():
        if url is None:
            mounts[pattern] = None
            continue
        proxy = httpx.Proxy(url)
        if proxy.url.scheme in ("http", "https"):
            mounts[pattern] = ProxyTransport(proxy, limits)
            continue
        try:  # SOCKS: httpx's own transport (needs socksio), without the byte-level deadline
            mounts[pattern] = httpx.HTTPTransport(proxy=proxy, limits=limits)
        except ImportError as exc:
            raise ConfigError(
                f"the environment's proxy {redact_url(url)} is a SOCKS proxy, which needs the "
                "Python package socksio (or unset ALL_PROXY, HTTPS_PROXY, HTTP_PROXY)"
            ) from exc
    return mounts


class GuardedTransport(httpx.HTTPTransport):
    """httpx's transport on a connection pool that connects only through ``GuardedBackend``."""

    def __init__(self, backend: GuardedBackend, limits: httpx.Limits) -> None:
        super().__init__(limits=limits)
        self._pool = httpcore.ConnectionPool(
            ssl_context=httpx.create_ssl_context(),
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=backend,
        )


class FileTransport(httpx.BaseTransport):
    """Serves ``file://`` URLs from disk with Last-Modified and If-Modified-Since support."""

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        path = Path(unquote(request.url.path))
        try:
            stat = path.stat()
            if not path.is_file():
                return _file_failure(request, 404, "not a file")
            modified = datetime.fromtimestamp(int(stat.st_mtime), UTC)
            headers = {"last-modified": format_datetime(modified, usegmt=True)}
            since = request.headers.get("if-modified-since")
            if since:
                try:
                    if parsedate_to_datetime(since) >= modified:
                        return httpx.Response(304, headers=headers, request=request)
                except (TypeError, ValueError):
                    pass
            kind = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
            if path.suffix in (".xml", ".rss", ".atom", ".rdf"):
                kind = "application/xml"
            headers["content-type"] = kind
            # a stream, not content: the retriever reads raw bytes through its bounded decoder
            data = path.read_bytes()
            headers["content-length"] = str(len(data))
            return httpx.Response(
                200, headers=headers, stream=httpx.ByteStream(data), request=request
            )
        except FileNotFoundError:
            return _file_failure(request, 404, "file not found")
        except PermissionError:
            return _file_failure(request, 403, "permission denied")
        except OSError as exc:
            return _file_failure(request, 500, f"cannot read the file: {exc.strerror or exc}")


#: the header a ``FileTransport`` failure carries: why the file could not be read
FILE_PROBLEM = "x-clipper-file-problem"


def _file_failure(request: httpx.Request, status: int, why: str) -> httpx.Response:
    """A failed file read as a response with an empty body (a stream, so the bounded reader
    can read it) and the reason in ``FILE_PROBLEM``. Does not raise."""
    return httpx.Response(
        status, headers={FILE_PROBLEM: why}, stream=httpx.ByteStream(b""), request=request
    )


#: cookies kept per domain and in all (RFC 6265 section 6.1's minimums a client should support)
COOKIES_PER_DOMAIN = 50
COOKIES_IN_ALL = 3000


class BoundedCookieJar(http.cookiejar.CookieJar):
    """A cookie jar that keeps at most ``per_domain`` cookies per domain and ``in_all`` in all.

    A hostile feed host answering every poll with new cookies would otherwise grow a
    long-running process without bound. Expired cookies make room first; past the caps a
    new cookie is dropped (one already held is still updated). Does not evict live cookies.
    """

    def __init__(self, per_domain: int = COOKIES_PER_DOMAIN, in_all: int = COOKIES_IN_ALL):
        super().__init__()
        self.per_domain = per_domain
        self.in_all = in_all
        self._lock = threading.Lock()

    def _room(self, cookie: http.cookiejar.Cookie) -> bool:
        held = [c for c in self if c.domain == cookie.domain]
        if any(c.name == cookie.name and c.path == cookie.path for c in held):
            return True
        return len(held) < self.per_domain and len(self) < self.in_all

    def set_cookie(self, cookie: http.cookiejar.Cookie) -> None:
        with self._lock:
            if not self._room(cookie):
                self.clear_expired_cookies()
                if not self._room(cookie):
                    return
            super().set_cookie(cookie)


class HttpRetriever:
    """``RetrieverType`` on one shared ``httpx.Client``; safe to call from many threads."""

    def __init__(self, limits: FetchLimits, *, transport: httpx.BaseTransport | None = None):
        self.limits = limits
        self.backend = GuardedBackend(limits.allow_private_networks)
        pool_limits = httpx.Limits(
            max_connections=limits.concurrency,
            max_keepalive_connections=limits.concurrency,
        )
        self._client = httpx.Client(
            timeout=httpx.Timeout(
                limits.read_timeout, connect=limits.connect_timeout, pool=limits.total_timeout
            ),
            limits=pool_limits,
            follow_redirects=False,
            transport=transport or GuardedTransport(self.backend, pool_limits),
            mounts=environment_proxies(pool_limits) if transport is None else None,
            headers={"accept-encoding": ACCEPT_ENCODING},
            cookies=BoundedCookieJar(),
            trust_env=True,
        )
        # a proxy connects to the target itself: then names are checked before each request
        # (best effort: the proxy may resolve differently); direct connections are checked at
        # connect time by GuardedBackend
        self._proxied = any(
            urllib.request.getproxies().get(scheme) for scheme in ("http", "https", "all")
        )
        # a client of its own, so proxy settings from the environment never apply to files
        self._files = httpx.Client(transport=FileTransport(), trust_env=False)
        self._hosts: dict[str, threading.BoundedSemaphore] = {}
        self._hosts_lock = threading.Lock()

    def close(self) -> None:
        self._client.close()
        self._files.close()

    @contextmanager
    def _host_slot(self, url: str) -> Iterator[None]:
        host = host_of(url) or "file"
        with self._hosts_lock:
            slot = self._hosts.get(host)
            if slot is None:
                slot = self._hosts[host] = threading.BoundedSemaphore(
                    self.limits.per_host_concurrency
                )
        with slot:
            yield

    def retrieve(self, url: str, caching: CachingInfo, user_agent: str | None) -> RetrievedFeed:
        headers = {"accept": FEED_ACCEPT}
        if caching.etag:
            headers["if-none-match"] = caching.etag
        if caching.last_modified:
            headers["if-modified-since"] = caching.last_modified
        return self._get(url, headers, user_agent, files=True)

    def get_page(self, url: str, user_agent: str | None) -> RetrievedFeed:
        return self._get(url, {"accept": PAGE_ACCEPT}, user_agent, files=False)

    def refusal(self, url: str) -> str | None:
        """Return why ``url`` would never be fetched as a web resource (not http(s), or only
        refused addresses), else None. A name that does not resolve is not refused here: the
        fetch will fail on its own. Does not connect."""
        parts = urlsplit(url)
        if parts.scheme.lower() not in ("http", "https"):
            return "not an http(s) URL"
        try:
            port = parts.port or (443 if parts.scheme.lower() == "https" else 80)
            self.backend.permitted(parts.hostname or "", port)
        except AddressRefusedError as exc:
            return exc.explain()
        except (httpcore.ConnectError, ValueError):
            return None
        return None

    def _precheck(self, feed_url: str, url: str) -> None:
        """Refuse an address literal at once, and every name when a proxy will connect."""
        parts = urlsplit(url)
        host = parts.hostname or ""
        try:
            if parse_address(host) is not None or self._proxied:
                port = parts.port or (443 if parts.scheme.lower() == "https" else 80)
                self.backend.permitted(host, port)
        except AddressRefusedError as exc:
            raise FetchError(feed_url, exc.explain()) from exc
        except (httpcore.ConnectError, ValueError):
            return  # the request itself reports it

    def _get(
        self, url: str, headers: dict[str, str], user_agent: str | None, *, files: bool
    ) -> RetrievedFeed:
        if not files and urlsplit(url).scheme.lower() not in ("http", "https"):
            raise FetchError(url, f"not an http(s) URL: {redact_url(url)}")
        headers = {**headers, "user-agent": user_agent or self.limits.user_agent}
        visited = [url]
        permanent = True
        current = url
        # one deadline for every hop: redirects do not each get a fresh total_timeout
        deadline: float | None = None
        for _hop in range(self.limits.max_redirects + 1):
            status, response_headers, body, deadline = self._exchange(
                url, current, headers, deadline
            )
            if status in REDIRECTS and "location" in response_headers:
                target = urljoin(current, response_headers["location"].strip())
                if urlsplit(target).scheme not in ("http", "https"):
                    raise FetchError(
                        url, f"redirect to a non-HTTP URL {_show(target)!r}", status=status
                    )
                if target in visited:
                    chain = " → ".join(map(_show, [*visited[visited.index(target) :], target]))
                    raise FetchError(url, f"redirect loop: {chain}", status=status)
                permanent = permanent and status in PERMANENT
                visited.append(target)
                current = target
                continue
            caching = CachingInfo(
                etag=response_headers.get("etag"),
                last_modified=response_headers.get("last-modified"),
            )
            moved = current if permanent and current != url else None
            if status == 304:
                return RetrievedFeed(current, 304, None, response_headers, caching, moved)
            if 200 <= status < 300:
                return RetrievedFeed(current, status, body, response_headers, caching, moved)
            if FILE_PROBLEM in response_headers and current.startswith("file:"):
                raise FetchError(url, response_headers[FILE_PROBLEM], status=status)
            retry = parse_retry_after(response_headers.get("retry-after"), datetime.now(UTC))
            reason = httpx.codes.get_reason_phrase(status) or "error"
            raise FetchError(url, f"HTTP {status} {reason}", status=status, retry_after_s=retry)
        raise FetchError(
            url,
            f"too many redirects (more than {self.limits.max_redirects}): "
            + " → ".join(map(_show, visited)),
        )

    def _exchange(
        self, feed_url: str, url: str, headers: dict[str, str], deadline: float | None
    ) -> tuple[int, dict[str, str], bytes, float]:
        """One request and response; returns status, headers, body and the deadline, which
        counts from the first hop's start unless ``deadline`` (an earlier hop's) is given."""
        limit = self.limits.max_body_size
        total = self.limits.total_timeout
        shown = _show(url)
        if not url.startswith("file:"):
            self._precheck(feed_url, url)
        given = deadline
        deadline = given or time.monotonic() + total
        try:
            with self._host_slot(url):
                # the deadline counts from here: connect, headers and body, all of them
                deadline = given or time.monotonic() + total
                _deadline.at = deadline
                if time.monotonic() >= deadline:
                    raise httpx.PoolTimeout("the total timeout has passed")
                client = self._client
                if url.startswith("file:"):
                    client = self._files
                    # httpx drops the scheme of an authority-less file URL when building requests
                    url = "file://localhost/" + url.removeprefix("file:").lstrip("/")
                request = client.build_request("GET", url, headers=headers)
                response = client.send(request, stream=True)
                try:
                    response_headers = {k.lower(): v for k, v in response.headers.items()}
                    if response.status_code in REDIRECTS or response.status_code == 304:
                        return response.status_code, response_headers, b"", deadline
                    declared = response_headers.get("content-length", "")
                    if declared.isdigit() and int(declared) > limit:
                        raise FetchError(
                            feed_url,
                            f"response body of {int(declared):,} bytes is over the "
                            f"{limit:,}-byte limit",
                            status=response.status_code,
                        )
                    body = self._read_body(feed_url, response, response_headers, deadline)
                    return response.status_code, response_headers, body, deadline
                finally:
                    response.close()
        except httpx.TimeoutException as exc:
            if time.monotonic() >= deadline - 0.05:
                raise FetchError(
                    feed_url, f"timed out: the response took over {total:g}s ({shown})"
                ) from exc
            kind = type(exc).__name__.replace("Timeout", "").lower() or "request"
            raise FetchError(feed_url, f"timed out ({kind}) fetching {shown}") from exc
        except AddressRefusedError as exc:
            raise FetchError(feed_url, exc.explain()) from exc
        except httpx.TransportError as exc:
            raise FetchError(feed_url, f"network error fetching {shown}") from exc
        except httpx.InvalidURL as exc:
            if "@" in url:
                # httpx's message quotes the part of a raw password it took for a port: the
                # cause is dropped so that it is never stored, shown or logged
                raise FetchError(
                    feed_url,
                    f"invalid URL {shown!r} (a password must percent-encode '/', '?', '#' and '@')",
                ) from None
            raise FetchError(feed_url, f"invalid URL {shown!r}") from exc
        finally:
            _deadline.at = None

    def _read_body(
        self,
        feed_url: str,
        response: httpx.Response,
        headers: dict[str, str],
        deadline: float,
    ) -> bytes:
        """Read and decode the body with the size cap on the raw bytes and on every decoded
        layer; gzip without Content-Encoding (or inside it) is unwrapped too."""
        limit = self.limits.max_body_size
        status = response.status_code
        encodings = headers.get("content-encoding", "").split(",")
        chunks: list[bytes] = []
        size = 0
        try:
            inflater = Inflater(limit, encodings)
            for chunk in response.iter_raw():
                size += len(chunk)
                if size > limit:
                    raise FetchError(
                        feed_url, f"response body is over the {limit:,}-byte limit", status=status
                    )
                if time.monotonic() > deadline:
                    raise FetchError(
                        feed_url,
                        f"timed out: the response took over {self.limits.total_timeout:g}s",
                    )
                chunks.append(inflater.feed(chunk))
            chunks.append(inflater.finish())
        except DecompressionError as exc:
            if exc.over_limit:
                raise FetchError(
                    feed_url,
                    f"response body is over the {limit:,}-byte limit (after decompression)",
                    status=status,
                ) from exc
            raise FetchError(feed_url, f"could not decompress the response: {exc}") from exc
        return b"".join(chunks)


class WebhookPoster:
    """``WebhookSenderType``: POSTs through ``GuardedBackend`` (the feeds' address policy:
    private addresses only when ``fetch.allow_private_networks`` allows them); plain http only
    to such an allowed private host. No proxies, no redirects, no retries (the outbox retries).
    """

    def __init__(self, allow_private_networks: Iterable[Network] = ()) -> None:
        self.backend = GuardedBackend(allow_private_networks)
        pool_limits = httpx.Limits(max_connections=4, max_keepalive_connections=0)
        self._client = httpx.Client(
            follow_redirects=False,
            transport=GuardedTransport(self.backend, pool_limits),
            trust_env=False,
        )

    def close(self) -> None:
        self._client.close()

    def post(self, url: str, body: bytes, headers: Mapping[str, str], timeout: float) -> int:
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        shown = _show(url)
        if scheme not in ("http", "https") or not parts.hostname:
            raise DeliveryError(f"webhook {shown}: not an http(s) URL")
        try:
            port = parts.port or (443 if scheme == "https" else 80)
            if scheme == "http":
                # plain http only inside an allowed private network: a public host gets https
                addresses = self.backend.permitted(parts.hostname, port)
                if any(refusal(a) is None for a in addresses):
                    raise DeliveryError(
                        f"webhook {shown}: http:// is only for hosts in "
                        "fetch.allow_private_networks; use https://"
                    )
            response = self._client.post(
                url,
                content=body,
                headers=dict(headers),
                timeout=httpx.Timeout(timeout, connect=min(timeout, 10.0), pool=timeout),
            )
        except AddressRefusedError as exc:
            raise DeliveryError(f"webhook {shown}: {exc.explain()}") from exc
        except (httpx.HTTPError, httpcore.ConnectError, ValueError) as exc:
            reason = exc.__class__.__name__ + (f": {exc}" if str(exc) else "")
            raise DeliveryError(f"webhook {shown}: {reason}") from exc
        return response.status_code
