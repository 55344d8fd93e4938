"""The tone of a statement: side, intensity and the words that gave it away."""

import pytest

from statements.models import Stance
from statements.text.stance import score

pytestmark = pytest.mark.smoke

# The Russian Foreign Ministry on 3 January 2026, as quoted in the founding article.
MFA_ON_MADURO = (
    "This morning, the United States committed an act of armed aggression against Venezuela. "
    "This is deeply concerning and condemnable."
)
VITRIOLIC = (
    "Destructive external interference is a gross violation of the fundamental norms of "
    "international law. This outrageous and criminal aggression exposes the hypocrisy of those "
    "who lecture the world."
)


def test_mfa_statement_on_maduro_is_a_subdued_condemnation():
    result = score(MFA_ON_MADURO)
    assert result.stance == Stance.CONDEMNS
    assert result.intensity in (1, 2)
    assert result.cues == ("act of armed aggression", "deeply concerning", "condemnable")


def test_piled_up_accusations_are_vitriolic():
    result = score(VITRIOLIC)
    assert (result.stance, result.intensity) == (Stance.CONDEMNS, 3)
    assert {"gross violation", "outrageous", "criminal", "aggression", "hypocrisy"} <= set(
        result.cues
    )


def test_vitriol_outscores_the_subdued_statement():
    assert score(VITRIOLIC).intensity > score(MFA_ON_MADURO).intensity


def test_text_without_cues_is_neutral():
    result = score("The President held talks with the Prime Minister of India in Moscow.")
    assert (result.stance, result.intensity, result.cues) == (Stance.NEUTRAL, 0, ())


def test_empty_text_is_neutral():
    assert score("").stance == Stance.NEUTRAL


@pytest.mark.parametrize(
    "text",
    [
        "Мы осуждаем удары по Каракасу.",
        "Такие действия заслуживают осуждения.",
        "Россия осудила удары по Каракасу.",
        "The Ministry condemned the strikes on Caracas.",
        "The strikes on Caracas are condemnable.",
    ],
)
def test_inflected_condemnation_counts(text):
    assert score(text).stance == Stance.CONDEMNS


def test_russian_condemnation_reads_like_the_english_one():
    result = score(
        "Решительно осуждаем агрессию США против Венесуэлы. "
        "Это грубое нарушение международного права."
    )
    assert (result.stance, result.intensity) == (Stance.CONDEMNS, 3)
    assert result.cues == (
        "Решительно осуждаем",
        "агрессию",
        "грубое нарушение международного права",
    )


@pytest.mark.parametrize(
    "text",
    [
        "We call on all sides to show restraint and return to dialogue.",
        "Призываем стороны к сдержанности и диалогу.",
        "Выражаем глубокую обеспокоенность развитием ситуации.",
    ],
)
def test_calls_for_restraint_are_concern(text):
    assert score(text).stance == Stance.CONCERN


@pytest.mark.parametrize(
    "text",
    [
        "We welcome the agreement and express our solidarity with the people of Cuba.",
        "Приветствуем договоренность и поддерживаем усилия посредников.",
    ],
)
def test_welcome_and_solidarity_are_support(text):
    assert score(text).stance == Stance.SUPPORTS


@pytest.mark.parametrize(
    "text, cue",
    [
        ("We do not support the unilateral sanctions.", "not support"),
        ("We don't support the unilateral sanctions.", "don't support"),
        ("Мы не поддерживаем односторонние санкции.", "не поддерживаем"),
    ],
)
def test_negated_support_is_disapproval_not_support(text, cue):
    result = score(text)
    assert result.stance == Stance.CONCERN
    assert result.cues == (cue,)


def test_negated_accusation_does_not_count():
    result = score(
        "Russia called for Venezuela's sovereignty to be preserved without any destructive "
        "interference from the outside."
    )
    assert result.stance == Stance.CONCERN
    assert "destructive interference" not in result.cues


def test_emphasis_raises_intensity_and_shows_in_the_cue():
    plain, emphatic = score("We condemn the strikes."), score("We strongly condemn the strikes.")
    assert emphatic.intensity > plain.intensity
    assert emphatic.cues == ("strongly condemn",)


def test_cues_are_listed_once_in_order_of_appearance():
    result = score("Unacceptable. We condemn this. It is unacceptable; we condemn it again.")
    assert result.cues == ("Unacceptable", "condemn")


def test_longest_cue_counts_alone():
    # "act of armed aggression" is one cue, not also "armed aggression" and "aggression".
    assert score("an act of armed aggression").cues == ("act of armed aggression",)


def test_two_lexicon_entries_on_the_same_words_count_once():
    # "глубокую обеспокоенность" is both "глубокая обеспокоенность" and
    # "глубоко обеспокоен…": counted twice it would outweigh the condemnation.
    result = score(
        "Сегодня утром США совершили акт вооружённой агрессии против Венесуэлы. "
        "Эти действия вызывают глубокую обеспокоенность и осуждение."
    )
    assert (result.stance, result.intensity) == (Stance.CONDEMNS, 2)
    assert result.cues == ("акт вооружённой агрессии", "глубокую обеспокоенность", "осуждение")
