"""Loading the configuration: assemble ``Config`` from the settings file, feed catalogs,
accounts and reps, collecting every problem (file, line, key) and warning.

One bad catalog, feed, account or rep is reported and skipped; the rest still loads. Does not
read the environment itself: callers pass ``environ``.
"""

from __future__ import annotations

import functools
import typing
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import quote_plus

from pydantic import ValidationError

from ..exceptions import ConfigError
from ..logic.database import MEMORY, parse_database_url
from ..logic.urls import redact_url
from ..types import DatabaseUrl, FeedSource
from .settings import (
    DEFAULT_CONFIG_PATH,
    Account,
    Catalog,
    CatalogFeed,
    HealthSettings,
    Rep,
    Settings,
)
from .yamlfile import _did_you_mean, _list_section, _validate, read_yaml


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
    #: the touch webhook's HMAC secret (from ``touches.webhook.secret_env``)
    webhook_secret: str | None = None
    #: the web page's link-signing secret (``CLIPPER_WEB_SECRET``; None: the secret file)
    web_secret: str | None = field(default=None, repr=False)

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

    @functools.cached_property
    def accounts_by_name(self) -> dict[str, Account]:
        """Return each account by its name, computed once per loaded configuration."""
        return {account.name: account for account in self.accounts}

    @functools.cached_property
    def first_contacts(self) -> dict[str, str]:
        """Return each account's first contact's name (accounts without contacts left out),
        computed once per loaded configuration."""
        return {a.name: a.contacts[0].name for a in self.accounts if a.contacts}

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
                        origin=(
                            f"{catalog.path}:{catalog.feed_lines[index]}"
                            if index < len(catalog.feed_lines)
                            else f"{catalog.path} feeds[{index}]"
                        ),
                        source_type=feed.type,
                        weight=feed.weight,
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
    if settings.slack.share_template is not None:
        warnings.append(
            f"{doc.where(('slack', 'share_template'))}: slack.share_template is deprecated: "
            "move it to share.templates.default (share.templates also has funding, leadership, "
            "acquisition and industry notes)"
        )
    catalogs, skipped_industries = _load_catalogs(resolve(settings.feeds_dir), problems)
    accounts = _load_entries(resolve(settings.accounts), "accounts", Account, problems)
    reps = _load_entries(resolve(settings.reps), "reps", Rep, problems)
    if accounts.loaded and accounts.listed == 0:
        warnings.append(
            f"{accounts.file}:1: no accounts: nothing will be matched to an account until some "
            "are added (or imported with 'clipper accounts import')"
        )
    _cross_check(catalogs, skipped_industries, accounts, reps, problems)
    _check_tiers(accounts, settings.touches.tier_targets, path, problems)
    webhook = settings.touches.webhook
    webhook_secret = environ.get(webhook.secret_env) or None if webhook is not None else None
    if webhook is not None and webhook_secret is None:
        problems.append(
            f"{path}: touches.webhook.secret_env: the environment variable "
            f"{webhook.secret_env} is not set (or empty); touches are queued but not sent to "
            "the webhook until it is"
        )
    override = environ.get("CLIPPER_HEALTH_LISTEN", "").strip()
    if override and not invalid:
        try:
            health = HealthSettings(listen=override)
        except ValidationError as exc:
            reason = exc.errors()[0].get("msg", str(exc))
            problems.append(f"CLIPPER_HEALTH_LISTEN: {reason}")
            invalid = True
        else:
            settings = settings.model_copy(update={"health": health})
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
        webhook_secret=webhook_secret,
        web_secret=environ.get("CLIPPER_WEB_SECRET") or None,
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
        lines: list[int] = []
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
            lines.append(doc.lines.get(("feeds", index, "url"), doc.lines.get(("feeds", index), 1)))
        if head.industry in seen:
            problems.append(
                f"{doc.where(('industry',))}: industry: '{head.industry}' is already defined in "
                f"{seen[head.industry]}"
            )
            continue
        seen[head.industry] = str(file)
        catalogs.append(
            head.model_copy(
                update={"feeds": tuple(feeds), "path": str(file), "feed_lines": tuple(lines)}
            )
        )
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


def _check_tiers(
    accounts: _Entries[Account], tiers: Mapping[str, int], settings: Path, problems: list[str]
) -> None:
    """Report account tiers that ``touches.tier_targets`` does not name (the account still
    loads, with the default target)."""
    for account in accounts.items:
        if account.tier is None or account.tier in tiers:
            continue
        where = accounts.origins.get(f"accounts:{account.name.casefold()}", "?")
        known = ", ".join(sorted(tiers)) or "none"
        problems.append(
            f"{where}: {account.name}: tier: '{account.tier}' has no target in "
            f"touches.tier_targets of {settings}{_did_you_mean(account.tier, list(tiers))} "
            f"(known: {known}); touches.target_per_year is used"
        )
