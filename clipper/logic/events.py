"""Business events in an article, and whether it is good to forward to the customer.

A small, readable rule set per event type, matched on word boundaries in the title and summary.
Each event says whether the article is fit to forward ("congratulations on the funding round")
or for the rep's eyes only (layoffs at the customer, a lawsuit against it), and whether it is
urgent enough for an immediate alert. Does not look at which company the event is about: the
matcher pairs events with the accounts mentioned near them.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import cache

from ..types import EventKind as EventKind
from ..types import NoteKind


@dataclass(frozen=True, slots=True)
class Event:
    """A business event found in a text."""

    kind: EventKind
    #: the words that show it, as written
    evidence: str
    #: fit to forward to the customer
    shareable: bool
    #: where the evidence is in ``title + "\n" + summary``
    start: int = 0
    end: int = 0

    @property
    def urgent(self) -> bool:
        """Worth an alert now rather than in the next digest (the kind's ``urgent``)."""
        return EVENT_KINDS[self.kind].urgent


@dataclass(frozen=True, slots=True)
class EventKindInfo:
    """Everything Clipper knows about one event type, in one row of ``EVENT_KINDS``."""

    #: the emoji shown before the kind's label in a digest
    emoji: str
    #: the wording that shows the event, matched on word boundaries (case-insensitive)
    pattern: str
    #: fit to forward to the customer ("congratulations on the funding round")
    shareable: bool
    #: worth an alert at once, not tomorrow morning (issue 4: leadership, M&A, layoffs, legal)
    urgent: bool
    #: the note "Share with customer" pre-fills (its ``share.templates`` key)
    note: NoteKind = NoteKind.DEFAULT


_MONEY = (
    r"(?:(?:[a-z]{1,2})?[$€£¥₹]\s?\d[\d.,]*\s?(?:k|m|mn|mln|million|bn|billion|crore|cr|lakh)?"
    r"|(?<![\d.,])\d[\d.,]*\s?(?:million|billion|crore|mn|mln|bn|dlrs))"
)
_ROLE = (
    r"(?:ceo|cfo|coo|cto|cio|cmo|chro|chief \w+(?: \w+)? officer|chief executive|"
    r"chair(?:man|woman|person)?|"
    r"president|managing director|md|head of \w+|board)"
)
#: "about 6,000", "nearly 14,000", "500"
_COUNT = r"(?:(?:about|around|some|nearly|almost|up to|more than|over|another) )?[\d,.]+"
#: what a company sells when it sells part of itself
_PART = (
    r"(?:stakes?|unit|divisions?|business(?:es)?|arm|subsidiar(?:y|ies)|operations|assets"
    r"|plants?|refinery|stations?|hospitals?|portfolio|network|brand|label|studios?|holding"
    r"|interests?|shares|stores|mills?|mines?|brands|properties|offices|sawmills?|hotels?"
    r"|newspapers?|factory|factories)"
)
#: what a buyer buys when it is not a company: goods, commodities, currency, its own shares
_NOT_A_COMPANY = (
    r"(?! back\b)(?! (?:(?:up to|about|another|more|some|a|an) )?(?:[$€£¥₹]?\d[\d.,]*\S* )?"
    r"(?:mln |million |billion |bln |bn )?(?:dlrs |dollars |worth )?(?:of )?"
    r"(?:(?!(?:in|for|from|at|to|with|as)\b)\S+ ){0,2}?"
    r"(?:tonnes|tons|cargoes|barrels|bales|bushels|ounces|bitcoin"
    r"|wheat|corn|maize|soy\w*|sugar|oil|olein|crude|coffee|cocoa|grain|goods|dollars?|dlrs"
    r"|currenc(?:y|ies)|bills|bonds|treasur(?:y|ies)|yen|computers|cranes|aircraft|jets"
    r"|products|equipment|supplies|stocks?|shares)\b)"
)

#: a headline that says the piece explains, reviews or previews rather than reports news
_FEATURE = re.compile(
    r"\s*(?:explainer|explained|week ahead|the week ahead|film review|book review|review|preview"
    r"|how to|quiz|podcast|opinion|q&a)\b",
    re.I,
)
#: a shop's sale is not a company's: "Black Friday sale", "clearance sale"
_NOT_A_SHOP_SALE = "".join(
    f"(?<!{w} )"
    for w in "friday holiday clearance flash summer winter spring christmas garage yard bake "
    "ticket fire".split()
)

#: the one table of event types: every ``EventKind`` has a row, in order of precedence
#: (``detect_events`` lists the headline's kinds first, each sentence's in this order, and
#: ``main_event`` takes the first). Wording is tuned on the development part of
#: ``bench/eval/events.py``.
EVENT_KINDS: Mapping[EventKind, EventKindInfo] = {
    EventKind.LAYOFFS: EventKindInfo(
        emoji="⚠️",
        pattern="|".join(
            (
                r"lay(?:s|ing)? off|laid off|layoffs?|job cuts?|job losses|pink slips",
                rf"cut(?:s|ting)? {_COUNT} (?:\w+ ){{0,2}}(?:jobs|roles|positions|staff|workers"
                r"|employees)",
                r"(?:to )?cut(?:s|ting)? (?!ties)(?:\w+ ){0,3}jobs",
                r"eliminat(?:e|es|ing) (?:\w+ ){0,4}(?:jobs|roles|positions|workforce)",
                r"(?:trims?|trimming|reduc(?:e|es|ing)|slash(?:es|ing)?|shed(?:s|ding)?|cut(?:s"
                r"|ting)?|halv(?:es|ing)) (?:its |the )?(?:\w+ ){0,2}(?:workforce|headcount|staff"
                r"|payroll)",
                r"redundanc(?:y|ies)|redundant|workforce reduction|headcount reduction|furlough",
                r"(?:plant|factory|mill|mine|site) closure|lets? go (?:of )?\d|(?:let|lets|letting)"
                r" go of|(?:workers|staff|employees|crew) (?:were |are )?stood down"
                r"|stands? down (?:\d|workers|staff)|early retirements?",
                r"termination notices|out of work|(?:roles|jobs|positions) (?:go|lost|at risk)\b",
                rf"shed(?:s|ding)? {_COUNT} jobs|go dark",
                r"(?:cut|cuts|cutting|trims?|trimming|slash(?:es|ing)?|shed(?:s|ding)?|lay(?:s|ing)?"
                r" off|reduc(?:e|es|ing)|eliminat(?:e|es|ing)) (?:about |nearly |some |around )?\d+"
                r" ?(?:%|percent|pct) of",
                r"(?:to close|closes|closing|to shut|shuts|shutting|to shutter|shutters"
                r"|shuttering) (?:down )?(?:its |a |the |\w+'s )?"
                r"(?:[\w-]+ ){0,3}(?:plant|factory|stores?|site|mill|centre|center|facility"
                r"|bakeries|mine|office|operations)",
                r"halts? (?:operations|production)",
            )
        ),
        shareable=False,
        urgent=True,
    ),
    EventKind.LEGAL: EventKindInfo(
        emoji="⚖️",
        pattern="|".join(
            (
                r"sued|sues|lawsuit|(?:defamation |class[- ]action )?suit against|class action",
                r"indict(?:ed|ment)|antitrust|monopol(?:y|ize|ise|ized|ised)|probe (?:into|of)",
                r"investigat(?:ion|es|ing)|fined|fines? (?:over|for|of|on|against)\b",
                rf"(?-i:[Ff]ines(?= [A-Z]))|{_MONEY} fine\b|penalt(?:y|ies)|penalised|penalized",
                r"settle(?:s|d)? (?:\w+ )?(?:charges|claims|case|suit)|settlement|charged|subpoena",
                # "recalls 1.9 million vehicles", not "recalls early days"
                r"recall(?:s|ed|ing)?\b(?! (?:early|how|his|her|their|when|that|memories|days"
                r"|fondly))",
                r"regulators?(?! (?:nod|approval|clearance|green light))|watchdog",
                r"(?:merger|antitrust|regulatory) review|prosecutors?|raid(?:s|ed)?\b",
                r"search(?:es|ed)? (?:\w+ ){0,2}offices|warning letter|tax demand|enforcement",
                r"(?:orders?|ordered) (?:\S+ ){0,4}to pay|improvement order|blacklist|entity list",
                r"rebuk\w+",
                r"(?<!food )(?<!tennis )court\b|judge|jury|verdict|delist(?:s|ed|ing)?",
                r"sanctions?|cracks? down|complaint against|violat(?:ed|ion|ions)",
                r"(?:appeal|challenge|contest)\w* (?:\S+ ){0,5}fine\b|(?:loses|wins|files) appeal",
                r"(?:blocks?|sues to block|moves? to block|challenges?) (?:\S+ ){0,3}(?:merger|deal"
                r"|acquisition|takeover)",
                r"(?:bans?|banned|banning)(?! \d)",
            )
        ),
        shareable=False,
        urgent=True,
    ),
    EventKind.MERGER: EventKindInfo(
        emoji="🤝",
        pattern="|".join(
            (
                r"acquir(?:e|es|ed|ing)|acquisition|merg(?:e|es|ed|er|ing)|takeover|buyout",
                # "sells three industrial units", not "sells 50 million iPhone units"
                r"sell\w* (?:(?!\d)[\w-]+ ){0,3}units\b|unit sale\b",
                r"(?:higher|rival|hostile|takeover|competing|sweetened|cash|improved) bids?\b",
                r"(?:interested in|consider(?:s|ing)?|explor(?:es|ing)) buying",
                r"(?:has|holds|owns) (?:a )?\d[\d.]* (?:pct|percent|%)",
                r"pay (?:\S+ ){0,2}dlrs?(?:/| a | per )sh(?:are|r)\b",
                r"buy(?:s|ing)? out|tender offer|tendered|bidder|bidding war|seeks? (?:a )?buyer",
                # an offer for a company (a capital, or its shares), not an export bonus
                rf"(?:offers?|bids?|pays?) (?:{_MONEY} (?:a |per )?(?:share |shr )?)?for"
                rf"(?! an? export)(?= (?-i:[A-Z])| (?:all|the|its|a|an) (?:\w+ ){{0,2}}"
                r"(?:shares|stake|company|unit))",
                r"bids? by|bid from|bid to buy|(?:gets|receives?|rejects?) (?:\w+ )?"
                r"(?:bid|offer|tender)",
                r"(?:extends?|raises?|sweetens?|drops?|approves?|amends?|accepts?|rejects?)"
                r" (?:\S+ ){0,3}(?<!contract )(?<!pay )(?<!wage )(?<!salary )"
                r"(?:offer|bid|approach)\b",
                r"(?:has been |was |is )?sold to (?:a |an |the )?(?:\S+ ){0,2}(?:competitor|rival"
                r"|buyer|group|fund|investor|company|firm|retailer|chain|owner|consortium)",
                r"demerg\w*|carve[- ]?out|offloads?|offloading",
                r"tender for(?= (?-i:[A-Z]))",
                r"sell(?:s|ing)? (?:two|three|four|several|some|its|both) units",
                # selling a company named with its legal form: "has sold W. Atlee Burpee Co"
                r"(?:sells?|sold|selling|to sell) (?:(?-i:[A-Z])[\w.&'-]* ){1,5}"
                r"(?-i:Inc|Corp|Co|Ltd|Plc|PLC|LLC|AG|SA|NV|Group|Holdings)\b",
                # "Heller buy factoring unit", not "buy Nvidia shares now"
                r"(?<!best )buy (?!(?:[\w'-]+ ){0,3}(?:shares|stock)\b)"
                rf"(?:[\w'-]+ ){{0,3}}{_PART}",
                r"letter of intent",
                rf"(?<!best )(?:to buy|buys){_NOT_A_COMPANY}|buy(?:s|ing)? into",
                rf"(?:to purchase|purchase of){_NOT_A_COMPANY}|bought by",
                rf"(?:sell(?:s|ing)?|sold|to sell) (?:[\w%.,'-]+ ){{0,4}}{_PART}",
                r"(?:weighs|receives?|received|draws|gets|invites?|solicits?) (?:\w+ ){0,2}"
                r"(?:bids|offers)\b",
                r"(?:talks|discussions|negotiations) (?:\w+ ){0,3}(?:buy|buying|acquir\w+|merg\w+"
                r"|sale|takeover)",
                rf"sale of (?:[\w%.,'-]+ ){{0,4}}{_PART}",
                rf"to sell (?:[\w'-]+ ){{1,4}}for {_MONEY}",
                r"(?:pct|percent) of (?:its |the )?(?:\w+ ){0,3}(?:shares|stock)",
                r"(?:pct|percent) (?:interest|stake) in",
                r"seek(?:s|ing)? control|bidding (?:\S+ ){0,3}for|tops (?:\w+ ){0,3}offer",
                r"completes? (?:\w+ ){0,2}(?:acquisitions|purchase)|sets purchase",
                r"takes? over(?= (?-i:[A-Z]))|takes? over (?:\w+ ){0,4}shares",
                r"dlrs?[-/ ](?:a[- ])?(?:per[- ])?(?:share|shr)\b(?:[- ]\w+){0,2}[- ]"
                r"(?:offer|bid|tender)",
                r"offers? (?:\S+ ){0,3}(?:dlrs?|cts|cents|pence|p) (?:a|per) share",
                r"(?:completes?|weighs?|explores?|considers?|agrees?|closes?|finali[sz]es?|seeks?"
                r"|proposes?) (?:the |a |possible |potential )?(?:\w+ ){0,2}"
                + _NOT_A_SHOP_SALE
                + r"sale\b(?! (?:of|at|in|by|to) \d)",
                r"completes? (?:\w+ ){0,3}sales\b",
                r"(?<!at )stake\b|divest(?:s|ed|iture)?|spin[- ]?off|spins? off",
                r"deal for(?= (?-i:[A-Z]))|dissolv\w+ (?:\w+ ){0,3}joint venture",
            )
        ),
        shareable=True,
        urgent=True,
        note=NoteKind.ACQUISITION,
    ),
    EventKind.LEADERSHIP: EventKindInfo(
        emoji="👤",
        pattern=(
            r"(?:names|named|appoints|appointed|hires|elects|promotes|taps) "
            rf"[^;:.!?]{{0,60}}{_ROLE}"
            rf"|{_ROLE} (?:steps down|resigns|retires|to step down|exits|departs|quits|to retire"
            rf"|to leave)|new {_ROLE}|takes over as {_ROLE}|to succeed|successor|stepping down"
            r"|steps down|resign(?:s|ed|ation)|ousts?|ousted|joins (?:the |its )?board"
            r"|takes? (?:the )?helm|succession|hands (?:\w+ )?control|promoted to|top job"
            r"|new (?:boss|chief|finance chief|ceo|chair)|names? new \w+ chief"
            r"|replaces? (?:[\w-]+ )"
            r"{0,3}(?:ceo|chief|chair)|board seats?|vote out|roles? split|set to depart"
            r"|to become (?:[\w-]+ ){0,2}(?:ceo|cfo|coo|chief \w+|chair(?:man|woman)?)\b"
            r"|steps? aside"
        ),
        shareable=True,
        urgent=True,
        note=NoteKind.LEADERSHIP,
    ),
    EventKind.FUNDING: EventKindInfo(
        emoji="💰",
        pattern="|".join(
            (
                rf"rais(?:es|ed|ing) {_MONEY}|series [a-h]\b|seed (?:round|funding)|funding round",
                r"venture (?:funding|capital|debt)|growth capital|(?:debt|credit) facility",
                rf"secures? (?:\w+ ){{0,2}}{_MONEY}(?! (?:[\w-]+ ){{0,3}}(?:order|contract|deal))",
                r"(?:files|filing) for (?:an )?ipo|\bipo\b|goes public|prices? (?:its )?(?:\w+ )?"
                rf"(?:offering|ipo)|rights issue|(?:private|share|equity|institutional|{_MONEY})"
                r" placement",
                r"investment from|backed by|(?:wins?|awarded|receives?) (?:a |an )?(?:\S+ ){0,3}"
                rf"grant\b|{_MONEY} (?:\S+ ){{0,3}}(?:grant|award)\b",
                rf"invest(?:s|ed|ing)? (?:another |an additional |a further |up to )?{_MONEY} in",
                rf"(?:pledges?|commits?) (?:\w+ ){{0,2}}{_MONEY}|loan guarantee|valuation",
                rf"closes? {_MONEY} (?:\w+ ){{0,2}}fund|share sale",
                r"(?:sells?|issues?|prices?|places?) (?:\S+ ){0,3}bonds?\b|bond (?:sale|issue)",
                rf"backs? (?:\w+ ){{0,3}}with {_MONEY}|invests? (?:\S+ ){{0,3}}in (?:\d+ )?"
                r"(?:\w+ ){0,2}start-?ups?",
            )
        ),
        shareable=True,
        urgent=False,
        note=NoteKind.FUNDING,
    ),
    EventKind.EARNINGS: EventKindInfo(
        emoji="📊",
        pattern=(
            r"\bq[1-4]\b|quarterly (?:results|profit|earnings|revenue|sales|loss)|first[- ]quarter"
            r"|second[- ]quarter|third[- ]quarter|fourth[- ]quarter|full[- ]year (?:results|profit)"
            r"|first[- ]half|half[- ]year|net (?:profit|loss|income)|earnings"
            r"|(?:annual|financial|interim|preliminary|full-year|half-year|quarter|operating|\d{4})"
            r" results|results (?:beat|miss|top|topped|show|due|ahead|below)|(?:reports?|posts?"
            r"|reported|sees|expects) (?:\w+ ){0,2}results"
            r"|(?:beats|misses|tops) (?:\w+ )?(?:estimates|expectations)|profits?"
            r"|(?:revenue|sales) (?:rises|falls|fall|rise|jumps|grows|up|down|slip|slips|beat)"
            r"|same-store sales|comparable sales|guidance|bookings|outlook (?:for|on)\b"
            r"|(?:raises?|cuts?|lifts?|lowers?|trims?|boosts?|reaffirms?|maintains?|weak|strong"
            r"|cautious|annual|full-year|sales|profit|revenue) (?:\w+ )?outlook"
            r"|(?:revenue|profit|sales|earnings|margin|annual|full-year) (?:\w+ )?forecast"
            r"|(?:posts?|reports?|reported) (?:a |an )?(?:\w+ ){0,2}(?:loss|profit|revenue)"
            r"|(?:1st|2nd|3rd|4th) qtr|\bqtr\b|\bqtrly\b|\bqtly\b|\bshr\b|\bdivs?\b"
            r"|(?:(?:quarterly|annual|special|initial|regular|stock) )?dividends?"
            r"|payout|buybacks?|share repurchase|net interest income"
            r"|stock split|(?:two|three|\d)[- ]for[- ](?:one|two|\d) (?:stock )?split"
            r"|(?:year|yr|annual|mths|months|oper|period|jan|feb|march|april|may|june|july|aug"
            r"|sept?|oct|nov|dec) (?:\d+ )?(?:net|loss|profit)\b|(?-i:(?<!\.)NET\b)"
        ),
        shareable=True,
        urgent=False,
    ),
    EventKind.PARTNERSHIP: EventKindInfo(
        emoji="🔗",
        pattern="|".join(
            (
                r"partner(?:s|ed|ing|ship)? with|partnership|teams? (?:up )?with|teams? up",
                r"collaborat(?:e|es|ion)|alliance|joint venture|joins? forces|ties? up with",
                # not a player's contract: "Rovers sign striker on three-year deal"
                r"signs? (?!(?:\w+ ){0,2}(?:striker|forward|midfielder|defender|goalkeeper"
                r"|quarterback|pitcher|player|coach))(?:[\w-]+ ){0,4}(?:deal|agreement|contract"
                r"|mou|pact)",
                r"(?:wins?|lands?|secures?|awarded) (?:a |an |the )?(?:[\w$£€.-]+ ){0,4}"
                r"(?:contract|order|deal|tender)",
                r"power purchase agreement|supply (?:deal|agreement|pact|contract)|pact with",
                r"(?:inks?|reach(?:es)?|strikes?) (?:a |an )?(?:[\w-]+ ){0,3}(?:deal|pact"
                r"|agreement) (?:with|to|in|for)\b",
                r"renews? (?:its |a )?(?:\w+ ){0,3}contract|to supply (?:\w+ ){0,4}(?:under|to)",
                r"(?:named|chosen|selected|picked|tapped) (?:as )?(?:the )?(?:preferred "
                r"|exclusive )?(?:vendor|supplier|partner|provider)",
                r"(?:chosen|selected|picked) (?:by|to|for)",
                r"taps? (?:\w+ ){0,3}(?:firm|company|startup|provider|group) for",
                r"licens(?:es|ing) (?:agreement|deal)|licenses (?:\w+ ){0,3}(?:brand|technology)",
                r"sponsorship|signs? on|(?:starts?|begins?) selling|to sell directly on",
                r"through (?-i:[A-Z]\w+)$",
            )
        ),
        shareable=True,
        urgent=False,
    ),
    EventKind.PRODUCT: EventKindInfo(
        emoji="🚀",
        # launching routes or operations somewhere is an expansion
        pattern="|".join(
            (
                # launching routes or operations somewhere is an expansion; a bid is no product
                r"launch(?:es|ed|ing)?(?! (?:\w+ ){0,2}(?:routes|flights|operations|service in"
                r"|bid|comeback|campaigns?|appeal|probe|investigation|attack|offensive))",
                r"unveil(?:s|ed|ing)?(?! (?:\S+ ){0,2}(?:plan|plans|budget|strategy|proposals?"
                r"|reforms?|buyback|results))",
                r"introduc(?:es|ed|ing)|rolls? out|debuts?",
                # "Automaker reveals fuel-cell van", not "Study reveals injury rates"
                r"(?<!study )(?<!survey )(?<!poll )(?<!report )(?<!data )(?<!research )"
                r"reveal(?:s|ed)?(?! (?:\w+ ){0,2}(?:price|prices|plans?|results|figures|data"
                r"|details|how|what|why|that|rates?))",
                r"releas(?:es|ed|ing)?(?! (?:\S+ ){0,2}(?:results|figures|data|statement|report"
                r"|earnings|prisoners?|hostages?))",
                r"new (?:product|model|service|platform)|goes on sale|hits shelves",
                r"makes? (?:\S+ ){0,4}available|limited[- ]edition",
            )
        ),
        shareable=True,
        urgent=False,
    ),
    EventKind.EXPANSION: EventKindInfo(
        emoji="🏗️",
        pattern="|".join(
            (
                r"(?:opens?|opened|to open|will open|opening) (?:[\w$.,'-]+ ){0,4}(?:plants?"
                r"|factory|offices?|hub|facility|stores?|warehouse|headquarters|data cent(?:er|re)"
                r"|restaurants?|branch(?:es)?|showroom|salon|locations?|campus|terminal|shops?"
                r"|outlets?|hotels?|wing)",
                r"expan(?:ds?|ded|ding|sion)|new (?:plant|factory|facility|office|wing)",
                r"enters? (?:the )?\w+ market|to build (?:a |new )?(?:[\w$.,'-]+ ){0,3}(?:plant"
                r"|factory|facility|campus)",
                r"invests? .{0,30}in (?:new )?(?:plant|facility|capacity)",
                rf"(?:to add|adds?|adding|to create|creat(?:es|ing)|to hire|hiring) {_COUNT}"
                r" (?:\w+ ){0,2}(?:jobs|chargers|stores|locations|restaurants|sites|beds|routes"
                r"|flights|staff|workers|people|engineers)",
                rf"plans? {_MONEY} (?:\w+ ){{0,3}}(?:campus|plant|facility|cent(?:er|re)|factory)",
                r"distribution cent(?:er|re)|data cent(?:er|re) campus|anchor tenant",
                r"goes live in|launch(?:es)? (?:\w+ ){0,2}(?:routes|flights|operations in)",
                r"(?:starts?|started|begins?) operations in",
                r"(?:doubles?|triples?|boosts?|raises?|increases?|expands?|to double|to triple)"
                r" (?:\w+ ){0,3}(?:capacity|output|production)",
                r"extends? (?:\w+ ){0,3}(?:coverage|service) to|commissions? (?:a |its )?"
                r"(?:\S+ ){0,3}(?:plant|factory|facility)",
                r"restarts? (?:\w+ ){0,2}(?:furnace|plant|line|mine)|breaks? ground",
                r"sets? up (?:a |an |its )?(?:\S+ ){0,3}(?:centre|center|hub|office|plant"
                r"|factory|unit)",
                r"adds? (?:a )?(?:new )?(?:\S+ ){0,3}production line",
            )
        ),
        shareable=True,
        urgent=False,
    ),
}
if set(EVENT_KINDS) != set(EventKind):  # pragma: no cover - a kind without its row
    raise AssertionError("every EventKind needs a row in EVENT_KINDS")


@cache
def _compiled() -> tuple[tuple[EventKind, re.Pattern[str], bool], ...]:
    """Return every kind's pattern, compiled on the first call: a command that detects no
    events (``fetch --once``) does not pay ~25 ms compiling them at import. Does not match."""
    return tuple(
        (kind, re.compile(rf"(?<!\w)(?:{info.pattern})(?!\w)", re.I), info.shareable)
        for kind, info in EVENT_KINDS.items()
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


#: a full stop that does not end a sentence: "Apple Inc. said", "U.S. sales", "Mr. Cook"
_ABBREVIATION = re.compile(
    r"(?:\b(?:inc|corp|co|ltd|plc|llc|bros|mr|mrs|ms|dr|st|no|vs|jan|feb|mar|apr|jun|jul|aug"
    r"|sep|sept|oct|nov|dec|approx|est|dept|gov|sen|rep)|\b[a-z]|\b(?:[a-z]\.)+[a-z])$",
    re.I,
)
#: how far back from a full stop an abbreviation can start ("sept.", "u.s.a.")
_LONGEST_ABBREVIATION = 12
_SENTENCE_END = re.compile(r"[.!?](?=\s+[\"'“‘(\[]?[A-Z0-9])|\n|\s(?=(?i:note):)")


def sentences(text: str) -> Iterator[tuple[int, int]]:
    """Yield the (start, end) of each sentence or line of ``text``, in order, in time linear in
    the text. A rule of thumb: it does not know every abbreviation, a full stop after one
    ("U.S.", "Inc.", an initial) never ends a sentence, and a lower-case start never begins one."""
    start = 0
    for found in _SENTENCE_END.finditer(text):
        if found.group(0) != "\n" and _ABBREVIATION.search(
            text, max(start, found.start() - _LONGEST_ABBREVIATION), found.start()
        ):
            continue
        yield start, found.end()
        start = found.end()
    if start < len(text):
        yield start, len(text)


def event_scope(
    title: str, summary: str = "", about: Sequence[int] | None = None
) -> list[tuple[int, int]]:
    """Return where events are read in ``title + "\n" + summary``: the headline and the lead
    sentence, or, given ``about`` (positions of one company's names), the sentences that name
    it (the headline among them when it does). Never the rest of the body: "acquired" in a
    quiz question or "successor" in a changelog is not the article's news."""
    text = f"{title}\n{summary}"
    scope: list[tuple[int, int]] = []
    if about is None:
        for start, end in sentences(text):
            if start <= len(title):
                scope.append((start, end))
            elif text[start:end].strip():
                scope.append((start, end))  # the lead
                break
        return scope
    last = max(about, default=-1)
    for start, end in sentences(text):
        if start > last:
            break
        if any(start <= p < end for p in about):
            scope.append((start, end))
    return scope


def detect_events(
    title: str, summary: str = "", *, about: Sequence[int] | None = None
) -> list[Event]:
    """Return every event type found where ``event_scope`` looks, most important first (the
    headline's before the body's, then by ``EVENT_KINDS``)."""
    if _FEATURE.match(title):
        return []
    text = f"{title}\n{summary}"
    found: list[Event] = []
    seen: set[EventKind] = set()
    for start, end in event_scope(title, summary, about):
        for kind, pattern, shareable in _compiled():
            if kind in seen:
                continue
            match = pattern.search(text, start, end)
            if match is None:
                continue
            seen.add(kind)
            if kind is EventKind.EARNINGS and _BAD_NEWS.search(text, start, end):
                shareable = False
            tail = _OBJECT.match(text, match.end(), end)
            evidence = (match.group(0) + (tail.group(0) if tail else "")).rstrip(".,;:'\n ")
            found.append(
                Event(kind, evidence, shareable, match.start(), match.start() + len(evidence))
            )
    return found


def badge(kind: EventKind) -> str:
    """Return the kind's digest badge ("💰 funding")."""
    return f"{EVENT_KINDS[kind].emoji} {kind}"


def is_urgent(kind: EventKind | None) -> bool:
    """Whether an event of this kind is worth an alert at once; False for no event."""
    return kind is not None and EVENT_KINDS[kind].urgent


def main_event(
    title: str, summary: str = "", *, about: Sequence[int] | None = None
) -> Event | None:
    """Return the most important event in the text, or None."""
    events = detect_events(title, summary, about=about)
    return events[0] if events else None
