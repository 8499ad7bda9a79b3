"""Which store a ``database:`` URL names, and where: the one place such URLs are read.

``make_clipper`` chooses the storage adapter from the result, so a second store (PostgreSQL) is
one more ``StoreKind`` here and one more branch there. Does not open, resolve or create anything.
"""

from __future__ import annotations

from pathlib import Path

from ..exceptions import ConfigError
from ..types import DatabaseUrl, StoreKind

_SQLITE = "sqlite:///"
MEMORY = ":memory:"


def parse_database_url(url: str) -> DatabaseUrl:
    """Parse ``sqlite:///relative/path``, ``sqlite:////absolute/path`` or ``sqlite:///:memory:``.

    A relative path is returned as written; the caller resolves it against the config file's
    folder.

    Raises:
        ConfigError: the URL names a store this version does not support (the message shows
            only the scheme: a URL may carry a password).
    """
    if not url.startswith(_SQLITE):
        raise ConfigError(
            "database: only sqlite:/// URLs are supported in this version, "
            f"got {url.split('://')[0]}://..."
        )
    return DatabaseUrl(StoreKind.SQLITE, Path(url.removeprefix(_SQLITE)))
