"""import_archive: statements from CSV, CSV.gz and JSON-lines files, as an admin runs it."""

import csv
import gzip
import io
import json
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command

from statements.ingest.archive import ArchiveError, import_archive, parse_mapping
from statements.models import ArchiveImport, CoverageInterval, EventLink, Statement
from statements.responses.statuses import event_responses
from tests import factories as f

MAP = "date=date,title=title,text=text,url=link,id=id,language=language"


def write_csv(path, rows, *, gz=False):
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    writer.writerow(["id", "date", "title", "text", "link", "language"])
    writer.writerows(rows)
    data = buffer.getvalue().encode()
    path.write_bytes(gzip.compress(data) if gz else data)
    return path


START = f.utc(2019, 1, 1)


def kremlin_rows(n, start=START):
    return [
        [f"k{i}", (start + timedelta(hours=12 * i)).isoformat(), f"Meeting number {i}",
         f"The President held meeting {i}.\n\nSecond paragraph.",
         f"http://kremlin.example.org/events/{i}", "en"]
        for i in range(n)
    ]


def run(*args):
    out, err = io.StringIO(), io.StringIO()
    call_command("import_archive", *args, stdout=out, stderr=err)
    return out.getvalue()


def test_a_csv_gz_archive_is_stored_once_through_attribution_and_linking(tmp_path, db):
    putin = f.actor("vladimir-putin")
    source = f.source(for_actor=putin)
    rows = kremlin_rows(30)
    rows[7][2] = "Statement on Venezuela"
    rows[7][3] = "Venezuela must be free of destructive external interference in Venezuela."
    event = f.event("venezuela-2019", occurred_at=f.utc(2019, 1, 4), window_hours=72,
                    terms={"en": ["Venezuela"]}, expected=[putin])
    path = write_csv(tmp_path / "kremlin.csv.gz", rows, gz=True)

    out = run(str(path), "--source", str(source.pk), "--map", MAP)

    assert "kremlin.csv.gz: 30 rows read, stored 30 new, 0 rejected" in out
    assert "partial archive: vouches for no coverage" in out
    stored = Statement.objects.get(source=source, entry_id="k3")
    assert (stored.actor, stored.title, stored.language) == (putin, "Meeting number 3", "en")
    assert stored.body_html == "<p>The President held meeting 3.</p><p>Second paragraph.</p>"
    assert stored.published_at == f.utc(2019, 1, 2, 12)
    assert stored.raw["archive"] == {"file": "kremlin.csv.gz", "line": 11}
    assert EventLink.objects.get(event=event).statement.entry_id == "k7"
    # A partial archive vouches for nothing.
    assert not CoverageInterval.objects.filter(source=source).exists()

    again = run(str(path), "--source", str(source.pk), "--map", MAP)
    assert "stored 0 new" in again
    assert Statement.objects.filter(source=source).count() == 30


def test_a_dry_run_names_bad_rows_by_line_and_writes_nothing(tmp_path, db):
    source = f.source()
    rows = kremlin_rows(6)
    rows[1][1] = "the day after tomorrow"
    rows[3][2] = rows[3][3] = ""
    rows[4][4] = "javascript:alert(1)"
    rows.append(["k9", "2019-01-09", "Extra cell", "text", "http://x.example.org/", "en", "oops"])
    rows.insert(2, ["k-multi", "2019-01-02", "Two\nlines", "text\nmore", "", "en"])
    path = write_csv(tmp_path / "bad.csv", rows)

    out = run(str(path), "--source", str(source.pk), "--map", MAP, "--dry-run",
              "--complete-from", "2019-01-01", "--complete-to", "2019-01-10")

    # Lines of the file, where each record starts: texts span several lines.
    assert out.splitlines()[:4] == [
        "line 5: date 'the day after tomorrow' is not a date",
        "line 14: neither a title nor a text",
        "line 15: url 'javascript:alert(1)' is not an http(s) address",
        "line 21: 7 cells where the header has 6",
    ]
    assert "bad.csv: 8 rows read, would store 4 new, 4 rejected (dry run: nothing written)" in out
    assert "not vouching" in out
    assert not Statement.objects.exists()
    assert not ArchiveImport.objects.exists()
    assert not CoverageInterval.objects.exists()


def test_json_lines_with_a_stated_span_vouch_for_it_and_the_silence_names_the_archive(
    tmp_path, db
):
    putin = f.actor("vladimir-putin")
    source = f.source(for_actor=putin)
    path = tmp_path / "kremlin.jsonl"
    path.write_text("\n".join(
        json.dumps({"doc": f"d{i}", "when": f"2019-02-{i + 1:02d}T10:00:00Z",
                    "head": f"Working day {i}", "body": "Nothing about the event."})
        for i in range(20)
    ) + "\n{broken\n")
    event = f.event("iran-2019", occurred_at=f.utc(2019, 2, 10), window_hours=72,
                    terms={"en": ["Iran"]}, expected=[putin])
    now = f.utc(2026, 1, 1)

    report = import_archive(
        path=path, source=source, mapping=parse_mapping("id=doc,date=when,title=head,text=body"),
        complete_from=f.utc(2019, 2, 1), complete_to=f.utc(2019, 2, 20, 23, 59),
    )
    assert (report.rows_new, report.rows_rejected) == (20, 1)
    assert [str(e) for e in report.errors] == ["line 21: not valid JSON (Expecting property "
                                               "name enclosed in double quotes, column 2)"]
    # One bad row: the file is not complete, so it vouches for nothing.
    assert report.vouches is None
    assert event_responses(event=event, now=now).responders[0].status == "no_coverage"

    path.write_text(path.read_text().replace("{broken\n", ""))
    report = import_archive(
        path=path, source=source, mapping=parse_mapping("id=doc,date=when,title=head,text=body"),
        complete_from=f.utc(2019, 2, 1), complete_to=f.utc(2019, 2, 20, 23, 59),
    )
    assert report.rows_new == 0 and report.vouches is not None
    interval = CoverageInterval.objects.get(source=source)
    assert (interval.origin, interval.archive.file_name) == ("archive", "kremlin.jsonl")
    responder = event_responses(event=event, now=now).responders[0]
    assert responder.status == "silent"
    # The evidence behind the silence names the file.
    [evidence] = responder.evidence
    assert [a.file_name for a in evidence.archives] == ["kremlin.jsonl"]


def test_a_bad_mapping_or_missing_column_stops_before_anything_is_written(tmp_path, db):
    source = f.source()
    path = write_csv(tmp_path / "k.csv", kremlin_rows(3))
    with pytest.raises(ArchiveError, match="unknown field 'body'"):
        parse_mapping("date=date,body=text")
    with pytest.raises(ArchiveError, match="must name a column for: date"):
        parse_mapping("title=title")
    with pytest.raises(CommandError, match="no column named 'published'"):
        run(str(path), "--source", str(source.pk), "--map", "date=published,title=title")
    with pytest.raises(CommandError, match="go together"):
        run(str(path), "--source", str(source.pk), "--map", MAP, "--complete-from", "2019-01-01")
    assert not Statement.objects.exists()
    assert not ArchiveImport.objects.exists()
