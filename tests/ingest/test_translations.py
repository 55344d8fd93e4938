"""Translations are one statement: paired at ingest, counted once (issue 10)."""

from datetime import timedelta

import pytest

from statements.ingest.linking import link_statements
from statements.ingest.translations import pair_translations, url_key
from statements.models import EventLink
from tests import factories as f
from tests.factories import utc

pytestmark = pytest.mark.django_db
T0 = utc(2026, 1, 3, 6)


def version(by, at, url, language, title, text=""):
    statement = f.statement(by, at, title=title, text=text)
    statement.url, statement.language = url, language
    statement.save()
    return statement


def test_language_folders_are_taken_out_of_the_url():
    ru, en = "https://mid.example/ru/news/2002/", "https://mid.example/en/news/2002/"
    assert url_key(ru) == url_key(en)
    assert url_key("https://ru.site.example/a/1") == url_key("https://en.site.example/a/1")
    assert url_key(ru) != url_key("https://mid.example/ru/news/2003/")


def test_the_two_language_versions_are_paired_and_counted_once():
    mfa = f.actor("russian-mfa")
    event = f.event("venezuela", occurred_at=T0, window_hours=72,
                    terms={"en": ["Venezuela"], "ru": ["Венесуэла"]})
    ru = version(mfa, T0 + timedelta(hours=2), "https://mid.example/ru/news/2002/", "ru",
                 "Заявление МИД России в связи с событиями в Венесуэле",
                 "Осуждаем акт агрессии против Венесуэлы.")
    assert pair_translations([ru]) == 0
    en = version(mfa, T0 + timedelta(hours=3), "https://mid.example/en/news/2002/", "en",
                 "Foreign Ministry statement on the events in Venezuela",
                 "We condemn the act of aggression against Venezuela.")
    assert pair_translations([en]) == 1
    en.refresh_from_db()
    assert en.translation_of == ru and list(ru.translations.all()) == [en]
    link_statements([ru, en])
    assert EventLink.objects.filter(event=event).count() == 2
    assert list(EventLink.objects.counting().values_list("statement_id", flat=True)) == [ru.pk]


def test_another_actor_or_the_same_language_is_no_translation():
    mfa, other = f.actor("russian-mfa"), f.actor("other-mfa")
    ru = version(mfa, T0, "https://mid.example/ru/news/2002/", "ru", "Заявление")
    same_language = version(mfa, T0, "https://mid.example/ru/news/2002/?print=1", "ru", "Текст")
    elsewhere = version(other, T0, "https://other.example/en/news/2002/", "en", "Statement")
    assert pair_translations([ru, same_language, elsewhere]) == 0
