"""The ``/clip`` listeners the bolt way: signed ``BoltRequest``s through ``App.dispatch``, no
web server (bolt-python's ``tests/scenario_tests`` style). Answers after the acknowledgement go
to the Slack stand-in's response_url; real SQLite. The same rules through the facade, without
Slack, are checked at the end."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import pytest

from clipper.logic.clip import HELP, VERBS
from clipper.logic.weblink import LinkVerdict
from clipper.slackclip import CLIP_VERBS
from clipper.types import OwnerCoverage, TouchReport

from .conftest import Clock, write_config
from .slackstub import SlackStub
from .support.slack import (
    TEAM_REPS,
    TEAM_USERS,
    BoltApp,
    button_click,
    clip_body,
    slack_clipper,
    stub,
)

__all__ = ["stub"]

SECRET = "dispatch-secret"
REPS = TEAM_REPS
ACCOUNTS = [
    {
        "name": "Acme Robotics",
        "owner": "sam@example.com",
        "contacts": [
            {"name": "Jo Park", "email": "jo@acme.example", "title": "VP Operations"},
            {"name": "Lee Moreno", "title": "CFO"},
            {"name": "Lee Chan"},
        ],
    },
    {"name": "Northwind Logistics", "owner": "dana@example.com"},
    {"name": "Initech", "owner": "dana@example.com"},
]


@pytest.fixture
def slack_users() -> dict[str, str]:
    return TEAM_USERS


class Bolt(BoltApp):
    """A Clipper, its Bolt app and work queue, driven by ``dispatch`` alone."""

    def __init__(self, tmp_path: Path, stub: SlackStub) -> None:
        path = write_config(tmp_path, accounts=ACCOUNTS, reps=REPS)
        super().__init__(slack_clipper(path, stub, SECRET, Clock()), stub, SECRET)


@pytest.fixture
def bolt(tmp_path: Path, stub: SlackStub) -> Iterator[Bolt]:
    running = Bolt(tmp_path, stub)
    yield running
    running.close()


def test_every_clip_verb_has_a_handler() -> None:
    assert set(CLIP_VERBS) == set(VERBS)


def test_help_and_usage_errors_are_answered_in_the_ack(bolt: Bolt) -> None:
    response, rid = bolt.clip("frobnicate")
    assert response.status == 200
    assert "I don't know `frobnicate`" in response.body and HELP in response.body
    response, rid = bolt.clip("news")
    assert response.status == 200 and "which account?" in response.body
    time.sleep(0.2)
    assert bolt.stub.responses[rid] == []


def test_a_badly_signed_request_is_401_and_changes_nothing(bolt: Bolt) -> None:
    url = bolt.stub.response_url()
    body = clip_body("add cold chain", user="U1", response_url=url, trigger_id="t-1")
    assert bolt.dispatch(body, secret="not-the-secret").status == 401
    assert bolt.clipper.watch_terms_of(bolt.clipper.config.reps[0]) == ()


def test_add_acks_empty_then_answers_and_stores_the_term(bolt: Bolt) -> None:
    response, rid = bolt.clip("add cold chain to acme")
    assert response.status == 200 and response.body == ""
    assert bolt.answer(rid) == (
        "Watching `cold chain` for *Acme Robotics*. New articles are matched from now."
    )
    sam = bolt.clipper.find_rep(email="sam@example.com")
    assert sam is not None
    assert [(t.account, t.term) for t in bolt.clipper.watch_terms_of(sam)] == [
        ("Acme Robotics", "cold chain")
    ]
    response, rid = bolt.clip("list")
    assert "• `cold chain` on Acme Robotics" in bolt.answer(rid)


def test_mute_resolves_the_account_and_unmute_undoes_it(bolt: Bolt) -> None:
    _response, rid = bolt.clip("mute acme 7")
    assert bolt.answer(rid) == "Muted *Acme Robotics* until 30 Nov 2026. `/clip unmute` undoes it."
    _response, rid = bolt.clip("mute nowhere")
    assert bolt.answer(rid).startswith(":warning: *nowhere* is neither one of your accounts")
    _response, rid = bolt.clip("unmute")
    assert bolt.answer(rid) == "Unmuted 1 item."


def test_report_is_for_managers_and_counts_per_owner(bolt: Bolt) -> None:
    _response, rid = bolt.clip("report", user="U1")
    rep_answer, rep_link = bolt.answer(rid).split("\n")
    assert rep_answer == "The team report is for managers; `/clip accounts` shows yours."
    # a rep gets a signed link to their own accounts only (issue 13 item 6)
    assert rep_link.startswith("<http://127.0.0.1:") and "|Your accounts on the web>" in rep_link
    assert "/report?scope=" in rep_link and "&amp;sig=" in rep_link
    url = rep_link[1:].split("|", 1)[0].replace("&amp;", "&")
    check = bolt.clipper.check_report_link(dict(parse_qsl(urlsplit(url).query)))
    assert check.verdict is LinkVerdict.VALID and check.scope is not None
    assert check.scope.rep == bolt.clipper.config.reps[0].email
    _response, rid = bolt.clip("touch initech called the CFO", user="U2")
    assert bolt.answer(rid) == "Logged a touch on *Initech*: called the CFO"
    _response, rid = bolt.clip("report", user="U3")
    # one line per number, as the manager's weekly team digest shows them (logic.team), then
    # the signed link to the team's web page, and a word on the chart uploaded beside it
    lines = bolt.answer(rid).split("\n")
    (link,) = [line for line in lines if "/report?scope=" in line]
    answer = "\n".join(line for line in lines if line != link)
    assert "/report?scope=team&amp;expires=" in link and "|The team's report on the web>" in link
    assert "the link expires" in link
    assert answer == (
        "*Touch coverage this quarter*: 1 of 3 accounts on target (each against its own "
        "quarterly target; 1 touch by default)\n"
        "*Per rep: accounts on target · stories matched and shares this week (7 days) · this "
        "quarter*\n"
        "• dana@example.com: 1/2 on target · week: 0 stories, 0 shares · quarter: 0 stories, "
        "0 shares\n"
        "• sam@example.com: 0/1 on target · week: 0 stories, 0 shares · quarter: 0 stories, "
        "0 shares\n"
        "*Due*\n"
        "• Acme Robotics\n"
        "• Northwind Logistics\n"
        "*Feeds that broke*\n"
        "• none\n"
        "_The chart (touch-coverage-2026Q4.png) is attached below._"  # in the DM it came from
    )
    assert len(bolt.stub.shared_files("DU3")) == 1


def click(bolt: Bolt, action_id: str, value: dict[str, object], user: str = "U1") -> str:
    """Dispatch a digest button click; return its response_url id."""
    clicked = {
        "action_id": action_id,
        "block_id": "b1",
        "value": json.dumps(value),
        "type": "button",
        "action_ts": "1700000000.000001",
    }
    body, rid = button_click(bolt.stub, clicked, user=user)
    response = bolt.dispatch(body)
    assert response.status == 200
    return rid


def test_a_mute_button_mutes_the_rep_s_account_once(bolt: Bolt) -> None:
    rid = click(bolt, "mute_account", {"account": "Acme Robotics", "article": 1})
    assert bolt.answer(rid).startswith("Muted *Acme Robotics* until ")
    again = click(bolt, "mute_account", {"account": "Acme Robotics", "article": 1})
    time.sleep(0.3)
    assert bolt.stub.responses[again] == []  # the same click again: a replay, no answer
    assert bolt.clipper.unmute(bolt.clipper.config.reps[0]) == 1


def test_a_button_on_another_rep_s_account_is_refused(bolt: Bolt) -> None:
    rid = click(bolt, "not_relevant", {"account": "Initech", "article": 1})
    assert bolt.answer(rid).startswith(":warning: no account of yours is called *Initech*")


def test_the_facade_returns_numbers_without_slack(bolt: Bolt) -> None:
    """What the report and the commands rest on is usable by the CLI or a web page as is."""
    clipper = bolt.clipper
    dana = clipper.find_rep(email="dana@example.com")
    assert dana is not None
    logged = clipper.log_touch(dana, "Northwind Logistics a call", key="k1")
    assert (logged.account, logged.note) == ("Northwind Logistics", "a call")
    clipper.log_touch(dana, "Northwind Logistics a call", key="k1")  # a retry: logged once
    assert clipper.touch_report() == TouchReport(
        target=1,
        accounts=3,
        touched=1,
        by_owner=(
            OwnerCoverage("dana@example.com", 1, 2),
            OwnerCoverage("sam@example.com", 0, 1),
        ),
        due=("Acme Robotics", "Initech"),
        now=Clock().now,
        quarter_start=datetime(2026, 10, 1, tzinfo=UTC),
    )
    added = clipper.add_watch_term(dana, "cold chain")
    assert added.accounts == added.added == ("Northwind Logistics", "Initech")
    assert clipper.remove_watch_term(dana, "warm chain").remaining == ("cold chain",)
    muted = clipper.mute(dana, "initech", 3)
    assert (muted.kind, muted.target) == ("account", "Initech")
    owned = clipper.rep_accounts(dana).accounts
    assert [(a.account, a.status and a.status.this_quarter) for a in owned] == [
        ("Northwind Logistics", 1),
        ("Initech", 0),
    ]


def test_review_sums_up_the_rep_s_own_account_and_refuses_another_s(bolt: Bolt) -> None:
    _response, rid = bolt.clip("touch acme robotics called Jo about the QBR", user="U1")
    assert bolt.answer(rid) == "Logged a touch on *Acme Robotics*: called Jo about the QBR"
    _response, rid = bolt.clip("review acme", user="U1")
    answer = bolt.answer(rid)
    assert answer.startswith(
        "*Acme Robotics: quarterly review 2026Q4* (1 Oct 2026 – 31 Dec 2026)\n"
        "• *Touches:* 1 of 1 this quarter, last on 2026-11-23\n"
        "• *Contacts reached:* none named (not reached: Jo Park, Lee Moreno, Lee Chan)\n"
        "• *News:* 0 articles, 0 business events; *shared:* 0 articles\n"
    )
    assert answer.endswith(
        "The full pack (touches, news, shares, industry trends): "
        "`clipper review 'Acme Robotics' --quarter 2026Q4 --format html --out review.html`"
    )
    # another rep's account: refused, naming who may review it
    _response, rid = bolt.clip("review initech", user="U1")
    assert bolt.answer(rid) == (
        ":warning: Initech is not one of your accounts; its owner (dana@example.com) or a "
        "manager can review it"
    )
    # a manager may review any account, and name the quarter
    _response, rid = bolt.clip("review initech 2026Q3", user="U3")
    assert bolt.answer(rid).startswith(
        "*Initech: quarterly review 2026Q3* (1 Jul 2026 – 30 Sep 2026)"
    )
    # what was typed is quoted as text, never as a Slack mention
    _response, rid = bolt.clip("review <!channel>", user="U1")
    refused = bolt.answer(rid)
    assert refused.startswith(":warning: unknown account '&lt;!channel&gt;'. ")
    assert "<!channel>" not in refused
    response, _rid = bolt.clip("review", user="U1")
    assert "which account? `/clip review ACCOUNT [2026Q4]`" in response.body


def test_touch_with_a_contact_logs_who_was_reached_and_suggests_on_a_typo(bolt: Bolt) -> None:
    _response, rid = bolt.clip("touch Acme Robotics with jo park called about the renewal")
    assert bolt.answer(rid) == (
        "Logged a touch on *Acme Robotics* with Jo Park: called about the renewal"
    )
    _response, rid = bolt.clip("touch Acme Robotics with Lee Moreno: <b>QBR</b> prep")
    assert bolt.answer(rid) == (
        "Logged a touch on *Acme Robotics* with Lee Moreno: &lt;b&gt;QBR&lt;/b&gt; prep"
    )
    # a near miss is answered with the contacts on file, and nothing is logged
    response, rid = bolt.clip("touch Acme Robotics with Jo Prak lunch")
    answer = response.body or bolt.answer(rid)
    assert "Acme Robotics has no contact named 'Jo Prak'. Did you mean *Jo Park*?" in answer
    assert "Contacts on file: Jo Park, Lee Moreno, Lee Chan" in answer
    # a first name two contacts share is asked about
    response, rid = bolt.clip("touch Acme Robotics with Lee lunch")
    answer = response.body or bolt.answer(rid)
    assert "which Lee? Acme Robotics has *Lee Moreno* and *Lee Chan*" in answer
    # "with" followed by no contact's name is note text
    _response, rid = bolt.clip("touch Acme Robotics with the whole buying committee")
    assert bolt.answer(rid) == (
        "Logged a touch on *Acme Robotics*: with the whole buying committee"
    )
    touches = bolt.clipper.list_touches(account="Acme Robotics")
    assert [(t.contact, t.note) for t in touches] == [
        ("Jo Park", "called about the renewal"),
        ("Lee Moreno", "<b>QBR</b> prep"),
        (None, "with the whole buying committee"),
    ]


def test_accounts_warn_when_every_recent_touch_went_to_one_of_several_contacts(
    bolt: Bolt,
) -> None:
    _response, rid = bolt.clip("touch Acme Robotics with Jo Park intro call")
    assert bolt.answer(rid).startswith("Logged a touch on *Acme Robotics* with Jo Park")
    _response, rid = bolt.clip("accounts")
    assert "only one contact" not in bolt.answer(rid)  # one touch says little yet
    _response, rid = bolt.clip("touch Acme Robotics with Jo Park follow-up")
    bolt.answer(rid)
    _response, rid = bolt.clip("accounts")
    (acme,) = [line for line in bolt.answer(rid).splitlines() if "Acme Robotics" in line]
    assert acme.endswith(":warning: only one contact touched in 12 months")
    _response, rid = bolt.clip("touch Acme Robotics with Lee Chan lunch")
    bolt.answer(rid)
    _response, rid = bolt.clip("accounts")
    assert "only one contact" not in bolt.answer(rid)  # wider now


def test_who_a_slack_user_is_is_asked_of_slack_once_and_strangers_are_not_kept(
    tmp_path: Path, stub: SlackStub
) -> None:
    """One Slack user cache serves the Slack app and the digests (``outbox.SlackDirectory``):
    a rep's email is asked of Slack once and kept across a restart; a Slack user who is no rep
    is told so and their email is not stored; a user Slack does not know is told Clipper
    cannot read their profile, and Slack is not asked about them again within the hold."""
    stub.users["eve@example.com"] = "U7"
    first = Bolt(tmp_path, stub)
    try:
        for _ in range(2):
            _response, rid = first.clip("accounts", user="U1")
            assert "Acme Robotics" in first.answer(rid)
        assert stub.count("users.info") == 1
        _response, rid = first.clip("accounts", user="U7")
        assert first.answer(rid).startswith(":warning: you are not a rep in Clipper yet")
        assert first.clipper.stored_slack_email("U7") is None
        asked = stub.count("users.info")
        for _ in range(2):
            _response, rid = first.clip("accounts", user="U9")
            assert "Clipper cannot read your Slack profile" in first.answer(rid)
        assert stub.count("users.info") == asked + 1
    finally:
        first.close()
    again = Bolt(tmp_path, stub)
    try:
        _response, rid = again.clip("accounts", user="U1")
        assert "Acme Robotics" in again.answer(rid)
        assert stub.count("users.info") == asked + 1  # Sam's email was kept
    finally:
        again.close()
