"""Reloading the configuration while ``clipper run`` or ``serve`` runs: which files to watch,
whether they changed, whether a new load may replace the running one, and which changed
settings only a restart applies.

Reads the files it is given (their modification times, and ``load_config``); does not swap
anything in, log, or read the environment itself: callers pass ``environ``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..exceptions import ConfigError
from .load import Config, load_config
from .settings import Settings

#: settings a reload applies, or that are read live: files' contents, matching, digests,
#: polling policy, delivery pacing, the web page's links, the daily jobs (``alerts.``,
#: ``retention.``) and ``run.config_poll``. Any other changed setting (a listen address, the
#: database, the model, fetch limits the HTTP client was built with, ``fetch.tick``) needs a
#: restart.
RELOADABLE = (
    "feeds_dir",
    "accounts",
    "reps",
    "account_feeds",
    "matching.",
    "digest.",
    "share.",
    "touches.target_per_year",
    "touches.tier_targets",
    "touches.fiscal_year_start_month",
    "touches.going_dark_days",
    "touches.timezone",
    "fetch.default_interval",
    "fetch.min_interval",
    "fetch.max_interval",
    "fetch.backoff_base",
    "fetch.backoff_max",
    "fetch.error_limit",
    "fetch.max_retry_after",
    "fetch.backfill_window",
    "fetch.max_new_per_feed",
    "fetch.jitter",
    "fetch.concurrency",
    "slack.pace_s",
    "slack.workspace_rate",
    "slack.max_attempts",
    "slack.max_retry_wait_s",
    "slack.share_template",
    "web.base_url",
    "web.link_ttl_hours",
    "run.shutdown_grace",
    "run.config_poll",
    "alerts.",
    "retention.",
)

#: one file's state: (path, modification time in ns, size); (path, -1, -1) when it is missing
FileState = tuple[str, int, int]


def watched_files(config: Config) -> tuple[Path, ...]:
    """Return the files a reload reads: the settings file, accounts, reps, and each catalog in
    ``feeds_dir`` (the folder itself too, so an added or removed catalog counts).

    Does not check that they exist.
    """
    settings = config.settings
    feeds_dir = config.resolve(settings.feeds_dir)
    catalogs: list[Path] = []
    if feeds_dir.is_dir():
        catalogs = sorted([*feeds_dir.glob("*.yaml"), *feeds_dir.glob("*.yml")])
    return (
        config.path,
        config.resolve(settings.accounts),
        config.resolve(settings.reps),
        feeds_dir,
        *catalogs,
    )


def fingerprint(paths: tuple[Path, ...]) -> tuple[FileState, ...]:
    """Return each file's modification time and size (a cheap ``stat``); does not read them."""
    states: list[FileState] = []
    for path in paths:
        try:
            found = path.stat()
        except OSError:
            states.append((str(path), -1, -1))
            continue
        states.append((str(path), found.st_mtime_ns, found.st_size))
    return tuple(states)


@dataclass(frozen=True, slots=True)
class ReloadCheck:
    """A new load of the configuration and whether it may replace the running one."""

    #: the new configuration; None when it must not replace the running one
    config: Config | None
    #: why it must not (each naming file, line and field); empty when it may
    problems: tuple[str, ...] = ()
    #: changed settings that only a restart applies (dotted names), when it may
    restart: tuple[str, ...] = ()
    #: whether anything a reload applies changed (settings or the files' contents)
    changed: bool = True


def check_reload(
    running: Config, environ: Mapping[str, str], started: Settings | None = None
) -> ReloadCheck:
    """Load the configuration again from the running one's settings file and judge it.

    A new load is refused when the settings file is unusable or when it has a problem the
    running configuration did not have (a bad edit never skips an account that was running).
    The restart-only settings are compared with ``started`` (what the process started with and
    so still runs; default ``running``'s), not with the previous file: a value put back to the
    running one needs no restart. Does not swap it in or log.
    """
    try:
        fresh = load_config(running.path, environ)
    except ConfigError as exc:
        return ReloadCheck(None, exc.problems or (str(exc),))
    new = tuple(p for p in fresh.problems if p not in running.problems)
    if new:
        return ReloadCheck(None, new)
    restart = restart_needed(started or running.settings, fresh.settings)
    same = (
        fresh.catalogs == running.catalogs
        and fresh.accounts == running.accounts
        and fresh.reps == running.reps
        and _without(fresh.settings, restart) == _without(running.settings, restart)
    )
    return ReloadCheck(fresh, (), restart, not same)


def restart_needed(old: Settings, new: Settings) -> tuple[str, ...]:
    """Return the dotted names of changed settings that a reload does not apply."""
    return tuple(
        name
        for name in _changed(old.model_dump(mode="json"), new.model_dump(mode="json"), "")
        if not any(name == r or (r.endswith(".") and name.startswith(r)) for r in RELOADABLE)
    )


def _changed(old: Any, new: Any, prefix: str) -> list[str]:
    if isinstance(old, dict) and isinstance(new, dict):
        names: list[str] = []
        for key in sorted(set(old) | set(new)):
            names += _changed(old.get(key), new.get(key), f"{prefix}{key}.")
        return names
    return [prefix.rstrip(".")] if old != new else []


def _without(settings: Settings, names: tuple[str, ...]) -> dict[str, Any]:
    """The settings as plain data, the restart-only changes left out (for comparing)."""
    data = settings.model_dump(mode="json")
    for name in names:
        *parents, last = name.split(".")
        node = data
        for part in parents:
            node = node.get(part, {}) if isinstance(node, dict) else {}
        if isinstance(node, dict):
            node.pop(last, None)
    return data
