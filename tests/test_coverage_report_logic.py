"""The coverage report without a database: rep lines summed from their accounts, days-since
buckets for any going-dark threshold, CSV that a spreadsheet cannot run, HTML that shows a
hostile name as written, and the matplotlib chart (a real PNG) for an empty team, a big team
and names matplotlib would read as maths."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from PIL import Image

from clipper.adapters.chart_mpl import NUMBERS_KEY, MatplotlibCharts
from clipper.logic.coverage_report import (
    COLUMNS,
    CoverageReport,
    chart_data,
    coverage_report,
    days_buckets,
    report_csv,
    report_html,
    report_json,
)
from clipper.logic.touches import AccountCoverage, CoverageAccount, TouchPolicy, coverage
from clipper.types import Touch, TouchChannel

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
POLICY = TouchPolicy(tier_targets=(("strategic", 8),))


def _touch(n: int, rep: str, account: str, days_ago: float, contact: str | None = None) -> Touch:
    return Touch(
        id=n,
        rep=rep,
        account=account,
        touched_at=NOW - timedelta(days=days_ago),
        channel=TouchChannel.SLACK_COMMAND,
        contact=contact,
    )


def _account(days: int | None) -> AccountCoverage:
    q = POLICY.quarter_of(NOW)
    return AccountCoverage("A", "r@x", q, 0, 1, 0, 4, None, days, days is None or days >= 90)


def _report(
    names: list[tuple[str, str | None]], touches: list[Touch], rep: str | None = None
) -> CoverageReport:
    accounts = [CoverageAccount(n, o, "strategic" if n == "Helix" else None) for n, o in names]
    found = coverage(accounts, touches, POLICY, NOW)
    return coverage_report(found, POLICY, {"dana@x.com": "Dana", "sam@x.com": None}, rep=rep)


def test_a_rep_line_is_the_sum_of_their_accounts_and_touches_by_anyone_count() -> None:
    report = _report(
        [("Acme", "dana@x.com"), ("Helix", "sam@x.com"), ("Initech", "dana@x.com"), ("Lone", None)],
        [
            _touch(1, "dana@x.com", "Acme", 3, "Jo"),
            _touch(2, "sam@x.com", "Acme", 200),  # Sam on Dana's account, last year
            _touch(3, "dana@x.com", "Helix", 10),  # Dana on Sam's account
            _touch(4, "sam@x.com", "Lone", 120),
        ],
    )
    dana, sam = report.reps
    assert (dana.rep, dana.label, sam.label) == ("dana@x.com", "Dana", "sam@x.com")
    assert (dana.accounts, dana.on_target_quarter, dana.going_dark) == (2, 1, 1)
    assert (dana.touches_quarter, dana.quarter_target) == (1, 2)
    assert (dana.touches_12_months, dana.year_target) == (2, 8)
    assert (sam.touches_quarter, sam.quarter_target, sam.year_target) == (1, 2, 8)
    assert report.team.accounts == 4 and report.team.touches_quarter == 2
    # by owner, longest without a touch first, unowned last
    assert [a.account for a in report.accounts] == ["Initech", "Acme", "Helix", "Lone"]
    assert [(b.label, b.accounts) for b in report.days] == [
        ("0-29 days", 2),
        ("30-59 days", 0),
        ("60-89 days", 0),
        ("90+ days", 1),
        ("never touched", 1),
    ]
    only = _report([("Acme", "dana@x.com"), ("Helix", "sam@x.com")], [], rep="sam@x.com")
    assert [a.account for a in only.accounts] == ["Helix"] and only.title.endswith("· sam@x.com")
    assert chart_data(only).reps == ("sam@x.com",)


def test_days_buckets_follow_the_going_dark_threshold() -> None:
    accounts = [_account(d) for d in (0, 9, 10, 29, 30, None)]
    assert [(b.label, b.accounts, b.going_dark) for b in days_buckets(accounts, 30)] == [
        ("0-9 days", 2, False),
        ("10-19 days", 1, False),
        ("20-29 days", 1, False),
        ("30+ days", 1, True),
        ("never touched", 1, True),
    ]
    tiny = days_buckets(accounts, 1)
    assert [b.label for b in tiny] == ["0-0 days", "1+ days", "never touched"]
    assert sum(b.accounts for b in tiny) == len(accounts)


def test_csv_keeps_formulas_as_text_and_html_escapes_every_name() -> None:
    hostile = '=cmd|"/c calc"!A1 <img src=x onerror=alert(1)>'
    report = _report([(hostile, "dana@x.com"), ("-5 Corp", None)], [])
    rows = list(csv.reader(io.StringIO(report_csv(report))))
    assert tuple(rows[0]) == COLUMNS
    names = [r[COLUMNS.index("account")] for r in rows[1:] if r[0] == "account"]
    assert names == ["'" + hostile, "'-5 Corp"]
    assert report_json(report)["accounts"][0]["account"] == hostile  # JSON is data, as written
    page = report_html(report, b"\x89PNG fake")
    assert "<img src=x" not in page and "&lt;img src=x onerror=alert(1)&gt;" in page
    assert 'src="data:image/png;base64,' in page


def test_the_chart_draws_an_empty_team_a_big_team_and_dollar_signs() -> None:
    charts = MatplotlibCharts()
    empty = _report([], [])
    drawn = charts.coverage_chart(chart_data(empty))
    assert drawn.png.startswith(b"\x89PNG\r\n\x1a\n")
    assert drawn.plotted.reps == () and drawn.plotted.bucket_accounts == (0,) * 5

    names = [(f"Account {i}", f"rep{i}@x.com") for i in range(14)] + [("$x^2$", "dana@x.com")]
    touches = [_touch(i, f"rep{i}@x.com", f"Account {i}", 5) for i in range(0, 14, 2)]
    big = _report(names, touches)
    data = chart_data(big)
    drawn = charts.coverage_chart(data)
    Path("/tmp/rpt/big.png").write_bytes(drawn.png)
    assert drawn.plotted.reps == data.reps and "Dana" in data.reps
    assert drawn.plotted.touches == data.touches and drawn.plotted.targets == data.targets
    assert drawn.plotted.buckets == data.buckets
    assert drawn.plotted.bucket_accounts == data.bucket_accounts
    with Image.open(io.BytesIO(drawn.png)) as image:
        assert image.size == (1600, 800)
        assert json.loads(image.text[NUMBERS_KEY]) == data.numbers()  # type: ignore[attr-defined]
