"""Aboutness and per-event stance (issue 10, section 3): each mistake fixed has its test."""

import pytest

from statements.text.stance import Stance, score

pytestmark = pytest.mark.smoke


@pytest.mark.parametrize(
    ("text", "stance"),
    [
        ("A statement concerning the situation in the region", Stance.NEUTRAL),
        ("The developments are deeply concerning", Stance.CONCERN),
        ("The construction of the new embassy is under way", Stance.NEUTRAL),
        ("We had a constructive exchange", Stance.SUPPORTS),
        ("The treaty of non-aggression was signed in 1939", Stance.NEUTRAL),
        ("Договор о ненападении", Stance.NEUTRAL),
        ("The Ministry did not condemn the vote", Stance.NEUTRAL),
        ("Мы не осуждаем это решение", Stance.NEUTRAL),
        ("Мы осуждаем это решение", Stance.CONDEMNS),
    ],
)
def test_lexicon_confusions(text, stance):
    assert score(text).stance == stance, score(text)


# Mistakes the evaluation set (make eval) found, each fixed and kept fixed here.


@pytest.mark.parametrize(
    ("text", "language", "stance"),
    [
        ("La France condamne les frappes, contraires au droit international.", "fr",
         Stance.CONDEMNS),
        ("El Gobierno expresa su profunda preocupación y hace un llamamiento al diálogo.", "es",
         Stance.CONCERN),
        ("中方对局势深表关切，呼吁各方保持克制。", "zh", Stance.CONCERN),
        ("中方强烈谴责恐怖袭击。", "zh", Stance.CONDEMNS),
        ("تعرب مصر عن قلقها البالغ وتدعو إلى ضبط النفس", "ar", Stance.CONCERN),
        ("ترحب مصر بالاتفاق وتدعم جهود الوساطة", "ar", Stance.SUPPORTS),
    ],
)
def test_the_lexicon_reads_the_un_languages(text, language, stance):
    assert score(text, language).stance == stance


def test_a_briefing_section_heading_makes_its_topic_relevant():
    from statements.text.aboutness import relevance, sentence_of
    from statements.text.terms import TermIndex, tokenize

    title = "Briefing by the spokeswoman"
    text = (f"{title}\nOn the talks in Chisinau. We take note of the talks in Chisinau.\n\n"
            "On cultural events. An exhibition opened.")
    tokens = tokenize(text, "en")
    index = TermIndex([(0, ["Chisinau"])])
    spans = [(m.first_token, m.end_token) for m in index.scan(tokens, text)]
    found = relevance(tokens=tokens, text=text, title_end=len(title), spans=spans,
                      sentences=sentence_of(tokens, text), has_cue_in_passage=False,
                      most_frequent=True)
    assert found.evidence["section"] and found.score >= 0.5


def test_a_chinese_cue_of_two_words_is_read_whole():
    # jieba is taught the lexicon's phrases before it cuts the first Chinese text.
    result = score("中方强烈谴责恐怖袭击。", "zh")
    assert (result.stance, result.cues) == (Stance.CONDEMNS, ("强烈谴责",))
