"""A real HTTP server on 127.0.0.1 for tests: static feed files plus scripted responses.

Each route is a function of the request returning a ``Reply``; the server records every request
(path and headers) so tests can assert what Clipper sent.
"""

from __future__ import annotations

import gzip
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path


@dataclass
class Reply:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    #: seconds to wait before answering
    delay: float = 0.0
    #: send the body in pieces, sleeping this long between them
    trickle: float = 0.0
    #: omit Content-Length (chunked-style streaming by closing the connection)
    no_length: bool = False


@dataclass
class Seen:
    path: str
    headers: dict[str, str]
    at: float


Route = Callable[[Seen], Reply]


class FeedServer:
    """Serves routes and static directories until ``close()``."""

    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.static: dict[str, Path] = {}
        self.requests: list[Seen] = []
        self.in_flight = 0
        self.max_in_flight = 0
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # else delayed ACKs stall keep-alive responses 40 ms

            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:  # noqa: N802
                seen = Seen(
                    self.path, {k.lower(): v for k, v in self.headers.items()}, time.monotonic()
                )
                with server._lock:
                    server.requests.append(seen)
                    server.in_flight += 1
                    server.max_in_flight = max(server.max_in_flight, server.in_flight)
                try:
                    reply = server._reply(seen)
                    if reply.delay:
                        time.sleep(reply.delay)
                    self.send_response(reply.status)
                    for name, value in reply.headers.items():
                        self.send_header(name, value)
                    if reply.no_length or reply.trickle:
                        self.send_header("Connection", "close")
                    else:
                        self.send_header("Content-Length", str(len(reply.body)))
                    self.end_headers()
                    if reply.trickle:
                        for i in range(0, len(reply.body), 64):
                            self.wfile.write(reply.body[i : i + 64])
                            self.wfile.flush()
                            time.sleep(reply.trickle)
                    else:
                        self.wfile.write(reply.body)
                    if reply.no_length or reply.trickle:
                        self.close_connection = True
                except (BrokenPipeError, ConnectionResetError):
                    pass
                finally:
                    with server._lock:
                        server.in_flight -= 1

        class Server(ThreadingHTTPServer):
            request_queue_size = 256  # the default backlog of 5 drops bursts of connects

        self.httpd = Server(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    @property
    def base(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    def url(self, path: str) -> str:
        return self.base + path

    def route(self, path: str, reply: Reply | Route) -> str:
        self.routes[path] = reply if callable(reply) else (lambda _seen, r=reply: r)
        return self.url(path)

    def mount(self, prefix: str, directory: Path) -> None:
        self.static[prefix.rstrip("/") + "/"] = directory

    def hits(self, path: str) -> list[Seen]:
        return [r for r in self.requests if r.path == path]

    def _reply(self, seen: Seen) -> Reply:
        path = seen.path
        if path in self.routes:
            return self.routes[path](seen)
        for prefix, directory in self.static.items():
            if path.startswith(prefix):
                file = directory / path[len(prefix) :]
                if file.is_file():
                    return static_reply(file.read_bytes(), seen)
        return Reply(404, b"not found", {"Content-Type": "text/plain"})

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def static_reply(
    body: bytes, seen: Seen, *, etag: str | None = None, content_type: str = "application/xml"
) -> Reply:
    """A 200 with an ETag (content hash) that answers conditional requests with 304."""
    import hashlib

    tag = etag or '"' + hashlib.sha1(body).hexdigest()[:16] + '"'
    if seen.headers.get("if-none-match") == tag:
        return Reply(304, b"", {"ETag": tag})
    return Reply(200, body, {"Content-Type": content_type, "ETag": tag})


def gzipped(body: bytes) -> bytes:
    return gzip.compress(body)


def rss(items: list[dict[str, str]], *, title: str = "Test feed", ttl: int | None = None) -> bytes:
    """Build a small RSS 2.0 document from dicts with title, link, guid, description, pubDate,
    author, and image (an image enclosure)."""
    from xml.sax.saxutils import escape, quoteattr

    parts = [
        f"<?xml version='1.0' encoding='utf-8'?><rss version='2.0'><channel>"
        f"<title>{escape(title)}</title><link>http://example.com/</link>"
    ]
    if ttl is not None:
        parts.append(f"<ttl>{ttl}</ttl>")
    for item in items:
        parts.append("<item>")
        for key in ("title", "link", "guid", "description", "pubDate", "author"):
            if key in item:
                parts.append(f"<{key}>{escape(item[key])}</{key}>")
        if "image" in item:
            parts.append(
                f"<enclosure url={quoteattr(item['image'])} type='image/jpeg' length='1'/>"
            )
        parts.append("</item>")
    parts.append("</channel></rss>")
    return "".join(parts).encode("utf-8")
