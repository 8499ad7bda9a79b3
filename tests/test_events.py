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
    title = "Northwind Logistics opens automated cross-dock hub in Rotterdam"
    summary = "The facility uses autonomous forklifts from Acme Robotics."
    text = f"{title}\n{summary}"
    event = main_event(title, summary)
    assert event is not None and event.kind is EventKind.EXPANSION
    mine = main_event(title, summary, about=[text.index("Northwind")])
    assert mine is not None and mine.kind is EventKind.EXPANSION
    assert main_event(title, summary, about=[text.index("Acme")]) is None


def test_events_come_from_the_headline_and_lead_not_the_body() -> None:
    # the false tags: a quiz whose body says "acquired", a changelog with "successor"
    quiz = (
        "Hello, and welcome to NSHipster Quiz #5. Round one is about frameworks. "
        "Question 3: which company acquired NeXT in 1996?"
    )
    assert main_event("NSHipster Quiz #5", quiz) is None
    pods = (
        "CocoaPods is a dependency manager for Cocoa projects. Version 1.0 shipped today. "
        "The old spec repo has a successor hosted on a CDN."
    )
    assert main_event("CocoaPods 1.0", pods) is None


@pytest.mark.parametrize(
    ("title", "kind", "evidence"),
    [
        ("Jacobs names Ron Lewis chief executive", EventKind.LEADERSHIP, "names Ron Lewis chief"),
        ("Textron to sell aerospace unit", EventKind.MERGER, "to sell aerospace unit"),
        ("Oracle buys Cerner for $28 billion", EventKind.MERGER, "buys Cerner"),
        ("Microsoft to Cut About 6,000 Jobs", EventKind.LAYOFFS, "Cut About 6,000 Jobs"),
        ("BROWN-FORMAN INC 4TH QTR NET", EventKind.EARNINGS, "4TH QTR"),
        ("TULTEX CORP SETS QUARTERLY DIVIDEND", EventKind.EARNINGS, "QUARTERLY DIVIDEND"),
    ],
)
def test_events_the_old_rules_missed(title: str, kind: EventKind, evidence: str) -> None:
    event = main_event(title)
    assert event is not None and event.kind is kind
    assert event.evidence.lower().startswith(evidence.lower())


def test_buying_goods_is_not_a_takeover() -> None:
    assert main_event("Japan buys 5,000 tonnes Canadian rapeseed") is None
    assert main_event("MicroStrategy buys another $1.1 billion of bitcoin") is None
    assert main_event("Consumer Reports Best Buys: top-rated washers") is None


def test_sentences_keep_abbreviations_and_split_real_ends() -> None:
    from clipper.logic.events import sentences

    text = "Acme, Inc. reported results. U.S. sales of No. 1 models rose 3.5 percent. Beta fell."
    pieces = [text[a:b].strip() for a, b in sentences(text)]
    assert pieces == [
        "Acme, Inc. reported results.",
        "U.S. sales of No. 1 models rose 3.5 percent.",
        "Beta fell.",
    ]


def test_an_article_with_many_abbreviations_is_read_quickly() -> None:
    # one long run of "U.S. Steel" once made the sentence splitter quadratic; this returns
    # only if the splitter is linear (pytest's timeout is the judge, not a timing assertion)
    body = "U.S. Steel " * 20_000
    assert main_event("Acme news", body, about=[len("Acme news") + 1 + len(body) - 6]) is None


@pytest.mark.parametrize(
    ("title", "kind"),
    [
        ("Meridian Bank trims workforce by 5% in cost drive", EventKind.LAYOFFS),
        ("Automaker to shutter Ohio assembly plant, affecting 2,100 workers", EventKind.LAYOFFS),
        ("Chevron to buy Hess in oil megadeal", EventKind.MERGER),
        ("Conglomerate to demerge property arm in 2025", EventKind.MERGER),
        ("COO promoted to top job at Sterling Freight", EventKind.LEADERSHIP),
        ("Solar developer closes £200m debt facility", EventKind.FUNDING),
        ("Engineering firm awarded £400m rail signalling contract", EventKind.PARTNERSHIP),
        ("Battery maker breaks ground on $3bn Georgia plant", EventKind.EXPANSION),
        ("Automaker reveals hydrogen fuel-cell van", EventKind.PRODUCT),
    ],
)
def test_events_in_other_wordings(title: str, kind: EventKind) -> None:
    event = main_event(title)
    assert event is not None and event.kind is kind


@pytest.mark.parametrize(
    "title",
    [
        "FDA approves Acme's new diabetes drug",
        "Acme's new restaurant offers fine dining in Paris",
        "Acme CEO recalls early days in a garage",
        "Apple sells 50 million iPhone units in record quarter",
        "Acme plans Black Friday sale",
        "Apple cuts ties with Steve Jobs biographer",
        "Acme adds Microsoft Outlook integration",
        "Rovers sign striker on three-year deal",
        "Tennis star launches bid for fourth Wimbledon title",
        "Explainer: What is a stock split and does it matter?",
        "Best Buy opens its doors early for holiday shoppers",
        "Why you should buy Nvidia shares now",
        "Amazon announces Prime Day sale dates",
        "Boeing machinists reject latest contract offer, extending strike",
        "Study reveals warehouse injury rates",
        "Apple wins design award for Vision Pro",
        "Product placement deals surge in streaming shows",
        "Manchester City launches new bid for title",
        "Kendrick Lamar rap tops Spotify charts",
    ],
)
def test_ordinary_headlines_have_no_business_event(title: str) -> None:
    assert main_event(title) is None


@pytest.mark.parametrize(
    ("title", "kind", "shareable", "urgent"),
    [
        ("FTC blocks Kroger-Albertsons merger", EventKind.LEGAL, False, True),
        ("Google loses appeal against €2.4bn EU shopping fine", EventKind.LEGAL, False, True),
        ("Intel to cut 15% of workforce", EventKind.LAYOFFS, False, True),
        ("Starbucks closing stores in Seattle", EventKind.LAYOFFS, False, True),
        ("Acme selected by NASA for lunar lander", EventKind.PARTNERSHIP, True, False),
        ("EU bans Chinese EV imports", EventKind.LEGAL, False, True),
        ("Oracle buys Cerner for $28 billion", EventKind.MERGER, True, True),
    ],
)
def test_what_a_rep_may_forward_and_what_is_urgent(
    title: str, kind: EventKind, shareable: bool, urgent: bool
) -> None:
    event = main_event(title)
    assert event is not None and event.kind is kind
    assert (event.shareable, event.urgent) == (shareable, urgent)
    assert title[event.start : event.end] == event.evidence


def test_long_runs_of_numbers_are_read_in_linear_time() -> None:
    # "1,1,1,..." once made one rule quadratic; pytest's timeout is the judge, not a timing
    assert main_event("Acme quarterly data", "1," * 20_000) is None


def test_every_event_kind_has_one_row_with_its_badge_and_urgency() -> None:
    from clipper.logic.events import EVENT_KINDS, badge, is_urgent

    assert set(EVENT_KINDS) == set(EventKind)
    assert badge(EventKind.FUNDING) == "💰 funding"
    urgent = {k for k in EventKind if is_urgent(k)}
    assert urgent == {EventKind.LAYOFFS, EventKind.LEGAL, EventKind.MERGER, EventKind.LEADERSHIP}
    assert not is_urgent(None)
