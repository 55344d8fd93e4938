"""Tokenising and term matching: inflection, prefixes, phrases, many keys in one pass."""

import pytest

from statements.text.terms import TermIndex, longest_first, tokenize

pytestmark = pytest.mark.smoke


def stems(text: str) -> list[str]:
    return [token.stem for token in tokenize(text)]


@pytest.mark.parametrize(
    "forms",
    [
        ["Мадуро", "Мадуро"],
        ["Венесуэла", "Венесуэлы", "Венесуэлу", "Венесуэле", "Венесуэлой"],
        ["санкции", "санкций", "санкциями"],
        ["агрессия", "агрессии", "агрессию"],
        ["осуждение", "осуждения", "осуждением"],
        ["condemn", "condemns", "condemned", "condemnation"],
    ],
)
def test_inflected_forms_share_a_stem(forms):
    assert len({stem for form in forms for stem in stems(form)}) == 1


@pytest.mark.parametrize(
    "forms",
    [
        ["Лавров", "Лаврова", "Лаврову", "Лавровым", "Лаврове"],
        ["Захарова", "Захаровой", "Захаровою"],
        ["Путин", "Путина", "Путину", "Путиным", "Путине"],
        ["Песков", "Пескова", "Песковым"],
        ["Медведев", "Медведева", "Медведевым"],
    ],
)
def test_inflected_surname_forms_meet(forms):
    [first, *others] = [set(tokenize(form)[0].keys) for form in forms]
    assert all(first & other for other in others)


def test_initials_are_split_from_the_surname():
    assert [t.surface for t in tokenize("М.В.Захаровой")] == ["М", "В", "Захаровой"]


def test_token_spans_point_into_the_text():
    text = "Заявление МИД России, 3 января"
    assert all(text[t.start : t.end] == t.surface for t in tokenize(text))


def test_possessive_is_one_word_marked_possessive():
    [lavrov, remarks] = tokenize("Lavrov’s remarks")
    assert (lavrov.surface, lavrov.possessive, remarks.possessive) == ("Lavrov", True, False)
    assert lavrov.stem == tokenize("Lavrov")[0].stem


def test_contracted_negation_reads_as_not():
    assert stems("We don't support it") == stems("We not support it")


def test_yo_and_ye_are_the_same_letter():
    assert stems("Горбачёв") == stems("Горбачев")


def test_latin_diacritics_are_ignored():
    assert stems("Nicolás Maduro") == stems("Nicolas Maduro")


def test_cyrillic_short_i_keeps_its_breve():
    # "й" decomposes to "и" + breve; stripping Latin accents must not touch it.
    assert tokenize("Шойгу")[0].norm == "шойгу"


def test_inflected_term_matches():
    index = TermIndex([("ven", ["Венесуэла"])])
    assert index.find("Заявление в связи с событиями в Венесуэле") == {"ven": ["Венесуэле"]}


def test_inflected_surname_matches_alias():
    index = TermIndex([("lavrov", ["Лавров"]), ("zakharova", ["Захарова"])])
    found = index.find("Брифинг М.В.Захаровой; выступление С.В.Лаврова; встреча с Лавровым")
    assert found == {"zakharova": ["Захаровой"], "lavrov": ["Лаврова", "Лавровым"]}


def test_english_demonym_matches_its_country():
    index = TermIndex([("ven", ["Venezuela"]), ("iran", ["Iran"]), ("israel", ["Israel"])])
    found = index.find("Venezuelan, Iranian and Israeli officials; Venezuelans")
    assert found == {
        "ven": ["Venezuelan", "Venezuelans"],
        "iran": ["Iranian"],
        "israel": ["Israeli"],
    }


def test_country_does_not_match_a_demonym_term():
    assert TermIndex([("ven", ["Venezuelan"])]).find("Venezuela") == {}


def test_prefix_term_matches_any_continuation():
    index = TermIndex([("ven", ["Венесуэл…"]), ("iran", ["Iran*"]), ("syr", ["Syri..."])])
    found = index.find("венесуэльский кризис, Венесуэла, Iranians, Iraq, Syrian")
    assert found == {
        "ven": ["венесуэльский", "Венесуэла"],
        "iran": ["Iranians"],
        "syr": ["Syrian"],
    }


def test_prefix_shorter_than_three_letters_is_an_ordinary_word():
    index = TermIndex([("un", ["UN*"])])
    assert index.find("UN Security Council, unacceptable") == {"un": ["UN"]}


def test_phrase_needs_its_words_in_a_row():
    index = TermIndex([("gv", ["gross violation"])])
    assert index.find("a gross violation") == {"gv": ["gross violation"]}
    assert index.find("gross and violation; violation gross") == {}


def test_phrase_matches_across_inflection_and_punctuation():
    index = TermIndex([("mfa", ["МИД России"])])
    assert index.find("Заявление МИДа России; МИД  России") == {
        "mfa": ["МИДа России", "МИД  России"]
    }


def test_find_reports_each_surface_once_in_order_of_appearance():
    index = TermIndex([("ven", ["Venezuela", "Maduro"])])
    assert index.find("Maduro of Venezuela; Venezuela; Maduro") == {"ven": ["Maduro", "Venezuela"]}


def test_one_scan_finds_every_key():
    index = TermIndex((f"event-{n}", [f"Term{n}"]) for n in range(2_000))
    index.add("ven", "Venezuela")
    found = index.find("Term7 and Term1999 in Venezuela, not Term2000")
    assert found == {"event-7": ["Term7"], "event-1999": ["Term1999"], "ven": ["Venezuela"]}


def test_matches_give_the_term_as_indexed_and_the_words_as_written():
    [match] = TermIndex([(1, ["Венесуэла"])]).matches("о Венесуэле")
    assert (match.term, match.surface, match.start, match.end) == ("Венесуэла", "Венесуэле", 2, 11)


def test_longest_first_keeps_one_match_per_word():
    index = TermIndex(
        [
            ("act", ["act of armed aggression"]),
            ("armed", ["armed aggression"]),
            ("a", ["aggression"]),
        ]
    )
    kept = longest_first(index.matches("an act of armed aggression and aggression"))
    assert [(m.key, m.surface) for m in kept] == [
        ("act", "act of armed aggression"),
        ("a", "aggression"),
    ]


def test_longest_first_keeps_every_key_of_the_same_words():
    index = TermIndex([("mfa", ["Foreign Ministry"]), ("other-mfa", ["Foreign Ministry"])])
    kept = longest_first(index.matches("Foreign Ministry"))
    assert sorted(m.key for m in kept) == ["mfa", "other-mfa"]


def test_phrase_without_words_is_not_indexed():
    index = TermIndex([("empty", ["", "…", "--"])])
    assert not index
    assert index.find("anything at all") == {}
