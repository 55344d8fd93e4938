"""Timeline exports: the stable JSON contract of DESIGN.md and the CSV files for citation."""

import csv
import io
import json
import re
import zipfile
from datetime import timedelta

import pytest
from django.urls import reverse

from actors.models import Actor
from statements.models import EventLink, Statement
from tests import factories as f
from tests.factories import utc

pytestmark = pytest.mark.django_db
T0 = utc(2026, 1, 3, 6)
AFTER = T0 + timedelta(days=40)
ISO_Z = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
STATUSES = {"responded", "via_proxy", "responded_late", "pending", "silent", "no_coverage"}


@pytest.fixture
def scenario():
    """Russia answers through its Foreign Ministry; Putin is silent; Peskov speaks for him late."""
    state = f.actor("russia", kind=Actor.Kind.STATE, country="RU")
    kremlin = f.actor("kremlin", kind=Actor.Kind.INSTITUTION, parent=state)
    putin = f.actor("vladimir-putin", name="Vladimir Putin", parent=kremlin)
    peskov = f.actor("dmitry-peskov", parent=kremlin, speaks_for=[putin])
    mfa = f.actor("russian-mfa", name="Russian MFA", kind=Actor.Kind.INSTITUTION, parent=state)
    kremlin_feed = f.source(kremlin, title="Kremlin news")
    mfa_feed = f.source(mfa, title="", url="https://mid.example/rss")  # untitled: URL stands in
    f.fetched(kremlin_feed, AFTER, oldest=T0 - timedelta(days=30))
    event = f.event(expected=[state, putin, mfa], title="United States captures Maduro")

    answer = f.statement(mfa, T0 + timedelta(hours=5, minutes=30), source=mfa_feed,
                         title='Statement, "on aggression"\n#2 against Venezuela')
    answer.url = "https://mid.example/1"
    answer.save()
    links = {
        "answer": f.link(event, answer, stance="condemns", intensity=2,
                         cues=["armed aggression"], matched_terms=["Venezuela", "Maduro"]),
        "before": f.link(event, f.statement(mfa, T0 - timedelta(hours=3), source=mfa_feed),
                         status=EventLink.Status.CONFIRMED),
        "late": f.link(event, f.statement(peskov, T0 + timedelta(days=5), source=kremlin_feed),
                       stance="neutral"),
        "rejected": f.link(event, f.statement(putin, T0 + timedelta(hours=2),
                                              source=kremlin_feed),
                           status=EventLink.Status.REJECTED),
    }
    manual = Statement.objects.create(
        source=None, actor=None, attribution=Statement.Attribution.EDITOR, entry_id="manual-1",
        title="Found in a newspaper", published_at=T0 + timedelta(hours=10), content_hash="x",
        is_manual=True)
    links["manual"] = f.link(event, manual, status=EventLink.Status.CONFIRMED, stance="concern",
                             intensity=1)
    return {"event": event, "links": links}


def get_json(client, slug, **params):
    response = client.get(reverse("event-timeline-json", args=[slug]), params)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    return response.json()


def test_the_json_has_exactly_the_contracts_keys_and_types(client, scenario):
    data = get_json(client, scenario["event"].slug)
    assert set(data) == {"event", "responders", "statements"}

    event = data["event"]
    assert set(event) == {"slug", "title", "occurred_at", "window_hours", "window_ends_at"}
    assert event == {"slug": "maduro-capture-2026", "title": "United States captures Maduro",
                     "occurred_at": "2026-01-03T06:00:00Z", "window_hours": 72,
                     "window_ends_at": "2026-01-06T06:00:00Z"}

    assert data["responders"]
    for responder in data["responders"]:
        # DESIGN.md: these fields are fixed; fields may be added, never renamed or removed.
        assert set(responder) >= {"actor", "expected", "status", "first_statement_at",
                                  "latency_hours", "through", "statement_count"}
        assert set(responder["actor"]) == {"slug", "name", "kind"}
        assert all(isinstance(v, str) for v in responder["actor"].values())
        assert responder["actor"]["kind"] in {"person", "institution", "state", "organization"}
        assert isinstance(responder["expected"], bool)
        assert responder["status"] in STATUSES
        assert responder["first_statement_at"] is None or ISO_Z.match(
            responder["first_statement_at"])
        assert responder["latency_hours"] is None or isinstance(responder["latency_hours"], float)
        assert responder["through"] is None or isinstance(responder["through"], str)
        assert isinstance(responder["statement_count"], int)

    assert data["statements"]
    for statement in data["statements"]:
        assert set(statement) >= {"id", "actor", "published_at", "offset_hours", "title", "url",
                                  "source", "link_status", "stance", "intensity", "permalink"}
        assert isinstance(statement["id"], int)
        assert statement["actor"] is None or isinstance(statement["actor"], str)
        assert ISO_Z.match(statement["published_at"])
        assert isinstance(statement["offset_hours"], float)
        assert isinstance(statement["title"], str) and isinstance(statement["url"], str)
        assert statement["source"] is None or isinstance(statement["source"], str)
        assert statement["link_status"] in {"suggested", "confirmed", "rejected"}
        assert statement["stance"] in {"condemns", "concern", "supports", "neutral"}
        assert isinstance(statement["intensity"], int)


def test_the_json_says_who_answered_through_whom_and_who_was_silent(client, scenario):
    data = get_json(client, scenario["event"].slug)
    by_slug = {r["actor"]["slug"]: r for r in data["responders"]}
    # Fields may be added to the contract: compare the fixed ones.
    assert by_slug["russia"].items() >= {
        "actor": {"slug": "russia", "name": "Russia", "kind": "state"},
        "expected": True, "status": "responded",
        "first_statement_at": "2026-01-03T11:30:00Z", "latency_hours": 5.5,
        "through": "russian-mfa", "statement_count": 3,
    }.items()
    assert by_slug["russian-mfa"]["through"] is None
    assert by_slug["vladimir-putin"].items() >= {
        "actor": {"slug": "vladimir-putin", "name": "Vladimir Putin", "kind": "person"},
        "expected": True, "status": "silent", "first_statement_at": None,
        "latency_hours": None, "through": None, "statement_count": 0,
    }.items()
    # Peskov spoke unasked, after the window.
    assert by_slug["dmitry-peskov"]["expected"] is False
    assert by_slug["dmitry-peskov"]["status"] == "responded_late"


def test_the_json_lists_statements_in_time_order_without_rejected_links(client, scenario):
    links = scenario["links"]
    statements = get_json(client, scenario["event"].slug)["statements"]
    assert [s["id"] for s in statements] == [
        links[k].statement_id for k in ("before", "answer", "manual", "late")]
    before, answer, manual, late = statements
    assert before["offset_hours"] == -3.0 and before["link_status"] == "confirmed"
    assert answer.items() >= {
        "id": links["answer"].statement_id, "actor": "russian-mfa",
        "published_at": "2026-01-03T11:30:00Z", "offset_hours": 5.5,
        "title": 'Statement, "on aggression"\n#2 against Venezuela',
        "url": "https://mid.example/1", "source": "https://mid.example/rss",
        "link_status": "suggested", "stance": "condemns", "intensity": 2,
    }.items()
    assert answer["permalink"] == f"http://testserver/statements/{answer['id']}/"
    assert manual["actor"] is None and manual["source"] is None
    assert late["source"] == "Kremlin news" and late["offset_hours"] == 120.0


def test_rejected_links_are_exported_only_when_asked_for(client, scenario):
    slug = scenario["event"].slug
    rejected = scenario["links"]["rejected"].statement_id
    only = get_json(client, slug, link_status="rejected")["statements"]
    assert [(s["id"], s["link_status"]) for s in only] == [(rejected, "rejected")]
    assert rejected in [s["id"] for s in get_json(client, slug, link_status="any")["statements"]]


def test_the_json_applies_the_pages_filters(client, scenario):
    statements = get_json(client, scenario["event"].slug, stance="condemns")["statements"]
    assert [s["id"] for s in statements] == [scenario["links"]["answer"].statement_id]


def test_a_bad_filter_is_an_error_for_a_script_not_silently_ignored(client, scenario):
    slug = scenario["event"].slug
    response = client.get(reverse("event-timeline-json", args=[slug]), {"stance": "angry"})
    assert response.status_code == 400
    # The API's one error shape: messages by parameter name.
    assert "“angry” is not a stance" in response.json()["errors"]["stance"][0]
    response = client.get(reverse("event-timeline-csv", args=[slug]), {"link_status": "maybe"})
    assert response.status_code == 400 and "is not a link status" in response.content.decode()


def test_unknown_and_unpublished_events_are_not_found(client, scenario):
    assert client.get(reverse("event-timeline-json", args=["nope"])).status_code == 404
    scenario["event"].is_published = False
    scenario["event"].save()
    for name in ("event-timeline-json", "event-timeline-csv", "event-responders-csv"):
        assert client.get(reverse(name, args=[scenario["event"].slug])).status_code == 404


def read_csv(response):
    """The rows csv.reader parses: a plain table, its header on the first line."""
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    return list(csv.reader(io.StringIO(response.content.decode("utf-8"))))


def package_of(client, slug, params=None):
    """What produced an export travels beside it: datapackage.json in the zip."""
    response = client.get(reverse("event-timeline-package", args=[slug]), params or {})
    assert response.status_code == 200
    with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
        return json.loads(archive.read("datapackage.json"))


def test_the_statements_csv_parses_back_with_a_traceable_header(client, scenario):
    response = client.get(reverse("event-timeline-csv", args=[scenario["event"].slug]),
                          {"stance": "condemns"})
    rows = read_csv(response)
    package = package_of(client, scenario["event"].slug, {"stance": "condemns"})
    assert package["query"]["event"] == "maduro-capture-2026"
    assert package["title"] == "Responses to “United States captures Maduro”"
    assert package["query"]["occurred_at"] == "2026-01-03T06:00:00Z"
    assert package["query"]["filters"] == "stance=condemns"
    assert ISO_Z.match(package["created"])

    header, *data = rows
    assert header[:4] == ["statement_id", "published_at", "offset_hours", "phase"]
    (row,) = data
    record = dict(zip(header, row, strict=True))
    answer = scenario["links"]["answer"]
    assert record["statement_id"] == str(answer.statement_id)
    assert record["published_at"] == "2026-01-03T11:30:00Z"
    assert record["offset_hours"] == "5.5" and record["phase"] == "window"
    assert record["actor"] == "russian-mfa" and record["actor_name"] == "Russian MFA"
    # Kept on one line: a title is one cell on one line.
    assert record["title"] == 'Statement, "on aggression" #2 against Venezuela'
    assert record["url"] == "https://mid.example/1"
    assert record["source"] == "https://mid.example/rss"
    assert record["cues"] == "armed aggression" and record["matched_terms"] == "Venezuela; Maduro"
    assert record["permalink"] == f"http://testserver/statements/{answer.statement_id}/"


def test_the_unfiltered_statements_csv_has_a_row_per_statement(client, scenario):
    rows = read_csv(client.get(reverse("event-timeline-csv", args=[scenario["event"].slug])))
    assert package_of(client, scenario["event"].slug)["query"]["filters_note"] == (
        "none (rejected links excluded)")
    assert len(rows) == 1 + 4
    assert [r[0] for r in rows[1:]] == [str(scenario["links"][k].statement_id)
                                         for k in ("before", "answer", "manual", "late")]


def test_the_responders_csv_parses_back(client, scenario):
    rows = read_csv(client.get(reverse("event-responders-csv", args=[scenario["event"].slug])))
    assert rows[0][0] == "actor"  # the header is the first line
    header, *data = rows
    records = {r[0]: dict(zip(header, r, strict=True)) for r in data}
    assert records["russia"]["status"] == "responded"
    assert records["russia"]["through"] == "russian-mfa"
    assert records["russia"]["latency_hours"] == "5.5"
    assert records["russia"]["statement_id"] == str(scenario["links"]["answer"].statement_id)
    assert records["vladimir-putin"]["status"] == "silent"
    assert records["vladimir-putin"]["first_statement_at"] == ""
    assert records["vladimir-putin"]["expected"] == "yes"


def test_the_timeline_page_links_all_three_exports(client, scenario):
    html = client.get(scenario["event"].get_absolute_url()).content.decode()
    for name in ("event-timeline-csv", "event-responders-csv", "event-timeline-json"):
        assert f'href="{reverse(name, args=[scenario["event"].slug])}"' in html


@pytest.mark.smoke
def test_text_cells_that_a_spreadsheet_would_run_are_written_as_text():
    import io

    from statements.research.csvfiles import CitationWriter

    out = io.StringIO()
    CitationWriter(out).writerow(['=HYPERLINK("http://evil")', "@SUM(A1)", "Maduro", -3.5])
    (row,) = csv.reader(io.StringIO(out.getvalue()))
    assert row == ["'=HYPERLINK(\"http://evil\")", "'@SUM(A1)", "Maduro", "-3.5"]
