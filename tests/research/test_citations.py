"""Cite this: Chicago and APA through citeproc-py, BibTeX and CSL-JSON from one item."""

import json
from datetime import UTC, datetime

import pytest

from statements.research.citations import Citable, cite

ACCESSED = datetime(2026, 12, 1, 9, tzinfo=UTC)


@pytest.fixture
def statement_item():
    return Citable(key="statement-7", title="Statement on the events in Venezuela",
                   author="Ministry of Foreign Affairs of Russia",
                   issued=datetime(2026, 1, 3, 8, 30, tzinfo=UTC),
                   permalink="https://tracker.example/statements/7/", accessed=ACCESSED,
                   original_url="https://mid.example/1")


@pytest.mark.smoke
def test_apa_and_chicago_name_the_speaker_the_date_and_the_permalink(statement_item):
    cited = cite(statement_item)
    assert cited.apa.startswith("Ministry of Foreign Affairs of Russia. (2026, January 3).")
    assert cited.apa.endswith("https://tracker.example/statements/7/")
    assert cited.chicago.startswith("Ministry of Foreign Affairs of Russia. 2026.")
    assert "“Statement on the Events in Venezuela”" in cited.chicago  # Chicago's title case


@pytest.mark.smoke
def test_bibtex_and_csl_json_say_the_same(statement_item):
    cited = cite(statement_item)
    assert cited.bibtex.startswith("@misc{statement-7,")
    assert "author = {{Ministry of Foreign Affairs of Russia}}" in cited.bibtex
    assert "urldate = {2026-12-01}" in cited.bibtex and "month = jan" in cited.bibtex
    (item,) = json.loads(cited.csl_json)
    assert item["URL"] == "https://tracker.example/statements/7/"
    assert item["accessed"] == {"date-parts": [[2026, 12, 1]]}
    assert item["note"] == "Original: https://mid.example/1"


@pytest.mark.smoke
def test_bibtex_escapes_what_latex_would_read(statement_item):
    statement_item.title = "50% of #sanctions & {more}"
    assert "title = {{50\\% of \\#sanctions \\& \\{more\\}}}" in cite(statement_item).bibtex


@pytest.mark.smoke
def test_a_russian_title_keeps_its_own_capitalisation(statement_item):
    statement_item.title = "Заявление МИД России в связи с действиями США"
    statement_item.language = "ru"
    cited = cite(statement_item)
    assert "“Заявление МИД России в связи с действиями США”" in cited.chicago
    assert json.loads(cited.csl_json)[0]["language"] == "ru"
