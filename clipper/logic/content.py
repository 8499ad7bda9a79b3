"""What a digest item says: the article's lead, its image, its best headline, its value.

    lead_text(title, summary, content, full_text)   one or two sentences, cut on a sentence
                                                    boundary, boilerplate ("The post X appeared
                                                    first on Y", "Continue reading") and filler
                                                    sentences ("More here.", ``FILLER``) removed
    image_url(url)                                  the feed's image when Slack may show it:
                                                    https, a public host, within Slack's limit
    headline_score(title)                           how informative a headline is; teasers
                                                    ("Boom - Watch This Closely") score low
    story_headline(titles)                          the headline a story's outlets share, else
                                                    the most informative one
    better_headline(title, lead, source)            a teaser left alone ("Watch this closely")
                                                    replaced by the lead's first sentence
    low_value_kind(title, url, source)              job and promotional posts and a company's
                                                    developer blog

Does not read the database, fetch images or render Block Kit.
"""

from __future__ import annotations

import enum
import functools
import itertools
import re
from collections import Counter
from collections.abc import Iterator, Sequence
from urllib.parse import urlsplit

from .netpolicy import parse_address, refusal

#: the lead's character budget: two short sentences, read in five seconds
LEAD_CHARS = 280
#: at most this many sentences of the lead
LEAD_SENTENCES = 2
#: Slack's limit on an image URL (image element ``image_url``)
MAX_IMAGE_URL = 3000
#: Slack's limit on an image's ``alt_text``
MAX_ALT_TEXT = 2000

_SPACE = re.compile(r"\s+")
_BOILERPLATE = (
    # WordPress: "The post <title> appeared first on <site>."
    re.compile(r"\bThe post\b.{0,400}?\bappeared first on\b.{0,200}$", re.I | re.S),
    re.compile(r"\b(Continue|Keep) reading\b.*$", re.I | re.S),
    # the last sentence only: a filler sentence before news is dropped by ``is_filler``
    re.compile(r"\bRead (the )?(full|more|rest)\b[^.!?]{0,80}[.!?…]*$", re.I | re.S),
    re.compile(r"\bClick here to\b[^.!?]{0,120}[.!?…]*$", re.I | re.S),
    re.compile(
        r"\bThis (article|story) (was )?(originally )?(first )?(appeared|published)\b.*$",
        re.I | re.S,
    ),
    re.compile(r"\[(…|\.\.\.|&hellip;)\]|\((more|read more)…?\)", re.I),
)
#: a cheap necessary condition for a boilerplate pattern (by its text): it can only match when
#: the lower-cased text holds one of these. They avoid "i", "k" and "s", the only ASCII letters
#: other characters match under re.I (U+0130, U+0131, U+212A, U+017F), so skipping a pattern
#: never changes the result; a pattern not listed here always runs.
_BOILERPLATE_NEEDS: dict[str, tuple[str, ...]] = {
    _BOILERPLATE[0].pattern: ("appeared",),
    _BOILERPLATE[1].pattern: ("read",),
    _BOILERPLATE[2].pattern: ("read ",),
    _BOILERPLATE[3].pattern: ("here to",),
    _BOILERPLATE[4].pattern: ("appeared", "publ"),
    _BOILERPLATE[5].pattern: ("[", "("),
}
#: each pattern with the words it needs (empty: always run)
_BOILERPLATE_CHECKS = tuple((p, _BOILERPLATE_NEEDS.get(p.pattern, ())) for p in _BOILERPLATE)
#: filler sentences: a sentence that starts with one of ``FILLER`` and has at most
#: ``FILLER_WORDS`` words ("More here.", "Read more.", "Click here to read the full story.",
#: "Details below."), or is one of ``FILLER_ALONE`` and punctuation ("More."), says nothing
#: about the article; the lead leaves it out wherever it stands
FILLER = (
    "click here",
    "tap here",
    "read more",
    "read on",
    "read the full",
    "read the rest",
    "read the whole",
    "more here",
    "more below",
    "details below",
    "details here",
    "full details",
    "full story",
    "find out more",
    "learn more",
    "see more",
    "watch the video",
)
FILLER_ALONE = ("more", "details", "video", "photos", "link")
FILLER_WORDS = 8
_FILLER = re.compile(r"^[\W_]*(?:" + "|".join(re.escape(p) for p in FILLER) + r")\b", re.I)
_FILLER_ALONE = re.compile(r"^[\W_]*(?:" + "|".join(FILLER_ALONE) + r")[\s.!?:…»›→>)\]-]*$", re.I)
#: what both filler patterns start with: a sentence that does not is never filler
_FILLER_START = re.compile(
    r"^[\W_]*(?:" + "|".join(re.escape(p) for p in (*FILLER, *FILLER_ALONE)) + ")", re.I
)
#: words that end in a full stop without ending a sentence
_ABBREVIATIONS = frozenset(
    "mr mrs ms dr prof sr jr st inc corp co ltd llc plc no vs etc jan feb mar apr jun jul aug "
    "sep sept oct nov dec u.s u.k e.g i.e a.m p.m approx dept est fig gen gov sen rep".split()
)
_SENTENCE_END = re.compile(r"[.!?][\"'”’)\]]*(?=\s+[\"'“‘(\[]?[A-Z0-9])")
#: a word in any script ("AT&T", "U.S.", "Оренбург", "$85" counts as "85")
_WORD = re.compile(r"[^\W_][\w'’&.-]*")


def clean_text(text: str | None) -> str:
    """Return ``text`` on one line with feed boilerplate removed. Does not cut it."""
    if not text:
        return ""
    text = " ".join(text.split())  # the same as _SPACE.sub(" ", text).strip(), faster
    lowered = text.lower()  # removing boilerplate only shortens it: the test stays necessary
    for pattern, needs in _BOILERPLATE_CHECKS:
        if needs:
            for need in needs:  # a loop, not any(): this runs for every item of a tick
                if need in lowered:
                    break
            else:
                continue  # cannot match (and the text is already stripped)
        text = pattern.sub("", text).strip()
    return text


def sentences(text: str) -> list[str]:
    """Split one line of prose into sentences (abbreviations and initials do not end one)."""
    return list(iter_sentences(text))


def iter_sentences(text: str) -> Iterator[str]:
    """``sentences(text)`` one at a time, splitting no further than the caller reads."""
    start = 0
    for found in _SENTENCE_END.finditer(text):
        end = found.end()
        stop = found.start()
        if text[stop] == ".":
            # the word the full stop ends: from the last white space before it (not before
            # ``start``); the mark itself is never white space, so there is always one
            first = stop
            while first > start and not text[first - 1].isspace():
                first -= 1
            last = text[first : stop + 1].rstrip(".").lower()
            if last in _ABBREVIATIONS or (len(last) == 1 and last.isalpha()):
                continue
        yield text[start:end].strip()
        start = end
    rest = text[start:].strip()
    if rest:
        yield rest


def is_filler(sentence: str) -> bool:
    """True when a sentence is feed filler (``FILLER``: "More here.", "Read more.", "Click here
    to see the video."), not news. Does not look at the rest of the text."""
    if not _FILLER_START.match(sentence):  # nearly every sentence: one look, not two
        return False
    if _FILLER_ALONE.match(sentence):
        return True
    return bool(_FILLER.match(sentence)) and len(sentence.split()) <= FILLER_WORDS


def _ends_sentence(sentence: str) -> bool:
    return sentence.rstrip("\"'”’)]").endswith((".", "!", "?"))


#: words a phrase does not end on: a text ending in one was cut short ("covered by every")
_DANGLING = frozenset(
    "a an the of to in on at by for from with without into onto about as and or but nor than "
    "that which who whose whom when where while if because so is are was were be been has have "
    "had will would can could should may might must its their his her our your my this these "
    "those every each some any no not very more most such".split()
)


def _cut_by_feed(text: str) -> bool:
    """True when a text without a sentence end looks cut short by its feed: it ends on a word
    a phrase does not end on ("... covered by every"), or on a comma, colon or dash. A phrase
    that is whole ("Fox hires Gorka as its strategist") is not. Does not look at the length."""
    if _ends_sentence(text) or text.endswith(("…", "...")):
        return False
    if text.rstrip().endswith((",", ";", ":", "-", "–", "—")):
        return True
    words = text.split()
    return bool(words) and words[-1].strip("\"'“”‘’()[]").casefold() in _DANGLING


def cut_words(text: str, limit: int) -> str:
    """Return ``text`` within ``limit`` characters, cut after a whole word with an ellipsis.
    Does not cut mid-word (a single word longer than the limit is the only exception)."""
    if len(text) <= limit:
        return text
    head = text[: limit - 1]
    if text[limit - 1] != " " and " " in head:
        head = head.rsplit(" ", 1)[0]
    return head.rstrip(" ,;:-–—") + "…"


def _without_title(text: str, title: str) -> str:
    """Drop the headline when a feed repeats it at the start of its summary."""
    clean_title = " ".join(title.split())  # _SPACE.sub(" ", title).strip(), faster
    if clean_title and text.casefold().startswith(clean_title.casefold()):
        return text[len(clean_title) :].lstrip(" .:-–—|")
    return text


def _count_words(text: str, most: int) -> int:
    """Return how many words (``_WORD``) ``text`` has, counting no further than ``most``."""
    return len(list(itertools.islice(_WORD.finditer(text), most)))


def _fewer_words(text: str, count: int) -> bool:
    """True when ``text`` has fewer than ``count`` words (``_WORD``); stops at ``count``, so a
    long text costs no more than a short one. Does not count beyond ``count``."""
    return len(list(itertools.islice(_WORD.finditer(text), count))) < count


def lead_text(
    title: str,
    *texts: str | None,
    budget: int = LEAD_CHARS,
    max_sentences: int = LEAD_SENTENCES,
) -> str:
    """Return one or two sentences of the first of ``texts`` (summary, content, full text)
    that says something beyond the headline, within ``budget`` characters.

    Whole sentences are kept while they fit; a first sentence longer than the budget is cut
    after a whole word with "…" (the only cut). A text without a sentence end that fits the
    budget is kept whole, as the feed wrote it ("Fox hires Gorka as its strategist"); it ends
    in "…" only when it looks cut short by the feed (``_cut_by_feed``: "... covered by every").
    A sentence without an end after a whole one is left out. Filler sentences
    (``is_filler``) are left out wherever they stand. Does not escape anything (the renderers
    do).
    """
    for raw in texts:
        text = _without_title(clean_text(raw), title)
        if _fewer_words(text, 4):
            continue
        chosen: list[str] = []
        size = 0
        kept: list[str] = []
        words = 0  # of the kept sentences, counted up to 4 (words never span two sentences)
        for sentence in iter_sentences(text):
            if is_filler(sentence):
                continue
            kept.append(sentence)
            if words < 4:
                words += _count_words(sentence, 4 - words)
            elif len(kept) >= max_sentences:
                break  # the rest is neither shown nor needed to count four words
        if words < 4:
            continue
        for sentence in kept[:max_sentences]:
            extra = len(sentence) + (1 if chosen else 0)
            if chosen and (size + extra > budget or not _ends_sentence(sentence)):
                break
            chosen.append(sentence)
            size += extra
        lead = " ".join(chosen)
        if len(lead) <= budget and _cut_by_feed(lead):
            lead = lead.rstrip(" ,;:-–—") + "…"  # the feed cut its summary mid-sentence: say so
        return cut_words(lead, budget)
    return ""


# ------------------------------------------------------------------------------------ images

_LOCAL_SUFFIXES = (".local", ".localhost", ".internal", ".lan", ".home", ".corp", ".intranet")
#: Slack shows png, jpg and gif: a URL that names another format would fail to download
_NOT_SHOWN_FORMATS = re.compile(r"\.(webp|svg|svgz|avif|heic|bmp|tiff?|ico|mp4|webm|mov)$", re.I)
#: tracking pixels, spacers and author avatars are not the article's picture
_NOT_A_PICTURE = re.compile(
    r"(^|[/_.-])(pixel|1x1|spacer|blank|tracking|beacon)([/_.-]|$)|/~r/|gravatar\.com/avatar|"
    r"feeds\.feedburner\.com",
    re.I,
)


#: a last host label no DNS name has (top-level domains are never numeric): an IPv4 address
#: written in a short, octal or hex form that ``ipaddress`` does not read but resolvers do
_NUMERIC_LABEL = re.compile(r"(?:0x[0-9a-f]*|[0-9]+)")


#: what ``parse_address`` may read as an address: IPv4 is ASCII digits and dots, IPv6 has a colon
_MAYBE_ADDRESS = re.compile(r"[0-9.]+|.*:.*", re.S)


@functools.lru_cache(maxsize=4096)
def image_url(url: str | None) -> str | None:
    """Return ``url`` when Slack may show it as an item's image, else None (cached: a digest
    item's image is checked where it is built and again where it is rendered).

    Only ``https`` URLs of a public host name or address, without credentials, spaces or
    control characters, at most ``MAX_IMAGE_URL`` characters; not a format Slack does not show
    (``.webp``, ``.svg`` ...) and not a tracking pixel, spacer or avatar. Does not fetch the
    image.
    """
    if not url or len(url) > MAX_IMAGE_URL or not url.startswith("https://"):
        return None
    # every white space but " " is unprintable: one C-level scan, then the few characters
    if not url.isprintable() or any(c in url for c in " <>|\"'\\"):
        return None
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    host = (parts.hostname or "").rstrip(".").lower()
    if not host or parts.username is not None or port not in (None, 443):
        return None
    if _NOT_SHOWN_FORMATS.search(parts.path) or _NOT_A_PICTURE.search(url):
        return None
    if _MAYBE_ADDRESS.fullmatch(host.split("%", 1)[0]):  # else ipaddress would only refuse it
        address = parse_address(host)
        if address is not None:
            return url if refusal(address) is None else None
    if "." not in host or host == "localhost" or host.endswith(_LOCAL_SUFFIXES):
        return None
    if _NUMERIC_LABEL.fullmatch(host.rsplit(".", 1)[-1]):
        return None  # no name ends in a number: an address written short (127.1, 0177.0.0.1)
    return url


def alt_text(title: str) -> str:
    """Return an image's alt text: the headline, within Slack's limit (never empty)."""
    return cut_words(" ".join(title.split()), 150) or "article image"


# ---------------------------------------------------------------------------------- headlines

_STOPWORDS = frozenset(
    "a an the and or but of to in on at for with by from as is are was were be been it its "
    "this that these those you your we our us they them their he she his her i me my what "
    "why how who when where which here there just now all any some more most very so not no "
    "do does did can could will would should may might must has have had into about over "
    "than then up down out off if".split()
)
_TEASERS = re.compile(
    r"\b(watch this|watch closely|boom|wow|omg|you won'?t believe|must[- ]see|"
    r"must[- ]read|here'?s (why|what|how)|this is (why|what|how)|what you need to know|"
    r"find out|guess what|shocking|jaw[- ]dropping|mind[- ]blowing|could change everything|"
    r"don'?t miss|stay tuned|big news|huge news)\b",
    re.I,
)
#: a word or phrase every ``_TEASERS`` match holds, lower-cased (each alternative names one)
_TEASER_WORDS = (
    "watch",
    "boom",
    "wow",
    "omg",
    "believe",
    "must",
    "here",
    "this is ",
    "need to know",
    "find out",
    "guess what",
    "shocking",
    "dropping",
    "blowing",
    "change everything",
    "miss",
    "stay tuned",
    "big news",
    "huge news",
)


def _ascii_lacks(text: str, words: Sequence[str]) -> bool:
    """True when ``text`` is ASCII and its lower-cased form holds none of ``words``: then a
    case-insensitive pattern each of whose matches holds one of them cannot match (in ASCII
    text, ``re.I`` is plain ASCII case folding). False says nothing: the pattern decides.
    A few C substring scans, several times cheaper than the patterns' search."""
    if not text.isascii():
        return False
    lowered = text.lower()
    for word in words:  # a loop, not all(): this runs for every item of a tick
        if word in lowered:
            break
    else:
        return True
    return False


def _has_teaser(title: str) -> bool:
    """``bool(_TEASERS.search(title))``, without the search for a title that cannot match."""
    return not _ascii_lacks(title, _TEASER_WORDS) and _TEASERS.search(title) is not None


def content_words(title: str) -> list[str]:
    """Return the words of a headline that carry content (no stop words, no one-letter words)."""
    return [
        w for w in _WORD.findall(title) if len(w) > 1 and w.lower().strip(".") not in _STOPWORDS
    ]


def headline_score(title: str) -> float:
    """Score how informative a headline is: content words, names and figures count for it;
    teaser phrases, few words, exclamations and questions count against it. Does not look at
    the article's body."""
    words = content_words(title)
    score = float(min(len(words), 12))
    # names and figures are facts: "AT&T", "CNN", "$85 billion", "Q3"
    score += 0.5 * min(sum(1 for w in words[1:] if w[0].isupper() or w[0].isdigit()), 6)
    if _has_teaser(title):
        score -= 6
    if len(words) < 4:
        score -= 3
    if title.rstrip().endswith("!"):
        score -= 2
    if title.rstrip().endswith("?"):
        score -= 1
    return score


def is_teaser(title: str) -> bool:
    """True when a headline is a teaser or clickbait line rather than news."""
    return _has_teaser(title) or len(content_words(title)) < 3


def _normal(title: str) -> str:
    return " ".join(w.casefold() for w in _WORD.findall(title))


def story_headline(titles: Sequence[str]) -> int:
    """Return the index of a story's headline among its articles' ``titles`` (best article
    first): the headline two or more outlets share, unless it is a teaser; else the most
    informative (``headline_score``), the earlier one on a tie. Does not rewrite titles."""
    if not titles:
        raise ValueError("a story has at least one article")
    normal = [_normal(t) for t in titles]
    counts = Counter(n for n in normal if n)
    best = max(
        range(len(titles)),
        key=lambda i: (
            counts[normal[i]] >= 2 and not is_teaser(titles[i]),
            headline_score(titles[i]),
            -i,
        ),
    )
    return best


#: a headline made of the lead is at most this long (cut after a whole word)
HEADLINE_CHARS = 140


def needs_better_headline(title: str) -> bool:
    """True when a headline says nothing on its own: a teaser phrase ("Boom - Watch This
    Closely", "You won't believe ...") or no content word at all. Does not judge short but
    factual headlines ("Acme IPO")."""
    return not _has_content_word(title) or _has_teaser(title)


def _has_content_word(title: str) -> bool:
    """``bool(content_words(title))``, stopping at the first such word."""
    for found in _WORD.finditer(title):
        word = found.group()
        if len(word) > 1 and word.lower().strip(".") not in _STOPWORDS:
            return True
    return False


def better_headline(title: str, lead: str, source: str | None) -> tuple[str, str]:
    """Return (headline, lead) for an item whose headline may be a teaser: a teaser is replaced
    by the lead's first sentence (cut after a whole word at ``HEADLINE_CHARS``), which then
    leaves the lead; without a lead, "<Source>: <teaser>" (never the teaser alone when the
    source is known). A headline that is news comes back as it is. Does not escape anything."""
    if not needs_better_headline(title):
        return title, lead
    parts = sentences(lead)
    if parts:
        first = parts[0]
        if len(first) <= HEADLINE_CHARS:
            return first, " ".join(parts[1:])
        return cut_words(first, HEADLINE_CHARS), lead
    clean = _SPACE.sub(" ", title).strip()
    return (f"{source}: {clean}" if source and clean else clean or title), lead


# -------------------------------------------------------------------------------- low value


class LowValue(enum.StrEnum):
    """Why a post is ranked below third-party business news."""

    JOBS = "job post"
    PROMOTION = "promotional post"
    DEVELOPER_BLOG = "developer blog"


# a company advertising itself, not news about it: "Job openings rise" (a labour report) and
# "X is hiring 500" (an expansion) are news; "We're hiring" and "Join our team" are posts
_JOBS = re.compile(
    r"\b(we'?re hiring|we are hiring|now hiring|hiring event|join our team|apply now|apply today|"
    r"job fair|careers at|open positions|internship program(me)?|vacancy:)",
    re.I,
)
_PROMO = re.compile(
    r"\b(webinars?|register (now|today|here)|sign up (now|today|here)|free trial|promo code|"
    r"discount code|coupon|\d+% off|sponsored (post|content)|\[sponsored\]|giveaway|live demo|"
    r"download (our|the|a|this) (free )?(e-?book|white ?paper|guide|report)|"
    r"join us (at|for|on)|save the date|limited[- ]time offer)",
    re.I,
)
_JOB_PATHS = re.compile(r"/(jobs?|careers?|hiring|vacancies)(/|$|\.)", re.I)
_PROMO_PATHS = re.compile(r"/(webinars?|promo(tions?)?|sponsored|offers?)(/|$|\.)", re.I)
_DEV_HOSTS = re.compile(r"^(developers?|dev|engineering|devblogs?|techblog)\.", re.I)
_DEV_PATHS = re.compile(
    r"/(developers?|engineering|devblogs?|dev-blog|developer-blog|techblog|tech-blog)(/|$)",
    re.I,
)
_DEV_SOURCES = re.compile(
    r"\b(developers?|engineering|dev) blog\b|\bfor developers\b|\bdevblog\b|\btech blog\b", re.I
)


#: cheap first looks: a title or path neither pattern matches (nearly every one) is decided by
#: one search instead of two or three; where one matches, the patterns above decide as before
_TITLE_ANY = re.compile(f"(?:{_JOBS.pattern})|(?:{_PROMO.pattern})", re.I)
#: a word or phrase every ``_TITLE_ANY`` match holds, lower-cased (each alternative names one)
_TITLE_WORDS = (
    "hiring",
    "join our team",
    "apply ",
    "job fair",
    "careers at",
    "open positions",
    "internship program",
    "vacancy:",
    "webinar",
    "register ",
    "sign up ",
    "free trial",
    "promo code",
    "discount code",
    "coupon",
    "% off",
    "sponsored",
    "giveaway",
    "live demo",
    "download ",
    "join us ",
    "save the date",
    "time offer",
)
_PATH_ANY = re.compile(
    f"(?:{_DEV_PATHS.pattern})|(?:{_JOB_PATHS.pattern})|(?:{_PROMO_PATHS.pattern})", re.I
)


@functools.lru_cache(maxsize=1024)
def _developer_source(source: str | None) -> bool:
    """True when a source's name says it is a developer blog (a tick has few sources)."""
    return bool(_DEV_SOURCES.search(source or ""))


def _host_and_path(url: str | None) -> tuple[str, str]:
    """Return an http(s) URL's lower-cased host and its path as ``urlsplit`` gives them ("" and
    "" for anything else). A plain URL (printable ASCII, no space, no brackets) is split here,
    which is several times cheaper; any other goes through ``urlsplit``. Does not validate."""
    if not url or not url.startswith(("http://", "https://")):
        return "", ""
    if not (url.isascii() and url.isprintable()) or " " in url or "[" in url or "]" in url:
        parts = urlsplit(url)
        return parts.hostname or "", parts.path
    rest = url[url.index("//") + 2 :]
    end = len(rest)
    for mark in "/?#":
        found = rest.find(mark, 0, end)
        if found >= 0:
            end = found
    netloc, path = rest[:end], rest[end:]
    for mark in "?#":
        found = path.find(mark)
        if found >= 0:
            path = path[:found]
    host = netloc.rpartition("@")[2].partition(":")[0]
    return host.lower(), path


@functools.lru_cache(maxsize=8192)
def low_value_kind(title: str, url: str | None, source: str | None) -> LowValue | None:
    """Return why a post is low-value for a sales rep (a job post, a promotion, a company's
    developer or engineering blog), judged by its headline, URL path and host, and source
    name; None for ordinary news. Does not look at the account or at watch terms."""
    host, path = _host_and_path(url)
    in_path = _PATH_ANY.search(path) is not None
    if _DEV_HOSTS.match(host) or (in_path and _DEV_PATHS.search(path)) or _developer_source(source):
        return LowValue.DEVELOPER_BLOG
    in_title = not _ascii_lacks(title, _TITLE_WORDS) and _TITLE_ANY.search(title) is not None
    if (in_title and _JOBS.search(title)) or (in_path and _JOB_PATHS.search(path)):
        return LowValue.JOBS
    if (in_title and _PROMO.search(title)) or (in_path and _PROMO_PATHS.search(path)):
        return LowValue.PROMOTION
    return None
