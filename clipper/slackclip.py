"""The ``/clip`` verbs on the facade: the verb table, each verb's answer in Slack mrkdwn, and
who a Slack user is in Clipper.

Each handler calls one ``Clipper`` method (``rep_actions``) and words the value it returns;
grep ``CLIP_VERBS`` to find a verb. Does not acknowledge, queue or post anything (``slackapp``
does) and holds no business rule.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from .config import Contact, Rep
from .core import Clipper
from .exceptions import CommandUsageError, ConfigError, DeliveryError, SlackUserNotFoundError
from .logic.blockkit import (
    MAX_SECTION,
    SlackMessage,
    cut,
    cut_lines,
    escape,
    escape_name,
    link_target,
    render_slack,
    validate,
)
from .logic.clip import HELP, ClipCommand
from .logic.coverage_report import CoverageReport, shares_text, streak_text
from .logic.digest import Digest, DigestItem, touch_line
from .logic.review import review_mrkdwn
from .logic.team import report_mrkdwn
from .logic.touches import ONE_CONTACT, AccountCoverage
from .logic.words import plural
from .rep_actions import AccountNews, IndustryLeftOut, LeftOut, UsefulMarked
from .types import RepSetting, TouchReport

#: how many left-out items ``/clip news`` shows before the latest (one ephemeral message)
NEWS_LEFT_OUT = 10
#: how many left-out items one "Show N more" click posts (in the digest's thread)
MORE_PAGE = 20


@dataclass(frozen=True, slots=True)
class BlocksAnswer:
    """An answer in Block Kit, and the left-out items it shows (marked shown once posted)."""

    text: str
    blocks: tuple[dict[str, Any], ...]
    shown: tuple[DigestItem, ...] = ()
    #: left-out "Your industries" stories it shows (marked shown once posted)
    industry_shown: tuple[DigestItem, ...] = ()


@dataclass(frozen=True, slots=True)
class Upload:
    """A file an answer attaches (uploaded to the conversation the command came from)."""

    filename: str
    title: str
    content: bytes
    #: what the image shows, for screen readers (Slack's ``alt_txt``)
    alt_text: str


#: a /clip verb's handler: the facade call for one resolved rep, and the answer in Slack text
#: (or Block Kit, when it shows digest items with their buttons)
ClipHandler = Callable[[Clipper, Rep, ClipCommand, str], "str | BlocksAnswer"]


def _help(clipper: Clipper, rep: Rep, command: ClipCommand, key: str) -> str:
    return HELP


def _add(clipper: Clipper, rep: Rep, command: ClipCommand, key: str) -> str:
    result = clipper.add_watch_term(rep, command.argument, command.account)
    names = ", ".join(f"*{escape_name(a)}*" for a in result.accounts)
    if not result.added:
        return f"`{escape(result.term)}` is already on your watch list for {names}."
    return f"Watching `{escape(result.term)}` for {names}. New articles are matched from now."


def _remove(clipper: Clipper, rep: Rep, command: ClipCommand, key: str) -> str:
    result = clipper.remove_watch_term(rep, command.argument)
    if not result.removed:
        listed = ", ".join(f"`{escape(t)}`" for t in result.remaining) or "none"
        return f"`{escape(result.term)}` is not one of your terms (yours: {listed})."
    return f"Removed `{escape(result.term)}`."


def _list(clipper: Clipper, rep: Rep, command: ClipCommand, key: str) -> str:
    terms = clipper.watch_terms_of(rep)
    if not terms:
        return "You have no watch terms yet. `/clip add TERM [to ACCOUNT]` adds one."
    lines = ["*Your watch terms*"]
    lines += [
        f"• `{escape(t.term)}` on {escape_name(t.account)}"
        + (" _(from the account file)_" if t.configured else "")
        for t in terms
    ]
    return "\n".join(lines[:60])


def _accounts(clipper: Clipper, rep: Rep, command: ClipCommand, key: str) -> str:
    mine = clipper.rep_accounts(rep)
    if not mine.accounts:
        return "You own no accounts in Clipper yet; ask your manager to add you as owner."
    lines = ["*Your accounts*"]
    # "higher and wider": recent touches that all went to one of several contacts
    narrow = {a.account for a in clipper.touch_coverage().accounts if a.single_contact}
    for account in mine.accounts:
        lines.append(
            f"• *{escape_name(account.account)}*: {touch_line(account.status, mine.now)}"
            + (f" · :warning: {ONE_CONTACT}" if account.account in narrow else "")
        )
    return "\n".join(lines)


def _news(clipper: Clipper, rep: Rep, command: ClipCommand, key: str) -> str | BlocksAnswer:
    own = {a.name.casefold() for a in clipper.owned(rep)}
    if command.industry is not None and command.argument.casefold() not in own:
        return _industry_news(clipper, rep, command.industry or None)
    news = clipper.account_news(rep, command.argument, limit=5, left_out_limit=NEWS_LEFT_OUT)
    if news.left_out is not None and news.left_out.items:
        return render_news(rep, news, news.left_out)
    return _latest_text(news) or f"No matches for *{escape_name(news.account)}* yet."


INDUSTRY_PAGE_TITLE = "Not yet shown in your industries"


def _industry_news(clipper: Clipper, rep: Rep, industry: str | None) -> str | BlocksAnswer:
    """``/clip news industries [INDUSTRY]``: the next page of the industry news the rep's
    digests left out, as their "Your industries" items, and how many more wait."""
    page = clipper.industry_left_out(rep, limit=NEWS_LEFT_OUT, industry=industry)
    asked = f"industries {industry}" if industry else "industries"
    if not page.items:
        if not page.industries:
            return (
                "None of your accounts has an industry in Clipper (`industry:` in accounts.yaml), "
                "so your digest has no *Your industries* section."
            )
        names = escape_name(cut(", ".join(page.industries), 300))
        return f"Nothing more in *{names}*: every industry story your digests had has been shown."
    first = render_industry_left_out(rep, page, button=False)[0]
    shown = tuple(i for i in page.items if i.article_id in set(first.article_ids))
    waiting = page.remaining + len(page.items) - len(shown)
    blocks = list(first.blocks)
    if waiting:
        more = {
            "type": "context",
            "block_id": "news-more",
            "elements": [
                {
                    "type": "mrkdwn",
                    "text": f"{waiting} more not yet shown: `/clip news {escape_name(asked)}` "
                    "again shows the next ones.",
                }
            ],
        }
        if not validate([*blocks, more]):
            blocks.append(more)
    text = f"{len(shown)} not yet shown in your industries" + (
        f", {waiting} more waiting" if waiting else ""
    )
    return BlocksAnswer(text, tuple(blocks), industry_shown=shown)


def render_industry_left_out(
    rep: Rep, page: IndustryLeftOut, *, button: bool
) -> list[SlackMessage]:
    """Render a page of left-out industry stories as "Your industries" items, titled "Not yet
    shown in your industries"; with ``button`` a "Show N more" button offers what remains.
    Does not mark anything shown."""
    section = page.section(more=page.remaining if button else 0)
    digest = Digest(rep.email, rep.name, page.now, (), industry=section)
    return render_slack(digest, title=INDUSTRY_PAGE_TITLE)


def _latest_text(news: AccountNews) -> str:
    """Word the latest matches on an account as one mrkdwn list (empty: there are none)."""
    if not news.items:
        return ""
    lines = [f"*Latest on {escape_name(news.account)}*"]
    for item in news.items:
        title = escape_name(cut(item.title or "(untitled)", 200))
        target = link_target(item.url)
        link = f"<{target}|{title}>" if target else title
        lines.append(
            f"• {link} · {escape_name(item.source or '')}"
            + (f" · _{escape_name(item.why)}_" if item.why else "")
        )
    return "\n".join(lines)


def render_left_out(rep: Rep, page: LeftOut, *, button: bool) -> list[SlackMessage]:
    """Render a page of left-out items as digest items (their buttons included), titled
    "Not yet shown on ACCOUNT"; with ``button`` a "Show N more" button offers what remains.
    Does not mark anything shown."""
    section = page.section(more=page.remaining if button else 0)
    digest = Digest(rep.email, rep.name, page.now, (section,))
    return render_slack(digest, title=cut(f"Not yet shown on {page.account}", 140))


def shown_items(page: LeftOut, message: SlackMessage) -> tuple[DigestItem, ...]:
    """Return the page's items a rendered message carries."""
    ids = set(message.article_ids)
    return tuple(i for i in page.items if i.article_id in ids)


def render_news(rep: Rep, news: AccountNews, page: LeftOut) -> BlocksAnswer:
    """Word ``/clip news``: the left-out page as digest items (what fits one message), how
    many more wait, then the latest matches as a list."""
    first = render_left_out(rep, page, button=False)[0]
    blocks = list(first.blocks)
    shown = shown_items(page, first)
    waiting = page.remaining + len(page.items) - len(shown)
    tail: list[dict[str, Any]] = []
    if waiting:
        tail.append(
            {
                "type": "context",
                "block_id": "news-more",
                "elements": [
                    {
                        "type": "mrkdwn",
                        "text": f"{waiting} more not yet shown: `/clip news "
                        f"{escape(cut(news.account, 100))}` again shows the next ones.",
                    }
                ],
            }
        )
    latest = _latest_text(news)
    if latest:
        tail.append(
            {
                "type": "section",
                "block_id": "news-latest",
                "text": {"type": "mrkdwn", "text": cut_lines(latest, MAX_SECTION)},
            }
        )
    while tail and validate(blocks + tail):  # the latest list yields to the items
        tail.pop()
    blocks += tail
    text = f"{len(shown)} not yet shown on {escape_name(news.account)}" + (
        f", {waiting} more waiting" if waiting else ""
    )
    return BlocksAnswer(cut(text, 3000), tuple(blocks), shown)


def _preview(clipper: Clipper, rep: Rep, command: ClipCommand, key: str) -> str:
    hits = clipper.preview_watch_term(command.argument, days=7)
    if not hits:
        return f"`{escape(command.argument)}` would have caught nothing in the last 7 days."
    lines = [
        f"`{escape(command.argument)}` would have caught {plural(len(hits), 'article')} in 7 days:"
    ]
    for title, url, why in hits[:10]:
        shown = escape_name(cut(title or "(untitled)", 200))
        target = link_target(url)
        item = f"<{target}|{shown}>" if target else shown
        lines.append(f"• {item} _{escape_name(why)}_")
    lines.append("Nothing was saved: `/clip add` it to keep it.")
    return "\n".join(lines)


def _digest(clipper: Clipper, rep: Rep, command: ClipCommand, key: str) -> str:
    report = clipper.digest(rep=rep.email, force=True)
    if report.problems:
        return "Your digest could not be sent: " + escape("; ".join(report.problems))
    if not report.sent:
        return "Nothing new since your last digest."
    return f"Sent your digest ({plural(report.sent, 'message')})."


def _mute(clipper: Clipper, rep: Rep, command: ClipCommand, key: str) -> str:
    muted = clipper.mute(rep, command.argument, command.days)
    target = (
        f"*{escape_name(muted.target)}*"
        if muted.kind == "account"
        else f"the source *{escape_name(muted.target)}*"
    )
    return f"Muted {target} until {muted.until:%d %b %Y}. `/clip unmute` undoes it."


def _unmute(clipper: Clipper, rep: Rep, command: ClipCommand, key: str) -> str:
    removed = clipper.unmute(rep, command.argument or None)
    if not removed:
        return "Nothing to unmute."
    return f"Unmuted {plural(removed, 'item')}."


def _settings(clipper: Clipper, rep: Rep, command: ClipCommand, key: str) -> str:
    assert command.setting is not None and command.value is not None
    changed = clipper.change_setting(rep, command.setting, command.value)
    local = changed.next_digest_at.astimezone(ZoneInfo(changed.timezone))
    if changed.setting is RepSetting.INDUSTRIES:
        section = "has" if changed.value == "on" else "leaves out"
        return (
            f"Your {changed.setting.label} is now {escape(changed.value)}: your digest {section} "
            f"the *Your industries* section. Next digest: {local:%a %d %b %H:%M} "
            f"({escape(changed.timezone)})."
        )
    return (
        f"Your {changed.setting.label} is now {escape(changed.value)}. Next digest: "
        f"{local:%a %d %b %H:%M} ({escape(changed.timezone)})."
    )


def _touch(clipper: Clipper, rep: Rep, command: ClipCommand, key: str) -> str:
    logged = clipper.log_touch(rep, command.argument, key=key)
    note = logged.note
    return (
        f"Logged a touch on *{escape_name(logged.account)}*"
        + (f" with {escape_name(logged.contact)}" if logged.contact else "")
        + (f": {escape(note)}" if note else ".")
    )


def _report(clipper: Clipper, rep: Rep, command: ClipCommand, key: str) -> str:
    if not clipper.is_manager(rep):
        return "The team report is for managers; `/clip accounts` shows yours." + report_link_line(
            clipper, rep
        )
    return render_touch_report(clipper.touch_report()) + report_link_line(clipper, None)


def report_link_line(clipper: Clipper, rep: Rep | None) -> str:
    """The signed web page link ``/clip report`` appends (a new line): the team's for a
    manager (``rep`` None), else the rep's own accounts only."""
    try:
        link = clipper.report_link(rep=rep.email if rep is not None else None)
    except ConfigError as exc:  # the secret file: the report itself still answers
        return f"\n(No web page link: {escape(str(exc))})"
    what = "The team's report on the web" if rep is None else "Your accounts on the web"
    target = link_target(link.url)
    shown = f"<{target}|{what}>" if target is not None else f"{what}: {escape(link.url)}"
    return f"\n{shown} (read-only; the link expires {link.expires_text})"


def _report_chart(clipper: Clipper, rep: Rep, command: ClipCommand) -> Upload | None:
    """The chart ``clipper report touches --format png`` draws, for a manager's ``/clip
    report`` (None for anyone else: they get no team chart). Does not upload it (``slackapp``
    does, after the acknowledgement)."""
    if not clipper.is_manager(rep):
        return None
    report = clipper.touch_coverage_report()
    chart = clipper.touch_coverage_chart(report)
    label = report.quarter.label
    plotted = chart.plotted
    reps = ", ".join(
        f"{name} {touches} of {target}"
        for name, touches, target in zip(
            plotted.reps, plotted.touches, plotted.targets, strict=True
        )
    )
    days = ", ".join(
        f"{bucket}: {count}"
        for bucket, count in zip(plotted.buckets, plotted.bucket_accounts, strict=True)
    )
    alt = cut(
        f"Touches in {label} per rep against target ({reps or 'no rep owns an account'}); "
        f"accounts by days since their last touch ({days})",
        1000,
    )
    return Upload(f"touch-coverage-{label}.png", f"Touch coverage {label}", chart.png, alt)


#: the verbs whose answer comes with a file: the file for one resolved rep, or None
CLIP_UPLOADS: Mapping[str, Callable[[Clipper, Rep, ClipCommand], Upload | None]] = {
    "report": _report_chart,
}


def upload_for(clipper: Clipper, rep: Rep, command: ClipCommand) -> Upload | None:
    """Return the file a parsed command's answer comes with (``CLIP_UPLOADS``), if any. Does
    not upload it."""
    make = CLIP_UPLOADS.get(command.verb)
    return make(clipper, rep, command) if make is not None else None


def _me(clipper: Clipper, rep: Rep, command: ClipCommand, key: str) -> str:
    return render_standing(clipper.rep_standing(rep, quarter=command.argument or None))


#: at most this many accounts are listed by ``/clip me`` (the rest counted)
ME_ACCOUNTS = 15


def _days(account: AccountCoverage) -> str:
    if account.days_since is None:
        return "never touched"
    return f"last touch {account.days_since} d ago"


def render_standing(report: CoverageReport) -> str:
    """Word a rep's own report for Slack (mrkdwn): coverage, the accounts due and going dark,
    the streak and the shares (``TouchLedger.rep_standing``). Does not count anything."""
    line = report.reps[0] if report.reps else None
    title = f"*Your touches · {report.quarter.label}* ({escape(report.period)})"
    if line is None or not line.accounts:
        lines = [title, "You own no accounts in Clipper yet; ask your manager to add you as owner."]
    else:
        lines = [
            title,
            f"• Coverage: {line.on_target_quarter} of {line.accounts} account"
            f"{'s' if line.accounts != 1 else ''} on target this quarter · touches "
            f"{line.touches_quarter} of {line.quarter_target} this quarter, "
            f"{line.touches_12_months} of {line.year_target} in 12 months · "
            f"{line.going_dark} going dark",
        ]
    if report.streak is not None and line is not None and line.accounts:
        lines.append(f"• Streak: {escape(streak_text(report.streak))}")
    if report.shares is not None:
        lines.append(f"• Shares: {escape(shares_text(report.shares))}")
    due = report.due_accounts
    dark = [a for a in report.dark_accounts if not a.due]
    if due:
        lines.append(f"*Due this quarter* ({len(due)})")
        for account in due[:ME_ACCOUNTS]:
            flag = " · going dark" if account.going_dark else ""
            lines.append(
                f"• *{escape_name(cut(account.account, 100))}*: {account.this_quarter} of "
                f"{account.quarter_target} · {_days(account)}{flag}"
            )
        if len(due) > ME_ACCOUNTS:
            lines.append(f"… and {len(due) - ME_ACCOUNTS} more")
    if dark:
        lines.append(f"*Going dark* (no touch for {plural(report.going_dark_days, 'day')} or more)")
        lines += [f"• *{escape_name(cut(a.account, 100))}*: {_days(a)}" for a in dark[:ME_ACCOUNTS]]
        if len(dark) > ME_ACCOUNTS:
            lines.append(f"… and {len(dark) - ME_ACCOUNTS} more")
    if line is not None and line.accounts and not due and not dark:
        lines.append("Every account is on target this quarter. :tada:")
    return "\n".join(lines)


def render_touch_report(report: TouchReport) -> str:
    """Word the team report for Slack (mrkdwn): the same sections as the manager's weekly team
    digest (``logic.team.report_sections``). Does not count anything."""
    return report_mrkdwn(report)


def _review(clipper: Clipper, rep: Rep, command: ClipCommand, key: str) -> str:
    try:
        pack = clipper.review_pack(command.argument, quarter=command.value, rep=rep)
    except CommandUsageError as exc:  # plain text quoting what was typed: shown as text in Slack
        raise CommandUsageError(escape_name(str(exc))) from None
    return review_mrkdwn(pack)


def _useful(clipper: Clipper, rep: Rep, command: ClipCommand, key: str) -> str:
    return render_useful(clipper.mark_latest_useful(rep, command.argument))


def render_useful(marked: UsefulMarked) -> str:
    """Word a share marked useful (``/clip useful``, the button). Does not count anything."""
    touch = marked.touch
    when = f"{touch.touched_at:%d %b}"
    if marked.already:
        return (
            f"The share with *{escape_name(touch.account)}* of {when} was already marked useful "
            f"(by {escape_name(marked.mark.marked_by)} on {marked.mark.marked_at:%d %b}); "
            "nothing changed."
        )
    return (
        f":star: Marked the share with *{escape_name(touch.account)}* of {when} as found useful by "
        "the customer; `/clip me` counts it."
    )


#: every ``/clip`` verb and its handler (the verbs and their help: ``logic.clip``)
CLIP_VERBS: Mapping[str, ClipHandler] = {
    "help": _help,
    "add": _add,
    "remove": _remove,
    "list": _list,
    "accounts": _accounts,
    "news": _news,
    "preview": _preview,
    "digest": _digest,
    "mute": _mute,
    "unmute": _unmute,
    "settings": _settings,
    "touch": _touch,
    "report": _report,
    "me": _me,
    "review": _review,
    "useful": _useful,
}


def answer_clip(clipper: Clipper, rep: Rep, command: ClipCommand, key: str) -> str | BlocksAnswer:
    """Run a parsed command for a resolved rep and return its answer (Slack mrkdwn, or Block
    Kit for ``news`` with left-out items; a file some answers come with: ``upload_for``).

    Raises:
        ClipperError: for the user (an unknown account, a term that is not theirs ...).
    """
    return CLIP_VERBS[command.verb](clipper, rep, command, key)


def share_contact_line(contact: Contact | None) -> str:
    """Word who a share goes to, for the share window."""
    if contact is None:
        return "no contact on file for this account"
    return (
        contact.name
        + (f" <{contact.email}>" if contact.email else "")
        + (f", {contact.role}" if contact.role else "")
    )


class SlackUsers:
    """Who a Slack user is in Clipper: the configured ``slack_id``, else the rep with their
    email. The email comes from ``Clipper.slack_email`` (the one Slack user cache,
    ``outbox.SlackDirectory``); on a miss it asks ``users.info`` on the Slack app's own client
    (its bounded, counted 429 retry: a person is waiting). Keeps no cache of its own."""

    def __init__(self, clipper: Clipper, client: WebClient) -> None:
        self.clipper = clipper
        self.client = client

    def _profile_email(self, user_id: str) -> str | None:
        """The email on the user's Slack profile (``users.info``), lower-cased.

        Raises:
            SlackUserNotFoundError: Slack has no such user.
            DeliveryError: any other refusal; the message is Slack's error code.
        """
        try:
            profile = self.client.users_info(user=user_id)["user"]["profile"]
        except SlackApiError as exc:
            error = str(exc.response.get("error"))
            if error in ("user_not_found", "users_not_found"):
                raise SlackUserNotFoundError(error) from None
            raise DeliveryError(error) from None
        return str(profile.get("email") or "").lower() or None

    def rep_for(self, user_id: str) -> Rep:
        """Return the configured rep behind a Slack user.

        Raises:
            CommandUsageError: Slack will not say who it is, or they are not a rep.
        """
        rep = self.clipper.find_rep(slack_id=user_id)
        if rep is not None:
            return rep
        try:
            email = self.clipper.slack_email(user_id, self._profile_email)
        except DeliveryError as exc:
            raise CommandUsageError(f"Clipper cannot read your Slack profile ({exc})") from None
        if email is not None:
            rep = self.clipper.find_rep(email=email)
            if rep is not None:
                return rep
        raise CommandUsageError(
            "you are not a rep in Clipper yet; ask your manager to add your email to reps.yaml"
        )
