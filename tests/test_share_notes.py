"""The note "Share with customer" pre-fills: one per kind of news, from the configured templates,
with hostile headlines shown as text in every target (the share window, Slack, Markdown)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from clipper.config import load_config
from clipper.exceptions import ConfigError
from clipper.logic.compose import DigestRequest, compose_digest
from clipper.logic.digest import DigestCandidate, DigestPolicy
from clipper.logic.notes import (
    NoteTarget,
    NoteValues,
    ShareNotes,
    note_kind,
    render_note,
    template_problem,
)
from clipper.types import DigestKind, EventKind, NoteKind, Sink

from .conftest import write_config
from .feedserver import FeedServer, Reply, rss
from .slackstub import SlackStub
from .support.cli import run_clipper
from .support.seeding import mention, seed_matches
from .support.slack import stub
from .test_slack_app import ACCOUNTS, USERS, App, wait_for

__all__ = ["stub"]

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
TEMPLATES = {
    NoteKind.FUNDING: "Hi {contact}, congratulations on the round! {title} {url} -- {rep}",
    NoteKind.LEADERSHIP: "Hi {contact}, congratulations on the new role: {title} {url}",
    NoteKind.ACQUISITION: "Hi {contact}, a thought on the deal: {title} {url}",
    NoteKind.INDUSTRY: "Hi {contact}, a trend in your industry: {title} {url}",
    NoteKind.DEFAULT: "Hi {contact}, I saw this and thought of {account}: {title} {url}",
}
#: a headline written to break out of every target: placeholders, Slack's control syntax,
#: Markdown, a second line, and a right-to-left override
HOSTILE = (
    "Acme raises $5M {rep} {contact} <!channel> <https://evil.example|click> *x* [y](z)\n"
    "# hi \u202e"
)


@pytest.fixture
def slack_users() -> dict[str, str]:
    return USERS


@pytest.mark.parametrize(
    ("event", "industry", "expected"),
    [
        (EventKind.FUNDING, False, "congratulations on the round"),
        (EventKind.LEADERSHIP, False, "congratulations on the new role"),
        (EventKind.MERGER, False, "a thought on the deal"),
        (EventKind.FUNDING, True, "a trend in your industry"),
        (EventKind.EARNINGS, False, "I saw this and thought of Acme"),
        (None, False, "I saw this and thought of Acme"),
    ],
)
def test_the_note_is_chosen_by_the_kind_of_news(
    event: EventKind | None, industry: bool, expected: str
) -> None:
    notes = ShareNotes(TEMPLATES, "Sam", {"Acme": "Jo Buyer"})
    note = notes.note(
        event=event,
        title="Acme news",
        url="https://n.example/1",
        account="Acme",
        target=NoteTarget.PLAIN,
        industry=industry,
    )
    assert note.startswith("Hi Jo Buyer, ") and expected in note
    assert "Acme news https://n.example/1" in note


def test_every_event_kind_has_a_note() -> None:
    assert note_kind(EventKind.FUNDING) is NoteKind.FUNDING
    assert note_kind(EventKind.LAYOFFS) is NoteKind.DEFAULT
    assert {note_kind(kind) for kind in EventKind} <= set(NoteKind)


def test_without_a_contact_the_greeting_is_neutral() -> None:
    notes = ShareNotes(TEMPLATES, "Sam")
    note = notes.note(event=None, title="T", url=None, account="Acme", target=NoteTarget.PLAIN)
    assert note.startswith("Hi there, ")


def _hostile(target: NoteTarget, url: str | None = "https://n.example/a b") -> str:
    template = "Hi {contact},\n{title}\n{url}\nBest, {rep}"
    return render_note(template, NoteValues(HOSTILE, url, "Acme", "Sam", "Jo"), target)


def test_a_hostile_title_stays_one_line_of_text_and_never_fills_placeholders() -> None:
    for target in NoteTarget:
        note = _hostile(target)
        lines = note.split("\n")
        assert len(lines) == 4, target  # the title's newline did not add a line
        assert lines[0] == "Hi Jo," and lines[3] == "Best, Sam"
        assert "{rep}" in lines[1] and "{contact}" in lines[1]  # shown, not filled
        assert "\u202e" not in note
    plain = _hostile(NoteTarget.PLAIN)
    assert "<!channel>" in plain and "https://n.example/a%20b" in plain


def test_a_hostile_title_is_escaped_for_slack() -> None:
    note = _hostile(NoteTarget.SLACK)
    assert "<!channel>" not in note and "&lt;!channel&gt;" in note
    assert "<https://evil.example|click>" not in note
    # the article's own link is the only link
    assert note.count("<") == 1 and "<https://n.example/a%20b>" in note


def test_a_hostile_title_is_escaped_for_markdown() -> None:
    note = _hostile(NoteTarget.MARKDOWN)
    title = note.split("\n")[1]
    assert r"\<!channel\>" in title and r"\*x\*" in title and r"\[y\](z)" in title
    assert r"\# hi" in title
    assert note.split("\n")[2] == "<https://n.example/a%20b>"
    starts_a_list = render_note(
        "{title}", NoteValues("- 1. not a list", None, "A", "S"), NoteTarget.MARKDOWN
    )
    assert starts_a_list == r"\- 1. not a list"


def test_only_web_links_go_in_a_note() -> None:
    for target in NoteTarget:
        assert "javascript" not in _hostile(target, "javascript:alert(1)")
        # no link: its line is left out, not left blank
        assert _hostile(target, None).split("\n")[2] == "Best, Sam"


@pytest.mark.parametrize(
    ("template", "problem"),
    [
        ("Hi {contcat}", "unknown placeholder {contcat}; did you mean {contact}?"),
        ("Hi {0}", "unknown placeholder {0}"),
        ("Hi {}", "unknown placeholder {}"),
        ("{title!r}", "placeholder {title!r}: write it as {title}"),
        ("{title:>40}", "placeholder {title:>40}: write it as {title}"),
        ("a } b", "unbalanced { or }"),
        ("  ", "cannot be empty"),
    ],
)
def test_template_problems_are_named(template: str, problem: str) -> None:
    found = template_problem(template)
    assert found is not None and problem in found
    assert "{title}" in found or "empty" in found  # says what is allowed


def test_a_template_with_literal_braces_is_fine() -> None:
    assert template_problem("{{not a placeholder}} {title}") is None
    note = render_note("{{x}} {title}", NoteValues("T", None, "A", "S"), NoteTarget.PLAIN)
    assert note == "{x} T"


def _config_with(tmp_path: Path, share: dict[str, Any]) -> Path:
    return write_config(tmp_path, settings={"share": share})


def test_an_unknown_placeholder_is_refused_at_load_naming_file_line_and_key(
    tmp_path: Path,
) -> None:
    path = _config_with(tmp_path, {"templates": {"funding": "Hi {contcat}, {title}"}})
    with pytest.raises(ConfigError) as caught:
        load_config(path, {})
    (problem,) = caught.value.problems
    line = next(n for n, text in enumerate(path.read_text().splitlines(), 1) if "funding:" in text)
    assert problem.startswith(f"{path}:{line}: share.templates.funding: ")
    assert "unknown placeholder {contcat}; did you mean {contact}?" in problem
    # the command says the same and stops (exit 2: the settings file is invalid)
    result = run_clipper(path, "check")
    assert result.returncode == 2
    assert "share.templates.funding" in result.stderr and "{contcat}" in result.stderr


def test_an_unknown_template_name_gets_a_suggestion(tmp_path: Path) -> None:
    path = _config_with(tmp_path, {"templates": {"fundng": "Hi {contact}"}})
    with pytest.raises(ConfigError) as caught:
        load_config(path, {})
    (problem,) = caught.value.problems
    assert "share.templates.fundng: unknown key; did you mean 'funding'?" in problem


def test_the_old_share_template_still_writes_the_default_note_with_a_warning(
    tmp_path: Path,
) -> None:
    path = write_config(tmp_path, settings={"slack": {"share_template": "Old: {title}"}})
    config = load_config(path, {})
    assert config.settings.share_templates()[NoteKind.DEFAULT] == "Old: {title}"
    assert config.settings.share_templates()[NoteKind.FUNDING].startswith("Hi {contact}")
    assert any("slack.share_template is deprecated" in w for w in config.warnings)
    bad = write_config(tmp_path, settings={"slack": {"share_template": "Old: {titel}"}})
    with pytest.raises(ConfigError):
        load_config(bad, {})


def _candidate(article_id: int, title: str, event: EventKind | None, **kw: Any) -> DigestCandidate:
    return DigestCandidate(
        article_id=article_id,
        account=kw.pop("account", "Acme"),
        title=title,
        url=f"https://n.example/{article_id}",
        source="Wire",
        published_at=NOW - timedelta(hours=2),
        score=0.9,
        reasons=("mentions Acme",),
        event=event,
        **kw,
    )


def test_each_markdown_item_carries_its_ready_to_copy_note() -> None:
    notes = ShareNotes(TEMPLATES, "Sam", {"Acme": "Jo Buyer"})
    request = DigestRequest(
        "sam@x.example", "Sam", DigestKind.DIGEST, Sink.TERMINAL, NOW, None, notes=notes
    )
    candidates = [
        _candidate(1, "Acme raises $5M", EventKind.FUNDING),
        _candidate(2, HOSTILE, EventKind.MERGER),
        _candidate(3, "Acme lays off 300", EventKind.LAYOFFS, shareable=False),
        _candidate(4, "Beta news", None, account="Beta"),
    ]
    composed = compose_digest(request, candidates, {}, DigestPolicy(5, 30))
    ((_text, markdown),) = composed.parts
    assert "  > Hi Jo Buyer, congratulations on the round! Acme raises $5M" in markdown
    assert "<https://n.example/1> -- Sam" in markdown
    # the hostile title is text inside its quote: escaped, on one line, placeholders unfilled
    deal = next(line for line in markdown.splitlines() if "a thought on the deal" in line)
    assert deal.startswith("  > Hi Jo Buyer, a thought on the deal: Acme raises $5M {rep}")
    assert r"\<!channel\>" in deal and r"\*x\*" in deal
    # for the rep's eyes only: no note to send
    layoffs = markdown.split("Acme lays off 300", 1)[1].split("## ", 1)[0]
    assert "Note to send" not in layoffs
    # an account without a contact is greeted neutrally
    assert "  > Hi there, I saw this and thought of Beta: Beta news" in markdown
    assert markdown.count("_Note to send:_") == 3


def test_industry_news_in_markdown_carries_the_industry_note() -> None:
    notes = ShareNotes(TEMPLATES, "Sam", {"Acme": "Jo Buyer"})
    request = DigestRequest(
        "sam@x.example", "Sam", DigestKind.DIGEST, Sink.TERMINAL, NOW, None, notes=notes
    )
    candidates = [
        _candidate(1, "Acme raises $5M", EventKind.FUNDING),
        # industry news names no account, whatever event it has
        _candidate(2, "Port strike averted", EventKind.MERGER, account="", industry="logistics"),
    ]
    composed = compose_digest(request, candidates, {}, DigestPolicy(5, 30))
    ((_text, markdown),) = composed.parts
    _accounts, industries = markdown.split("## Your industries")
    assert "  > Hi there, a trend in your industry: Port strike averted" in industries
    assert "thought on the deal" not in industries


def test_slack_digests_and_digests_without_notes_are_unchanged() -> None:
    request = DigestRequest("sam@x.example", "Sam", DigestKind.DIGEST, Sink.SLACK, NOW, None)
    composed = compose_digest(
        request, [_candidate(1, "Acme raises $5M", EventKind.FUNDING)], {}, DigestPolicy(5, 30)
    )
    assert "Note to send" not in json.dumps([p for _t, p in composed.parts])


def test_share_prefills_the_funding_note_with_the_hostile_title_as_plain_text(
    tmp_path: Path, server: FeedServer, stub: SlackStub
) -> None:
    app = App(tmp_path, server, stub)
    settings = yaml.safe_load(app.path.read_text())
    settings["share"] = {"templates": {"funding": "Hi {contact},\nWell done! {title}\n{url}"}}
    app.path.write_text(yaml.safe_dump(settings))
    # escaped once more: the feed's title is HTML, and its tags would be stripped
    title = HOSTILE.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    server.route(
        "/feed",
        Reply(200, rss([{"title": title, "link": "https://n.example/f", "guid": "f"}])),
    )
    app.start()
    try:
        assert app.clipper is not None
        app.clipper.update_feeds()
        seed_matches(app.storage, app.clock(), lambda _a: mention("Acme Robotics", event="funding"))
        app.clipper.digest()
        (message,) = app.stub.posts("DU1")
        body, _rid = app.action(message, "share")
        assert app.post(body)[0].status_code == 200
        assert wait_for(lambda: len(app.stub.views) == 1)
        view = app.stub.views[0]
        note = view["blocks"][-1]["element"]["initial_value"]
        (claimed,) = app.storage.recent_matches(limit=5)
        assert "<!channel>" in claimed.title and "{rep}" in claimed.title
        # the share window's note is plain text: shown exactly, never filled a second time
        assert note.split("\n") == [
            "Hi Jo Buyer,",
            "Well done! " + " ".join(claimed.title.replace("\u202e", "").split()),
            "https://n.example/f",
        ]
        assert ACCOUNTS[0]["contacts"][0]["name"] in view["blocks"][0]["text"]["text"]
        assert app.stub.rejected == []
    finally:
        app.stop()
