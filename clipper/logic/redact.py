"""Secrets out of text bound for a log: Slack tokens by their shape, other secrets as given.

Pure. Does not find secrets it is not told about beyond the token shapes below (a signing
secret is 32 hex digits, which looks like any hash: it is redacted only when passed in).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

#: Slack bot, user, app-level, refresh and configuration tokens (``xoxb-``, ``xoxp-``,
#: ``xapp-``, ``xoxe.xoxp-`` ...)
SLACK_TOKEN = re.compile(r"\b(?:xox[a-z](?:\.xox[a-z])?|xapp)-[A-Za-z0-9-]+")
#: what a secret is replaced with
REDACTED = "[redacted]"
#: known secrets shorter than this are not redacted (an empty or one-letter value would
#: rewrite every line)
MIN_SECRET = 8


def redact_secrets(text: str, known: Iterable[str] = ()) -> str:
    """Return ``text`` with Slack tokens and each of ``known`` replaced by ``[redacted]``."""
    for secret in sorted({k for k in known if len(k) >= MIN_SECRET}, key=len, reverse=True):
        if secret in text:
            text = text.replace(secret, REDACTED)
    return SLACK_TOKEN.sub(REDACTED, text)
