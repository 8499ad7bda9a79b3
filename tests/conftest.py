"""Shared fixtures: scrubbed environment, the third-party data folder, a local feed server, and
a throw-away configuration written per test."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from clipper.config import Config, load_config
from clipper.core import Clipper
from clipper.wiring import make_clipper

from .feedserver import FeedServer

REPO = Path(__file__).resolve().parents[1]
#: the only network the tests' local servers use; everything else stays refused
LOOPBACK = "127.0.0.1/32"


def shared_data() -> Path:
    """``../shared/data`` beside the checkout (CLIPPER_SHARED_DATA overrides)."""
    return Path(os.environ.get("CLIPPER_SHARED_DATA") or REPO.parent / "shared" / "data")


@pytest.fixture(autouse=True)
def clean_environ(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith(("SLACK_", "CLIPPER_")) and name != "CLIPPER_SHARED_DATA":
            monkeypatch.delenv(name)
    for name in (
        "HTTP_PROXY",
        "HTTPS_PROXY",
        "ALL_PROXY",
        "http_proxy",
        "https_proxy",
        "all_proxy",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")


@pytest.fixture(scope="session")
def data_dir() -> Path:
    path = shared_data()
    assert path.is_dir(), f"third-party test data not found at {path} (see README: Tests)"
    return path


@pytest.fixture
def server() -> Iterator[FeedServer]:
    srv = FeedServer()
    yield srv
    srv.close()


class Clock:
    """A settable clock for tests."""

    def __init__(self, now: datetime | None = None) -> None:
        self.now = now or datetime(2026, 11, 23, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kwargs: float) -> None:
        from datetime import timedelta

        self.now += timedelta(**kwargs)


def write_config(
    root: Path,
    *,
    feeds: dict[str, list[dict[str, Any]]] | None = None,
    accounts: list[dict[str, Any]] | None = None,
    reps: list[dict[str, Any]] | None = None,
    settings: dict[str, Any] | None = None,
) -> Path:
    """Write a complete configuration under ``root`` and return the settings file's path."""
    (root / "config").mkdir(parents=True, exist_ok=True)
    (root / "feeds").mkdir(exist_ok=True)
    for industry, entries in (feeds or {}).items():
        (root / "feeds" / f"{industry}.yaml").write_text(
            yaml.safe_dump(
                {"industry": industry, "description": f"{industry} news", "feeds": entries}
            )
        )
    (root / "config" / "accounts.yaml").write_text(yaml.safe_dump({"accounts": accounts or []}))
    (root / "config" / "reps.yaml").write_text(
        yaml.safe_dump({"reps": reps if reps is not None else [{"email": "rep@example.com"}]})
    )
    base: dict[str, Any] = {
        "database": "sqlite:///../var/clipper.db",
        "feeds_dir": "../feeds",
        "fetch": {
            "concurrency": 8,
            "connect_timeout": "2s",
            "read_timeout": "2s",
            "total_timeout": "5s",
            "backoff_base": "5m",
            "min_interval": "5m",
            # the tests' servers listen on loopback, which Clipper otherwise refuses
            "allow_private_networks": [LOOPBACK],
        },
        # any free port: parallel runs (and colleagues' suites) never fight over 9464
        "health": {"listen": "127.0.0.1:0"},
    }
    for key, value in (settings or {}).items():
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            base[key] = {**base[key], **value}
        else:
            base[key] = value
    path = root / "config" / "clipper.yaml"
    path.write_text(yaml.safe_dump(base))
    return path


def build(path: Path, clock: Clock | None = None) -> tuple[Config, Clipper]:
    config = load_config(path, {})
    return config, make_clipper(config, _clock=clock)
