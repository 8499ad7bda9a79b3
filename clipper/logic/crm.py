"""CRM exports (Salesforce, HubSpot) to account entries, and merging them into an accounts list.

Reads text, returns values and located problems; bad rows are reported by line and skipped, good
rows are kept. Does not read or write files.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .urls import EMAIL, domain_of

#: CSV header (lower case) → account field, for Salesforce and HubSpot exports
COLUMNS: dict[str, str] = {
    "account name": "name",
    "name": "name",
    "company name": "name",
    "company": "name",
    "account": "name",
    "website": "domains",
    "company domain name": "domains",
    "domain": "domains",
    "website url": "domains",
    "ticker symbol": "tickers",
    "ticker": "tickers",
    "tickers": "tickers",
    "industry": "industry",
    "account owner email": "owner",
    "owner email": "owner",
    "company owner email": "owner",
    "account owner": "owner",
    "company owner": "owner",
    "owner": "owner",
    "aliases": "aliases",
    "alias": "aliases",
    "also known as": "aliases",
    "parent account": "aliases",
}
_SPLIT = re.compile(r"\s*[;|]\s*")


def _slug(value: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", value.lower()).strip("-")


@dataclass(frozen=True)
class ImportResult:
    """Accounts read from a CSV, and every row that was skipped or doubtful, by line."""

    accounts: tuple[dict[str, Any], ...] = ()
    problems: tuple[str, ...] = ()
    warnings: tuple[str, ...] = field(default_factory=tuple)


def read_crm_csv(
    text: str,
    *,
    source: str,
    rep_names: Mapping[str, str],
    rep_emails: frozenset[str],
    industries: frozenset[str],
) -> ImportResult:
    """Return accounts from a CRM export.

    Args:
        rep_names: lower-case rep name → email, to resolve "Account Owner" given as a name.
        industries: known industry slugs; a CRM industry is matched by slug ("Oil & Gas" →
            "oil-gas"), else kept as written and warned about.
    """
    sample = text[:4096]
    try:
        dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(sample, ",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text), dialect)
    try:
        header = next(reader)
    except StopIteration:
        return ImportResult(problems=(f"{source}:1: empty file",))
    fields = [COLUMNS.get(h.strip().lstrip("\ufeff").lower()) for h in header]
    if "name" not in fields:
        return ImportResult(
            problems=(
                f"{source}:1: no account name column (expected one of: Account Name, "
                f"Company name, Name); found: {', '.join(header)}",
            )
        )
    accounts: list[dict[str, Any]] = []
    problems: list[str] = []
    warnings: list[str] = []
    seen: dict[str, int] = {}
    industry_by_slug = {_slug(i): i for i in industries}
    for row in reader:
        line = reader.line_num
        if not any(cell.strip() for cell in row):
            continue
        values: dict[str, list[str]] = {}
        for name, cell in zip(fields, row, strict=False):
            if name and cell.strip():
                values.setdefault(name, []).append(cell.strip())
        name = (values.get("name") or [""])[0]
        if not name:
            problems.append(f"{source}:{line}: no account name; row skipped")
            continue
        if name.casefold() in seen:
            problems.append(
                f"{source}:{line}: account {name!r} already on line {seen[name.casefold()]}; "
                "row skipped"
            )
            continue
        account: dict[str, Any] = {"name": name}
        owner_raw = (values.get("owner") or [""])[0]
        owner = None
        if owner_raw:
            if EMAIL.fullmatch(owner_raw):
                owner = owner_raw.lower()
            else:
                owner = rep_names.get(owner_raw.casefold())
            if owner is None or owner not in rep_emails:
                problems.append(
                    f"{source}:{line}: owner {owner_raw!r} of {name!r} is not a rep in the reps "
                    "file (add the rep, or use the owner's email); row skipped"
                )
                continue
            account["owner"] = owner
        else:
            warnings.append(f"{source}:{line}: {name!r} has no owner; no one gets its digest")
        domains = [
            d
            for v in values.get("domains", [])
            for d in (domain_of(x) for x in _SPLIT.split(v))
            if d
        ]
        bad = [d for d in domains if "." not in d or " " in d]
        if bad:
            problems.append(f"{source}:{line}: {name!r}: not a domain: {bad[0]!r}; row skipped")
            continue
        if domains:
            account["domains"] = list(dict.fromkeys(domains))
        tickers = [
            t.upper().lstrip("$")
            for v in values.get("tickers", [])
            for t in _SPLIT.split(v)
            if t.strip()
        ]
        if tickers:
            account["tickers"] = list(dict.fromkeys(tickers))
        aliases = [a for v in values.get("aliases", []) for a in _SPLIT.split(v) if a.strip()]
        if aliases:
            account["aliases"] = list(dict.fromkeys(a for a in aliases if a != name))
        industry_raw = (values.get("industry") or [""])[0]
        if industry_raw:
            industry = industry_by_slug.get(_slug(industry_raw))
            if industry is None:
                warnings.append(
                    f"{source}:{line}: {name!r}: industry {industry_raw!r} has no feed catalog; "
                    f"kept as {_slug(industry_raw)!r}"
                )
                industry = _slug(industry_raw)
            account["industry"] = industry
        seen[name.casefold()] = line
        accounts.append(account)
    return ImportResult(tuple(accounts), tuple(problems), tuple(warnings))


@dataclass(frozen=True)
class MergeResult:
    accounts: tuple[dict[str, Any], ...]
    added: int
    updated: int


def merge_accounts(
    existing: Sequence[Mapping[str, Any]], imported: Sequence[Mapping[str, Any]]
) -> MergeResult:
    """Merge imported accounts into existing ones by name (case-insensitive).

    Lists (domains, tickers, aliases) are united; owner and industry take the CRM's value when it
    has one. Existing watch and exclude terms are never touched.
    """
    merged = [dict(a) for a in existing]
    index = {str(a.get("name", "")).casefold(): i for i, a in enumerate(merged)}
    added = updated = 0
    for account in imported:
        key = str(account["name"]).casefold()
        if key not in index:
            index[key] = len(merged)
            merged.append(dict(account))
            added += 1
            continue
        current = merged[index[key]]
        before = dict(current)
        for list_key in ("aliases", "tickers", "domains"):
            values = list(
                dict.fromkeys([*(current.get(list_key) or []), *(account.get(list_key) or [])])
            )
            if values:
                current[list_key] = values
        for scalar in ("owner", "industry"):
            if account.get(scalar):
                current[scalar] = account[scalar]
        updated += int(current != before)
    return MergeResult(tuple(merged), added, updated)
