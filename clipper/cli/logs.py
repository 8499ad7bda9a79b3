"""The process's logging: text or JSON lines on standard error, secrets redacted.

``--log-format json`` writes one object per line (``ts``, ``level``, ``logger``, ``msg``, then
the record's context: ``feed``, ``account``, ``rep``, ``digest``, ``job`` ..., and ``exc``
with a traceback) for a log collector. Every line, in either format, passes ``RedactSecrets``
first. Does not decide what is logged.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from ..logic.redact import redact_secrets
from ..types import LogFormat

#: a LogRecord's own attributes; anything else on a record came from ``extra=`` (context)
_STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime", "taskName"}
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class RedactSecrets(logging.Filter):
    """Rewrites each record's message, traceback and context with Slack tokens and the
    configured secrets (``add``) replaced by ``[redacted]``. Drops nothing."""

    def __init__(self) -> None:
        super().__init__()
        self._known: frozenset[str] = frozenset()
        self._lock = threading.Lock()

    def add(self, secrets: Iterable[str | None]) -> None:
        """Also redact these values (the signing secret, the web secret); None is skipped."""
        with self._lock:
            self._known = self._known | {s for s in secrets if s}

    def filter(self, record: logging.LogRecord) -> bool:
        known = self._known
        try:
            message = record.getMessage()
        except (TypeError, ValueError):  # a bad format string: logging reports it itself
            return True
        record.msg = redact_secrets(message, known)
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact_secrets(record.exc_text, known)
        for key, value in list(vars(record).items()):
            if key not in _STANDARD and isinstance(value, str):
                setattr(record, key, redact_secrets(value, known))
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per record: ts (UTC, ISO 8601), level, logger, msg, context, exc."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_"):
                entry[key] = value if isinstance(value, int | float | bool | None) else str(value)
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            entry["exc"] = record.exc_text
        return json.dumps(entry, ensure_ascii=False)


#: the one filter every handler carries; ``State.config`` adds the configured secrets
REDACT = RedactSecrets()


def setup_logging(level: int, log_format: LogFormat) -> None:
    """Send every log line to standard error in ``log_format``, secrets redacted; quiet the
    libraries that log per request.

    Like ``logging.basicConfig``, does nothing to the root logger when a handler that is not
    ours is already there (an embedding program's, pytest's); ours is replaced on a second call.
    """
    global _installed
    for noisy in ("httpx", "httpcore", "trafilatura", "htmldate"):
        logging.getLogger(noisy).setLevel(max(level, logging.WARNING))
    # a tick skipped while the last one still runs is by design (scheduler.run_ticks), not a
    # warning worth a line every tick; -vv shows it
    logging.getLogger("apscheduler").setLevel(
        logging.DEBUG if level <= logging.DEBUG else logging.ERROR
    )
    # slack_sdk logs its own ERROR for each failed request beside Clipper's one line about
    # the failure (with the rep, digest or admin it concerned); -vv shows it
    logging.getLogger("slack_sdk").setLevel(
        logging.DEBUG if level <= logging.DEBUG else logging.CRITICAL
    )
    root = logging.getLogger()
    if any(h is not _installed for h in root.handlers):
        return
    handler = logging.StreamHandler()
    handler.addFilter(REDACT)
    if log_format is LogFormat.JSON:
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter(TEXT_FORMAT))
    if _installed is not None:
        root.removeHandler(_installed)
    root.addHandler(handler)
    _installed = handler
    root.setLevel(level)


_installed: logging.Handler | None = None
