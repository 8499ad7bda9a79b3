"""Digests without Slack: printed to the terminal (rich) and written as Markdown files.

Files go to ``<output_dir>/<rep>/<UTC date and time>-<digest id>-<part>.md``; the admin's notice
about skipped configuration parts to ``<output_dir>/admin/config-problems-<UTC time>.md``; the
daily feed-health report to ``alerts.feed_health.output_dir``. Does
not decide what a digest or a notice contains.
"""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path

from rich.console import Console

from ..exceptions import StorageError


def write_admin_notice(output_dir: Path, markdown: str, now: datetime) -> Path:
    """Write the admin's notice as ``<output_dir>/admin/config-problems-<time>.md``; return its
    path. Does not print it.

    Raises:
        StorageError: the folder or the file cannot be written.
    """
    path = output_dir / "admin" / f"config-problems-{now:%Y-%m-%d-%H%M%S}.md"
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(markdown, encoding="utf-8")
    except OSError as exc:
        raise StorageError(f"{path}: cannot write: {exc.strerror or exc}") from exc
    return path


def write_feed_health(output_dir: Path, markdown: str, day: datetime) -> Path:
    """Write the day's feed-health report as ``<output_dir>/feed-health-<date>.md``, the date
    being ``day``'s in its own zone (replacing that day's); return its path. Does not print it.

    Raises:
        StorageError: the folder or the file cannot be written.
    """
    path = output_dir / f"feed-health-{day:%Y-%m-%d}.md"
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(markdown, encoding="utf-8")
    except OSError as exc:
        raise StorageError(f"{path}: cannot write: {exc.strerror or exc}") from exc
    return path


class MarkdownDigestWriter:
    """``DigestWriterType``: the digest on the console plus one Markdown file per digest.

    At a terminal the Markdown is rendered (rich, wrapped on words); piped or redirected, it is
    written exactly as saved, never cut or wrapped.
    """

    def __init__(self, output_dir: Path, console: Console | None = None) -> None:
        self.output_dir = output_dir
        self.console = console or Console()

    def write(self, rep: str, digest_id: int, part: int, markdown: str, now: datetime) -> None:
        folder = self.output_dir / re.sub(r"[^\w.@+-]", "_", rep)
        folder.mkdir(parents=True, exist_ok=True)
        name = f"{now:%Y-%m-%d-%H%M}-{digest_id}-{part}.md"
        (folder / name).write_text(markdown, encoding="utf-8")
        if self.console.is_terminal:
            from rich.markdown import Markdown  # markdown-it: at a terminal only

            self.console.print(Markdown(markdown))
            self.console.print(f"[dim]saved {folder / name}[/dim]\n")
            return
        stream = self.console.file
        stream.write(markdown if markdown.endswith("\n") else markdown + "\n")
        stream.write(f"\nsaved {folder / name}\n\n")
        stream.flush()
