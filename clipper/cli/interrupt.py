"""Ctrl-C (SIGINT) and SIGTERM during a one-shot command (everything but the loops of ``run``,
``fetch`` and ``serve``, which use ``scheduler.Signals``).

The first signal asks the command to stop (``Clipper.stopping``: no more feeds or digest parts
claimed, what was claimed and not started released) and logs one line; the command then prints
what it got done and exits with 128 + the signal's number (130, 143). A second signal exits at
once, from a watcher thread, so it works even while the main thread waits in SQLite or on the
network. Does not decide what a command leaves undone: the facade's ``stopping`` does.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import socket
import threading
from collections.abc import Callable, Iterator
from types import FrameType

log = logging.getLogger("clipper")

#: the signals a one-shot command stops on
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


def _ignore(_signum: int, _frame: FrameType | None) -> None:
    """The Python-level handler: the watcher thread does the work (it sees the signal through
    the wakeup socket), so nothing is raised in the middle of a transaction."""


class Interrupt:
    """What a one-shot command was asked by signal; installed for the length of one command.

    Does not end the process on the first signal: the command finishes or releases what it
    started and says so (``stopped``, ``exit_code``).
    """

    def __init__(self) -> None:
        #: the first SIGINT or SIGTERM received (None: none yet)
        self.received: signal.Signals | None = None
        #: called once, on the first signal (set by ``State.clipper``: ``Clipper.stopping.set``)
        self.on_stop: Callable[[], None] | None = None
        #: what the command is doing, for the log lines ("fetching feeds")
        self.doing = "the command"
        #: run before a second signal exits at once (a backup's unfinished copy is removed)
        self.cleanups: list[Callable[[], None]] = []
        #: the command printed its own ``stopped`` line
        self.told = False
        self._lock = threading.Lock()
        self._released = False
        #: the wakeup descriptor before ``installed`` (None: not installed)
        self._old_fd: int | None = None

    @property
    def stopped(self) -> bool:
        """Whether a stop was asked."""
        return self.received is not None

    @property
    def exit_code(self) -> int:
        """128 + the signal's number (130 for SIGINT, 143 for SIGTERM); 0 when none came."""
        return 128 + int(self.received) if self.received is not None else 0

    def bind(self, on_stop: Callable[[], None]) -> None:
        """Call ``on_stop`` on the first signal (at once when it came already)."""
        with self._lock:
            self.on_stop = on_stop
            came = self.received is not None
        if came:
            on_stop()

    def handle(self, signum: int) -> None:
        """Act on one signal: the first asks to stop, the second exits at once."""
        name = signal.Signals(signum).name
        with self._lock:
            first = self.received is None
            if first:
                self.received = signal.Signals(signum)
            on_stop = self.on_stop
        if not first:
            log.error("second %s: exiting now without waiting (in flight: %s)", name, self.doing)
            for cleanup in self.cleanups:
                with contextlib.suppress(Exception):  # exiting anyway: nothing to report to
                    cleanup()
            logging.shutdown()
            os._exit(128 + signum)
        log.warning(
            "%s: stopping; in flight: %s (a second %s exits at once)", name, self.doing, name
        )
        if on_stop is not None:
            on_stop()

    @contextlib.contextmanager
    def installed(self) -> Iterator[bool]:
        """Handle SIGINT and SIGTERM while the block runs, then put the previous handlers back;
        yields False (nothing installed) outside the main thread."""
        if threading.current_thread() is not threading.main_thread():
            yield False
            return
        reader, writer = socket.socketpair()
        writer.setblocking(False)
        previous = {s: signal.getsignal(s) for s in STOP_SIGNALS}
        try:
            self._old_fd = signal.set_wakeup_fd(writer.fileno(), warn_on_full_buffer=False)
        except ValueError:  # not the main interpreter: leave the signals alone
            reader.close()
            writer.close()
            yield False
            return
        for signum in STOP_SIGNALS:
            signal.signal(signum, _ignore)
        watcher = threading.Thread(target=self._watch, args=(reader,), name="signals", daemon=True)
        watcher.start()
        try:
            yield True
        finally:
            for signum, handler in previous.items():
                signal.signal(signum, handler)
            if not self._released:
                signal.set_wakeup_fd(self._old_fd)
            writer.close()
            watcher.join(1.0)
            reader.close()

    def _watch(self, reader: socket.socket) -> None:
        """The watcher thread: one byte per signal, until the writing end closes."""
        wanted = {int(s) for s in STOP_SIGNALS}
        while True:
            try:
                data = reader.recv(64)
            except OSError:
                return
            if not data:
                return
            for signum in data:
                if signum in wanted and not self._released:
                    self.handle(signum)

    def release(self) -> None:
        """Leave SIGINT and SIGTERM to another handler from now on (the loops of ``run``,
        ``fetch`` and ``serve`` install ``scheduler.Signals``); main thread only."""
        self._released = True
        if self._old_fd is not None:
            signal.set_wakeup_fd(self._old_fd)
