"""A touch-webhook receiver on loopback, as a CRM integration runs one: it checks the HMAC
signature the way docs/configuration.md tells receivers to, answers as a test scripts it, and
keeps what it received; with the config of a Clipper that posts to it. Does not judge what it
received (the tests do).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from collections import Counter
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from ..conftest import Clock, write_config

#: the webhook's signing secret, and the environment that gives it to Clipper
SECRET = "s3cret-for-tests"
ENV = {"CLIPPER_WEBHOOK_SECRET": SECRET}
#: one account of Dana's, the rep touches are logged for
ACCOUNTS = [{"name": "Acme Robotics", "owner": "dana@example.com"}]
REPS = [{"email": "dana@example.com", "name": "Dana Lee"}]


def verify(secret: str, headers: Any, body: bytes, now: float) -> bool:
    """The receiver's check, as the docs give it: fresh timestamp, constant-time compare."""
    timestamp = headers["X-Clipper-Timestamp"]
    if abs(now - int(timestamp)) > 300:
        return False
    base = b"v0:" + timestamp.encode() + b":" + body
    expected = "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, headers["X-Clipper-Signature"])


def receiver_clock() -> Clock:
    """A test clock on the current whole second: the receiver checks the timestamp against it,
    so it must be near the real one."""
    return Clock(datetime.fromtimestamp(int(time.time()), UTC))


def webhook_config(root: Path, url: str, **webhook: Any) -> Path:
    """The config of a Clipper with ``ACCOUNTS`` and ``REPS`` whose touch webhook posts to
    ``url`` signed with the secret in ``CLIPPER_WEBHOOK_SECRET``; ``webhook`` adds settings."""
    return write_config(
        root,
        accounts=ACCOUNTS,
        reps=REPS,
        settings={
            "touches": {"webhook": {"url": url, "secret_env": "CLIPPER_WEBHOOK_SECRET", **webhook}}
        },
    )


class WebhookReceiver:
    """A webhook receiver on loopback that refuses a bad signature (401, counted); ``script``
    says how to answer each signed request in turn ("500", "drop", else 200) after ``delay``
    seconds. Keeps every signed request by idempotency key (``requests``, and counted in
    ``received``) and every accepted body (``accepted``)."""

    def __init__(self, clock: Clock, *, delay: float = 0.0) -> None:
        self.script: list[str] = []
        self.requests: list[tuple[str, dict[str, Any]]] = []
        self.received: Counter[str] = Counter()
        self.accepted: list[dict[str, Any]] = []
        self.bad_signatures = 0
        lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                body = self.rfile.read(int(self.headers["Content-Length"]))
                if not verify(SECRET, self.headers, body, clock.now.timestamp()):
                    with lock:
                        receiver.bad_signatures += 1
                    self.send_response(401)
                    self.end_headers()
                    return
                time.sleep(delay)
                payload = json.loads(body)
                assert self.headers["Idempotency-Key"] == payload["idempotency_key"]
                with lock:
                    receiver.requests.append((self.headers["Idempotency-Key"], payload))
                    receiver.received[payload["idempotency_key"]] += 1
                    action = receiver.script.pop(0) if receiver.script else "200"
                if action == "drop":
                    self.close_connection = True
                    self.connection.close()
                    return
                if action == "500":
                    self.send_response(500)
                    self.end_headers()
                    return
                with lock:
                    receiver.accepted.append(payload)
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
