"""Digests without Slack: printed to the terminal (rich) and written as Markdown files.

Files go to ``<output_dir>/<rep>/<UTC date and time>-<digest id>-<part>.md``. Does not decide
what a digest contains.
"""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path

from rich.console import Console
from rich.markdown import Markdown


class MarkdownDigestWriter:
    """``DigestWriterType``: rich Markdown on the console plus one file per digest."""

    def __init__(self, output_dir: Path, console: Console | None = None) -> None:
        self.output_dir = output_dir
        self.console = console or Console()

    def write(self, rep: str, digest_id: int, part: int, markdown: str, now: datetime) -> None:
        folder = self.output_dir / re.sub(r"[^\w.@+-]", "_", rep)
        folder.mkdir(parents=True, exist_ok=True)
        name = f"{now:%Y-%m-%d-%H%M}-{digest_id}-{part}.md"
        (folder / name).write_text(markdown, encoding="utf-8")
        self.console.print(Markdown(markdown))
        self.console.print(f"[dim]saved {folder / name}[/dim]\n")
