"""Log lines: secrets redacted in either format, JSON one object per line with its context."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest

from clipper.cli.logs import JsonFormatter, RedactSecrets
from clipper.logic.redact import redact_secrets

SIGNING = "8f742231b10e8888abcd99yyyzzz85a5"


@pytest.fixture
def lines() -> Iterator[tuple[logging.Logger, io.StringIO, io.StringIO]]:
    text, as_json = io.StringIO(), io.StringIO()
    redact = RedactSecrets()
    redact.add([SIGNING, None])
    logger = logging.getLogger("clipper.test_logs")
    handlers = []
    for sink, formatter in (
        (text, logging.Formatter("%(levelname)s %(message)s")),
        (as_json, JsonFormatter()),
    ):
        handler = logging.StreamHandler(sink)
        handler.addFilter(redact)
        handler.setFormatter(formatter)
        logger.addHandler(handler)
        handlers.append(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    yield logger, text, as_json
    for handler in handlers:
        logger.removeHandler(handler)


def test_a_token_in_a_message_its_arguments_or_a_traceback_is_redacted(
    lines: tuple[logging.Logger, io.StringIO, io.StringIO],
) -> None:
    logger, text, as_json = lines
    logger.warning(
        "posting with %s failed", "xoxb-1234-5678-abcdEFGH", extra={"rep": "a@example.com"}
    )
    logger.info("secret %s in the text", SIGNING)
    try:
        raise RuntimeError("Slack said no to xapp-1-A0-123-abc")
    except RuntimeError:
        logger.exception("socket mode failed")
    written = text.getvalue() + as_json.getvalue()
    assert "xoxb-1234" not in written and "xapp-1" not in written and SIGNING not in written
    assert "WARNING posting with [redacted] failed" in text.getvalue()
    objects = [json.loads(line) for line in as_json.getvalue().splitlines() if line.startswith("{")]
    assert objects[0]["msg"] == "posting with [redacted] failed"
    assert objects[0]["rep"] == "a@example.com" and objects[0]["level"] == "warning"
    assert objects[1]["msg"] == "secret [redacted] in the text"
    assert "Slack said no to [redacted]" in objects[2]["exc"]


def test_redaction_leaves_ordinary_text_alone() -> None:
    assert redact_secrets("feed Wire: 4 new articles", ["short"]) == "feed Wire: 4 new articles"
    assert redact_secrets("xoxp-1-2 and xoxe.xoxp-1-abc", ()) == "[redacted] and [redacted]"
