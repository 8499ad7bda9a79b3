"""A local stand-in for the Slack Web API on a real socket (SLACK.md section 5.2).

Point slack-sdk at it with ``WebClient(base_url=stub.base_url)``. It checks tokens and scopes,
accepts JSON and form bodies, validates every message against Block Kit's limits (independently
of Clipper's renderer), keeps messages per channel with metadata, logs every call, rate-limits
posts per channel when asked, and plays a fault script: 429 with Retry-After, 500, any Slack
error, or a dropped connection before or after the post is committed.

File uploads (slack-sdk's ``files_upload_v2``) go the three steps Slack's do:
``files.getUploadURLExternal`` (a filename and a byte length) hands out an ``upload_url`` on this
server, the bytes are POSTed there (their length must match, a ``.png`` must be a PNG), and
``files.completeUploadExternal`` shares the uploaded files in ``channel_id``: the bot's DM with a
user (``D`` + the user id), a channel in ``member_channels``; a channel in ``other_channels``
is ``not_in_channel``, any other id ``channel_not_found``. Faults script the upload POST as the
method ``"upload"`` (``500`` or ``error``: HTTP 500 / 400).
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlparse

SCOPES = {
    "chat.postMessage": "chat:write",
    "chat.update": "chat:write",
    "chat.postEphemeral": "chat:write",
    "conversations.open": "im:write",
    "conversations.history": "im:history",
    "users.lookupByEmail": "users:read.email",
    "users.info": "users:read",
    "views.open": None,
    "views.update": None,
    "auth.test": None,
    "apps.connections.open": "connections:write",
    "files.getUploadURLExternal": "files:write",
    "files.completeUploadExternal": "files:write",
}
#: the first bytes of every PNG file
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
ALL_SCOPES = frozenset(s for s in SCOPES.values() if s) | {"commands"}


@dataclass
class Fault:
    """One scripted fault: applies to the ``nth`` call (1-based) of ``method``, or to every call
    while ``always`` is set."""

    method: str
    nth: int = 0
    #: "429", "500", "error", "drop_before", "drop_after"
    action: str = "error"
    error: str = "internal_error"
    retry_after: int = 1
    always: bool = False
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class Call:
    at: float
    method: str
    token: str | None
    body: dict[str, Any]


def _text_objects(node: Any) -> list[dict[str, Any]]:
    found = []
    if isinstance(node, dict):
        if node.get("type") in ("plain_text", "mrkdwn") and "text" in node:
            found.append(node)
        for value in node.values():
            found += _text_objects(value)
    elif isinstance(node, list):
        for value in node:
            found += _text_objects(value)
    return found


def _image_errors(element: Any, where: str) -> list[str]:
    """Return an image element's problems: Slack needs an http(s) ``image_url`` of at most 3000
    characters and an ``alt_text`` of 1-2000."""
    if not isinstance(element, dict) or element.get("type") not in ("image", "button"):
        return [f"unsupported accessory [json-pointer:{where}/type]"]
    if element.get("type") != "image":
        return []
    errors = []
    url = element.get("image_url")
    if not isinstance(url, str) or not url.startswith(("http://", "https://")) or len(url) > 3000:
        errors.append(f"invalid image_url [json-pointer:{where}/image_url]")
    alt = element.get("alt_text")
    if not isinstance(alt, str) or not 1 <= len(alt) <= 2000:
        errors.append(f"alt_text must be 1-2000 characters [json-pointer:{where}/alt_text]")
    return errors


def validate_blocks(blocks: Any, *, max_text: int = 12_000) -> tuple[str | None, list[str]]:
    """Return (error, details) as Slack would: ``invalid_blocks`` with json-pointer messages, or
    ``msg_blocks_too_long``; (None, []) when the blocks are valid."""
    errors: list[str] = []
    if not isinstance(blocks, list):
        return "invalid_blocks_format", ["blocks must be an array"]
    if len(blocks) > 50:
        errors.append("no more than 50 items allowed [json-pointer:/blocks]")
    block_ids: set[str] = set()
    for n, block in enumerate(blocks):
        where = f"/blocks/{n}"
        kind = block.get("type")
        if kind not in ("section", "header", "context", "actions", "divider", "image", "rich_text"):
            errors.append(f"unknown block type [json-pointer:{where}/type]")
            continue
        block_id = block.get("block_id")
        if block_id is not None:
            if len(block_id) > 255:
                errors.append(f"must be less than 256 characters [json-pointer:{where}/block_id]")
            if block_id in block_ids:
                errors.append(f"duplicate block_id [json-pointer:{where}/block_id]")
            block_ids.add(block_id)
        if kind == "section":
            text = block.get("text")
            if text is None and not block.get("fields"):
                errors.append(f"section needs text or fields [json-pointer:{where}]")
            if text is not None and not 1 <= len(text.get("text", "")) <= 3000:
                errors.append(f"must be 1-3000 characters [json-pointer:{where}/text/text]")
            if len(block.get("fields") or []) > 10:
                errors.append(f"no more than 10 items allowed [json-pointer:{where}/fields]")
            accessory = block.get("accessory")
            if accessory is not None:
                errors += _image_errors(accessory, f"{where}/accessory")
        if kind == "image":
            errors += _image_errors(block, where)
        if kind == "header":
            text = block.get("text") or {}
            if text.get("type") != "plain_text" or not 1 <= len(text.get("text", "")) <= 150:
                errors.append(f"header must be plain_text 1-150 [json-pointer:{where}/text]")
        if kind == "context" and not 1 <= len(block.get("elements") or []) <= 10:
            errors.append(f"1-10 elements [json-pointer:{where}/elements]")
        if kind == "actions":
            elements = block.get("elements") or []
            if not 1 <= len(elements) <= 25:
                errors.append(f"1-25 elements [json-pointer:{where}/elements]")
            action_ids: set[str] = set()
            for k, element in enumerate(elements):
                at = f"{where}/elements/{k}"
                action_id = element.get("action_id", "")
                if len(action_id) > 255 or action_id in action_ids:
                    errors.append(f"bad or duplicate action_id [json-pointer:{at}/action_id]")
                action_ids.add(action_id)
                text = element.get("text") or {}
                if text.get("type") != "plain_text" or not 1 <= len(text.get("text", "")) <= 75:
                    errors.append(f"button text must be plain_text 1-75 [json-pointer:{at}/text]")
                if len(element.get("value", "")) > 2000:
                    errors.append(f"value too long [json-pointer:{at}/value]")
                if len(element.get("url", "")) > 3000:
                    errors.append(f"url too long [json-pointer:{at}/url]")
    for obj in _text_objects(blocks):
        if not obj.get("text"):
            errors.append("empty text object")
    if errors:
        return "invalid_blocks", errors
    if sum(len(o["text"]) for o in _text_objects(blocks)) > max_text:
        return "msg_blocks_too_long", []
    return None, []


class SlackStub:
    """The stand-in server. Use as a context manager; ``base_url`` goes to ``WebClient``."""

    def __init__(
        self,
        users: dict[str, str] | None = None,
        *,
        token: str = "xoxb-test",
        scopes: frozenset[str] = ALL_SCOPES,
        per_channel_rate: float | None = None,
        ts_clock: Callable[[], float] = time.time,
    ) -> None:
        #: email -> user id
        self.users = users or {}
        self.tokens = {token: set(scopes), "xapp-test": {"connections:write"}}
        #: the WebSocket URL apps.connections.open hands out (Socket Mode tests set it)
        self.socket_url: str | None = None
        self.revoked: set[str] = set()
        self.faults: list[Fault] = []
        self.calls: list[Call] = []
        self.messages: dict[str, list[dict[str, Any]]] = defaultdict(list)
        self.rejected: list[tuple[str, list[str]]] = []
        self.per_channel_rate = per_channel_rate
        self._last_post: dict[str, float] = {}
        self._counts: dict[str, int] = defaultdict(int)
        self._ts = 0.0
        #: message timestamps follow this clock (the test's clock, so history queries agree)
        self.ts_clock = ts_clock
        self._lock = threading.Lock()
        self.hook: Callable[[str, dict[str, Any]], None] | None = None
        #: response_url id -> the JSON bodies posted to it
        self.responses: dict[str, list[dict[str, Any]]] = defaultdict(list)
        #: response_url ids that answer 404 expired_url
        self.expired: set[str] = set()
        #: trigger_id -> when it was minted (views.open accepts it for 3 seconds)
        self.triggers: dict[str, float] = {}
        self.updates: list[dict[str, Any]] = []
        self.views: list[dict[str, Any]] = []
        #: views.update bodies: view_id, hash and the new view
        self.view_updates: list[dict[str, Any]] = []
        self._minted = 0
        #: image URLs Slack cannot download: a message showing one is refused, as Slack does
        #: ("downloading image failed")
        self.unreachable_images: set[str] = set()
        #: channels the bot is a member of (files may be shared there), and channels it is not in
        self.member_channels: set[str] = set()
        self.other_channels: set[str] = set()
        #: file id -> filename, length, alt_txt, data (None until uploaded), title, channels
        self.files: dict[str, dict[str, Any]] = {}
        stub = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def do_POST(self) -> None:  # noqa: N802
                stub._handle(self)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.base_url = f"http://127.0.0.1:{self.server.server_port}/api/"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> SlackStub:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    # ------------------------------------------------------------------ helpers for tests

    def posts(self, channel: str | None = None) -> list[dict[str, Any]]:
        """Return the messages stored by chat.postMessage, in order."""
        if channel is not None:
            return list(self.messages[channel])
        return [m for msgs in self.messages.values() for m in msgs]

    def count(self, method: str) -> int:
        return sum(1 for c in self.calls if c.method == method)

    def response_url(self) -> str:
        """Mint a response_url for one crafted request."""
        with self._lock:
            self._minted += 1
            return f"http://127.0.0.1:{self.server.server_port}/response/r{self._minted}"

    def trigger(self, age_s: float = 0.0) -> str:
        """Mint a trigger_id, optionally already ``age_s`` seconds old."""
        with self._lock:
            self._minted += 1
            trigger = f"trigger-{self._minted}"
            self.triggers[trigger] = time.monotonic() - age_s
        return trigger

    # ------------------------------------------------------------------ serving

    def _reply(
        self,
        handler: BaseHTTPRequestHandler,
        status: int,
        body: dict[str, Any],
        headers: dict[str, str] | None = None,
    ) -> None:
        data = json.dumps(body).encode()
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json; charset=utf-8")
        handler.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            handler.send_header(name, value)
        handler.end_headers()
        handler.wfile.write(data)

    def _drop(self, handler: BaseHTTPRequestHandler) -> None:
        handler.close_connection = True
        with contextlib.suppress(OSError):
            handler.connection.shutdown(2)

    def _response_url(self, handler: BaseHTTPRequestHandler, name: str) -> None:
        length = int(handler.headers.get("Content-Length") or 0)
        raw = handler.rfile.read(length) if length else b""
        with self._lock:
            self.calls.append(Call(time.monotonic(), "response_url", None, {"id": name}))
            if name in self.expired:
                status, text = 404, b"expired_url"
            elif len(self.responses[name]) >= 5:
                status, text = 404, b"used_url"
            else:
                body = json.loads(raw or b"{}")
                error = validate_blocks(body["blocks"])[0] if "blocks" in body else None
                if error:
                    status, text = 400, error.encode()
                else:
                    self.responses[name].append(body)
                    status, text = 200, b"ok"
        handler.send_response(status)
        handler.send_header("Content-Type", "text/plain")
        handler.send_header("Content-Length", str(len(text)))
        handler.end_headers()
        handler.wfile.write(text)

    def shared_files(self, channel: str | None = None) -> list[dict[str, Any]]:
        """Return the uploaded files shared (in ``channel``), in upload order."""
        return [
            f
            for f in self.files.values()
            if f["channels"] and (channel is None or channel in f["channels"])
        ]

    def _upload(self, handler: BaseHTTPRequestHandler, file_id: str) -> None:
        """The upload URL: the file's bytes, checked against what getUploadURLExternal said."""
        length = int(handler.headers.get("Content-Length") or 0)
        raw = handler.rfile.read(length) if length else b""
        with self._lock:
            self.calls.append(Call(time.monotonic(), "upload", None, {"id": file_id}))
            self._counts["upload"] += 1
            nth = self._counts["upload"]
            fault = next(
                (f for f in self.faults if f.method == "upload" and (f.always or f.nth == nth)),
                None,
            )
            entry = self.files.get(file_id)
            if fault is not None:
                status, text = (500, b"internal error") if fault.action == "500" else (400, b"bad")
            elif entry is None:
                status, text = 404, b"unknown upload"
            elif entry["data"] is not None:
                status, text = 400, b"already uploaded"
            elif len(raw) != entry["length"]:
                status, text = 400, f"length {len(raw)} is not {entry['length']}".encode()
            elif str(entry["filename"]).lower().endswith(".png") and not raw.startswith(PNG_MAGIC):
                status, text = 400, b"not a PNG"
            else:
                entry["data"] = raw
                status, text = 200, f"OK - {len(raw)}".encode()
        handler.send_response(status)
        handler.send_header("Content-Type", "text/plain")
        handler.send_header("Content-Length", str(len(text)))
        handler.end_headers()
        handler.wfile.write(text)

    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
        path = urlparse(handler.path)
        if path.path.startswith("/response/"):
            self._response_url(handler, path.path.rsplit("/", 1)[-1])
            return
        if path.path.startswith("/upload/"):
            self._upload(handler, path.path.rsplit("/", 1)[-1])
            return
        method = path.path.rsplit("/", 1)[-1]
        length = int(handler.headers.get("Content-Length") or 0)
        raw = handler.rfile.read(length) if length else b""
        kind = handler.headers.get("Content-Type", "")
        body: dict[str, Any] = dict(parse_qsl(path.query))
        if raw:
            if kind.startswith("application/json"):
                body.update(json.loads(raw))
            elif kind.startswith("application/x-www-form-urlencoded"):
                body.update(parse_qsl(raw.decode()))
            else:
                self._reply(handler, 200, {"ok": False, "error": "missing_post_type"})
                return
        auth = handler.headers.get("Authorization", "")
        token = auth.removeprefix("Bearer ") if auth.startswith("Bearer ") else body.get("token")
        with self._lock:
            self.calls.append(Call(time.monotonic(), method, token, body))
            self._counts[method] += 1
            nth = self._counts[method]
            fault = next(
                (f for f in self.faults if f.method == method and (f.always or f.nth == nth)),
                None,
            )
        if self.hook is not None:
            self.hook(method, body)
        if fault is not None and fault.action != "drop_after":
            if fault.action == "429":
                self._reply(
                    handler,
                    429,
                    {"ok": False, "error": "ratelimited"},
                    {"Retry-After": str(fault.retry_after)},
                )
            elif fault.action == "500":
                self._reply(handler, 500, {"ok": False, "error": "internal_error"})
            elif fault.action == "drop_before":
                self._drop(handler)
            else:
                self._reply(handler, 200, {"ok": False, "error": fault.error, **fault.extra})
            return
        if not token:
            self._reply(handler, 200, {"ok": False, "error": "not_authed"})
            return
        if token in self.revoked:
            self._reply(handler, 200, {"ok": False, "error": "token_revoked"})
            return
        if token not in self.tokens:
            self._reply(handler, 200, {"ok": False, "error": "invalid_auth"})
            return
        needed = SCOPES.get(method, "unknown")
        if method not in SCOPES:
            self._reply(handler, 200, {"ok": False, "error": "unknown_method"})
            return
        if needed and needed not in self.tokens[token]:
            provided = ",".join(sorted(self.tokens[token]))
            self._reply(
                handler,
                200,
                {"ok": False, "error": "missing_scope", "needed": needed, "provided": provided},
            )
            return
        result = getattr(self, "_" + method.replace(".", "_"))(body)
        status = 429 if result.get("error") == "ratelimited" else 200
        headers = {"Retry-After": "1"} if status == 429 else None
        if fault is not None and fault.action == "drop_after":
            self._drop(handler)  # committed, but the client never hears back
            return
        self._reply(handler, status, result, headers)

    # ------------------------------------------------------------------ methods

    def _apps_connections_open(self, body: dict[str, Any]) -> dict[str, Any]:
        if self.socket_url is None:
            return {"ok": False, "error": "internal_error"}
        return {"ok": True, "url": self.socket_url}

    def _auth_test(self, body: dict[str, Any]) -> dict[str, Any]:
        return {"ok": True, "team_id": "T1", "user_id": "UBOT", "bot_id": "B1", "team": "Test"}

    def _users_lookupByEmail(self, body: dict[str, Any]) -> dict[str, Any]:  # noqa: N802
        user = self.users.get(str(body.get("email", "")).lower())
        if user is None:
            return {"ok": False, "error": "users_not_found"}
        return {"ok": True, "user": {"id": user, "tz": "America/New_York"}}

    def _users_info(self, body: dict[str, Any]) -> dict[str, Any]:
        emails = {u: e for e, u in self.users.items()}
        if body.get("user") not in emails:
            return {"ok": False, "error": "user_not_found"}
        return {
            "ok": True,
            "user": {
                "id": body["user"],
                "tz": "America/New_York",
                "profile": {"email": emails[body["user"]]},
            },
        }

    def _conversations_open(self, body: dict[str, Any]) -> dict[str, Any]:
        user = str(body.get("users", ""))
        if user not in self.users.values():
            return {"ok": False, "error": "user_not_found"}
        return {"ok": True, "channel": {"id": "D" + user}}

    def _conversations_history(self, body: dict[str, Any]) -> dict[str, Any]:
        oldest = float(body.get("oldest") or 0)
        with_metadata = str(body.get("include_all_metadata")) in ("1", "true", "True")
        found = []
        for message in reversed(self.messages.get(str(body.get("channel")), [])):
            if float(message["ts"]) >= oldest:
                shown = dict(message)
                if not with_metadata:
                    shown.pop("metadata", None)
                found.append(shown)
        return {"ok": True, "messages": found, "has_more": False}

    def _parse_blocks(self, body: dict[str, Any]) -> Any:
        blocks = body.get("blocks")
        if isinstance(blocks, str):
            try:
                return json.loads(blocks)
            except ValueError:
                return "malformed"
        return blocks

    def _check_message(self, body: dict[str, Any]) -> dict[str, Any] | None:
        blocks = self._parse_blocks(body)
        text = body.get("text")
        if blocks == "malformed":
            return {"ok": False, "error": "invalid_blocks_format"}
        if not text and not blocks:
            return {"ok": False, "error": "no_text"}
        if blocks is not None:
            error, details = validate_blocks(blocks)
            if not error:
                details = [
                    f"downloading image failed [json-pointer:/blocks/{n}/accessory/image_url]"
                    for n, block in enumerate(blocks)
                    if (block.get("accessory") or {}).get("image_url") in self.unreachable_images
                ]
                error = "invalid_blocks" if details else None
            if error:
                self.rejected.append((error, details))
                return {"ok": False, "error": error, "errors": details}
        return None

    def _chat_postMessage(self, body: dict[str, Any]) -> dict[str, Any]:  # noqa: N802
        problem = self._check_message(body)
        if problem:
            return problem
        channel = str(body.get("channel", ""))
        if channel.startswith("U") and channel in self.users.values():
            channel = "D" + channel  # as Slack does: a user ID posts to the app's DM with them
        if not channel.startswith(("D", "C")):
            return {"ok": False, "error": "channel_not_found"}
        with self._lock:
            now = time.monotonic()
            if self.per_channel_rate is not None:
                last = self._last_post.get(channel)
                if last is not None and now - last < 1 / self.per_channel_rate:
                    return {"ok": False, "error": "ratelimited"}
            self._last_post[channel] = now
            self._ts = max(self._ts + 0.000001, self.ts_clock())
            ts = f"{self._ts:.6f}"
            metadata = body.get("metadata")
            if isinstance(metadata, str):
                metadata = json.loads(metadata)
            message = {
                "ts": ts,
                "text": body.get("text"),
                "blocks": self._parse_blocks(body),
                "metadata": metadata,
                "unfurl_links": body.get("unfurl_links"),
                "unfurl_media": body.get("unfurl_media"),
            }
            self.messages[channel].append(message)
        return {"ok": True, "channel": channel, "ts": ts, "message": message}

    def _chat_update(self, body: dict[str, Any]) -> dict[str, Any]:
        problem = self._check_message(body)
        if problem:
            return problem
        if len(str(body.get("text") or "")) > 4000:
            return {"ok": False, "error": "msg_too_long"}
        for message in self.messages.get(str(body.get("channel")), []):
            if message["ts"] == body.get("ts"):
                message["text"] = body.get("text")
                message["blocks"] = self._parse_blocks(body)
                self.updates.append(dict(body, blocks=message["blocks"]))
                return {"ok": True, "channel": body["channel"], "ts": message["ts"]}
        return {"ok": False, "error": "message_not_found"}

    def _chat_postEphemeral(self, body: dict[str, Any]) -> dict[str, Any]:  # noqa: N802
        problem = self._check_message(body)
        if problem:
            return problem
        return {"ok": True, "message_ts": f"{self._ts:.6f}"}

    def _files_getUploadURLExternal(self, body: dict[str, Any]) -> dict[str, Any]:  # noqa: N802
        filename = body.get("filename")
        try:
            length = int(body.get("length") or 0)
        except (TypeError, ValueError):
            length = 0
        if not isinstance(filename, str) or not filename.strip() or length <= 0:
            return {"ok": False, "error": "invalid_arguments"}
        with self._lock:
            self._minted += 1
            file_id = f"F{self._minted}"
            self.files[file_id] = {
                "id": file_id,
                "filename": filename,
                "length": length,
                "alt_txt": body.get("alt_txt"),
                "data": None,
                "title": None,
                "channels": [],
            }
        url = f"http://127.0.0.1:{self.server.server_port}/upload/v1/{file_id}"
        return {"ok": True, "upload_url": url, "file_id": file_id}

    def _files_completeUploadExternal(self, body: dict[str, Any]) -> dict[str, Any]:  # noqa: N802
        try:
            files = json.loads(body.get("files") or "")
        except (TypeError, ValueError):
            return {"ok": False, "error": "invalid_arguments"}
        if not isinstance(files, list) or not files:
            return {"ok": False, "error": "invalid_arguments"}
        channel = body.get("channel_id")
        if channel is not None:
            is_dm = channel.startswith("D") and channel[1:] in self.users.values()
            if channel in self.other_channels:
                return {"ok": False, "error": "not_in_channel"}
            if not is_dm and channel not in self.member_channels:
                return {"ok": False, "error": "channel_not_found"}
        with self._lock:
            entries = [self.files.get(str(f.get("id"))) for f in files]
            if any(e is None or e["data"] is None for e in entries):
                return {"ok": False, "error": "file_not_found"}
            done = []
            for entry, asked in zip(entries, files, strict=True):
                assert entry is not None
                entry["title"] = asked.get("title") or entry["filename"]
                if channel is not None:
                    entry["channels"].append(channel)
                done.append({"id": entry["id"], "name": entry["filename"], "title": entry["title"]})
        return {"ok": True, "files": done}

    def _views_open(self, body: dict[str, Any]) -> dict[str, Any]:
        minted = self.triggers.get(str(body.get("trigger_id")))
        if minted is None:
            return {"ok": False, "error": "invalid_trigger_id"}
        if time.monotonic() - minted > 3.0:
            return {"ok": False, "error": "expired_trigger_id"}
        view = body.get("view")
        if isinstance(view, str):
            view = json.loads(view)
        if not isinstance(view, dict) or len(view.get("blocks", [])) > 100:
            return {"ok": False, "error": "invalid_arguments"}
        if _select_errors(view):
            return {"ok": False, "error": "invalid_arguments"}
        self.views.append(view)
        return {"ok": True, "view": {"id": f"V{len(self.views)}", **view}}

    def _views_update(self, body: dict[str, Any]) -> dict[str, Any]:
        view = body.get("view")
        if isinstance(view, str):
            view = json.loads(view)
        opened = {f"V{i}" for i in range(1, len(self.views) + 1)} | {
            str(u["view_id"]) for u in self.view_updates
        }
        if not isinstance(view, dict) or _select_errors(view):
            return {"ok": False, "error": "invalid_arguments"}
        if body.get("view_id") not in opened:
            return {"ok": False, "error": "not_found"}
        self.view_updates.append(
            {"view_id": body.get("view_id"), "hash": body.get("hash"), "view": view}
        )
        return {"ok": True, "view": {"id": body.get("view_id"), **view}}


def _select_errors(view: dict[str, Any]) -> list[str]:
    """Slack's limits on a static_select: 1 to 100 options, option text at most 75
    characters, values at most 150, an initial option that is one of the options."""
    errors: list[str] = []
    for block in view.get("blocks", []):
        element = block.get("element") or {}
        if element.get("type") != "static_select":
            continue
        options = element.get("options") or []
        if not 1 <= len(options) <= 100:
            errors.append(f"{len(options)} options")
        for option in options:
            if len(option["text"]["text"]) > 75 or len(option["value"]) > 150:
                errors.append(f"option too long: {option}")
        initial = element.get("initial_option")
        if initial is not None and initial not in options:
            errors.append("initial_option is not an option")
    return errors
