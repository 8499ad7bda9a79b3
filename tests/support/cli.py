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
