"""Issue 13 item 6, the pure parts of the manager's web page: signed links (valid, forged,
expired, another rep's), the filters a link may use, touches per month, and a page that shows
hostile names as text."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qsl

from clipper.logic.coverage_report import coverage_report, limited_to_accounts
from clipper.logic.touches import AccountCoverage, Coverage, Quarter, TouchPolicy
from clipper.logic.web_report import (
    CONTENT_SECURITY_POLICY,
    BadFilter,
    Choice,
    MonthCount,
    Refusal,
    ReportFilters,
    ReportPage,
    message_page,
    page_filters,
    report_page,
    touches_by_month,
)
from clipper.logic.weblink import (
    LinkScope,
    LinkVerdict,
    check_link,
    expiry,
    link_query,
    sign_link,
)
from clipper.types import Touch, TouchChannel, TouchVoid

SECRET = b"k" * 32
NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def _params(scope: LinkScope, expires: int, secret: bytes = SECRET) -> dict[str, str]:
    return dict(parse_qsl(link_query(secret, scope, expires)))


def test_a_signed_link_is_valid_until_it_expires_and_then_says_so() -> None:
    expires = expiry(NOW, timedelta(hours=24))
    params = _params(LinkScope.team(), expires)
    assert check_link(SECRET, params, NOW).verdict is LinkVerdict.VALID
    assert check_link(SECRET, params, NOW + timedelta(hours=23, minutes=59)).scope == (
        LinkScope.team()
    )
    late = check_link(SECRET, params, NOW + timedelta(hours=24))
    assert late.verdict is LinkVerdict.EXPIRED
    assert late.message == "This link has expired; ask for a new one with /clip report."


def test_a_changed_scope_expiry_or_secret_is_forged() -> None:
    expires = expiry(NOW, timedelta(hours=24))
    params = _params(LinkScope("dana@example.com"), expires)
    assert check_link(SECRET, params, NOW).scope == LinkScope("dana@example.com")
    # the rep's link widened to the team, or to another rep, or kept longer
    for changed in (
        {**params, "scope": "team"},
        {**params, "scope": "sam@example.com"},
        {**params, "expires": str(expires + 3600)},
        {**params, "sig": "0" * 64},
        {**params, "sig": params["sig"].upper()},
        {k: v for k, v in params.items() if k != "sig"},
    ):
        assert check_link(SECRET, changed, NOW).verdict is LinkVerdict.FORGED, changed
    assert check_link(b"another secret", params, NOW).verdict is LinkVerdict.FORGED
    # an expired link whose signature is wrong is forged, not expired
    stale = {**params, "sig": "f" * 64}
    assert check_link(SECRET, stale, NOW + timedelta(days=2)).verdict is LinkVerdict.FORGED
    assert check_link(SECRET, {}, NOW).verdict is LinkVerdict.MISSING


def test_the_signature_covers_scope_and_expiry_separately() -> None:
    # "a\n1" and "a" + "\n1" cannot be confused: the scope is an email or "team"
    one = sign_link(SECRET, LinkScope("a@b.c"), 12)
    assert one != sign_link(SECRET, LinkScope("a@b.c"), 121)
    assert len(one) == 64 and one == sign_link(SECRET, LinkScope("a@b.c"), 12)
    weird = {"scope": "x\n1", "expires": "1", "sig": one}
    assert check_link(SECRET, weird, NOW).verdict is LinkVerdict.FORGED


def test_a_rep_link_is_held_to_its_rep() -> None:
    dana = LinkScope("dana@example.com")
    assert page_filters(dana, {}) == ReportFilters(None, "dana@example.com", None)
    assert page_filters(dana, {"rep": "DANA@example.com"}) == ReportFilters(
        None, "dana@example.com", None
    )
    assert isinstance(page_filters(dana, {"rep": "sam@example.com"}), Refusal)
    team = page_filters(LinkScope.team(), {"rep": "Sam@Example.com", "quarter": "2026Q3"})
    assert team == ReportFilters("2026Q3", "sam@example.com", None)
    assert isinstance(page_filters(LinkScope.team(), {"account": "x" * 301}), BadFilter)


def _touch(n: int, when: datetime, *, void: bool = False) -> Touch:
    return Touch(
        id=n,
        rep="dana@example.com",
        account="Acme",
        touched_at=when,
        channel=TouchChannel.SLACK_COMMAND,
        void=TouchVoid(at=when, by="x", reason=None) if void else None,
    )


def test_touches_by_month_counts_in_the_policy_zone_and_skips_voided_ones() -> None:
    as_of = datetime(2026, 11, 23, tzinfo=UTC)
    touches = [
        _touch(1, datetime(2026, 11, 1, 2, tzinfo=UTC)),  # still 31 October in New York
        _touch(2, datetime(2026, 11, 10, tzinfo=UTC)),
        _touch(3, datetime(2026, 11, 11, tzinfo=UTC), void=True),
        _touch(4, datetime(2025, 12, 5, tzinfo=UTC)),
        _touch(5, datetime(2025, 11, 30, tzinfo=UTC)),  # before the 12 months shown
        _touch(6, datetime(2026, 11, 24, tzinfo=UTC)),  # after as_of
    ]
    months = touches_by_month(touches, as_of, "America/New_York")
    assert len(months) == 12
    assert months[0] == MonthCount("2025-12", 1)
    assert months[-2:] == (MonthCount("2026-10", 1), MonthCount("2026-11", 1))
    assert sum(m.touches for m in months) == 3


def _coverage(name: str) -> Coverage:
    q = Quarter(2026, 4)
    accounts = (
        AccountCoverage(
            account=name,
            owner="dana@example.com",
            quarter=q,
            this_quarter=0,
            quarter_target=1,
            last_12_months=0,
            year_target=4,
            last_touch_at=None,
            days_since=None,
            going_dark=True,
            contacts_touched=0,
            contacts_known=0,
        ),
        AccountCoverage(
            account="Helix",
            owner="sam@example.com",
            quarter=q,
            this_quarter=2,
            quarter_target=1,
            last_12_months=2,
            year_target=4,
            last_touch_at=NOW - timedelta(days=3),
            days_since=3,
            going_dark=False,
            contacts_touched=1,
            contacts_known=2,
        ),
    )
    return Coverage(quarter=q, as_of=NOW, accounts=accounts, reps=())


HOSTILE = '"><img src=x onerror=alert(1)><script>alert(2)</script>'


def test_the_page_escapes_every_name_and_limits_to_an_account() -> None:
    report = coverage_report(_coverage(HOSTILE), TouchPolicy(), {"dana@example.com": "<b>Dana</b>"})
    only = limited_to_accounts(report, {HOSTILE})
    assert [a.account for a in only.accounts] == [HOSTILE]
    assert [r.rep for r in only.reps] == ["dana@example.com"]
    assert only.team.accounts == 1 and only.team.going_dark == 1
    page = ReportPage(
        report=report,
        filters=ReportFilters(account=HOSTILE),
        link={"scope": "team", "expires": "1", "sig": '"><script>'},
        timeline=(MonthCount("2026-11", 2),),
        quarters=(Choice("2026Q4", "2026Q4"),),
        reps=(Choice("dana@example.com", "<b>Dana</b>"),),
        accounts=(Choice(HOSTILE, HOSTILE),),
        rep_scoped=False,
        expires="2026-11-24 09:00 UTC",
    )
    html = report_page(page)
    assert "<script" not in html and "<img src=x" not in html and "<b>Dana" not in html
    assert "&lt;script&gt;alert(2)&lt;/script&gt;" in html
    assert "&quot;&gt;&lt;img src=x onerror=alert(1)&gt;" in html
    assert 'name="sig" value="&quot;&gt;&lt;script&gt;"' in html
    assert "Accounts going dark" in html and "never touched" in html
    assert 'method="get" action="/report"' in html
    assert "<script" not in message_page("<script>", "<script>")


def test_the_policy_allows_no_script_and_only_this_page_s_style() -> None:
    assert "default-src 'none'" in CONTENT_SECURITY_POLICY
    assert "script-src" not in CONTENT_SECURITY_POLICY  # falls back to 'none'
    assert "'unsafe-inline'" not in CONTENT_SECURITY_POLICY
    assert "style-src 'sha256-" in CONTENT_SECURITY_POLICY
