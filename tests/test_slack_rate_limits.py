"""429s on every Slack call, as an operator sees them in ``/metrics``: ``clipper serve`` in a
child process telling the admin about a configuration problem at start (chat.postMessage) and
answering a signed ``/clip`` from a user Slack must look up (users.info, the Slack app's own
client), the Slack stand-in answering 429, and ``/metrics`` read over HTTP."""

from __future__ import annotations

import re
import time
from pathlib import Path

import httpx
import pytest

from .conftest import write_config
from .slackstub import Fault, SlackStub
from .support.cli import kill_clipper, start_clipper, wait_until
from .support.slack import clip_body, signed_headers, stub

__all__ = ["stub"]

SECRET = "S3cr3t-signing"
LISTENING = re.compile(r"Slack app listening on (http://127\.0\.0\.1:\d+)/slack/events")


@pytest.fixture
def slack_users() -> dict[str, str]:
    return {"sam@example.com": "U1", "dana@example.com": "U2"}


def metric(text: str, name: str) -> float:
    found = re.search(rf"^{re.escape(name)} (\S+)$", text, re.MULTILINE)
    assert found is not None, text
    return float(found.group(1))


def clip(base: str, slack: SlackStub, text: str, user: str) -> str:
    """Send ``/clip TEXT`` as ``user``; return the response_url's id its answer goes to."""
    url = slack.response_url()
    body = clip_body(text, user=user, response_url=url, trigger_id=slack.trigger())
    answer = httpx.post(
        f"{base}/slack/events", content=body, headers=signed_headers(body, SECRET), timeout=10
    )
    assert answer.status_code == 200, answer.text
    return url.rsplit("/", 1)[-1]


def answered(slack: SlackStub, rid: str) -> str:
    deadline = time.monotonic() + 30
    while not slack.responses[rid]:
        assert time.monotonic() < deadline, "no answer on the response_url"
        time.sleep(0.05)
    return str(slack.responses[rid][0]["text"])


def test_429s_on_the_apps_own_calls_are_retried_within_bounds_and_counted_in_metrics(
    tmp_path: Path, stub: SlackStub
) -> None:
    path = write_config(
        tmp_path,
        accounts=[
            {"name": "Acme Robotics", "owner": "sam@example.com"},
            # a configuration problem: the admin is told on Slack at start
            {"name": "Globex", "owner": "nobody@example.com"},
        ],
        reps=[{"email": "sam@example.com", "role": "admin"}, {"email": "dana@example.com"}],
    )
    env = {
        "SLACK_BOT_TOKEN": "xoxb-test",
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_API_BASE_URL": stub.base_url,
        "NO_PROXY": "127.0.0.1,localhost",
    }
    # the admin notice at start meets a 429: it is not retried (the log says so), but counted
    stub.faults.append(Fault("chat.postMessage", nth=1, action="429", retry_after=1))
    log = tmp_path / "serve.log"
    process = start_clipper(
        path, "-v", "serve", "--host", "127.0.0.1", "--port", "0", log=log, env=env
    )
    try:
        wait_until(lambda: LISTENING.search(log.read_text()), "the server", process, log)
        found = LISTENING.search(log.read_text())
        assert found is not None
        base = found.group(1)
        assert "could not tell the admin" in log.read_text(), log.read_text()
        metrics = httpx.get(f"{base}/metrics", timeout=10).text
        assert metric(metrics, "clipper_slack_rate_limited_total") == 1

        # a short Retry-After: waited, tried again, and the user is answered as usual
        stub.faults.append(Fault("users.info", nth=1, action="429", retry_after=1))
        assert "Acme Robotics" in answered(stub, clip(base, stub, "accounts", "U1"))
        assert stub.count("users.info") == 2
        metrics = httpx.get(f"{base}/metrics", timeout=10).text
        assert metric(metrics, "clipper_slack_rate_limited_total") == 2
        assert metric(metrics, 'clipper_slack_retries_total{reason="rate_limited"}') == 1

        # a Retry-After longer than a person should wait: not tried again, the user is told,
        # and the 429 is counted all the same
        stub.faults.append(Fault("users.info", always=True, action="429", retry_after=30))
        text = answered(stub, clip(base, stub, "accounts", "U2"))
        assert "cannot read your Slack profile (ratelimited)" in text, text
        assert stub.count("users.info") == 3
        metrics = httpx.get(f"{base}/metrics", timeout=10).text
        assert metric(metrics, "clipper_slack_rate_limited_total") == 3
        assert metric(metrics, 'clipper_slack_retries_total{reason="rate_limited"}') == 1
        assert "Slack rate-limited users.info (Retry-After 30s); not trying again" in (
            log.read_text()
        )
    finally:
        kill_clipper(process)
