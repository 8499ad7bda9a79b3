"""Business events in an article, and whether it is good to forward to the customer.

A small, readable rule set per event type, matched on word boundaries in the title and summary.
Each event says whether the article is fit to forward ("congratulations on the funding round")
or for the rep's eyes only (layoffs at the customer, a lawsuit against it), and whether it is
urgent enough for an immediate alert. Does not look at which company the event is about: the
matcher pairs events with the accounts mentioned near them.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass


class EventKind(enum.StrEnum):
    LAYOFFS = "layoffs"
    LEGAL = "legal/regulatory"
    MERGER = "M&A"
    LEADERSHIP = "leadership change"
    FUNDING = "funding"
    EARNINGS = "earnings"
    PARTNERSHIP = "partnership"
    PRODUCT = "product launch"
    EXPANSION = "expansion"


@dataclass(frozen=True, slots=True)
class Event:
    """A business event found in a text."""

    kind: EventKind
    #: the words that show it, as written
    evidence: str
    #: fit to forward to the customer
    shareable: bool
    #: worth an alert now rather than in the next digest
    urgent: bool
    #: where the evidence is in ``title + "\n" + summary``
    start: int = 0
    end: int = 0


_MONEY = (
    r"(?:[$€£¥₹]\s?\d[\d.,]*\s?(?:k|m|mn|million|bn|billion|crore|cr|lakh)?"
    r"|\d[\d.,]*\s?(?:million|billion|crore|mn|bn))"
)
_ROLE = (
    r"(?:ceo|cfo|coo|cto|cio|cmo|chro|chief \w+(?: \w+)? officer|chief executive|"
    r"chair(?:man|woman|person)?|"
    r"president|managing director|md|head of \w+|board)"
)

#: (kind, pattern, shareable, urgent), in order of precedence: the first kind found wins
RULES: tuple[tuple[EventKind, str, bool, bool], ...] = (
    (
        EventKind.LAYOFFS,
        r"lay(?:s|ing)? off|layoffs?|job cuts?|cut(?:s|ting)? [\d,]+ (?:jobs|roles|positions|staff)"
        r"|to cut (?:jobs|staff|workforce)|redundanc(?:y|ies)|workforce reduction|furlough"
        r"|plant closure|to close (?:its |a |the )?(?:plant|factory|stores?)",
        False,
        True,
    ),
    (
        EventKind.LEGAL,
        r"sued|sues|lawsuit|class action|indict(?:ed|ment)|antitrust|probe|investigat(?:ion|es)"
        r"|fined|penalty|penalised|penalized|settle(?:s|d|ment)? (?:charges|claims|case|suit)"
        r"|charged|subpoena|recall(?:s|ed)? |regulator(?:s|y)? (?:action|order|bars|bans)"
        r"|court (?:rules|orders|blocks)|violat(?:ed|ion)",
        False,
        True,
    ),
    (
        EventKind.MERGER,
        r"acquir(?:e|es|ed|ing)|acquisition|to buy|buys|bought|merg(?:e|es|er|ing)|takeover"
        r"|take over|bid for|buyout|to purchase|divest(?:s|ed|iture)?"
        r"|sell(?:s|ing)? (?:its |a |the )?(?:[\w-]+ )?(?:stake|unit|division|business|arm)"
        r"|spin[- ]off",
        True,
        True,
    ),
    (
        EventKind.LEADERSHIP,
        rf"(?:names|appoints|appointed|hires|elects|promotes|taps) .{{0,60}}{_ROLE}"
        rf"|{_ROLE} (?:steps down|resigns|retires|to step down|exits|departs|quits)"
        rf"|new {_ROLE}|takes over as {_ROLE}|to succeed|successor|stepping down",
        True,
        True,
    ),
    (
        EventKind.FUNDING,
        rf"rais(?:es|ed|ing) {_MONEY}|series [a-h]\b|seed round|funding round|venture (?:funding|"
        rf"capital)|secures? {_MONEY}|(?:files|filing) for (?:an )?ipo|\bipo\b|goes public"
        rf"|private placement|investment from|backed by",
        True,
        False,
    ),
    (
        EventKind.EARNINGS,
        r"\bq[1-4]\b|quarterly (?:results|profit|earnings|revenue|sales)|first[- ]quarter"
        r"|second[- ]quarter|third[- ]quarter|fourth[- ]quarter|full[- ]year (?:results|profit)"
        r"|net (?:profit|loss|income)|earnings|(?:beats|misses|tops) (?:estimates|expectations)"
        r"|revenue (?:rises|falls|jumps|grows|up|down)|guidance|profit (?:rises|falls|jumps)",
        True,
        False,
    ),
    (
        EventKind.PARTNERSHIP,
        r"partner(?:s|ed|ing|ship)? with|partnership|teams? up|collaborat(?:e|es|ion)|alliance"
        r"|joint venture|signs? (?:[\w-]+ ){0,4}(?:deal|agreement|contract|mou|pact)"
        r"|wins? (?:a |an )?(?:contract|order|deal)|power purchase agreement"
        r"|supply (?:deal|agreement)",
        True,
        False,
    ),
    (
        EventKind.PRODUCT,
        r"launch(?:es|ed|ing)?|unveil(?:s|ed)?|introduc(?:es|ed)|rolls? out|debuts?|releases? "
        r"(?:a |its )?new|new (?:product|model|service|platform)",
        True,
        False,
    ),
    (
        EventKind.EXPANSION,
        r"opens? (?:[\w-]+ ){0,3}(?:plant|factory|office|hub|facility|store|warehouse|"
        r"headquarters|data cent(?:er|re))|expan(?:ds|ding|sion) (?:into|to|in)|new "
        r"(?:plant|factory|facility|office)|enters? (?:the )?\w+ market|to build (?:a |new )?"
        r"(?:plant|factory|facility)|invests? .{0,30}in (?:new )?(?:plant|facility|capacity)",
        True,
        False,
    ),
)
_COMPILED = tuple(
    (kind, re.compile(rf"(?<!\w)(?:{pattern})(?!\w)", re.I), shareable, urgent)
    for kind, pattern, shareable, urgent in RULES
)
#: earnings news with these words is bad news for the customer: for the rep's eyes only
_BAD_NEWS = re.compile(
    r"(?<!\w)(?:loss|losses|miss(?:es|ed)?|plunge[sd]?|slump[sd]?|falls?|fell|drops?|decline[sd]?"
    r"|warns?|cuts? (?:guidance|forecast|outlook)|profit warning|weak)(?!\w)",
    re.I,
)


#: up to two words after an event's verb, so a rep reads what it is about: "buys Cerner",
#: "lays off 200"; stops at a preposition or the end of the sentence
_OBJECT = re.compile(
    r"(?: (?!(?:for|in|on|at|over|to|after|as|amid|from|by|with|of)\b)[\w$€£¥₹&'.%-]+){1,2}"
)


def detect_events(title: str, summary: str = "") -> list[Event]:
    """Return every event type the text shows, most important first (see ``RULES``)."""
    text = f"{title}\n{summary}"
    found: list[Event] = []
    for kind, pattern, shareable, urgent in _COMPILED:
        match = pattern.search(text)
        if match is None:
            continue
        if kind is EventKind.EARNINGS and _BAD_NEWS.search(text):
            shareable = False
        tail = _OBJECT.match(text, match.end())
        evidence = (match.group(0) + (tail.group(0) if tail else "")).rstrip(".,;:'")
        found.append(Event(kind, evidence, shareable, urgent, match.start(), match.end()))
    return found


def main_event(title: str, summary: str = "") -> Event | None:
    """Return the most important event in the text, or None."""
    events = detect_events(title, summary)
    return events[0] if events else None


_SENTENCE_END = re.compile(r"[.!?](?=\s)|\n")


def sentence_of(text: str, position: int) -> tuple[int, int]:
    """Return the (start, end) of the sentence or line of ``text`` that holds ``position``."""
    start = 0
    for found in _SENTENCE_END.finditer(text):
        if found.end() > position:
            return start, found.end()
        start = found.end()
    return start, len(text)


def event_concerns(event: Event, text: str, positions: list[int]) -> bool:
    """True when the event's evidence shares a sentence with one of the positions (mentions of
    one company): "Acme opens a hub" is Acme's expansion, not that of a supplier named later."""
    sentence = sentence_of(text, event.start)
    return any(sentence[0] <= p < sentence[1] for p in positions)
