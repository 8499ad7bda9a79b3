"""Digest content, Block Kit rendering and schedules: pure code, checked against Slack's limits
with the stand-in's own validator."""

from __future__ import annotations

import json
from datetime import UTC, datetime, time, timedelta

from clipper.logic.blockkit import escape_name, render_markdown, render_slack
from clipper.logic.digest import (
    DigestCandidate,
    DigestPolicy,
    MatchingProgress,
    Readiness,
    RepSchedule,
    TouchStatus,
    build_digest,
    digest_readiness,
    in_quiet_hours,
    next_due,
    touch_line,
)

from .slackstub import validate_blocks

NOW = datetime(2026, 11, 23, 13, 0, tzinfo=UTC)


def candidate(n: int, account: str = "Acme Robotics", **kw: object) -> DigestCandidate:
    fields: dict[str, object] = {
        "article_id": n,
        "account": account,
        "title": f"Acme Robotics story number {n}",
        "url": f"https://news.example/{n}",
        "source": "Factory Floor News",
        "published_at": NOW - timedelta(hours=n % 48),
        "score": 0.9 - n / 1000,
        "reasons": (f'mentions "{account}"', "similarity 0.61 to the account"),
    }
    fields.update(kw)
    return DigestCandidate(**fields)  # type: ignore[arg-type]


def shown_ids(messages: list) -> list[int]:  # type: ignore[type-arg]
    return [i for m in messages for i in m.article_ids]


def test_items_are_grouped_by_account_ranked_and_capped() -> None:
    items = [candidate(n) for n in range(1, 9)] + [
        candidate(100, "Helix Components", score=0.95),
        candidate(101, "Helix Components", score=0.5),
    ]
    digest = build_digest(
        "sam@example.com", "Sam", items, {}, DigestPolicy(max_items_per_account=3), NOW
    )
    assert [s.account for s in digest.sections] == ["Helix Components", "Acme Robotics"]
    helix, acme = digest.sections
    assert [i.article_id for i in helix.items] == [100, 101]
    assert [i.article_id for i in acme.items] == [1, 2, 3] and acme.more == 5
    assert acme.items[0].why == 'mentions "Acme Robotics"'
    # every match is accounted for, shown or not, so the next digest does not repeat it
    assert len(digest.covered) == 10


def test_the_same_story_is_one_item_with_also_in() -> None:
    items = [
        candidate(1, story_id=7, source="Reuters"),
        candidate(2, story_id=7, source="Bloomberg", score=0.5),
        candidate(3, story_id=7, source="FT", score=0.4),
    ]
    digest = build_digest("a@x.com", None, items, {}, DigestPolicy(), NOW)
    (item,) = digest.sections[0].items
    assert item.article_id == 1 and item.also_in == ("Bloomberg", "FT")
    assert item.also_ids == (2, 3)
    (section,) = [b for b in render_slack(digest)[0].blocks if b["type"] == "section"]
    rendered = section["text"]["text"]
    assert "Also in Bloomberg, FT" in rendered


def test_per_digest_cap() -> None:
    items = [candidate(n, f"Account {n % 10}") for n in range(100)]
    digest = build_digest("a@x.com", None, items, {}, DigestPolicy(5, 30), NOW)
    assert digest.item_count == 30
    assert sum(s.more for s in digest.sections) == 70


def test_120_articles_split_into_valid_numbered_parts_each_item_once_in_order() -> None:
    items = [candidate(n) for n in range(1, 121)]
    digest = build_digest("a@x.com", None, items, {}, DigestPolicy(200, 200), NOW)
    messages = render_slack(digest)
    assert len(messages) > 1
    for number, message in enumerate(messages, start=1):
        assert validate_blocks(list(message.blocks)) == (None, [])
        assert 0 < len(message.text) <= 4000
        assert f"part {number} of {len(messages)}" in message.blocks[0]["text"]["text"]
        assert len(message.blocks) <= 50
    assert shown_ids(messages) == [i.article_id for i in digest.sections[0].items]
    assert sorted(shown_ids(messages)) == list(range(1, 121))
    # a continued account says so at the top of the next part
    assert "(continued)" in json.dumps(messages[1].blocks)


def test_oversized_fields_are_cut_and_long_urls_are_not_linked() -> None:
    items = [
        candidate(
            1,
            title="T" * 400,
            url="https://news.example/" + "x" * 3500,
            reasons=("r" * 10_000,),
            source="S" * 500,
        )
    ]
    for message in render_slack(build_digest("a@x.com", None, items, {}, DigestPolicy(), NOW)):
        assert validate_blocks(list(message.blocks)) == (None, [])
        dumped = json.dumps(message.blocks, ensure_ascii=False)
        assert "x" * 1001 not in dumped
        assert "…" in dumped


def test_hostile_strings_are_escaped_and_never_ping() -> None:
    hostile = "<!channel> Q3 & <http://evil|click> *bold*"
    items = [
        candidate(1, title=hostile, source="<!here>", url="https://ok.example/a|b>c"),
        candidate(2, title="", url=None, reasons=()),
    ]
    (message,) = render_slack(build_digest("a@x.com", None, items, {}, DigestPolicy(), NOW))
    assert validate_blocks(list(message.blocks)) == (None, [])
    texts = [b["text"]["text"] for b in message.blocks if b["type"] == "section"]
    first, second = texts
    assert "<!" not in first and "<http://evil" not in first
    assert escape_name(hostile) in first  # and *bold* shown as text
    # the only link left is the app's own, with | and > encoded inside the URL
    assert first.count("<") == 1 and "https://ok.example/a%7Cb%3Ec|" in first
    assert "(untitled article)" in second


def test_markdown_rendering_escapes_and_links() -> None:
    items = [candidate(1, title="Acme *wins* [big]", event="funding", shareable=False)]
    text = render_markdown(build_digest("a@x.com", "Sam", items, {}, DigestPolicy(), NOW))
    assert "Acme \\*wins\\* \\[big\\]" in text
    assert "(<https://news.example/1>)" in text
    assert "for you only" in text and "funding" in text


def test_touch_line() -> None:
    assert touch_line(TouchStatus(0, 1, None), NOW) == (
        "Touches this quarter: 0 of 1 · no touch yet · due"
    )
    status = TouchStatus(2, 1, NOW - timedelta(days=12))
    assert touch_line(status, NOW) == "Touches this quarter: 2 of 1 · last touch 12 d ago"


def test_schedules_use_local_time_and_weekdays() -> None:
    weekdays = RepSchedule("Europe/Berlin", time(8, 0), ("mon", "tue", "wed", "thu", "fri"))
    friday_evening = datetime(2026, 11, 27, 18, 0, tzinfo=UTC)
    assert next_due(weekdays, friday_evening) == datetime(2026, 11, 30, 7, 0, tzinfo=UTC)


def test_schedules_are_correct_across_dst_changes() -> None:
    daily = RepSchedule("America/New_York", time(8, 0), ("sun", "mon"))
    # 8 November 2026: clocks went back on 1 November; 8 March 2026: clocks go forward
    before_spring = datetime(2026, 3, 7, 20, 0, tzinfo=UTC)
    sunday = next_due(daily, before_spring)  # Sunday 8 March, the change day: EDT (UTC-4)
    assert sunday == datetime(2026, 3, 8, 12, 0, tzinfo=UTC)
    assert next_due(daily, sunday) == datetime(2026, 3, 9, 12, 0, tzinfo=UTC)
    autumn = next_due(daily, datetime(2026, 10, 31, 20, 0, tzinfo=UTC))
    assert autumn == datetime(2026, 11, 1, 13, 0, tzinfo=UTC)  # 08:00 EST on the change day
    # a time the clocks skip (02:30 on 8 March) is moved forward, not lost
    gap = RepSchedule("America/New_York", time(2, 30), ("sun",))
    assert next_due(gap, before_spring) == datetime(2026, 3, 8, 7, 30, tzinfo=UTC)


def test_quiet_hours_hold_and_release() -> None:
    night = RepSchedule("Europe/London", time(6, 30), ("mon",), quiet=(time(20), time(7)))
    assert in_quiet_hours(night, datetime(2026, 11, 23, 22, 0, tzinfo=UTC))
    assert in_quiet_hours(night, datetime(2026, 11, 23, 6, 59, tzinfo=UTC))
    assert not in_quiet_hours(night, datetime(2026, 11, 23, 7, 0, tzinfo=UTC))
    # a digest at 06:30 inside quiet hours waits for 07:00
    due = next_due(night, datetime(2026, 11, 22, 12, 0, tzinfo=UTC))
    assert due == datetime(2026, 11, 23, 7, 0, tzinfo=UTC)


def test_an_item_already_shared_says_by_whom_and_offers_no_second_share() -> None:
    items = [candidate(1, shared_by="dana@example.com"), candidate(2)]
    (message,) = render_slack(build_digest("a@x.com", None, items, {}, DigestPolicy(), NOW))
    actions = [b for b in message.blocks if b["type"] == "actions"]
    first = [e["action_id"] for e in actions[0]["elements"]]
    second = [e["action_id"] for e in actions[1]["elements"]]
    assert "share" not in first and "share" in second
    assert "shared by dana@example.com" in json.dumps(message.blocks)


def test_a_digest_is_due_once_its_time_has_come_and_matching_has_run() -> None:
    due = NOW - timedelta(minutes=1)
    done = MatchingProgress()
    assert digest_readiness(NOW + timedelta(minutes=1), NOW, done, first=False) is (
        Readiness.NOT_DUE
    )
    assert digest_readiness(due, NOW, done, first=False) is Readiness.SEND
    # articles fetched by the due time still wait for matching, or a fetch is in flight
    for busy in (MatchingProgress(waiting_articles=300), MatchingProgress(feeds_in_flight=2)):
        assert digest_readiness(due, NOW, busy, first=False) is Readiness.WAIT
        # after an hour it goes out with what is matched; empty, it keeps the schedule
        late = NOW + timedelta(hours=1)
        assert digest_readiness(due, late, busy, first=False) is Readiness.SEND_IF_ANY
    # in `clipper run` a pass must have finished since the due time (any pass for the first)
    running = MatchingProgress(runs_passes=True)
    assert digest_readiness(due, NOW, running, first=True) is Readiness.WAIT
    before = MatchingProgress(runs_passes=True, pass_finished_at=due - timedelta(seconds=5))
    assert digest_readiness(due, NOW, before, first=False) is Readiness.WAIT
    assert digest_readiness(due, NOW, before, first=True) is Readiness.SEND
    after = MatchingProgress(runs_passes=True, pass_finished_at=due + timedelta(seconds=5))
    assert digest_readiness(due, NOW, after, first=False) is Readiness.SEND


def test_compose_renders_for_its_sink_and_an_alert_covers_only_what_it_shows() -> None:
    from clipper.logic.compose import DigestRequest, compose_digest
    from clipper.types import DigestKind, EventKind, Sink

    items = [candidate(1, event=EventKind.LAYOFFS), candidate(2)]
    later = NOW + timedelta(days=1)
    slack = compose_digest(
        DigestRequest("sam@example.com", "Sam", DigestKind.DIGEST, Sink.SLACK, NOW, later),
        items,
        {},
        DigestPolicy(),
    )
    assert slack.sink is Sink.SLACK and slack.next_due == later
    assert validate_blocks(json.loads(slack.parts[0][1])) == (None, [])
    assert {(aid, shown) for aid, _account, shown in slack.covered} == {(1, True), (2, True)}
    alert = compose_digest(
        DigestRequest("sam@example.com", "Sam", DigestKind.ALERT, Sink.TERMINAL, NOW, None),
        items,
        {},
        DigestPolicy(),
    )
    assert alert.parts[0][0] == "alert for sam@example.com" and "layoffs" in alert.parts[0][1]
    assert [aid for aid, _account, _shown in alert.covered] == [1]
    empty = DigestRequest(
        "sam@example.com", None, DigestKind.DIGEST, Sink.SLACK, NOW, later, keep_if_empty=True
    )
    assert compose_digest(empty, [], {}, DigestPolicy()).next_due is None


def test_delivery_policy_names_the_retry_numbers() -> None:
    from clipper.logic.delivery import DeliveryPolicy

    policy = DeliveryPolicy()
    assert [policy.backoff_s(a) for a in range(5)] == [1.0, 2.0, 4.0, 8.0, 8.0]
    assert policy.retry_later(1) == timedelta(minutes=2)
    assert policy.retry_later(9) == timedelta(hours=1)
    assert policy.lease_step_s() == 100.0
    assert policy.pace_wait_s(since_dm_post=0.5, since_any_post=5.0) > 0
    assert policy.pace_wait_s(since_dm_post=5.0, since_any_post=5.0) <= 0


def test_slack_error_codes_are_classified_in_one_table() -> None:
    from clipper.adapters.slack_web import SlackErrorKind, classify

    assert classify("invalid_blocks") is SlackErrorKind.REJECTED
    assert classify("msg_blocks_too_long") is SlackErrorKind.REJECTED
    assert classify("token_revoked") is SlackErrorKind.AUTH
    assert classify("internal_error") is SlackErrorKind.OTHER
