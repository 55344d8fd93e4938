"""Exports as plain tables, with what produced them beside them in a data package."""

from __future__ import annotations

import csv
import io
import json
import zipfile

import pytest
from frictionless import Package

import statements.tasks  # noqa: F401  (registers the tasks load_sample queues, eagerly run)
from tests.scenarios import load_sample_on_a_free_port

pytestmark = pytest.mark.django_db

URL = "/events/maduro-capture-2026/"


@pytest.fixture
def sample(settings):
    load_sample_on_a_free_port(settings)


def test_the_csv_is_a_plain_table_with_its_header_first(client, sample):
    body = client.get(URL + "timeline.csv").content.decode()
    assert body.splitlines()[0].startswith("statement_id,published_at,offset_hours")
    rows = list(csv.DictReader(io.StringIO(body)))
    assert rows and not any(line.startswith("#") for line in body.splitlines())
    # The words as written, not the stems they were matched by.
    terms = {t for row in rows for t in row["matched_terms"].split("; ")}
    assert "Венесуэлы" in terms and not any(t.endswith("…") for t in terms)


def test_the_spreadsheet_variant_is_utf8_with_a_bom(client, sample):
    raw = client.get(URL + "responders.csv", {"bom": "on"}).content
    assert raw.startswith("\ufeff".encode())
    assert raw.decode("utf-8-sig").splitlines()[0].startswith("actor,actor_name,kind")
    assert not client.get(URL + "responders.csv").content.startswith("\ufeff".encode())


def test_the_data_package_says_what_made_it_and_frictionless_finds_it_valid(
        client, sample, tmp_path):
    response = client.get(URL + "timeline.zip", {"stance": "condemns"})
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
        assert sorted(archive.namelist()) == ["datapackage.json", "responders.csv",
                                              "statements.csv"]
        archive.extractall(tmp_path)
    descriptor = json.loads((tmp_path / "datapackage.json").read_text())
    assert descriptor["query"]["event"] == "maduro-capture-2026"
    assert descriptor["query"]["filters"] == "stance=condemns"
    assert descriptor["created"].endswith("Z") and descriptor["version"]
    assert descriptor["homepage"].endswith(URL + "?stance=condemns")
    # The CSVs in the zip are the downloads themselves.
    plain = client.get(URL + "timeline.csv", {"stance": "condemns"}).content.decode()
    assert (tmp_path / "statements.csv").read_text() == plain

    report = Package(str(tmp_path / "datapackage.json")).validate()
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])
