"""Actor-list import: dry run, first import, re-import and export of 200 and 2,000 actors.

Each list is a tree like a real one (states, their ministries, people in
them, with two aliases each and group memberships), as CSV. The columns are
wall-clock milliseconds and database queries per step: queries should stay
flat as the list grows (bulk reads and writes), and the re-import of an
unchanged file writes nothing. Runs inside a transaction that is rolled
back, so the database is left as it was.
"""

from __future__ import annotations

import time

from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from statements.curation.actor_lists import export_csv, import_actors, parse_csv

SIZES = (200, 2_000)


class _Rollback(Exception):
    pass


def actor_list(count: int, prefix: str) -> str:
    states = max(1, count // 10)
    rows = ["slug,name,kind,country,parent,aliases,wikidata_id,groups"]
    made = 0
    for s in range(states):
        state = f"{prefix}-state-{s}"
        rows.append(f"{state},State {s},state,RU,,State {s}|en; Государство {s}|ru,,"
                    f"{prefix}-watch")
        made += 1
        ministry = f"{prefix}-mfa-{s}"
        rows.append(f"{ministry},Foreign Ministry {s},institution,RU,{state},MFA {s}|en,,")
        made += 1
        person = 0
        while made < count and person < 8:
            rows.append(f"{prefix}-p-{s}-{person},Person {s} {person},person,RU,{ministry},"
                        f"Person {s}-{person}|en; Персона {s}-{person}|ru,,{prefix}-people")
            made += 1
            person += 1
        if made >= count:
            break
    return "\n".join(rows[: count + 1]) + "\n"


def _timed(step):
    with CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        result = step()
        elapsed = (time.perf_counter() - started) * 1000
    return result, elapsed, len(queries)


def run() -> list[dict]:
    rows = []
    for size in SIZES:
        text = actor_list(size, f"bench{size}")
        try:
            with transaction.atomic():
                records = parse_csv(text)
                dry, dry_ms, dry_q = _timed(lambda r=records: import_actors(r, dry_run=True))
                first, first_ms, first_q = _timed(lambda r=records: import_actors(r))
                again, again_ms, again_q = _timed(lambda r=records: import_actors(r))
                _csv, export_ms, export_q = _timed(export_csv)
                assert dry.created == first.created == len(records) and again.changed is False
                rows.append({
                    "actors": len(records),
                    "dry run ms": dry_ms, "dry run queries": dry_q,
                    "import ms": first_ms, "import queries": first_q,
                    "re-import ms": again_ms, "re-import queries": again_q,
                    "export ms": export_ms, "export queries": export_q,
                })
                raise _Rollback
        except _Rollback:
            pass
    return rows
