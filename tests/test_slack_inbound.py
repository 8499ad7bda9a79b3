"""The pure decisions behind the Slack app's refusals: ``logic.inbound`` (is a request signed and
readable) and ``logic.clip.parse_button_value`` (what a digest button names)."""

from __future__ import annotations

import hashlib
import hmac

import pytest

from clipper.exceptions import CommandUsageError
from clipper.logic.clip import ButtonItem, parse_button_value, parse_share_submission
from clipper.logic.inbound import Verdict, check_inbound, response_url_allowed

SECRET = "s"
NOW = 1_700_000_000.0


def signed(body: bytes, ts: str = str(int(NOW))) -> str:
    return (
        "v0=" + hmac.new(SECRET.encode(), f"v0:{ts}:".encode() + body, hashlib.sha256).hexdigest()
    )


def verdict(body: bytes, ts: str | None, sig: str | None, kind: str | None = None) -> Verdict:
    return check_inbound(
        body, timestamp=ts, signature=sig, content_type=kind, secret=SECRET, now=NOW
    ).verdict


def test_inbound_verdicts() -> None:
    ts = str(int(NOW))
    form = b"command=%2Fclip&text=list"
    assert verdict(form, ts, signed(form)) is Verdict.ACCEPT
    assert verdict(b"", ts, signed(b"")) is Verdict.ACCEPT  # Bolt answers it (unhandled)
    for stamp in (None, "", "1.5", "1e400", "+17", "x", "9" * 40):
        assert verdict(form, stamp, signed(form, stamp or "")) is Verdict.UNSIGNED, stamp
    assert verdict(form, str(int(NOW) - 301), signed(form, str(int(NOW) - 301))) is Verdict.UNSIGNED
    assert verdict(form, ts, None) is Verdict.UNSIGNED
    assert verdict(form, ts, "v0=é") is Verdict.UNSIGNED
    for bad, kind in (
        (b"payload=%7B", None),
        (b"payload=%5B%5D", None),
        (b"{x", None),
        (b"[1]", "application/json"),
        (b"[1]", "application/json; charset=utf-8"),  # Bolt ignores the parameters too
        (b"\xff", None),
        (b"[" * 100_000, "application/json"),
    ):
        assert verdict(bad, ts, signed(bad), kind) is Verdict.MALFORMED, bad[:20]
        assert verdict(bad, ts, "v0=00", kind) is Verdict.UNSIGNED


def test_button_values() -> None:
    assert parse_button_value('{"article": 7, "account": "Acme"}') == ButtonItem("Acme", 7)
    assert parse_button_value('{"article": "7", "account": "Acme"}') == ButtonItem("Acme", 7)
    for article in ("1e400", "-1", "0", "1.5", "true", "null", '"x"', str(2**63), '"١٢٣"'):
        with pytest.raises(CommandUsageError, match="not an article id"):
            parse_button_value(f'{{"article": {article}, "account": "Acme"}}')
    for value in ("", "[]", '{"article": 1}', "not json"):
        with pytest.raises(CommandUsageError, match="older digest"):
            parse_button_value(value)


def test_response_urls_only_on_slack_or_the_configured_api() -> None:
    api = "https://slack.com/api/"
    stand_in = "http://127.0.0.1:8888/api/"
    for url in (
        "https://hooks.slack.com/commands/T1/1/x",
        "https://hooks.slack.com:443/actions/T1/1/x",
        "https://hooks.slack-gov.com/commands/T1/1/x",
    ):
        assert response_url_allowed(url, api), url
    assert response_url_allowed("http://127.0.0.1:8888/response/r1", stand_in)
    for url in (
        "http://hooks.slack.com/commands/x",
        "https://hooks.slack.com:8443/x",
        "https://hooks.slack.com.evil.example/x",
        "https://hooks.slack.com@169.254.169.254/x",
        "https://user:pw@hooks.slack.com/x",
        "https://hooks.slack.com\\@10.0.0.1/x",
        "http://169.254.169.254/latest/meta-data/",
        "http://127.0.0.1:9999/response/r1",
        "http://localhost:8888/response/r1",
        "https://hooks.slack.com:99999/x",
        "file:///etc/passwd",
        "",
        None,
        5,
    ):
        assert not response_url_allowed(url, stand_in), url


def test_share_submissions() -> None:
    meta = '{"article": 7, "account": "Acme", "channel": "D1", "ts": "1.2"}'
    view = {"private_metadata": meta, "state": {"values": {"note": {"note": {"value": "Hi"}}}}}
    shared = parse_share_submission(view)
    assert (shared.item, shared.note, shared.channel, shared.ts) == (
        ButtonItem("Acme", 7),
        "Hi",
        "D1",
        "1.2",
    )
    bare = parse_share_submission({"private_metadata": '{"article": 7, "account": "A"}'})
    assert (bare.note, bare.channel, bare.ts) == ("", None, None)
    assert parse_share_submission({"private_metadata": meta, "state": {"values": []}}).note == ""
    for metadata in (None, 5, "", "[]", "{", '{"account": "Acme"}', '{"article": null}'):
        with pytest.raises(CommandUsageError, match="nothing was logged"):
            parse_share_submission({"private_metadata": metadata})
