"""Actor lists in CSV and JSON: dry run, import, export, and files rejected whole by line."""

from __future__ import annotations

import io
import json

import pytest
from django.contrib.auth.models import Group, User
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from actors.models import Actor, ActorGroup, Alias
from statements.curation.actor_lists import (
    ActorFileError,
    export_actors,
    export_csv,
    export_json,
    import_actors,
    parse_csv,
    parse_json,
    read_actor_file,
)
from tests import factories as f

pytestmark = pytest.mark.django_db

CSV = """slug,name,kind,country,parent,aliases,wikidata_id,groups
russia,Russia,state,RU,,Россия|ru,Q159,p5
russian-mfa,Russian MFA,institution,RU,russia,МИД России|ru; Russian Foreign Ministry|en,,
maria-zakharova,Maria Zakharova,person,RU,russian-mfa,Zakharova|en; Захарова|ru,,russia-and-allies
vladimir-putin,Vladimir Putin,person,RU,russia,"Putin|en; Путин|ru",Q7747,p5; russia-and-allies
united-nations,United Nations,organization,,,UN|en; ООН|ru,Q1065,
"""


def load(text: str, name: str = "actors.csv", **kwargs):
    records = read_actor_file(name=name, content=text.encode("utf-8"))
    return import_actors(records, **kwargs)


def state() -> dict:
    """Every stored fact an actor list can touch, comparable across imports."""
    return {
        a.slug: (a.name, a.kind, a.country, a.parent.slug if a.parent_id else None,
                 a.wikidata_id, a.description, a.is_active,
                 sorted((x.text, x.lang) for x in a.aliases.all()),
                 sorted(g.slug for g in a.groups.all()),
                 sorted(s.slug for s in a.speaks_for.all()))
        for a in Actor.objects.select_related("parent").prefetch_related(
            "aliases", "groups", "speaks_for")
    }


def test_it_imports_a_csv_with_parents_aliases_and_groups_in_any_order():
    report = load(CSV)

    assert report.applied and (report.created, report.updated, report.rejected) == (5, 0, 0)
    assert report.new_groups == ["p5", "russia-and-allies"]
    putin = Actor.objects.get(slug="vladimir-putin")
    assert putin.parent.slug == "russia" and putin.wikidata_id == "Q7747"
    assert sorted((a.text, a.lang) for a in putin.aliases.all()) == [("Putin", "en"),
                                                                      ("Путин", "ru")]
    assert sorted(g.slug for g in putin.groups.all()) == ["p5", "russia-and-allies"]
    assert ActorGroup.objects.get(slug="russia-and-allies").name == "Russia and allies"
    assert Actor.objects.get(slug="maria-zakharova").parent.slug == "russian-mfa"
    assert Actor.objects.get(slug="united-nations").country == ""


def test_new_actors_get_a_history_record_with_the_file_name():
    load(CSV, file_name="actors.csv")

    record = Actor.history.get(slug="vladimir-putin")
    assert record.history_type == "+"
    assert record.history_change_reason == "Actor list import (actors.csv)"
    assert record.parent_id == Actor.objects.get(slug="russia").pk  # created under its parent


def test_a_dry_run_reports_exactly_what_the_import_then_does():
    load(CSV)
    edited = CSV.replace("Maria Zakharova,person", "Maria V. Zakharova,person").replace(
        "Q1065,", "Q1065,p5") + "european-union,European Union,organization,,,EU|en,Q458,\n"
    before = state()

    dry = load(edited, dry_run=True)

    assert state() == before  # a dry run writes nothing
    assert not dry.applied
    assert {r.slug: (r.action, r.changes) for r in dry.rows} == {
        "russia": ("unchanged", []),
        "russian-mfa": ("unchanged", []),
        "maria-zakharova": ("updated", ["name"]),
        "vladimir-putin": ("unchanged", []),
        "united-nations": ("updated", ["groups"]),
        "european-union": ("created", []),
    }
    real = load(edited)
    assert [(r.slug, r.action, r.changes) for r in real.rows] == \
        [(r.slug, r.action, r.changes) for r in dry.rows]
    assert Actor.objects.get(slug="maria-zakharova").name == "Maria V. Zakharova"
    assert "united-nations" in {a.slug for a in ActorGroup.objects.get(slug="p5").members.all()}


def test_export_then_import_changes_nothing_and_exports_the_same_file():
    load(CSV)
    f.actor("peskov", name="Dmitry Peskov", description="Kremlin spokesman", is_active=False)
    Alias.objects.create(actor=Actor.objects.get(slug="peskov"), text="Pes;kov|x\\y", lang="")
    first_csv, first_json = export_csv(), export_json()
    before = state()

    for text, name in ((first_csv, "a.csv"), (first_json, "a.json")):
        report = load(text, name=name)
        assert (report.created, report.updated, report.rejected) == (0, 0, 0), report.summary()
        assert not report.applied
    assert state() == before
    assert export_csv() == first_csv and export_json() == first_json


def test_fields_an_actor_list_does_not_carry_are_left_alone():
    load(CSV)
    putin = Actor.objects.get(slug="vladimir-putin")
    putin.description, putin.is_active = "President", False
    putin.save()
    putin.speaks_for.set([Actor.objects.get(slug="russia")])

    report = load("slug,name,kind\nvladimir-putin,Vladimir V. Putin,person\n")

    assert [(r.action, r.changes) for r in report.rows] == [("updated", ["name"])]
    putin.refresh_from_db()
    assert (putin.name, putin.description, putin.is_active, putin.wikidata_id) == \
        ("Vladimir V. Putin", "President", False, "Q7747")
    assert putin.aliases.count() == 2 and putin.groups.count() == 2
    assert list(putin.speaks_for.values_list("slug", flat=True)) == ["russia"]


def test_aliases_and_groups_become_the_files_lists():
    load(CSV)

    load(CSV.replace('"Putin|en; Путин|ru",Q7747,p5; russia-and-allies',
                     '"putin|en; В. В. Путин|ru",Q7747,p5'))

    putin = Actor.objects.get(slug="vladimir-putin")
    assert sorted((a.text, a.lang) for a in putin.aliases.all()) == [("putin", "en"),
                                                                      ("В. В. Путин", "ru")]
    assert [g.slug for g in putin.groups.all()] == ["p5"]


def test_json_records_follow_the_same_rules():
    text = json.dumps({"actors": [
        {"slug": "russia", "name": "Russia", "kind": "state", "country": "RU"},
        {"slug": "vladimir-putin", "name": "Vladimir Putin", "kind": "person",
         "parent": "russia", "aliases": [{"text": "Putin", "lang": "en"}], "groups": ["p5"]},
    ]}, ensure_ascii=False, indent=2)

    report = load(text, name="list.json")

    assert (report.created, report.rejected) == (2, 0)
    assert Actor.objects.get(slug="vladimir-putin").parent.slug == "russia"


@pytest.mark.parametrize("bad_line, message", [
    ("vladimir-putin,Vladimir Putin,persn,RU,,,,", 'kind: "persn" is not one of person'),
    ("vladimir-putin,Vladimir Putin,person,Russia,,,,", 'country: "Russia" is not an ISO 3166'),
    ("vladimir putin,Vladimir Putin,person,RU,,,,", 'slug: "vladimir putin" is not a slug'),
    ("vladimir-putin,,person,RU,,,,", "name: must not be empty"),
    ("vladimir-putin,Vladimir Putin,person,RU,kremlin,,,", "parent: unknown actor 'kremlin'"),
    ("vladimir-putin,Vladimir Putin,person,RU,,Putin|english,,", "is not a language tag"),
    ("vladimir-putin,Vladimir Putin,person,RU,,,Q-1,", "is not a Wikidata id"),
    ("vladimir-putin,Vladimir Putin,person,RU,,Putin|en; putin|en,,", "is listed twice"),
    ("vladimir-putin,Vladimir Putin,person,RU,,,,russia", "groups: 'russia' is an actor's slug"),
    ("vladimir-putin,Vladimir Putin,person,RU", "has 4 cells, the header has 8"),
    ("russia,Russia again,state,RU,,,,", "slug: 'russia' is already on line 2"),
])
def test_a_bad_record_is_reported_by_line_and_nothing_of_the_file_is_written(bad_line, message):
    text = ("slug,name,kind,country,parent,aliases,wikidata_id,groups\n"
            "russia,Russia,state,RU,,,,p5\n"
            "united-nations,United Nations,organization,,,,,\n"
            f"{bad_line}\n")

    report = load(text)

    assert not report.applied and not report.is_valid
    rejected = [r for r in report.rows if r.action == "rejected"]
    assert [r.line for r in rejected] == [4]
    assert message in "; ".join(rejected[0].errors)
    assert not Actor.objects.exists() and not ActorGroup.objects.exists()


def test_every_problem_of_a_file_is_reported_at_once_with_its_line():
    text = ("slug,name,kind,country,parent\n"
            "a,A,state,XX,\n"
            "\n"
            '"b","B\nwith a line break",person,RU,b\n'
            "c,C,person,RU,a\n")

    report = load(text)

    # Line 6 is fine on its own (its parent is in the file), but the file is not applied.
    assert [(r.line, r.action) for r in report.rows] == [(2, "rejected"), (4, "rejected"),
                                                        (6, "created")]
    assert "country" in report.rows[0].errors[0]
    assert "an actor cannot be its own parent" in report.rows[1].errors[0]
    assert not report.applied and not Actor.objects.exists()


def test_a_parent_cycle_is_rejected():
    load("slug,name,kind,parent\na,A,institution,\nb,B,institution,a\n")

    report = load("slug,name,kind,parent\na,A,institution,b\n")

    assert report.rows[0].action == "rejected"
    assert "cycle in parent chain: a → b → a" in report.rows[0].errors[0]
    assert Actor.objects.get(slug="a").parent is None


def test_a_json_record_is_reported_by_the_line_it_starts_on():
    text = ('{\n  "actors": [\n    {"slug": "a", "name": "A", "kind": "state"},\n'
            '    {\n      "slug": "b",\n      "name": "B",\n      "kind": "planet"\n    },\n'
            '    "not an object"\n  ]\n}\n')

    report = load(text, name="x.json")

    assert [(r.line, r.action) for r in report.rows] == [(3, "created"), (4, "rejected"),
                                                        (9, "rejected")]
    assert 'kind: "planet" is not one of' in report.rows[1].errors[0]
    assert not Actor.objects.exists()


@pytest.mark.parametrize("name, content, message", [
    ("a.csv", "slug,nmae,kind\n", "line 1: unknown column 'nmae'"),
    ("a.csv", "slug,name\n", "line 1: missing required column kind"),
    ("a.csv", "", "the file is empty"),
    ("a.json", '{"actors": [}', "line 1: not valid JSON"),
    ("a.json", '[{"slug": "a"}]', 'an actor list in JSON is an object {"actors": [...]}'),
    ("a.xlsx", "x", "unknown format"),
])
def test_a_file_that_cannot_be_read_is_refused_whole(name, content, message):
    with pytest.raises(ActorFileError) as error:
        read_actor_file(name=name, content=content.encode())
    assert message in str(error.value)


def test_a_file_that_is_not_utf8_is_refused_with_its_line():
    with pytest.raises(ActorFileError, match="line 2: the file is not UTF-8"):
        read_actor_file(name="a.csv", content="slug,name,kind\nrussia,Росс".encode("cp1251"))


def test_spreadsheet_csv_with_semicolons_and_a_bom_is_read():
    records = parse_csv("\ufeffslug;name;kind;aliases\nrussia;Russia;state;\"Россия|ru\"\n")
    assert records[0].record == {"slug": "russia", "name": "Russia", "kind": "state",
                                 "aliases": [{"text": "Россия", "lang": "ru"}]}


def test_parse_json_keeps_each_records_line():
    records = parse_json('{"actors": [\n{"slug": "a"},\n\n{"slug": "b"}]}')
    assert [r.line for r in records] == [2, 4]


def test_importing_many_actors_takes_a_constant_number_of_queries():
    def actor_list(prefix, count):
        rows = ["slug,name,kind,country,parent,aliases,groups", f"{prefix},Root,state,RU,,,"]
        rows += [f"{prefix}-{n},Actor {n},person,RU,{prefix},Name {n}|en; Имя {n}|ru,g{n % 3}"
                 for n in range(count)]
        return "\n".join(rows) + "\n"

    def queries(text):
        with CaptureQueriesContext(connection) as captured:
            report = load(text)
        assert report.is_valid
        return len(captured), report

    small, _ = queries(actor_list("small", 20))
    large, report = queries(actor_list("large", 250))

    assert report.created == 251
    assert large <= small, (small, large)
    again, report = queries(actor_list("large", 250))
    assert (report.created, report.updated, report.unchanged) == (0, 0, 251)
    assert again < large


# --- the commands -------------------------------------------------------------------------


def run(*args) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def test_import_actors_command_dry_run_then_apply(tmp_path):
    path = tmp_path / "actors.csv"
    path.write_text(CSV, encoding="utf-8")

    out = run("import_actors", str(path), "--dry-run")
    assert "line 5: vladimir-putin would be created" in out
    assert "Dry run, nothing written: 5 created, 0 updated, 0 unchanged, 0 rejected" in out
    assert not Actor.objects.exists()

    out = run("import_actors", str(path))
    assert "Imported" in out and Actor.objects.count() == 5


def test_import_actors_command_reports_rejected_lines_and_fails(tmp_path):
    path = tmp_path / "actors.csv"
    path.write_text(CSV.replace("vladimir-putin,Vladimir Putin,person",
                                "vladimir-putin,Vladimir Putin,persn"), encoding="utf-8")
    out = io.StringIO()

    with pytest.raises(CommandError, match="1 record rejected; nothing was written"):
        call_command("import_actors", str(path), stdout=out)

    assert 'line 5: vladimir-putin rejected: kind: "persn" is not one of' in out.getvalue()
    assert not Actor.objects.exists()


def test_import_actors_command_refuses_an_unreadable_file(tmp_path):
    path = tmp_path / "actors.csv"
    path.write_text("name,kind\n", encoding="utf-8")
    with pytest.raises(CommandError, match="missing required column slug"):
        run("import_actors", str(path))


def test_export_actors_command_writes_csv_or_json(tmp_path):
    load(CSV)
    assert run("export_actors") == export_actors("csv")
    data = json.loads(run("export_actors", "--format", "json"))
    putin = next(r for r in data["actors"] if r["slug"] == "vladimir-putin")
    assert putin == {"slug": "vladimir-putin", "name": "Vladimir Putin", "kind": "person",
                     "country": "RU", "parent": "russia",
                     "aliases": [{"text": "Putin", "lang": "en"}, {"text": "Путин", "lang": "ru"}],
                     "wikidata_id": "Q7747", "groups": ["p5", "russia-and-allies"]}
    assert run("export_actors").splitlines()[-1] == (
        "vladimir-putin,Vladimir Putin,person,RU,russia,Putin|en; Путин|ru,Q7747,"
        "p5; russia-and-allies")


# --- the admin pages ------------------------------------------------------------------------


def admin_user(role="Admin", **fields):
    user = User.objects.create_user(role.lower(), password="pw", is_staff=True, **fields)
    user.groups.add(Group.objects.get(name=role))
    return user


def upload(client, text, name="actors.csv"):
    file = io.BytesIO(text.encode("utf-8"))
    file.name = name
    return client.post(reverse("admin:actors_actor_import"), {"file": file})


def test_an_admin_uploads_sees_the_dry_run_and_applies_it(client):
    client.force_login(admin_user())

    page = upload(client, CSV)

    assert page.status_code == 200 and not Actor.objects.exists()
    body = page.content.decode()
    assert "Dry run of actors.csv" in body and "<strong>5</strong> to create" in body
    token = page.context["token"]
    assert token

    applied = client.post(reverse("admin:actors_actor_import"), {"token": token})

    assert applied.status_code == 302 and Actor.objects.count() == 5
    # The staged file is used once: applying it again is refused, not repeated.
    again = client.post(reverse("admin:actors_actor_import"), {"token": token})
    assert "expired" in again.content.decode()


def test_the_admin_page_shows_rejected_lines_and_offers_no_apply(client):
    client.force_login(admin_user())

    page = upload(client, CSV.replace("RU,russia,МИД", "RU,nowhere,МИД"))

    body = page.content.decode()
    assert "is rejected: nothing will be written" in body
    assert "parent: unknown actor &#x27;nowhere&#x27;" in body
    assert not page.context["token"] and 'name="token"' not in body


def test_the_admin_page_reports_an_unreadable_file(client):
    client.force_login(admin_user())
    page = upload(client, "slug,nmae,kind\n")
    assert "unknown column" in page.content.decode() and not Actor.objects.exists()


def test_export_from_the_admin_is_the_commands_export(client):
    load(CSV)
    client.force_login(admin_user())
    response = client.get(reverse("admin:actors_actor_export") + "?format=csv")
    assert response["Content-Disposition"] == 'attachment; filename="actors.csv"'
    assert response.content.decode() == export_actors("csv")


@pytest.mark.parametrize("role", ["Editor", "Researcher"])
def test_only_admins_may_import_actors(client, role):
    client.force_login(admin_user(role))

    page = upload(client, CSV)

    assert page.status_code == 403 and not Actor.objects.exists()


def test_an_anonymous_visitor_is_sent_to_the_admin_login(client):
    response = upload(client, CSV)
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
    assert not Actor.objects.exists()
