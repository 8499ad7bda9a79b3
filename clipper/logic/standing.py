"""A rep's own standing (``/clip me``, ``clipper report touches --rep``): their streak of
quarters on target and how their shares did.

    quarter_streak(accounts, touches, policy, quarter)   consecutive quarters on target
    share_stats(rep, touches, feedback, useful=...)      shared, marked useful, other touches,
                                                         marked wrong

A quarter is **on target** for a rep when every account they own (today's accounts file: the
ledger does not record who owned what when) had at least its quarterly target of touches, by
anyone, in that quarter (calendar or fiscal, ``touches:``). The **streak** counts consecutive
quarters on target, newest first: the quarter asked about counts when it is on target already,
and never breaks the streak while it is still running; before the first touch on any of the
rep's accounts the ledger knows nothing, so the streak never reaches back past it. A rep who
owns no account has no streak.

Shares: Clipper sees a rep forward an article (the share button logs a touch), sees the rep
mark digest items "Not relevant" or "Not this company", and hears back when the customer found
a share useful only as the rep tells it: "Customer found it useful" under the shared item, or
``/clip useful ACCOUNT`` (one mark per share, by the rep who shared it or the account's owner).
A share counts as **marked useful** in the period it was shared in, whenever it was marked;
Clipper does not see customers' replies, so an unmarked share is not "not useful".

Reads values, returns values. Does not read the ledger, the clock, the feedback table or the
useful marks.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime

from ..types import FeedbackCounts, Touch, TouchChannel
from .touches import CoverageAccount, Quarter, TouchPolicy

#: the streak looks back at most this many quarters (ten years)
MAX_STREAK_QUARTERS = 40


@dataclass(frozen=True, slots=True)
class QuarterResult:
    """One quarter of a rep's book: how many of their accounts met the quarterly target."""

    quarter: Quarter
    accounts: int
    on_target: int

    @property
    def met(self) -> bool:
        """Every account the rep owns met its quarterly target (no accounts: never met)."""
        return self.accounts > 0 and self.on_target == self.accounts


@dataclass(frozen=True, slots=True)
class Streak:
    """A rep's consecutive quarters on target, as of ``quarter``."""

    #: the quarter asked about (this one by default)
    quarter: Quarter
    #: consecutive quarters on target, newest first (``quarter`` counted when it is met)
    quarters: int
    #: ``quarter`` is still running (the streak may grow once it is met)
    running: bool
    #: ``quarter`` itself, and the quarters before it the streak looked at, newest first
    history: tuple[QuarterResult, ...]

    @property
    def current(self) -> QuarterResult:
        """The quarter asked about."""
        return self.history[0]


def quarter_streak(
    accounts: Sequence[CoverageAccount],
    touches: Sequence[Touch],
    policy: TouchPolicy,
    now: datetime,
    *,
    quarter: Quarter | None = None,
    limit: int = MAX_STREAK_QUARTERS,
) -> Streak:
    """Return the streak of quarters on target of a rep who owns ``accounts``, ending with
    ``quarter`` (default: the one ``now`` is in).

    ``touches`` are the live touches on those accounts (voided ones left out by the caller)
    from ``limit`` quarters before ``quarter`` on; touches after ``now`` are ignored. Does not
    know who owned an account in the past.
    """
    current = policy.quarter_of(now)
    chosen = quarter or current
    counts: dict[tuple[str, Quarter], int] = {}
    first: Quarter | None = None
    names = {a.name for a in accounts}
    for touch in touches:
        if touch.account not in names or touch.touched_at > now:
            continue
        q = policy.quarter_of(touch.touched_at)
        counts[(touch.account, q)] = counts.get((touch.account, q), 0) + 1
        first = q if first is None or q < first else first
    targets = {
        a.name: policy.quarterly_target(tier=a.tier, override=a.touch_target) for a in accounts
    }

    def result(q: Quarter) -> QuarterResult:
        met = sum(1 for a in accounts if counts.get((a.name, q), 0) >= targets[a.name])
        return QuarterResult(q, len(accounts), met)

    running = chosen >= current
    head = result(chosen)
    history = [head]
    streak = 1 if head.met else 0
    if first is not None and (head.met or running):
        q = chosen.shifted(-1)
        oldest = max(first, chosen.shifted(-limit))
        while q >= oldest:
            earlier = result(q)
            history.append(earlier)
            if not earlier.met:
                break
            streak += 1
            q = q.shifted(-1)
    elif first is None:
        streak = 0
    return Streak(chosen, streak, running, tuple(history))


@dataclass(frozen=True, slots=True)
class ShareStats:
    """How a rep's shares did in a quarter and the trailing 12 months. Clipper sees what the
    rep did (shared, logged, marked wrong) and what they say the customer made of it (marked
    useful)."""

    #: articles the rep shared with a customer from a digest (each share is a touch)
    shared_quarter: int
    shared_12_months: int
    #: accounts the rep's shares reached in the trailing 12 months
    accounts_reached_12_months: int
    #: the rep's other touches this quarter (``/clip touch``, CRM imports)
    other_touches_quarter: int
    #: digest items the rep marked "Not relevant" / "Not this company" this quarter
    marked_not_relevant_quarter: int
    marked_not_this_company_quarter: int
    #: of the shares above, those the rep (or the account's owner) marked "Customer found it
    #: useful", counted in the period of the share
    useful_quarter: int = 0
    useful_12_months: int = 0

    @property
    def marked_wrong_quarter(self) -> int:
        return self.marked_not_relevant_quarter + self.marked_not_this_company_quarter


def share_stats(
    rep: str,
    touches: Sequence[Touch],
    feedback_quarter: FeedbackCounts,
    *,
    quarter_start: datetime,
    year_start: datetime,
    as_of: datetime,
    useful: Collection[tuple[str, int]] = (),
) -> ShareStats:
    """Return ``rep``'s share numbers from their live touches since ``year_start``, the
    feedback they gave this quarter and ``useful``: the (account, article id) of their shares
    marked useful. Does not count touches after ``as_of``."""
    mine = [t for t in touches if t.rep == rep and year_start <= t.touched_at <= as_of]
    shares = [t for t in mine if t.channel is TouchChannel.SLACK_SHARE]
    liked = [t for t in shares if (t.account, t.article_id) in useful]
    return ShareStats(
        shared_quarter=sum(1 for t in shares if t.touched_at >= quarter_start),
        shared_12_months=len(shares),
        accounts_reached_12_months=len({t.account for t in shares}),
        other_touches_quarter=sum(
            1
            for t in mine
            if t.channel is not TouchChannel.SLACK_SHARE and t.touched_at >= quarter_start
        ),
        marked_not_relevant_quarter=feedback_quarter.not_relevant,
        marked_not_this_company_quarter=feedback_quarter.not_this_company,
        useful_quarter=sum(1 for t in liked if t.touched_at >= quarter_start),
        useful_12_months=len(liked),
    )
