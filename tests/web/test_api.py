"""The read-only JSON API: lists with filters and limit/offset pagination, details, errors,
and the documentation page."""

import re
from datetime import timedelta

import pytest
from django.contrib.staticfiles import finders

from actors.models import Actor, ActorGroup, Alias
from statements.models import Tag
from tests import factories as f
from tests.factories import utc
from tests.scenarios import build_maduro_scenario

pytestmark = pytest.mark.django_db


@pytest.fixture
def maduro():
    return build_maduro_scenario()


def get(client, path, **params):
    response = client.get(path, params)
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "application/json"
    return response.json()


def _events(n):
    tag = Tag.objects.get_or_create(slug="series")[0]
    for i in range(n):
        event = f.event(slug=f"event-{i:02d}", title=f"Event {i}",
                        occurred_at=utc(2025, 1, 1) + timedelta(days=i))
        event.tags.add(tag)


def test_events_are_paginated_with_count_next_and_previous(client):
    _events(5)
    first = get(client, "/api/events/", limit=2)
    assert first["count"] == 5 and first["limit"] == 2 and first["offset"] == 0
    assert [e["slug"] for e in first["results"]] == ["event-04", "event-03"]  # newest first
    assert first["previous"] is None
    assert first["next"] == "http://testserver/api/events/?limit=2&offset=2"
    second = client.get(first["next"]).json()
    assert [e["slug"] for e in second["results"]] == ["event-02", "event-01"]
    assert second["previous"] == "http://testserver/api/events/?limit=2&offset=0"
    last = client.get(second["next"]).json()
    assert [e["slug"] for e in last["results"]] == ["event-00"] and last["next"] is None


def test_pagination_keeps_the_filters_in_its_links(client):
    _events(3)
    page = get(client, "/api/events/", tag="series", limit=1)
    assert page["next"] == "http://testserver/api/events/?tag=series&limit=1&offset=1"


def test_events_filter_by_tag_expected_actor_and_date(client, maduro):
    f.event(slug="other", title="Something else", occurred_at=utc(2025, 6, 1))
    assert [e["slug"] for e in get(client, "/api/events/", tag="venezuela")["results"]] == [
        "maduro-capture-2026"]
    assert [e["slug"] for e in get(client, "/api/events/",
                                   expected="vladimir-putin")["results"]] == [
        "maduro-capture-2026"]
    assert [e["slug"] for e in get(client, "/api/events/", **{"from": "2025-05-31",
                                                               "to": "2025-06-01"})["results"]
            ] == ["other"]


def test_an_event_carries_its_response_summary_and_its_links(client, maduro):
    event = get(client, "/api/events/maduro-capture-2026/")
    assert event["occurred_at"] == "2026-01-03T06:00:00Z" and event["window_hours"] == 72
    assert event["summary"] == {"expected": 8, "responded": 4, "via_proxy": 0,
                                "responded_late": 1, "pending": 0, "silent": 1,
                                "no_coverage": 2}
    assert event["timeline"] == "http://testserver/api/events/maduro-capture-2026/timeline.json"
    assert event["feed"] == "http://testserver/events/maduro-capture-2026/feed.atom"
    assert "vladimir-putin" in event["expected_actors"]
    assert sorted(event["tags"]) == ["us", "venezuela"]


def test_bad_parameters_are_a_400_with_reasons_and_unknown_slugs_a_404(client, maduro):
    response = client.get("/api/events/", {"limit": "1000", "offset": "-1", "tag": "nope"})
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert errors["limit"] == ["limit is at most 200."]
    assert errors["offset"] == ["offset cannot be negative."]
    assert errors["tag"] == ["There is no tag “nope”."]
    response = client.get("/api/statements/", {"from": "yesterday", "stance": "angry"})
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"from", "stance"}
    assert client.get("/api/events/nope/").status_code == 404
    assert client.get("/api/events/nope/").json()["errors"]["detail"]
    assert client.get("/api/actors/nope/").status_code == 404
    assert client.get("/api/statements/999999/").status_code == 404


def test_actors_filter_by_kind_group_parent_and_any_name(client, maduro):
    assert {a["slug"] for a in get(client, "/api/actors/", kind="state")["results"]} == {
        "russia", "cuba", "china", "belarus"}
    assert {a["slug"] for a in get(client, "/api/actors/", group="russia-and-allies")[
        "results"]} == {"russia", "vladimir-putin", "cuba", "belarus"}
    assert {a["slug"] for a in get(client, "/api/actors/", parent="kremlin")["results"]} == {
        "vladimir-putin", "dmitry-peskov"}
    Alias.objects.create(actor=maduro["actors"]["putin"], text="Путин", lang="ru")
    found = get(client, "/api/actors/", q="путин")["results"]
    assert [a["slug"] for a in found] == ["vladimir-putin"]
    assert found[0]["aliases"] == [{"text": "Путин", "lang": "ru"}]
    assert found[0]["parent"] == "kremlin"
    assert found[0]["groups"] == ["russia-and-allies"]
    assert get(client, "/api/actors/", country="RU")["count"] == 1


def test_an_actor_carries_its_record_across_events(client, maduro):
    putin = get(client, "/api/actors/vladimir-putin/")
    assert putin["spokespeople"] == ["dmitry-peskov"]
    assert putin["roles"][0]["title"] == "President of Russia"
    (row,) = putin["record"]
    assert row.items() >= {
        "event": "maduro-capture-2026", "occurred_at": "2026-01-03T06:00:00Z",
        "expected": True, "status": "silent", "first_statement_at": None,
        "latency_hours": None, "through": None, "stance": None, "intensity": None,
        "statement_id": None}.items()
    assert putin["record_summary"]["response_rate_percent"] == 0
    russia = get(client, "/api/actors/russia/")
    assert russia["record"][0]["status"] == "responded"
    assert russia["record"][0]["through"] == "russian-mfa"
    assert russia["record"][0]["latency_hours"] == 5.5
    assert set(russia["members"]) == {"kremlin", "russian-mfa"}
    mfa = get(client, "/api/actors/russian-mfa/")
    assert mfa["sources"][0]["title"] == "MFA statements"
    assert mfa["sources"][0]["last_success_at"].endswith("Z")


def test_statements_filter_like_the_search_page_and_cite_their_sources(client, maduro):
    data = get(client, "/api/statements/", actor="russia", stance="concern", limit=2)
    assert data["count"] == 3  # the ministry's warning and later note, Zakharova's briefing
    assert len(data["results"]) == 2 and data["next"].endswith("offset=2")
    row = data["results"][0]
    assert row["url"].startswith("https://news.example/") and row["source"]["title"]
    assert row["permalink"].startswith("http://testserver/statements/")
    assert {"slug": "maduro-capture-2026", "link_status": "suggested", "stance": "concern",
            "intensity": 1} in row["events"]
    words = get(client, "/api/statements/", q="sovereignty")
    assert [r["title"] for r in words["results"]] == [
        "On preserving the sovereignty of Venezuela"]
    assert words["results"][0]["rank"] > 0


def test_a_statement_carries_its_text_and_event_links(client, maduro):
    link = maduro["links"]["mfa"]
    statement = get(client, f"/api/statements/{link.statement_id}/")
    assert statement["events"] == [{
        "slug": "maduro-capture-2026", "link_status": "confirmed", "method": "auto",
        "stance": "condemns", "intensity": 2, "cues": ["armed aggression", "condemnable"],
        "matched_terms": ["Venezuela", "Maduro"], "offset_hours": 5.5}]
    assert statement["actor"] == {"slug": "russian-mfa",
                                  "name": "Russian Ministry of Foreign Affairs"}
    assert statement["source"]["title"] == "MFA statements"


def test_lists_take_the_same_queries_for_a_short_or_a_long_page(
        client, django_assert_max_num_queries):
    group = ActorGroup.objects.create(slug="g", name="G")

    def add(n, start):
        for i in range(start, start + n):
            actor = f.actor(f"actor-{i}", kind=Actor.Kind.INSTITUTION)
            group.members.add(actor)
            Alias.objects.create(actor=actor, text=f"Alias {i}")
            event = f.event(slug=f"ev-{i}", occurred_at=utc(2025, 1, 1) + timedelta(days=i),
                            expected=[actor])
            f.link(event, f.statement(actor, utc(2025, 1, 1) + timedelta(days=i, hours=1)))

    def counts():
        found = []
        for path in ("/api/events/", "/api/actors/", "/api/statements/"):
            with django_assert_max_num_queries(15) as queries:
                assert client.get(path, {"limit": 50}).status_code == 200
            found.append(len(queries.captured_queries))
        return found

    add(2, 0)
    few = counts()
    add(20, 2)
    assert counts() == few


def test_the_documentation_page_lists_the_endpoints_and_links_the_timeline(client, maduro):
    html = client.get("/api/").content.decode()
    for endpoint in ("/api/events/", "/api/actors/", "/api/statements/",
                     "/api/events/&lt;slug&gt;/timeline.json"):
        assert endpoint in html
    assert 'href="/api/events/maduro-capture-2026/timeline.json"' in html
    assert "limit" in html and "offset" in html and "names_widened" in html


def test_a_silent_responder_carries_the_coverage_it_rests_on(client, maduro):
    """"silent" is a claim about feeds: the API shows which sources and which intervals."""
    (row,) = get(client, "/api/actors/vladimir-putin/")["record"]
    assert row["status"] == "silent"
    sources = row["evidence"]["sources"]
    assert sources and all(s["covers"] for s in sources)
    assert all(i["start"].endswith("Z") and i["end"].endswith("Z")
               for s in sources for i in s["intervals"])
    assert any(s["intervals"] for s in sources)
    timeline = get(client, "/api/events/maduro-capture-2026/timeline.json")
    silent = [r for r in timeline["responders"] if r["status"] == "silent"]
    assert silent and all(r["evidence"]["sources"] for r in silent)
    answered = [r for r in timeline["responders"] if r["status"] == "responded"]
    assert answered and all(r["evidence"] is None for r in answered)


def test_every_statement_carries_its_permalink(client, maduro):
    listed = get(client, "/api/statements/")["results"]
    timeline = get(client, "/api/events/maduro-capture-2026/timeline.json")["statements"]
    detail = get(client, f"/api/statements/{listed[0]['id']}/")
    for statement in [*listed, *timeline, detail]:
        assert statement["permalink"] == f"http://testserver/statements/{statement['id']}/"


def test_an_unknown_parameter_is_a_400_not_silently_ignored(client, maduro):
    response = client.get("/api/events/", {"tags": "venezuela"})  # a typo of "tag"
    assert response.status_code == 400
    assert response.json() == {"errors": {"tags": [
        "“tags” is not a parameter of this endpoint (use one of: expected, from, limit, "
        "offset, q, tag, to)."]}}
    # The search page's own parameters mean nothing here.
    assert set(client.get("/api/statements/", {"page": 2}).json()["errors"]) == {"page"}
    assert client.get("/api/actors/russia/", {"verbose": 1}).status_code == 400
    assert client.get("/api/events/maduro-capture-2026/timeline.json",
                      {"stance": "condemns", "x": "1"}).json()["errors"].keys() == {"x"}


def test_a_huge_offset_is_a_400_and_a_bad_address_a_json_404(client, maduro):
    response = client.get("/api/statements/", {"offset": 10**20})
    assert response.status_code == 400
    assert response.json() == {"errors": {"offset": ["offset is at most 1,000,000."]}}
    for path in ("/api/statements/abc/", "/api/statements/99999999999999999999999/",
                 "/api/events/no such event/", "/api/nothing/"):
        response = client.get(path)
        assert response.status_code == 404, path
        assert response["Content-Type"] == "application/json"
        assert response.json()["errors"]["detail"], path
    # Without its slash an address still gets one, as everywhere on the site.
    assert client.get("/api/events").status_code == 301
    assert client.head("/api/events/").status_code == 200  # HEAD is answered like GET
    assert client.post("/api/events/").status_code == 405


def test_the_openapi_document_describes_the_operations_and_their_parameters(client):
    document = get(client, "/api/openapi.json")
    assert set(document["paths"]) == {
        "/api/events/", "/api/events/{slug}/", "/api/events/{slug}/timeline.json",
        "/api/actors/", "/api/actors/{slug}/", "/api/statements/", "/api/statements/{pk}/"}
    events = document["paths"]["/api/events/"]["get"]
    params = {p["name"]: p["schema"] for p in events["parameters"]}
    assert set(params) == {"tag", "expected", "q", "from", "to", "limit", "offset"}
    assert params["limit"] == {"type": "integer", "minimum": 1, "maximum": 200}
    assert params["from"] == {"type": "string", "format": "date"}
    assert set(events["responses"]) == {"200", "400", "404"}


def test_the_interactive_docs_load_nothing_from_another_site(client):
    html = client.get("/api/docs").content.decode()
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert "/static/ninja/swagger-ui-bundle.js" in assets
    for asset in assets:
        assert asset.startswith("/static/"), asset
        assert finders.find(asset.removeprefix("/static/")), asset
    assert '"validatorUrl": null' in html  # no badge fetched from validator.swagger.io


def test_the_document_and_the_docs_need_a_login_when_reading_does(client, settings):
    settings.PUBLIC_READING = False
    for path in ("/api/openapi.json", "/api/docs", "/api/events/"):
        response = client.get(path)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]


@pytest.mark.parametrize("params", [
    {"to": "9999-12-31"}, {"from": "0001-01-01"}, {"q": "a\x00b"}, {"actor": "x\x00"},
    {"source": "99999999999999999999999"}, {"limit": "1e3"}, {"offset": " 5"},
])
def test_edge_values_are_answered_never_a_server_error(client, maduro, params):
    for path in ("/api/statements/", "/api/events/"):
        query = {k: v for k, v in params.items()
                 if path == "/api/statements/" or k in {"to", "from", "q", "limit", "offset"}}
        response = client.get(path, query)
        assert response.status_code in (200, 400), (path, query, response.content[:300])
        assert response["Content-Type"] == "application/json"
