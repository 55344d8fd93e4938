"""Data set files: import by slug, idempotently; reject bad files whole; export the same format."""

import copy
import io
import json
from datetime import UTC, datetime

import pytest
from django.core.management import CommandError, call_command

from actors.models import Actor, ActorGroup, Alias
from statements.curation.datasets import (
    DatasetError,
    export_dataset,
    import_dataset,
    validate_dataset,
)
from statements.models import Event, Source, Tag
from tests import factories as f

pytestmark = pytest.mark.django_db

DATASET = {
    "actors": [
        # Children before their parents on purpose: the file need not be ordered.
        {"slug": "maria-zakharova", "name": "Maria Zakharova", "kind": "person", "country": "RU",
         "parent": "russian-mfa", "speaks_for": ["russian-mfa"],
         "aliases": [{"text": "Zakharova", "lang": "en"}, {"text": "Захарова", "lang": "ru"}]},
        {"slug": "dmitry-peskov", "name": "Dmitry Peskov", "kind": "person", "country": "RU",
         "parent": "kremlin", "speaks_for": ["vladimir-putin"]},
        {"slug": "vladimir-putin", "name": "Vladimir Putin", "kind": "person", "country": "RU",
         "parent": "kremlin", "wikidata_id": "Q7747",
         "aliases": [{"text": "Putin", "lang": "en"}, {"text": "Путин", "lang": "ru"}]},
        {"slug": "russian-mfa", "name": "Ministry of Foreign Affairs of Russia",
         "kind": "institution", "country": "RU", "parent": "russia",
         "aliases": [{"text": "МИД России", "lang": "ru"}]},
        {"slug": "kremlin", "name": "Presidential Executive Office", "kind": "institution",
         "country": "RU", "parent": "russia", "description": "The Kremlin."},
        {"slug": "russia", "name": "Russia", "kind": "state", "country": "RU"},
        {"slug": "european-union", "name": "European Union", "kind": "organization",
         "country": "", "parent": None, "aliases": None, "speaks_for": None},
    ],
    "groups": [
        {"slug": "russian-leadership", "name": "Russian leadership",
         "members": ["vladimir-putin", "dmitry-peskov", "russian-mfa"]},
    ],
    "sources": [
        {"url": "https://mid.example.org/feed.xml", "title": "MID", "actor": "russian-mfa",
         "language": "ru"},
        {"url": "https://eu.example.org/feed.xml", "title": "EU", "actor": "european-union",
         "language": "en", "partial": True},
    ],
    "events": [
        {"slug": "maduro-capture-2026", "title": "US captures Maduro",
         "occurred_at": "2026-01-03T09:00:00+03:00", "window_hours": 72,
         "terms": {"ru": ["Мадуро", "Венесуэла"], "en": ["Maduro", "Venezuela"]},
         "expected": ["russian-leadership", "european-union"], "tags": ["venezuela"]},
        {"slug": "assad-fall-2024", "title": "Fall of Assad",
         "occurred_at": "2024-12-08T03:00:00Z", "description": "Damascus falls."},
    ],
}


def dataset(**changes):
    """A deep copy of DATASET; `changes` replace whole sections."""
    data = copy.deepcopy(DATASET)
    data.update(changes)
    return data


def counts():
    return (Actor.objects.count(), Alias.objects.count(), ActorGroup.objects.count(),
            Source.objects.count(), Event.objects.count(), Tag.objects.count())


def run(*args):
    out = io.StringIO()
    call_command(*args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def write(tmp_path, data, name="data.json"):
    path = tmp_path / name
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return str(path)


@pytest.mark.smoke
def test_it_imports_a_file_and_exports_the_same_records(tmp_path):
    out = run("import_dataset", write(tmp_path, DATASET))
    assert "12 created, 0 updated, 0 unchanged" in out

    putin = Actor.objects.get(slug="vladimir-putin")
    assert (putin.parent.slug, putin.parent.parent.slug) == ("kremlin", "russia")
    assert {a.text for a in putin.aliases.all()} == {"Putin", "Путин"}
    assert [a.slug for a in Actor.objects.get(slug="dmitry-peskov").speaks_for.all()] == [
        "vladimir-putin"]
    assert Source.objects.get(url="https://eu.example.org/feed.xml").is_partial
    event = Event.objects.get(slug="maduro-capture-2026")
    assert event.occurred_at == datetime(2026, 1, 3, 6, tzinfo=UTC)
    assert event.window_hours == 72
    assert Event.objects.get(slug="assad-fall-2024").window_hours == 72  # the default
    assert {g.slug for g in event.expected_groups.all()} == {"russian-leadership"}
    assert {a.slug for a in event.expected_actors.all()} == {"european-union"}

    exported = export_dataset()
    assert [a["slug"] for a in exported["actors"]] == sorted(a["slug"] for a in DATASET["actors"])
    (maduro,) = [e for e in exported["events"] if e["slug"] == "maduro-capture-2026"]
    assert maduro["occurred_at"] == "2026-01-03T06:00:00Z"
    assert maduro["expected"] == ["european-union", "russian-leadership"]


def test_importing_the_same_file_twice_changes_nothing(tmp_path):
    path = write(tmp_path, DATASET)
    run("import_dataset", path)
    event = Event.objects.get(slug="maduro-capture-2026")

    out = run("import_dataset", path)

    assert "Imported" in out and "0 created, 0 updated, 12 unchanged" in out
    assert "actors: 0 created, 0 updated, 7 unchanged" in out
    event.refresh_from_db()
    assert Event.objects.get(slug="maduro-capture-2026").updated_at == event.updated_at


def test_export_import_export_is_identical_and_import_changes_nothing():
    import_dataset(DATASET)
    first = export_dataset()

    report = import_dataset(first)
    assert (report.created, report.updated) == (0, 0)
    assert export_dataset() == first

    # Into an empty database, the export rebuilds the same records.
    Event.objects.all().delete()
    Source.objects.all().delete()
    ActorGroup.objects.all().delete()
    Actor.objects.update(parent=None)
    Actor.objects.all().delete()
    import_dataset(json.loads(json.dumps(first)))
    assert export_dataset() == first


def test_export_command_writes_the_same_text_twice(tmp_path):
    import_dataset(DATASET)
    target = tmp_path / "out.json"

    run("export_dataset", "--output", str(target))
    first = target.read_text(encoding="utf-8")
    assert run("export_dataset") == first
    assert "МИД России" in first  # readable, not \u-escaped
    assert json.loads(first)["sources"][0]["url"] == "https://eu.example.org/feed.xml"


def test_dry_run_reports_and_writes_nothing(tmp_path):
    before = counts()
    out = run("import_dataset", write(tmp_path, DATASET), "--dry-run")

    assert counts() == before
    assert "would create actor vladimir-putin" in out
    assert "Dry run, nothing written: 12 created, 0 updated, 0 unchanged" in out


def test_dry_run_names_the_fields_an_update_would_change(tmp_path):
    import_dataset(DATASET)
    data = dataset()
    data["actors"][2]["name"] = "Vladimir Vladimirovich Putin"
    data["events"][0]["terms"]["en"].append("Caracas")

    out = run("import_dataset", write(tmp_path, data), "--dry-run")

    assert "would update actor vladimir-putin (name)" in out
    assert "would update event maduro-capture-2026 (terms)" in out
    assert "2 updated, 10 unchanged" in out
    assert Actor.objects.get(slug="vladimir-putin").name == "Vladimir Putin"
    assert Event.objects.get(slug="maduro-capture-2026").terms["en"] == ["Maduro", "Venezuela"]


def test_an_updated_record_takes_the_files_values():
    import_dataset(DATASET)
    data = dataset()
    data["actors"][1]["parent"] = "russia"
    data["actors"][1]["speaks_for"] = []
    data["groups"][0]["members"] = ["vladimir-putin"]
    data["sources"][0]["actor"] = None
    data["events"][0].update(window_hours=24, tags=["latin-america"], expected=["vladimir-putin"])

    report = import_dataset(data)

    assert report.summary() == "0 created, 4 updated, 8 unchanged"
    peskov = Actor.objects.get(slug="dmitry-peskov")
    assert peskov.parent.slug == "russia" and not peskov.speaks_for.exists()
    assert [a.slug for a in ActorGroup.objects.get().members.all()] == ["vladimir-putin"]
    assert Source.objects.get(url="https://mid.example.org/feed.xml").actor is None
    event = Event.objects.get(slug="maduro-capture-2026")
    assert event.window_hours == 24
    assert [t.slug for t in event.tags.all()] == ["latin-america"]
    assert not event.expected_groups.exists()
    assert [a.slug for a in event.expected_actors.all()] == ["vladimir-putin"]


def test_the_files_aliases_replace_the_stored_ones():
    import_dataset(DATASET)
    putin = Actor.objects.get(slug="vladimir-putin")
    Alias.objects.create(actor=putin, text="V. Putin", lang="en")  # added by an admin
    data = dataset()
    data["actors"][2]["aliases"] = [
        {"text": "Путин", "lang": "ru"},  # kept
        {"text": "Путина", "lang": "ru"},  # added
        {"text": "putin", "lang": "en"},  # same name, new spelling: replaces "Putin"
    ]

    report = import_dataset(data)

    assert [str(c) for c in report.changes if c.action == "updated"] == [
        "updated actor vladimir-putin (aliases)"]
    assert sorted((a.lang, a.text) for a in putin.aliases.all()) == [
        ("en", "putin"), ("ru", "Путин"), ("ru", "Путина")]
    # Other actors' aliases are untouched.
    assert Alias.objects.filter(actor__slug="maria-zakharova").count() == 2


def test_an_absent_optional_field_resets_the_stored_value():
    # The file is the truth for the records it names.
    import_dataset(DATASET)
    data = dataset()
    del data["actors"][4]["description"]
    del data["actors"][2]["aliases"]

    import_dataset(data)

    assert Actor.objects.get(slug="kremlin").description == ""
    assert not Alias.objects.filter(actor__slug="vladimir-putin").exists()


def test_records_the_file_does_not_name_are_left_alone():
    import_dataset(DATASET)
    report = import_dataset({"actors": [{"slug": "china", "name": "China", "kind": "state",
                                         "country": "CN"}]})
    assert report.summary() == "1 created, 0 updated, 0 unchanged"
    assert Actor.objects.count() == 8 and Event.objects.count() == 2


def test_a_parent_may_already_be_in_the_database():
    import_dataset(DATASET)
    import_dataset({"actors": [{"slug": "sergey-lavrov", "name": "Sergey Lavrov",
                                "kind": "person", "parent": "russian-mfa"}]})
    assert Actor.objects.get(slug="sergey-lavrov").parent.slug == "russian-mfa"


def test_new_and_retimed_events_are_queued_for_rematching(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        report = import_dataset(DATASET)
    assert sorted(report.rematched_events) == ["assad-fall-2024", "maduro-capture-2026"]
    assert len(callbacks) == 2

    data = dataset()
    data["events"][0]["title"] = "Maduro captured"  # no new matches possible
    data["events"][1]["occurred_at"] = "2024-12-08T05:00:00Z"
    with django_capture_on_commit_callbacks() as callbacks:
        report = import_dataset(data)
    assert report.rematched_events == ["assad-fall-2024"]
    assert len(callbacks) == 1

    with django_capture_on_commit_callbacks() as callbacks:
        import_dataset(data, dry_run=True)
        import_dataset(data)
    assert callbacks == []


def test_an_imported_event_is_matched_against_stored_statements(
    django_capture_on_commit_callbacks,
):
    import_dataset({"actors": DATASET["actors"]})
    mfa = Actor.objects.get(slug="russian-mfa")
    said = f.statement(mfa, datetime(2026, 1, 3, 8, 40, tzinfo=UTC),
                       title="Statement on the US actions against Venezuela")
    f.statement(mfa, datetime(2026, 1, 3, 9, 0, tzinfo=UTC), title="Consular hours")

    with django_capture_on_commit_callbacks(execute=True):
        import_dataset(dataset())

    event = Event.objects.get(slug="maduro-capture-2026")
    assert [link.statement for link in event.links.all()] == [said]


def bad(section, index, **fields):
    data = dataset()
    data[section][index].update(fields)
    return data


@pytest.mark.parametrize(("data", "error"), [
    (bad("actors", 1, kind="prezident"),
     'actors[1].kind: "prezident" is not one of person, institution, state, organization'),
    (bad("actors", 1, kind=None), "actors[1].kind: required"),
    (bad("actors", 1, name=""), "actors[1].name: must not be empty"),
    (bad("actors", 1, name=7), "actors[1].name: must be a string, not 7"),
    (bad("actors", 1, slug="Dmitry Peskov"), 'actors[1].slug: "Dmitry Peskov" is not a slug'),
    (bad("actors", 1, country="ru"), 'actors[1].country: "ru" is not an ISO 3166 alpha-2'),
    (bad("actors", 1, country="RUS"), 'actors[1].country: "RUS" is not an ISO 3166 alpha-2'),
    (bad("actors", 1, country="XX"), 'actors[1].country: "XX" is not an ISO 3166 alpha-2'),
    (bad("actors", 2, wikidata_id="7747"), 'actors[2].wikidata_id: "7747" is not a Wikidata id'),
    (bad("actors", 1, parent="russian-mf"), 'actors[1].parent: unknown actor "russian-mf"'),
    (bad("actors", 1, parent="dmitry-peskov"), "actors[1].parent: an actor cannot be its own"),
    (bad("actors", 1, speaks_for=["putin"]), 'actors[1].speaks_for[0]: unknown actor "putin"'),
    (bad("actors", 1, speaks_for=["dmitry-peskov"]),
     "actors[1].speaks_for[0]: an actor cannot speak for itself"),
    (bad("actors", 1, speaks_for="vladimir-putin"), "actors[1].speaks_for: must be a list"),
    (bad("actors", 1, active="yes"), 'actors[1].active: must be true or false, not "yes"'),
    (bad("actors", 1, parnet="kremlin"), "actors[1].parnet: unknown field"),
    (bad("actors", 2, aliases=[{"text": " ", "lang": "en"}]),
     "actors[2].aliases[0].text: must not be empty"),
    (bad("actors", 2, aliases=[{"text": "Putin", "lang": "English"}]),
     'actors[2].aliases[0].lang: "English" is not a language tag'),
    (bad("actors", 2, aliases=["Putin"]), 'actors[2].aliases[0]: must be an object'),
    (bad("actors", 2, aliases=[{"text": "Putin", "lang": "en"}, {"text": "PUTIN", "lang": "en"}]),
     'actors[2].aliases[1].text: "PUTIN" (en) is listed twice'),
    (bad("actors", 1, slug="vladimir-putin"),
     'actors[2].slug: "vladimir-putin" is already used by actors[1]'),
    (bad("groups", 0, slug="kremlin"),
     'groups[0].slug: "kremlin" is already an actor\'s slug'),
    (bad("groups", 0, members=["vladimir-putin", "p5"]),
     'groups[0].members[1]: unknown actor "p5"'),
    (bad("sources", 0, url="ftp://mid.example.org/feed.xml"),
     'sources[0].url: "ftp://mid.example.org/feed.xml" is not an http or https URL'),
    (bad("sources", 0, url=None), "sources[0].url: required"),
    (bad("sources", 1, url="https://mid.example.org/feed.xml"),
     'sources[1].url: "https://mid.example.org/feed.xml" is already used by sources[0]'),
    (bad("sources", 0, actor="mid"), 'sources[0].actor: unknown actor "mid"'),
    (bad("sources", 0, partial="true"), "sources[0].partial: must be true or false"),
    (bad("events", 0, occurred_at="2026-01-03T06:00:00"),
     "events[0].occurred_at: not an ISO 8601 time with a timezone"),
    (bad("events", 0, occurred_at="3 January 2026"),
     "events[0].occurred_at: not an ISO 8601 time with a timezone"),
    (bad("events", 0, occurred_at=None), "events[0].occurred_at: required"),
    (bad("events", 0, window_hours=0), "events[0].window_hours: must be a whole number"),
    (bad("events", 0, window_hours="72"), "events[0].window_hours: must be a whole number"),
    (bad("events", 0, window_hours=7.5), "events[0].window_hours: must be a whole number"),
    (bad("events", 0, terms=["Maduro"]), "events[0].terms: must be an object"),
    (bad("events", 0, terms={"en": "Maduro"}), "events[0].terms.en: must be a list of terms"),
    (bad("events", 0, terms={"en": ["Maduro", ""]}),
     'events[0].terms.en[1]: must be a non-empty string, not ""'),
    (bad("events", 0, terms={"English": ["Maduro"]}),
     'events[0].terms.English: "English" is not a language tag'),
    (bad("events", 0, tags=["Latin America"]), 'events[0].tags[0]: "Latin America" is not a slug'),
    (bad("events", 0, tags=["venezuela", "venezuela"]),
     'events[0].tags[1]: "venezuela" is listed twice'),
    (bad("events", 1, expected=["russia", "p6"]),
     'events[1].expected[1]: unknown actor or group "p6"'),
    (bad("events", 1, slug="maduro-capture-2026"),
     'events[1].slug: "maduro-capture-2026" is already used by events[0]'),
    (dataset(actros=[]),
     "actros: unknown top-level key (expected actors, groups, sources, events)"),
    (dataset(actors={"slug": "russia"}), "actors: must be a list of objects"),
    (dataset(events=["maduro-capture-2026"]), "events[0]: must be an object"),
])
def test_a_bad_field_is_rejected_with_its_path_and_nothing_is_written(data, error):
    before = counts()
    with pytest.raises(DatasetError) as raised:
        import_dataset(data)
    assert any(str(e).startswith(error) for e in raised.value.errors), raised.value.errors
    assert counts() == before


def test_a_parent_cycle_is_rejected():
    data = dataset()
    data["actors"][5]["parent"] = "vladimir-putin"  # russia under putin under kremlin under russia
    with pytest.raises(DatasetError) as raised:
        validate_dataset(data)
    cycle = "russia → vladimir-putin → kremlin → russia"
    assert f"actors[5].parent: cycle in parent chain: {cycle}" in map(str, raised.value.errors)


def test_a_cycle_through_stored_actors_is_rejected():
    import_dataset(DATASET)
    with pytest.raises(DatasetError) as raised:
        validate_dataset({"actors": [{"slug": "russia", "name": "Russia", "kind": "state",
                                      "parent": "kremlin"}]})
    assert str(raised.value) == "actors[0].parent: cycle in parent chain: russia → kremlin → russia"


def test_a_group_slug_taken_by_a_stored_actor_is_rejected():
    import_dataset(DATASET)
    with pytest.raises(DatasetError, match=r"groups\[0\].slug: \"russia\" is already an actor"):
        import_dataset({"groups": [{"slug": "russia", "name": "Russia", "members": []}]})
    with pytest.raises(DatasetError, match=r"actors\[0\].slug: .* already a group's slug"):
        import_dataset({"actors": [{"slug": "russian-leadership", "name": "X", "kind": "state"}]})


def test_every_error_is_reported_at_once_and_nothing_is_written(tmp_path):
    import_dataset(DATASET)
    data = dataset()
    data["actors"][3]["kind"] = "prezident"
    # A record with one bad field still has its references checked.
    data["actors"].append({"slug": "sergey-lavrov", "name": "Sergey Lavrov", "kind": "minister",
                           "parent": "russian-mf"})
    data["events"][1]["expected"] = ["p6"]
    data["events"][0]["title"] = "Changed title"  # valid, but must not be written either
    before = counts()

    with pytest.raises(CommandError) as raised:
        run("import_dataset", write(tmp_path, data))

    message = str(raised.value)
    assert "4 errors; nothing was written" in message
    assert 'actors[3].kind: "prezident" is not one of person, institution, state, organization' in (
        message)
    assert 'actors[7].kind: "minister" is not one of' in message
    assert 'actors[7].parent: unknown actor "russian-mf"' in message
    assert message.index("actors[3]") < message.index("actors[7]") < message.index("events[1]")
    assert 'events[1].expected[0]: unknown actor or group "p6"' in message
    assert counts() == before
    assert Event.objects.get(slug="maduro-capture-2026").title == "US captures Maduro"


def test_a_file_that_is_not_json_is_rejected(tmp_path):
    path = tmp_path / "broken.json"
    path.write_text('{"actors": [', encoding="utf-8")
    with pytest.raises(CommandError, match=r"\(file\): not valid JSON: .* line 1 column 13"):
        run("import_dataset", str(path))
    with pytest.raises(CommandError, match="cannot read"):
        run("import_dataset", str(tmp_path / "missing.json"))


ROLES = [
    {"title": "President of Russia", "institution": "kremlin", "from": "2012-05-07",
     "to": None, "terms": {"en": ["President"], "ru": ["Президент"]}},
    {"title": "Prime Minister of Russia", "institution": None, "from": "2008-05-08",
     "to": "2012-05-07"},
]


def with_roles(roles):
    data = dataset()
    data["actors"][2]["roles"] = roles  # vladimir-putin
    return data


def test_roles_are_imported_with_their_office_words_and_exported_back():
    report = import_dataset(with_roles(ROLES))
    putin = Actor.objects.get(slug="vladimir-putin")
    president = putin.roles.get(title="President of Russia")
    assert president.institution.slug == "kremlin" and president.ended_on is None
    assert president.terms == {"en": ["President"], "ru": ["Президент"]}
    assert str(putin.roles.get(title__startswith="Prime").started_on) == "2008-05-08"
    assert report.created == 7 + 1 + 2 + 2
    # Twice is the same: nothing changes, nothing is rewritten.
    assert import_dataset(with_roles(ROLES)).changed is False
    (exported,) = [a for a in export_dataset()["actors"] if a["slug"] == "vladimir-putin"]
    assert [r["title"] for r in exported["roles"]] == ["Prime Minister of Russia",
                                                       "President of Russia"]
    assert exported["roles"][1] == {**ROLES[0], "terms": {"en": ["President"],
                                                          "ru": ["Президент"]}}
    assert import_dataset(export_dataset()).changed is False


def test_a_file_without_roles_leaves_the_stored_roles_but_an_empty_list_clears_them():
    import_dataset(with_roles(ROLES))
    import_dataset(dataset())  # written before roles were part of the format
    assert Actor.objects.get(slug="vladimir-putin").roles.count() == 2
    report = import_dataset(with_roles([]))
    assert "updated actor vladimir-putin (roles)" in [str(c) for c in report.changes]
    assert Actor.objects.get(slug="vladimir-putin").roles.count() == 0


@pytest.mark.parametrize(("roles", "error"), [
    ([{"title": "President", "institution": "kreml"}],
     'actors[2].roles[0].institution: unknown actor "kreml"'),
    ([{"title": "President", "from": "7 May 2012"}],
     'actors[2].roles[0].from: "7 May 2012" is not a date (YYYY-MM-DD)'),
    ([{"title": "President", "from": "2012-05-07", "to": "2008-05-08"}],
     "actors[2].roles[0].to: 2008-05-08 is before the role's start, 2012-05-07"),
    ([{"title": ""}], "actors[2].roles[0].title: must not be empty"),
    ([{"title": "President", "terms": {"en": "President"}}],
     "actors[2].roles[0].terms.en: must be a list of terms"),
    ([{"title": "President", "since": "2012"}], "actors[2].roles[0].since: unknown field"),
    (["President"], "actors[2].roles[0]: must be an object"),
])
def test_a_bad_role_is_rejected_with_its_path(roles, error):
    before = counts()
    with pytest.raises(DatasetError) as raised:
        import_dataset(with_roles(roles))
    assert any(str(e).startswith(error) for e in raised.value.errors), raised.value.errors
    assert counts() == before
