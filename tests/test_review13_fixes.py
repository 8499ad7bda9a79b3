"""What an independent review of issue 13 found, each checked as a user sees it: ``/clip``
through signed ``BoltRequest``s (the Slack stand-in's response_url, real SQLite), ``clipper``
commands in a child process, and a real ``clipper serve`` over a socket.

- ``/clip report`` counts accounts on target against each account's own target (a tier's or
  ``touch_target``), and says so: the numbers of ``clipper report touches``;
- account, contact and rep names never format a ``/clip`` answer: no live ``<!channel>``, no
  link, no bold from a name's own asterisks, in every verb that shows one;
- ``clipper serve --port N`` makes ``/clip report`` links to port N, and ``clipper report link``
  warns when ``web.base_url`` is unset;
- counts are singular for one ("1 row"), the per-account table names every column, the web
  page's 400 for an unknown rep names no file and lists no reps, an older quarter is shown in
  the quarter select, and ``/clip review`` words its quarter as every other output does.
"""

from __future__ import annotations

import csv
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit

import httpx
import pytest

from clipper.logic.coverage_report import report_json

from .conftest import Clock, write_config
from .slackstub import SlackStub
from .support.cli import clipper_serving, run_clipper
from .support.slack import (
    TEAM_REPS,
    TEAM_USERS,
    BoltApp,
    clip_body,
    signed_headers,
    slack_clipper,
    stub,
)

__all__ = ["stub"]

SECRET = "review13-secret"
#: an account name that would ping the channel, bold a word and link elsewhere if shown raw
HOSTILE = "<!channel> *Evil* <http://x|y> & Co"
#: how Slack must be sent it: escaped, its asterisks as look-alikes (``escape_name``)
HOSTILE_SHOWN = "&lt;!channel&gt; ∗Evil∗ &lt;http://x|y&gt; &amp; Co"
HOSTILE_CONTACT = "<!here> *Lee* Moreno"
CONTACT_SHOWN = "&lt;!here&gt; ∗Lee∗ Moreno"
REPS = TEAM_REPS
ACCOUNTS = [
    {
        "name": "Acme Robotics",
        "owner": "sam@example.com",
        "contacts": [{"name": "Jo Park"}, {"name": HOSTILE_CONTACT}],
    },
    # 12 touches a year: 3 a quarter, so one touch leaves it under target
    {"name": HOSTILE, "owner": "sam@example.com", "tier": "strategic"},
    {"name": "Northwind Logistics", "owner": "dana@example.com"},
]
SETTINGS = {"touches": {"tier_targets": {"strategic": 12}}}


@pytest.fixture
def slack_users() -> dict[str, str]:
    return TEAM_USERS


class Bolt(BoltApp):
    """A Clipper, its Bolt app and work queue, driven by ``dispatch`` alone."""

    def __init__(self, tmp_path: Path, stub: SlackStub) -> None:
        path = write_config(tmp_path, accounts=ACCOUNTS, reps=REPS, settings=SETTINGS)
        super().__init__(slack_clipper(path, stub, SECRET, Clock()), stub, SECRET)

    def ask(self, text: str, user: str = "U1") -> str:
        """``/clip text``: the acknowledgement's text when it answers (a usage error), else
        the one answer posted to the response_url."""
        response, rid = self.clip(text, user)
        assert response.status == 200, response.body
        if response.body:
            return str(response.body)
        return self.answer(rid, timeout=20)


@pytest.fixture
def bolt(tmp_path: Path, stub: SlackStub) -> Iterator[Bolt]:
    running = Bolt(tmp_path, stub)
    yield running
    running.close()


def _inert(answer: str) -> None:
    """Nothing of a hostile name formats the answer: no mention, no link, no bold (a name
    inside a code span, a command to copy, shows its asterisks as they are)."""
    for raw in ("<!channel>", "<!here>", "<http://x", "& Co"):
        assert raw not in answer, (raw, answer)
    prose = re.sub(r"`[^`]*`", "", answer)
    for raw in ("*Evil*", "*Lee*"):
        assert raw not in prose, (raw, answer)


def test_clip_report_counts_accounts_on_their_own_target_as_report_touches_does(
    bolt: Bolt,
) -> None:
    # Acme (1 a quarter) is on target with one touch; the strategic account (3 a quarter) is
    # not; Northwind has none
    assert bolt.ask("touch Acme Robotics called").startswith("Logged a touch on *Acme Robotics*")
    assert bolt.ask(f"touch {HOSTILE} hi").startswith(f"Logged a touch on *{HOSTILE_SHOWN}*")
    answer = bolt.ask("report", user="U3")
    assert "touched at least once" not in answer and "1/2 touched" not in answer
    assert answer.startswith(
        "*Touch coverage this quarter*: 1 of 3 accounts on target (each against its own "
        "quarterly target; 1 touch by default)\n"
        "*Per rep: accounts on target · "
    )
    assert "• dana@example.com: 0/1 on target · " in answer
    assert "• sam@example.com: 1/2 on target · " in answer
    assert f"*Due*\n• {HOSTILE_SHOWN}\n• Northwind Logistics\n" in answer
    # the numbers `clipper report touches --format json` prints
    printed = report_json(bolt.clipper.touch_coverage_report())
    assert (printed["team"]["on_target_quarter"], printed["team"]["accounts"]) == (1, 3)
    reps = {r["rep"]: (r["on_target_quarter"], r["accounts"]) for r in printed["reps"]}
    assert reps == {"dana@example.com": (0, 1), "sam@example.com": (1, 2)}
    on_target = {a["account"] for a in printed["accounts"] if a["on_target_quarter"]}
    assert on_target == {"Acme Robotics"}


def test_hostile_names_never_format_a_clip_answer(bolt: Bolt) -> None:
    # "which account?": the rep's accounts listed, each escaped
    answer = bolt.ask("touch Acme hi")
    assert f"Your accounts: {HOSTILE_SHOWN}, Acme Robotics" in answer
    _inert(answer)
    # a near miss of a contact: the contacts on file listed, each escaped
    answer = bolt.ask("touch Acme Robotics with Jo Prak typo")
    assert "Did you mean *Jo Park*?" in answer
    assert f"Contacts on file: Jo Park, {CONTACT_SHOWN}" in answer
    _inert(answer)
    answers = {
        f"touch {HOSTILE} hi": f"Logged a touch on *{HOSTILE_SHOWN}*: hi",
        f"touch Acme Robotics with {HOSTILE_CONTACT} call": (
            f"Logged a touch on *Acme Robotics* with {CONTACT_SHOWN}: call"
        ),
        "accounts": f"• *{HOSTILE_SHOWN}*: Touches this quarter: 1 of 3",
        "me": f"• *{HOSTILE_SHOWN}*: 1 of 3 · last touch 0 d ago",
        f"review {HOSTILE}": (
            f"*{HOSTILE_SHOWN}: quarterly review 2026Q4* (1 Oct 2026 – 31 Dec 2026)"
        ),
        "review Acme Robotics": f"• *Contacts reached:* {CONTACT_SHOWN} (not reached: Jo Park)",
        f"add cold chain to {HOSTILE}": f"Watching `cold chain` for *{HOSTILE_SHOWN}*.",
        "list": f"• `cold chain` on {HOSTILE_SHOWN}",
        f"news {HOSTILE}": f"No matches for *{HOSTILE_SHOWN}* yet.",
        f"useful {HOSTILE}": f"no share of yours with *{HOSTILE_SHOWN}* to mark useful yet",
        f"mute {HOSTILE}": f"Muted *{HOSTILE_SHOWN}* until ",
    }
    for text, shown in answers.items():
        answer = bolt.ask(text)
        assert shown in answer, (text, answer)
        _inert(answer)
    # the manager's report lists it under "Due" the same way
    answer = bolt.ask("report", user="U3")
    assert f"• {HOSTILE_SHOWN}" in answer
    _inert(answer)


def test_touch_counts_are_singular_for_one(tmp_path: Path) -> None:
    config = write_config(tmp_path, accounts=ACCOUNTS[:1], reps=REPS[:1])
    export = tmp_path / "tasks.csv"
    with export.open("w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["Id", "Subject", "ActivityDate", "Account.Name", "Owner.Email", "Type"])
        writer.writerow(["T1", "Call", "2026-11-02", "Acme Robotics", "sam@example.com", "Call"])
    done = run_clipper(config, "touches", "import", str(export))
    assert done.returncode == 0, done.stderr
    assert ": 1 row; added 1, 0 already in the ledger, 0 bad" in done.stdout
    again = run_clipper(config, "touches", "import", str(export))
    assert ": 1 row; added 0, 1 already in the ledger, 0 bad" in again.stdout
    written = run_clipper(
        config, "touches", "export", "--format", "hubspot", "--out", str(tmp_path / "x.csv")
    )
    assert written.returncode == 0 and "wrote 1 touch to " in written.stderr, written.stderr
    checked = run_clipper(config, "check")
    assert "0 industries, 0 feeds, 1 account, 1 rep (" in checked.stdout, checked.stdout


def test_every_column_of_the_per_account_table_has_a_header(tmp_path: Path) -> None:
    config = write_config(tmp_path, accounts=ACCOUNTS, reps=REPS, settings=SETTINGS)
    table = run_clipper(config, "report", "touches")
    assert table.returncode == 0, table.stderr
    (header,) = [line for line in table.stdout.splitlines() if "owner" in line]
    cells = [cell.strip() for cell in header.strip(" │┃|").split("┃" if "┃" in header else "│")]
    assert cells == [
        "account",
        "owner",
        "quarter",
        "12 months",
        "days since",
        "contacts",
        "going dark",
        "one contact",
    ]
    page = run_clipper(config, "report", "touches", "--format", "html")
    assert "<th></th>" not in page.stdout
    assert "<th>going dark</th><th>one contact</th>" in page.stdout


@dataclass
class Served:
    """A running ``clipper serve --port 0`` with Slack (the stand-in), and its address."""

    config: Path
    base: str
    stub: SlackStub

    def clip(self, text: str, user: str) -> str:
        """Post ``/clip text`` to the server as Slack would; return the answer posted to the
        response_url."""
        url = self.stub.response_url()
        body = clip_body(text, user=user, response_url=url, trigger_id=self.stub.trigger())
        with httpx.Client(trust_env=False, timeout=30) as client:
            response = client.post(
                f"{self.base}/slack/events", content=body, headers=signed_headers(body, SECRET)
            )
        assert response.status_code == 200, response.text
        rid = url.rsplit("/", 1)[-1]
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not self.stub.responses[rid]:
            time.sleep(0.05)
        (posted,) = self.stub.responses[rid]
        return str(posted["text"])


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    root = tmp_path_factory.mktemp("serve")
    config = write_config(root, accounts=ACCOUNTS, reps=REPS, settings=SETTINGS)
    users = TEAM_USERS
    env = {
        "NO_PROXY": "127.0.0.1,localhost",
        "SLACK_BOT_TOKEN": "xoxb-test",
        "SLACK_SIGNING_SECRET": SECRET,
    }
    log = root / "serve.log"
    with SlackStub(users) as slack:
        env["SLACK_API_BASE_URL"] = slack.base_url
        listening = r"listening on (http://127\.0\.0\.1:\d+)/slack"
        with clipper_serving(config, log, listening, "the Slack app", env=env) as base:
            yield Served(config, base, slack)


def _link(answer: str) -> str:
    (target,) = re.findall(r"<(http[^|>]+)\|", answer)
    return target.replace("&amp;", "&")


def test_serve_on_another_port_links_to_that_port(served: Served) -> None:
    assert not served.base.endswith(":3000")
    answer = served.clip("report", user="U1")
    link = _link(answer)
    assert link.startswith(f"{served.base}/report?"), (link, served.base)
    page = httpx.get(link, timeout=30, trust_env=False)
    assert page.status_code == 200 and "Customer touches" in page.text
    assert "Acme Robotics" in page.text and "Northwind" not in page.text  # Sam's own accounts


def test_report_link_warns_when_it_guesses_the_address(tmp_path: Path) -> None:
    config = write_config(tmp_path, accounts=ACCOUNTS, reps=REPS)
    guessed = run_clipper(config, "report", "link")
    assert guessed.returncode == 0, guessed.stderr
    assert guessed.stdout.startswith("http://127.0.0.1:3000/report?")
    assert (
        "warning: web.base_url is not set: this link assumes the page is served at "
        "http://127.0.0.1:3000 (web.listen, else slack.port); set web.base_url to the address "
        "managers reach"
    ) in guessed.stderr
    config = write_config(
        tmp_path, accounts=ACCOUNTS, reps=REPS, settings={"web": {"base_url": "https://c.example"}}
    )
    given = run_clipper(config, "report", "link")
    assert given.stdout.startswith("https://c.example/report?") and "warning" not in given.stderr


def test_the_page_refuses_an_unknown_rep_briefly_and_shows_an_older_quarter(
    served: Served,
) -> None:
    link = _link(served.clip("report", user="U3"))
    unknown = httpx.get(link + "&" + urlencode({"rep": "nobody@x"}), timeout=30, trust_env=False)
    assert unknown.status_code == 400
    assert "unknown rep &#x27;nobody@x&#x27;; choose one from the list" in unknown.text
    assert "reps.yaml" not in unknown.text and str(served.config.parent) not in unknown.text
    assert "sam@example.com" not in unknown.text and "dana@example.com" not in unknown.text
    # any quarter that has begun may be asked for: the select shows it, chosen
    older = httpx.get(link + "&quarter=2020Q1", timeout=30, trust_env=False)
    assert older.status_code == 200 and "Customer touches 2020Q1" in older.text
    assert '<option value="2020Q1" selected>2020Q1</option>' in older.text
    assert dict(parse_qsl(urlsplit(link).query))["scope"] == "team"
