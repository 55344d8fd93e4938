"""Search on the embedded default: on SQLite there is no full text, and the word-stem
fallback must still find inflected words, names in both languages, and export them.

Marked `smoke`, so it runs in the quick SQLite run; in the full run it passes on
PostgreSQL's full text too (the same behaviour, reached another way).
"""

import csv
import io

import pytest
from django.db import connection

from actors.models import Actor, Alias
from statements.models import Statement
from tests import factories as f
from tests.factories import utc

pytestmark = [pytest.mark.smoke, pytest.mark.django_db]


@pytest.fixture
def statements():
    mfa = f.actor("russian-mfa", name="Russian Foreign Ministry", kind=Actor.Kind.INSTITUTION)
    maduro = f.actor("nicolas-maduro", name="Nicolás Maduro")
    Alias.objects.create(actor=maduro, text="Maduro", lang="en")
    Alias.objects.create(actor=maduro, text="Мадуро", lang="ru")
    made = {}
    for key, title, text, language, day in [
        ("ru", "Заявление МИД России", "Новые санкции против Каракаса. Задержание Мадуро "
         "недопустимо.", "ru", 3),
        ("en", "Statement on Venezuela", "The capture of Maduro is an act of aggression.",
         "en", 4),
        ("other", "Meeting on economic issues", "Growth and budgets.", "en", 5),
    ]:
        made[key] = Statement.objects.create(
            actor=mfa, attribution="feed_default", entry_id=key, title=title, body_text=text,
            language=language, published_at=utc(2026, 1, day, 12), content_hash=key * 10,
            url=f"https://news.example/{key}")
    return made


def hits(client, **params):
    html = client.get("/statements/", params).content.decode()
    return html


def test_the_search_page_finds_inflected_words_and_names_in_both_languages(client, statements):
    html = hits(client, q="санкций")
    assert f'data-statement="{statements["ru"].pk}"' in html
    assert f'data-statement="{statements["other"].pk}"' not in html
    html = hits(client, q="Maduro")
    assert f'data-statement="{statements["ru"].pk}"' in html
    assert f'data-statement="{statements["en"].pk}"' in html
    assert "2 statements" in html
    assert ("Matched by word forms" in html) == (connection.vendor != "postgresql")
    assert "PostgreSQL" not in html  # no developer wording on a reader's page


def test_filters_and_the_csv_export_work_on_the_default_database(client, statements):
    html = hits(client, q="Maduro", language="en")
    assert f'data-statement="{statements["en"].pk}"' in html
    assert f'data-statement="{statements["ru"].pk}"' not in html
    response = client.get("/statements/", {"q": "Maduro", "format": "csv"})
    body = b"".join(response.streaming_content).decode()
    assert "# query: q=Maduro" in body
    rows = list(csv.DictReader(line for line in io.StringIO(body) if not line.startswith("#")))
    assert {int(r["statement_id"]) for r in rows} == {statements["ru"].pk, statements["en"].pk}
