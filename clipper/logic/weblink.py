"""Signed links to the manager's web page (``/report``): an HMAC-SHA256 over the link's scope
and expiry, and the check of one that comes back.

    sign_link(secret, LinkScope.team(), expires)        → the signature (hex)
    link_query(secret, scope, expires)                   → the query string a link carries
    check_link(secret, params, now)                      → LinkCheck: valid (with its scope),
                                                           missing, forged or expired

A scope is the whole team (a manager's link) or one rep's email (only their accounts). The
signature covers the scope and the expiry, so neither can be changed without the secret; it
is compared in constant time. Does not read the clock, the secret file or the environment
(the caller passes ``now`` and the secret).
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import Enum
from urllib.parse import urlencode

#: the query parameters a signed link carries (a filter form passes them on unchanged)
SCOPE, EXPIRES, SIGNATURE = "scope", "expires", "sig"
#: the scope of a manager's link
TEAM = "team"
#: what the MAC is over starts with this, so a signature made for something else never fits
_CONTEXT = b"clipper-report-link-v1"
#: a link may say it expires at most this far ahead (a longer one was not made by Clipper)
MAX_TTL = timedelta(days=366)
_HEX = re.compile(r"[0-9a-f]{64}")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+")


@dataclass(frozen=True, slots=True)
class LinkScope:
    """Who a link is for: the whole team (``rep`` None) or one rep (their email, lower
    case)."""

    rep: str | None = None

    @classmethod
    def team(cls) -> LinkScope:
        return cls(None)

    @property
    def value(self) -> str:
        """What the link's ``scope`` parameter says: ``team`` or the rep's email."""
        return TEAM if self.rep is None else self.rep


class LinkVerdict(Enum):
    """What a link that came back is."""

    VALID = "valid"
    #: no signature, scope or expiry at all (a bare /report)
    MISSING = "missing"
    #: a signature that does not fit the scope and expiry (typed, tampered or another secret)
    FORGED = "forged"
    #: signed by Clipper, but its time is up
    EXPIRED = "expired"


@dataclass(frozen=True, slots=True)
class LinkCheck:
    """A link's verdict; ``scope`` only when valid."""

    verdict: LinkVerdict
    scope: LinkScope | None = None

    @property
    def message(self) -> str:
        """The short sentence a refused visitor reads (plain text; nothing from the link)."""
        match self.verdict:
            case LinkVerdict.VALID:
                return ""
            case LinkVerdict.EXPIRED:
                return "This link has expired; ask for a new one with /clip report."
            case LinkVerdict.MISSING:
                return (
                    "This page needs a signed link; ask for one with /clip report "
                    "(or 'clipper report link')."
                )
            case LinkVerdict.FORGED:
                return (
                    "This link is not valid (it was changed or not made by Clipper); ask for a "
                    "new one with /clip report."
                )


def _message(scope: str, expires: int) -> bytes:
    return b"\n".join((_CONTEXT, scope.encode("utf-8"), str(expires).encode("ascii")))


def sign_link(secret: bytes, scope: LinkScope, expires: int) -> str:
    """Return the hex HMAC-SHA256 of ``scope`` and ``expires`` (Unix seconds) under
    ``secret``."""
    return hmac.new(secret, _message(scope.value, expires), hashlib.sha256).hexdigest()


def expiry(now: datetime, ttl: timedelta) -> int:
    """Return when a link made at ``now`` expires, in whole Unix seconds."""
    return int((now + ttl).timestamp())


def link_query(secret: bytes, scope: LinkScope, expires: int) -> str:
    """Return the signed query string (``scope=...&expires=...&sig=...``), URL-encoded."""
    return urlencode(
        {SCOPE: scope.value, EXPIRES: str(expires), SIGNATURE: sign_link(secret, scope, expires)}
    )


#: hosts that mean "every interface": a link names the loopback address instead
_ANY_HOST = frozenset({"", "0.0.0.0", "::", "[::]", "*"})


def local_base_url(host: str, port: int) -> str:
    """Return ``http://HOST:PORT``, the address of a page served on ``host`` and ``port``: the
    loopback address for every interface (``0.0.0.0``, ``::``), an IPv6 host in brackets. Does
    not know the address people reach from elsewhere (``web.base_url`` says that)."""
    shown = "127.0.0.1" if host.strip() in _ANY_HOST else host.strip().strip("[]")
    if ":" in shown:
        shown = f"[{shown}]"
    return f"http://{shown}:{port}"


def check_link(secret: bytes, params: Mapping[str, str], now: datetime) -> LinkCheck:
    """Check the signed parameters of a link that came back.

    The signature is checked before the expiry, so an expired link is only called expired
    when Clipper made it. Does not look at the filter parameters (``rep``, ``quarter``,
    ``account``): the caller limits them to the scope.
    """
    scope_text = params.get(SCOPE)
    expires_text = params.get(EXPIRES)
    signature = params.get(SIGNATURE)
    if not scope_text and not expires_text and not signature:
        return LinkCheck(LinkVerdict.MISSING)
    if scope_text is None or expires_text is None or signature is None:
        return LinkCheck(LinkVerdict.FORGED)
    if not expires_text.isascii() or not expires_text.isdigit() or len(expires_text) > 12:
        return LinkCheck(LinkVerdict.FORGED)
    if not _HEX.fullmatch(signature):
        return LinkCheck(LinkVerdict.FORGED)
    if scope_text != TEAM and not _EMAIL.fullmatch(scope_text):
        return LinkCheck(LinkVerdict.FORGED)
    scope = LinkScope.team() if scope_text == TEAM else LinkScope(scope_text)
    expires = int(expires_text)
    wanted = sign_link(secret, scope, expires)
    if not hmac.compare_digest(wanted.encode("ascii"), signature.encode("ascii")):
        return LinkCheck(LinkVerdict.FORGED)
    deadline = datetime.fromtimestamp(expires, UTC)
    if now >= deadline:
        return LinkCheck(LinkVerdict.EXPIRED)
    if deadline - now > MAX_TTL:
        return LinkCheck(LinkVerdict.FORGED)
    return LinkCheck(LinkVerdict.VALID, scope)


__all__ = [
    "EXPIRES",
    "MAX_TTL",
    "SCOPE",
    "SIGNATURE",
    "TEAM",
    "LinkCheck",
    "LinkScope",
    "LinkVerdict",
    "check_link",
    "expiry",
    "link_query",
    "local_base_url",
    "sign_link",
]
