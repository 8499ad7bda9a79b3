"""The manager's web page over WSGI: ``GET /report`` and ``GET /report/chart.png``, each only
with a valid signed link.

    request → query parameters → Clipper.check_report_link → 403 page (missing, forged,
    expired) | Clipper.report_page / report_page_chart → 400 page (an unknown quarter, rep or
    account), 403 page (a rep link asking for another rep) | the page (logic.web_report) or PNG

Every answer carries ``logic.web_report.SECURITY_HEADERS`` (a strict Content-Security-Policy,
nosniff, no referrer, no caching). ``server.make_wsgi`` routes ``/report`` here. Does not
decide who may see what (``logic.web_report.page_filters``) and never logs a link's signature.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl

from .core import Clipper
from .exceptions import ClipperError
from .logic.web_report import (
    CHART_PATH,
    PAGE_PATH,
    SECURITY_HEADERS,
    BadFilter,
    Refusal,
    message_page,
    report_page,
)
from .logic.weblink import EXPIRES, LinkVerdict

log = logging.getLogger(__name__)
#: the longest query string read (a link and three filters fit many times over)
MAX_QUERY = 4096
PATHS = (PAGE_PATH, CHART_PATH)

StartResponse = Callable[..., Any]


def _answer(
    start_response: StartResponse, status: str, body: bytes, content_type: str
) -> list[bytes]:
    start_response(
        status,
        [
            ("Content-Type", content_type),
            ("Content-Length", str(len(body))),
            *SECURITY_HEADERS,
        ],
    )
    return [body]


def _page(start_response: StartResponse, status: str, title: str, text: str) -> list[bytes]:
    body = message_page(title, text).encode("utf-8")
    return _answer(start_response, status, body, "text/html; charset=utf-8")


def make_report_app(clipper: Clipper) -> Callable[[dict[str, Any], StartResponse], list[bytes]]:
    """Return the WSGI app of ``/report`` and ``/report/chart.png`` over ``clipper``."""

    def app(environ: dict[str, Any], start_response: StartResponse) -> list[bytes]:
        path = environ.get("PATH_INFO", "")
        if environ.get("REQUEST_METHOD") not in ("GET", "HEAD"):
            return _page(start_response, "405 Method Not Allowed", "Read-only", "GET only.")
        query = environ.get("QUERY_STRING", "")
        if len(query) > MAX_QUERY:
            return _page(start_response, "414 URI Too Long", "Bad request", "Link too long.")
        try:
            # the last of a repeated parameter counts, as in every other reader of it
            params = dict(parse_qsl(query, keep_blank_values=True, max_num_fields=20))
        except ValueError:
            return _page(start_response, "400 Bad Request", "Bad request", "Unreadable link.")
        try:
            check = clipper.check_report_link(params)
            if check.verdict is not LinkVerdict.VALID or check.scope is None:
                log.info(
                    "refused a report page request from %s: %s link",
                    environ.get("REMOTE_ADDR", "?"),
                    check.verdict.value,
                )
                return _page(start_response, "403 Forbidden", "Link refused", check.message)
            if path == CHART_PATH:
                chart = clipper.report_page_chart(check.scope, params)
                if isinstance(chart, bytes):
                    return _answer(start_response, "200 OK", chart, "image/png")
                found: object = chart
            else:
                expires = datetime.fromtimestamp(int(params[EXPIRES]), UTC)
                found = clipper.report_page(check.scope, params, expires)
                if not isinstance(found, Refusal | BadFilter):
                    body = report_page(found).encode("utf-8")
                    return _answer(start_response, "200 OK", body, "text/html; charset=utf-8")
        except ClipperError as exc:  # the database or the secret file: said, not a traceback
            log.error("the report page could not be made: %s", exc)
            return _page(
                start_response,
                "503 Service Unavailable",
                "Not available",
                "The report cannot be shown right now; try again in a minute.",
            )
        if isinstance(found, Refusal):
            return _page(start_response, "403 Forbidden", "Link refused", found.message)
        assert isinstance(found, BadFilter)
        return _page(start_response, "400 Bad Request", "Bad request", found.message)

    return app


__all__ = ["PATHS", "make_report_app"]
