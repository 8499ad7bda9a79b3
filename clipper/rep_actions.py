"""What a rep (or a manager) asks of Clipper: watch terms, mutes, settings, touches, the latest
news on an account, a share's draft note and the team's touch coverage.

``Clipper`` inherits these methods (``class Clipper(RepActions)``), so the Slack app, the CLI
and a future web page call the same rules and get the same values back: frozen records and
numbers, never Slack text. Does not parse what a rep typed (``logic.clip`` does) and does not
render anything (the Slack app words the answers; ``logic.blockkit`` renders digests).

Refusals are ``CommandUsageError`` whose message is shown to the rep as it is (names the rep
typed are escaped for Slack's mrkdwn there, as before).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from .config import Account, Config, Contact, Rep
from .digests import Digests, share_notes
from .exceptions import CommandUsageError
from .logic.blockkit import cut, escape_name
from .logic.clip import DEFAULT_MUTE_DAYS, closest, split_account, suggestions
from .logic.contacts import split_contact
from .logic.digest import (
    NOTE_CHANNEL,
    SHARE_CHANNEL,
    AccountSection,
    DigestItem,
    IndustrySection,
    TouchStatus,
    build_digest,
    build_industry_section,
    next_due,
)
from .logic.notes import NoteTarget, note_kind
from .pipeline import Clock
from .ports import StorageType
from .types import (
    AccountActivity,
    ActivityCounts,
    BrokenFeed,
    NoteKind,
    OwnerCoverage,
    RepSetting,
    Share,
    Touch,
    TouchReport,
    UsefulMark,
)

#: roles that see every account and the team report
MANAGER_ROLES = frozenset({"manager", "admin"})


@dataclass(frozen=True, slots=True)
class UsefulMarked:
    """A share after ``mark_useful``: its mark (the first one when ``already``) and touch."""

    mark: UsefulMark
    #: the share's ledger touch (its account, article and rep)
    touch: Touch
    #: it had been marked before: nothing changed
    already: bool


@dataclass(frozen=True, slots=True)
class WatchTermAdded:
    """What ``add_watch_term`` did."""

    term: str
    #: the accounts the term was asked for
    accounts: tuple[str, ...]
    #: those it was new on (empty: it was on all of them already)
    added: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class WatchTermRemoved:
    """What ``remove_watch_term`` did."""

    term: str
    #: how many stored terms were removed (any account)
    removed: int
    #: the rep's stored terms, sorted and distinct, when nothing was removed
    remaining: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class RepWatchTerm:
    """One of a rep's watch terms on an account."""

    account: str
    term: str
    #: from the accounts file (not removable with ``/clip remove``), not stored by the rep
    configured: bool = False


@dataclass(frozen=True, slots=True)
class AccountTouch:
    """An account and its touches this quarter (None: no status known)."""

    account: str
    status: TouchStatus | None


@dataclass(frozen=True, slots=True)
class RepAccounts:
    """The accounts a rep owns with their touch status, as of ``now``."""

    now: datetime
    accounts: tuple[AccountTouch, ...]


@dataclass(frozen=True, slots=True)
class NewsItem:
    """One recent match on an account."""

    title: str | None
    url: str | None
    source: str | None
    #: the first reason the article matched, if any
    why: str | None


@dataclass(frozen=True, slots=True)
class LeftOut:
    """What the rep's digests left out on one account (over their caps) and nothing has shown
    since: the next page of it, ranked and one item per story as in a digest."""

    account: str
    #: the page: at most the limit asked for
    items: tuple[DigestItem, ...]
    #: items still waiting after this page
    remaining: int
    touch: TouchStatus | None
    now: datetime

    def section(self, *, more: int | None = None) -> AccountSection:
        """Return the page as a digest section (``more``: the count its button offers)."""
        return AccountSection(
            self.account, self.items, self.touch, self.remaining if more is None else more
        )


@dataclass(frozen=True, slots=True)
class IndustryLeftOut:
    """What the rep's "Your industries" sections left out (over ``max_industry_items``) and
    nothing has shown since: the next page of it, ranked and one item per story as in a
    digest (items have an empty ``account``)."""

    #: the industries the page is about: the rep's accounts' (or the one asked for)
    industries: tuple[str, ...]
    #: the page: at most the limit asked for
    items: tuple[DigestItem, ...]
    #: stories still waiting after this page
    remaining: int
    now: datetime

    def section(self, *, more: int | None = None) -> IndustrySection:
        """Return the page as a "Your industries" section (``more``: what its button offers)."""
        return IndustrySection(
            self.industries, self.items, self.remaining if more is None else more
        )


@dataclass(frozen=True, slots=True)
class AccountNews:
    """The latest matches on one account, newest first, after what the rep's digests left out
    and nothing has shown since (``left_out``)."""

    account: str
    #: the latest matches, less those on ``left_out``'s page
    items: tuple[NewsItem, ...]
    left_out: LeftOut | None = None


@dataclass(frozen=True, slots=True)
class Muted:
    """What ``mute`` muted, and until when."""

    kind: Literal["account", "source"]
    target: str
    until: datetime


@dataclass(frozen=True, slots=True)
class SettingChanged:
    """A rep's digest setting after ``change_setting``, and the digest it moved."""

    setting: RepSetting
    value: str
    next_digest_at: datetime
    #: the rep's time zone after the change (IANA name)
    timezone: str


@dataclass(frozen=True, slots=True)
class TouchLogged:
    """A touch logged with ``log_touch``."""

    account: str
    note: str
    #: the contact ``with NAME`` named (None: nobody)
    contact: str | None = None


@dataclass(frozen=True, slots=True)
class ShareDraft:
    """The pre-filled note for sharing an article, and who it goes to (None: no contact)."""

    note: str
    contact: Contact | None
    #: which template wrote it
    kind: NoteKind = NoteKind.DEFAULT


class RepActions:
    """The rep-facing half of the ``Clipper`` facade (a mixin: ``Clipper`` provides the
    attributes below). Does not render answers and does not talk to Slack."""

    config: Config
    storage: StorageType
    clock: Clock
    digests: Digests

    # ------------------------------------------------------------------ who and what

    def find_rep(self, *, slack_id: str | None = None, email: str | None = None) -> Rep | None:
        """Return the configured rep with this Slack id (checked first) or email; None when
        none is configured. Does not ask Slack."""
        if slack_id is not None:
            for rep in self.config.reps:
                if rep.slack_id == slack_id:
                    return rep
        if email is not None:
            for rep in self.config.reps:
                if rep.email == email:
                    return rep
        return None

    def stored_slack_email(self, user_id: str) -> str | None:
        """Return the email remembered for a Slack user id, if any. Does not ask Slack."""
        return self.storage.email_of_slack_user(user_id)

    def is_manager(self, rep: Rep) -> bool:
        return rep.role in MANAGER_ROLES

    def accounts_of(self, rep: Rep) -> list[Account]:
        """The accounts a rep may act on: all of them for managers, else the rep's own."""
        if self.is_manager(rep):
            return list(self.config.accounts)
        return list(self.owned(rep))

    def owned(self, rep: Rep) -> tuple[Account, ...]:
        """The accounts the rep owns (managers included: not the whole team)."""
        return self.config.accounts_by_owner.get(rep.email, ())

    def account_for(self, rep: Rep, name: str) -> Account:
        """Return the rep's account closest to ``name``.

        Raises:
            CommandUsageError: none of the rep's accounts is close, with suggestions.
        """
        mine = self.accounts_of(rep)
        found = closest(name, [a.name for a in mine])
        if found is None:
            raise CommandUsageError(
                f"no account of yours is called {_echo(name)}. "
                + suggestions(name, [a.name for a in mine])
            )
        return next(a for a in mine if a.name == found)

    def remember_request(self, key: str) -> bool:
        """Record a request key (a Slack trigger, a click); False when it was seen before."""
        return self.storage.remember_request(key, self.clock())

    # ------------------------------------------------------------------ watch terms

    def add_watch_term(self, rep: Rep, term: str, account: str | None = None) -> WatchTermAdded:
        """Watch ``term`` on ``account`` (the closest of the rep's), or on every account the rep
        owns. Does not validate the term (``logic.clip.parse_clip`` did).

        Raises:
            CommandUsageError: no such account, or the rep owns none.
        """
        now = self.clock()
        if account is not None:
            targets = [self.account_for(rep, account)]
        else:
            targets = list(self.owned(rep))
            if not targets:
                raise CommandUsageError(
                    "you own no accounts; add it to one: `/clip add TERM to ACCOUNT`"
                )
        added = tuple(
            a.name for a in targets if self.storage.add_watch_term(rep.email, a.name, term, now)
        )
        return WatchTermAdded(term, tuple(a.name for a in targets), added)

    def remove_watch_term(self, rep: Rep, term: str) -> WatchTermRemoved:
        """Remove a rep's stored term from every account (case-insensitive)."""
        removed = self.storage.remove_watch_term(rep.email, term)
        if removed:
            return WatchTermRemoved(term, removed)
        remaining = sorted({w.term for w in self.storage.watch_terms(rep.email)})
        return WatchTermRemoved(term, 0, tuple(remaining))

    def watch_terms_of(self, rep: Rep) -> tuple[RepWatchTerm, ...]:
        """The rep's stored terms, then the terms the accounts file gives the accounts they
        own."""
        stored = [RepWatchTerm(w.account, w.term) for w in self.storage.watch_terms(rep.email)]
        configured = [RepWatchTerm(a.name, t, True) for a in self.owned(rep) for t in a.watch]
        return tuple(stored + configured)

    # ------------------------------------------------------------------ accounts and news

    def rep_accounts(self, rep: Rep) -> RepAccounts:
        """The accounts the rep owns with their touches this quarter."""
        now = self.clock()
        mine = self.owned(rep)
        statuses = self.digests.touch_statuses([a.name for a in mine], now)
        return RepAccounts(now, tuple(AccountTouch(a.name, statuses.get(a.name)) for a in mine))

    def account_news(
        self, rep: Rep, name: str, *, limit: int = 5, left_out_limit: int = 0
    ) -> AccountNews:
        """The latest matches on the rep's account closest to ``name``; with
        ``left_out_limit``, first the next page of what the rep's digests left out. Does not
        mark anything shown (``mark_shown`` does, once it is shown).

        Raises:
            CommandUsageError: none of the rep's accounts is close.
        """
        account = self.account_for(rep, name)
        page = self.left_out(rep, account.name, limit=left_out_limit) if left_out_limit else None
        paged = {
            i for item in (page.items if page else ()) for i in (item.article_id, *item.also_ids)
        }
        latest = self.storage.account_matches(account.name, limit=limit + len(paged))
        items = tuple(
            NewsItem(m.title, m.url, m.source, m.reasons[0] if m.reasons else None)
            for m in latest
            if m.article_id not in paged
        )[:limit]
        return AccountNews(account.name, items, page)

    def left_out(self, rep: Rep, name: str, *, limit: int = 20) -> LeftOut:
        """The next ``limit`` items the rep's digests left out on the rep's account closest to
        ``name`` (their caps) that nothing has shown since. Does not mark them shown.

        Raises:
            CommandUsageError: none of the rep's accounts is close.
        """
        account = self.account_for(rep, name)
        now = self.clock()
        touches = self.digests.touch_statuses([account.name], now)
        candidates = self.storage.left_out_candidates(rep.email, account.name)
        policy = dataclasses.replace(
            self.digests.policy, max_items_per_account=limit, max_items=limit
        )
        digest = build_digest(rep.email, rep.name, candidates, touches, policy, now)
        if not digest.sections:
            return LeftOut(account.name, (), 0, touches.get(account.name), now)
        (section,) = digest.sections
        return LeftOut(account.name, section.items, section.more, section.touch, now)

    def rep_industries(self, rep: Rep) -> tuple[str, ...]:
        """The industries of the rep's accounts (``industry:`` in accounts.yaml), whether or not
        their "Your industries" section is on."""
        return tuple(sorted({a.industry for a in self.owned(rep) if a.industry}))

    def industry_left_out(
        self, rep: Rep, *, limit: int = 20, industry: str | None = None
    ) -> IndustryLeftOut:
        """The next ``limit`` stories the rep's "Your industries" sections left out (their cap)
        that nothing has shown since; with ``industry``, only those of the rep's industry
        closest to it. Does not mark them shown (``mark_industry_shown`` does).

        Raises:
            CommandUsageError: ``industry`` is none of the rep's accounts' industries.
        """
        mine = list(self.rep_industries(rep))
        chosen = None
        if industry is not None:
            chosen = closest(industry, mine)
            if chosen is None:
                raise CommandUsageError(
                    f"none of your accounts is in an industry called {_echo(industry)}. "
                    + suggestions(industry, mine)
                )
        now = self.clock()
        candidates = [
            c
            for c in self.storage.industry_left_out_candidates(rep.email)
            if chosen is None or (c.industry or "").casefold() == chosen.casefold()
        ]
        policy = dataclasses.replace(self.digests.policy, max_industry_items=max(limit, 1))
        section = build_industry_section(candidates, policy, now)
        names = (chosen,) if chosen else tuple(mine)
        if section is None:
            return IndustryLeftOut(names, (), 0, now)
        return IndustryLeftOut(
            tuple(dict.fromkeys((*names, *section.industries))), section.items, section.more, now
        )

    def mark_industry_shown(self, rep: Rep, items: Sequence[DigestItem]) -> int:
        """Record that the rep has now seen these left-out industry stories (every article of
        each); return how many articles that was. Does not check who may see them."""
        ids = [a for i in items for a in (i.article_id, *i.also_ids)]
        return self.storage.mark_industry_shown(rep.email, ids, self.clock())

    def mark_shown(self, rep: Rep, items: Sequence[DigestItem]) -> int:
        """Record that the rep has now seen these left-out items (the other articles of their
        stories, on every account they name); return how many matches that was. Does not check
        who may see them (``left_out`` did)."""
        pairs = [
            (article, account)
            for i in items
            for article in (i.article_id, *i.also_ids)
            for account in (i.account, *i.also_about)
        ]
        return self.storage.mark_shown(rep.email, pairs, self.clock())

    # ------------------------------------------------------------------ mutes and settings

    def mute(self, rep: Rep, target: str, days: int | None = None) -> Muted:
        """Mute the rep's account closest to ``target``, else the closest source, for ``days``
        (default 30).

        Raises:
            CommandUsageError: ``target`` is neither an account of the rep's nor a source.
        """
        now = self.clock()
        until = now + timedelta(days=days or DEFAULT_MUTE_DAYS)
        mine = [a.name for a in self.accounts_of(rep)]
        account = closest(target, mine)
        if account is not None:
            self.storage.set_mute(rep.email, "account", account, until, now)
            return Muted("account", account, until)
        sources = sorted(
            {f.name for c in self.config.catalogs for f in c.feeds} | set(self.storage.sources())
        )
        source = closest(target, sources)
        if source is None:
            raise CommandUsageError(
                f"{_echo(target)} is neither one of your accounts nor a source. "
                + suggestions(target, mine + sources)
            )
        self.storage.set_mute(rep.email, "source", source, until, now)
        return Muted("source", source, until)

    def unmute(self, rep: Rep, target: str | None = None) -> int:
        """Remove the rep's mutes (those on ``target`` only, when given); return how many."""
        return self.storage.remove_mutes(rep.email, target or None)

    def change_setting(self, rep: Rep, setting: RepSetting, value: str) -> SettingChanged:
        """Store a rep's digest setting (already validated) and move their next digest when the
        setting is part of the schedule (the time zone may come from Slack's ``users.info``).
        Does not move it for industry news."""
        now = self.clock()
        self.storage.put_rep_setting(rep.email, setting, value, now)
        digests = self.digests
        schedule = digests.schedule_of(rep, digests.slack_timezone(rep))
        following = next_due(schedule, now)
        if setting.moves_schedule:
            self.storage.reschedule(rep.email, following)
        else:
            # industry news changes what the next digest holds, not when it comes
            following = self.storage.next_digest_at(rep.email) or now
        return SettingChanged(setting, value, following, schedule.timezone)

    # ------------------------------------------------------------------ touches and shares

    def log_touch(self, rep: Rep, text: str, *, key: str) -> TouchLogged:
        """Log a touch made elsewhere from ``ACCOUNT [with NAME] NOTE`` text (NAME: one of the
        account's contacts, ``logic.contacts.split_contact``); ``key`` makes a retry log it
        once.

        Raises:
            CommandUsageError: the text names none of the rep's accounts, or "with" a near miss
                of a contact's name.
        """
        mine = [a.name for a in self.accounts_of(rep)]
        account, note = split_account(text, mine)
        if account is None:
            first = text.split(" ")[0]
            raise CommandUsageError(
                "which account? `/clip touch ACCOUNT NOTE`. " + suggestions(first, mine)
            )
        configured = next((a for a in self.config.accounts if a.name == account), None)
        names = [c.name for c in configured.contacts] if configured else []
        contact, note = split_contact(note, names, account=account)
        self.storage.add_touch(
            rep.email,
            account,
            NOTE_CHANNEL,
            self.clock(),
            note=note or None,
            idempotency_key=key,
            contact=contact,
        )
        return TouchLogged(account, note, contact)

    def require_article(self, article_id: int) -> None:
        """Raise ``CommandUsageError`` when no stored article has this id."""
        if self.storage.article(article_id) is None:
            raise CommandUsageError(
                f"article {article_id} was not found in Clipper (it may have been removed); "
                "nothing was changed"
            )

    def shared_already(self, account: str, article_id: int) -> Share | None:
        """Who shared this article with the account's customer first, if anyone did."""
        return self.storage.shared(account, article_id)

    def share_draft(
        self,
        rep: Rep,
        account: Account,
        article_id: int,
        *,
        industry: bool = False,
        contact: int | None = None,
    ) -> ShareDraft:
        """Return the note "Share with customer" pre-fills, as plain text: the
        ``share.templates`` note for the match's event (``logic.notes.note_kind``; ``industry``
        for an industry item), with the account's first contact (else a neutral greeting), the
        article's title and link; and that contact. ``contact`` picks another of the account's
        contacts by its index (the share window's select; out of range: the first). Does not
        cut the note to any length."""
        article = self.storage.article(article_id)
        match = next(
            (
                m
                for m in self.storage.account_matches(account.name, limit=200)
                if m.article_id == article_id
            ),
            None,
        )
        chosen = _contact_at(account, contact)
        event = match.event if match else None
        notes = share_notes(self.config, rep)
        if chosen is not None:
            notes = dataclasses.replace(notes, contacts={account.name: chosen.name})
        note = notes.note(
            event=event,
            title=(article.title if article else "") or "",
            url=article.url if article else None,
            account=account.name,
            why=match.reasons[0] if match and match.reasons else "",
            target=NoteTarget.PLAIN,
            industry=industry,
        )
        return ShareDraft(note, chosen, note_kind(event, industry=industry))

    def log_share(
        self,
        rep: Rep,
        account: str,
        article_id: int,
        note: str,
        *,
        key: str,
        contact: int | None = None,
    ) -> bool:
        """Log that the rep shared an article with the account's customer (with the contact the
        share window chose, by its index; None or out of range: the account's first); False
        when ``key`` was logged before. Does not check the account is the rep's
        (``account_for`` does)."""
        configured = next((a for a in self.config.accounts if a.name == account), None)
        chosen = _contact_at(configured, contact) if configured else None
        return self.storage.add_touch(
            rep.email,
            account,
            SHARE_CHANNEL,
            self.clock(),
            article_id=article_id,
            note=note,
            idempotency_key=key,
            contact=chosen.name if chosen else None,
        )

    def share_touch(self, account: str, article_id: int) -> Touch | None:
        """The live share of an article with an account's customer (the first, as
        ``shared_already``), as its ledger touch; None when it was not shared."""
        return next(
            (
                t
                for t in self.storage.touches(account=account)
                if t.channel is SHARE_CHANNEL and t.article_id == article_id
            ),
            None,
        )

    def mark_useful(self, rep: Rep, touch_id: int) -> UsefulMarked:
        """Record that the customer found a share useful (the "Customer found it useful" button
        names the share's touch): once per (rep who shared, account, article), so a second
        click or a Slack retry changes nothing. The mark counts for the rep who shared it.

        Raises:
            CommandUsageError: the id is no live share, or the rep neither shared it nor owns
                its account.
        """
        touch = self.storage.touch(touch_id)
        if (
            touch is None
            or touch.void is not None
            or touch.channel is not SHARE_CHANNEL
            or touch.article_id is None
        ):
            raise CommandUsageError(
                "this button names no share Clipper logged (or the share was deleted); "
                "nothing was marked"
            )
        owner = next((a.owner for a in self.config.accounts if a.name == touch.account), None)
        if rep.email not in (touch.rep, owner):
            raise CommandUsageError(
                "only the rep who shared it or the account's owner can mark a share useful; "
                "nothing was marked"
            )
        mark, added = self.storage.mark_useful(
            touch.id, touch.rep, touch.account, touch.article_id, rep.email, self.clock()
        )
        return UsefulMarked(mark, touch, already=not added)

    def mark_latest_useful(self, rep: Rep, account: str) -> UsefulMarked:
        """``/clip useful ACCOUNT``: mark the rep's latest share with the account (the closest
        of theirs) as found useful by the customer; on an account they own with no share of
        theirs, its latest share by anyone. Once per share (``mark_useful``).

        Raises:
            CommandUsageError: no such account of the rep's, or no share on it to mark.
        """
        found = self.account_for(rep, account)
        shares = [
            t
            for t in self.storage.touches(account=found.name)
            if t.channel is SHARE_CHANNEL and t.article_id is not None
        ]
        mine = [t for t in shares if t.rep == rep.email]
        chosen = mine or (shares if found.owner == rep.email else [])
        if not chosen:
            raise CommandUsageError(
                f"no share of yours with *{escape_name(cut(found.name, 100))}* to mark useful "
                "yet; *Share with customer* in your digest logs one"
            )
        return self.mark_useful(rep, chosen[-1].id)

    def touch_report(self) -> TouchReport:
        """Count the team's accounts touched enough this quarter, per owner; stories matched
        (outlets of one story once; per owner, a story about two of their accounts once) and
        shares per owner and account this week (the 7 days to now) and this quarter (``touches:``,
        calendar or fiscal, the same quarter the touch counts use); accounts
        with news but no touch this quarter; the feeds that broke. ``/clip report`` and the
        manager's weekly team digest both show this record. Does not check who asks
        (``is_manager``)."""
        now = self.clock()
        accounts = list(self.config.accounts)
        names = [a.name for a in accounts]
        statuses = self.digests.touch_statuses(names, now)
        policy = self.config.settings.touch_policy()
        quarter_start = policy.quarter_start(policy.quarter_of(now))  # calendar or fiscal
        week_start = now - timedelta(days=7)
        week = self.storage.activity_counts(names, week_start)  # stories, not articles
        quarter = self.storage.activity_counts(names, quarter_start)
        due = tuple(a.name for a in accounts if statuses[a.name].due())
        by_owner: dict[str, list[Account]] = {}
        for account in accounts:
            by_owner.setdefault(account.owner or "(no owner)", []).append(account)
        owners = tuple(
            OwnerCoverage(
                owner,
                sum(1 for a in owned if not statuses[a.name].due()),
                len(owned),
                self._owner_counts(owned, week, week_start),
                self._owner_counts(owned, quarter, quarter_start),
            )
            for owner, owned in sorted(by_owner.items())
        )
        active = [
            AccountActivity(
                a.name,
                a.owner or "(no owner)",
                week[a.name],
                quarter[a.name],
                statuses[a.name].this_quarter,
            )
            for a in accounts
            if quarter[a.name].matches or quarter[a.name].shares
        ]
        active.sort(key=lambda a: (-a.quarter.matches, -a.quarter.shares, a.account.casefold()))
        untouched = tuple(
            a.name
            for a in accounts
            if quarter[a.name].matches and not statuses[a.name].this_quarter
        )
        broken = tuple(
            BrokenFeed(f.name, f.url, f.error_count, f.last_error, f.disabled_reason)
            for f in sorted(self.storage.feed_statuses(), key=lambda f: f.name.casefold())
            if f.active and (f.disabled_reason or f.error_count)
        )
        return TouchReport(
            policy.quarterly_target(),
            len(accounts),
            len(accounts) - len(due),
            owners,
            due,
            now=now,
            quarter_start=quarter_start,
            by_account=tuple(active),
            news_untouched=untouched,
            broken_feeds=broken,
        )

    def _owner_counts(
        self, owned: Sequence[Account], counts: Mapping[str, ActivityCounts], since: datetime
    ) -> ActivityCounts:
        """An owner's stories (one story about two of their accounts counts once) and shares
        since ``since``. Does not count shares twice: they are per account already."""
        shares = _total(counts[a.name] for a in owned).shares
        stories = self.storage.matched_story_count([a.name for a in owned], since)
        return ActivityCounts(stories, shares)


def _total(counts: Iterable[ActivityCounts]) -> ActivityCounts:
    matches = shares = 0
    for c in counts:
        matches += c.matches
        shares += c.shares
    return ActivityCounts(matches, shares)


def _contact_at(account: Account, index: int | None) -> Contact | None:
    """The account's contact at ``index`` (the share window's choice), else its first; None
    when it has none."""
    if not account.contacts:
        return None
    if index is not None and 0 <= index < len(account.contacts):
        return account.contacts[index]
    return account.contacts[0]


def _echo(typed: str) -> str:
    """Return what a user typed, quoted back in bold as text: cut to 100 characters and
    escaped with ``escape_name``, so its own marks ("*Northwind*") never format the answer."""
    return f"*{escape_name(cut(typed, 100))}*"
