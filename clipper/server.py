"""The HTTP server: Slack requests at ``/slack/events``, ``/healthz``, ``/readyz``,
``/metrics`` and the manager's web page (``/report``, ``/report/chart.png``: ``webreport``,
signed links only). The same router without Slack or pages is the health server
(``health.listen``).

waitress (a production WSGI server: threads, request-size caps, no reverse proxy needed for
correctness) serves a small router: Slack's path goes to Bolt's WSGI adapter after a body-size
check and ``logic.inbound``'s verdict (401 unsigned, 400 malformed: one log line each, nothing
reaches Bolt's parser that it cannot read); ``/metrics`` is ``MetricsType.exposition``;
``/healthz`` is liveness (200 while the process answers), ``/readyz`` readiness (503 with each
reason: ``Clipper.readiness``).
Socket Mode, when ``SLACK_APP_TOKEN`` is set, receives Slack payloads over a WebSocket instead;
the server still answers health checks. Does not handle Slack payloads itself.
"""

from __future__ import annotations

import io
import json
import logging
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler

from .adapters.metrics_prom import PrometheusMetrics
from .logic.inbound import Verdict, check_inbound
from .logic.web_report import CHART_PATH, PAGE_PATH
from .ports import MetricsType
from .types import Health, HealthState, Readiness

log = logging.getLogger(__name__)
SLACK_PATH = "/slack/events"
#: Slack's payloads are small (a digest message in a block_actions body is ~20 KiB)
MAX_BODY = 256 * 1024

StartResponse = Callable[..., Any]
Wsgi = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


#: the metrics of a server built without a facade's (tests, Socket Mode stand-ins)
Metrics = PrometheusMetrics
#: paths counted under their own name in ``clipper_http_requests_total`` (else "other")
KNOWN_PATHS = ("/healthz", "/readyz", "/metrics", SLACK_PATH, PAGE_PATH, CHART_PATH)


def make_wsgi(
    app: App | None,
    metrics: MetricsType,
    health: Callable[[], Health],
    *,
    signing_secret: str | None = None,
    pages: Wsgi | None = None,
    ready: Callable[[], Readiness] | None = None,
) -> Wsgi:
    """Return the router; ``app`` None serves no Slack route (Socket Mode, or no Slack).

    ``signing_secret`` defaults to the one the Bolt app verifies with; ``pages`` serves the
    web page's paths (``webreport.make_report_app``; None: 404); ``ready`` answers ``/readyz``
    (None: ready while ``health`` is not down).
    """
    slack = SlackRequestHandler(app) if app is not None else None
    secret = signing_secret if signing_secret is not None else getattr(app, "_signing_secret", "")

    def readiness() -> Readiness:
        if ready is not None:
            return ready()
        found = health()
        return Readiness((found.detail,) if found.state is HealthState.DOWN else ())

    def plain(start_response: StartResponse, status: str, body: bytes) -> list[bytes]:
        start_response(
            status,
            [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", str(len(body)))],
        )
        return [body]

    def refuse(
        start_response: StartResponse, environ: dict[str, Any], verdict: Verdict, reason: str
    ) -> list[bytes]:
        """Answer 401 or 400 with one log line (no traceback: it is expected bad input)."""
        log.warning(
            "refused a Slack request from %s: %s (HTTP %d)",
            environ.get("REMOTE_ADDR", "?"),
            reason,
            verdict.value,
        )
        status = "401 Unauthorized" if verdict is Verdict.UNSIGNED else "400 Bad Request"
        error = "invalid request" if verdict is Verdict.UNSIGNED else "malformed request"
        body = json.dumps({"error": error}).encode()
        start_response(
            status, [("Content-Type", "application/json"), ("Content-Length", str(len(body)))]
        )
        return [body]

    def router(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        seen: list[str] = []

        def recording(status: str, headers: list[tuple[str, str]], *exc: Any) -> Any:
            seen.append(status.split(" ", 1)[0])
            return start_response(status, headers, *exc)

        started = time.perf_counter()
        try:
            if path == "/healthz":
                # liveness: answering is the proof; a database or configuration problem is
                # /readyz's to report (a restart would not fix it)
                found = health()
                text = found.state.value + (f": {found.detail}" if found.detail else "")
                return plain(recording, "200 OK", text.encode() + b"\n")
            if path == "/readyz":
                return _readyz(recording, environ, readiness())
            if path == "/metrics":
                body, content_type = metrics.exposition(environ.get("HTTP_ACCEPT"))
                recording(
                    "200 OK",
                    [("Content-Type", content_type), ("Content-Length", str(len(body)))],
                )
                return [body]
            if path in (PAGE_PATH, CHART_PATH) and pages is not None:
                return pages(environ, recording)
            if path == SLACK_PATH and slack is not None:
                if environ.get("REQUEST_METHOD") != "POST":
                    return plain(recording, "405 Method Not Allowed", b"POST only\n")
                try:
                    length = int(environ.get("CONTENT_LENGTH") or 0)
                except ValueError:
                    length = MAX_BODY + 1
                if length > MAX_BODY:
                    return plain(recording, "413 Payload Too Large", b"request too large\n")
                body = environ["wsgi.input"].read(length) if length > 0 else b""
                check = check_inbound(
                    body,
                    timestamp=environ.get("HTTP_X_SLACK_REQUEST_TIMESTAMP"),
                    signature=environ.get("HTTP_X_SLACK_SIGNATURE"),
                    content_type=environ.get("CONTENT_TYPE"),
                    secret=secret,
                    now=time.time(),
                )
                if check.verdict is not Verdict.ACCEPT:
                    return refuse(recording, environ, check.verdict, check.reason)
                environ["wsgi.input"] = io.BytesIO(body)
                environ["CONTENT_LENGTH"] = str(len(body))
                try:
                    response = slack(environ, recording)
                except Exception as exc:  # Bolt could not read a signed body's fields
                    if seen:
                        raise
                    reason = f"Bolt could not read the body ({type(exc).__name__}: {exc})"
                    return refuse(recording, environ, Verdict.MALFORMED, reason[:200])
                metrics.acknowledged(time.perf_counter() - started)
                return response
            return plain(recording, "404 Not Found", b"not found\n")
        finally:
            metrics.http_request(
                path if path in KNOWN_PATHS else "other", seen[0] if seen else "500"
            )

    return router


def _readyz(
    start_response: StartResponse, environ: dict[str, Any], found: Readiness
) -> list[bytes]:
    """Answer 200 "ready" or 503 with one reason a line; JSON (``{"ready": ..., "problems":
    [...]}``) when the client accepts ``application/json`` or asks ``?format=json``."""
    wants_json = "application/json" in environ.get("HTTP_ACCEPT", "") or "format=json" in (
        environ.get("QUERY_STRING", "")
    )
    status = "200 OK" if found.ready else "503 Service Unavailable"
    if wants_json:
        body = json.dumps({"ready": found.ready, "problems": list(found.problems)}).encode()
        content_type = "application/json"
    else:
        lines = ["ready"] if found.ready else ["not ready", *(f"- {p}" for p in found.problems)]
        body = ("\n".join(lines) + "\n").encode()
        content_type = "text/plain; charset=utf-8"
    start_response(status, [("Content-Type", content_type), ("Content-Length", str(len(body)))])
    return [body]


class Server:
    """waitress on a host and port, started in a thread; ``close`` stops it.

    Idle connections cost no thread: up to ``connection_limit`` are held open (poll(), not
    select(), so descriptors past 1024 work) and each is closed after ``channel_timeout_s``
    without a request, checked every few seconds. waitress's defaults (100 connections, 120 s)
    let 100 idle sockets lock Slack out for two minutes. A request must also arrive whole
    within ``channel_timeout_s``: waitress counts any byte as activity, so one byte a second
    would hold a connection forever (slowloris). ``on_close`` runs after the listener stops
    (the Slack app's work queue). Does not raise the process's descriptor limit.
    """

    def __init__(
        self,
        wsgi: Wsgi,
        host: str,
        port: int,
        *,
        threads: int = 8,
        connection_limit: int = 1000,
        channel_timeout_s: float = 20.0,
        on_close: Callable[[], None] | None = None,
    ) -> None:
        from waitress.server import create_server

        timeout = max(1, round(channel_timeout_s))
        self._server = create_server(
            wsgi,
            host=host,
            port=port,
            threads=threads,
            max_request_body_size=MAX_BODY,
            ident="clipper",
            clear_untrusted_proxy_headers=True,
            connection_limit=connection_limit,
            channel_timeout=timeout,
            cleanup_interval=max(1, min(30, timeout // 2)),
            asyncore_use_poll=True,
        )
        loop: Any = self._server  # one listener: a BaseWSGIServer with waitress's cleanup
        loop.maintenance = _request_deadline(loop, timeout)
        self._on_close = on_close
        self.port = int(self._server.effective_port)  # type: ignore[union-attr]
        self.host = host
        self._thread: threading.Thread | None = None

    def start(self) -> Server:
        self._thread = threading.Thread(target=self._server.run, name="http", daemon=True)
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        self._server.run()

    def close(self) -> None:
        """Stop: requests in progress finish first (5 s at most), then the listener closes."""
        # a worker wakes the loop after its answer is written; closing the loop's wake-up pipe
        # before the workers stop makes that a "Bad file descriptor" in a worker thread
        self._server.task_dispatcher.shutdown()
        self._server.close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        if self._on_close is not None:
            self._on_close()


def _request_deadline(server: Any, limit_s: float) -> Callable[[float], None]:
    """Return waitress's periodic channel cleanup, extended to close a connection whose request
    has been arriving for over ``limit_s`` (seen at two cleanups, so cut after at most about
    twice that). Does not touch a request that has arrived and is being answered."""
    idle_cleanup = server.maintenance
    arriving: dict[int, tuple[object, float]] = {}

    def maintenance(now: float) -> None:
        idle_cleanup(now)
        still: dict[int, tuple[object, float]] = {}
        for fd, channel in list(server.active_channels.items()):
            partial = channel.request  # the request still being received, if any
            if partial is None:
                continue
            before = arriving.get(fd)
            since = before[1] if before is not None and before[0] is partial else now
            still[fd] = (partial, since)
            if now - since > limit_s:
                log.warning("closed a connection whose request took over %.0f s to arrive", limit_s)
                channel.will_close = True
        arriving.clear()
        arriving.update(still)

    return maintenance
