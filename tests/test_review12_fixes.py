"""What a reviewer of the digest (issue 12) found, each as a user sees it: a missing feed file,
relative links, cut leads, terminal wrapping, dry runs, baseline items, formatting marks."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

from click.testing import CliRunner

from clipper.cli import main
from clipper.logic.compose import DigestRequest, compose_digest
from clipper.logic.digest import DigestPolicy
from clipper.types import DigestKind, Sink

from .conftest import write_config
from .feedserver import FeedServer, Reply, rss
from .slackstub import validate_blocks
from .support.cli import run_clipper, run_clipper_at_terminal
from .support.slack import stub
from .test_digest_content import NOW, candidate, sections_text
from .test_show_more import Bolt, bolt, slack_users

__all__ = ["bolt", "slack_users", "stub"]  # fixtures, by name


def test_a_missing_feed_file_is_one_failure_and_the_other_feeds_are_fetched(
    tmp_path: Path, server: FeedServer
) -> None:
    good = server.route(
        "/good", Reply(200, rss([{"title": "Hello", "guid": "1", "link": "http://x.example/1"}]))
    )
    gone = tmp_path / "feeds" / "gone.xml"
    path = write_config(
        tmp_path,
        feeds={
            "x": [
                {"url": good, "name": "Good feed"},
                {"url": "missing.xml", "name": "Gone"},
                {"url": gone.as_uri(), "name": "Gone too"},
            ]
        },
    )
    runner = CliRunner()
    result = runner.invoke(main, ["--config", str(path), "fetch", "--once"])
    # like any broken feed (an HTTP 500 above): reported, the rest fetched, no traceback
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    assert "Traceback" not in result.output
    assert "failed Gone <file://" in result.output
    assert "missing.xml>: file not found" in result.output
    assert "failed Gone too <file://" in result.output
    assert "feeds: 1 ok, 0 not modified, 2 failed; new articles: 1" in result.output
    status = runner.invoke(main, ["--config", str(path), "feeds", "status", "--json"])
    rows = {r["name"]: r for r in map(json.loads, status.output.splitlines())}
    assert rows["Gone"]["last_error"] == "file not found"
    assert rows["Gone"]["error_count"] == 1
    assert rows["Good feed"]["items"] == 1


LONG_LEAD = (
    "Acme Robotics said on Monday that its second automated warehouse plant in Dayton will "
    "employ four hundred people and ship its first picking robots to grocery chains in March"
)


def _digest_config(tmp_path: Path, server: FeedServer) -> Path:
    now = datetime.now(UTC)
    items = [
        {
            "title": "Acme Robotics opens a second automated warehouse robotics plant in Ohio",
            "link": "https://n.example/plant",
            "guid": "p",
            "pubDate": format_datetime(now - timedelta(hours=2)),
            "description": LONG_LEAD + ".",
        }
    ]
    url = server.route("/feed", Reply(200, rss(items)))
    return write_config(
        tmp_path,
        feeds={"manufacturing": [{"url": url, "name": "Wire"}]},
        accounts=[{"name": "Acme Robotics", "owner": "sam@example.com"}],
        reps=[{"email": "sam@example.com", "name": "Sam"}],
    )


def _words(text: str) -> list[str]:
    return re.findall(r"[\w$@.:/\"'-]+", text)


def test_at_a_terminal_the_digest_wraps_between_words_and_never_crops(
    tmp_path: Path, server: FeedServer
) -> None:
    path = _digest_config(tmp_path, server)
    assert run_clipper(path, "fetch", "--once").returncode == 0
    code, shown = run_clipper_at_terminal(
        path, "digest", "--now", "--dry-run", "--rep", "sam@example.com", columns=60
    )
    assert code == 0, shown
    lines = shown.splitlines()
    assert all(len(line.rstrip()) <= 60 for line in lines), shown
    # every word of the lead and of the reason is there whole, in order: wrapped, not cut
    flowing = " ".join(line.strip(" •▌") for line in lines)
    assert " ".join(_words(LONG_LEAD)) in " ".join(_words(flowing)), shown
    why = next(line for line in lines if "Why:" in line)
    rest = lines[lines.index(why) :]
    reason = " ".join(_words(" ".join(rest)))
    assert reason.startswith("Why: ") and not reason.endswith("…"), shown
    # the touch line and the nudge each on a line of their own
    touch = next(line for line in lines if "Touches this quarter" in line)
    assert "💡" not in touch, shown
    assert any(line.strip().startswith("💡") for line in lines), shown

    # piped, the same dry run is the Markdown, unwrapped, lines whole
    piped = run_clipper(path, "digest", "--now", "--dry-run", "--rep", "sam@example.com")
    assert f"  {LONG_LEAD}.  " in piped.stdout.splitlines()


def _atom(updated: str) -> bytes:
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
  <id>tag:news.example,2026:feed</id>
  <link rel="alternate" type="text/html" href="https://news.example"/>
  <link rel="self" href="https://news.example/feed.atom"/>
  <title>Site news</title>
  <updated>{updated}</updated>
  <entry>
    <id>tag:news.example,2026:1</id>
    <updated>{updated}</updated>
    <link rel="alternate" type="text/html" href="/livewire/acme-robotics-opens-a-plant"/>
    <title>Acme Robotics opens a plant in Ohio</title>
    <summary>Acme Robotics opened a plant in Dayton on Monday.</summary>
  </entry>
  <entry>
    <id>tag:news.example,2026:2</id>
    <updated>{updated}</updated>
    <title>Acme Robotics names a new chief financial officer</title>
    <summary>Acme Robotics named a new finance chief on Monday.</summary>
  </entry>
</feed>""".encode()


def test_relative_item_links_resolve_against_the_feed_site_and_linkless_notes_stay_tidy(
    tmp_path: Path, server: FeedServer
) -> None:
    updated = (datetime.now(UTC) - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    served = server.route("/feed.atom", Reply(200, _atom(updated)))
    (tmp_path / "feeds").mkdir(parents=True)
    (tmp_path / "feeds" / "site.atom").write_bytes(_atom(updated).replace(b"2026:", b"2027:"))
    path = write_config(
        tmp_path,
        feeds={
            "manufacturing": [
                {"url": served, "name": "Served"},
                {"url": "site.atom", "name": "On disk"},
            ]
        },
        accounts=[{"name": "Acme Robotics", "owner": "sam@example.com"}],
        reps=[{"email": "sam@example.com", "name": "Sam"}],
    )
    assert run_clipper(path, "fetch", "--once").returncode == 0
    preview = run_clipper(path, "digest", "--now", "--dry-run")
    assert preview.returncode == 0, preview.stderr
    markdown = preview.stdout
    # the feed's alternate link is the base, for a served feed and a local file alike
    assert "(<https://news.example/livewire/acme-robotics-opens-a-plant>)" in markdown
    assert "  > <https://news.example/livewire/acme-robotics-opens-a-plant>" in markdown
    assert "file:" not in markdown and served not in markdown
    # the item without a link: a title, no link, and no empty line where the link would be
    assert "- **Acme Robotics names a new chief financial officer**" in markdown
    lines = markdown.splitlines()
    for before, after in zip(lines, lines[1:], strict=False):
        assert not (before.strip() == ">" and after.strip() == ">"), markdown
    note = lines.index("  > Acme Robotics names a new chief financial officer")
    assert lines[note + 1].strip() == ">" and lines[note + 2].strip() == "> Best,", markdown


def test_a_short_summary_without_a_period_is_shown_whole_and_the_reps_name_is_text(
    tmp_path: Path, server: FeedServer
) -> None:
    now = format_datetime(datetime.now(UTC) - timedelta(hours=1))
    whole = "Acme Robotics names Jo Park its chief financial officer after a long search"
    cut = "Acme Robotics said its new plant in Ohio will be covered by every"
    items = [
        {
            "title": "Acme Robotics hires",
            "link": "https://n.example/1",
            "guid": "1",
            "pubDate": now,
            "description": whole,
        },
        {
            "title": "Acme Robotics plant",
            "link": "https://n.example/2",
            "guid": "2",
            "pubDate": now,
            "description": cut,
        },
    ]
    url = server.route("/feed", Reply(200, rss(items)))
    path = write_config(
        tmp_path,
        feeds={"manufacturing": [{"url": url, "name": "Wire"}]},
        accounts=[{"name": "Acme Robotics", "owner": "sam@example.com"}],
        reps=[{"email": "sam@example.com", "name": "Cat <@U999> *Kay*"}],
    )
    assert run_clipper(path, "fetch", "--once").returncode == 0
    preview = run_clipper(path, "digest", "--now", "--dry-run")
    assert preview.returncode == 0, preview.stderr
    lines = preview.stdout.splitlines()
    assert f"  {whole}  " in lines  # whole, as the feed wrote it: no "…" claiming a cut
    assert f"  {cut}…  " in lines  # this one the feed did cut short: said so
    assert lines[0].endswith(r" for Cat \<@U999\> \*Kay\*"), lines[0]


def test_a_dry_run_previews_only_what_now_would_send(tmp_path: Path, server: FeedServer) -> None:
    path = _digest_config(tmp_path, server)
    (tmp_path / "config" / "reps.yaml").write_text(
        "reps:\n"
        "  - {email: sam@example.com, name: Sam}\n"
        "  - {email: max@example.com, name: Max, role: manager}\n"
    )
    assert run_clipper(path, "fetch", "--once").returncode == 0
    first = run_clipper(path, "digest", "--now", "--dry-run", "--rep", "max@example.com")
    assert first.stdout.startswith("# Clipper team summary · "), first.stdout
    sent = run_clipper(path, "digest", "--now", "--rep", "max@example.com")
    assert sent.returncode == 0, sent.stderr
    preview = run_clipper(path, "digest", "--now", "--dry-run", "--rep", "max@example.com")
    assert preview.returncode == 0, preview.stderr
    # --now would not send this week's team summary again: the dry run does not show it either
    assert preview.stdout == "", preview.stdout
    assert (
        "the team summary for max@example.com was already sent this week; "
        "--now does not send it again"
    ) in preview.stderr
    again = run_clipper(path, "digest", "--now", "--rep", "max@example.com")
    assert "was already sent this week" in again.stdout


def test_old_items_of_a_first_fetch_are_counted_once_with_the_setting_that_matches_them(
    tmp_path: Path, server: FeedServer
) -> None:
    old = format_datetime(datetime.now(UTC) - timedelta(days=30))
    new = format_datetime(datetime.now(UTC) - timedelta(hours=1))
    urls = [
        server.route(
            f"/f{n}",
            Reply(
                200,
                rss(
                    [
                        {
                            "title": f"Old {n}.{i}",
                            "guid": f"{n}.{i}",
                            "link": f"https://n.example/{n}/{i}",
                            "pubDate": old,
                        }
                        for i in range(3)
                    ]
                    + [
                        {
                            "title": f"New {n}",
                            "guid": f"{n}n",
                            "link": f"https://n.example/{n}/n",
                            "pubDate": new,
                        }
                    ]
                ),
            ),
        )
        for n in range(2)
    ]
    path = write_config(
        tmp_path, feeds={"x": [{"url": u, "name": f"Feed {n}"} for n, u in enumerate(urls)]}
    )
    result = CliRunner().invoke(main, ["--config", str(path), "fetch", "--once"])
    assert result.exit_code == 0, result.output
    told = (
        "6 items older than fetch.backfill_window (3d) on first fetch were kept as history, "
        f"not matched; raise fetch.backfill_window in {path} to match them"
    )
    assert result.output.count("kept as history") == 1, result.output  # one line, not per feed
    assert told in result.output.replace("\n", " "), result.output
    assert "new articles: 2" in result.output
    again = CliRunner().invoke(main, ["--config", str(path), "fetch", "--once", "--all"])
    assert "kept as history" not in again.output  # only a first fetch keeps history


def _answer(bolt: Bolt, text: str) -> str:
    """What the user is shown: the acknowledgement's text, else the response_url answer."""
    acked, rid = bolt.clip(text)
    assert acked.status == 200
    if acked.body:
        return str(acked.body)
    (answer,) = bolt.responses(rid)
    return str(answer["text"])


def test_clip_answers_a_huge_argument_and_never_formats_an_echoed_one(bolt: Bolt) -> None:
    bolt.digest()
    for size in (5000, 1990):
        huge = "x" * size
        for verb in ("news", "mute", "add", "remove", "preview", "settings", "me"):
            text = _answer(bolt, f"{verb} {huge}")
            assert text.startswith(":warning:"), (verb, text[:200])
            assert len(text) < 3000 and huge not in text, verb
        said = f"that is not an account name ({size:,} characters)"
        assert said in _answer(bolt, f"news {huge}")
        assert said in _answer(bolt, f"mute {huge}")
    # a name in emphasis marks is echoed as text: never bold, code or struck through in Slack
    for typed in ("news *Northwind Logistics*", "mute `Northwind` ~x~ _y_"):
        echoed = _answer(bolt, typed)
        assert "**" not in echoed and "`Northwind`" not in echoed, echoed
        assert "~x~" not in echoed and "_y_" not in echoed, echoed
    assert "\u2217Northwind Logistics\u2217" in _answer(bolt, "news *Northwind Logistics*")


def test_a_titles_and_a_summarys_marks_never_format_the_slack_digest() -> None:
    hostile = "*Acme Robotics* news `x` ~s~ _e_"
    items = [
        candidate(
            1,
            "Acme Robotics",
            title=hostile,
            summary="*Acme* opened a plant in Ohio on Monday, _its_ ~third~ this `year`.",
            reasons=('mentions "*Acme*"',),
        )
    ]
    slack = compose_digest(
        DigestRequest("r@x.example", "R", DigestKind.DIGEST, Sink.SLACK, NOW, None),
        items,
        {},
        DigestPolicy(),
    )
    blocks = json.loads(slack.parts[0][1])
    assert validate_blocks(blocks) == (None, [])
    (text,) = sections_text(blocks)
    title, lead, _facts, why = text.split("\n")[:4]
    # bold only around the whole headline; inside it, the marks are look-alikes
    assert title == "*<https://news.example/1|∗Acme Robotics∗ news ˋxˋ ∼s∼ ˍeˍ>*"
    assert lead == "∗Acme∗ opened a plant in Ohio on Monday, ˍitsˍ ∼third∼ this ˋyearˋ."
    assert why == '_Why: mentions "∗Acme∗"_'
    # and in the Markdown file every mark is escaped, strike-through included
    markdown = compose_digest(
        DigestRequest("r@x.example", "R", DigestKind.DIGEST, Sink.TERMINAL, NOW, None),
        items,
        {},
        DigestPolicy(),
    ).parts[0][1]
    assert "\\*Acme Robotics\\* news \\`x\\` \\~s\\~ \\_e\\_" in markdown
