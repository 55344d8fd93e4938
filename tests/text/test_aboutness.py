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
