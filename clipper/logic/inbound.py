"""Whether a request to ``/slack/events`` is Slack's and readable, decided before Bolt parses it.

    timestamp header: ASCII digits, within 5 minutes of now     else 401
    X-Slack-Signature: v0 HMAC-SHA256 of "v0:{ts}:{raw body}"   else 401 (constant-time compare)
    body: UTF-8; JSON (or a form's ``payload=``) is an object   else 400 (signed but malformed)
    response_url: Slack's hooks host or the configured API origin  else not posted to (SSRF)

Bolt checks the signature again afterwards; this check exists so that no malformed input reaches
Bolt's parser (which answers 500 with a traceback). Does not read sockets or clocks: the server
passes the raw body, the headers and ``now``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from enum import Enum
from urllib.parse import parse_qsl, urlsplit

#: Slack's replay window, either way
WINDOW_S = 300
#: the hosts Slack mints response_urls on (commercial and GovSlack)
SLACK_HOOK_HOSTS = frozenset({"hooks.slack.com", "hooks.slack-gov.com"})


class Verdict(Enum):
    """What the server does with a request."""

    ACCEPT = 200
    #: missing or bad signature or timestamp (HTTP 401)
    UNSIGNED = 401
    #: signed, but the body is not what Slack sends (HTTP 400)
    MALFORMED = 400


@dataclass(frozen=True, slots=True)
class InboundCheck:
    """A verdict and, when refused, the one-line reason to log."""

    verdict: Verdict
    reason: str = ""


def check_inbound(
    body: bytes,
    *,
    timestamp: str | None,
    signature: str | None,
    content_type: str | None,
    secret: str,
    now: float,
) -> InboundCheck:
    """Return whether a raw Slack request may go to Bolt. Does not dispatch or log it."""
    if not timestamp:
        return InboundCheck(Verdict.UNSIGNED, "no X-Slack-Request-Timestamp header")
    if not (timestamp.isascii() and timestamp.isdigit()) or len(timestamp) > 12:
        return InboundCheck(
            Verdict.UNSIGNED,
            f"X-Slack-Request-Timestamp {timestamp[:24]!r} is not whole seconds",
        )
    if abs(now - int(timestamp)) > WINDOW_S:
        return InboundCheck(
            Verdict.UNSIGNED, f"X-Slack-Request-Timestamp {timestamp} is over 5 minutes off"
        )
    if not signature:
        return InboundCheck(Verdict.UNSIGNED, "no X-Slack-Signature header")
    expected = (
        "v0="
        + hmac.new(
            secret.encode(), b"v0:" + timestamp.encode() + b":" + body, hashlib.sha256
        ).hexdigest()
    )
    if not hmac.compare_digest(expected.encode(), signature.encode("utf-8", "replace")):
        return InboundCheck(Verdict.UNSIGNED, "X-Slack-Signature does not match the body")
    return _check_body(body, content_type)


def _check_body(body: bytes, content_type: str | None) -> InboundCheck:
    """The body as Bolt reads it (``slack_bolt.request.internals.parse_body``) must parse."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return InboundCheck(Verdict.MALFORMED, "the body is not UTF-8")
    if not text:
        return InboundCheck(Verdict.ACCEPT)
    media_type = content_type.split(";")[0] if content_type else None  # as Bolt reads it
    if media_type == "application/json" or text.startswith("{"):
        return _object(text, "the JSON body")
    if "payload" in text:
        payload = dict(parse_qsl(text, keep_blank_values=True)).get("payload")
        if payload is not None:
            return _object(payload, "the form's payload")
    return InboundCheck(Verdict.ACCEPT)


def _object(text: str, what: str) -> InboundCheck:
    try:
        value = json.loads(text)
    except (ValueError, RecursionError) as exc:
        return InboundCheck(Verdict.MALFORMED, f"{what} is not JSON ({exc})")
    if not isinstance(value, dict):
        return InboundCheck(Verdict.MALFORMED, f"{what} is not a JSON object")
    return InboundCheck(Verdict.ACCEPT)


def response_url_allowed(url: object, api_base_url: str) -> bool:
    """Return whether ``url`` may be posted to: https on Slack's hooks host, or the scheme, host
    and port of the configured Slack API (a stand-in in tests). Does not resolve the host;
    a URL with credentials, a backslash or an unreadable port is refused."""
    if not isinstance(url, str) or "\\" in url:
        return False
    try:
        target, base = urlsplit(url), urlsplit(api_base_url)
        ports = (target.port, base.port)
    except ValueError:
        return False
    if target.username is not None or target.password is not None or not target.hostname:
        return False
    if target.scheme == "https" and target.hostname in SLACK_HOOK_HOSTS:
        return ports[0] in (None, 443)
    return (target.scheme, target.hostname, ports[0]) == (base.scheme, base.hostname, ports[1])
