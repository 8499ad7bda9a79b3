"""The touch ledger's pure rules: quarters (calendar and fiscal, in a time zone), targets, and
reading Salesforce and HubSpot activity exports."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from clipper.exceptions import CommandUsageError
from clipper.logic.touches import (
    Quarter,
    TouchPolicy,
    account_keys,
    parse_quarter,
    quarter_end,
    quarter_of,
    quarter_of_day,
    quarter_start,
    read_touch_csv,
)
from clipper.types import TouchChannel

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


# ------------------------------------------------------------------------------------ quarters


def test_calendar_quarters_and_labels() -> None:
    assert quarter_of_day(date(2026, 1, 1)) == Quarter(2026, 1)
    assert quarter_of_day(date(2026, 3, 31)) == Quarter(2026, 1)
    assert quarter_of_day(date(2026, 4, 1)) == Quarter(2026, 2)
    assert quarter_of_day(date(2026, 12, 31)).label == "2026Q4"
    assert Quarter(2026, 4).shifted(1) == Quarter(2027, 1)
    assert Quarter(2026, 1).shifted(-1) == Quarter(2025, 4)
    assert Quarter(2026, 1).shifted(-4) == Quarter(2025, 1)


def test_fiscal_years_are_labelled_by_the_year_they_end_in() -> None:
    # fiscal year from February 2026 to January 2027 is FY2027
    assert quarter_of_day(date(2026, 1, 31), 2) == Quarter(2026, 4)
    assert quarter_of_day(date(2026, 2, 1), 2) == Quarter(2027, 1)
    assert quarter_of_day(date(2026, 11, 1), 2) == Quarter(2027, 4)
    assert quarter_of_day(date(2027, 1, 31), 2) == Quarter(2027, 4)
    # July-June fiscal year (FY2027 = July 2026 - June 2027)
    assert quarter_of_day(date(2026, 6, 30), 7) == Quarter(2026, 4)
    assert quarter_of_day(date(2026, 7, 1), 7) == Quarter(2027, 1)
    assert quarter_of_day(date(2026, 12, 31), 7) == Quarter(2027, 2)
    # October fiscal year: October 2026 starts FY2027
    assert quarter_of_day(date(2026, 10, 1), 10) == Quarter(2027, 1)
    assert quarter_of_day(date(2026, 9, 30), 10) == Quarter(2026, 4)


def test_quarter_bounds_round_trip_for_every_start_month() -> None:
    for start_month in range(1, 13):
        for year in (2025, 2026, 2027):
            for number in (1, 2, 3, 4):
                quarter = Quarter(year, number)
                begin = quarter_start(quarter, "UTC", start_month)
                end = quarter_end(quarter, "UTC", start_month)
                assert quarter_of(begin, "UTC", start_month) == quarter
                assert quarter_of(end, "UTC", start_month) == quarter.shifted(1)
                assert 89 <= (end - begin).days <= 92


def test_a_quarter_turns_at_midnight_in_the_ledger_zone() -> None:
    instant = datetime(2026, 9, 30, 23, 30, tzinfo=UTC)  # 1 October 01:30 in Berlin
    assert quarter_of(instant, "Europe/Berlin") == Quarter(2026, 4)
    assert quarter_of(instant, "America/New_York") == Quarter(2026, 3)
    assert quarter_of(instant, "UTC") == Quarter(2026, 3)
    berlin = quarter_start(Quarter(2026, 4), "Europe/Berlin")
    assert berlin == datetime(2026, 9, 30, 22, 0, tzinfo=UTC)  # CEST, UTC+2
    new_york = quarter_start(Quarter(2027, 1), "America/New_York")
    assert new_york == datetime(2027, 1, 1, 5, 0, tzinfo=UTC)  # EST, UTC-5
    with pytest.raises(ValueError):
        quarter_of(datetime(2026, 1, 1), "UTC")


def test_parse_quarter_labels_and_refuses_others() -> None:
    assert parse_quarter("2026Q4") == Quarter(2026, 4)
    assert parse_quarter(" fy2027-q1 ") == Quarter(2027, 1)
    for bad in ("2026Q5", "Q4 2026", "26Q1", ""):
        with pytest.raises(CommandUsageError, match="2026Q4"):
            parse_quarter(bad)


def test_targets_come_from_the_account_then_its_tier_then_the_default() -> None:
    policy = TouchPolicy(target_per_year=4, tier_targets=(("strategic", 12), ("tail", 2)))
    assert policy.yearly_target() == 4 and policy.quarterly_target() == 1
    assert policy.yearly_target(tier="strategic") == 12
    assert policy.quarterly_target(tier="strategic") == 3
    assert policy.quarterly_target(tier="tail") == 1  # 2 a year: one a quarter, rounded up
    assert policy.yearly_target(tier="unknown") == 4
    assert policy.yearly_target(tier="strategic", override=6) == 6
    assert policy.quarterly_target(override=6) == 2
    assert policy.quarterly_target(override=0) == 0
    fiscal = TouchPolicy(fiscal_year_start_month=2, timezone="America/Los_Angeles")
    # 1 February 05:00 UTC is still 31 January in Los Angeles
    assert fiscal.quarter_of(datetime(2026, 2, 1, 5, 0, tzinfo=UTC)) == Quarter(2026, 4)
    assert fiscal.quarter_of(datetime(2026, 2, 1, 9, 0, tzinfo=UTC)) == Quarter(2027, 1)


# --------------------------------------------------------------------------------- CSV exports

ACCOUNTS = account_keys([("Acme Robotics", ["Acme"]), ("Helix Components", [])])
REPS = {"dana@example.com": "dana@example.com", "dana lee": "dana@example.com"}


def _read(text: str, zone: str = "UTC"):  # type: ignore[no-untyped-def]
    return read_touch_csv(text, source="x.csv", accounts=ACCOUNTS, reps=REPS, zone=zone, now=NOW)


def test_salesforce_rows_become_touches_and_bad_rows_are_located() -> None:
    rows = _read(
        "Id,Subject,ActivityDate,Account.Name,Owner.Email,Type,Description\n"
        '00T1,Quarterly check-in,2026-10-14,"Acme Robotics, Inc.",DANA@example.com,Call,'
        '"Talked about\nthe Q4 rollout"\n'
        "00T2,Intro,2026-10-15,Nowhere Ltd,dana@example.com,Email,\n"
        "00T3,Lunch,2026-13-01,Helix Components,dana@example.com,Meeting,\n"
        "00T4,Demo,2026-11-02,Helix Components,ghost@example.com,Meeting,\n"
        "00T5,Later,2026-12-24,Helix Components,dana@example.com,Call,\n"
        "00T6,,,Helix Components,dana@example.com,Call,\n"
    )
    assert rows.dialect is TouchChannel.SALESFORCE and rows.rows == 6
    (touch,) = rows.touches
    assert touch.account == "Acme Robotics" and touch.rep == "dana@example.com"
    assert touch.touched_at == datetime(2026, 10, 14, 12, 0, tzinfo=UTC)  # a date: noon
    assert touch.kind == "Call" and touch.subject == "Quarterly check-in"
    assert touch.note == "Talked about\nthe Q4 rollout" and touch.key == "salesforce:00T1"
    assert touch.channel is TouchChannel.SALESFORCE and touch.origin == "x.csv:2"
    assert rows.problems == (
        "x.csv:4: Account.Name: unknown account 'Nowhere Ltd' (not in the accounts file); "
        "row skipped",
        "x.csv:5: ActivityDate: not a date: '2026-13-01' (expected YYYY-MM-DD, an ISO date and "
        "time, or MM/DD/YYYY); row skipped",
        "x.csv:6: Owner.Email: 'ghost@example.com' is not a rep in the reps file (add the rep, "
        "or use their email); row skipped",
        "x.csv:7: ActivityDate: 2026-12-24 is in the future (an open task is not a touch yet); "
        "row skipped",
        "x.csv:8: ActivityDate: missing; row skipped",
    )


def test_hubspot_rows_with_owner_names_html_bodies_and_times() -> None:
    rows = _read(
        "Record ID;Activity date;Activity type;Associated Company;Activity assigned to;"
        "Call title;Call notes;Associated Contact\n"
        "501;2026-09-30 23:30;CALL;acme;Dana Lee (dana@example.com);Renewal;"
        '"<p>Went <b>well</b> &amp; fast</p>";Jo Park\n'
        "502;10/02/2026 3:15 PM;MEETING;Helix Components;Dana Lee;Kick-off;;\n"
        "503;10/02/2026;NOTE;Acme Robotix;Dana Lee;;;\n",
        zone="Europe/Berlin",
    )
    assert rows.dialect is TouchChannel.HUBSPOT
    first, second = rows.touches
    # 23:30 in Berlin on 30 September is 21:30 UTC: still the third quarter
    assert first.touched_at == datetime(2026, 9, 30, 21, 30, tzinfo=UTC)
    assert first.account == "Acme Robotics" and first.contact == "Jo Park"
    assert first.note == "Went well & fast" and first.key == "hubspot:501"
    assert second.touched_at == datetime(2026, 10, 2, 13, 15, tzinfo=UTC)
    assert second.rep == "dana@example.com" and second.subject == "Kick-off"
    assert rows.problems == (
        "x.csv:4: Associated Company: unknown account 'Acme Robotix'; did you mean "
        "'Acme Robotics'?; row skipped",
    )


def test_rows_without_a_record_id_get_a_key_from_their_content() -> None:
    text = (
        "Subject,ActivityDate,Account.Name,Owner.Email,Type,Description\n"
        "Call,2026-10-14,Acme,dana@example.com,Call,hello\n"
        "Call,2026-10-14,Acme,dana@example.com,Call,hello\n"
        "Call,2026-10-14,Acme,dana@example.com,Call,another\n"
    )
    one, two, three = _read(text).touches
    assert one.key == two.key != three.key
    assert one.key == _read(text).touches[0].key  # stable across reads
    assert one.origin == "x.csv:2" and three.origin == "x.csv:4"


def test_a_file_that_is_neither_export_or_lacks_a_column_is_refused() -> None:
    neither = _read("Account Name,Website\nAcme,acme.example\n")
    assert neither.dialect is None and not neither.touches
    assert neither.problems[0].startswith("x.csv:1: not a Salesforce Task export")
    lacking = _read("Subject,ActivityDate,Type\nCall,2026-10-14,Call\n")
    assert lacking.problems == (
        "x.csv:1: Salesforce export without the columns Account.Name, Owner.Email; "
        "found: Subject, ActivityDate, Type",
    )
    assert _read("").problems == ("x.csv:1: empty file",)


# ------------------------------------------------------------------------------------ coverage


def _touch(account: str, when: datetime, rep: str = "dana@example.com", contact: str = ""):  # type: ignore[no-untyped-def]
    from clipper.types import Touch

    return Touch(0, rep, account, when, TouchChannel.SLACK_COMMAND, contact=contact or None)


def test_coverage_per_account_and_rep_for_the_quarter_and_trailing_year() -> None:
    from clipper.logic.touches import CoverageAccount, coverage

    policy = TouchPolicy(target_per_year=4, tier_targets=(("strategic", 8),), going_dark_days=90)
    accounts = [
        CoverageAccount("Acme Robotics", "dana@example.com", contacts=3),
        CoverageAccount("Helix Components", "dana@example.com", tier="strategic"),
        CoverageAccount("Solara Energy", "sam@example.com"),
        CoverageAccount("Quiet Co", None, touch_target=0),
    ]
    touches = [
        _touch("Acme Robotics", datetime(2026, 10, 2, tzinfo=UTC), contact="Jo Park"),
        _touch("Acme Robotics", datetime(2026, 6, 1, tzinfo=UTC), contact="jo park"),
        _touch("Acme Robotics", datetime(2026, 2, 1, tzinfo=UTC), contact="Ann Lee"),
        _touch("Acme Robotics", datetime(2025, 1, 5, tzinfo=UTC)),  # over a year ago
        _touch("Helix Components", datetime(2026, 11, 20, tzinfo=UTC), rep="sam@example.com"),
        _touch("Solara Energy", datetime(2026, 7, 1, tzinfo=UTC), rep="sam@example.com"),
        _touch("Acme Robotics", datetime(2026, 12, 1, tzinfo=UTC)),  # after now: not counted
    ]
    result = coverage(accounts, touches, policy, NOW)
    assert result.quarter == Quarter(2026, 4) and result.as_of == NOW
    acme, helix, solara, quiet = result.accounts
    assert (acme.this_quarter, acme.quarter_target, acme.due) == (1, 1, False)
    assert (acme.last_12_months, acme.year_target, acme.on_target_year) == (3, 4, False)
    assert acme.days_since == 52 and not acme.going_dark
    assert (acme.contacts_touched, acme.contacts_known) == (2, 3)  # "Jo Park" once, any case
    assert (helix.this_quarter, helix.quarter_target, helix.due) == (1, 2, True)
    assert helix.days_since == 3
    assert solara.this_quarter == 0 and solara.due and solara.days_since == 145
    assert solara.going_dark
    assert quiet.quarter_target == 0 and not quiet.due and quiet.days_since is None
    assert quiet.going_dark  # never touched
    dana, sam = result.reps
    assert (dana.rep, dana.accounts, dana.on_target_quarter, dana.going_dark) == (
        "dana@example.com",
        2,
        1,
        0,
    )
    assert (dana.touches_quarter, dana.touches_12_months) == (1, 3)
    assert (sam.accounts, sam.on_target_quarter, sam.going_dark) == (1, 0, 1)
    assert (sam.touches_quarter, sam.touches_12_months) == (1, 2)


def test_coverage_of_a_past_fiscal_quarter_ends_at_that_quarter() -> None:
    from clipper.logic.touches import CoverageAccount, coverage

    policy = TouchPolicy(fiscal_year_start_month=2, timezone="America/New_York")
    touches = [
        _touch("Acme Robotics", datetime(2026, 10, 31, 12, tzinfo=UTC)),  # fiscal 2027Q3
        _touch("Acme Robotics", datetime(2026, 11, 1, 3, tzinfo=UTC)),  # 31 Oct in New York
        _touch("Acme Robotics", datetime(2026, 11, 2, tzinfo=UTC)),  # fiscal 2027Q4
    ]
    accounts = [CoverageAccount("Acme Robotics", "dana@example.com")]
    now_quarter = coverage(accounts, touches, policy, NOW)
    assert now_quarter.quarter == Quarter(2027, 4)
    assert now_quarter.accounts[0].this_quarter == 1
    past = coverage(accounts, touches, policy, NOW, quarter=Quarter(2027, 3))
    assert past.as_of == datetime(2026, 11, 1, 4, 0, tzinfo=UTC)  # midnight EDT
    (acme,) = past.accounts
    assert acme.this_quarter == 2 and acme.last_12_months == 2
    assert acme.last_touch_at == datetime(2026, 11, 1, 3, tzinfo=UTC) and acme.days_since == 0


def test_a_hubspot_activity_on_several_companies_is_a_touch_on_each() -> None:
    rows = _read(
        "Record ID,Activity date,Associated Company,Activity assigned to\n"
        '77,2026-11-02,"Acme Robotics; Helix Components",dana@example.com\n'
        '78,2026-11-03,"Acme Robotics; Nowhere",dana@example.com\n'
    )
    acme, helix = rows.touches
    assert (acme.account, helix.account) == ("Acme Robotics", "Helix Components")
    assert acme.key == "hubspot:77#acme robotics" != helix.key
    assert rows.problems == (
        "x.csv:3: Associated Company: unknown account 'Nowhere' (not in the accounts file); "
        "row skipped",
    )


def test_one_contact_warning_needs_two_touches_all_to_one_of_several_contacts() -> None:
    from clipper.logic.touches import ONE_CONTACT, CoverageAccount, coverage, single_contact

    assert ONE_CONTACT == "only one contact touched in 12 months"
    assert single_contact(["Jo Park", "jo park"], known=2)  # any case is the same person
    assert single_contact(["Jo Park", None, "Jo Park"], known=3)  # unnamed touches left out
    assert not single_contact(["Jo Park"], known=2)  # one touch says little
    assert not single_contact(["Jo Park", "Ann Lee"], known=2)  # wider already
    assert not single_contact(["Jo Park", "Jo Park"], known=1)  # nobody else to reach
    assert not single_contact([None, None], known=2)

    policy = TouchPolicy(going_dark_days=90)
    accounts = [
        CoverageAccount("Acme Robotics", "dana@example.com", contacts=2),
        CoverageAccount("Helix Components", "dana@example.com", contacts=2),
    ]
    touches = [
        _touch("Acme Robotics", datetime(2026, 10, 2, tzinfo=UTC), contact="Jo Park"),
        _touch("Acme Robotics", datetime(2026, 3, 1, tzinfo=UTC), contact="Jo Park"),
        # over 12 months before now: Ann Lee no longer counts as reached
        _touch("Acme Robotics", datetime(2025, 6, 1, tzinfo=UTC), contact="Ann Lee"),
        _touch("Helix Components", datetime(2026, 10, 2, tzinfo=UTC), contact="Jo Park"),
        _touch("Helix Components", datetime(2026, 9, 2, tzinfo=UTC), contact="Bo Ray"),
    ]
    acme, helix = coverage(accounts, touches, policy, NOW).accounts
    assert acme.single_contact and acme.contacts_touched == 1
    assert not helix.single_contact and helix.contacts_touched == 2
