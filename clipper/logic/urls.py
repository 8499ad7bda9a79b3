"""Canonical URLs: one spelling per article, whatever link decoration a feed adds.

Does not fetch anything: redirect links are unwrapped only when the target is in the URL itself.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, unquote, urlencode, urljoin, urlsplit, urlunsplit

#: query parameters that only track the reader; removing them never changes the page
TRACKING_PARAMS = frozenset(
    {
        "fbclid",
        "gclid",
        "dclid",
        "gclsrc",
        "msclkid",
        "yclid",
        "igshid",
        "mc_cid",
        "mc_eid",
        "_ga",
        "_gl",
        "_hsenc",
        "_hsmi",
        "__hssc",
        "__hstc",
        "__hsfp",
        "hsctatracking",
        "mkt_tok",
        "oly_anon_id",
        "oly_enc_id",
        "vero_id",
        "wt.mc_id",
        "cmpid",
        "cmp",
        "ncid",
        "sr_share",
        "ref_src",
        "ref_url",
        "rss",
        "feedtype",
        "feedname",
        "spm",
        "taid",
        "smid",
        "sh",
        "share",
        "ocid",
        "guccounter",
        "guce_referrer",
        "guce_referrer_sig",
        "s_cid",
        "campaign_id",
        "ito",
        "at_medium",
        "at_campaign",
    }
)
TRACKING_PREFIXES = ("utm_", "pk_", "mtm_", "at_", "ga_", "hmb_", "trk_")

#: redirector hosts (suffix match): (path prefixes that redirect, or None for any path;
#: query parameters that carry the target)
REDIRECTORS: dict[str, tuple[tuple[str, ...] | None, tuple[str, ...]]] = {
    "google.com": (("/url", "/link"), ("url", "q")),
    "bing.com": (("/news/apiclick.aspx", "/ck/a"), ("url", "u")),
    "facebook.com": (("/l.php", "/flx/warn"), ("u",)),
    "out.reddit.com": (None, ("url",)),
    "duckduckgo.com": (("/l/",), ("uddg",)),
    "slack-redir.net": (None, ("url",)),
    "linkedin.com": (("/redir", "/safety/go"), ("url",)),
    "youtube.com": (("/redirect",), ("q",)),
    "t.umblr.com": (("/redirect",), ("z",)),
}


#: a cheap pre-check: only URLs whose host ends like a redirector are looked at closely
_MAYBE_REDIRECT = re.compile(
    "^https?://(?:[^/?#]*\\.)?(?:" + "|".join(re.escape(h) for h in REDIRECTORS) + ")[:/?#]",
    re.I,
)


def _host_matches(host: str, suffix: str) -> bool:
    return host == suffix or host.endswith("." + suffix)


def unwrap_redirect(url: str, *, max_depth: int = 3) -> str:
    """Return the target of an aggregator redirect link, or ``url`` unchanged.

    Handles ``google.com/url?...&url=``, Bing news click-throughs, Facebook's ``l.php``,
    DuckDuckGo's ``uddg`` and similar. Does not follow anything over the network.
    """
    for _ in range(max_depth):
        if not _MAYBE_REDIRECT.search(url):
            return url
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        target = None
        for suffix, (paths, params) in REDIRECTORS.items():
            if not _host_matches(host, suffix):
                continue
            if paths is not None and not parts.path.startswith(paths):
                continue
            query = dict(parse_qsl(parts.query, keep_blank_values=True))
            for name in params:
                candidate = query.get(name, "")
                if candidate.startswith(("http://", "https://")):
                    target = candidate
                    break
                decoded = unquote(candidate)
                if decoded.startswith(("http://", "https://")):
                    target = decoded
                    break
            if target:
                break
        if not target:
            return url
        url = target
    return url


def _is_tracking(name: str) -> bool:
    lowered = name.lower()
    return lowered in TRACKING_PARAMS or lowered.startswith(TRACKING_PREFIXES)


def canonical_url(url: str, base: str | None = None) -> str | None:
    """Return the canonical form of an article URL, or None when it is not an http(s) URL.

    Resolves against ``base``, unwraps redirect links, lower-cases scheme and host, drops default
    ports, the fragment and tracking parameters, and keeps the remaining query in its order.
    Does not change the path's case or trailing slash: servers treat those as different pages.
    """
    url = (url or "").strip()
    if not url:
        return None
    if base and not url.startswith(("http://", "https://")):
        url = urljoin(base, url)
    url = unwrap_redirect(url)
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not parts.hostname:
        return None
    host = parts.hostname.lower().rstrip(".")
    if port and not ((scheme == "http" and port == 80) or (scheme == "https" and port == 443)):
        host = f"{host}:{port}"
    query = parts.query
    if query:
        pairs = parse_qsl(query, keep_blank_values=True)
        kept = [(k, v) for k, v in pairs if not _is_tracking(k)]
        if len(kept) != len(pairs):
            query = urlencode(kept, doseq=True)
    path = parts.path or "/"
    return urlunsplit((scheme, host, path, query, ""))


def host_of(url: str) -> str:
    """Return the lower-case host of ``url`` (empty for URLs without one)."""
    try:
        return (urlsplit(url).hostname or "").lower()
    except ValueError:
        return ""


#: an email address, as account owners and reps are written
EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


def domain_of(value: str) -> str:
    """Return the bare lower-case domain of a URL or domain (no scheme, ``www.``, path, port)."""
    text = re.sub(r"^[a-z][a-z0-9+.-]*://", "", value.strip().lower())
    text = text.split("/", 1)[0].split("?", 1)[0].split(":", 1)[0]
    return text.removeprefix("www.").strip(".")


#: ``scheme://userinfo@`` in a URL, at its start or anywhere in a message; the userinfo runs to
#: the authority's last "@", as clients read it (``https://user:p@ss@host/`` has password p@ss)
#: (a scheme is at most 32 characters: unbounded, a long "a.a.a..." made this quadratic)
_USERINFO = re.compile(r"(?i)\b([a-z][a-z0-9+.-]{0,31}://)([^/?#\s]*)@")
#: a query parameter that carries a secret (``?token=``, ``&api_key=``, ``&sig=``): its value
_QUERY_SECRET = re.compile(
    r"(?i)([?&;](?:[a-z0-9.-]*[_-])?(?:token|key|apikey|secret|password|passwd|pwd|pass"
    r"|auth|sig|signature|session|sessionid|credential|credentials)=)[^&#\s]+"
)


#: a whole URL whose "authority" is ``user:word`` (not ``host:port``) before a "/", "?" or "#"
#: that belongs to a raw password: ``http://user:ab/cd@host/``, a URL no client can parse
_BROKEN_USERINFO = re.compile(
    r"(?i)^([a-z][a-z0-9+.-]{0,31}://)([^/?#@:\s]*):(?![0-9]*[/?#])([^@\s]*?)@"
)


def _redacted(found: re.Match[str]) -> str:
    user, colon, _password = found.group(2).partition(":")
    # a lone user part may itself be a token (https://TOKEN@host/): hide it too
    return f"{found.group(1)}{user}:***@" if colon else f"{found.group(1)}***@"


def redact_url(text: str) -> str:
    """Return ``text`` with the secret of every URL in it replaced by ``***``: the password
    (``https://user:***@host/feed``, ``https://***@host/feed``) and the values of query
    parameters named like secrets (``?token=***``). Does not change the stored URL: only what is
    shown."""
    if not re.search(r"\s", text):  # one URL: a password with a raw "/", "?" or "#" too
        text = _BROKEN_USERINFO.sub(r"\1\2:***@", text, count=1)
    return _QUERY_SECRET.sub(r"\1***", _USERINFO.sub(_redacted, text))
