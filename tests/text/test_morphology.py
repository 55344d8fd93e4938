"""Dictionary morphology and the analyser chosen by language (issue 10, section 1)."""

import pytest

from statements.text.terms import (
    TermIndex,
    detect_language,
    search_query_keys,
    search_vector_literal,
    tokenize,
)

pytestmark = pytest.mark.smoke


@pytest.mark.parametrize(
    ("term", "text"),
    [
        ("Тегеран", "Удары по Тегерану и ситуация в Тегеране"),
        ("Судан", "Положение в Судане"),
        ("Кишинёв", "Переговоры в Кишинёве"),
        ("Кишинев", "Переговоры в Кишинёве"),
        ("Лавров", "Телеграмма Лаврову"),
        ("Лаврову", "Лавров сказал"),
    ],
)
def test_base_form_terms_match_their_inflections(term, text):
    assert TermIndex([("k", [term])]).find(text), (term, text)


def test_an_ambiguous_form_keeps_every_reading():
    # «песков» is the surname and the genitive plural of «песок».
    keys = set(tokenize("песков")[0].keys)
    assert {"песков", "песок"} <= keys


def test_a_capitalised_name_keeps_its_proper_reading():
    assert tokenize("Лавров")[0].keys == ("лавров",)
    assert TermIndex([("peskov", ["Песков"])]).find("горы песка") == {}


def test_out_of_dictionary_surname_meets_its_inflections():
    index = TermIndex([("r", ["Рябков"])])
    assert index.find("встреча с Рябковым; слова Рябкова") == {"r": ["Рябковым", "Рябкова"]}


def test_french_is_stemmed_as_french():
    index = TermIndex([("s", [("fr", "sanctions économiques")])])
    assert index.find("de nouvelles sanctions économique", "fr")
    # The English stemmer would leave "economiqu".
    assert tokenize("économiques", "fr")[0].keys[0] == "econom"


def test_english_term_meets_a_spanish_text():
    assert TermIndex([("s", ["sanctions"])]).find("Las sanctions", "es")


def test_spanish_inflections_meet():
    index = TermIndex([("c", [("es", "condena")])])
    assert index.find("España condenó y condenamos", "es")


def test_chinese_is_segmented_by_jieba():
    index = TermIndex([("v", ["委内瑞拉"])])
    assert index.find("中方对委内瑞拉局势表示关切") == {"v": ["委内瑞拉"]}
    assert index.find("拉委内") == {}


def test_arabic_by_the_snowball_arabic_stemmer():
    index = TermIndex([("v", ["فنزويلا"])])
    assert index.find("الوضع في فنزويلا") == {"v": ["فنزويلا"]}


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("Заявление Министерства иностранных дел Российской Федерации", "ru"),
        ("Statement by the Ministry of Foreign Affairs on the situation", "en"),
        ("Déclaration du ministère des Affaires étrangères sur la situation", "fr"),
        ("Declaración del Ministerio de Relaciones Exteriores sobre la situación", "es"),
        ("بيان وزارة الخارجية بشأن الوضع في المنطقة", "ar"),
        ("外交部发言人就委内瑞拉局势答记者问", "zh"),
        ("ok", ""),
    ],
)
def test_language_is_detected_offline(text, language):
    assert detect_language(text) == language


def test_search_vector_indexes_every_reading_with_weights():
    vector = search_vector_literal("Тегеран заявил", "Лаврову")
    assert "'тегеран':1A" in vector
    assert "'лавров':3B" in vector
    # The query «в Тегеране» asks for keys the vector holds.
    assert all(any(f"'{k}':" in vector for k in keys) for keys in search_query_keys("Тегеране"))


def test_search_vector_quotes_lexemes():
    assert "'o''brien'" not in search_vector_literal("x", "O'Brien")  # split at the apostrophe
    assert search_vector_literal("", "") == ""


def test_a_word_too_long_for_postgresql_is_left_out_of_the_vector():
    vector = search_vector_literal("Заявление", "x" * 5000 + " Тегеран")
    assert "xxxx" not in vector and "'тегеран'" in vector
