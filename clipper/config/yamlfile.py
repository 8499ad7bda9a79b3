"""YAML files with line maps: read one file safely (alias-bomb guard, duplicate keys), and
validate its data against a settings model into located problems with did-you-mean hints.

Does not know which files make a configuration: ``load`` does.
"""

from __future__ import annotations

import difflib
import typing
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError


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
