"""A timeline as data: the stable JSON contract of DESIGN.md and two CSV files.

All three serialise the same `statements.timeline.Timeline`, so an export
shows exactly what the page shows under the same filters. Statements are the
event's links except the rejected ones (an editor ruled them not about the
event) unless `link_status=rejected` or `link_status=any` asks for them; each
carries its `link_status` so a reader can tell suggested from confirmed.

Each CSV is a plain table, its header on the first line. What produced it
(the event, the filters, the time, the tracker's version) travels beside it in
the data package (statements.research.datapackage: a zip of the CSVs and a
Frictionless datapackage.json).
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from datetime import datetime

from statements.research.csvfiles import CitationWriter, one_line
from statements.timeline.labels import iso_utc
from statements.timeline.selector import Timeline
from statements.timeline.story import words_as_written


def timeline_json(timeline: Timeline, *, base_url: str = "") -> dict:
    """The DESIGN.md contract; `base_url` makes each statement's `permalink` absolute."""
    event = timeline.event
    return {
        "event": {
            "slug": event.slug,
            "title": event.title,
            "occurred_at": iso_utc(event.occurred_at),
            "window_hours": event.window_hours,
            "window_ends_at": iso_utc(event.window_ends_at),
        },
        "responders": [
            {
                "actor": {"slug": row.actor.slug, "name": row.actor.name, "kind": row.actor.kind},
                "expected": row.responder.expected,
                "status": row.responder.status,
                "first_statement_at": iso_utc(row.responder.first_statement_at),
                "latency_hours": row.latency_hours,
                "through": row.responder.through.slug if row.responder.through else None,
                "statement_count": row.responder.statement_count,
                "standing": row.responder.standing,
                "evidence": evidence_json(row.responder, base_url=base_url),
            }
            for row in timeline.rows
        ],
        "statements": [
            {
                "id": entry.statement.pk,
                "actor": entry.statement.actor.slug if entry.statement.actor_id else None,
                "published_at": iso_utc(entry.statement.published_at),
                "offset_hours": entry.offset_hours,
                "title": entry.statement.title,
                "url": entry.statement.url,
                "source": _source_name(entry.statement),
                "link_status": entry.link.status,
                "stance": entry.link.stance,
                "intensity": entry.link.intensity,
                "permalink": base_url + entry.statement.get_absolute_url(),
                # Whether it counts toward a status (a mention, a hand-added statement
                # awaiting a second editor, or a withdrawn one does not), and why.
                "counts": entry.link.counts_toward_status,
                "manual_review": entry.statement.manual_review or None,
                "implausible_date": iso_utc(entry.statement.implausible_date),
                # How much the statement is about the event, and the evidence (issue 10).
                "relevance": {"score": entry.link.relevance, "mention": entry.link.is_mention,
                              **(entry.link.relevance_evidence or {})},
                "language": entry.statement.language,
                # The language version it translates, counted once through it.
                "translation_of": entry.statement.translation_of_id,
            }
            for entry in timeline.entries
        ],
    }


def evidence_json(responder, *, base_url: str = "") -> dict | None:
    """What a silent or no_coverage row rests on, so an API user can check it: each
    source that can speak for the actor with what it vouches for in the window (and
    why not, when it does not), the editor's decision that still holds, and what
    the actor (and its voices) published in the window instead. None for others."""
    if responder.status not in ("silent", "no_coverage"):
        return None
    decision = responder.decision
    return {
        "sources": [
            {
                "title": str(e.source),
                "url": e.source.url,
                "partial": e.source.is_partial,
                "covers": e.covers,
                "intervals": [{"start": iso_utc(s.start), "end": iso_utc(s.end)}
                              for s in e.spans],
                "gaps": [{"start": iso_utc(s.start), "end": iso_utc(s.end)} for s in e.gaps],
                "reason": e.reason or None,
            }
            for e in responder.evidence
        ],
        "decision": None if decision is None else {
            "decision": decision.decision,
            "by": decision.decided_by.get_username() if decision.decided_by else None,
            "at": iso_utc(decision.decided_at),
            "note": decision.note,
        },
        "published_in_window": [
            {
                "id": s.pk,
                "actor": s.actor.slug if s.actor_id else None,
                "published_at": iso_utc(s.published_at),
                "title": s.title,
                "url": s.url,
                "source": _source_name(s),
                "permalink": base_url + s.get_absolute_url(),
            }
            for s in responder.instead
        ],
    }


TIMELINE_CSV_COLUMNS = [
    "statement_id", "published_at", "offset_hours", "phase", "actor", "actor_name", "title",
    "url", "source", "source_url", "link_status", "stance", "intensity", "cues",
    "matched_terms", "permalink",
]

RESPONDERS_CSV_COLUMNS = [
    "actor", "actor_name", "kind", "expected", "status", "first_statement_at",
    "latency_hours", "through", "statement_count", "statement_id", "stance", "intensity",
    "standing",
]


def timeline_csv(timeline: Timeline, *, generated_at: datetime, base_url: str) -> str:
    """One row per statement, with what a citation needs (URL, source, permalink)."""
    rows = (
        [
            entry.statement.pk,
            iso_utc(entry.statement.published_at),
            entry.offset_hours,
            entry.phase,
            entry.statement.actor.slug if entry.statement.actor_id else "",
            entry.statement.actor.name if entry.statement.actor_id else "",
            one_line(entry.statement.title),
            entry.statement.url,
            _source_name(entry.statement) or "",
            entry.statement.source.url if entry.statement.source_id else "",
            entry.link.status,
            entry.link.stance,
            entry.link.intensity,
            "; ".join(entry.link.cues or []),
            # The words as the statement wrote them, not the stems they were matched by.
            "; ".join(words_as_written(entry.link.matched_terms,
                                       entry.statement.body_text or entry.statement.title)),
            base_url + entry.statement.get_absolute_url(),
        ]
        for entry in timeline.entries
    )
    return _csv(timeline, "statements", generated_at, TIMELINE_CSV_COLUMNS, rows)


def responders_csv(timeline: Timeline, *, generated_at: datetime) -> str:
    """One row per responder: its status and the statement that gave it."""
    rows = (
        [
            row.actor.slug,
            row.actor.name,
            row.actor.kind,
            "yes" if row.responder.expected else "no",
            row.responder.status,
            iso_utc(row.responder.first_statement_at) or "",
            "" if row.latency_hours is None else row.latency_hours,
            row.responder.through.slug if row.responder.through else "",
            row.responder.statement_count,
            row.responder.link.statement_id if row.responder.link else "",
            row.responder.link.stance if row.responder.link else "",
            row.responder.link.intensity if row.responder.link else "",
            row.responder.standing,
        ]
        for row in timeline.rows
    )
    return _csv(timeline, "responders", generated_at, RESPONDERS_CSV_COLUMNS, rows)


def _csv(timeline: Timeline, what: str, generated_at: datetime, columns: list[str],
         rows: Iterable[list]) -> str:
    # A plain table, header first: what produced it (event, filters, time, version)
    # travels beside it, in the data package's datapackage.json (research/datapackage.py).
    out = io.StringIO()
    writer = CitationWriter(out)
    writer.writerow(columns)
    writer.writerows(rows)
    return out.getvalue()


def _source_name(statement) -> str | None:
    if not statement.source_id:
        return None
    return statement.source.title or statement.source.url


