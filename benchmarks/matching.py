"""Event term matching: TermIndex.find over a 2,000-word statement, for 10 to 1,000 events.

Pure Python, no database. Each event has six terms like real ones (a place,
a person's full name, a two-word phrase, a prefix term, two Russian words),
and the text is a mixed English/Russian press release. `find` tokenises the
text and scans it once for all events, so its cost should stay flat as the
number of events grows; the "scan" column leaves tokenising out.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable

from statements.text.terms import TermIndex, tokenize

EVENT_COUNTS = (10, 100, 1_000)
TEXT_WORDS = 2_000
REPEATS = 15

_LATIN_SYLLABLES = ("ka", "ro", "vel", "tan", "mir", "so", "lu", "dre", "pan", "gor", "zi", "ne")
_CYRILLIC_SYLLABLES = ("ка", "ро", "вел", "тан", "мир", "со", "лу", "дре", "пан", "гор", "зи", "не")

_SENTENCES = (
    "The Foreign Ministry notes with deep concern the developments around Venezuela.",
    "Minister Sergey Lavrov held talks with his counterparts on regional security.",
    "We call on all parties to show restraint and to return to dialogue without delay.",
    "The United States committed an act of armed aggression against a sovereign state.",
    "Russia reaffirms its solidarity with the people of the Bolivarian Republic.",
    "The sides discussed trade, energy cooperation and humanitarian assistance.",
    "Such actions are a gross violation of the fundamental norms of international law.",
    "The briefing also covered the situation in the Middle East and in Africa.",
    "Заявление МИД России в связи с событиями вокруг Венесуэлы.",
    "Призываем все стороны к сдержанности и политическому урегулированию.",
    "Министр иностранных дел провел переговоры с коллегами из стран региона.",
    "Москва выражает глубокую обеспокоенность задержанием Николаса Мадуро.",
    "Стороны обсудили вопросы торгово-экономического сотрудничества.",
    "Подобные действия являются грубым нарушением Устава ООН.",
)


def _name(index: int, syllables: tuple[str, ...]) -> str:
    """A made-up name, different for every index (three syllables in base 12)."""
    base = len(syllables)
    parts = [syllables[(index // base**power) % base] for power in range(3)]
    return "".join(parts).capitalize()


def event_terms(count: int) -> list[tuple[int, list[str]]]:
    """`count` events' terms; event 0 is the founding case, the others made up."""
    events = [(0, ["Maduro", "Venezuela", "Мадуро", "Венесуэла"])]
    for n in range(1, count):
        place, person = _name(n, _LATIN_SYLLABLES), _name(n + 1_000, _LATIN_SYLLABLES)
        ru_place = _name(n, _CYRILLIC_SYLLABLES)
        events.append(
            (
                n,
                [
                    place,
                    f"Ambassador {person}",
                    f"{place} crisis",
                    f"{place[:5]}*",
                    ru_place,
                    f"{ru_place} кризис",
                ],
            )
        )
    return events


def statement_text(words: int = TEXT_WORDS, seed: int = 2026) -> str:
    """A mixed-language press release of about `words` words that names a few made-up events."""
    rng = random.Random(seed)
    mentions = [
        f"Officials in {_name(n, _LATIN_SYLLABLES)} commented on the {_name(n, _LATIN_SYLLABLES)} "
        f"crisis; события в {_name(n, _CYRILLIC_SYLLABLES)} обсуждались."
        for n in (3, 47, 512)
    ]
    sentences: list[str] = []
    while sum(len(s.split()) for s in sentences) < words:
        sentences.append(rng.choice(_SENTENCES))
        if rng.random() < 0.02:
            sentences.append(rng.choice(mentions))
    return " ".join(sentences)


def _best_ms(call: Callable[[], object], repeats: int = REPEATS) -> float:
    """The fastest of `repeats` calls, in milliseconds: the least disturbed by the machine."""
    best = float("inf")
    for _ in range(repeats):
        started = time.perf_counter()
        call()
        best = min(best, time.perf_counter() - started)
    return best * 1_000


def run() -> list[dict[str, object]]:
    text = statement_text()
    tokens = tokenize(text)
    rows: list[dict[str, object]] = []
    baseline = None
    for count in EVENT_COUNTS:
        items = event_terms(count)
        started = time.perf_counter()
        index = TermIndex(items)
        build_ms = (time.perf_counter() - started) * 1_000
        find_ms = _best_ms(lambda index=index: index.find(text))
        scan_ms = _best_ms(lambda index=index: index.scan(tokens, text))
        baseline = baseline or find_ms
        rows.append(
            {
                "events": count,
                "phrases": index.phrase_count,
                "words": len(tokens),
                "build ms": build_ms,
                "find ms": find_ms,
                "scan ms": scan_ms,
                "events found": len(index.find(text)),
                "find vs 10 events": f"{find_ms / baseline:.2f}x",
            }
        )
    return rows
