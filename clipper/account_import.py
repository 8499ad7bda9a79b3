"""Importing a CRM export into the accounts file: ``Clipper.import_accounts`` and the
round-trip YAML writing that keeps the file's comments, key order and quoting.

``Clipper`` inherits it (``class Clipper(RepActions, AccountImports)``). Does not decide which
rows are good or how accounts merge (``logic.crm`` does) and does not validate the result (the
next configuration load does).
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .config import Config, read_yaml
from .exceptions import ConfigError
from .logic.crm import AccountChange, ImportResult, MergeResult, merge_accounts, read_crm_csv


class AccountImports:
    """The account-import part of the ``Clipper`` facade (a mixin: ``Clipper`` provides
    ``config``). Does not touch the database."""

    config: Config

    def import_accounts(
        self, csv_path: Path, *, out: Path | None = None, dry_run: bool = False
    ) -> tuple[ImportResult, MergeResult, Path]:
        """Read a CRM export and merge its good rows into the accounts file (or ``out``).

        Bad rows are reported by line and skipped; existing accounts are matched by ticker,
        domain or name (``logic.crm.merge_accounts``) and keep their watch and exclude terms.
        The configured accounts file is the base either way; ``out`` receives the whole merged
        file. Comments, key order and quoting are kept. Does not write anything when
        ``dry_run``: the report is the same.
        """
        try:
            text = csv_path.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{csv_path}: cannot read: {exc}") from exc
        reps = self.config.reps
        industries = frozenset(self.config.industries)
        result = read_crm_csv(
            text,
            source=str(csv_path),
            rep_names={r.name.casefold(): r.email for r in reps if r.name},
            rep_emails=frozenset(r.email for r in reps),
            industries=industries,
        )
        source = self.config.resolve(self.config.settings.accounts)
        target = out or source
        existing: list[dict[str, Any]] = []
        current = ""
        if source.exists():
            doc, problems = read_yaml(source)
            if doc is None:
                raise ConfigError(f"{source}: cannot merge into a broken file", tuple(problems))
            data = doc.data if doc.data is not None else {}
            items = data.get("accounts") if isinstance(data, dict) else None
            if not isinstance(data, dict) or not isinstance(items or [], list):
                raise ConfigError(
                    f"{source}:1: cannot merge: expected a mapping with an 'accounts:' list"
                )
            existing = [dict(a) if isinstance(a, dict) else {} for a in items or []]
            current = source.read_text(encoding="utf-8")
        merged = merge_accounts(
            existing,
            result.accounts,
            lines=result.lines,
            source=str(csv_path),
            industries=industries,
        )
        if not dry_run and (merged.changes or target != source):
            target.parent.mkdir(parents=True, exist_ok=True)
            tmp = target.with_suffix(target.suffix + ".tmp")
            tmp.write_text(_apply_account_changes(current, merged.changes), encoding="utf-8")
            tmp.replace(target)
        return result, merged, target


def _apply_account_changes(text: str, changes: Sequence[AccountChange]) -> str:
    """Return the accounts file ``text`` with ``changes`` applied, through a round-trip YAML
    parser: comments, key order, quoting and list style stay as they were. Does not validate."""
    from ruamel.yaml import YAML  # here, not with the facade every command builds
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    rt = YAML()
    rt.preserve_quotes = True
    rt.width = 4096
    first_item = re.search(r"^( *)- ", text, re.MULTILINE)
    offset = len(first_item.group(1)) if first_item else 2
    rt.indent(mapping=2, sequence=offset + 2, offset=offset)
    data = rt.load(text) if text.strip() else None
    if data is None:
        data = CommentedMap()
    items = data.get("accounts")
    if not items:
        items = data["accounts"] = CommentedSeq()
    for change in changes:
        if change.index is None:
            entry = CommentedMap()
            items.append(entry)
        else:
            entry = items[change.index]
        for key, value in change.values:
            old = entry.get(key)
            if (
                isinstance(value, list)
                and isinstance(old, CommentedSeq)
                and list(old) == value[: len(old)]
            ):
                old.extend(value[len(old) :])  # keeps the list's style and comments
                continue
            if isinstance(value, list):
                value = CommentedSeq(value)
                value.fa.set_flow_style()
            entry[key] = value
    out = io.StringIO()
    rt.dump(data, out)
    return out.getvalue()


__all__ = ["AccountImports"]
