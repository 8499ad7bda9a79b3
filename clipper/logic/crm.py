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
    "account.name": "name",
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
    # contacts: one per row (Salesforce Contact.*, HubSpot contact columns; the account's
    # row repeats for each), or several in one "Contacts" cell
    "contact.name": "contact_name",
    "contact name": "contact_name",
    "contact full name": "contact_name",
    "associated contact": "contact_name",
    "contact.email": "contact_email",
    "contact email": "contact_email",
    "contact.title": "contact_title",
    "contact title": "contact_title",
    "job title": "contact_title",
    "contacts": "contacts",
}
_SPLIT = re.compile(r"\s*[;|]\s*")
#: one entry of a "Contacts" cell: ``Name <email> (Title)``, email and title optional
_CONTACT = re.compile(
    r"(?P<name>[^<>()]*?)\s*(?:<(?P<email>[^<>]*)>)?\s*(?:\((?P<title>[^()]*)\))?"
)
#: the longest contact name, email or title kept
MAX_CONTACT_FIELD = 200


def read_contacts(values: Mapping[str, Sequence[str]]) -> tuple[list[dict[str, str]], str | None]:
    """Return the contacts a CRM row names (its contact columns and its "Contacts" cell, in
    ``Name <email> (Title)`` form separated by ``;`` or ``|``), as ``{name, email, title}``
    entries, and the first problem (None: none). Does not know the account's other
    contacts."""
    found: list[dict[str, str]] = []
    entries: list[tuple[str, str, str]] = []
    name = (values.get("contact_name") or [""])[0]
    email = (values.get("contact_email") or [""])[0]
    title = (values.get("contact_title") or [""])[0]
    if name or email or title:
        entries.append((name, email, title))
    for cell in values.get("contacts") or ():
        for part in _SPLIT.split(cell):
            if not part.strip():
                continue
            match = _CONTACT.fullmatch(part.strip())
            if match is None:
                return [], f"contact {part.strip()!r} is not Name <email> (Title)"
            entries.append(
                (match.group("name") or "", match.group("email") or "", match.group("title") or "")
            )
    for name, email, title in entries:
        name, email, title = name.strip(), email.strip(), title.strip()
        if not name:
            return [], f"a contact without a name ({email or title!r})"
        if email and not EMAIL.fullmatch(email):
            return [], f"contact {name!r}: not an email address: {email!r}"
        if max(len(name), len(email), len(title)) > MAX_CONTACT_FIELD:
            return [], f"contact {name[:40]!r}: longer than {MAX_CONTACT_FIELD} characters"
        contact = {"name": name}
        if email:
            contact["email"] = email.lower()
        if title:
            contact["title"] = title
        found.append(contact)
    return found, None


def merge_contacts(
    have: Sequence[Mapping[str, Any]], new: Sequence[Mapping[str, Any]]
) -> list[dict[str, Any]]:
    """Return the contacts of ``new`` that ``have`` lacks (the same email, or else the same
    name in any case, is the same person). Does not change titles of known contacts."""
    emails = {str(c.get("email") or "").lower() for c in have} - {""}
    names = {str(c.get("name") or "").casefold() for c in have}
    added: list[dict[str, Any]] = []
    for contact in new:
        email = str(contact.get("email") or "").lower()
        if (email and email in emails) or str(contact["name"]).casefold() in names:
            continue
        added.append(dict(contact))
        emails.add(email)
        names.add(str(contact["name"]).casefold())
    return added


def _slug(value: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", value.lower()).strip("-")


@dataclass(frozen=True)
class ImportResult:
    """Accounts read from a CSV, and every row that was skipped or doubtful, by line."""

    accounts: tuple[dict[str, Any], ...] = ()
    problems: tuple[str, ...] = ()
    warnings: tuple[str, ...] = field(default_factory=tuple)
    #: the CSV line of each account, in the same order
    lines: tuple[int, ...] = ()


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
            "oil-gas"), else kept as a slug (``merge_accounts`` decides whether it is used).
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
    lines: list[int] = []
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
        contacts, bad_contact = read_contacts(values)
        if bad_contact:
            problems.append(f"{source}:{line}: {name!r}: {bad_contact}; row skipped")
            continue
        if name.casefold() in seen and contacts:
            # a contact export repeats the account's row for each of its contacts
            earlier = accounts[lines.index(seen[name.casefold()])]
            earlier.setdefault("contacts", []).extend(
                merge_contacts(earlier.get("contacts") or [], contacts)
            )
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
            account["industry"] = industry_by_slug.get(_slug(industry_raw), _slug(industry_raw))
        if contacts:
            account["contacts"] = merge_contacts([], contacts)
        seen[name.casefold()] = line
        accounts.append(account)
        lines.append(line)
    return ImportResult(tuple(accounts), tuple(problems), tuple(warnings), tuple(lines))


#: legal forms (and a "The") that do not tell two company names apart
LEGAL_FORMS = frozenset(
    "the ltd limited inc incorporated corp corporation co company plc llc llp lp ag sa nv se "
    "spa gmbh bv ab oyj".split()
)


def name_key(name: str) -> str:
    """Return a company name for comparison: no case, punctuation, leading "The" or trailing
    legal forms ("Delta Air Lines, Inc." and "delta air lines" give the same key)."""
    words = re.findall(r"[^\W_]+", name.replace(".", "").casefold())
    if len(words) > 1 and words[0] == "the":
        words = words[1:]
    while len(words) > 1 and words[-1] in LEGAL_FORMS:
        words.pop()
    return " ".join(words)


@dataclass(frozen=True)
class AccountChange:
    """One change to the accounts file: new values for an existing account, or a new one."""

    #: the existing account's position in the file; None for an account to append
    index: int | None
    #: (key, whole new value) in the order to write them
    values: tuple[tuple[str, Any], ...]


@dataclass(frozen=True)
class MergeResult:
    """The merged accounts, what changes in the file, and one report line per imported row.

    ``notes`` are the same words whether or not the changes are then written (dry run).
    """

    accounts: tuple[dict[str, Any], ...]
    added: int
    updated: int
    changes: tuple[AccountChange, ...] = ()
    notes: tuple[str, ...] = ()
    #: rows that could not be merged (they match two different accounts)
    problems: tuple[str, ...] = ()
    unchanged: int = 0


def _tickers(values: Any) -> list[str]:
    return [str(v).strip().upper().lstrip("$") for v in values or () if str(v).strip()]


def _domains(values: Any) -> list[str]:
    return [d for d in (domain_of(str(v)) for v in values or ()) if d]


def _normal(key: str, value: Any) -> str:
    """Return a list value as compared: tickers upper-case, domains bare, names by name_key."""
    if key == "tickers":
        return next(iter(_tickers([value])), "")
    if key == "domains":
        return next(iter(_domains([value])), "")
    return name_key(str(value))


def _same(account: Mapping[str, Any], row: Mapping[str, Any]) -> str | None:
    """Return why ``row`` is ``account`` (same ticker, domain or name), else None."""
    shared = set(_tickers(account.get("tickers"))) & set(_tickers(row.get("tickers")))
    if shared:
        return f"ticker {sorted(shared)[0]}"
    shared = set(_domains(account.get("domains"))) & set(_domains(row.get("domains")))
    if shared:
        return f"domain {sorted(shared)[0]}"
    names = [str(account.get("name", "")), *(str(a) for a in account.get("aliases") or ())]
    if name_key(str(row.get("name", ""))) in {name_key(n) for n in names}:
        return "name"
    return None


def merge_accounts(
    existing: Sequence[Mapping[str, Any]],
    imported: Sequence[Mapping[str, Any]],
    *,
    lines: Sequence[int] = (),
    source: str = "",
    industries: frozenset[str] = frozenset(),
) -> MergeResult:
    """Merge imported accounts into existing ones.

    A row is an existing account when they share a ticker or a domain, or their names are the
    same without case, punctuation and legal forms (an alias counts as a name). Lists (domains,
    tickers, aliases) are united; owner takes the CRM's value; industry takes the CRM's value
    only when it has a feed catalog (a known industry is never replaced by an unknown one).
    Existing watch and exclude terms, names and every other key are never touched. A row that
    matches two different accounts is not merged. Does not read or write files.
    """
    merged = [dict(a) for a in existing]
    changes: list[AccountChange] = []
    notes: list[str] = []
    problems: list[str] = []
    added = updated = unchanged = 0
    for number, row in enumerate(imported):
        where = f"{source}:{lines[number]}" if number < len(lines) else source
        label = str(row["name"])
        found = [(i, why) for i, a in enumerate(merged) if (why := _same(a, row)) is not None]
        if len({i for i, _ in found}) > 1:
            (first, why_first), (second, why_second) = found[:2]
            problems.append(
                f"{where}: {label!r} matches both {merged[first]['name']!r} ({why_first}) and "
                f"{merged[second]['name']!r} ({why_second}); row skipped: merge them by hand"
            )
            continue
        if not found:
            account = dict(row)
            said = f"{where}: add {label!r}"
            industry = account.get("industry")
            if industry and industry not in industries:
                said += f" (industry {industry!r} has no feed catalog yet)"
            merged.append(account)
            changes.append(AccountChange(None, tuple(account.items())))
            notes.append(said)
            added += 1
            continue
        index, why = found[0]
        current = merged[index]
        name = str(current.get("name", ""))
        values, words = _update(current, row, industries)
        same = "" if name.casefold() == label.casefold() else f" (as {label!r}, same {why})"
        if values:
            current.update(values)
            changes.append(AccountChange(index, tuple(values.items())))
            updated += 1
            notes.append(f"{where}: update {name!r}{same}: {', '.join(words)}")
        else:
            unchanged += 1
            notes.append(f"{where}: {name!r}{same}: no change{''.join(f'; {w}' for w in words)}")
    return MergeResult(
        tuple(merged), added, updated, tuple(changes), tuple(notes), tuple(problems), unchanged
    )


def _update(
    current: Mapping[str, Any], row: Mapping[str, Any], industries: frozenset[str]
) -> tuple[dict[str, Any], list[str]]:
    """Return the new values for an existing account and the words for them."""
    values: dict[str, Any] = {}
    said: list[str] = []
    for key in ("aliases", "tickers", "domains"):
        have = list(current.get(key) or [])
        known = {_normal(key, v) for v in have}
        if key == "aliases":
            known.add(name_key(str(current.get("name", ""))))
        new = []
        for value in row.get(key) or ():
            normal = _normal(key, value)
            if normal and normal not in known:
                new.append(value)
                known.add(normal)
        if new:
            values[key] = [*have, *new]
            said.append(f"{key} + {', '.join(map(str, new))}")
    have_contacts = list(current.get("contacts") or [])
    new_contacts = merge_contacts(have_contacts, row.get("contacts") or ())
    if new_contacts:
        values["contacts"] = [*have_contacts, *new_contacts]
        said.append(f"contacts + {', '.join(str(c['name']) for c in new_contacts)}")
    owner = row.get("owner")
    if owner and str(current.get("owner") or "").lower() != owner:
        values["owner"] = owner
        said.append(f"owner {current.get('owner') or 'none'} → {owner}")
    industry, old = row.get("industry"), current.get("industry")
    if industry and industry != old:
        if industry in industries or not old:
            values["industry"] = industry
            unknown = "" if industry in industries else " (no feed catalog yet)"
            said.append(f"industry {old or 'none'} → {industry}{unknown}")
        else:
            catalog = "has no feed catalog" if old in industries else "has no feed catalog either"
            said.append(f"kept industry {old!r} (the CSV's {industry!r} {catalog})")
    return values, said
