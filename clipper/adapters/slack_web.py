"""Slack Web API through slack-sdk's ``WebClient``: user lookup, DMs, posts, history.

The client has no automatic retry handlers: a dropped connection after Slack accepted a post
would make slack-sdk re-send it silently (SLACK.md section 4.4), so connection failures surface
as ``SlackUncertainError`` and the outbox reconciles through message metadata and history. 429 is
raised as ``SlackRateLimitedError`` with Retry-After for the outbox to honour; it sleeps nowhere.
Slack's error codes are classified in one table (``ERROR_KINDS``) and become the exception tree
(``SlackAuthError``, ``SlackScopeError``, ``SlackRejectedError``...).

Does not decide what to send, when to retry, or what a failure means for other reps.
"""

from __future__ import annotations

import enum
import http.client
import urllib.error
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

from ..exceptions import (
    DeliveryError,
    SlackAuthError,
    SlackRateLimitedError,
    SlackRejectedError,
    SlackScopeError,
    SlackUncertainError,
    SlackUserNotFoundError,
)


class SlackErrorKind(enum.Enum):
    """What a Slack error code means for the caller; each becomes one exception class."""

    #: the bot token is refused: nothing more can be sent
    AUTH = enum.auto()
    #: the app lacks a scope
    SCOPE = enum.auto()
    #: no Slack user has the email address
    USER_NOT_FOUND = enum.auto()
    #: the message itself is refused: sending it again cannot help
    REJECTED = enum.auto()
    #: anything else (may succeed later)
    OTHER = enum.auto()


#: Slack's error codes by kind; a code not listed is ``OTHER``
ERROR_KINDS: Mapping[str, SlackErrorKind] = {
    "invalid_auth": SlackErrorKind.AUTH,
    "token_revoked": SlackErrorKind.AUTH,
    "token_expired": SlackErrorKind.AUTH,
    "not_authed": SlackErrorKind.AUTH,
    "account_inactive": SlackErrorKind.AUTH,
    "missing_scope": SlackErrorKind.SCOPE,
    "users_not_found": SlackErrorKind.USER_NOT_FOUND,
    "user_not_found": SlackErrorKind.USER_NOT_FOUND,
    "invalid_blocks": SlackErrorKind.REJECTED,
    "invalid_blocks_format": SlackErrorKind.REJECTED,
    "msg_blocks_too_long": SlackErrorKind.REJECTED,
}


def classify(code: str) -> SlackErrorKind:
    """Return what a Slack error code means; does not look at the HTTP status."""
    return ERROR_KINDS.get(code, SlackErrorKind.OTHER)


#: the event type on every digest message's metadata
EVENT_TYPE = "clipper_digest"


class SlackWebApi:
    """``SlackApiType`` on slack-sdk's ``WebClient``."""

    def __init__(
        self,
        token: str,
        base_url: str,
        *,
        timeout_s: int = 20,
        on_rate_limited: Callable[[], None] | None = None,
    ) -> None:
        self.client = WebClient(
            token=token, base_url=base_url, timeout=timeout_s, retry_handlers=[]
        )
        #: called on every 429 (``MetricsType.slack_rate_limited``), whoever the caller is
        self.on_rate_limited = on_rate_limited

    def _call(self, method: str, **kwargs: Any) -> Mapping[str, Any]:
        call = getattr(self.client, method.replace(".", "_"))
        try:
            response = call(**kwargs)
        except SlackApiError as exc:
            # the message names Slack's error code; chained, the SDK's multi-line text (the
            # whole response) would be appended to every stored and printed reason
            error = _translate(method, exc)
            if isinstance(error, SlackRateLimitedError) and self.on_rate_limited is not None:
                self.on_rate_limited()
            raise error from None
        except (
            urllib.error.URLError,
            http.client.RemoteDisconnected,
            ConnectionError,
            TimeoutError,
        ) as exc:
            raise SlackUncertainError(f"{method}: connection failed ({exc})") from exc
        except SlackClientError as exc:
            raise DeliveryError(f"{method}: {exc}") from exc
        return response.data if isinstance(response.data, dict) else {}

    def lookup_user(self, email: str) -> str:
        """Return the Slack user id for an email address."""
        data = self._call("users.lookupByEmail", email=email)
        return str(data["user"]["id"])

    def user_timezone(self, user_id: str) -> str | None:
        data = self._call("users.info", user=user_id)
        zone = data.get("user", {}).get("tz")
        return str(zone) if zone else None

    def open_dm(self, user_id: str) -> str:
        """Return the DM channel id with a user."""
        data = self._call("conversations.open", users=user_id)
        return str(data["channel"]["id"])

    def post(self, channel: str, text: str, blocks: list[dict[str, Any]], key: str) -> str:
        """Post a message with ``key`` in its metadata; return its ts."""
        data = self._call(
            "chat.postMessage",
            channel=channel,
            text=text,
            blocks=blocks,
            unfurl_links=False,
            unfurl_media=False,
            metadata={"event_type": EVENT_TYPE, "event_payload": {"key": key}},
        )
        return str(data["ts"])

    def find_posted(self, channel: str, key: str, since: datetime) -> str | None:
        """Return the ts of a message carrying ``key`` posted since ``since``, if any."""
        cursor = None
        for _page in range(10):
            data = self._call(
                "conversations.history",
                channel=channel,
                oldest=f"{since.timestamp() - 60:.6f}",
                include_all_metadata=True,
                limit=200,
                **({"cursor": cursor} if cursor else {}),
            )
            for message in data.get("messages", ()):
                metadata = message.get("metadata") or {}
                payload = metadata.get("event_payload") or {}
                if metadata.get("event_type") == EVENT_TYPE and payload.get("key") == key:
                    return str(message["ts"])
            cursor = (data.get("response_metadata") or {}).get("next_cursor")
            if not cursor:
                break
        return None


def _translate(method: str, exc: SlackApiError) -> DeliveryError:
    response = exc.response
    status = getattr(response, "status_code", 200)
    data = response.data if isinstance(response.data, dict) else {}
    error = str(data.get("error") or f"HTTP {status}")
    if status == 429:
        retry_after = response.headers.get("Retry-After") or response.headers.get("retry-after")
        try:
            seconds = float(retry_after) if retry_after is not None else 1.0
        except ValueError:
            seconds = 1.0
        return SlackRateLimitedError(f"{method}: rate limited (Retry-After {seconds:g} s)", seconds)
    kind = classify(error)
    if kind is SlackErrorKind.AUTH:
        return SlackAuthError(
            f"{method}: Slack rejected the bot token ({error}); set a valid SLACK_BOT_TOKEN"
        )
    if kind is SlackErrorKind.SCOPE:
        needed = str(data.get("needed") or "unknown")
        return SlackScopeError(
            f"{method}: the Slack app lacks the {needed} scope; add it and reinstall the app",
            needed,
        )
    if kind is SlackErrorKind.USER_NOT_FOUND:
        return SlackUserNotFoundError(f"{method}: no Slack user ({error})")
    if kind is SlackErrorKind.REJECTED:
        return SlackRejectedError(f"{method}: {error}")
    return DeliveryError(f"{method}: {error}")
