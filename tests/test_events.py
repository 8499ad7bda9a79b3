"""Business events, and what a rep may forward."""

from __future__ import annotations

import pytest

from clipper.logic.events import EventKind, detect_events, main_event


@pytest.mark.parametrize(
    ("title", "kind", "shareable"),
    [
        (
            "Bluefin Cold Chain raises $120M Series C to expand pharma logistics",
            EventKind.FUNDING,
            True,
        ),
        ("Acme Robotics to acquire vision start-up Lumen Sight", EventKind.MERGER, True),
        (
            "Northwind Logistics names former Maersk executive as chief operating officer",
            EventKind.LEADERSHIP,
            True,
        ),
        ("Helix Components lays off 300 as automotive orders slow", EventKind.LAYOFFS, False),
        ("Helix Components sued over late deliveries by truck maker", EventKind.LEGAL, False),
        (
            "Solara Energy beats third-quarter earnings estimates on storage demand",
            EventKind.EARNINGS,
            True,
        ),
        ("MMTC Q2 net loss at Rs 10.4 crore", EventKind.EARNINGS, False),
        (
            "Solara Energy signs 15-year power purchase deal with data-centre operator",
            EventKind.PARTNERSHIP,
            True,
        ),
        (
            "Acme Robotics launches collaborative arm for small-batch welding",
            EventKind.PRODUCT,
            True,
        ),
        (
            "Northwind Logistics opens automated cross-dock hub in Rotterdam",
            EventKind.EXPANSION,
            True,
        ),
    ],
)
def test_sample_headlines(title: str, kind: EventKind, shareable: bool) -> None:
    event = main_event(title)
    assert event is not None and event.kind is kind and event.shareable is shareable


def test_bad_news_outranks_good_news_and_quiet_news_has_no_event() -> None:
    events = detect_events("Retailer to cut 2,000 jobs after rival's acquisition bid")
    assert [e.kind for e in events] == [EventKind.LAYOFFS, EventKind.MERGER]
    assert events[0].urgent and not events[0].shareable
    assert main_event("Container spot rates fall for a sixth week") is None
    assert main_event("Port strike averted: dockworkers and terminal operators reach deal") is None


def test_an_event_belongs_to_the_company_in_its_sentence() -> None:
    from clipper.logic.events import event_concerns

    title = "Northwind Logistics opens automated cross-dock hub in Rotterdam"
    summary = "The facility uses autonomous forklifts from Acme Robotics."
    text = f"{title}\n{summary}"
    event = main_event(title, summary)
    assert event is not None and event.kind is EventKind.EXPANSION
    assert event_concerns(event, text, [text.index("Northwind")])
    assert not event_concerns(event, text, [text.index("Acme")])
