"""The touch webhook: each new touch (a share, ``/clip touch``, an import) POSTed as signed JSON
to ``touches.webhook.url`` from the ``touch_webhook`` outbox.

    storage.claim_webhook_touches(now, owner, lease)   queued by a trigger on every touch
                                                       insert; leased to this process
    for each: storage.renew_webhook_touch(...)   right before the POST; lost → not sent
              logic.webhook.touch_payload → webhook_headers(secret, now, key, body)
              sender.post(url, body, headers, timeout)
              2xx → storage.webhook_delivered     (never sent again)
              else → storage.webhook_failed(reason, policy.next_attempt(...), owner)
                     (None: given up)

The lease (``WebhookPolicy.lease_s``: the POST's timeout plus a margin, renewed before each
POST) means two processes on one database (two ``clipper run``) never POST the same touch at
once; a crashed claimer's touches are claimable once its lease runs out. At least once: a POST
whose 2xx answer is lost (or whose sender dies before recording it) is sent again with the same
``Idempotency-Key``, so receivers dedupe by it. ``Clipper`` inherits it. Does not build the
body or sign (``logic.webhook`` does) and does not open sockets (``ports.WebhookSenderType``
does).
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import timedelta

from .config import Config
from .exceptions import DeliveryError
from .logic.webhook import WebhookPolicy, idempotency_key, touch_payload, webhook_headers
from .pipeline import Clock, Pipeline
from .ports import StorageType, WebhookSenderType
from .types import WebhookBacklog

log = logging.getLogger("clipper.webhook")


@dataclass(frozen=True, slots=True)
class WebhookRun:
    """What one ``deliver_touch_webhooks`` pass did."""

    delivered: int = 0
    failed: int = 0
    given_up: int = 0
    #: queued touches dropped because no webhook is configured
    skipped: int = 0
    #: why nothing was sent (no secret), if so
    problem: str | None = None


class TouchWebhooks:
    """The webhook part of the ``Clipper`` facade (a mixin). Does not render answers."""

    config: Config
    storage: StorageType
    clock: Clock
    webhook_sender: WebhookSenderType | None
    #: its ``owner`` names this process's leases
    pipeline: Pipeline
    #: once set, no more touches are POSTed (the claimed rest wait for their short lease)
    stopping: threading.Event

    def deliver_touch_webhooks(self, limit: int = 100) -> WebhookRun:
        """POST the due queued touches (at most ``limit``) to the configured webhook. Without
        ``touches.webhook`` the queue is emptied (touches logged then are not sent later);
        without its secret nothing is sent and the touches wait. Does not raise for a failed
        POST: it is recorded on the touch and retried with backoff."""
        settings = self.config.settings.touches.webhook
        now = self.clock()
        if settings is None:
            return WebhookRun(skipped=self.storage.skip_webhook_touches(now))
        secret = self.config.webhook_secret
        if secret is None or self.webhook_sender is None:
            problem = (
                f"touches.webhook: the environment variable {settings.secret_env} is not set; "
                "touches wait in the outbox"
            )
            return WebhookRun(problem=problem)
        policy = WebhookPolicy(give_up_after=timedelta(days=settings.give_up_after_days))
        owner = self.pipeline.owner
        lease = policy.lease_s(settings.timeout_s)
        delivered = failed = given_up = 0
        for queued in self.storage.claim_webhook_touches(now, owner, lease, limit):
            if self.stopping.is_set():
                break
            touch = queued.touch
            now = self.clock()
            if not self.storage.renew_webhook_touch(touch.id, owner, now, lease):
                continue  # our claim ran out and another deliverer holds it now
            body = touch_payload(touch)
            headers = webhook_headers(secret, int(now.timestamp()), idempotency_key(touch), body)
            try:
                status = self.webhook_sender.post(settings.url, body, headers, settings.timeout_s)
                reason = None if 200 <= status < 300 else f"HTTP {status}"
            except DeliveryError as exc:
                reason = str(exc)
            if reason is None:
                self.storage.webhook_delivered(touch.id, self.clock())
                delivered += 1
                continue
            later = policy.next_attempt(queued.attempts + 1, queued.queued_at, now)
            if not self.storage.webhook_failed(touch.id, reason, later, self.clock(), owner):
                continue  # another deliverer holds it now and records its own attempt
            if later is None:
                given_up += 1
                log.error(
                    "webhook: gave up on touch %s (%s, %s) after %d attempts over %d days: %s",
                    touch.id,
                    touch.account,
                    touch.rep,
                    queued.attempts + 1,
                    settings.give_up_after_days,
                    reason,
                )
            else:
                failed += 1
                log.warning(
                    "webhook: touch %s not delivered (%s); next try at %s",
                    touch.id,
                    reason,
                    later.isoformat(),
                )
        return WebhookRun(delivered, failed, given_up)

    def webhook_backlog(self) -> WebhookBacklog:
        """Return the webhook outbox's pending and given-up counts."""
        return self.storage.webhook_backlog()


__all__ = ["TouchWebhooks", "WebhookRun"]
