"""The retriever: httpx, politely. The only module that touches the network.

Conditional GET with validators kept verbatim, gzip, connect/read/total timeouts, a body size
cap, redirects followed by hand (so permanent moves and loops are seen), Retry-After read, a
User-Agent per feed, and concurrency limits: globally (the caller's pool and httpx's
connection limit) and per host (a semaphore per host name). ``file://`` URLs read local files,
for bundled sample feeds and for managers trying a feed saved to disk. Does not parse anything.
"""

from __future__ import annotations

import mimetypes
import threading
import time
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

import httpx

from ..exceptions import FetchError
from ..logic.schedule import parse_retry_after
from ..logic.urls import host_of
from ..types import CachingInfo, RetrievedFeed

FEED_ACCEPT = (
    "application/rss+xml, application/atom+xml, application/rdf+xml, application/feed+json, "
    "application/xml;q=0.9, text/xml;q=0.9, */*;q=0.5"
)
PAGE_ACCEPT = "text/html, application/xhtml+xml;q=0.9, */*;q=0.5"
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


class FileTransport(httpx.BaseTransport):
    """Serves ``file://`` URLs from disk with Last-Modified and If-Modified-Since support."""

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        path = Path(unquote(request.url.path))
        try:
            stat = path.stat()
            if not path.is_file():
                return httpx.Response(404, request=request)
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
            return httpx.Response(200, headers=headers, content=path.read_bytes(), request=request)
        except FileNotFoundError:
            return httpx.Response(404, request=request)
        except PermissionError:
            return httpx.Response(403, request=request)


class HttpRetriever:
    """``RetrieverType`` on one shared ``httpx.Client``; safe to call from many threads."""

    def __init__(self, limits: FetchLimits, *, transport: httpx.BaseTransport | None = None):
        self.limits = limits
        self._client = httpx.Client(
            timeout=httpx.Timeout(
                limits.read_timeout, connect=limits.connect_timeout, pool=limits.total_timeout
            ),
            limits=httpx.Limits(
                max_connections=limits.concurrency,
                max_keepalive_connections=limits.concurrency,
            ),
            follow_redirects=False,
            transport=transport,
            trust_env=True,
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
        return self._get(url, headers, user_agent)

    def get_page(self, url: str, user_agent: str | None) -> RetrievedFeed:
        return self._get(url, {"accept": PAGE_ACCEPT}, user_agent)

    def _get(self, url: str, headers: dict[str, str], user_agent: str | None) -> RetrievedFeed:
        headers = {**headers, "user-agent": user_agent or self.limits.user_agent}
        visited = [url]
        permanent = True
        current = url
        for _hop in range(self.limits.max_redirects + 1):
            status, response_headers, body = self._exchange(url, current, headers)
            if status in REDIRECTS and "location" in response_headers:
                target = urljoin(current, response_headers["location"].strip())
                if urlsplit(target).scheme not in ("http", "https"):
                    raise FetchError(url, f"redirect to a non-HTTP URL {target!r}", status=status)
                if target in visited:
                    chain = " → ".join([*visited[visited.index(target) :], target])
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
            retry = parse_retry_after(response_headers.get("retry-after"), datetime.now(UTC))
            reason = httpx.codes.get_reason_phrase(status) or "error"
            raise FetchError(url, f"HTTP {status} {reason}", status=status, retry_after_s=retry)
        raise FetchError(
            url,
            f"too many redirects (more than {self.limits.max_redirects}): " + " → ".join(visited),
        )

    def _gunzip(self, feed_url: str, body: bytes) -> bytes:
        """Decompress a gzip body served without Content-Encoding (a common misconfiguration)."""
        limit = self.limits.max_body_size
        inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
        try:
            data = inflater.decompress(body, limit + 1)
        except zlib.error:
            return body  # not gzip after all; let the parser judge the bytes
        if len(data) > limit:
            raise FetchError(
                feed_url, f"response body is over the {limit:,}-byte limit (after decompression)"
            )
        return data

    def _exchange(
        self, feed_url: str, url: str, headers: dict[str, str]
    ) -> tuple[int, dict[str, str], bytes]:
        limit = self.limits.max_body_size
        try:
            with self._host_slot(url):
                deadline = time.monotonic() + self.limits.total_timeout
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
                        return response.status_code, response_headers, b""
                    declared = response_headers.get("content-length", "")
                    if declared.isdigit() and int(declared) > limit:
                        raise FetchError(
                            feed_url,
                            f"response body of {int(declared):,} bytes is over the "
                            f"{limit:,}-byte limit",
                            status=response.status_code,
                        )
                    chunks: list[bytes] = []
                    size = 0
                    for chunk in response.iter_bytes():
                        size += len(chunk)
                        if size > limit:
                            raise FetchError(
                                feed_url,
                                f"response body is over the {limit:,}-byte limit "
                                "(after decompression)",
                                status=response.status_code,
                            )
                        if time.monotonic() > deadline:
                            raise FetchError(
                                feed_url,
                                f"timed out: the response took over {self.limits.total_timeout:g}s",
                            )
                        chunks.append(chunk)
                    body = b"".join(chunks)
                    if body[:2] == b"\x1f\x8b":
                        body = self._gunzip(feed_url, body)
                    return response.status_code, response_headers, body
                finally:
                    response.close()
        except httpx.TimeoutException as exc:
            kind = type(exc).__name__.replace("Timeout", "").lower() or "request"
            raise FetchError(feed_url, f"timed out ({kind}) fetching {url}") from exc
        except httpx.DecodingError as exc:
            raise FetchError(feed_url, f"could not decompress the response from {url}") from exc
        except httpx.TransportError as exc:
            raise FetchError(feed_url, f"network error fetching {url}") from exc
        except httpx.InvalidURL as exc:
            raise FetchError(feed_url, f"invalid URL {url!r}") from exc
