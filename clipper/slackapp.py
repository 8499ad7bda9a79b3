"""The Slack app: ``/clip`` and the digest buttons on slack-bolt, acknowledged first.

    request ─► Bolt: v0 signature (5 minutes either way, constant time) ─► 401 if bad
            ─► ack listener    on the request's own thread, within milliseconds, no database:
                               help and usage errors answer here; the work is queued
            ─► WorkQueue       (``slack.work_threads`` threads, ``slack.work_queue`` waiting)
                               replay check, rep lookup, database work, then one response_url
                               post (or views.open / chat.update for buttons); a full queue is
                               answered "busy, nothing was changed" at once, never dropped

Nothing slow runs before the acknowledgement and acknowledgements never wait for a work thread
(Bolt runs ack listeners on the request thread: ``process_before_response``), so a slow or
locked database never costs the 3-second budget; a failure after it is told to the user. A
replayed or retried request (same trigger_id, or same signature and timestamp, or the same
button click) changes nothing further. Does not render digests or decide matches.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import threading
import traceback
import urllib.error
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from slack_bolt import App, BoltResponse
from slack_bolt.error import BoltError
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from .config import Account, Rep, SlackSettings
from .core import Clipper
from .exceptions import ClipperError, CommandUsageError, DeliveryError, SlackAuthError
from .logic.blockkit import cut, escape, link_target, replace_item
from .logic.clip import (
    HELP,
    ClipCommand,
    ShareSubmission,
    closest,
    parse_button_value,
    parse_clip,
    parse_share_submission,
    split_account,
    suggestions,
)
from .logic.digest import NOTE_CHANNEL, SHARE_CHANNEL, TouchStatus, next_due, touch_line
from .logic.inbound import response_url_allowed

log = logging.getLogger(__name__)
#: where Clipper's own code lives (an error raised only outside it came from Bolt)
_PACKAGE = str(Path(__file__).resolve().parent)
MANAGER_ROLES = frozenset({"manager", "admin"})
SHARE_CALLBACK = "share_modal"
NOTE_LIMIT = 3000
BUSY = ":hourglass: Clipper is busy right now; nothing was changed. Try again in a minute."
STOPPED = (
    ":hourglass: Clipper stopped before your request's turn, so it was not run and nothing was "
    "changed. Try again in a minute."
)
FOREIGN = ":no_entry: This request's response_url is not from Slack; nothing was done."


class WorkQueue:
    """The threads that do the work behind acknowledgements, with a bounded wait list.

    ``submit`` never blocks: with ``threads`` jobs running and ``depth`` waiting it refuses
    (returns False) and queues the ``busy`` notice instead, on one notice thread with its own
    bounded list; a notice that does not fit either is logged. A job still waiting at
    ``shutdown`` is not run: its ``stopped`` notice is sent instead. Does not retry refused work.
    """

    def __init__(self, threads: int, depth: int, *, name: str = "slack-work") -> None:
        self.name = name
        self._pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix=name)
        self._slots = threading.BoundedSemaphore(threads + depth)
        self._notices = ThreadPoolExecutor(max_workers=1, thread_name_prefix=name + "-busy")
        self._notice_slots = threading.BoundedSemaphore(64)

    @classmethod
    def from_settings(cls, settings: SlackSettings) -> WorkQueue:
        return cls(settings.work_threads, settings.work_queue)

    def submit(
        self,
        job: Callable[[], None],
        *,
        busy: Callable[[], None] | None = None,
        stopped: Callable[[], None] | None = None,
    ) -> bool:
        """Queue ``job``; False (and ``busy`` queued) when the queue is full or shut down."""
        if self._start(self._pool, self._slots, job, stopped):
            return True
        self._notice(busy)
        return False

    def _notice(self, notice: Callable[[], None] | None) -> None:
        if notice is not None and not self._start(self._notices, self._notice_slots, notice):
            log.warning("%s: too busy even to say so; a user was not told", self.name)

    def _start(
        self,
        pool: ThreadPoolExecutor,
        slots: threading.BoundedSemaphore,
        job: Callable[[], None],
        stopped: Callable[[], None] | None = None,
    ) -> bool:
        if not slots.acquire(blocking=False):
            return False
        try:
            future = pool.submit(job)
        except RuntimeError:  # shut down
            slots.release()
            return False

        def done(finished: Future[None]) -> None:
            slots.release()
            if finished.cancelled():  # still waiting at shutdown: its user is told
                self._notice(stopped)
            error = None if finished.cancelled() else finished.exception()
            if error is not None:
                log.error("%s: a job failed: %s", self.name, error, exc_info=error)

        future.add_done_callback(done)
        return True

    def shutdown(self) -> None:
        """Let running jobs finish; cancel waiting ones and send their ``stopped`` notices."""
        self._pool.shutdown(wait=True, cancel_futures=True)
        self._notices.shutdown(wait=True)


class ClipActions:
    """What each ``/clip`` subcommand and button does, for one resolved rep."""

    def __init__(self, clipper: Clipper) -> None:
        self.clipper = clipper
        self.storage = clipper.storage
        self.config = clipper.config

    # ------------------------------------------------------------------ who and what

    def accounts_of(self, rep: Rep) -> list[Account]:
        if rep.role in MANAGER_ROLES:
            return list(self.config.accounts)
        return list(self.owned(rep))

    def owned(self, rep: Rep) -> tuple[Account, ...]:
        """The accounts the rep owns (managers included: not the whole team)."""
        return self.config.accounts_by_owner.get(rep.email, ())

    def _account(self, rep: Rep, name: str) -> Account:
        mine = self.accounts_of(rep)
        found = closest(name, [a.name for a in mine])
        if found is None:
            raise CommandUsageError(
                f"no account of yours is called *{escape(name)}*. "
                + suggestions(name, [a.name for a in mine])
            )
        return next(a for a in mine if a.name == found)

    # ------------------------------------------------------------------ commands

    def run(self, rep: Rep, command: ClipCommand, request_key: str) -> str:
        """Return the reply for a parsed command. Raises ``ClipperError`` for the user."""
        handler: Callable[[Rep, ClipCommand, str], str] = getattr(self, "_" + command.verb)
        return handler(rep, command, request_key)

    def _help(self, rep: Rep, command: ClipCommand, key: str) -> str:
        return HELP

    def _add(self, rep: Rep, command: ClipCommand, key: str) -> str:
        now = self.clipper.clock()
        if command.account is not None:
            targets = [self._account(rep, command.account)]
        else:
            targets = list(self.owned(rep))
            if not targets:
                raise CommandUsageError(
                    "you own no accounts; add it to one: `/clip add TERM to ACCOUNT`"
                )
        added = [
            a.name
            for a in targets
            if self.storage.add_watch_term(rep.email, a.name, command.argument, now)
        ]
        names = ", ".join(f"*{escape(a.name)}*" for a in targets)
        if not added:
            return f"`{escape(command.argument)}` is already on your watch list for {names}."
        return (
            f"Watching `{escape(command.argument)}` for {names}. New articles are matched from now."
        )

    def _remove(self, rep: Rep, command: ClipCommand, key: str) -> str:
        removed = self.storage.remove_watch_term(rep.email, command.argument)
        if not removed:
            terms = sorted({w.term for w in self.storage.watch_terms(rep.email)})
            listed = ", ".join(f"`{escape(t)}`" for t in terms) or "none"
            return f"`{escape(command.argument)}` is not one of your terms (yours: {listed})."
        return f"Removed `{escape(command.argument)}`."

    def _list(self, rep: Rep, command: ClipCommand, key: str) -> str:
        terms = self.storage.watch_terms(rep.email)
        configured = [(a.name, t) for a in self.owned(rep) for t in a.watch]
        if not terms and not configured:
            return "You have no watch terms yet. `/clip add TERM [to ACCOUNT]` adds one."
        lines = ["*Your watch terms*"]
        lines += [f"• `{escape(w.term)}` on {escape(w.account)}" for w in terms]
        lines += [
            f"• `{escape(t)}` on {escape(a)} _(from the account file)_" for a, t in configured
        ]
        return "\n".join(lines[:60])

    def _accounts(self, rep: Rep, command: ClipCommand, key: str) -> str:
        mine = self.owned(rep)
        if not mine:
            return "You own no accounts in Clipper yet; ask your manager to add you as owner."
        now = self.clipper.clock()
        statuses = self._touches([a.name for a in mine], now)
        lines = ["*Your accounts*"]
        for account in mine:
            lines.append(
                f"• *{escape(account.name)}*: {touch_line(statuses.get(account.name), now)}"
            )
        return "\n".join(lines)

    def _touches(self, accounts: list[str], now: datetime) -> dict[str, TouchStatus]:
        return self.clipper.digests.touch_statuses(accounts, now)

    def _news(self, rep: Rep, command: ClipCommand, key: str) -> str:
        account = self._account(rep, command.argument)
        rows = self.storage.account_matches(account.name, limit=5)
        if not rows:
            return f"No matches for *{escape(account.name)}* yet."
        lines = [f"*Latest on {escape(account.name)}*"]
        for row in rows:
            title = escape(cut(row.title or "(untitled)", 200))
            target = link_target(row.url)
            link = f"<{target}|{title}>" if target else title
            why = row.reasons[:1]
            lines.append(
                f"• {link} · {escape(row.source or '')}" + (f" · _{escape(why[0])}_" if why else "")
            )
        return "\n".join(lines)

    def _preview(self, rep: Rep, command: ClipCommand, key: str) -> str:
        hits = self.clipper.preview_watch_term(command.argument, days=7)
        if not hits:
            return f"`{escape(command.argument)}` would have caught nothing in the last 7 days."
        lines = [
            f"`{escape(command.argument)}` would have caught {len(hits)} article(s) in 7 days:"
        ]
        for title, url, why in hits[:10]:
            shown = escape(cut(title or "(untitled)", 200))
            target = link_target(url)
            item = f"<{target}|{shown}>" if target else shown
            lines.append(f"• {item} _{escape(why)}_")
        lines.append("Nothing was saved: `/clip add` it to keep it.")
        return "\n".join(lines)

    def _digest(self, rep: Rep, command: ClipCommand, key: str) -> str:
        report = self.clipper.digest(rep=rep.email, force=True)
        if report.problems:
            return "Your digest could not be sent: " + escape("; ".join(report.problems))
        if not report.sent:
            return "Nothing new since your last digest."
        return f"Sent your digest ({report.sent} message(s))."

    def _mute(self, rep: Rep, command: ClipCommand, key: str) -> str:
        now = self.clipper.clock()
        until = now + timedelta(days=command.days or 30)
        mine = [a.name for a in self.accounts_of(rep)]
        account = closest(command.argument, mine)
        if account is not None:
            self.storage.set_mute(rep.email, "account", account, until, now)
            target = f"*{escape(account)}*"
        else:
            sources = sorted(
                {f.name for c in self.config.catalogs for f in c.feeds}
                | {s for s in self.storage.sources()}
            )
            source = closest(command.argument, sources)
            if source is None:
                raise CommandUsageError(
                    f"*{escape(command.argument)}* is neither one of your accounts nor a source. "
                    + suggestions(command.argument, mine + sources)
                )
            self.storage.set_mute(rep.email, "source", source, until, now)
            target = f"the source *{escape(source)}*"
        return f"Muted {target} until {until:%d %b %Y}. `/clip unmute` undoes it."

    def _unmute(self, rep: Rep, command: ClipCommand, key: str) -> str:
        removed = self.storage.remove_mutes(rep.email, command.argument or None)
        if not removed:
            return "Nothing to unmute."
        return f"Unmuted {removed} item(s)."

    def _settings(self, rep: Rep, command: ClipCommand, key: str) -> str:
        assert command.setting is not None and command.value is not None
        now = self.clipper.clock()
        self.storage.put_rep_setting(rep.email, command.setting, command.value, now)
        digests = self.clipper.digests
        schedule = digests.schedule_of(rep, digests.slack_timezone(rep))
        following = next_due(schedule, now)
        self.storage.reschedule(rep.email, following)
        label = command.setting.label
        local = following.astimezone(ZoneInfo(schedule.timezone))
        return (
            f"Your {label} is now {escape(command.value)}. Next digest: "
            f"{local:%a %d %b %H:%M} ({escape(schedule.timezone)})."
        )

    def _touch(self, rep: Rep, command: ClipCommand, key: str) -> str:
        mine = [a.name for a in self.accounts_of(rep)]
        account, note = split_account(command.argument, mine)
        if account is None:
            first = command.argument.split(" ")[0]
            raise CommandUsageError(
                "which account? `/clip touch ACCOUNT NOTE`. " + suggestions(first, mine)
            )
        self.storage.add_touch(
            rep.email,
            account,
            NOTE_CHANNEL,
            self.clipper.clock(),
            note=note or None,
            idempotency_key=key,
        )
        return f"Logged a touch on *{escape(account)}*" + (f": {escape(note)}" if note else ".")

    def _report(self, rep: Rep, command: ClipCommand, key: str) -> str:
        if rep.role not in MANAGER_ROLES:
            return "The team report is for managers; `/clip accounts` shows yours."
        now = self.clipper.clock()
        accounts = list(self.config.accounts)
        statuses = self._touches([a.name for a in accounts], now)
        due = [a for a in accounts if statuses[a.name].due()]
        lines = [
            f"*Touch coverage this quarter*: {len(accounts) - len(due)} of {len(accounts)} "
            f"accounts touched at least {self.config.settings.digest.touches_per_quarter} time(s)"
        ]
        by_owner: dict[str, list[Account]] = {}
        for account in accounts:
            by_owner.setdefault(account.owner or "(no owner)", []).append(account)
        for owner, owned in sorted(by_owner.items()):
            done = sum(1 for a in owned if not statuses[a.name].due())
            lines.append(f"• {escape(owner)}: {done}/{len(owned)}")
        if due:
            lines.append("*Due*: " + ", ".join(escape(a.name) for a in due[:30]))
        return "\n".join(lines)

    # ------------------------------------------------------------------ buttons

    def item_of(self, rep: Rep, value: str) -> tuple[Account, int]:
        """Return the account and article a button names, if the rep may act on them.

        Raises:
            CommandUsageError: not a digest button's value, no article id, or not the rep's
                account. Does not check that the article exists (``require_article`` does).
        """
        item = parse_button_value(value)
        return self._account(rep, item.account), item.article_id

    def require_article(self, article_id: int) -> None:
        """Raise ``CommandUsageError`` when no stored article has this id."""
        if self.storage.article(article_id) is None:
            raise CommandUsageError(
                f"article {article_id} was not found in Clipper (it may have been removed); "
                "nothing was changed"
            )

    def share_note(self, rep: Rep, account: Account, article_id: int) -> tuple[str, str]:
        """Return (the pre-filled note, the contact line) for sharing an article."""
        article = self.storage.article(article_id)
        matches = [
            m
            for m in self.storage.account_matches(account.name, limit=200)
            if m.article_id == article_id
        ]
        why = matches[0].reasons[0] if matches and matches[0].reasons else ""
        contact = account.contacts[0] if account.contacts else None
        values = {
            "contact": contact.name if contact else "there",
            "title": (article.title if article else "") or "",
            "url": (article.url if article else "") or "",
            "why": why,
            "account": account.name,
            "rep": rep.name or rep.email,
        }
        try:
            note = self.config.settings.slack.share_template.format(**values)
        except (KeyError, IndexError, ValueError):
            note = "{title}\n{url}".format(**values)
        who = (
            f"{contact.name}"
            + (f" <{contact.email}>" if contact.email else "")
            + (f", {contact.role}" if contact.role else "")
            if contact
            else "no contact on file for this account"
        )
        return cut(note, NOTE_LIMIT), who


def request_key(headers: dict[str, Any], payload: dict[str, Any] | None = None) -> str:
    """Return a key that is the same for a request, its replays and Slack's retries.

    A retry (``X-Slack-Retry-Num``) is signed anew but carries the same ``trigger_id``, which
    no other invocation has; without one, the timestamp and signature (Slack signs each once).
    """
    trigger = str((payload or {}).get("trigger_id") or "")
    if trigger:
        return hashlib.sha256(("trigger:" + trigger).encode()).hexdigest()

    def first(name: str) -> str:
        value = headers.get(name) or headers.get(name.lower()) or ""
        return value[0] if isinstance(value, list | tuple) and value else str(value)

    raw = first("x-slack-request-timestamp") + ":" + first("x-slack-signature")
    return hashlib.sha256(raw.encode()).hexdigest()


def make_slack_app(
    clipper: Clipper,
    *,
    client: WebClient | None = None,
    token_verification: bool = True,
    work: WorkQueue | None = None,
) -> App:
    """Return the Bolt app for ``/clip`` and the buttons.

    ``work`` runs what follows each acknowledgement (default: from ``slack.work_threads`` and
    ``slack.work_queue``); its owner shuts it down before closing ``clipper``.

    Raises:
        SlackAuthError: Slack refuses the bot token (checked once at start with auth.test).
        DeliveryError: Slack could not be reached for that check.
    """
    config = clipper.config
    client = client or WebClient(
        token=config.slack_bot_token, base_url=config.slack_api_base_url, retry_handlers=[]
    )
    try:
        app = App(
            signing_secret=config.slack_signing_secret,
            client=client,
            token_verification_enabled=token_verification,
            # ack listeners run on the request's thread, never queued behind work
            process_before_response=True,
        )
    except BoltError as exc:
        if not isinstance(exc.__context__, SlackApiError):
            raise  # not Slack's answer to auth.test: a setup bug, shown as it is
        # Bolt wraps auth.test's refusal without chaining it; the cause chain keeps both
        raise SlackAuthError(
            f"Slack refused the bot token at start ({exc}); set a valid SLACK_BOT_TOKEN"
        ) from exc
    except (urllib.error.URLError, ConnectionError, TimeoutError) as exc:
        raise DeliveryError(f"could not reach Slack to check the bot token ({exc})") from exc
    actions = ClipActions(clipper)
    work = work or WorkQueue.from_settings(config.settings.slack)
    directory: dict[str, str] = {}

    def rep_for(user_id: str) -> Rep:
        """Return the configured rep behind a Slack user (config slack_id, else email)."""
        for rep in config.reps:
            if rep.slack_id == user_id:
                return rep
        email = directory.get(user_id) or clipper.storage.email_of_slack_user(user_id)
        if email is None:
            try:
                profile = client.users_info(user=user_id)["user"]["profile"]
                email = str(profile.get("email") or "").lower() or None
            except SlackApiError as exc:
                raise CommandUsageError(
                    f"Clipper cannot read your Slack profile ({exc.response.get('error')})"
                ) from None
        if email is not None:
            directory[user_id] = email
            for rep in config.reps:
                if rep.email == email:
                    return rep
        raise CommandUsageError(
            "you are not a rep in Clipper yet; ask your manager to add your email to reps.yaml"
        )

    def ack_clip(ack: Any, command: dict[str, Any], respond: Any, request: Any) -> None:
        try:
            parsed = parse_clip(str(command.get("text") or ""))
        except CommandUsageError as exc:
            ack(f":warning: {exc}\nType `/clip help` for the commands.")
            return
        if parsed.verb == "help":
            unknown = (
                f"I don't know `{escape(cut(parsed.argument, 40))}`.\n" if parsed.argument else ""
            )
            ack(unknown + HELP)
            return
        if not from_slack(respond):
            ack(FOREIGN)
            return
        key = request_key(dict(request.headers), command)
        if not work.submit(
            lambda: run_clip(parsed, command, respond, key),
            stopped=lambda: _respond(respond, STOPPED),
        ):
            log.warning("busy: /clip %s answered busy (work queue full)", parsed.verb)
            ack(BUSY)
            return
        ack()

    def run_clip(parsed: ClipCommand, command: dict[str, Any], respond: Any, key: str) -> None:
        try:
            if not clipper.storage.remember_request("cmd:" + key, clipper.clock()):
                return  # a replay: the first one is being (or was) answered
            rep = rep_for(str(command.get("user_id")))
            text = actions.run(rep, parsed, key)
        except ClipperError as exc:
            text = f":warning: {exc}"
        except Exception:
            log.exception("/clip %s failed", parsed.verb)
            text = (
                ":x: Something went wrong on Clipper's side; nothing was changed. Try again soon."
            )
        _respond(respond, text)

    app.command("/clip")(ack_clip)

    def from_slack(respond: Any) -> bool:
        """Whether answers may go to this request's response_url (never an internal address)."""
        url = getattr(respond, "response_url", None)
        if url is None or response_url_allowed(url, config.slack_api_base_url):
            return True
        log.warning("refused a Slack request whose response_url is not Slack's: %.80r", url)
        return False

    def queued(job: Callable[[dict[str, Any], Any, WebClient], None]) -> Callable[..., None]:
        """Return an ack listener that queues ``job``; when the queue is full the user is told
        through response_url (a button's acknowledgement body is not shown)."""

        def ack_and_queue(ack: Any, body: dict[str, Any], respond: Any, client: WebClient) -> None:
            def busy() -> None:
                _respond(respond, BUSY, replace=False)

            def stopped() -> None:
                _respond(respond, STOPPED, replace=False)

            if not from_slack(respond):
                ack()
                return
            if not work.submit(lambda: job(body, respond, client), busy=busy, stopped=stopped):
                log.warning("busy: a %s click answered busy (work queue full)", job.__name__)
            ack()

        return ack_and_queue

    def clicked(body: dict[str, Any]) -> tuple[dict[str, Any], str]:
        action = (body.get("actions") or [{}])[0]
        key = (
            "act:"
            + hashlib.sha256(
                json.dumps(
                    [
                        body.get("user", {}).get("id"),
                        action.get("action_id"),
                        action.get("value"),
                        action.get("action_ts"),
                    ]
                ).encode()
            ).hexdigest()
        )
        return action, key

    def item_clicked(body: dict[str, Any], *, once: bool) -> tuple[Rep, Account, int] | None:
        """Return who clicked which item; None for a replay when ``once``. Raises
        ``ClipperError`` when the rep may not act on it."""
        action, key = clicked(body)
        if once and not clipper.storage.remember_request(key, clipper.clock()):
            return None
        rep = rep_for(str(body.get("user", {}).get("id")))
        account, article_id = actions.item_of(rep, str(action.get("value", "")))
        return rep, account, article_id

    def feedback(kind: str) -> Callable[..., None]:
        def run(body: dict[str, Any], respond: Any, client: WebClient) -> None:
            try:
                clicked_item = item_clicked(body, once=True)
                if clicked_item is None:
                    return
                rep, account, article_id = clicked_item
                actions.require_article(article_id)
                clipper.record_feedback(account.name, article_id, kind, rep.email)
            except ClipperError as exc:
                _respond(respond, f":warning: {exc}")
                return
            except Exception:
                log.exception("%s failed", kind)
                _respond(respond, ":x: Clipper could not record that; please try again.")
                return
            label = "not relevant" if kind == "not_relevant" else "not about this company"
            note = f"Marked {label}; similar articles will be held back."
            try:
                _update_message(client, body, article_id, account.name, note)
            except SlackApiError as exc:  # recorded: say so, and that only the message is stale
                error = exc.response.get("error")
                log.warning("chat.update failed after recording %s: %s", kind, error)
                _respond(respond, f"{note} (Clipper could not update the digest message: {error}.)")
            except Exception:
                log.exception("updating the message failed after recording %s", kind)
                _respond(respond, f"{note} (Clipper could not update the digest message.)")

        run.__name__ = kind
        return run

    app.action("not_relevant")(queued(feedback("not_relevant")))
    app.action("not_this_company")(queued(feedback("not_this_company")))

    def mute_account(body: dict[str, Any], respond: Any, client: WebClient) -> None:
        try:
            clicked_item = item_clicked(body, once=True)
            if clicked_item is None:
                return
            rep, account, _article = clicked_item
            text = actions.run(rep, ClipCommand("mute", account.name, days=30), "")
        except ClipperError as exc:
            text = f":warning: {exc}"
        except Exception:
            log.exception("mute failed")
            text = ":x: Clipper could not mute that account; please try again."
        _respond(respond, text, replace=False)

    app.action("mute_account")(queued(mute_account))

    def share_open(body: dict[str, Any], respond: Any, client: WebClient) -> None:
        try:
            clicked_item = item_clicked(body, once=False)  # a cancelled share may be reopened
            assert clicked_item is not None
            rep, account, article_id = clicked_item
            actions.require_article(article_id)
            already = clipper.storage.shared(account.name, article_id)
            if already is not None:
                _respond(
                    respond,
                    f"{escape(already.rep)} already shared this with {escape(account.name)} on "
                    f"{already.shared_at:%d %b}; no need to send it again.",
                    replace=False,
                )
                return
            note, contact = actions.share_note(rep, account, article_id)
            container = body.get("container") or {}
            metadata = json.dumps(
                {
                    "article": article_id,
                    "account": account.name,
                    "channel": container.get("channel_id"),
                    "ts": container.get("message_ts"),
                }
            )
            client.views_open(
                trigger_id=body["trigger_id"],
                view=_share_view(account.name, contact, note, metadata),
            )
        except ClipperError as exc:
            _respond(respond, f":warning: {exc}", replace=False)
        except SlackApiError as exc:
            error = exc.response.get("error")
            log.warning("views.open failed: %s", error)
            _respond(
                respond,
                "The share window could not open in time"
                + (" (Slack said: " + str(error) + ")")
                + "; click *Share with customer* again.",
                replace=False,
            )

        except Exception as exc:
            log.exception("share failed")
            _respond(
                respond, f":x: Clipper could not open the share window ({exc}).", replace=False
            )

    app.action("share")(queued(share_open))

    def share_submit(
        body: dict[str, Any], view: dict[str, Any], shared: ShareSubmission, client: WebClient
    ) -> None:
        user = str((body.get("user") or {}).get("id"))

        def tell(text: str) -> None:
            with contextlib.suppress(SlackApiError):
                client.chat_postMessage(channel=user, text=text)

        try:
            rep = rep_for(user)
            account = actions._account(rep, shared.item.account)
            article_id = shared.item.article_id
            logged = clipper.storage.add_touch(
                rep.email,
                account.name,
                SHARE_CHANNEL,
                clipper.clock(),
                article_id=article_id,
                note=shared.note[:NOTE_LIMIT],
                idempotency_key="view:" + str(view.get("id")),
            )
            if logged and shared.channel and shared.ts:
                message = {
                    "channel": {"id": shared.channel},
                    "container": {"channel_id": shared.channel, "message_ts": shared.ts},
                }
                _update_message(
                    client,
                    message,
                    article_id,
                    account.name,
                    f":white_check_mark: Shared with the customer by <@{user}>.",
                    keep_article=True,
                )
        except ClipperError as exc:
            log.warning("share submission failed: %s", exc)
            tell(f"Clipper could not log that share: {exc}")
        except SlackApiError as exc:  # logged; only the digest message is stale
            log.warning("chat.update failed after logging a share: %s", exc.response.get("error"))

    def ack_share_submit(ack: Any, body: dict[str, Any], view: dict[str, Any], client: Any) -> None:
        try:
            shared = parse_share_submission(view)
        except CommandUsageError as exc:  # the window stays open and says why
            log.warning("refused a share submission: %s", exc)
            ack(response_action="errors", errors={"note": str(exc)})
            return
        user = str((body.get("user") or {}).get("id"))

        def stopped() -> None:
            with contextlib.suppress(SlackApiError):
                client.chat_postMessage(channel=user, text=STOPPED)

        if work.submit(lambda: share_submit(body, view, shared, client), stopped=stopped):
            ack()
            return
        log.warning("busy: a share submission answered busy (work queue full)")
        ack(response_action="errors", errors={"note": BUSY})  # the modal stays open

    app.view(SHARE_CALLBACK)(ack_share_submit)

    @app.error
    def on_error(error: Exception, body: dict[str, Any]) -> BoltResponse | None:
        if _raised_in_bolt(error):  # a signed body whose fields Bolt cannot read: bad input
            log.warning(
                "refused a Slack request Bolt could not read: %s: %.200s (HTTP 400)",
                type(error).__name__,
                error,
            )
            return BoltResponse(status=400, body=json.dumps({"error": "malformed request"}))
        log.exception("Slack request failed: %s", error)
        return None

    return app


def _raised_in_bolt(error: BaseException) -> bool:
    """Whether ``error`` was raised with no frame of Clipper's on its way (Bolt reading a
    payload's fields); an error in Clipper's own listeners is not. Does not read the message."""
    frames = traceback.extract_tb(error.__traceback__)
    return bool(frames) and not any(f.filename.startswith(_PACKAGE) for f in frames)


def _share_view(account: str, contact: str, note: str, metadata: str) -> dict[str, Any]:
    return {
        "type": "modal",
        "callback_id": SHARE_CALLBACK,
        "private_metadata": metadata,
        "title": {"type": "plain_text", "text": "Share with customer"},
        "submit": {"type": "plain_text", "text": "Log as shared"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "blocks": [
            {
                "type": "section",
                "text": {
                    "type": "mrkdwn",
                    "text": cut(f"*{escape(account)}* · {escape(contact)}", 3000),
                },
            },
            {
                "type": "input",
                "block_id": "note",
                "label": {"type": "plain_text", "text": "Your note (copy it into your email)"},
                "element": {
                    "type": "plain_text_input",
                    "action_id": "note",
                    "multiline": True,
                    "initial_value": note,
                    "max_length": NOTE_LIMIT,
                },
            },
        ],
    }


def _respond(respond: Any, text: str, *, replace: bool = False) -> None:
    """Post the answer to response_url once; a refused post is logged, never retried blindly."""
    try:
        result = respond(text=cut(text, 3000), response_type="ephemeral", replace_original=replace)
    except Exception as exc:  # noqa: BLE001 - the user cannot be told; the log can
        log.warning("could not answer through response_url: %s", exc)
        return
    status = getattr(result, "status_code", 200)
    if status != 200:
        log.warning("response_url refused the answer: %s %s", status, getattr(result, "body", ""))


def _update_message(
    client: WebClient,
    body: dict[str, Any],
    article_id: int,
    account: str,
    note: str,
    *,
    keep_article: bool = False,
) -> None:
    """Replace one digest item in the message it came from with a one-line note."""
    container = body.get("container") or {}
    channel = container.get("channel_id") or (body.get("channel") or {}).get("id")
    ts = container.get("message_ts")
    if not channel or not ts:
        return
    blocks = (body.get("message") or {}).get("blocks")
    if blocks is None:
        history = client.conversations_history(channel=channel, latest=ts, inclusive=True, limit=1)
        found = history.get("messages") or [{}]
        blocks = found[0].get("blocks") or []
        text = found[0].get("text") or "Clipper digest"
    else:
        text = (body.get("message") or {}).get("text") or "Clipper digest"
    client.chat_update(
        channel=channel,
        ts=ts,
        text=text,
        blocks=replace_item(blocks, article_id, account, note, keep_article=keep_article),
    )
