"""Bounded, streaming decompression: gzip and deflate layers whose output is capped.

A few hundred bytes of gzip can inflate to gigabytes (a "decompression bomb"), and gzip may be
nested inside gzip. Every layer here stops as soon as its output would pass the limit, so no
more than about ``limit`` bytes are ever produced, whatever the input.

Contains no business logic and does no I/O: callers feed bytes in and get bytes out.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable, Sequence
from typing import Protocol

from ..exceptions import DecompressionError

GZIP_MAGIC = b"\x1f\x8b"
#: how many gzip layers found by their magic bytes are unwrapped (gzip inside gzip inside ...)
MAX_NESTED_GZIP = 3
#: Content-Encoding tokens decoded here; "identity" and empty tokens are skipped
ENCODINGS = frozenset({"gzip", "x-gzip", "deflate"})
#: how many stacked Content-Encoding layers are decoded: each costs a decoder with its own
#: window, so thousands of them in one header would be a memory bomb of a few kilobytes
MAX_ENCODINGS = 5


class _Layer(Protocol):
    def feed(self, data: bytes) -> bytes: ...
    def finish(self) -> bytes: ...


class _Zlib:
    """One gzip (possibly several concatenated members) or deflate stream, output capped."""

    def __init__(self, encoding: str, limit: int) -> None:
        self.encoding = encoding
        self.limit = limit
        self.produced = 0
        self.started = False
        #: the first byte of a deflate stream, held until the second shows zlib or raw
        self._head = b""
        self._obj = self._new()

    def _new(self, raw: bool = False) -> zlib._Decompress:
        if self.encoding == "deflate":
            return zlib.decompressobj(-zlib.MAX_WBITS if raw else zlib.MAX_WBITS)
        return zlib.decompressobj(16 + zlib.MAX_WBITS)

    def _inflate(self, data: bytes) -> bytes:
        room = self.limit - self.produced
        try:
            out = self._obj.decompress(data, room + 1)
        except zlib.error as exc:
            if self.encoding == "deflate" and not self.started:
                # servers disagree on "deflate": zlib-wrapped (RFC) or raw; try raw once
                self.started = True
                self._obj = self._new(raw=True)
                return self._inflate(data)
            raise DecompressionError(f"the {self.encoding} data is corrupt ({exc})") from exc
        self.started = True
        if len(out) > room:
            raise DecompressionError(
                f"over the {self.limit:,}-byte limit (after decompression)", over_limit=True
            )
        self.produced += len(out)
        return out

    def feed(self, data: bytes) -> bytes:
        if self.encoding == "deflate" and not self.started and len(self._head + data) < 2:
            self._head += data
            return b""
        data, self._head = self._head + data, b""
        out = self._inflate(data) if data else b""
        while self._obj.eof and self._obj.unused_data:
            rest = self._obj.unused_data
            if self.encoding == "deflate" or rest[:2] != GZIP_MAGIC:
                break  # trailing garbage after the stream, as gzip tools tolerate
            self._obj = self._new()  # the next member of a multi-member gzip file
            out += self._inflate(rest)
        return out

    def finish(self) -> bytes:
        if (self.started and not self._obj.eof) or self._head:
            raise DecompressionError(f"the {self.encoding} data is truncated")
        return b""


class _SniffGzip:
    """Passes bytes through unless they start with gzip's magic bytes; then unwraps them,
    looking again inside (up to ``depth`` layers)."""

    def __init__(self, limit: int, depth: int) -> None:
        self.limit = limit
        self.depth = depth
        self.head = b""
        self.decided = False
        self.inner: list[_Layer] = []

    def feed(self, data: bytes) -> bytes:
        if not self.decided:
            self.head += data
            if len(self.head) < len(GZIP_MAGIC):
                return b""
            self.decided = True
            data, self.head = self.head, b""
            if data.startswith(GZIP_MAGIC):
                if self.depth <= 0:
                    raise DecompressionError(
                        f"gzip is nested more than {MAX_NESTED_GZIP} layers deep"
                    )
                self.inner = [_Zlib("gzip", self.limit), _SniffGzip(self.limit, self.depth - 1)]
        return _run(self.inner, data) if self.inner else data

    def finish(self) -> bytes:
        if not self.decided:
            self.decided = True
            return self.head
        return _finish(self.inner)


def _run(layers: Sequence[_Layer], data: bytes) -> bytes:
    for layer in layers:
        data = layer.feed(data)
    return data


def _finish(layers: Sequence[_Layer]) -> bytes:
    out = b""
    for layer in layers:
        out = layer.feed(out) if out else out  # what the layers before flushed at the end
        out += layer.finish()
    return out


class Inflater:
    """Decodes a body chunk by chunk: its Content-Encoding layers, then gzip found by its magic
    bytes (a misconfigured server, or gzip inside gzip). The total output is capped too.

    Does not guess other encodings: an unknown Content-Encoding is refused, and so is a chain
    of more than ``MAX_ENCODINGS`` of them.

    Raises (from ``feed`` and ``finish``):
        DecompressionError: over the limit, corrupt or truncated data, or an unknown encoding.
    """

    def __init__(self, limit: int, content_encoding: Iterable[str] = ()) -> None:
        self.limit = limit
        self.size = 0
        layers: list[_Layer] = []
        tokens = [t.strip().lower() for t in content_encoding]
        tokens = [t for t in tokens if t not in ("", "identity")]
        if len(tokens) > MAX_ENCODINGS:
            raise DecompressionError(
                f"{len(tokens):,} Content-Encoding layers (at most {MAX_ENCODINGS} are decoded)"
            )
        # "gzip, deflate" means gzip was applied first, so deflate is undone first
        for token in reversed(tokens):
            if token not in ENCODINGS:
                shown = token if len(token) <= 40 else token[:40] + "…"
                raise DecompressionError(f"unsupported Content-Encoding {shown!r}")
            layers.append(_Zlib("gzip" if token == "x-gzip" else token, limit))
        layers.append(_SniffGzip(limit, MAX_NESTED_GZIP))
        self.layers: tuple[_Layer, ...] = tuple(layers)

    def _count(self, out: bytes) -> bytes:
        self.size += len(out)
        if self.size > self.limit:
            raise DecompressionError(
                f"over the {self.limit:,}-byte limit (after decompression)", over_limit=True
            )
        return out

    def feed(self, data: bytes) -> bytes:
        """Return the decoded bytes that ``data`` completes (possibly none)."""
        return self._count(_run(self.layers, data))

    def finish(self) -> bytes:
        """Return what is left once the input has ended; checks that no stream was cut short."""
        return self._count(_finish(self.layers))


def inflate(data: bytes, limit: int, content_encoding: Iterable[str] = ()) -> bytes:
    """Return ``data`` fully decoded (see ``Inflater``), never producing more than ``limit``."""
    inflater = Inflater(limit, content_encoding)
    return inflater.feed(data) + inflater.finish()
