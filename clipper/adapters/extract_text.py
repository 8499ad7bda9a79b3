"""The extractor: an article page's main text, built on trafilatura. No network.

Does not fetch pages; the retriever does that politely, and this only reads the HTML.
"""

from __future__ import annotations

import gzip
import logging
import re
from typing import Any

from ..exceptions import ExtractError

_BLANKS = re.compile(r"\n\s*\n+|\n")

logging.getLogger("trafilatura").setLevel(logging.CRITICAL)
logging.getLogger("htmldate").setLevel(logging.CRITICAL)


def _trafilatura() -> Any:
    """Import trafilatura on first use: most runs never extract a page (it costs ~20 MiB)."""
    import trafilatura

    return trafilatura


def decode_html(data: bytes | str) -> str:
    """Return page text from bytes: gunzips when needed, then UTF-8 with a lenient fallback."""
    if isinstance(data, str):
        return data
    if data[:2] == b"\x1f\x8b":
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError) as exc:
            raise ExtractError("the gzip data is corrupt") from exc
    head = data[:2048].lower()
    found = re.search(rb"charset=[\"']?([a-z0-9_\-]+)", head)
    for encoding in ([found.group(1).decode()] if found else []) + ["utf-8", "cp1252"]:
        try:
            return data.decode(encoding)
        except (LookupError, UnicodeDecodeError):
            continue
    return data.decode("utf-8", errors="replace")


class TrafilaturaExtractor:
    """``ExtractorType``: trafilatura in precision mode, paragraphs separated by blank lines."""

    def extract(self, html: bytes | str, url: str | None = None) -> str:
        text = decode_html(html)
        if not text.strip():
            raise ExtractError(f"empty page{f' at {url}' if url else ''}")
        result = _trafilatura().extract(
            text,
            url=url,
            favor_precision=True,
            include_comments=False,
            include_tables=False,
            include_images=False,
            deduplicate=False,
        )
        if not result or not result.strip():
            raise ExtractError(f"no main text found{f' at {url}' if url else ''}")
        paragraphs = [" ".join(p.split()) for p in _BLANKS.split(result)]
        return "\n\n".join(p for p in paragraphs if p)
