"""The quarterly review pack's use case: one account's quarter (touches, contacts reached, news
and business events, articles shared, industry trends) as one frozen record.

``Clipper`` inherits it. Does not render the pack (``logic.review`` does) and does not decide
what a quarter is (``logic.touches`` does).
"""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from .config import Account, Config, Rep
from .exceptions import CommandUsageError
from .logic.clip import closest, suggestions
from .logic.crm import name_key
from .logic.review import (
    NEWS,
    ReviewNews,
    ReviewPack,
    ReviewTouch,
    contacts_reached,
    top_trends,
)
from .logic.touches import TouchPolicy, account_keys, parse_quarter
from .pipeline import Clock
from .ports import StorageType

#: roles that may see any account's pack from Slack (``rep_actions.MANAGER_ROLES``)
_ANY_ACCOUNT = frozenset({"manager", "admin"})


class ReviewPacks:
    """The review-pack part of the ``Clipper`` facade (a mixin). Does not render."""

    config: Config
    storage: StorageType
    clock: Clock

    def review_pack(
        self, account: str, *, quarter: str | None = None, rep: Rep | None = None
    ) -> ReviewPack:
        """Assemble one account's quarterly review pack for a quarter (``2026Q4``; default:
        this one). ``account`` is a name or an alias (case-insensitive), or the start of only
        one account's name; with ``rep`` only one of the rep's own accounts (any for a
        manager). Voided touches are left out. Does not render the pack.

        Raises:
            CommandUsageError: an unknown account (with the closest names), another rep's
                account, a quarter that is not a label or has not begun.
        """
        found = self._review_account(account, rep)
        policy: TouchPolicy = self.config.settings.touch_policy()
        now = self.clock()
        current = policy.quarter_of(now)
        chosen = parse_quarter(quarter) if quarter is not None else current
        if chosen > current:
            raise CommandUsageError(
                f"quarter {chosen} has not begun (this quarter is {current}"
                + (
                    f"; fiscal years start in month {policy.fiscal_year_start_month})"
                    if policy.fiscal_year_start_month != 1
                    else ")"
                )
            )
        start, end = policy.quarter_start(chosen), policy.quarter_end(chosen)
        names = {r.email: r.name for r in self.config.reps}
        touches = []
        useful = {m.touch_id for m in self.storage.useful_marks() if m.account == found.name}
        for t in self.storage.touches(account=found.name, since=start):
            if t.touched_at >= end:
                continue
            article = self.storage.article(t.article_id) if t.article_id is not None else None
            touches.append(
                ReviewTouch(
                    t.touched_at,
                    t.rep,
                    names.get(t.rep) or None,
                    t.channel,
                    t.contact,
                    t.note,
                    t.subject,
                    article.title if article else None,
                    article.url if article else None,
                    useful=t.id in useful,
                )
            )
        touches.sort(key=lambda t: t.touched_at)
        news = tuple(
            ReviewNews(
                m.title,
                m.url,
                m.source,
                m.published_at,
                m.event,
                m.reasons[0] if m.reasons else None,
            )
            for m in self.storage.account_matches(found.name, since=start, limit=500)
            if m.published_at < end
        )[:NEWS]
        trends = (
            top_trends(self.storage.industry_articles(found.industry, start, end))
            if found.industry
            else ()
        )
        zone = ZoneInfo(policy.timezone)
        return ReviewPack(
            account=found.name,
            owner=found.owner,
            industry=found.industry,
            quarter=chosen.label,
            first_day=start.astimezone(zone).date(),
            last_day=(end - timedelta(microseconds=1)).astimezone(zone).date(),
            timezone=policy.timezone,
            quarter_target=policy.quarterly_target(tier=found.tier, override=found.touch_target),
            made_at=now,
            touches=tuple(touches),
            contacts_reached=contacts_reached(touches),
            contacts_known=tuple(c.name for c in found.contacts if c.name),
            news=news,
            trends=trends,
        )

    def _review_account(self, name: str, rep: Rep | None) -> Account:
        everyone = list(self.config.accounts)
        allowed = (
            everyone
            if rep is None or rep.role in _ANY_ACCOUNT
            else [a for a in everyone if a.owner == rep.email]
        )
        target = account_keys([(a.name, a.aliases) for a in everyone]).get(name_key(name))
        named = [a for a in everyone if a.name == target]
        if not named:  # the unique account whose name begins so
            start = closest(name, [a.name for a in everyone])
            named = [a for a in everyone if a.name == start]
        for account in named[:1]:
            if account in allowed:
                return account
            raise CommandUsageError(
                f"{account.name} is not one of your accounts; its owner "
                f"({account.owner or 'nobody'}) or a manager can review it"
            )
        choices = [a.name for a in allowed]
        hint = suggestions(name, choices, plain=True)
        if not choices:
            hint = "No accounts are configured." if rep is None else hint
        elif rep is None and not hint.startswith("Did you mean"):
            hint = "Accounts: " + ", ".join(sorted(choices)[:20])
        raise CommandUsageError(f"unknown account {name!r}. {hint}")


__all__ = ["ReviewPacks"]
