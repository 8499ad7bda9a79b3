"""What a digest shows of an article, worked out once per digest tick and reused by every rep.

An article matched to the accounts of many reps appears in many digests of one tick; its lead,
its image and whether it is a low-value post are the same in each. ``ArticleFacts`` remembers
them, keyed by the texts they are computed from (never by article id alone, so an article
refreshed in the middle of a tick is not shown with its old lead):

    lead(title, summary, content, full_text)   logic.content.lead_text
    image(url)                                 logic.content.image_url
    low_value(title, url, source)              logic.content.low_value_kind

One instance lives for one tick (``Digests.compose_due``), so it holds at most that tick's
articles and is dropped with it. Does not decide anything itself: each value is exactly what
the ``logic.content`` function returns, and does not read the database or the clock.
"""

from __future__ import annotations

from .content import LowValue, image_url, lead_text, low_value_kind


class ArticleFacts:
    """Per-tick memo of the ``logic.content`` values a digest item shows. Mutable on purpose
    (it is a cache); not shared between threads."""

    __slots__ = ("_images", "_leads", "_low_values")

    def __init__(self) -> None:
        self._leads: dict[tuple[str, str | None, str | None, str | None], str] = {}
        self._images: dict[str | None, str | None] = {}
        self._low_values: dict[tuple[str, str | None, str | None], LowValue | None] = {}

    def lead(self, title: str, summary: str | None, content: str | None, full: str | None) -> str:
        """``lead_text(title, summary, content, full)``, computed once per distinct texts."""
        key = (title, summary, content, full)
        found = self._leads.get(key)
        if found is None:
            found = self._leads[key] = lead_text(title, summary, content, full)
        return found

    def image(self, url: str | None) -> str | None:
        """``image_url(url)``, computed once per distinct URL."""
        try:
            return self._images[url]
        except KeyError:
            checked = self._images[url] = image_url(url)
            return checked

    def low_value(self, title: str, url: str | None, source: str | None) -> LowValue | None:
        """``low_value_kind(title, url, source)``, computed once per distinct article."""
        key = (title, url, source)
        try:
            return self._low_values[key]
        except KeyError:
            kind = self._low_values[key] = low_value_kind(title, url, source)
            return kind
