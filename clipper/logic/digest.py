"""Digest content and schedules: which matches a rep sees, in what order, and when.

    items     = the rep's new matches, one per story ("also in" the other outlets, "also about"
                the rep's other accounts it names): the story's shared headline, the lead of
                the article, its image (``logic.content``)
    rank      = score x the source's catalog weight, halved for low-value posts (jobs,
                promotions, developer blogs) unless a watch term asked for them, x recency
                (``recency_factor``: age takes at most half the rank, half of that part every
                ``recency_half_life_hours``; relevance stays dominant)
    sections  = items under their best account, ranked by rank then recency, capped per account
    digest    = sections in order of their best item, capped per digest, with a touch line each
    industry  = "Your industries": industry-only candidates, one item per story, ranked by
                industry score then recency, capped (``max_industry_items``)
    next_due  = the rep's next digest time: local time and weekdays, DST-correct, after quiet hours
    last_due  = the latest such time at or before now (a manager's weekly team digest)
    ready     = whether a due digest may be composed: the matching it depends on has run

Does not read the database, render Block Kit or talk to Slack.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from enum import Enum
from zoneinfo import ZoneInfo

from ..types import DigestKind, EventKind, TouchChannel
from .content import (
    LowValue,
    better_headline,
    low_value_kind,
    story_headline,
)
from .events import is_urgent as _urgent_kind
from .memo import ArticleFacts

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
#: the touch channel of an article shared from a digest (one share per account and article)
SHARE_CHANNEL = TouchChannel.SLACK_SHARE
#: the touch channel of ``/clip touch`` (a touch made outside Clipper)
NOTE_CHANNEL = TouchChannel.SLACK_COMMAND


@dataclass(frozen=True, slots=True)
class DigestCandidate:
    """A match on one of the rep's accounts that the rep has not been sent yet."""

    article_id: int
    account: str
    title: str
    url: str | None
    source: str | None
    published_at: datetime | None
    score: float
    reasons: tuple[str, ...] = ()
    event: EventKind | None = None
    shareable: bool = True
    story_id: int | None = None
    #: the rep who already shared it with this account's customer, if anyone
    shared_by: str | None = None
    #: set on an industry-only candidate (an article of one of the rep's accounts' industries
    #: that matched no account): its industry; ``account`` is then empty and ``score`` is the
    #: industry score
    industry: str | None = None
    #: the article's own text, best first: the feed's summary, its content, the page's text
    summary: str = ""
    content: str | None = None
    full_text: str | None = None
    #: the feed's image URL (unchecked: ``logic.content.image_url`` decides if Slack shows it)
    image: str | None = None
    #: the source feed's catalog ``weight`` (1.0 normal, 0.5 halves its rank)
    weight: float = 1.0


#: a low-value post's rank is multiplied by this unless a watch term asked for it
LOW_VALUE_FACTOR = 0.5


@dataclass(frozen=True, slots=True)
class DigestItem:
    article_id: int
    account: str
    title: str
    url: str | None
    source: str | None
    published_at: datetime | None
    score: float
    why: str
    event: EventKind | None
    shareable: bool
    #: other outlets that ran the same story
    also_in: tuple[str, ...] = ()
    #: the same story's other articles (delivered with this one, never on their own)
    also_ids: tuple[int, ...] = ()
    #: the rep who already shared it with the customer (no second share)
    shared_by: str | None = None
    #: one or two sentences of what the article says (unescaped)
    lead: str = ""
    #: an https image Slack may show beside the item (``logic.content.image_url``)
    image: str | None = None
    #: the rep's other accounts the story is about (the item is shown once, under ``account``)
    also_about: tuple[str, ...] = ()
    #: the order it is shown in: score x source weight x recency, low-value posts ranked down
    rank: float = 0.0
    #: why it was ranked down, if it was (a job post, a promotion, a developer blog)
    low_value: LowValue | None = None


@dataclass(frozen=True, slots=True)
class TouchStatus:
    """Customer touches on an account this quarter (from the touch log)."""

    this_quarter: int
    target: int
    last_touch_at: datetime | None
    #: ``touches.going_dark_days`` (None: not known, the account never counts as going dark)
    going_dark_days: int | None = None

    def due(self) -> bool:
        return self.this_quarter < self.target

    def going_dark(self, now: datetime) -> bool:
        """No touch for ``going_dark_days`` or more (or never), when that threshold is known."""
        if self.going_dark_days is None:
            return False
        if self.last_touch_at is None:
            return True
        return (now - self.last_touch_at).days >= self.going_dark_days


@dataclass(frozen=True, slots=True)
class AccountSection:
    account: str
    items: tuple[DigestItem, ...]
    touch: TouchStatus | None = None
    #: how many items the caps left out (``len(left_out)`` for a composed digest; a "Show more"
    #: page counts the items still waiting after it)
    more: int = 0
    #: the items the caps left out, ranked: reachable later ("Show N more", ``/clip news``),
    #: listed in full in Markdown, and not counted as shown in Slack until shown there
    left_out: tuple[DigestItem, ...] = ()


@dataclass(frozen=True, slots=True)
class IndustrySection:
    """The "Your industries" section: top stories of the rep's accounts' industries that
    matched no account (items have an empty ``account``)."""

    industries: tuple[str, ...]
    items: tuple[DigestItem, ...]
    #: stories left out by ``DigestPolicy.max_industry_items`` (``len(left_out)`` for a
    #: composed digest; a "Show more" page counts the stories still waiting after it)
    more: int = 0
    #: the stories the cap left out, ranked: reachable later ("Show N more",
    #: ``/clip news industries``), listed in full in Markdown, and not counted as shown in Slack
    #: until shown there
    left_out: tuple[DigestItem, ...] = ()


@dataclass(frozen=True, slots=True)
class Digest:
    rep: str
    rep_name: str | None
    created_at: datetime
    sections: tuple[AccountSection, ...]
    kind: DigestKind = DigestKind.DIGEST
    #: every article id the digest covers, shown or left out by a cap
    covered: tuple[tuple[int, str], ...] = field(default=())
    #: the "Your industries" section (None: off for the rep, or nothing to show)
    industry: IndustrySection | None = None

    @property
    def item_count(self) -> int:
        return sum(len(s.items) for s in self.sections)

    def is_empty(self) -> bool:
        return self.item_count == 0 and not (self.industry and self.industry.items)


@dataclass(frozen=True, slots=True)
class DigestPolicy:
    max_items_per_account: int = 5
    max_items: int = 30
    #: stories in the "Your industries" section (``digest.max_industry_items``)
    max_industry_items: int = 3
    #: ``digest.recency_half_life_hours``: the age at which half of what age may take from a
    #: rank is taken (0: age only breaks ties)
    recency_half_life_hours: float = 48.0


#: the most of a rank an item's age may take away: a week-old item keeps more than half its
#: rank, so a clearly more relevant old item still comes before a weak new one
RECENCY_WEIGHT = 0.5


def recency_factor(published_at: datetime | None, now: datetime, half_life_hours: float) -> float:
    """Return what an item's rank is multiplied by for its age: 1.0 when just published,
    falling towards ``1 - RECENCY_WEIGHT``, halfway there after ``half_life_hours`` (48: 0.85
    after a day, 0.75 after two, 0.54 after a week). 1.0 without a date or with a half-life of
    0. Does not rank anything."""
    if published_at is None or half_life_hours <= 0:
        return 1.0
    hours = max(0.0, (now - published_at).total_seconds() / 3600)
    return 1.0 - RECENCY_WEIGHT * (1.0 - float(0.5 ** (hours / half_life_hours)))


def _newest(group: Sequence[DigestCandidate]) -> datetime | None:
    """The newest publication time among a story's articles (None: none has one)."""
    dates = [c.published_at for c in group if c.published_at is not None]
    return max(dates) if dates else None


def _why(candidate: DigestCandidate) -> str:
    """Return the first reasons as one line ('mentions "Acme"; watch term: cobots')."""
    reasons = [r for r in candidate.reasons if not r.startswith("similarity ")]
    return "; ".join(reasons[:2]) or f"similarity {candidate.score:.2f}"


def _asked_by_watch_term(candidate: DigestCandidate) -> bool:
    return any(
        r.startswith(("watch term:", "close to the watch phrase")) for r in candidate.reasons
    )


def _low_value(candidate: DigestCandidate, facts: ArticleFacts | None = None) -> LowValue | None:
    """Return why a candidate ranks down: a low-value post no watch term asked for (through
    the tick's ``facts`` when given)."""
    if _asked_by_watch_term(candidate):
        return None
    if facts is not None:
        return facts.low_value(candidate.title, candidate.url, candidate.source)
    return low_value_kind(candidate.title, candidate.url, candidate.source)


def rank_of(candidate: DigestCandidate, facts: ArticleFacts | None = None) -> float:
    """Return a candidate's rank: its score times its source's weight, times
    ``LOW_VALUE_FACTOR`` for a low-value post no watch term asked for. Does not compare it."""
    factor = LOW_VALUE_FACTOR if _low_value(candidate, facts) is not None else 1.0
    return candidate.score * max(candidate.weight, 0.0) * factor


def _published(candidate: DigestCandidate) -> float:
    return candidate.published_at.timestamp() if candidate.published_at else 0.0


def _rank_key(
    candidate: DigestCandidate, facts: ArticleFacts | None = None
) -> tuple[float, float, int]:
    """Order candidates best first: rank, then the newest, then the lowest id."""
    return (-rank_of(candidate, facts), -_published(candidate), candidate.article_id)


def _story_content(
    ranked: Sequence[DigestCandidate], facts: ArticleFacts
) -> tuple[DigestCandidate, list[DigestCandidate], str, str | None]:
    """Return a story's headline article (the headline its outlets share, else the most
    informative), its other articles, and the lead and image to show (the headline article's,
    else the first other article that has one). A teaser no outlet bettered is replaced by the
    lead's first sentence (``logic.content.better_headline``). ``ranked``: the story's
    candidates, best first; ``facts``: the tick's lead, image and low-value memo. Does not rank
    anything."""
    articles = list({c.article_id: c for c in reversed(ranked)}.values())
    if len(articles) > 1:  # one article is its own headline
        articles.sort(key=lambda c: _rank_key(c, facts))
    headline = articles[story_headline([c.title for c in articles]) if len(articles) > 1 else 0]
    others = [c for c in articles if c.article_id != headline.article_id]
    lead = ""
    for source in (headline, *others):
        lead = facts.lead(source.title, source.summary, source.content, source.full_text)
        if lead:
            break
    image = next(
        (url for url in (facts.image(c.image) for c in (headline, *others)) if url is not None),
        None,
    )
    title, lead = better_headline(headline.title, lead, headline.source)
    if title != headline.title:
        headline = replace(headline, title=title)  # a teaser left alone: the lead says it
    return headline, others, lead, image


def _story_item(
    group: Sequence[DigestCandidate],
    facts: ArticleFacts,
    now: datetime | None = None,
    half_life_hours: float = 0.0,
) -> DigestItem:
    """Return one story's item: under its best account, naming the others, with the headline
    its outlets share and the lead and image of that article, ranked by its best article's
    rank times the recency of its newest (``recency_factor``; no ``now``: age ignored). Does
    not cap anything."""
    if len(group) == 1:
        return _lone_item(group[0], facts, now, half_life_hours)
    return _group_item(group, facts, now, half_life_hours)


def _group_item(
    group: Sequence[DigestCandidate],
    facts: ArticleFacts,
    now: datetime | None = None,
    half_life_hours: float = 0.0,
) -> DigestItem:
    """``_story_item`` of a story of any number of articles (one article: the same item as
    ``_lone_item``)."""
    ranked = sorted(group, key=lambda c: _rank_key(c, facts)) if len(group) > 1 else group
    best = ranked[0]
    accounts = tuple(dict.fromkeys(c.account for c in ranked))
    primary = accounts[0]
    headline, others, lead, image = _story_content(ranked, facts)
    own = [c for c in ranked if c.account == primary]
    return DigestItem(
        article_id=headline.article_id,
        account=primary,
        title=headline.title,
        url=headline.url,
        source=headline.source,
        published_at=headline.published_at,
        score=best.score,
        why=_why(own[0]),
        event=next((c.event for c in own if c.event), None),
        shareable=all(c.shareable for c in group),
        also_in=tuple(
            dict.fromkeys(c.source for c in others if c.source and c.source != headline.source)
        ),
        also_ids=tuple(c.article_id for c in others),
        shared_by=next((c.shared_by for c in own if c.shared_by), None),
        lead=lead,
        image=image,
        also_about=accounts[1:],
        rank=rank_of(best, facts) * _recency(group, now, half_life_hours),
        low_value=_low_value(headline, facts),
    )


def _lone_item(
    candidate: DigestCandidate,
    facts: ArticleFacts,
    now: datetime | None,
    half_life_hours: float,
) -> DigestItem:
    """``_story_item`` of a one-article story (most stories), without the bookkeeping a story
    of several articles needs: the same item. Does not cap anything."""
    c = candidate
    lead = facts.lead(c.title, c.summary, c.content, c.full_text)
    title, lead = better_headline(c.title, lead, c.source)
    low = _low_value(c, facts)
    rank = c.score * max(c.weight, 0.0) * (LOW_VALUE_FACTOR if low is not None else 1.0)
    if now is not None:
        rank *= recency_factor(c.published_at, now, half_life_hours)
    if title != c.title:  # a teaser replaced by the lead: judged by the title shown
        low = _low_value(replace(c, title=title), facts)
    return DigestItem(
        article_id=c.article_id,
        account=c.account,
        title=title,
        url=c.url,
        source=c.source,
        published_at=c.published_at,
        score=c.score,
        why=_why(c),
        event=c.event if c.event else None,
        shareable=bool(c.shareable),
        shared_by=c.shared_by if c.shared_by else None,
        lead=lead,
        image=facts.image(c.image),
        rank=rank,
        low_value=low,
    )


def _recency(
    group: Sequence[DigestCandidate], now: datetime | None, half_life_hours: float
) -> float:
    return 1.0 if now is None else recency_factor(_newest(group), now, half_life_hours)


def build_digest(
    rep: str,
    rep_name: str | None,
    candidates: Sequence[DigestCandidate],
    touches: Mapping[str, TouchStatus],
    policy: DigestPolicy,
    now: datetime,
    *,
    kind: DigestKind = DigestKind.DIGEST,
    facts: ArticleFacts | None = None,
) -> Digest:
    """Return the rep's digest: one item per story, under the best-ranked account it matched
    (the others named in ``also_about``), ranked, capped. ``facts``: the tick's memo of each
    article's lead, image and low-value kind, shared by every rep's digest (a fresh one when
    not given). Does not read watch terms: a candidate's reasons say whether one asked for
    it."""
    facts = facts if facts is not None else ArticleFacts()
    by_story: dict[int, list[DigestCandidate]] = {}
    for candidate in candidates:
        story = candidate.story_id if candidate.story_id is not None else -candidate.article_id
        by_story.setdefault(story, []).append(candidate)
    items_by_account: dict[str, list[DigestItem]] = {}
    for group in by_story.values():
        item = _story_item(group, facts, now, policy.recency_half_life_hours)
        items_by_account.setdefault(item.account, []).append(item)
    ranked = []
    for account, items in items_by_account.items():
        items.sort(key=lambda i: (-i.rank, -(i.published_at or now).timestamp(), i.article_id))
        ranked.append((account, items))
    ranked.sort(key=lambda pair: (-pair[1][0].rank, pair[0].casefold()))
    sections = []
    room = policy.max_items
    for account, items in ranked:
        shown = items[: min(policy.max_items_per_account, room)]
        room -= len(shown)
        left_out = tuple(items[len(shown) :])
        sections.append(
            AccountSection(account, tuple(shown), touches.get(account), len(left_out), left_out)
        )
    covered = tuple(sorted({(c.article_id, c.account) for c in candidates}))
    return Digest(
        rep,
        rep_name,
        now,
        tuple(s for s in sections if s.items or s.more),
        kind,
        covered,
    )


def _industry_why(industries: Sequence[str]) -> str:
    label = "industry" if len(industries) == 1 else "industries"
    return f"{label}: {', '.join(industries)}"


def build_industry_section(
    candidates: Sequence[DigestCandidate],
    policy: DigestPolicy,
    now: datetime,
    *,
    skip_stories: frozenset[int] = frozenset(),
    facts: ArticleFacts | None = None,
) -> IndustrySection | None:
    """Return the "Your industries" section: one item per story (its shared headline, lead and
    image, as an account item), ranked by industry score x source weight x recency (low-value
    posts halved), then the newest, at most ``policy.max_industry_items`` (the rest, ranked, in
    ``left_out``); None when there is nothing to show.

    ``candidates`` are industry-only candidates (``industry`` set, one per article and
    industry); stories in ``skip_stories`` (already items of an account section) are left out.
    ``facts``: the tick's memo, as for ``build_digest``. Does not decide which industries are
    the rep's or whether the section is on (the caller passes no candidates then).
    """
    facts = facts if facts is not None else ArticleFacts()
    by_story: dict[int, list[DigestCandidate]] = {}
    for candidate in candidates:
        story = candidate.story_id if candidate.story_id is not None else -candidate.article_id
        if candidate.industry is None or story in skip_stories:
            continue
        by_story.setdefault(story, []).append(candidate)
    items = []
    for group in by_story.values():
        group.sort(key=lambda c: _rank_key(c, facts))
        best = group[0]
        industries = tuple(dict.fromkeys(c.industry for c in group if c.industry))
        headline, others, lead, image = _story_content(group, facts)
        also = tuple(
            dict.fromkeys(c.source for c in others if c.source and c.source != headline.source)
        )
        items.append(
            DigestItem(
                article_id=headline.article_id,
                account="",
                title=headline.title,
                url=headline.url,
                source=headline.source,
                published_at=headline.published_at,
                score=best.score,
                why=_industry_why(industries),
                event=None,
                shareable=True,
                also_in=also,
                also_ids=tuple(dict.fromkeys(c.article_id for c in others)),
                lead=lead,
                image=image,
                rank=rank_of(best, facts) * _recency(group, now, policy.recency_half_life_hours),
                low_value=_low_value(headline, facts),
            )
        )
    if not items:
        return None
    items.sort(key=lambda i: (-i.rank, -(i.published_at or now).timestamp(), i.article_id))
    shown = items[: policy.max_industry_items]
    if not shown:
        return None
    names = tuple(sorted({c.industry for c in candidates if c.industry}))
    left_out = tuple(items[len(shown) :])
    return IndustrySection(names, tuple(shown), len(left_out), left_out)


def is_urgent(candidate: DigestCandidate) -> bool:
    return _urgent_kind(candidate.event)


def age_text(published_at: datetime | None, now: datetime) -> str:
    """Return "just now", "5 min ago", "3 h ago", "2 d ago" (no date arithmetic beyond days)."""
    if published_at is None:
        return ""
    seconds = max(0.0, (now - published_at).total_seconds())
    if seconds < 120:
        return "just now"
    if seconds < 3600:
        return f"{int(seconds // 60)} min ago"
    if seconds < 86400:
        return f"{int(seconds // 3600)} h ago"
    return f"{int(seconds // 86400)} d ago"


#: what ``%b`` gives in the C locale (Python never sets LC_TIME), without strftime's cost
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def date_text(published_at: datetime | None, now: datetime) -> str:
    """Return when an article was published: "just now", "5 min ago", "3 h ago" under a day,
    else its date ("Nov 28"), with the year when it is not this year ("Nov 28, 2013"). Does not
    convert to the rep's time zone (dates are UTC)."""
    if published_at is None:
        return ""
    seconds = (now - published_at).total_seconds()
    if 0 <= seconds < 86400 or -300 < seconds < 0:
        return age_text(published_at, now)
    day = published_at.astimezone(UTC)
    text = f"{_MONTHS[day.month - 1]} {day.day}"
    return text if day.year == now.astimezone(UTC).year else f"{text}, {day.year}"


def touch_line(status: TouchStatus | None, now: datetime) -> str:
    """Return the account's touch line: "Touches this quarter: 0 of 1 · no touch yet · due"."""
    if status is None:
        return "Touches: none recorded yet"
    parts = [f"Touches this quarter: {status.this_quarter} of {status.target}"]
    if status.last_touch_at is None:
        parts.append("no touch yet")
    else:
        days = max(0, (now - status.last_touch_at).days)
        parts.append(f"last touch {days} d ago")
    if status.due():
        parts.append("due")
    return " · ".join(parts)


def nudge_line(section: AccountSection, now: datetime) -> str | None:
    """Return the nudge under an account's heading when the account is due (below its
    quarterly target, or going dark) and the section has an article the rep may still share:
    "Acme has had no touch for 84 days; this article could be one." None otherwise. Plain
    text, not escaped; does not look at "Also about" items of other sections."""
    status = section.touch
    if status is None or not (status.due() or status.going_dark(now)):
        return None
    shareable = [i for i in section.items if i.shareable and not i.shared_by]
    if not shareable:
        return None
    which = "this article" if len(shareable) == 1 else "one of these articles"
    if status.last_touch_at is None:
        return f"{section.account} has had no touch yet; {which} could be one."
    days = max(0, (now - status.last_touch_at).days)
    if status.this_quarter and not status.going_dark(now):
        return (
            f"{section.account} has had {status.this_quarter} of {status.target} touches this "
            f"quarter; {which} could be the next."
        )
    return (
        f"{section.account} has had no touch for {days} day{'s' if days != 1 else ''}; "
        f"{which} could be one."
    )


def quarter_began(now: datetime) -> datetime:
    """Return the UTC instant the calendar quarter of ``now`` (in UTC) began."""
    day = now.astimezone(UTC).date()
    return datetime(day.year, 3 * ((day.month - 1) // 3) + 1, 1, tzinfo=UTC)


# ---------------------------------------------------------------------------------- schedules


@dataclass(frozen=True, slots=True)
class RepSchedule:
    timezone: str
    at: time
    days: tuple[str, ...]
    #: (start, end) local times; may wrap midnight ("20:00-07:00")
    quiet: tuple[time, time] | None = None


def parse_quiet_hours(value: str | None) -> tuple[time, time] | None:
    """Return ("20:00-07:00") as two times; None stays None. Raises ValueError when malformed."""
    if not value:
        return None
    start, end = (time.fromisoformat(part.strip()) for part in value.split("-"))
    return start, end


def _local(day: date, at: time, zone: ZoneInfo) -> datetime:
    """Return the UTC instant of a wall-clock time; a time the clocks skip is moved forward."""
    # fold=0: an ambiguous time (autumn) is its first occurrence; a skipped time (spring) reads
    # with the offset before the change, which lands after the gap ("02:30" is 03:30 EDT)
    return datetime.combine(day, at).replace(tzinfo=zone, fold=0).astimezone(UTC)


def in_quiet_hours(schedule: RepSchedule, instant: datetime) -> bool:
    if schedule.quiet is None:
        return False
    start, end = schedule.quiet
    now = instant.astimezone(ZoneInfo(schedule.timezone)).time()
    if start <= end:
        return start <= now < end
    return now >= start or now < end


def quiet_end(schedule: RepSchedule, instant: datetime) -> datetime:
    """Return the instant quiet hours end (``instant`` itself when they do not hold)."""
    if schedule.quiet is None or not in_quiet_hours(schedule, instant):
        return instant
    zone = ZoneInfo(schedule.timezone)
    local = instant.astimezone(zone)
    end = schedule.quiet[1]
    day = local.date() if local.time() < end else local.date() + timedelta(days=1)
    return _local(day, end, zone)


def next_due(schedule: RepSchedule, after: datetime) -> datetime:
    """Return the first digest time strictly after ``after`` on one of the rep's days, moved to
    the end of quiet hours when it falls inside them."""
    zone = ZoneInfo(schedule.timezone)
    start = after.astimezone(zone).date()
    days = {WEEKDAYS.index(d) for d in schedule.days} or set(range(7))
    for offset in range(8):
        day = start + timedelta(days=offset)
        if day.weekday() not in days:
            continue
        candidate = _local(day, schedule.at, zone)
        if candidate > after:
            return quiet_end(schedule, candidate)
    raise AssertionError("a week always holds one of the rep's days")


def last_due(schedule: RepSchedule, at: datetime) -> datetime:
    """Return the latest digest time at or before ``at`` on one of the schedule's days (moved
    to the end of quiet hours when it falls inside them). Does not look further back than two
    weeks (a schedule always has a day within one)."""
    zone = ZoneInfo(schedule.timezone)
    start = at.astimezone(zone).date()
    days = {WEEKDAYS.index(d) for d in schedule.days} or set(range(7))
    for offset in range(15):
        day = start - timedelta(days=offset)
        if day.weekday() not in days:
            continue
        candidate = quiet_end(schedule, _local(day, schedule.at, zone))
        if candidate <= at:
            return candidate
    raise AssertionError("two weeks always hold one of the schedule's days")


# ---------------------------------------------------------------------------------- readiness

#: the longest a due digest waits for the matching it depends on; then it goes out with what is
#: matched (an empty one still does not consume the schedule while matching is pending)
MATCHING_WAIT = timedelta(hours=1)


class Readiness(Enum):
    """What a digest tick may do with a rep's digest now."""

    NOT_DUE = "not due"
    #: the time has come but matching is pending: compose nothing, ask again next tick
    WAIT = "waiting for matching"
    #: the time has come and matching has run: compose; an empty digest advances the schedule
    SEND = "send"
    #: waited ``MATCHING_WAIT`` and matching is still pending: send what is matched, but an
    #: empty digest leaves the schedule as it is (the matches may still come)
    SEND_IF_ANY = "send if any"


@dataclass(frozen=True, slots=True)
class MatchingProgress:
    """What the matching a digest depends on still has to do, read at one instant."""

    #: articles fetched at or before the due time that still wait for page text or matching
    waiting_articles: int = 0
    #: feeds some process is fetching now (their new articles are not stored yet)
    feeds_in_flight: int = 0
    #: True when this process runs fetch-and-match passes itself (``clipper run``)
    runs_passes: bool = False
    #: when this process last finished a fetch-and-match pass; None: not yet
    pass_finished_at: datetime | None = None


def digest_readiness(
    due_at: datetime,
    now: datetime,
    progress: MatchingProgress,
    *,
    first: bool,
    max_wait: timedelta = MATCHING_WAIT,
) -> Readiness:
    """Decide whether a rep's digest due at ``due_at`` may be composed ``now``.

    A digest is due once its time has come AND the matching it depends on has run: nothing
    fetched by the due time waits for matching, no fetch is in flight, and (in ``clipper run``)
    a fetch-and-match pass finished after the due time (any pass for the ``first`` digest, due
    since the process began). Does not read storage or the clock.
    """
    if due_at > now:
        return Readiness.NOT_DUE
    pass_missing = progress.runs_passes and (
        progress.pass_finished_at is None or (not first and progress.pass_finished_at < due_at)
    )
    if not (pass_missing or progress.waiting_articles or progress.feeds_in_flight):
        return Readiness.SEND
    return Readiness.WAIT if now - due_at < max_wait else Readiness.SEND_IF_ANY
