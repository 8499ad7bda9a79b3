"""Ledger touches written back as a CRM's activity import: a Salesforce Task CSV or a HubSpot
note CSV (``hs_timestamp``, ``hs_note_body``: HubSpot's documented note properties), in the
columns ``read_touch_csv`` reads, so an export imported again is "0
added, N already in the ledger".

    export_csv(touches, crm, zone)   touches → CSV text (header + one row per touch)

Every row carries the touch's ledger key (``Clipper_Key__c`` for Salesforce, a custom field to
map on import; ``Clipper key`` for HubSpot), and ``read_touch_csv`` merges a row by that key.
Text a spreadsheet would run as a formula (``=``, ``+``, ``-``, ``@``) starts with ``'``, and
``read_touch_csv`` takes that ``'`` off again. Does not read the ledger, the clock or files, and
does not leave voided touches out (the caller asks the ledger for live ones).
"""

from __future__ import annotations

import csv
import html
import io
from collections.abc import Sequence
from datetime import UTC
from zoneinfo import ZoneInfo

from ..types import Touch, TouchChannel

#: the CSV column holding the touch's ledger key, per CRM (a custom field in Salesforce)
KEY_COLUMNS = {TouchChannel.SALESFORCE: "Clipper_Key__c", TouchChannel.HUBSPOT: "Clipper key"}
#: Salesforce Task import columns, in order (``Status`` and ``Priority`` as a closed task)
SALESFORCE_EXPORT = (
    "Subject",
    "ActivityDate",
    "Account.Name",
    "Owner.Email",
    "Type",
    "Description",
    "Status",
    "Priority",
    "Who.Name",
    KEY_COLUMNS[TouchChannel.SALESFORCE],
)
#: HubSpot note import columns, in order. The first two are the note properties HubSpot
#: documents (https://developers.hubspot.com/docs/api/crm/notes, "Create a note",
#: properties): ``hs_timestamp`` (required: where the note sits on the timeline, "a Unix
#: timestamp in milliseconds or UTC format") and ``hs_note_body`` (the note's text, HTML, at most
#: 65,536 characters), so HubSpot's import maps them by name. The rest are not note properties:
#: the documented owner property, ``hubspot_owner_id``, takes HubSpot's owner id, which Clipper
#: does not know, so the rep's email goes in ``Activity assigned to``; the company and contact
#: are the records to associate, chosen in the import's mapping; a note has no subject or type
#: (they are kept for ``read_touch_csv`` and other activity imports); ``Clipper key`` is a custom
#: property to create, or a column to skip.
HUBSPOT_EXPORT = (
    "hs_timestamp",
    "hs_note_body",
    "Associated Company",
    "Activity assigned to",
    "Associated Contact",
    "Activity type",
    "Subject",
    KEY_COLUMNS[TouchChannel.HUBSPOT],
)
#: the longest note body HubSpot takes (``hs_note_body``), in characters
HUBSPOT_NOTE_BODY = 65_536
#: a cell starting with one of these is a formula to a spreadsheet
FORMULA = ("=", "+", "-", "@", "\t", "\r")
#: what a touch without a CRM type is called in each CRM (Salesforce's Type picklist; HubSpot's
#: activity types)
_SHARE_KIND = {TouchChannel.SALESFORCE: "Email", TouchChannel.HUBSPOT: "EMAIL"}
_OTHER_KIND = {TouchChannel.SALESFORCE: "Other", TouchChannel.HUBSPOT: "NOTE"}
_SUBJECTS = {
    TouchChannel.SLACK_SHARE: "Shared an article (Clipper)",
    TouchChannel.SLACK_COMMAND: "Customer touch (Clipper)",
    TouchChannel.SALESFORCE: "Customer touch",
    TouchChannel.HUBSPOT: "Customer touch",
}


def guard_cell(text: str) -> str:
    """Return a CSV cell a spreadsheet shows as text: ``'`` before a leading ``=``, ``+``,
    ``-``, ``@``, tab or carriage return. Does not quote (``csv`` does)."""
    return "'" + text if text.startswith(FORMULA) else text


def unguard_cell(text: str) -> str:
    """Undo ``guard_cell``: drop a ``'`` that precedes a formula character; other text is
    returned as it is."""
    return text[1:] if text.startswith("'") and text[1:].startswith(FORMULA) else text


def export_key(touch: Touch) -> str:
    """Return the key a touch is exported under: its ledger key, or ``clipper:touch:ID`` for
    the oldest touches, logged before the ledger kept keys (those import again as new)."""
    return touch.key or f"clipper:touch:{touch.id}"


def _kind(touch: Touch, crm: TouchChannel) -> str:
    if touch.kind:
        return touch.kind
    if touch.channel is TouchChannel.SLACK_SHARE:
        return _SHARE_KIND[crm]
    return _OTHER_KIND[crm]


def _note(touch: Touch) -> str:
    parts = [touch.note or ""]
    if touch.article_id is not None and touch.channel is TouchChannel.SLACK_SHARE:
        parts.append(f"(Clipper article {touch.article_id})")
    return " ".join(p for p in parts if p)


def _salesforce_row(touch: Touch, zone: ZoneInfo) -> list[str]:
    return [
        touch.subject or _SUBJECTS[touch.channel],
        # Salesforce's ActivityDate is a date; the ledger's zone decides which one
        touch.touched_at.astimezone(zone).date().isoformat(),
        touch.account,
        touch.rep,
        _kind(touch, TouchChannel.SALESFORCE),
        _note(touch),
        "Completed",
        "Normal",
        touch.contact or "",
        export_key(touch),
    ]


def _hubspot_row(touch: Touch, zone: ZoneInfo) -> list[str]:
    return [
        # hs_timestamp: UTC (HubSpot reads a time without an offset in the portal's zone)
        touch.touched_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        # hs_note_body is HTML: a note is text, so its markup is escaped
        html.escape(_note(touch), quote=False)[:HUBSPOT_NOTE_BODY],
        touch.account,
        touch.rep,
        touch.contact or "",
        _kind(touch, TouchChannel.HUBSPOT),
        touch.subject or _SUBJECTS[touch.channel],
        export_key(touch),
    ]


def export_csv(touches: Sequence[Touch], crm: TouchChannel, zone: ZoneInfo | str) -> str:
    """Return touches as a CRM activity import: the header, then one row per touch in the
    order given. Dates and times are in ``zone`` (the ledger's), as ``read_touch_csv`` reads
    them back.

    Raises:
        ValueError: ``crm`` is neither Salesforce nor HubSpot.
    """
    tz = ZoneInfo(zone) if isinstance(zone, str) else zone
    header: tuple[str, ...]
    if crm is TouchChannel.SALESFORCE:
        header, row = SALESFORCE_EXPORT, _salesforce_row
    elif crm is TouchChannel.HUBSPOT:
        header, row = HUBSPOT_EXPORT, _hubspot_row
    else:
        raise ValueError(f"no CRM export format for {crm.value!r}")
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    for touch in touches:
        writer.writerow([guard_cell(cell) for cell in row(touch, tz)])
    return buffer.getvalue()


__all__ = [
    "FORMULA",
    "HUBSPOT_EXPORT",
    "HUBSPOT_NOTE_BODY",
    "KEY_COLUMNS",
    "SALESFORCE_EXPORT",
    "export_csv",
    "export_key",
    "guard_cell",
    "unguard_cell",
]
