"""Clipper's one exception tree.

    ClipperError
     ├── ConfigError            a settings, catalog, accounts or reps file is unusable
     ├── FeedError              something about one feed (carries ``url``)
     │    ├── FetchError        transport, HTTP status, size or redirect problem
     │    └── ParseError        the bytes are not a usable feed
     ├── ExtractError           a page gave no main text
     ├── DecompressionError     gzip/deflate data over the size limit, corrupt or truncated
     ├── StorageError           the database refused or failed
 │    └── StorageBusyError  another process keeps it busy (VACUUM needs it alone)
     ├── EmbedderError          (matching stage)
     ├── DeliveryError          a message could not be delivered (Slack stage)
     │    ├── SlackAuthError          the bot token is invalid or revoked
     │    ├── SlackScopeError         the app lacks a scope (``needed``)
     │    ├── SlackUserNotFoundError  no Slack user has the rep's email
     │    ├── SlackRateLimitedError   429 (``retry_after``)
     │    ├── SlackUncertainError     the connection dropped: Slack may have posted
     │    └── SlackRejectedError      Slack refused a message for its content (never retried)
     └── CommandUsageError      a user command could not be understood

Adapters wrap only *expected* third-party failures (network, SQLite, Slack API) into this tree,
chaining the cause with ``raise ... from``; programming errors propagate unchanged.
"""

from __future__ import annotations

#: the most characters of a cause's message shown after Clipper's own (a server's junk quoted
#: by a parser can be 100 kB)
MAX_CAUSE_CHARS = 240


class ClipperError(Exception):
    """Base class of every error Clipper raises on purpose."""

    def __str__(self) -> str:
        text = super().__str__()
        cause = self.__cause__
        detail = str(cause) if cause is not None else ""
        if cause is not None and detail and detail not in text:
            if len(detail) > MAX_CAUSE_CHARS:
                detail = detail[:MAX_CAUSE_CHARS] + "…"
            return f"{text}: {type(cause).__name__}: {detail}"
        return text


class ConfigError(ClipperError):
    """A configuration file could not be used.

    Attributes:
        problems: every problem found, each already located (file, line, key).
    """

    def __init__(self, message: str, problems: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.problems = problems


class FeedError(ClipperError):
    """A failure that belongs to one feed."""

    def __init__(self, url: str, message: str) -> None:
        super().__init__(message)
        self.url = url


class FetchError(FeedError):
    """The feed could not be retrieved (network, HTTP status, size limit, redirects).

    Attributes:
        status: the HTTP status when there was a response, else None.
        retry_after_s: the server's Retry-After, in seconds, when it sent one.
    """

    def __init__(
        self,
        url: str,
        message: str,
        *,
        status: int | None = None,
        retry_after_s: float | None = None,
    ) -> None:
        super().__init__(url, message)
        self.status = status
        self.retry_after_s = retry_after_s


class ParseError(FeedError):
    """The retrieved bytes are not a feed Clipper can read."""


class ExtractError(ClipperError):
    """A page yielded no main text."""


class DecompressionError(ClipperError):
    """Compressed data could not be decoded within the size limit (callers wrap it).

    Attributes:
        over_limit: the output would pass the limit (else the data is corrupt or unsupported).
    """

    def __init__(self, message: str, *, over_limit: bool = False) -> None:
        super().__init__(message)
        self.over_limit = over_limit


class StorageError(ClipperError):
    """The database failed; the operation did not happen."""


class StorageBusyError(StorageError):
    """Another connection kept the database busy for an operation that needs it alone
    (``VACUUM``); nothing changed."""


class EmbedderError(ClipperError):
    """The embedding model failed to load or encode."""


class DeliveryError(ClipperError):
    """A message could not be delivered."""


class SlackAuthError(DeliveryError):
    """The Slack token is invalid or revoked: nothing more can be sent until it is fixed."""


class SlackScopeError(DeliveryError):
    """The Slack app lacks a scope; ``needed`` names it (reinstall the app after adding it)."""

    def __init__(self, message: str, needed: str) -> None:
        super().__init__(message)
        self.needed = needed


class SlackUserNotFoundError(DeliveryError):
    """No Slack user has the rep's email address."""


class SlackRateLimitedError(DeliveryError):
    """Slack answered 429; ``retry_after`` is its Retry-After in seconds."""

    def __init__(self, message: str, retry_after: float) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class SlackRejectedError(DeliveryError):
    """Slack refused the message itself (``invalid_blocks``, ``msg_blocks_too_long``): sending
    it again cannot succeed."""


class SlackUncertainError(DeliveryError):
    """The connection dropped after the request was sent: Slack may have posted the message."""


class CommandUsageError(ClipperError):
    """A user's command was malformed."""
