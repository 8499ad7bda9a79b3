"""Watch terms: what a rep asks Clipper to look out for, per account or for themselves.

Syntax, from simplest to richest::

    cross-dock                  a word or phrase, any case, on word boundaries
    "Cold Chain"                quoted: exactly these words, in this case
    robots AND (welding OR "laser cutting") AND NOT toys
    ~supply chain disruption    semantic: articles whose meaning is close to the phrase

AND, OR and NOT are operators only in capitals; NOT binds tightest, then AND, then OR; words next
to each other form a phrase. Does not judge semantic terms: the matcher compares embeddings.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..exceptions import CommandUsageError

MAX_TERM_LENGTH = 200


@dataclass(frozen=True, slots=True)
class Phrase:
    words: str
    exact: bool

    def search(self, text: str) -> str | None:
        flags = 0 if self.exact else re.I
        pattern = r"\s+".join(re.escape(w) for w in self.words.split())
        found = re.search(rf"(?<!\w){pattern}(?!\w)", text, flags)
        return found.group(0) if found else None


@dataclass(frozen=True, slots=True)
class Not:
    operand: Expr


@dataclass(frozen=True, slots=True)
class All:
    operands: tuple[Expr, ...]


@dataclass(frozen=True, slots=True)
class Any_:
    operands: tuple[Expr, ...]


Expr = Phrase | Not | All | Any_


@dataclass(frozen=True, slots=True)
class WatchTerm:
    """A parsed watch term."""

    #: as the rep wrote it
    source: str
    #: the boolean expression; None for a semantic term
    expr: Expr | None
    #: the phrase of a semantic term (``~phrase``); None for a boolean one
    semantic: str | None = None

    def matches(self, text: str) -> list[str] | None:
        """Return the matched words as written in ``text`` when the term holds, else None.

        A semantic term never matches here (see the matcher).
        """
        if self.expr is None:
            return None
        found: list[str] = []
        return found if _holds(self.expr, text, found) else None


def _holds(expr: Expr, text: str, found: list[str]) -> bool:
    if isinstance(expr, Phrase):
        hit = expr.search(text)
        if hit is not None:
            found.append(hit)
        return hit is not None
    if isinstance(expr, Not):
        return not _holds(expr.operand, text, [])
    if isinstance(expr, All):
        return all(_holds(e, text, found) for e in expr.operands)
    return any([_holds(e, text, found) for e in expr.operands])  # collect every hit


_TOKEN = re.compile(r'\s*(?:(\()|(\))|"([^"]*)"|(AND|OR|NOT)(?=[\s()"]|$)|([^\s()"]+))')


def parse_watch(source: str) -> WatchTerm:
    """Parse a watch term.

    Raises:
        CommandUsageError: empty, too long, unbalanced, or an operator without a term.
    """
    text = " ".join(source.split())
    if not text:
        raise CommandUsageError("a watch term cannot be empty")
    if len(text) > MAX_TERM_LENGTH:
        raise CommandUsageError(f"a watch term is at most {MAX_TERM_LENGTH} characters")
    if text.startswith("~"):
        phrase = text[1:].strip()
        if not phrase:
            raise CommandUsageError("a semantic term needs a phrase after ~")
        return WatchTerm(source=text, expr=None, semantic=phrase)
    if text.count('"') % 2:
        raise CommandUsageError(f"unbalanced quotes in {text!r}")
    tokens: list[tuple[str, str]] = []
    position = 0
    while position < len(text):
        found = _TOKEN.match(text, position)
        if found is None or found.end() == position:
            break
        position = found.end()
        opening, closing, quoted, operator, word = found.groups()
        if opening:
            tokens.append(("(", "("))
        elif closing:
            tokens.append((")", ")"))
        elif quoted is not None:
            if not quoted.strip():
                raise CommandUsageError('empty quotes ("") in a watch term')
            tokens.append(("exact", quoted.strip()))
        elif operator:
            tokens.append(("op", operator))
        else:
            tokens.append(("word", word))
    parser = _Parser(tokens, text)
    expr = parser.parse_or()
    if parser.index != len(tokens):
        raise CommandUsageError(f"cannot read {text!r} near {tokens[parser.index][1]!r}")
    return WatchTerm(source=text, expr=expr)


class _Parser:
    def __init__(self, tokens: list[tuple[str, str]], text: str) -> None:
        self.tokens = tokens
        self.text = text
        self.index = 0

    def _peek(self) -> tuple[str, str] | None:
        return self.tokens[self.index] if self.index < len(self.tokens) else None

    def parse_or(self) -> Expr:
        operands = [self.parse_and()]
        while self._peek() == ("op", "OR"):
            self.index += 1
            operands.append(self.parse_and())
        return operands[0] if len(operands) == 1 else Any_(tuple(operands))

    def parse_and(self) -> Expr:
        operands = [self.parse_not()]
        while self._peek() == ("op", "AND"):
            self.index += 1
            operands.append(self.parse_not())
        return operands[0] if len(operands) == 1 else All(tuple(operands))

    def parse_not(self) -> Expr:
        if self._peek() == ("op", "NOT"):
            self.index += 1
            return Not(self.parse_not())
        return self.parse_atom()

    def parse_atom(self) -> Expr:
        token = self._peek()
        if token is None:
            raise CommandUsageError(f"{self.text!r} ends where a term was expected")
        kind, value = token
        if kind == "(":
            self.index += 1
            expr = self.parse_or()
            if self._peek() != (")", ")"):
                raise CommandUsageError(f"missing ')' in {self.text!r}")
            self.index += 1
            return expr
        if kind == "exact":
            self.index += 1
            return Phrase(value, exact=True)
        if kind == "word":
            words = []
            while (peek := self._peek()) is not None and peek[0] == "word":
                words.append(peek[1])
                self.index += 1
            return Phrase(" ".join(words), exact=False)
        raise CommandUsageError(f"{value!r} needs a term on both sides in {self.text!r}")
