"""SQLite connections: WAL, one connection per thread, BEGIN IMMEDIATE for every write.

Contains no business logic.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ....exceptions import StorageError

_FORMAT = "%Y-%m-%d %H:%M:%S.%f"

#: keys per ``IN (...)`` list, to stay under SQLite's variable limit
CHUNK = 500


def chunks(values: Sequence[str]) -> list[Sequence[str]]:
    """Split ``values`` into lists of at most ``CHUNK`` keys."""
    return [values[i : i + CHUNK] for i in range(0, len(values), CHUNK)]


def to_db(value: datetime | None) -> str | None:
    """Return a UTC datetime as sortable text; naive datetimes are a programming error."""
    if value is None:
        return None
    if value.tzinfo is None:
        raise ValueError("naive datetime passed to storage")
    return value.astimezone(UTC).strftime(_FORMAT)


def from_db(value: str | None) -> datetime | None:
    """Return stored text (``to_db``'s format) as an aware UTC datetime."""
    if value is None:
        return None
    # fromisoformat reads to_db's "YYYY-MM-DD HH:MM:SS.ffffff" exactly, about 20x faster than
    # strptime (a digest tick reads every candidate's published_at)
    return datetime.fromisoformat(value).replace(tzinfo=UTC)


def at(value: str) -> datetime:
    """Return a NOT NULL stored time as an aware UTC datetime."""
    when = from_db(value)
    assert when is not None
    return when


def to_json(values: Sequence[str]) -> str:
    return json.dumps(list(values), ensure_ascii=False)


def from_json(value: str | None) -> tuple[str, ...]:
    return tuple(json.loads(value)) if value else ()


@contextmanager
def wrap_errors(what: str) -> Iterator[None]:
    """Turn SQLite's expected failures into ``StorageError``; let programming errors through."""
    try:
        yield
    except sqlite3.OperationalError as exc:
        raise StorageError(f"database error while {what}") from exc
    except sqlite3.DatabaseError as exc:
        if isinstance(exc, sqlite3.ProgrammingError | sqlite3.InterfaceError):
            raise
        raise StorageError(f"database error while {what}") from exc


class ConnectionPool:
    """One connection per thread to one SQLite file.

    Raises ``StorageError`` when the file's folder cannot be created. Does not serialise
    writers across processes: SQLite's lock and the busy timeout do that.
    """

    def __init__(self, path: Path | str, *, busy_timeout_s: float = 10.0) -> None:
        self.path = str(path)
        self.busy_timeout_s = busy_timeout_s
        self._local = threading.local()
        self._all: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        if self.path != ":memory:":
            folder = Path(self.path).parent
            try:
                folder.mkdir(parents=True, exist_ok=True)
            except OSError as exc:  # a read-only or missing parent, a file in the way
                raise StorageError(f"cannot create the database folder {folder}") from exc

    def get(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            with wrap_errors(f"opening {self.path}"):
                conn = sqlite3.connect(
                    self.path,
                    timeout=self.busy_timeout_s,
                    isolation_level=None,
                    check_same_thread=False,  # one per thread by design; closed from any
                )
                conn.row_factory = sqlite3.Row
                conn.execute("PRAGMA journal_mode=WAL")
                conn.execute("PRAGMA synchronous=NORMAL")
                conn.execute("PRAGMA foreign_keys=ON")
                conn.execute(f"PRAGMA busy_timeout={int(self.busy_timeout_s * 1000)}")
            self._local.conn = conn
            with self._lock:
                self._all.append(conn)
        return conn

    @contextmanager
    def write(self, what: str) -> Iterator[sqlite3.Connection]:
        """Run a write transaction that takes the write lock up front (``BEGIN IMMEDIATE``);
        inside this thread's ``batch``, a savepoint of the batch's transaction instead (undone
        alone when it raises; committed with the batch)."""
        conn = self.get()
        with wrap_errors(what):
            if getattr(self._local, "batch", False):
                conn.execute("SAVEPOINT clipper_write")
                try:
                    yield conn
                except BaseException:
                    conn.execute("ROLLBACK TO clipper_write")
                    conn.execute("RELEASE clipper_write")
                    raise
                conn.execute("RELEASE clipper_write")
                return
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    @contextmanager
    def batch(self, what: str) -> Iterator[None]:
        """Run this thread's writes inside as one transaction (each ``write`` a savepoint):
        all of them are committed at the end, or none when it raises. Holds the write lock
        throughout, so keep it short; a batch inside a batch is part of the outer one. Does
        not change what other threads or processes see before the commit."""
        if getattr(self._local, "batch", False):
            yield
            return
        conn = self.get()
        with wrap_errors(what):
            conn.execute("BEGIN IMMEDIATE")
            self._local.batch = True
            try:
                yield
            except BaseException:
                self._local.batch = False
                conn.execute("ROLLBACK")
                raise
            self._local.batch = False
            conn.execute("COMMIT")

    def read(self, what: str, sql: str, params: Sequence[Any] = ()) -> list[sqlite3.Row]:
        with wrap_errors(what):
            return list(self.get().execute(sql, params))

    def close(self) -> None:
        with self._lock:
            for conn in self._all:
                try:
                    conn.execute("PRAGMA optimize")
                    conn.close()
                except sqlite3.Error:
                    pass
            self._all.clear()
        self._local = threading.local()
