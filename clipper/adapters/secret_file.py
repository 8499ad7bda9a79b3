"""The web page's link-signing secret: given (``CLIPPER_WEB_SECRET``), or made once with
``secrets.token_bytes`` and kept in a file only its owner can read (0600), so signed links
survive restarts.

Does not log the secret or put it in an error message, and does not decide what it signs
(``logic.weblink`` does).
"""

from __future__ import annotations

import os
import secrets
import stat
import threading
from pathlib import Path

from ..exceptions import ConfigError

#: bytes of a new secret (HMAC-SHA256's block is 64; 32 random bytes is its strength)
SECRET_BYTES = 32
#: a secret file shorter than this was not made by Clipper (or was cut)
MIN_BYTES = 16


class GivenSecret:
    """A secret from the environment (its UTF-8 bytes)."""

    def __init__(self, text: str) -> None:
        self._secret = text.encode("utf-8")

    def secret(self) -> bytes:
        return self._secret


class FileSecret:
    """A secret kept in ``path``: read, or made on first use (the folder too)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._secret: bytes | None = None
        self._lock = threading.Lock()

    def secret(self) -> bytes:
        """Return the secret, making the file on first use.

        Raises:
            ConfigError: the file cannot be read or written, or is too short.
        """
        with self._lock:
            if self._secret is None:
                self._secret = self._read_or_make()
            return self._secret

    def _read_or_make(self) -> bytes:
        try:
            if self.path.exists():
                return self._read()
            self.path.parent.mkdir(parents=True, exist_ok=True)
            # written whole under another name, then linked in: a second process starting at
            # the same moment reads the first one's secret, never a half-written file
            made = secrets.token_bytes(SECRET_BYTES)
            draft = self.path.with_name(f".{self.path.name}.{os.getpid()}.{secrets.token_hex(4)}")
            fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            try:
                with os.fdopen(fd, "wb") as out:
                    out.write(made)
                    out.flush()
                    os.fsync(out.fileno())
                try:
                    os.link(draft, self.path)
                except FileExistsError:
                    return self._read()
            finally:
                draft.unlink(missing_ok=True)
            return made
        except OSError as exc:
            raise ConfigError(
                f"{self.path}: cannot read or create the web link secret: "
                f"{exc.strerror or type(exc).__name__} (or set CLIPPER_WEB_SECRET)"
            ) from None

    def _read(self) -> bytes:
        mode = stat.S_IMODE(self.path.stat().st_mode)
        if mode & 0o077:
            os.chmod(self.path, 0o600)  # a copy restored with looser rights is tightened
        found = self.path.read_bytes()
        if len(found) < MIN_BYTES:
            raise ConfigError(
                f"{self.path}: the web link secret file holds {len(found)} bytes, fewer than "
                f"{MIN_BYTES}; delete it to make a new one (links already sent stop working)"
            )
        return found


__all__ = ["FileSecret", "GivenSecret"]
