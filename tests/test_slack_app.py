"""The Slack app over real HTTP: signed requests to the running server (waitress + Bolt), the
Slack stand-in behind it, real SQLite. Covers the checks of SLACK.md section 8 that apply."""

from __future__ import annotations

import contextlib
import copy
import hmac
import json
import math
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from click.testing import CliRunner

from clipper.adapters.storage import Storage
from clipper.cli import main
from clipper.config import load_config
from clipper.core import Clipper
from clipper.exceptions import SlackAuthError
from clipper.server import Metrics, Server, make_wsgi
from clipper.slackapp import WorkQueue, make_slack_app
from clipper.types import FeedbackText
from clipper.wiring import make_clipper

from .conftest import Clock, write_config
from .feedserver import FeedServer, Reply, rss
from .slackstub import SlackStub
from .support.seeding import mention, seed_matches
from .support.slack import (
    TEAM_REPS,
    TEAM_USERS,
    button_click,
    clip_body,
    note_state,
    share_submission,
    sign,
    stub,
)

__all__ = ["stub"]

SECRET = "S3cr3t-signing"
USERS = TEAM_USERS
REPS = TEAM_REPS
ACCOUNTS = [
    {
        "name": "Acme Robotics",
        "owner": "sam@example.com",
        "contacts": [
            {"name": "Jo Buyer", "email": "jo@acme.example", "role": "COO"},
            {"name": "Mo <b>Lee</b> *CFO*", "title": "Chief Financial Officer " + "x" * 80},
        ],
    },
    {"name": "Northwind Logistics", "owner": "dana@example.com"},
]


@pytest.fixture
def slack_users() -> dict[str, str]:
    return USERS


def test_signature_matches_slacks_published_test_vector() -> None:
    body = (
        "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id="
        "G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook"
        "-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F3977"
        "00885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d"
        "10d2c447fce8b6703c"
    )
    assert sign(body, "8f742231b10e8888abcd99yyyzzz85a5", "1531420618") == (
        "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503"
    )


class SlowStorage(Storage):
    """A store that takes 5 s to record anything a Slack request does."""

    def remember_request(self, key: str, now: Any) -> bool:
        time.sleep(5)
        return super().remember_request(key, now)


class App:
    def __init__(
        self,
        tmp_path: Path,
        server: FeedServer,
        stub: SlackStub,
        *,
        slack: dict[str, Any] | None = None,
    ) -> None:
        self.stub = stub
        self.feeds = server
        self.clock = Clock()
        stub.ts_clock = lambda: self.clock().timestamp()
        items = [
            {
                "title": f"Acme Robotics opens plant number {n}",
                "link": f"https://n.example/{n}",
                "guid": str(n),
            }
            for n in range(3)
        ] + [
            {
                "title": "Northwind Logistics buys trucks",
                "link": "https://n.example/nw",
                "guid": "nw",
            }
        ]
        url = server.route("/feed", Reply(200, rss(items)))
        self.path = write_config(
            tmp_path,
            feeds={"x": [{"url": url, "name": "Wire"}]},
            accounts=ACCOUNTS,
            reps=REPS,
            settings={"slack": {"pace_s": 0.0, **(slack or {})}},
        )
        self.environ = {
            "SLACK_BOT_TOKEN": "xoxb-test",
            "SLACK_SIGNING_SECRET": SECRET,
            "SLACK_API_BASE_URL": stub.base_url,
        }
        self.server: Server | None = None
        self.clipper: Clipper | None = None
        self.work: WorkQueue | None = None

    def start(self, storage: Storage | None = None) -> App:
        config = load_config(self.path, self.environ)
        self.clipper = make_clipper(config, _clock=self.clock, _storage=storage)
        self.work = WorkQueue.from_settings(config.settings.slack)
        app = make_slack_app(self.clipper, work=self.work)
        self.server = Server(
            make_wsgi(app, Metrics(), self.clipper.health),
            "127.0.0.1",
            0,
            connection_limit=config.settings.slack.connection_limit,
            channel_timeout_s=config.settings.slack.channel_timeout,
            on_close=self.work.shutdown,
        ).start()
        self.url = f"http://127.0.0.1:{self.server.port}"
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.close()
        if self.clipper is not None:
            self.clipper.close()

    @property
    def storage(self) -> Any:
        assert self.clipper is not None
        return self.clipper.storage

    def seed_digest(self) -> dict[str, Any]:
        """Fetch, store matches and post Sam's digest; return the posted message."""
        assert self.clipper is not None
        self.clipper.update_feeds()
        seed_matches(
            self.storage,
            self.clock(),
            lambda a: mention("Acme Robotics" if "Acme" in a.title else "Northwind Logistics"),
        )
        self.clipper.digest()
        (message,) = self.stub.posts("DU1")
        return copy.deepcopy(message)  # as the rep saw it, before any chat.update

    def post(
        self,
        body: str,
        *,
        timestamp: int | None = None,
        signature: str | None = None,
        headers: dict[str, str] | None = None,
        content_type: str = "application/x-www-form-urlencoded",
        extra: dict[str, str] | None = None,
    ) -> tuple[httpx.Response, float]:
        ts = str(int(time.time()) if timestamp is None else timestamp)
        sent = {
            "Content-Type": content_type,
            "X-Slack-Request-Timestamp": ts,
            "X-Slack-Signature": signature or sign(body, SECRET, ts),
            **(extra or {}),
        }
        if headers is not None:
            sent = headers
        started = time.perf_counter()
        response = httpx.post(f"{self.url}/slack/events", content=body, headers=sent, timeout=10)
        return response, time.perf_counter() - started

    def command(self, text: str, user: str = "U1") -> tuple[str, str]:
        """Return (a signed-ready /clip body, its response_url id)."""
        url = self.stub.response_url()
        body = clip_body(text, user=user, response_url=url, trigger_id=self.stub.trigger())
        return body, url.rsplit("/", 1)[-1]

    def action(
        self,
        message: dict[str, Any],
        action_id: str,
        article_index: int = 0,
        *,
        user: str = "U1",
        trigger_age: float = 0.0,
    ) -> tuple[str, str]:
        actions = [b for b in message["blocks"] if b["type"] == "actions"]
        block = actions[article_index]
        element = next(e for e in block["elements"] if e["action_id"] == action_id)
        clicked = {
            "action_id": action_id,
            "block_id": block["block_id"],
            "value": element["value"],
            "type": "button",
            "action_ts": "1700000000.000001",
        }
        return button_click(self.stub, clicked, message=message, user=user, trigger_age=trigger_age)


def wait_for(check: Callable[[], bool], timeout: float = 15.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.05)
    return False


@pytest.fixture
def app(tmp_path: Path, server: FeedServer, stub: SlackStub) -> Iterator[App]:
    running = App(tmp_path, server, stub).start()
    yield running
    running.stop()


def terms(app: App, rep: str = "sam@example.com") -> list[str]:
    return [w.term for w in app.storage.watch_terms(rep)]


def test_add_is_acknowledged_at_once_stored_once_and_confirmed_once(app: App) -> None:
    body, rid = app.command("add cold chain to acme")
    response, took = app.post(body)
    assert response.status_code == 200 and took < 3.0
    assert wait_for(lambda: len(app.stub.responses[rid]) == 1)
    assert "Watching `cold chain` for *Acme Robotics*" in app.stub.responses[rid][0]["text"]
    assert terms(app) == ["cold chain"]
    time.sleep(0.3)
    assert len(app.stub.responses[rid]) == 1


def test_forged_altered_stale_and_unsigned_requests_get_401_and_change_nothing(app: App) -> None:
    body, rid = app.command("add Evil")
    now = int(time.time())
    good = sign(body, SECRET, str(now))
    bad = good[:-1] + ("0" if good[-1] != "0" else "1")
    assert app.post(body, signature=bad)[0].status_code == 401
    tampered = body.replace("add+Evil", "add+Worse")
    assert app.post(tampered, signature=good, timestamp=now)[0].status_code == 401
    # just outside the 5-minute window, both ways (fresh timestamps: the window moves with time)
    # (whole seconds rounded away from the window's edge, so the probe is exactly what it says)
    assert app.post(body, timestamp=math.floor(time.time()) - 301)[0].status_code == 401
    assert app.post(body, timestamp=math.ceil(time.time()) + 301)[0].status_code == 401
    for missing in ("X-Slack-Signature", "X-Slack-Request-Timestamp"):
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Slack-Request-Timestamp": str(now),
            "X-Slack-Signature": good,
        }
        del headers[missing]
        assert app.post(body, headers=headers)[0].status_code == 401
    # ssl_check never bypasses verification
    response = app.post(body + "&ssl_check=1", signature="v0=bad")[0]
    assert response.status_code in (200, 401) and response.text in (
        "",
        '{"error": "invalid request"}',
    )
    time.sleep(0.5)
    assert terms(app) == [] and app.stub.responses[rid] == []
    # a request inside the window still works
    assert app.post(body, timestamp=math.ceil(time.time()) - 299)[0].status_code == 200
    assert wait_for(lambda: terms(app) == ["Evil"])


def test_a_replayed_request_changes_nothing_further(app: App) -> None:
    body, rid = app.command("touch Acme Robotics called about the renewal")
    now = int(time.time())
    first = app.post(body, timestamp=now)[0]
    assert first.status_code == 200
    assert wait_for(lambda: len(app.stub.responses[rid]) == 1)
    second = app.post(body, timestamp=now)[0]
    assert second.status_code == 200 and "error" not in second.text
    time.sleep(0.5)
    since = app.clock() - timedelta(days=1)
    statuses = app.storage.touch_statuses(["Acme Robotics"], since, 1)
    assert statuses["Acme Robotics"].this_quarter == 1
    assert len(app.stub.responses[rid]) == 1


def test_help_for_empty_unknown_and_help(app: App) -> None:
    for text in ("", "help", "frobnicate"):
        body, rid = app.command(text)
        response, took = app.post(body)
        assert response.status_code == 200 and took < 3.0
        assert "/clip add TERM" in response.text
    assert "frobnicate" in response.text
    time.sleep(0.3)
    assert app.stub.count("chat.postMessage") == 0 and terms(app) == []


def test_list_shows_only_my_terms(app: App) -> None:
    app.storage.add_watch_term(
        "dana@example.com", "Northwind Logistics", "secret term", app.clock()
    )
    body, rid = app.command("add robots")
    app.post(body)
    assert wait_for(lambda: len(app.stub.responses[rid]) == 1)
    body, rid = app.command("list")
    app.post(body)
    assert wait_for(lambda: len(app.stub.responses[rid]) == 1)
    text = app.stub.responses[rid][0]["text"]
    assert "robots" in text and "secret term" not in text


def test_validation_answers_and_suggestions(app: App) -> None:
    body, rid = app.command("remove not-there")
    assert app.post(body)[0].status_code == 200
    assert wait_for(lambda: len(app.stub.responses[rid]) == 1)
    assert "is not one of your terms" in app.stub.responses[rid][0]["text"]
    response = app.post(app.command("add    ")[0])[0]
    assert response.status_code == 200 and "the term is empty" in response.text
    response = app.post(app.command("add " + "x" * 150)[0])[0]
    assert response.status_code == 200 and "at most 100" in response.text
    body, rid = app.command("news Acme Robotcs")
    app.post(body)
    assert wait_for(lambda: len(app.stub.responses[rid]) == 1)
    assert "Did you mean *Acme Robotics*?" in app.stub.responses[rid][0]["text"]
    # another rep's account is not mine: no data shown
    body, rid = app.command("news Northwind Logistics")
    app.post(body)
    assert wait_for(lambda: len(app.stub.responses[rid]) == 1)
    assert "no account of yours" in app.stub.responses[rid][0]["text"]
    assert terms(app) == []


def test_a_slow_store_still_acknowledges_within_3_seconds(
    tmp_path: Path, server: FeedServer, stub: SlackStub
) -> None:
    slow = App(tmp_path, server, stub)
    config = load_config(slow.path, slow.environ)
    storage = SlowStorage(config.database_path)
    storage.migrate()
    slow.start(storage)
    try:
        body, rid = slow.command("add slow term")
        response, took = slow.post(body)
        assert response.status_code == 200 and took < 3.0
        assert wait_for(lambda: len(stub.responses[rid]) == 1, timeout=20)
        assert "Watching `slow term`" in stub.responses[rid][0]["text"]
        assert terms(slow) == ["slow term"]
    finally:
        slow.stop()


def test_an_expired_response_url_is_logged_not_retried(app: App) -> None:
    body, rid = app.command("list")
    app.stub.expired.add(rid)
    assert app.post(body)[0].status_code == 200
    assert wait_for(lambda: sum(1 for c in app.stub.calls if c.method == "response_url") == 1)
    time.sleep(0.5)
    assert sum(1 for c in app.stub.calls if c.method == "response_url") == 1
    assert app.stub.count("chat.postMessage") == 0  # no fallback post in the channel


def test_mute_button_once_replay_idempotent_and_next_digest_without_it(app: App) -> None:
    message = app.seed_digest()
    body, rid = app.action(message, "mute_account")
    response, took = app.post(body)
    assert response.status_code == 200 and took < 3.0
    assert wait_for(lambda: len(app.stub.responses[rid]) == 1)
    assert app.post(body)[0].status_code == 200
    time.sleep(0.3)
    assert len(app.storage.mutes("sam@example.com", app.clock())) == 1
    assert len(app.stub.responses[rid]) == 1
    # a new Acme article arrives: the next digest leaves it out
    from clipper.types import Match

    assert app.clipper is not None
    app.clock.advance(days=1)
    app.feeds.route(
        "/feed",
        Reply(
            200,
            rss(
                [{"title": "Acme Robotics wins award", "link": "https://n.example/w", "guid": "w"}]
            ),
        ),
    )
    app.clipper.update_feeds(due_only=False)
    won = Match("Acme Robotics", 0.9, ("mentions",))
    claimed = seed_matches(app.storage, app.clock(), lambda _article: won)
    assert len(claimed) == 1
    report = app.clipper.digest(rep="sam@example.com", force=True)
    assert report.sent == 0 and len(app.stub.posts("DU1")) == 1


def test_not_relevant_records_feedback_and_removes_the_item(app: App) -> None:
    message = app.seed_digest()
    actions = [b for b in message["blocks"] if b["type"] == "actions"]
    article = json.loads(actions[0]["elements"][0]["value"])["article"]
    body, _rid = app.action(message, "not_relevant")
    response, took = app.post(body)
    assert response.status_code == 200 and took < 3.0
    assert wait_for(lambda: len(app.stub.updates) == 1)
    update = app.stub.updates[0]
    assert update["ts"] == message["ts"] and update["channel"] == "DU1"
    values = [
        json.loads(e["value"])["article"]
        for b in update["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
    ]
    assert article not in values and "Marked not relevant" in json.dumps(update["blocks"])
    assert app.stub.rejected == []
    assert app.post(body)[0].status_code == 200  # a replay records nothing more
    time.sleep(0.3)
    assert len(app.stub.updates) == 1


def test_share_opens_a_prefilled_modal_and_logs_a_touch_once(app: App) -> None:
    message = app.seed_digest()
    body, _rid = app.action(message, "share")
    response, took = app.post(body)
    assert response.status_code == 200 and took < 3.0
    assert wait_for(lambda: len(app.stub.views) == 1)
    view = app.stub.views[0]
    (note_block,) = [b for b in view["blocks"] if b.get("block_id") == "note"]
    note = note_block["element"]["initial_value"]
    assert note.startswith("Hi Jo Buyer,") and "Acme Robotics opens plant" in note
    assert "Jo Buyer" in view["blocks"][0]["text"]["text"]
    raw = share_submission("VSHARE1", view["private_metadata"], note_state("Hi Jo"))
    assert app.post(raw)[0].status_code == 200
    assert wait_for(lambda: len(app.stub.updates) == 1)
    assert "Shared with the customer by <@U1>" in json.dumps(app.stub.updates[0]["blocks"])
    assert app.post(raw)[0].status_code == 200  # replayed submission: one touch
    time.sleep(0.3)
    start = app.clock() - timedelta(days=1)
    assert (
        app.storage.touch_statuses(["Acme Robotics"], start, 1)["Acme Robotics"].this_quarter == 1
    )
    # the account team sees it was shared: a second share is refused with who and when
    body, rid = app.action(message, "share")
    again = app.post(body)[0]
    assert again.status_code == 200
    assert wait_for(lambda: len(app.stub.responses[rid]) == 1)
    assert "already shared" in app.stub.responses[rid][0]["text"]


def test_an_expired_trigger_is_told_to_the_user(app: App) -> None:
    message = app.seed_digest()
    body, rid = app.action(message, "share", trigger_age=4.0)
    assert app.post(body)[0].status_code == 200
    assert wait_for(lambda: len(app.stub.responses[rid]) == 1)
    assert "could not open in time" in app.stub.responses[rid][0]["text"]


def test_other_commands(app: App) -> None:
    def run(text: str, user: str = "U1") -> str:
        body, rid = app.command(text, user)
        response = app.post(body)[0]
        assert response.status_code == 200
        if response.text:  # usage problems are answered in the acknowledgement
            return response.text
        assert wait_for(lambda: len(app.stub.responses[rid]) == 1), text
        return str(app.stub.responses[rid][0]["text"])

    assert "Acme Robotics" in run("accounts") and "0 of 1" in run("accounts")
    assert "Logged a touch on *Acme Robotics*: sent the case study" in run(
        "touch acme robotics sent the case study"
    )
    assert "1 of 1" in run("accounts")
    assert "Your time zone is now Europe/Berlin" in run("settings tz Europe/Berlin")
    assert "not a time" in run("settings time 25:99")
    assert "industry news is now off" in run("settings industries off")
    assert "`on` or `off`" in run("settings industries later")
    assert "for managers" in run("report")
    report = run("report", user="U3")
    assert "1 of 2 accounts" in report and "Northwind Logistics" in report
    assert "Muted *Acme Robotics*" in run("mute acme 7")
    assert "Unmuted 1" in run("unmute")
    app.seed_digest()
    assert "Acme Robotics opens plant number" in run("news acme")
    preview = run('preview "opens plant"')
    assert "would have caught 3 articles" in preview and "Nothing was saved" in preview
    assert terms(app) == []
    assert "caught nothing" in run("preview zeppelin")
    assert "Nothing new since your last digest" in run("digest")


def test_health_metrics_and_size_limit(app: App) -> None:
    assert httpx.get(f"{app.url}/healthz").text == "ok\n"
    app.post(app.command("help")[0])
    metrics = httpx.get(f"{app.url}/metrics").text
    assert 'clipper_http_requests_total{path="/slack/events",status="200"}' in metrics
    big = "text=" + "x" * 300_000
    assert app.post(big)[0].status_code == 413


def test_healthz_says_degraded_while_configured_parts_are_skipped(
    tmp_path: Path, server: FeedServer, stub: SlackStub
) -> None:
    # one rep with a misspelt time zone: the rest is served, and /healthz says what is missing
    app = App(tmp_path, server, stub)
    reps = app.path.parent / "reps.yaml"
    reps.write_text(reps.read_text() + "- email: lee@example.com\n  tz: Europe/Berln\n")
    app.start()
    try:
        health = httpx.get(f"{app.url}/healthz", timeout=5)
        assert health.status_code == 200  # alive: a liveness probe must not restart it
        assert health.text.startswith("degraded: 1 configuration part skipped")
        assert app.post(app.command("help")[0])[0].status_code == 200  # still serving
    finally:
        app.stop()


def test_a_refused_token_stops_the_app_at_start(
    tmp_path: Path, server: FeedServer, stub: SlackStub
) -> None:
    setup = App(tmp_path, server, stub)
    stub.revoked.add("xoxb-test")
    config = load_config(setup.path, setup.environ)
    with make_clipper(config) as clipper, pytest.raises(SlackAuthError, match="SLACK_BOT_TOKEN"):
        make_slack_app(clipper)
    result = CliRunner(env=setup.environ).invoke(
        main, ["--config", str(setup.path), "serve", "--port", "0"]
    )
    assert result.exit_code == 1 and "SLACK_BOT_TOKEN" in result.output


def test_the_manifest_asks_for_what_the_app_uses() -> None:
    import yaml

    from .conftest import REPO

    manifest = yaml.safe_load((REPO / "slack" / "manifest.yaml").read_text())
    scopes = set(manifest["oauth_config"]["scopes"]["bot"])
    assert {"commands", "chat:write", "im:write", "users:read", "users:read.email"} <= scopes
    assert "im:history" in scopes  # digest reconciliation after an uncertain post
    (command,) = manifest["features"]["slash_commands"]
    assert command["command"] == "/clip" and command["url"].endswith("/slack/events")
    assert command["should_escape"] is False
    assert manifest["settings"]["interactivity"]["request_url"].endswith("/slack/events")
    assert manifest["features"]["app_home"]["messages_tab_enabled"] is True
    assert manifest["settings"]["token_rotation_enabled"] is False


def test_socket_mode_receives_commands_over_a_websocket(app: App) -> None:
    """With SLACK_APP_TOKEN the same listeners run over Socket Mode: a stand-in WebSocket
    server (what apps.connections.open points at) sends a /clip envelope; Clipper acks the
    envelope, stores the term and answers through response_url."""
    import threading

    from slack_bolt.adapter.socket_mode import SocketModeHandler
    from websockets.sync.server import ServerConnection, serve

    acks: list[dict[str, Any]] = []
    rid_box: list[str] = []

    def session(connection: ServerConnection) -> None:
        connection.send(json.dumps({"type": "hello", "num_connections": 1}))
        url = app.stub.response_url()
        rid_box.append(url.rsplit("/", 1)[-1])
        payload = {
            "token": "x",
            "team_id": "T1",
            "channel_id": "DU1",
            "user_id": "U1",
            "command": "/clip",
            "text": "add over the socket",
            "api_app_id": "A1",
            "response_url": url,
            "trigger_id": app.stub.trigger(),
        }
        connection.send(
            json.dumps(
                {
                    "envelope_id": "env-1",
                    "type": "slash_commands",
                    "payload": payload,
                    "accepts_response_payload": True,
                }
            )
        )
        try:
            for message in connection:
                acks.append(json.loads(message))
        except Exception:  # noqa: BLE001 - the client closing ends the session
            return

    with serve(session, "127.0.0.1", 0) as ws:
        port = ws.socket.getsockname()[1]
        threading.Thread(target=ws.serve_forever, daemon=True).start()
        app.stub.socket_url = f"ws://127.0.0.1:{port}/link"
        assert app.clipper is not None
        bolt = make_slack_app(app.clipper)
        handler = SocketModeHandler(bolt, "xapp-test")
        handler.connect()  # type: ignore[no-untyped-call]
        try:
            assert wait_for(lambda: any(a.get("envelope_id") == "env-1" for a in acks))
            assert wait_for(lambda: bool(rid_box) and len(app.stub.responses[rid_box[0]]) == 1)
            assert "Watching `over the socket`" in app.stub.responses[rid_box[0]][0]["text"]
            assert terms(app) == ["over the socket"]
        finally:
            handler.close()  # type: ignore[no-untyped-call]
            ws.shutdown()


def test_malformed_requests_get_401_or_400_and_one_log_line(
    app: App, caplog: pytest.LogCaptureFixture
) -> None:
    """Issue 10 item 7: a bad timestamp header or a body Bolt cannot parse is refused (401
    unsigned, 400 signed but malformed) with one log line, never a 500 with a traceback."""
    import logging

    caplog.set_level(logging.INFO)
    body, rid = app.command("add Evil")
    form = "application/x-www-form-urlencoded"
    now = str(int(time.time()))
    cases: list[tuple[bytes, str, str, str, int]] = []
    for stamp in ("abc", f"{time.time():.4f}", "1e400", "", "+17", "0x10"):
        cases.append((body.encode(), form, stamp, sign(body, SECRET, stamp), 401))
    bad_bodies = [
        (b"payload=notjson", form),
        (b"payload=%7B", form),
        (b"payload=%5B1%5D", form),
        (b"{bad", "application/json"),
        (b"[1, 2]", "application/json"),
        (b"\xff\xfe", form),
    ]
    for raw, kind in bad_bodies:
        cases.append((raw, kind, now, "v0=bad", 401))  # unsigned: refused before parsing
        signature = (
            "v0=" + hmac.new(SECRET.encode(), f"v0:{now}:".encode() + raw, "sha256").hexdigest()
        )
        cases.append((raw, kind, now, signature, 400))  # signed but malformed
    for raw, kind, stamp, signature, expected in cases:
        caplog.clear()
        headers = {
            "Content-Type": kind,
            "X-Slack-Request-Timestamp": stamp,
            "X-Slack-Signature": signature,
        }
        response = httpx.post(f"{app.url}/slack/events", content=raw, headers=headers, timeout=10)
        assert response.status_code == expected, (raw, stamp, response.status_code)
        ours = [r for r in caplog.records if r.name.split(".")[0] != "httpx"]
        assert len(ours) == 1, (raw, stamp, [r.getMessage() for r in ours])
        assert ours[0].exc_info is None and "Traceback" not in caplog.text
    time.sleep(0.3)
    assert terms(app) == [] and app.stub.responses[rid] == []


def with_article(message: dict[str, Any], article: Any) -> dict[str, Any]:
    """The digest message with every button's article id replaced (a raw JSON fragment)."""
    changed = copy.deepcopy(message)
    for block in changed["blocks"]:
        for element in block.get("elements", ()) if block["type"] == "actions" else ():
            account = json.loads(element["value"])["account"]
            element["value"] = f'{{"article": {article}, "account": {json.dumps(account)}}}'
    return changed


def feedback_rows(app: App) -> list[FeedbackText]:
    return list(app.storage.feedback_texts())


def test_a_failed_message_update_still_says_the_feedback_was_recorded(app: App) -> None:
    """Issue 10 item 15a: chat.update fails after the feedback is stored: the rep is told it was
    recorded and that only the message could not be changed, never "could not record that"."""
    from .slackstub import Fault

    message = app.seed_digest()
    app.stub.faults.append(Fault("chat.update", nth=1, error="cant_update_message"))
    body, rid = app.action(message, "not_relevant")
    assert app.post(body)[0].status_code == 200
    assert wait_for(lambda: len(app.stub.responses[rid]) == 1)
    text = app.stub.responses[rid][0]["text"]
    assert "could not record" not in text
    assert "Marked not relevant" in text and "could not update" in text
    assert len(feedback_rows(app)) == 1


@pytest.mark.parametrize("article", ["1e400", '"1e400"', "-3", "1.5", "true", "null", "9" * 30])
def test_a_button_with_an_unusable_article_id_gets_a_clear_reply(app: App, article: str) -> None:
    """Issue 10 item 15b: an article id that is no integer id (or out of range) is answered."""
    message = with_article(app.seed_digest(), article)
    for action_id in ("not_relevant", "mute_account", "share"):
        body, rid = app.action(message, action_id)
        assert app.post(body)[0].status_code == 200
        answers = app.stub.responses[rid]
        assert wait_for(lambda: len(answers) == 1), (action_id, article)  # noqa: B023
        text = answers[0]["text"]
        assert "not an article id" in text, text
    assert feedback_rows(app) == [] and app.stub.updates == [] and app.stub.views == []
    assert app.storage.mutes("sam@example.com", app.clock()) == []


def test_a_button_for_a_missing_article_says_not_found_not_marked(app: App) -> None:
    """Issue 10 item 15c: an id that no article has is reported as not found."""
    message = with_article(app.seed_digest(), "987654")
    body, rid = app.action(message, "not_this_company")
    assert app.post(body)[0].status_code == 200
    assert wait_for(lambda: len(app.stub.responses[rid]) == 1)
    text = app.stub.responses[rid][0]["text"]
    assert "not found" in text and "Marked" not in text
    body, rid = app.action(message, "share")
    assert app.post(body)[0].status_code == 200
    assert wait_for(lambda: len(app.stub.responses[rid]) == 1)
    assert "not found" in app.stub.responses[rid][0]["text"]
    time.sleep(0.3)
    assert feedback_rows(app) == [] and app.stub.updates == [] and app.stub.views == []


class WriteLock:
    """Another connection holding the database's write lock (BEGIN IMMEDIATE) until released."""

    def __init__(self, app: App) -> None:
        import sqlite3

        assert app.clipper is not None
        self.conn = sqlite3.connect(app.clipper.config.database_path, isolation_level=None)
        self.conn.execute("BEGIN IMMEDIATE")

    def release(self) -> None:
        self.conn.execute("ROLLBACK")
        self.conn.close()


def touches(app: App) -> list[str]:
    import sqlite3

    assert app.clipper is not None
    with contextlib.closing(sqlite3.connect(app.clipper.config.database_path)) as conn:
        return [r[0] for r in conn.execute("SELECT note FROM touches ORDER BY note")]


def test_acks_never_wait_behind_work_and_a_retried_touch_is_logged_once(app: App) -> None:
    """Issue 10 item 4: with the write lock held by another connection, 12 concurrent /clip touch
    requests and Slack's retries of each (new timestamp, X-Slack-Retry-Num) are all acknowledged
    within 3 s; once the lock is released each touch is logged exactly once."""
    import threading

    sent = [app.command(f"touch Acme Robotics call number {n:02d}") for n in range(12)]
    answers: list[tuple[int, float]] = []
    guard = threading.Lock()

    def send(body: str, retry: bool) -> None:
        extra = {"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"} if retry else {}
        response, took = app.post(body, timestamp=int(time.time()) + retry, extra=extra)
        with guard:
            answers.append((response.status_code, took))

    lock = WriteLock(app)
    try:
        senders = [
            threading.Thread(target=send, args=(body, retry))
            for retry in (False, True)
            for body, _rid in sent
        ]
        for thread in senders:
            thread.start()
        for thread in senders:
            thread.join(timeout=20)
        assert len(answers) == 24
        assert all(status == 200 and took < 3.0 for status, took in answers), answers
        time.sleep(1.0)  # the work is still waiting for the lock
    finally:
        lock.release()
    assert wait_for(lambda: all(len(app.stub.responses[rid]) == 1 for _b, rid in sent), 30)
    for _body, rid in sent:
        assert "Logged a touch on *Acme Robotics*" in app.stub.responses[rid][0]["text"]
    time.sleep(0.5)
    assert touches(app) == [f"call number {n:02d}" for n in range(12)]


def test_a_full_work_queue_answers_busy_at_once_and_changes_nothing(
    tmp_path: Path, server: FeedServer, stub: SlackStub
) -> None:
    """Issue 10 item 4: one work thread and one waiting place: the third request is answered
    "busy" in its acknowledgement (a button through response_url), never dropped silently."""
    busy = App(tmp_path, server, stub, slack={"work_threads": 1, "work_queue": 1}).start()
    try:
        message = busy.seed_digest()
        lock = WriteLock(busy)
        try:
            replies = []
            for n in range(4):
                response, took = busy.post(busy.command(f"touch Acme Robotics note {n}")[0])
                assert response.status_code == 200 and took < 3.0
                replies.append(response.text)
            body, rid = busy.action(message, "not_relevant")
            response, took = busy.post(body)
            assert response.status_code == 200 and took < 3.0
            assert wait_for(lambda: len(stub.responses[rid]) == 1, timeout=5)
            assert "busy" in stub.responses[rid][0]["text"]
            metadata = json.dumps({"article": 1, "account": "Acme Robotics"})
            response, took = busy.post(share_submission("VBUSY", metadata))
            assert response.status_code == 200 and took < 3.0
            answer = response.json()  # the share window stays open and says why
            assert answer["response_action"] == "errors" and "busy" in answer["errors"]["note"]
        finally:
            lock.release()
        assert replies[:2] == ["", ""]
        assert all("busy" in r and "nothing was changed" in r for r in replies[2:]), replies
        assert wait_for(lambda: touches(busy) == ["note 0", "note 1"])
        time.sleep(0.5)
        assert touches(busy) == ["note 0", "note 1"] and feedback_rows(busy) == []
    finally:
        busy.stop()


def test_idle_connections_do_not_lock_slack_out(app: App) -> None:
    """Issue 10 item 5: 150 idle sockets (more than waitress's default limit of 100) and a
    signed request is still answered at once; the sockets are closed afterwards."""
    import socket

    assert app.server is not None
    idle: list[socket.socket] = []
    try:
        for _ in range(150):
            idle.append(socket.create_connection(("127.0.0.1", app.server.port), timeout=5))
        time.sleep(0.5)
        body, rid = app.command("list")
        response, took = app.post(body)
        assert response.status_code == 200 and took < 3.0
        assert wait_for(lambda: len(app.stub.responses[rid]) == 1)
        assert httpx.get(f"{app.url}/healthz", timeout=5).status_code == 200
    finally:
        for sock in idle:
            sock.close()


def test_an_idle_connection_is_closed_after_the_channel_timeout(
    tmp_path: Path, server: FeedServer, stub: SlackStub
) -> None:
    """Issue 10 item 5: ``slack.channel_timeout`` closes a socket that sends nothing."""
    import socket

    short = App(tmp_path, server, stub, slack={"channel_timeout": "2s"}).start()
    try:
        assert short.server is not None
        with socket.create_connection(("127.0.0.1", short.server.port), timeout=15) as sock:
            started = time.monotonic()
            assert sock.recv(1) == b""  # the server hung up
            assert time.monotonic() - started < 10
    finally:
        short.stop()


def test_the_share_window_offers_the_contacts_and_logs_the_one_chosen(app: App) -> None:
    message = app.seed_digest()
    body, _rid = app.action(message, "share")
    assert app.post(body)[0].status_code == 200
    assert wait_for(lambda: len(app.stub.views) == 1)
    view = app.stub.views[0]
    (select,) = [b for b in view["blocks"] if b.get("block_id") == "contact"]
    options = select["element"]["options"]
    assert [o["value"] for o in options] == ["0", "1"]
    assert options[0]["text"]["text"] == "Jo Buyer, COO"
    # a hostile name is plain text (never mrkdwn), cut to Slack's 75 characters
    assert options[1]["text"]["type"] == "plain_text"
    assert options[1]["text"]["text"].startswith("Mo <b>Lee</b> *CFO*, Chief Financial Officer")
    assert len(options[1]["text"]["text"]) == 75
    assert select["element"]["initial_option"] == options[0]

    # choosing the second contact re-writes the note for them
    choose = {
        "type": "block_actions",
        "user": {"id": "U1"},
        "team": {"id": "T1"},
        "api_app_id": "A1",
        "trigger_id": app.stub.trigger(),
        "view": {
            "id": "V1",
            "hash": "h-1",
            "type": "modal",
            "callback_id": "share_modal",
            "private_metadata": view["private_metadata"],
            "state": {
                "values": {
                    "contact": {
                        "share_contact": {"type": "static_select", "selected_option": options[1]}
                    },
                    "note": {"note": {"type": "plain_text_input", "value": note_of(view)}},
                }
            },
        },
        "actions": [
            {
                "type": "static_select",
                "action_id": "share_contact",
                "block_id": "contact",
                "selected_option": options[1],
            }
        ],
    }
    assert app.post("payload=" + quote(json.dumps(choose)))[0].status_code == 200
    assert wait_for(lambda: len(app.stub.view_updates) == 1)
    update = app.stub.view_updates[0]
    assert (update["view_id"], update["hash"]) == ("V1", "h-1")
    rewritten = update["view"]
    assert note_of(rewritten, "note_1").startswith("Hi Mo <b>Lee</b> *CFO*,")
    (select,) = [b for b in rewritten["blocks"] if b.get("block_id") == "contact"]
    assert select["element"]["initial_option"]["value"] == "1"
    assert "Mo &lt;b&gt;Lee&lt;/b&gt;" in rewritten["blocks"][0]["text"]["text"]

    state = note_state("Hi Mo", "note_1")
    state["values"]["contact"] = {
        "share_contact": {"type": "static_select", "selected_option": options[1]}
    }
    submission = share_submission("V1", view["private_metadata"], state)
    assert app.post(submission)[0].status_code == 200
    assert wait_for(lambda: len(app.stub.updates) == 1)
    assert app.clipper is not None
    (touch,) = app.clipper.list_touches(account="Acme Robotics")
    assert (touch.contact, touch.note) == ("Mo <b>Lee</b> *CFO*", "Hi Mo")


def note_of(view: dict[str, Any], block_id: str = "note") -> str:
    (block,) = [b for b in view["blocks"] if b.get("block_id") == block_id]
    return str(block["element"]["initial_value"])
