"""The actors × events matrix: rows for a group, columns for a tag, statuses in the cells,
the cell fragment, the CSV, and a constant number of queries."""

import csv
import io
import re
from datetime import timedelta

import pytest
from django.urls import reverse

from actors.models import Actor, ActorGroup
from statements.models import Tag
from tests import factories as f
from tests.factories import utc
from tests.scenarios import AFTER, build_maduro_scenario, text_of

pytestmark = pytest.mark.django_db

URL = "/matrix/"
T2019 = utc(2019, 1, 23, 16)


@pytest.fixture
def maduro():
    """The founding case, plus Venezuela 2019, when Putin answered within a day."""
    scenario = build_maduro_scenario()
    a = scenario["actors"]
    old = f.event(slug="venezuela-crisis-2019", title="Venezuelan crisis",
                  occurred_at=T2019, expected=[a["russia"], a["putin"], a["cuba"]])
    old.tags.set([Tag.objects.get(slug="venezuela")])
    f.fetched(scenario["feeds"]["kremlin"], T2019 + timedelta(days=10),
              oldest=T2019 - timedelta(days=30))
    f.link(old, f.statement(a["putin"], T2019 + timedelta(hours=24.5),
                            source=scenario["feeds"]["kremlin"],
                            title="Telephone conversation with Nicolas Maduro"),
           stance="condemns", intensity=2)
    scenario["old"] = old
    return scenario


def cells(html):
    """{(actor, event): status} from the grid's cells."""
    found = {}
    for actor, row in re.findall(r'<tr data-actor="([\w-]+)">(.*?)</tr>', html, re.S):
        for event, status in re.findall(r'data-event="([\w-]+)" data-status="(\w+)"', row):
            found[(actor, event)] = status
    return found


def test_the_matrix_for_a_group_shows_its_members_across_events(client, maduro):
    html = client.get(URL, {"group": "russia-and-allies"}).content.decode()
    rows = re.findall(r'<tr data-actor="([\w-]+)">', html)
    # Members only, each after its ancestors among them (Putin belongs to Russia).
    assert rows == ["belarus", "cuba", "russia", "vladimir-putin"]
    assert 'class="actor-col depth-1"' in html  # Putin, indented under Russia
    columns = re.findall(r'<th scope="col" class="event-col" data-event="([\w-]+)"', html)
    assert columns == ["venezuela-crisis-2019", "maduro-capture-2026"]  # oldest first
    grid = cells(html)
    assert grid[("vladimir-putin", "venezuela-crisis-2019")] == "responded"
    assert grid[("vladimir-putin", "maduro-capture-2026")] == "silent"
    assert grid[("russia", "maduro-capture-2026")] == "responded"
    assert grid[("belarus", "maduro-capture-2026")] == "no_coverage"
    assert grid[("belarus", "venezuela-crisis-2019")] == "not_expected"
    text = text_of(html)
    assert "4 actors × 2 events" in text and "+24.5 h" in text and "+5.5 h" in text
    # The colours and labels are the site's status classes.
    assert 'class="cell cell--silent"' in html and 'class="status status--silent">Silent' in html


def test_a_tag_chooses_the_columns_and_everyone_expected_makes_the_rows(client, maduro):
    html = client.get(URL, {"tag": "venezuela"}).content.decode()
    columns = re.findall(r'class="event-col" data-event="([\w-]+)"', html)
    assert columns == ["venezuela-crisis-2019", "maduro-capture-2026"]
    rows = re.findall(r'<tr data-actor="([\w-]+)">', html)
    assert {"vladimir-putin", "russian-mfa", "un-secretary-general", "xi-jinping"} <= set(rows)
    assert "maria-zakharova" not in rows  # she spoke, but nobody expected her
    f.event(slug="unrelated", occurred_at=utc(2025, 5, 1))
    html = client.get(URL, {"tag": "us", "group": "russia-and-allies"}).content.decode()
    assert re.findall(r'class="event-col" data-event="([\w-]+)"', html) == [
        "maduro-capture-2026"]


def test_each_row_counts_its_answers(client, maduro):
    html = client.get(URL, {"group": "russia-and-allies"}).content.decode()
    putin = re.search(r'<tr data-actor="vladimir-putin">(.*?)</tr>', html, re.S).group(1)
    assert '<td class="num rate">1/2</td>' in putin


def test_a_cell_opens_the_statements_behind_it_with_htmx_or_as_a_page(client, maduro):
    html = client.get(URL, {"group": "russia-and-allies"}).content.decode()
    cell_url = reverse("matrix-cell", args=["maduro-capture-2026", "russia"])
    # The cell keeps the grid's choices in its own URL, which htmx pushes: its permalink.
    linked = f"{cell_url}?group=russia-and-allies"
    assert f'href="{linked}" hx-get="{linked}" hx-target="#cell-detail"' in html
    assert 'hx-push-url="true"' in html
    fragment = client.get(cell_url, HTTP_HX_REQUEST="true").content.decode()
    assert fragment.lstrip().startswith('<section id="cell"') and "<html" not in fragment
    text = text_of(fragment)
    assert "Russia on United States captures Nicolás Maduro" in text
    assert ("Responded first at +5.5 h after the event "
            "through Russian Ministry of Foreign Affairs") in text
    # Its ministry's and spokeswoman's words count for Russia; the rejected link does not.
    titles = re.findall(r'<p class="title"><a href="/statements/\d+/">(.*?)</a>', fragment)
    assert titles == ["On the situation around Venezuela",
                      "Statement on the US armed aggression against Venezuela",
                      "Briefing: Zakharova on Venezuela",
                      "On preserving the sovereignty of Venezuela"]
    page = client.get(linked).content.decode()
    assert "<html" in page and "Statement on the US armed aggression" in page
    assert '<table class="matrix">' in page  # opened beside the grid it came from
    putin_url = reverse("matrix-cell", args=["maduro-capture-2026", "vladimir-putin"])
    putin = text_of(client.get(putin_url).content.decode())
    assert "Silent" in putin
    assert "No statement by Vladimir Putin or the people who speak for them" in putin


def test_the_csv_has_one_row_per_actor_and_event_and_says_what_it_is(client, maduro):
    response = client.get(URL, {"group": "russia-and-allies", "format": "csv"})
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    body = response.content.decode()
    header = [line for line in body.splitlines() if line.startswith("#")]
    assert "# group: russia-and-allies" in header
    assert "# events: venezuela-crisis-2019, maduro-capture-2026" in header
    assert any(line.startswith("# generated_at: 20") for line in header)
    rows = list(csv.DictReader(line for line in io.StringIO(body) if not line.startswith("#")))
    assert len(rows) == 4 * 2
    putin = {r["event"]: r for r in rows if r["actor"] == "vladimir-putin"}
    assert putin["venezuela-crisis-2019"]["status"] == "responded"
    assert putin["venezuela-crisis-2019"]["latency_hours"] == "24.5"
    assert putin["venezuela-crisis-2019"]["stance"] == "condemns"
    assert putin["maduro-capture-2026"]["status"] == "silent"
    russia = next(r for r in rows if r["actor"] == "russia" and r["event"] ==
                  "maduro-capture-2026")
    assert russia["through"] == "russian-mfa" and russia["statement_url"].startswith("https://")
    assert russia["source"] == "MFA statements"


def test_the_wide_csv_is_the_grid(client, maduro):
    body = client.get(URL, {"group": "russia-and-allies", "format": "csv",
                            "layout": "wide"}).content.decode()
    rows = list(csv.DictReader(line for line in io.StringIO(body) if not line.startswith("#")))
    putin = next(r for r in rows if r["actor"] == "vladimir-putin")
    assert putin["venezuela-crisis-2019"] == "responded"
    assert putin["maduro-capture-2026"] == "silent"
    assert putin["answered"] == "1" and putin["expected"] == "2"


def test_bad_choices_are_explained_and_a_bad_download_refused(client, maduro):
    response = client.get(URL, {"group": "nope"})
    assert response.status_code == 200
    assert "There is no actor group “nope”." in text_of(response.content.decode())
    assert client.get(URL, {"group": "nope", "format": "csv"}).status_code == 400
    assert client.get(URL, {"format": "xlsx"}).status_code == 400


def test_an_htmx_request_gets_only_the_grid(client, maduro):
    response = client.get(URL, {"tag": "venezuela"}, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert html.lstrip().startswith('<section id="grid"') and "<form" not in html
    assert "HX-Request" in response["Vary"]


def _grid(n_actors, n_events):
    group = ActorGroup.objects.create(slug=f"g-{n_actors}", name=f"G {n_actors}")
    state = f.actor(f"state-{n_actors}", kind=Actor.Kind.STATE)
    members = [f.actor(f"m-{n_actors}-{i}", kind=Actor.Kind.INSTITUTION, parent=state)
               for i in range(n_actors)]
    group.members.set([state, *members])
    tag = Tag.objects.create(slug=f"t-{n_actors}")
    for e in range(n_events):
        t0 = utc(2025, 1, 1) + timedelta(days=10 * e)
        event = f.event(slug=f"e-{n_actors}-{e}", occurred_at=t0, expected=members)
        event.expected_groups.add(group)
        event.tags.add(tag)
        for i, member in enumerate(members):
            feed = f.source(member)
            f.fetched(feed, AFTER, oldest=t0 - timedelta(days=3))
            if (i + e) % 2:
                f.link(event, f.statement(member, t0 + timedelta(hours=i + 1), source=feed),
                       stance="concern", intensity=1)


def test_the_matrix_takes_the_same_queries_for_a_small_or_a_large_grid(
        client, django_assert_max_num_queries):
    _grid(2, 2)
    _grid(8, 6)
    counts = []
    for n in (2, 8):
        for params in ({"group": f"g-{n}"}, {"tag": f"t-{n}"},
                       {"group": f"g-{n}", "format": "csv"}):
            with django_assert_max_num_queries(20) as queries:
                assert client.get(URL, params).status_code == 200
            counts.append(len(queries.captured_queries))
    assert counts[:3] == counts[3:]
