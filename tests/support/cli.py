"""The ``clipper`` command in a child process, as a user runs it: ``python -m clipper`` with this
checkout first on ``PYTHONPATH``; started, waited on and stopped. Does not write configuration
(``conftest.write_config`` does) or judge the output (``wait_until`` only fails when the process
dies or the wait runs out).
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
#: what ``drop=WITHOUT_SLACK`` leaves out of the child's environment: Slack's tokens and every
#: ``CLIPPER_`` override, so the run is the one a config without Slack gives
WITHOUT_SLACK = ("SLACK_", "CLIPPER_")


def _command(config: Path, args: tuple[str, ...]) -> list[str]:
    return [sys.executable, "-m", "clipper", "--config", str(config), *args]


def _environ(env: Mapping[str, str] | None, drop: tuple[str, ...] = ()) -> dict[str, str]:
    kept = {k: v for k, v in os.environ.items() if not (drop and k.startswith(drop))}
    return {**kept, "PYTHONPATH": str(REPO), **(env or {})}


def run_clipper(
    config: Path,
    *args: str,
    env: Mapping[str, str] | None = None,
    preexec: Callable[[], None] | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run ``clipper --config CONFIG ARGS`` to the end (at most 120 s); output captured as text."""
    return subprocess.run(
        _command(config, args),
        capture_output=True,
        text=True,
        env=_environ(env),
        preexec_fn=preexec,
        timeout=120,
        check=False,
    )


def start_clipper(
    config: Path,
    *args: str,
    log: Path,
    env: Mapping[str, str] | None = None,
    err: Path | None = None,
    drop: tuple[str, ...] = (),
) -> subprocess.Popen[bytes]:
    """Start ``clipper --config CONFIG ARGS`` with stdout going to ``log`` and stderr too
    (to ``err`` when given); variables starting with one of ``drop`` are left out of the
    environment, ``env`` is added. Does not wait for it to start."""
    with log.open("wb") as out:
        if err is None:
            return subprocess.Popen(
                _command(config, args),
                stdout=out,
                stderr=subprocess.STDOUT,
                env=_environ(env, drop),
            )
        with err.open("wb") as errors:
            return subprocess.Popen(
                _command(config, args), stdout=out, stderr=errors, env=_environ(env, drop)
            )


def stop_clipper(process: subprocess.Popen[bytes], timeout: float = 60.0) -> int:
    """SIGTERM, then SIGKILL when it has not exited within ``timeout`` seconds; return its exit
    code. Does not judge the code (a test that cares asserts it)."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
    try:
        return process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        return process.wait()


def kill_clipper(process: subprocess.Popen[bytes]) -> None:
    """SIGKILL a process still running (the clean-up after a test that stopped it itself)."""
    if process.poll() is None:
        process.kill()
        process.wait()


@contextmanager
def clipper_running(
    config: Path,
    *args: str,
    log: Path,
    env: Mapping[str, str] | None = None,
    err: Path | None = None,
    drop: tuple[str, ...] = (),
    stop_timeout: float = 60.0,
) -> Iterator[subprocess.Popen[bytes]]:
    """``start_clipper`` for the block, then ``stop_clipper``."""
    process = start_clipper(config, *args, log=log, env=env, err=err, drop=drop)
    try:
        yield process
    finally:
        stop_clipper(process, stop_timeout)


@contextmanager
def clipper_serving(
    config: Path,
    log: Path,
    listening: str,
    what: str,
    *,
    env: Mapping[str, str] | None = None,
    stop_timeout: float = 10.0,
) -> Iterator[str]:
    """``clipper serve`` on a free loopback port for the block, without the Slack tokens and
    ``CLIPPER_`` settings of the test's environment (``env`` adds what it needs); yields group 1
    of the regular expression ``listening`` once the log shows it (an address)."""
    serve = ("serve", "--host", "127.0.0.1", "--port", "0")
    with clipper_running(
        config, *serve, log=log, env=env, drop=WITHOUT_SLACK, stop_timeout=stop_timeout
    ) as process:
        found = wait_until(
            lambda: re.search(listening, log.read_text()), what, process, log, interval=0.1
        )
        yield found.group(1)


def _texts(logs: tuple[Path, ...]) -> str:
    return " | ".join(log.read_text() for log in logs)


def wait_until(
    check: Callable[[], Any],
    what: str,
    process: subprocess.Popen[bytes],
    *logs: Path,
    timeout: float = 180.0,
    interval: float = 0.2,
) -> Any:
    """Poll ``check`` until it returns something truthy and return that; fail with the ``logs``
    when ``process`` exits first or ``timeout`` seconds pass."""
    deadline = time.monotonic() + timeout
    while True:
        found = check()
        if found:
            return found
        assert process.poll() is None, f"clipper exited before {what}: {_texts(logs)}"
        assert time.monotonic() < deadline, f"{what}: not seen; {_texts(logs)}"
        time.sleep(interval)


def run_clipper_at_terminal(
    config: Path, *args: str, columns: int, env: Mapping[str, str] | None = None
) -> tuple[int, str]:
    """Run ``clipper --config CONFIG ARGS`` with stdout and stderr on a pseudo-terminal
    ``columns`` wide, as a user at a terminal sees it; return the exit code and the output with
    colour and hyperlink escapes removed (at most 120 s)."""
    import fcntl
    import pty
    import re
    import struct
    import termios
    import threading

    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 50, columns, 0, 0))
    environ = {k: v for k, v in _environ(env).items() if k not in ("COLUMNS", "LINES")}
    process = subprocess.Popen(
        _command(config, args),
        stdin=subprocess.DEVNULL,
        stdout=slave,
        stderr=slave,
        env={**environ, "TERM": "xterm"},
    )
    os.close(slave)
    chunks: list[bytes] = []

    def read() -> None:
        while True:
            try:
                chunk = os.read(master, 65536)
            except OSError:  # EIO: the child closed the terminal
                return
            if not chunk:
                return
            chunks.append(chunk)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    code = process.wait(timeout=120)
    reader.join(timeout=10)
    os.close(master)
    text = b"".join(chunks).decode("utf-8", "replace").replace("\r\n", "\n")
    text = re.sub(r"\x1b\]8;[^\x1b\x07]*(\x1b\\|\x07)", "", text)  # hyperlinks
    text = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", text)  # colours, cursor
    return code, text


@contextmanager
def log_of_running(
    config: Path,
    log: Path,
    env: Mapping[str, str] | None = None,
    args: tuple[str, ...] = ("run",),
) -> Iterator[Callable[[], str]]:
    """``clipper ARGS`` (``run`` by default) for the block, output to ``log``; yields a reader
    of the log that fails once the process has exited."""
    with clipper_running(config, *args, log=log, env=env) as process:

        def read() -> str:
            assert process.poll() is None, log.read_text()
            return log.read_text()

        yield read


def wait_on_log(
    check: Callable[[], bool], what: str, read: Callable[[], str], timeout: float = 120.0
) -> None:
    """Poll ``check`` until it holds; fail with ``read()`` (the log) after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"no {what}:\n{read()}"
        time.sleep(0.2)
