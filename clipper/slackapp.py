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
button click) changes nothing further. Does not render digests or decide matches, and holds no
business rule: each ``/clip`` verb (``slackclip.CLIP_VERBS``) and button calls one ``Clipper``
method (``rep_actions``) and words the value it returns. Its length is one concept: Bolt's
listeners with their acknowledgement, queueing and answering paths.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import re
import threading
import traceback
import urllib.error
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

from slack_bolt import App, BoltResponse
from slack_bolt.error import BoltError
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.http_retry.handler import RetryHandler
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState

from .config import Account, Contact, Rep, SlackSettings
from .core import Clipper
from .exceptions import ClipperError, CommandUsageError, DeliveryError, SlackAuthError
from .logic.blockkit import (
    INDUSTRY_MORE_VALUE,
    SHOW_MORE,
    SHOW_MORE_INDUSTRIES,
    SlackMessage,
    cut,
    escape,
    escape_name,
    replace_item,
    replace_more,
)
from .logic.clip import (
    CONTACT_ACTION,
    HELP,
    USEFUL_ACTION,
    ClipCommand,
    ShareSubmission,
    parse_button_value,
    parse_clip,
    parse_more_value,
    parse_share_submission,
    parse_useful_value,
    useful_value,
)
from .logic.digest import DigestItem
from .logic.inbound import response_url_allowed
from .logic.words import plural
from .ports import MetricsType
from .slackclip import (
    MORE_PAGE,
    BlocksAnswer,
    SlackUsers,
    Upload,
    answer_clip,
    render_industry_left_out,
    render_left_out,
    render_useful,
    share_contact_line,
    upload_for,
)
from .types import SlackRetry

log = logging.getLogger(__name__)
#: where Clipper's own code lives (an error raised only outside it came from Bolt)
_PACKAGE = str(Path(__file__).resolve().parent)
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


#: how often the app's own Web API calls are tried again after a 429 (digests: the outbox's)
APP_RATE_LIMIT_RETRIES = 2
#: the longest Retry-After the app's calls wait for: a person is waiting (and a trigger_id
#: expires in 3 s); a longer one fails the call at once, as Slack asked
APP_RATE_LIMIT_MAX_WAIT_S = 10.0


class CountedRateLimitRetry(RetryHandler):
    """slack-sdk retry handler for the app's own calls (views.open, chat.postEphemeral,
    chat.update, users.info, ...): counts every 429 (``clipper_slack_rate_limited``) and each
    retry (``clipper_slack_retries{reason="rate_limited"}``), and tries again after Slack's
    Retry-After, at most ``APP_RATE_LIMIT_RETRIES`` times and only for a wait up to
    ``APP_RATE_LIMIT_MAX_WAIT_S``; a stop (``stopping``) cuts the wait short and gives up.

    Does not retry anything but a 429: Slack ran nothing then, so the call is safe to repeat.
    """

    def __init__(self, metrics: MetricsType, stopping: threading.Event) -> None:
        super().__init__(max_retry_count=APP_RATE_LIMIT_RETRIES)
        self.metrics = metrics
        self.stopping = stopping

    def can_retry(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        # every 429 is counted here, the last one too (the base class would not ask past
        # max_retry_count)
        if response is None or response.status_code != 429:
            return False
        self.metrics.slack_rate_limited()
        wait = _retry_after(response)
        retry = (
            state.current_attempt < self.max_retry_count
            and wait <= APP_RATE_LIMIT_MAX_WAIT_S
            and not self.stopping.is_set()
        )
        log.info(
            "Slack rate-limited %s (Retry-After %gs)%s",
            request.url.rsplit("/", 1)[-1],
            wait,
            "; trying again" if retry else "; not trying again",
        )
        return retry

    def _can_retry(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        return response is not None and response.status_code == 429

    def prepare_for_next_attempt(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> None:
        wait = _retry_after(response) if response is not None else 1.0
        if self.stopping.wait(wait):
            return  # stopping: the 429 goes back to the caller, as if not retried
        self.metrics.slack_retry(SlackRetry.RATE_LIMITED)
        state.next_attempt_requested = True
        state.increment_current_attempt()


def _retry_after(response: HttpResponse) -> float:
    """Seconds Slack's Retry-After asks for (1 when it is missing or unreadable)."""
    for name, values in response.headers.items():
        if name.lower() == "retry-after" and values:
            try:
                return max(0.0, float(values[0]))
            except ValueError:
                break
    return 1.0


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
        token=config.slack_bot_token,
        base_url=config.slack_api_base_url,
        # 429s only: a connection-error retry could repeat a post Slack accepted (SLACK.md 4.4)
        retry_handlers=[CountedRateLimitRetry(clipper.metrics, clipper.stopping)],
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
    work = work or WorkQueue.from_settings(config.settings.slack)
    users = SlackUsers(clipper, client)

    def ack_clip(ack: Any, command: dict[str, Any], respond: Any, request: Any) -> None:
        try:
            parsed = parse_clip(str(command.get("text") or ""))
        except CommandUsageError as exc:
            clipper.metrics.clip_request("invalid")
            ack(f":warning: {exc}\nType `/clip help` for the commands.")
            return
        clipper.metrics.clip_request(parsed.verb)  # one of logic.clip.VERBS
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

        def stopped() -> None:
            _respond(respond, STOPPED)

        if not work.submit(
            lambda: run_clip(parsed, command, respond, key),
            stopped=stopped,
        ):
            log.warning("busy: /clip %s answered busy (work queue full)", parsed.verb)
            ack(BUSY)
            return
        ack()

    def run_clip(parsed: ClipCommand, command: dict[str, Any], respond: Any, key: str) -> None:
        rep: Rep | None = None
        answer: str | BlocksAnswer
        try:
            if not clipper.remember_request("cmd:" + key):
                return  # a replay: the first one is being (or was) answered
            rep = users.rep_for(str(command.get("user_id")))
            answer = answer_clip(clipper, rep, parsed, key)
            upload = upload_for(clipper, rep, parsed)
            if upload is not None and isinstance(answer, str):  # the text says where it went
                channel = str(command.get("channel_id") or "")
                user = str(command.get("user_id"))
                answer += "\n" + _upload(client, upload, channel, user)
        except ClipperError as exc:
            answer = f":warning: {exc}"
        except Exception:
            log.exception("/clip %s failed", parsed.verb)
            answer = (
                ":x: Something went wrong on Clipper's side; nothing was changed. Try again soon."
            )
        if _respond(respond, answer) and isinstance(answer, BlocksAnswer) and rep is not None:
            shown_now(rep, answer.shown)
            industry_shown_now(rep, answer.industry_shown)

    def shown_now(rep: Rep, items: tuple[DigestItem, ...]) -> None:
        """Record left-out items as shown once Slack took the message showing them."""
        if not items:
            return
        try:
            clipper.mark_shown(rep, items)
        except ClipperError as exc:  # shown, not recorded: they may be offered once more
            log.warning(
                "could not record %s as shown: %s", plural(len(items), "left-out item"), exc
            )

    def industry_shown_now(rep: Rep, items: tuple[DigestItem, ...]) -> None:
        """Record left-out industry stories as shown once Slack took the message showing
        them."""
        if not items:
            return
        try:
            clipper.mark_industry_shown(rep, items)
        except ClipperError as exc:  # shown, not recorded: they may be offered once more
            log.warning("could not record %d industry stories as shown: %s", len(items), exc)

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
        if once and not clipper.remember_request(key):
            return None
        rep = users.rep_for(str(body.get("user", {}).get("id")))
        item = parse_button_value(str(action.get("value", "")))
        return rep, clipper.account_for(rep, item.account), item.article_id

    def feedback(kind: str) -> Callable[..., None]:
        def run(body: dict[str, Any], respond: Any, client: WebClient) -> None:
            try:
                clicked_item = item_clicked(body, once=True)
                if clicked_item is None:
                    return
                rep, account, article_id = clicked_item
                clipper.require_article(article_id)
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
                if not _update_message(client, body, article_id, account.name, note):
                    _respond(respond, note)  # an ephemeral answer (/clip news) stays as it is
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
            text = answer_clip(clipper, rep, ClipCommand("mute", account.name, days=30), "")
        except ClipperError as exc:
            text = f":warning: {exc}"
        except Exception:
            log.exception("mute failed")
            text = ":x: Clipper could not mute that account; please try again."
        _respond(respond, text, replace=False)

    app.action("mute_account")(queued(mute_account))

    def show_more(body: dict[str, Any], respond: Any, client: WebClient) -> None:
        """Post the next page of what the digest left out on an account in the digest's
        thread (an ephemeral answer when the button is not on a message one can reply to),
        mark what was posted shown, and turn the button into a note."""
        action, key = clicked(body)
        try:
            if not clipper.remember_request(key):
                return  # the same click again
            rep = users.rep_for(str(body.get("user", {}).get("id")))
            account = clipper.account_for(rep, parse_more_value(str(action.get("value", ""))))
            page = clipper.left_out(rep, account.name, limit=MORE_PAGE)
        except ClipperError as exc:
            _respond(respond, f":warning: {exc}")
            return
        except Exception:
            log.exception("show more failed")
            _respond(respond, ":x: Clipper could not show those; please try again.")
            return
        if not page.items:
            _respond(
                respond,
                f"Nothing more on *{escape_name(account.name)}*: everything your digests left out "
                f"has been shown. `/clip news {escape(account.name)}` lists the latest.",
            )
            _edit_more(client, body, account.name, "Shown already.")
            return
        messages = render_left_out(rep, page, button=True)
        shown = post_page(body, respond, client, messages, page.items)
        shown_now(rep, tuple(shown))
        if shown:
            count = len(shown)
            _edit_more(
                client,
                body,
                account.name,
                f":arrow_down: {count} more on {escape_name(account.name)} shown in the thread "
                "below.",
            )

    def post_page(
        body: dict[str, Any],
        respond: Any,
        client: WebClient,
        messages: list[SlackMessage],
        items: tuple[DigestItem, ...],
    ) -> list[DigestItem]:
        """Post a "Show more" page in the clicked message's thread (an ephemeral answer when
        the button is not on a message one can reply to); return the items Slack took. Does
        not mark them shown."""
        container = body.get("container") or {}
        message = body.get("message") or {}
        channel = container.get("channel_id") or (body.get("channel") or {}).get("id")
        # a reply's own "Show more" continues its parent's thread
        parent = (
            container.get("thread_ts") or message.get("thread_ts") or container.get("message_ts")
        )
        shown: list[DigestItem] = []
        if channel and parent and not container.get("is_ephemeral"):
            for posted in messages:
                try:
                    client.chat_postMessage(
                        channel=channel,
                        thread_ts=parent,
                        text=posted.text,
                        blocks=list(posted.blocks),
                        unfurl_links=False,
                        unfurl_media=False,
                    )
                except SlackApiError as exc:
                    error = exc.response.get("error")
                    log.warning("posting left-out items failed: %s", error)
                    _respond(
                        respond,
                        f":warning: Slack refused part of the list ({error}); what was not "
                        "posted stays under *Show more* and `/clip news`.",
                    )
                    break
                ids = set(posted.article_ids)
                shown += [i for i in items if i.article_id in ids]
        else:
            first = messages[0]
            ids = set(first.article_ids)
            page = tuple(i for i in items if i.article_id in ids)
            if _respond(respond, BlocksAnswer(first.text, first.blocks, page)):
                shown += page
        return shown

    def show_more_industries(body: dict[str, Any], respond: Any, client: WebClient) -> None:
        """Post the next page of the industry news the digest left out in its thread (or
        privately), mark what was posted shown, and turn the button into a note."""
        _action, key = clicked(body)
        try:
            if not clipper.remember_request(key):
                return  # the same click again
            rep = users.rep_for(str(body.get("user", {}).get("id")))
            page = clipper.industry_left_out(rep, limit=MORE_PAGE)
        except ClipperError as exc:
            _respond(respond, f":warning: {exc}")
            return
        except Exception:
            log.exception("show more industries failed")
            _respond(respond, ":x: Clipper could not show those; please try again.")
            return
        if not page.items:
            _respond(
                respond,
                "Nothing more in your industries: every industry story your digests left out "
                "has been shown.",
            )
            _edit_industry_more(client, body, "Shown already.")
            return
        messages = render_industry_left_out(rep, page, button=True)
        shown = post_page(body, respond, client, messages, page.items)
        industry_shown_now(rep, tuple(shown))
        if shown:
            _edit_industry_more(
                client,
                body,
                f":arrow_down: {len(shown)} more in your industries shown in the thread below.",
            )

    app.action(SHOW_MORE)(queued(show_more))
    app.action(SHOW_MORE_INDUSTRIES)(queued(show_more_industries))

    def share_open(body: dict[str, Any], respond: Any, client: WebClient) -> None:
        try:
            clicked_item = item_clicked(body, once=False)  # a cancelled share may be reopened
            assert clicked_item is not None
            rep, account, article_id = clicked_item
            clipper.require_article(article_id)
            already = clipper.shared_already(account.name, article_id)
            if already is not None:
                _respond(
                    respond,
                    f"{escape_name(already.rep)} already shared this with "
                    f"{escape_name(account.name)} on "
                    f"{already.shared_at:%d %b}; no need to send it again.",
                    replace=False,
                )
                return
            draft = clipper.share_draft(rep, account, article_id)
            container = body.get("container") or {}
            if container.get("is_ephemeral"):  # /clip news: no message Slack lets us update
                container = {}
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
                view=_share_view(
                    account.name,
                    share_contact_line(draft.contact),
                    # its line breaks kept: the rep copies it into an email as it is
                    draft.note[:NOTE_LIMIT],
                    metadata,
                    contacts=account.contacts,
                ),
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

    # "Share with customer", and "Share for <account>" on an item also about other accounts
    app.action(re.compile(r"^share(_also_\d+)?$"))(queued(share_open))

    def share_submit(
        body: dict[str, Any], view: dict[str, Any], shared: ShareSubmission, client: WebClient
    ) -> None:
        user = str((body.get("user") or {}).get("id"))

        def tell(text: str) -> None:
            with contextlib.suppress(SlackApiError):
                client.chat_postMessage(channel=user, text=text)

        try:
            rep = users.rep_for(user)
            account = clipper.account_for(rep, shared.item.account)
            article_id = shared.item.article_id
            logged = clipper.log_share(
                rep,
                account.name,
                article_id,
                shared.note[:NOTE_LIMIT],
                key="view:" + str(view.get("id")),
                contact=shared.contact,
            )
            if logged and shared.channel and shared.ts:
                message = {
                    "channel": {"id": shared.channel},
                    "container": {"channel_id": shared.channel, "message_ts": shared.ts},
                }
                share = clipper.share_touch(account.name, article_id)
                _update_message(
                    client,
                    message,
                    article_id,
                    account.name,
                    f":white_check_mark: Shared with the customer by <@{user}>.",
                    keep_article=True,
                    then=[_useful_block(share.id)] if share is not None else [],
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
            ack(response_action="errors", errors={_note_block(view): str(exc)})
            return
        user = str((body.get("user") or {}).get("id"))

        def stopped() -> None:
            with contextlib.suppress(SlackApiError):
                client.chat_postMessage(channel=user, text=STOPPED)

        if work.submit(lambda: share_submit(body, view, shared, client), stopped=stopped):
            ack()
            return
        log.warning("busy: a share submission answered busy (work queue full)")
        ack(response_action="errors", errors={_note_block(view): BUSY})  # the modal stays open

    app.view(SHARE_CALLBACK)(ack_share_submit)

    def share_contact_changed(body: dict[str, Any], client: WebClient) -> None:
        """Re-write the open share window's note for the contact its select now holds (the
        note block gets a new id, so Slack shows the new note, not the old input)."""
        view = body.get("view") or {}
        try:
            shared = parse_share_submission(view)
            rep = users.rep_for(str((body.get("user") or {}).get("id")))
            account = clipper.account_for(rep, shared.item.account)
            draft = clipper.share_draft(
                rep, account, shared.item.article_id, contact=shared.contact
            )
            client.views_update(
                view_id=str(view.get("id")),
                hash=view.get("hash"),
                view=_share_view(
                    account.name,
                    share_contact_line(draft.contact),
                    draft.note[:NOTE_LIMIT],
                    str(view.get("private_metadata")),
                    contacts=account.contacts,
                    chosen=shared.contact,
                ),
            )
        except ClipperError as exc:
            log.warning("share window contact change refused: %s", exc)
        except SlackApiError as exc:  # e.g. hash_conflict: the rep typed meanwhile
            log.warning("views.update of a share window failed: %s", exc.response.get("error"))

    def ack_share_contact(ack: Any, body: dict[str, Any], client: WebClient) -> None:
        ack()
        work.submit(lambda: share_contact_changed(body, client))

    app.action(CONTACT_ACTION)(ack_share_contact)

    def useful_clicked(body: dict[str, Any], respond: Any, client: WebClient) -> None:
        """Mark a share found useful (its button) once, then turn the button into a note (an
        answer through response_url when the message cannot be changed)."""
        action, key = clicked(body)
        try:
            if not clipper.remember_request(key):
                return  # the same click again (a Slack retry)
            rep = users.rep_for(str(body.get("user", {}).get("id")))
            touch_id = parse_useful_value(str(action.get("value", "")))
            marked = clipper.mark_useful(rep, touch_id)
        except ClipperError as exc:
            _respond(respond, f":warning: {exc}")
            return
        except Exception:
            log.exception("marking a share useful failed")
            _respond(respond, ":x: Clipper could not record that; please try again.")
            return
        answer = render_useful(marked)
        if marked.already:
            _respond(respond, answer)
            return
        note = (
            f":star: The customer found it useful (marked by <@{body['user']['id']}>; "
            "`/clip me` counts it)."
        )
        try:
            if not _replace_useful(client, body, touch_id, note):
                _respond(respond, answer)
        except SlackApiError as exc:  # recorded: only the message is stale
            log.warning("chat.update failed after a useful mark: %s", exc.response.get("error"))
            _respond(respond, answer)

    app.action(USEFUL_ACTION)(queued(useful_clicked))

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


#: Slack's answers meaning the bot may not post in a conversation (a DM between two people, a
#: channel it is not in, an archived one): the file goes to the user's DM with the bot instead
CANNOT_POST_THERE = frozenset(
    {"channel_not_found", "not_in_channel", "is_archived", "restricted_action", "access_denied"}
)


def _upload_to(client: WebClient, upload: Upload, channel: str) -> tuple[str, str] | None:
    """Upload a file into ``channel`` with slack-sdk's ``files_upload_v2``
    (files.getUploadURLExternal, the bytes to its upload_url, files.completeUploadExternal);
    None when it arrived, else (Slack's error code, or "" when the bytes did not reach the
    upload URL; the reason a user reads). Does not retry."""
    try:
        client.files_upload_v2(
            channel=channel,
            file=upload.content,
            filename=upload.filename,
            title=upload.title,
            alt_txt=upload.alt_text,
        )
    except SlackApiError as exc:
        error = str(exc.response.get("error") or "an error")
        if error == "missing_scope":
            needed = exc.response.get("needed") or "files:write"
            return error, (
                f"the Slack app lacks the {needed} scope; an admin adds it and reinstalls the app"
            )
        return error, f"Slack said {error}"
    except urllib.error.HTTPError as exc:
        return "", f"the upload was refused: HTTP {exc.code}"
    except (SlackClientError, urllib.error.URLError, OSError) as exc:
        return "", f"the upload failed: {str(exc)[:200]}"
    log.info("uploaded %s to %s", upload.filename, channel)
    return None


def _upload(client: WebClient, upload: Upload, channel: str, user: str) -> str:
    """Upload ``upload`` where the command was run, else (the bot cannot post there) into the
    user's DM with the bot; return the line the text answer ends with, saying where the file
    went or why it could not be attached. Does not raise for a failed upload."""
    if channel:
        failed = _upload_to(client, upload, channel)
        if failed is None:
            return f"_The chart ({escape(upload.filename)}) is attached below._"
        code, reason = failed
        if code not in CANNOT_POST_THERE:
            log.warning("uploading %s failed: %s", upload.filename, reason)
            return f":warning: The chart could not be attached: {escape(reason)}."
    try:
        dm = str(client.conversations_open(users=user)["channel"]["id"])
    except SlackApiError as exc:
        failed = (str(exc.response.get("error")), f"Slack said {exc.response.get('error')}")
    else:
        failed = _upload_to(client, upload, dm)
    if failed is not None:
        code, reason = failed
        log.warning("uploading %s to a DM failed: %s", upload.filename, reason)
        if channel:
            reason = f"Clipper cannot post in this conversation, nor in your DM with it ({reason})"
        return f":warning: The chart could not be attached: {escape(reason)}."
    return (
        "_Clipper cannot post in this conversation, so the chart "
        f"({escape(upload.filename)}) went to your DM with Clipper._"
    )


def _raised_in_bolt(error: BaseException) -> bool:
    """Whether ``error`` was raised with no frame of Clipper's on its way (Bolt reading a
    payload's fields); an error in Clipper's own listeners is not. Does not read the message."""
    frames = traceback.extract_tb(error.__traceback__)
    return bool(frames) and not any(f.filename.startswith(_PACKAGE) for f in frames)


def _note_block(view: dict[str, Any]) -> str:
    """The id of a share window's note block ("note", or "note_N" after a contact change)."""
    values = ((view.get("state") or {}).get("values")) or {}
    return next((k for k in values if str(k).startswith("note_")), "note")


#: most options a static_select offers, and longest option text (Block Kit limits)
MAX_OPTIONS = 100
MAX_OPTION_TEXT = 75


def _contact_option(index: int, contact: Contact) -> dict[str, Any]:
    label = contact.name + (f", {contact.title}" if contact.title else "")
    return {
        "text": {"type": "plain_text", "text": cut(label, MAX_OPTION_TEXT), "emoji": False},
        "value": str(index),
    }


def _contact_select(contacts: Sequence[Contact], chosen: int | None) -> dict[str, Any]:
    """The share window's "Sending to" select: the account's first 100 contacts, by index
    (a name never travels as a value), ``chosen`` (else the first) selected."""
    options = [_contact_option(i, c) for i, c in enumerate(contacts[:MAX_OPTIONS])]
    initial = options[chosen] if chosen is not None and 0 <= chosen < len(options) else options[0]
    return {
        "type": "input",
        "block_id": "contact",
        "dispatch_action": True,
        "label": {"type": "plain_text", "text": "Sending to"},
        "element": {
            "type": "static_select",
            "action_id": CONTACT_ACTION,
            "options": options,
            "initial_option": initial,
        },
    }


def _share_view(
    account: str,
    contact: str,
    note: str,
    metadata: str,
    *,
    contacts: Sequence[Contact] = (),
    chosen: int | None = None,
) -> dict[str, Any]:
    """The share window; with ``contacts``, a select of them above the note (its block id
    ``note_N`` after contact N was chosen, so Slack shows the re-written note)."""
    note_block = "note" if chosen is None else f"note_{chosen}"
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
                    "text": cut(f"*{escape_name(account)}* · {escape_name(contact)}", 3000),
                },
            },
            # one contact needs no choice: the line above names them
            *([_contact_select(contacts, chosen)] if len(contacts) > 1 else []),
            {
                "type": "input",
                "block_id": note_block,
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


def _cut_lines(text: str, limit: int) -> str:
    """Return ``text`` at most ``limit`` characters, its line breaks kept (lists stay lists),
    cut after a whole line with the number of lines left out. Does not escape anything."""
    if len(text) <= limit:
        return text
    lines = text.splitlines()
    kept: list[str] = []
    size = 0
    for line in lines:
        if size + len(line) + 1 > limit - 40:
            break
        kept.append(line)
        size += len(line) + 1
    if not kept:
        return cut(text, limit)
    return "\n".join(kept) + f"\n… ({plural(len(lines) - len(kept), 'more line')} not shown)"


def _respond(respond: Any, answer: str | BlocksAnswer, *, replace: bool = False) -> bool:
    """Post the answer to response_url once; a refused post is logged, never retried blindly.
    Return whether Slack took it."""
    blocks = list(answer.blocks) if isinstance(answer, BlocksAnswer) else None
    text = answer.text if isinstance(answer, BlocksAnswer) else answer
    try:
        result = respond(
            text=_cut_lines(text, 3000),
            blocks=blocks,
            response_type="ephemeral",
            replace_original=replace,
        )
    except Exception as exc:  # noqa: BLE001 - the user cannot be told; the log can
        log.warning("could not answer through response_url: %s", exc)
        return False
    status = getattr(result, "status_code", 200)
    if status != 200:
        log.warning("response_url refused the answer: %s %s", status, getattr(result, "body", ""))
        return False
    return True


def _edit_industry_more(client: WebClient, body: dict[str, Any], note: str) -> None:
    """Replace the "Your industries" section's "Show N more" button with a note (as
    ``_edit_more`` does for an account's)."""
    _edit_more(client, body, "", note, action_id=SHOW_MORE_INDUSTRIES, value=INDUSTRY_MORE_VALUE)


def _edit_more(
    client: WebClient,
    body: dict[str, Any],
    account: str,
    note: str,
    *,
    action_id: str = SHOW_MORE,
    value: str | None = None,
) -> None:
    """Replace the account's "Show N more" button in the clicked message with a note; a
    message Slack will not change (ephemeral, gone) keeps its button, which stays harmless."""
    container = body.get("container") or {}
    channel = container.get("channel_id") or (body.get("channel") or {}).get("id")
    ts = container.get("message_ts")
    message = body.get("message") or {}
    if not channel or not ts or container.get("is_ephemeral") or "blocks" not in message:
        return
    try:
        client.chat_update(
            channel=channel,
            ts=ts,
            text=message.get("text") or "Clipper digest",
            blocks=replace_more(message["blocks"], account, note, action_id=action_id, value=value),
        )
    except SlackApiError as exc:
        log.warning("could not turn a Show more button into a note: %s", exc.response.get("error"))


#: most blocks in a message (Block Kit)
MAX_BLOCKS = 50


def _useful_block(touch_id: int) -> dict[str, Any]:
    """The "Customer found it useful" button under a logged share (block ``useful-ID``)."""
    return {
        "type": "actions",
        "block_id": f"useful-{touch_id}",
        "elements": [
            {
                "type": "button",
                "action_id": USEFUL_ACTION,
                "text": {"type": "plain_text", "text": "Customer found it useful"},
                "value": useful_value(touch_id),
            }
        ],
    }


def _replace_useful(client: WebClient, body: dict[str, Any], touch_id: int, note: str) -> bool:
    """Replace a share's "Customer found it useful" button in the clicked message with a
    note; False when there is no message Slack lets Clipper change."""
    container = body.get("container") or {}
    channel = container.get("channel_id") or (body.get("channel") or {}).get("id")
    ts = container.get("message_ts")
    message = body.get("message") or {}
    if not channel or not ts or container.get("is_ephemeral") or "blocks" not in message:
        return False
    block_id = f"useful-{touch_id}"
    blocks = [
        (
            {
                "type": "context",
                "block_id": block_id,
                "elements": [{"type": "mrkdwn", "text": note}],
            }
            if block.get("block_id") == block_id
            else block
        )
        for block in message["blocks"]
    ]
    client.chat_update(
        channel=channel, ts=ts, text=message.get("text") or "Clipper digest", blocks=blocks
    )
    return True


def _update_message(
    client: WebClient,
    body: dict[str, Any],
    article_id: int,
    account: str,
    note: str,
    *,
    keep_article: bool = False,
    then: Sequence[dict[str, Any]] = (),
) -> bool:
    """Replace one digest item in the message it came from with a one-line note (followed by
    ``then``'s blocks, when the message has room for them); False when there is no message
    Slack lets Clipper change (none named, or an ephemeral one)."""
    container = body.get("container") or {}
    channel = container.get("channel_id") or (body.get("channel") or {}).get("id")
    ts = container.get("message_ts")
    if not channel or not ts or container.get("is_ephemeral"):
        return False
    blocks = (body.get("message") or {}).get("blocks")
    if blocks is None:
        history = client.conversations_history(channel=channel, latest=ts, inclusive=True, limit=1)
        found = history.get("messages") or [{}]
        blocks = found[0].get("blocks") or []
        text = found[0].get("text") or "Clipper digest"
    else:
        text = (body.get("message") or {}).get("text") or "Clipper digest"
    changed = replace_item(blocks, article_id, account, note, keep_article=keep_article)
    if then and len(changed) + len(then) <= MAX_BLOCKS:
        at = next(
            (
                n
                for n, b in enumerate(changed)
                if b.get("type") == "context"
                and str(b.get("block_id", "")).startswith("done-")
                and (b.get("elements") or [{}])[0].get("text") == note
            ),
            None,
        )
        if at is not None:
            changed[at + 1 : at + 1] = list(then)
    client.chat_update(channel=channel, ts=ts, text=text, blocks=changed)
    return True
