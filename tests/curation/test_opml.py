"""OPML: sources out and in, default actors from the file, bad files rejected whole."""

from __future__ import annotations

import io

import pytest
from django.urls import reverse

from actors.models import Actor
from statements.curation.opml import OpmlError, export_opml, import_opml, parse_opml
from statements.models import Source
from tests import factories as f
from tests.scenarios import login

pytestmark = pytest.mark.django_db

READER_OPML = """<?xml version="1.0" encoding="UTF-8"?>
<opml version="1.0">
  <head><title>My feeds</title></head>
  <body>
    <outline text="Russian MFA">
      <outline text="MID news" type="rss" xmlUrl="https://mid.example.org/rss"
               htmlUrl="https://mid.example.org/"/>
      <outline text="Zakharova" type="rss" xmlUrl="https://mid.example.org/zakharova.rss"
               category="/maria-zakharova"/>
    </outline>
    <outline text="Kremlin (en)" type="rss" xmlUrl="https://kremlin.example.org/en.rss"
             language="en" category="/news,/Vladimir Putin"/>
    <outline text="Somewhere" type="rss" xmlUrl="https://else.example.org/feed" category="/news"/>
  </body>
</opml>
"""


def actors():
    return {
        "mfa": f.actor("russian-mfa", kind=Actor.Kind.INSTITUTION, name="Russian MFA"),
        "zakharova": f.actor("maria-zakharova", name="Maria Zakharova"),
        "putin": f.actor("vladimir-putin", name="Vladimir Putin"),
    }


def sources():
    return {s.url: (s.title, s.actor.slug if s.actor_id else None, s.language, s.is_partial,
                    s.is_active) for s in Source.objects.select_related("actor")}


def test_it_reads_a_feed_readers_file_with_actors_from_folders_and_categories():
    actors()

    report = import_opml(parse_opml(READER_OPML.encode()))

    assert report.applied and report.summary() == "4 created, 0 updated, 0 unchanged, 0 rejected"
    assert sources() == {
        "https://mid.example.org/rss": ("MID news", "russian-mfa", "", False, True),
        "https://mid.example.org/zakharova.rss": ("Zakharova", "maria-zakharova", "", False,
                                                  True),
        "https://kremlin.example.org/en.rss": ("Kremlin (en)", "vladimir-putin", "en", False,
                                               True),
        "https://else.example.org/feed": ("Somewhere", None, "", False, True),
    }
    somewhere = next(r for r in report.rows if r.url == "https://else.example.org/feed")
    assert somewhere.notes == ["category /news names no known actor"]
    assert [r.line for r in report.rows] == [6, 8, 11, 13]  # where each tag starts


def test_export_then_import_changes_nothing_and_exports_the_same_file():
    w = actors()
    f.source(w["mfa"], url="https://mid.example.org/rss", title="MID & co <news>",
             language="ru", site_url="https://mid.example.org/")
    f.source(None, url="https://eu.example.org/feed", title="", is_partial=True, is_active=False)
    first = export_opml()
    before = sources()

    report = import_opml(parse_opml(first.encode()))

    assert report.summary() == "0 to create, 0 to update, 2 unchanged, 0 rejected"
    assert not report.applied and sources() == before
    assert export_opml() == first
    assert 'tracker:actor="russian-mfa"' in first and 'tracker:partial="true"' in first


def test_an_exported_file_recreates_the_sources_elsewhere():
    w = actors()
    f.source(w["putin"], url="https://kremlin.example.org/en.rss", title="Kremlin", language="en")
    f.source(None, url="https://eu.example.org/feed", title="EU", is_partial=True)
    text, before = export_opml(), sources()
    Source.objects.all().delete()

    import_opml(parse_opml(text.encode()))

    assert sources() == before


def test_the_explicit_actor_attribute_updates_an_existing_source():
    w = actors()
    f.source(w["mfa"], url="https://mid.example.org/rss", title="MID")
    text = READER_OPML.replace('text="MID news" type="rss"',
                               'text="MID news" type="rss" xmlns:t="urn:statement-tracker:opml" '
                               't:actor="vladimir-putin"')

    report = import_opml(parse_opml(text.encode()), dry_run=True)

    row = report.rows[0]
    assert (row.action, row.changes, row.actor) == ("updated", ["title", "actor"],
                                                    "vladimir-putin")
    assert Source.objects.get().actor == w["mfa"]  # a dry run


@pytest.mark.parametrize("change, line, message", [
    ('xmlUrl="https://mid.example.org/rss"', 6, "url: "),
    ('language="en"', 11, "language: "),
])
def test_a_bad_outline_is_reported_by_line_and_nothing_is_written(change, line, message):
    actors()
    bad = {'xmlUrl="https://mid.example.org/rss"': 'xmlUrl="ftp://mid.example.org/rss"',
           'language="en"': 'language="English"'}[change]

    report = import_opml(parse_opml(READER_OPML.replace(change, bad).encode()))

    assert not report.applied and not Source.objects.exists()
    rejected = [r for r in report.rows if r.action == "rejected"]
    assert [r.line for r in rejected] == [line]
    assert rejected[0].errors[0].startswith(message)


def test_an_unknown_explicit_actor_and_a_repeated_url_are_rejected():
    actors()
    text = READER_OPML.replace(
        '<outline text="Somewhere" type="rss" xmlUrl="https://else.example.org/feed"',
        '<outline xmlns:tracker="urn:statement-tracker:opml" tracker:actor="nobody" text="S" '
        'type="rss" xmlUrl="https://mid.example.org/rss"')

    report = import_opml(parse_opml(text.encode()))

    assert report.rows[-1].errors == ["tracker:actor: unknown actor 'nobody'",
                                      "url: already on line 6"]
    assert not Source.objects.exists()


@pytest.mark.parametrize("content, message", [
    ("<opml><body><outline xmlUrl='x'></body></opml>", "line 1, column"),
    ("<rss version='2.0'><channel/></rss>", "the document is <rss>, not <opml>"),
    ("<opml version='2.0'><head/></opml>", "no <body>"),
    ("<opml version='2.0'><body><outline text='folder'/></body></opml>", "no feeds"),
    ('<?xml version="1.0"?>\n<!DOCTYPE opml [<!ENTITY a "aaaa">]>\n<opml><body/></opml>',
     "line 2: DTDs and entity declarations are not accepted"),
    ("not xml at all", "not well-formed XML"),
])
def test_a_malformed_file_is_refused_with_a_clear_message(content, message):
    with pytest.raises(OpmlError) as error:
        parse_opml(content.encode())
    assert message in str(error.value)


# --- the pages ------------------------------------------------------------------------------


def post_file(client, text):
    file = io.BytesIO(text.encode())
    file.name = "feeds.opml"
    return client.post(reverse("source-opml-import"), {"file": file})


def test_an_admin_previews_an_opml_file_then_applies_it(client):
    actors()
    login(client, "Admin")

    preview = post_file(client, READER_OPML)

    assert preview.status_code == 200 and not Source.objects.exists()
    assert "Dry run: nothing written yet" in preview.content.decode()
    assert "would be created" in preview.content.decode()

    applied = client.post(reverse("source-opml-import"), {"token": preview.context["token"]})

    assert applied.status_code == 302 and applied["Location"] == reverse("source-list")
    assert Source.objects.count() == 4


def test_the_import_page_explains_a_malformed_file(client):
    login(client, "Admin")
    page = post_file(client, "<opml><body>")
    assert "not well-formed XML" in page.content.decode() and not Source.objects.exists()


@pytest.mark.parametrize("role", ["Researcher", "Editor"])
def test_only_admins_import_opml(client, role):
    login(client, role)
    assert post_file(client, READER_OPML).status_code == 403
    assert client.get(reverse("source-opml-import")).status_code == 403
    assert not Source.objects.exists()


def test_anonymous_visitors_are_sent_to_log_in(client):
    response = client.get(reverse("source-opml-import"))
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    assert post_file(client, READER_OPML).status_code == 403
    assert not Source.objects.exists()


def test_the_export_is_a_download_for_readers(client):
    w = actors()
    f.source(w["mfa"], url="https://mid.example.org/rss", title="MID")
    login(client, "Researcher")

    response = client.get(reverse("source-opml-export"))

    assert response["Content-Type"] == "text/x-opml; charset=utf-8"
    assert response.content.decode() == export_opml()
