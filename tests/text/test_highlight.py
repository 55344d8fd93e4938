import pytest

from statements.text.highlight import mark_spans

pytestmark = pytest.mark.smoke


def test_matched_words_are_marked_and_everything_else_is_escaped():
    text = "<b>Maduro</b> & Venezuela"
    assert mark_spans(text, [(3, 9), (16, 25)]) == (
        "&lt;b&gt;<mark>Maduro</mark>&lt;/b&gt; &amp; <mark>Venezuela</mark>"
    )


def test_an_excerpt_keeps_only_the_spans_inside_it_with_its_ellipses():
    text = "one Maduro two Maduro three"
    assert mark_spans(text, [(15, 21), (4, 10)], start=11, end=27, before="… ") == (
        "… two <mark>Maduro</mark> three"
    )


def test_overlapping_spans_keep_the_first():
    assert mark_spans("armed aggression", [(0, 16), (6, 16)]) == "<mark>armed aggression</mark>"
