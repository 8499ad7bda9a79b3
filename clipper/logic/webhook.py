"""The touch webhook's wire format and retry rules: the JSON body of a touch, the HMAC-SHA256
signature over ``v0:{timestamp}:{body}`` (Slack's scheme), and when a failed POST is tried again.

    touch_payload(touch)              → the body's bytes (JSON, keys sorted, UTF-8)
    signature(secret, ts, body)       → "v0=" + hex HMAC-SHA256
    webhook_headers(secret, ts, key, body)
    WebhookPolicy.next_attempt(...)   → the next try, or None: give up
    WebhookPolicy.lease_s(timeout)    → how long a claim on a queued touch holds

Does not send anything, read the clock or the environment: the secret and ``now`` are
arguments.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import datetime, timedelta

from ..types import Touch

#: the signature's version prefix, as in Slack's ``v0=`` scheme
VERSION = "v0"
#: the headers a receiver reads
TIMESTAMP_HEADER = "X-Clipper-Timestamp"
SIGNATURE_HEADER = "X-Clipper-Signature"
KEY_HEADER = "Idempotency-Key"
#: what the body says it is
EVENT = "touch.created"


def idempotency_key(touch: Touch) -> str:
    """Return the key a receiver dedupes by: the same for every attempt of one touch, and
    different for every touch (the ledger id is unique; the ledger key, when it has one, is
    what the touch is merged by)."""
    return f"clipper-touch-{touch.id}"


def touch_payload(touch: Touch) -> bytes:
    """Return the JSON body POSTed for a new touch (keys sorted; times ISO 8601 UTC). Does not
    escape text for any markup: receivers get the touch's text as it is."""
    body = {
        "event": EVENT,
        "idempotency_key": idempotency_key(touch),
        "touch": {
            "id": touch.id,
            "key": touch.key,
            "rep": touch.rep,
            "account": touch.account,
            "touched_at": touch.touched_at.isoformat(),
            "channel": touch.channel.value,
            "contact": touch.contact,
            "article_id": touch.article_id,
            "note": touch.note,
            "subject": touch.subject,
            "kind": touch.kind,
            "created_at": touch.created_at.isoformat() if touch.created_at else None,
            "deleted": touch.void is not None,
        },
    }
    return json.dumps(body, sort_keys=True, ensure_ascii=False).encode("utf-8")


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """Return ``v0=`` and the hex HMAC-SHA256 of ``v0:{timestamp}:{body}`` keyed by ``secret``."""
    base = f"{VERSION}:{timestamp}:".encode() + body
    return f"{VERSION}=" + hmac.new(secret.encode("utf-8"), base, hashlib.sha256).hexdigest()


def webhook_headers(secret: str, timestamp: int, key: str, body: bytes) -> dict[str, str]:
    """Return the request headers: content type, timestamp, signature and idempotency key."""
    return {
        "Content-Type": "application/json; charset=utf-8",
        TIMESTAMP_HEADER: str(timestamp),
        SIGNATURE_HEADER: signature(secret, timestamp, body),
        KEY_HEADER: key,
    }


@dataclass(frozen=True, slots=True)
class WebhookPolicy:
    """When a failed POST is tried again: doubling from ``first_retry`` up to ``max_retry``,
    given up ``give_up_after`` after the touch was queued."""

    give_up_after: timedelta = timedelta(days=7)
    first_retry: timedelta = timedelta(minutes=1)
    max_retry: timedelta = timedelta(hours=1)
    #: a claimed touch is the claimer's for the POST's timeout plus this, renewed right before
    #: each POST, so a POST always ends inside the lease and no second deliverer sends it
    lease_margin: timedelta = timedelta(seconds=60)

    def lease_s(self, timeout_s: float) -> float:
        """Return how long a claim (and each renewal before a POST) holds, in seconds."""
        return timeout_s + self.lease_margin.total_seconds()

    def next_attempt(self, attempts: int, queued_at: datetime, now: datetime) -> datetime | None:
        """Return when to try again after ``attempts`` failed POSTs (this one counted), or
        None when the touch has waited ``give_up_after`` (give up)."""
        if now - queued_at >= self.give_up_after:
            return None
        wait: timedelta = min(self.first_retry * 2 ** min(max(attempts - 1, 0), 20), self.max_retry)
        return now + wait


__all__ = [
    "EVENT",
    "KEY_HEADER",
    "SIGNATURE_HEADER",
    "TIMESTAMP_HEADER",
    "VERSION",
    "WebhookPolicy",
    "idempotency_key",
    "signature",
    "touch_payload",
    "webhook_headers",
]
