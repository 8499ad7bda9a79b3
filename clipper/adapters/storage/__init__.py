"""Storage adapters behind ``StorageType``: one package per store.

``sqlite/`` is the embedded default; a PostgreSQL store goes beside it as ``postgres/``, with the
same per-domain mixins. ``make_clipper`` chooses one from the parsed ``database:`` URL
(``types.DatabaseUrl``). Holds no SQL itself.
"""

from __future__ import annotations

from .sqlite import Storage

__all__ = ["Storage"]
