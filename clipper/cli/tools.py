"""The commands for trying matching by hand: ``match``, ``explain``, ``extract``.

Thin: parse, call the facade, print. Does not decide anything.
"""

from __future__ import annotations

import json
from pathlib import Path

import click
from rich.markup import escape

from ..logic.words import plural
from ..types import (
    ArticleText,
    MatchResult,
)
from .app import (
    State,
    err,
    main,
    out,
    pass_state,
)


def _result_json(article_id: object, result: MatchResult) -> str:
    return json.dumps(
        {
            "id": article_id,
            "matches": [
                {
                    "account": m.account,
                    "score": m.score,
                    "reasons": list(m.reasons),
                    "event": m.event,
                    "shareable": m.shareable,
                }
                for m in result.matches
            ],
            "industries": [
                {"industry": i.industry, "score": i.score, "reason": i.reason}
                for i in result.industries
            ],
        },
        ensure_ascii=False,
    )


def _read_articles(path: Path) -> tuple[list[tuple[object, ArticleText]], list[str]]:
    articles: list[tuple[object, ArticleText]] = []
    problems: list[str] = []
    with path.open(encoding="utf-8") as handle:
        for line_number, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                problems.append(f"{path}:{line_number}: not JSON ({exc.msg})")
                continue
            if not isinstance(record, dict) or "id" not in record or not record.get("title"):
                problems.append(f"{path}:{line_number}: needs an object with id and title")
                continue
            text = record.get("summary") or record.get("text") or ""
            articles.append(
                (
                    record["id"],
                    ArticleText(
                        str(record["id"]), str(record["title"]), str(text), record.get("industry")
                    ),
                )
            )
    return articles, problems


@main.command("match")
@click.argument("jsonl", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--out",
    "out_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write results here (default: standard output).",
)
@click.option("--batch", default=256, show_default=True, help="Articles embedded at once.")
@pass_state
def match_command(state: State, jsonl: Path, out_path: Path | None, batch: int) -> None:
    """Match articles from a JSON-lines file against the configured accounts and industries.

    Each input line: {"id", "title", "summary" or "text", optional "published", "source"}. Each
    output line: {"id", "matches": [{"account", "score", "reasons", "event", "shareable"}],
    "industries": [{"industry", "score", "reason"}]}. Bad lines are reported by number and skipped.
    """
    articles, problems = _read_articles(jsonl)
    for problem in problems:
        err.print(f"[yellow]skipped[/] {escape(problem)}")
    with state.clipper() as clipper:
        sink = out_path.open("w", encoding="utf-8") if out_path else None
        try:
            for start in range(0, len(articles), batch):
                chunk = articles[start : start + batch]
                results = clipper.match_articles([a for _, a in chunk])
                for (article_id, _), result in zip(chunk, results, strict=True):
                    line = _result_json(article_id, result)
                    if sink:
                        sink.write(line + "\n")
                    else:
                        click.echo(line)
        finally:
            if sink:
                sink.close()
    if out_path:
        out.print(
            f"{plural(len(articles), 'article')} matched, {len(problems)} skipped → {out_path}"
        )


@main.command()
@click.option("--title", required=True, help="The article's headline.")
@click.option("--text", default="", help="Its summary or body.")
@click.option("--industry", default=None, help="The source feed's industry, if any.")
@pass_state
def explain(state: State, title: str, text: str, industry: str | None) -> None:
    """Show how one article would be matched, and why (or why not)."""
    with state.clipper() as clipper:
        (result,) = clipper.match_articles([ArticleText("explain", title, text, industry)])
    if not result.matches:
        out.print("no account matches")
    for m in result.matches:
        badge = "" if m.shareable else " [yellow](for you only)[/]"
        event = f" [cyan]{escape(m.event)}[/]" if m.event else ""
        out.print(f"[bold]{escape(m.account)}[/] score {m.score:.2f}{event}{badge}")
        for reason in m.reasons:
            out.print(f"  - {escape(reason)}")
    if result.industries:
        out.print(
            "industries: "
            + ", ".join(
                f"{escape(i.industry)} ({i.score:.2f}: {escape(i.reason)})"
                for i in result.industries
            )
        )
    for note in result.notes:
        out.print(f"[dim]evidence: {escape(note)}[/]")
    for reason in result.dropped:
        out.print(f"[dim]not matched: {escape(reason)}[/]")


@main.command()
@click.argument("source")
@pass_state
def extract(state: State, source: str) -> None:
    """Print the main text of an article page: a URL or an HTML file (.gz accepted)."""
    with state.clipper(quiet=True) as clipper:
        text = clipper.extract(source)
    click.echo(text)
