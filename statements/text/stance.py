"""The tone of a statement: a transparent lexicon scorer for English and Russian.

Every cue is a word or phrase with a side (condemns, concern, supports) and a
weight: 1 mild ("violation", "dialogue"), 2 clear ("condemn", "aggression",
"welcome"), 3 vitriolic ("gross violation", "outrageous", "criminal",
"hypocrisy"). Cues are matched like event terms (statements.textmatch), so
"condemned", "condemnation" and "condemnable" all count as "condemn", and
"осуждаем", "осуждения", "осудил" as "осужд…"/"осуд…". Where cues overlap the
longest counts alone: "act of armed aggression" once, not also "aggression".

- Negation: a negator right before a cue ("not", "no", "never", "without",
  "не", "ни", "без"; one filler such as "any" or "можем" may stand between)
  cancels it: "without any destructive interference" is no accusation. A
  negated support cue ("do not support", "не поддерживаем") counts instead as
  concern of weight 1: disapproval, short of condemnation.
- Emphasis: "strongly", "firmly", "resolutely", "решительно", "категорически"
  within two words before a cue add 1 to its weight.

The side with the largest sum wins (on a tie: condemns, then concern, then
supports); its sum gives the intensity:

    sum 0     → neutral, intensity 0
    sum 1–2   → 1  (a passing word)
    sum 3–5   → 2  (a clear position, plainly put)
    sum 6+    → 3  (piled up, vitriolic)

So the Russian MFA's "This morning, the United States committed an act of
armed aggression against Venezuela. This is deeply concerning and
condemnable." is condemns with intensity 2 (2 + 2), the "subdued
condemnation" of the press, while Putin's 2019 register — "gross violation",
"outrageous", "criminal", "aggression", "hypocrisy" — sums far past 6.

The whole text is scored, so a long briefing on many topics carries the tone
of all of them; the cues are kept so that a reader can check.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import NamedTuple

from statements.text.terms import TermIndex, TermMatch, Token, longest_first, stems_of, tokenize


class Stance(StrEnum):
    """The sides of the lexicon; the same values as statements.models.Stance, which stores them."""

    CONDEMNS = "condemns"
    CONCERN = "concern"
    SUPPORTS = "supports"
    NEUTRAL = "neutral"


class _Cue(NamedTuple):
    side: Stance
    weight: int


# fmt: off
_LEXICON: dict[Stance, dict[int, tuple[str, ...]]] = {
    Stance.CONDEMNS: {
        3: (
            "gross violation", "gross violation of international law", "flagrant violation",
            "blatant violation", "outrageous", "criminal", "hypocrisy", "hypocritical",
            "barbaric", "barbarity", "piracy", "banditry", "lawlessness", "cynical",
            "neocolonial", "neo-colonial",
            "грубое нарушение", "грубое нарушение международного права", "вопиющ…",
            "возмутительн…", "преступн…", "преступление", "лицемери…", "лицемерн…",
            "варварск…", "пиратств…", "бандитизм", "беззакони…", "циничн…",
            "неоколониальн…",
        ),
        2: (
            "condemn", "crime", "denounce", "deplore", "deplorable", "aggression", "aggressor",
            "act of aggression", "act of armed aggression", "armed aggression", "unacceptable",
            "violation of international law", "violation of the UN Charter", "illegal",
            "illegitimate", "unlawful", "provocation", "provocative", "reckless", "invasion",
            "destructive interference", "interference in internal affairs",
            "осужд…", "осуд…", "агрессия", "агрессор", "акт агрессии", "вооруженная агрессия",
            "акт вооруженной агрессии", "недопустим…", "нарушение международного права",
            "нарушение Устава ООН", "незаконн…", "нелегитимн…", "провокаци…", "безрассудн…",
            "вторжение", "деструктивное вмешательство", "вмешательство во внутренние дела",
        ),
        1: (
            "violation", "interference", "destructive", "intervention", "meddling",
            "нарушение", "вмешательство", "деструктивн…", "интервенци…",
        ),
    },
    Stance.CONCERN: {
        2: (
            "deeply concerned", "deeply concerning", "grave concern", "serious concern",
            "alarm", "alarmed", "alarming",
            "глубокая обеспокоенность", "глубоко обеспокоен…", "серьезная обеспокоенность",
            "тревог…", "тревожн…",
        ),
        1: (
            "concern", "concerned", "restraint", "dialogue", "de-escalation", "deescalation",
            "peaceful settlement", "political settlement", "diplomatic solution", "urge",
            "call on", "calls on", "called on", "call for", "calls for", "called for", "regret",
            "обеспокоенность", "обеспокоен…", "сдержанност…", "диалог", "деэскалаци…",
            "призыва…", "призвал…", "мирное урегулирование", "политическое урегулирование",
            "дипломатическое решение", "сожалени…", "сожалеем",
        ),
    },
    Stance.SUPPORTS: {
        2: (
            "support", "welcome", "solidarity", "stand with", "commend", "congratulate",
            "endorse",
            "поддерж…", "приветству…", "солидарн…", "одобря…", "поздравля…",
        ),
        # "constructiv…" as a prefix: the stemmer reads "construction" as "constructive".
        1: ("appreciate", "positive", "constructiv…", "высоко оцениваем", "позитивн…",
            "конструктивн…"),
    },
}
# fmt: on

# The other UN languages and Spanish/French: (language, phrase), stemmed as that language.
# fmt: off
_LEXICON_MORE: dict[Stance, dict[int, tuple[tuple[str, str], ...]]] = {
    Stance.CONDEMNS: {
        3: (("fr", "barbare"), ("es", "bárbaro"), ("zh", "强烈谴责"), ("ar", "تدين بشدة")),
        2: (("fr", "condamn…"), ("fr", "agression"), ("fr", "contraire au droit international"),
            ("fr", "contraires au droit international"), ("fr", "inacceptable"),
            ("es", "conden…"), ("es", "agresión"), ("es", "inaceptable"),
            ("zh", "谴责"), ("zh", "侵略"), ("ar", "تدين"), ("ar", "إدانة"), ("ar", "عدوان")),
        1: (("fr", "violation"), ("es", "violación"), ("zh", "反对"), ("ar", "انتهاك")),
    },
    Stance.CONCERN: {
        2: (("fr", "vive préoccupation"), ("fr", "profonde préoccupation"),
            ("es", "profunda preocupación"), ("zh", "深表关切"), ("zh", "严重关切"),
            ("ar", "قلقها البالغ"), ("ar", "قلق بالغ")),
        1: (("fr", "préoccupation"), ("fr", "retenue"), ("fr", "appelle à"),
            ("es", "preocupación"), ("es", "moderación"), ("es", "diálogo"),
            ("es", "llamamiento"), ("zh", "关切"), ("zh", "克制"), ("zh", "对话"),
            ("zh", "呼吁"), ("ar", "قلق"), ("ar", "ضبط النفس"), ("ar", "الحوار"), ("ar", "تدعو")),
    },
    Stance.SUPPORTS: {
        2: (("fr", "salue"), ("fr", "soutien"), ("fr", "soutient"), ("es", "apoy…"),
            ("es", "celebra"), ("es", "acoge con satisfacción"), ("zh", "欢迎"), ("zh", "支持"),
            ("ar", "ترحب"), ("ar", "تدعم"), ("ar", "ترحيب")),
        1: (("fr", "constructif…"), ("es", "constructiv…"), ("zh", "积极"),),
    },
}
# fmt: on

_INDEX: TermIndex[_Cue] = TermIndex(
    [
        *((_Cue(side, weight), phrases)
          for side, by_weight in _LEXICON.items()
          for weight, phrases in by_weight.items()),
        *((_Cue(side, weight), phrases)
          for side, by_weight in _LEXICON_MORE.items()
          for weight, phrases in by_weight.items()),
    ]
)

_NEGATORS = stems_of(
    ["not", "no", "never", "cannot", "neither", "nor", "without", "не", "ни", "нет", "без",
     # "non-aggression", "ненападения" are no accusation.
     "non", "ne", "jamais", "sans", "nunca", "sin"]
)
# Words that may stand between a negator and its cue: "without any …", "не можем поддержать".
_NEGATION_FILLERS = stems_of(
    ["any", "a", "an", "the", "be", "been", "fully", "можем", "может", "будем", "станем"]
)
_INTENSIFIERS = stems_of(
    ["strongly", "firmly", "resolutely", "vehemently", "categorically", "unequivocally",
     "решительно", "категорически", "решительным", "резко"]
)  # fmt: skip
_EMPHASIS_REACH = 2

# Ties go to the graver side.
_SIDE_ORDER = (Stance.CONDEMNS, Stance.CONCERN, Stance.SUPPORTS)
# (lowest sum, intensity), highest first.
_INTENSITY_THRESHOLDS = ((6, 3), (3, 2), (1, 1))


@dataclass(frozen=True, slots=True)
class StanceResult:
    stance: Stance
    intensity: int
    # The words that gave the stance away, as written, in order, once each.
    cues: tuple[str, ...]


NEUTRAL = StanceResult(Stance.NEUTRAL, 0, ())


def score(text: str, language: str = "") -> StanceResult:
    """The stance, intensity (0–3) and cues of `text` (see the module docstring)."""
    return score_tokens(tokenize(text, language), text)


def cue_matches(tokens: Sequence[Token], text: str) -> list[TermMatch[_Cue]]:
    """The lexicon's cues in a tokenised text, one per run of words."""
    return [
        m for m in _one_per_span(longest_first(_INDEX.scan(tokens, text)))
        if not _is_preposition(tokens, m)
    ]


def score_tokens(
    tokens: Sequence[Token],
    text: str,
    within: set[int] | None = None,
    cues_found: list[TermMatch[_Cue]] | None = None,
) -> StanceResult:
    """`score` over tokens already made; with `within`, only the cues starting at
    those token positions count (the passage about one event)."""
    matches = cue_matches(tokens, text) if cues_found is None else cues_found
    if within is not None:
        matches = [m for m in matches if m.first_token in within]
    sums = dict.fromkeys(_SIDE_ORDER, 0)
    # Lowercased cue → the cue as first written.
    cues: dict[str, str] = {}
    previous_cue_end = 0
    for match in matches:
        side, weight = match.key
        # An emphasis word belongs to the first cue after it only.
        reach_from, previous_cue_end = previous_cue_end, match.end_token
        cue_start = match.start
        negator = _negator_before(tokens, match.first_token)
        emphasis = _emphasis_before(tokens, match.first_token, not_before=reach_from)
        if negator is not None:
            if side != Stance.SUPPORTS:
                continue
            side, weight, cue_start = Stance.CONCERN, 1, negator.start
        elif emphasis is not None:
            weight, cue_start = weight + 1, emphasis.start
        sums[side] += weight
        cue = text[cue_start : match.end]
        cues.setdefault(cue.lower(), cue)

    winner = max(_SIDE_ORDER, key=lambda side: (sums[side], -_SIDE_ORDER.index(side)))
    total = sums[winner]
    if total == 0:
        return NEUTRAL
    intensity = next(level for lowest, level in _INTENSITY_THRESHOLDS if total >= lowest)
    return StanceResult(winner, intensity, tuple(cues.values()))


def _one_per_span(matches: list[TermMatch[_Cue]]) -> list[TermMatch[_Cue]]:
    """One cue per run of words: two lexicon entries on the same words
    ("глубокую обеспокоенность" is both "глубокая обеспокоенность" and
    "глубоко обеспокоен…") count once, as the heavier, graver of them."""
    best: dict[tuple[int, int], TermMatch[_Cue]] = {}
    for match in matches:
        span = (match.first_token, match.end_token)
        side, weight = match.key
        current = best.get(span)
        if current is None or (weight, -_SIDE_ORDER.index(side)) > (
            current.key[1], -_SIDE_ORDER.index(current.key[0])
        ):
            best[span] = match
    return sorted(best.values(), key=lambda m: m.first_token)


# "concerning" is a cue only as an adjective ("deeply concerning", "is concerning"),
# not as the preposition of "a statement concerning the situation".
_CONCERNING_ADJECTIVE_AFTER = stems_of(
    ["deeply", "very", "most", "extremely", "highly", "particularly", "is", "are", "was",
     "were", "be", "been", "remains", "find", "finds"]
)  # fmt: skip


def _is_preposition(tokens: Sequence[Token], match: TermMatch[_Cue]) -> bool:
    if match.length != 1 or tokens[match.first_token].norm != "concerning":
        return False
    before = match.first_token - 1
    return before < 0 or tokens[before].keys[0] not in _CONCERNING_ADJECTIVE_AFTER


def _negator_before(tokens: Sequence[Token], first: int) -> Token | None:
    """A negator right before word `first`, or with one filler between."""
    for position in (first - 1, first - 2):
        if position < 0:
            return None
        if _NEGATORS.intersection(tokens[position].keys):
            return tokens[position]
        if _NEGATION_FILLERS.isdisjoint(tokens[position].keys):
            return None
    return None


def _emphasis_before(tokens: Sequence[Token], first: int, *, not_before: int) -> Token | None:
    for position in range(first - 1, max(not_before, first - _EMPHASIS_REACH) - 1, -1):
        if _INTENSIFIERS.intersection(tokens[position].keys):
            return tokens[position]
    return None
