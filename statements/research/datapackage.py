"""An event timeline as a Frictionless data package: the CSVs and what produced them.

The zip holds `statements.csv` and `responders.csv` (plain tables, header first,
exactly the CSV downloads) and `datapackage.json` (https://specs.frictionlessdata.io/):
the title, the permalink of the view, the filters, when it was made and by which
version of the tracker, and a typed schema for every column, so that a figure made
from the files can be traced back to the view and re-made.
"""

from __future__ import annotations

import io
import json
import zipfile
from datetime import datetime
from importlib import metadata as package_metadata

from statements.research.exports import (
    RESPONDERS_CSV_COLUMNS,
    TIMELINE_CSV_COLUMNS,
    responders_csv,
    timeline_csv,
)
from statements.timeline.labels import iso_utc
from statements.timeline.selector import Timeline

UTF8_BOM = "\ufeff"

# Column types for the schema; any column not named here is a string.
COLUMN_TYPES = {
    "statement_id": "integer",
    "published_at": "datetime",
    "first_statement_at": "datetime",
    "offset_hours": "number",
    "latency_hours": "number",
    "intensity": "integer",
    "statement_count": "integer",
}
COLUMN_DESCRIPTIONS = {
    "offset_hours": "hours from the event's time to the statement (negative: before it)",
    "latency_hours": "hours from the event's time to the first answer",
    "phase": "before (the event), window (the response window), late (after the window)",
    "status": "responded, via_proxy, responded_late, pending, silent or no_coverage",
    "standing": "confirmed (an editor's link), suggested (a machine's), decision (an editor's)",
    "matched_terms": "the event's words as the statement wrote them",
    "cues": "the words that gave the stance",
    "intensity": "0 (no tone words) to 3 (strongest)",
}


def tracker_version() -> str:
    try:
        return package_metadata.version("statement-tracker")
    except package_metadata.PackageNotFoundError:
        return "unknown"


def with_bom(text: str) -> str:
    """UTF-8 with a byte-order mark, which spreadsheets need to read UTF-8 as UTF-8."""
    return UTF8_BOM + text


def _schema(columns: list[str]) -> dict:
    fields = []
    for name in columns:
        field = {"name": name, "type": COLUMN_TYPES.get(name, "string")}
        if field["type"] == "datetime":
            field["format"] = "%Y-%m-%dT%H:%M:%SZ"
        if name in COLUMN_DESCRIPTIONS:
            field["description"] = COLUMN_DESCRIPTIONS[name]
        fields.append(field)
    return {"fields": fields, "missingValues": [""]}


def _resource(name: str, columns: list[str], title: str) -> dict:
    return {
        "name": name, "path": f"{name}.csv", "title": title, "profile": "tabular-data-resource",
        "format": "csv", "mediatype": "text/csv", "encoding": "utf-8",
        "schema": _schema(columns),
    }


def descriptor(timeline: Timeline, *, generated_at: datetime, view_url: str) -> dict:
    event = timeline.event
    version = tracker_version()
    return {
        "profile": "tabular-data-package",
        "name": f"{event.slug}-timeline".lower(),
        "title": f"Responses to “{event.title}”",
        "description": (f"Who responded to {event.title} ({iso_utc(event.occurred_at)}), "
                        f"within a {event.window_hours}-hour window, and what was said."),
        "homepage": view_url,
        "created": iso_utc(generated_at),
        "version": version,
        "sources": [{"title": "Statement tracker", "path": view_url}],
        # Not in the standard, allowed by it: the view that produced the files.
        "query": {
            "event": event.slug,
            "occurred_at": iso_utc(event.occurred_at),
            "window_hours": event.window_hours,
            "filters": timeline.filters.query or "",
            "filters_note": "" if timeline.filters.query else "none (rejected links excluded)",
        },
        "generator": f"statement-tracker {version}",
        "resources": [
            _resource("statements", TIMELINE_CSV_COLUMNS, "Linked statements, in time order"),
            _resource("responders", RESPONDERS_CSV_COLUMNS, "Each responder's status"),
        ],
    }


def timeline_package(timeline: Timeline, *, generated_at: datetime, base_url: str,
                     view_url: str) -> bytes:
    """The zip: both CSVs and datapackage.json."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("statements.csv", timeline_csv(
            timeline, generated_at=generated_at, base_url=base_url))
        archive.writestr("responders.csv", responders_csv(timeline, generated_at=generated_at))
        archive.writestr("datapackage.json", json.dumps(
            descriptor(timeline, generated_at=generated_at, view_url=view_url),
            ensure_ascii=False, indent=2))
    return out.getvalue()
