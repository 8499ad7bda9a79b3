"""The ``clipper`` command in a child process, as a user runs it: ``python -m clipper`` with this
checkout first on ``PYTHONPATH``. Does not write configuration (``conftest.write_config`` does)
or judge the output.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Mapping
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def _command(config: Path, args: tuple[str, ...]) -> list[str]:
    return [sys.executable, "-m", "clipper", "--config", str(config), *args]


def _environ(env: Mapping[str, str] | None) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(REPO), **(env or {})}


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
    config: Path, *args: str, log: Path, env: Mapping[str, str] | None = None
) -> subprocess.Popen[bytes]:
    """Start ``clipper --config CONFIG ARGS`` with stdout and stderr going to ``log``."""
    with log.open("wb") as out:
        return subprocess.Popen(
            _command(config, args), stdout=out, stderr=subprocess.STDOUT, env=_environ(env)
        )


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
