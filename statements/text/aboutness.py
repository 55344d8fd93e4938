"""Is a text ABOUT an event, or does it only mention it? A transparent score with its evidence.

An event is found in a text by its terms (statements.text.terms); that only
says the text names it. The relevance of the link, 0–1, adds up what a reader
would look at:

    title         the event's terms are in the title                       +0.50
    lead          … in the first sentence of the body (the lead)            +0.25
    frequency     0.10 per occurrence, up to four                            ≤0.40
    position      a passage about the event carries a stance cue             +0.20
    main subject  the event's terms are the most frequent of the
                  events found, and occur at least twice                     +0.10
    section       a short sentence opening a section names it ("On the
                  talks in Chisinau.", «О ситуации в Судане.»): a briefing's
                  part about the event                                       +0.30

and then discounts what is plainly a mention:

    list          every occurrence stands in an enumeration ("discussed Syria,
                  Venezuela, Libya and Yemen", a list of topics)           × 0.4
    greeting      the text is a greeting, a congratulation, a birthday or
                  national-day message: it names a country, not an event   cap 0.3

capped at 1. Links from RELEVANCE_THRESHOLD (0.5, statements.models) up count
toward a status; below it they are mentions, visible and marked as such. So a
one-topic statement that condemns in its lead (0.25 + 0.1 + 0.2) counts, a
briefing with a section on the event (three mentions and a cue) counts, and a
meeting summary that lists the country among other topics does not.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from statements.text.terms import TermIndex, Token, stems_of

_SENTENCE_BREAKS = frozenset(".!?;\n")

# fmt: off
_GREETING_WORDS = (
    "congratulations", "congratulate", "congratulates", "greetings", "birthday",
    "national day", "independence day", "new year", "anniversary", "felicitations",
    "поздравление", "поздравил", "поздравляет", "поздравительная", "день рождения",
    "национальный праздник", "день независимости", "новым годом", "годовщина",
    "приветствие участникам",
    "félicitations", "felicita", "felicitación", "تهنئة", "贺电", "祝贺",
)
# fmt: on
_GREETINGS: TermIndex[str] = TermIndex([("greeting", _GREETING_WORDS)])
# Words that open a section heading of a briefing: "On …", «О …», "Sur …", "Sobre …".
_HEADING_OPENERS = frozenset({"on", "about", "regarding", "о", "об", "обо", "sur", "sobre",
                              "concernant", "关于", "بشأن", "حول"})
_HEADING_MAX_WORDS = 8
_LIST_JOINERS = stems_of(["and", "и", "et", "y", "or", "или", "as well as", "а также"])


@dataclass(frozen=True, slots=True)
class Relevance:
    score: float
    evidence: dict

    def as_json(self) -> dict:
        return {"score": self.score, **self.evidence}


def sentence_of(tokens: Sequence[Token], text: str) -> list[int]:
    """The sentence number of every token (title = sentence 0; a new line starts one)."""
    numbers = [0] * len(tokens)
    current = 0
    for position in range(1, len(tokens)):
        previous = tokens[position - 1]
        gap = text[previous.end : tokens[position].start]
        if _SENTENCE_BREAKS.intersection(gap):
            initial = len(previous.surface) == 1 and previous.surface.isupper() and "\n" not in gap
            if not initial:
                current += 1
        numbers[position] = current
    return numbers


def passage_tokens(
    sentences: Sequence[int],
    spans: Sequence[tuple[int, int]],
    *,
    reach: int = 1,
    others: set[int] = frozenset(),
) -> set[int]:
    """Token positions of the sentences holding `spans` (token ranges) and their
    neighbours; a neighbour that names another event (`others`: its sentence
    numbers) belongs to that event's passage, not this one's."""
    own = {sentences[first] for first, _end in spans}
    wanted: set[int] = set(own)
    for number in own:
        for step in range(1, reach + 1):
            for neighbour in (number - step, number + step):
                if neighbour not in others or neighbour in own:
                    wanted.add(neighbour)
    return {i for i, number in enumerate(sentences) if number in wanted}


def is_greeting(tokens: Sequence[Token], text: str, title_end: int) -> bool:
    """A greeting or congratulation, told by its title (or its first words)."""
    head = [t for t in tokens if t.end <= max(title_end, 1)] or list(tokens[:12])
    return bool(_GREETINGS.scan(head, text))


def _opens_section(tokens: Sequence[Token], sentences: Sequence[int], first: int) -> bool:
    """Whether the word at `first` stands in a short heading sentence opened by "On …"."""
    number = sentences[first]
    words = [i for i, n in enumerate(sentences) if n == number]
    return (
        0 < len(words) <= _HEADING_MAX_WORDS
        and number > 0
        and tokens[words[0]].norm in _HEADING_OPENERS
    )


def _in_list(tokens: Sequence[Token], text: str, first: int, end: int) -> bool:
    """Whether the words tokens[first:end] are one item of an enumeration of at least three."""
    separators = 0
    # Look at the gaps around the item, out to four items either side.
    for position in range(max(1, first - 8), min(len(tokens), end + 8)):
        gap = text[tokens[position - 1].end : tokens[position].start]
        if _SENTENCE_BREAKS.intersection(gap):
            if position <= first:
                separators = 0
                continue
            break
        if "," in gap or tokens[position].keys[0] in _LIST_JOINERS:
            separators += 1
    return separators >= 2


def relevance(
    *,
    tokens: Sequence[Token],
    text: str,
    title_end: int,
    spans: Sequence[tuple[int, int]],
    sentences: Sequence[int],
    has_cue_in_passage: bool,
    most_frequent: bool,
) -> Relevance:
    """The relevance of one event's occurrences `spans` (token ranges) in a text."""
    in_title = sum(1 for first, _ in spans if tokens[first].end <= title_end)
    body_sentences = [sentences[i] for i, t in enumerate(tokens) if t.start > title_end]
    lead = body_sentences[0] if body_sentences else None
    in_lead = sum(
        1 for first, _ in spans if tokens[first].start > title_end and sentences[first] == lead
    )
    count = len(spans)
    listed = sum(1 for first, end in spans if _in_list(tokens, text, first, end))
    section = any(_opens_section(tokens, sentences, first) for first, _ in spans)
    greeting = is_greeting(tokens, text, title_end)

    score = 0.0
    reasons = []
    if in_title:
        score += 0.5
        reasons.append("in the title")
    if in_lead:
        score += 0.25
        reasons.append("in the lead")
    score += 0.1 * min(count, 4)
    if has_cue_in_passage:
        score += 0.2
        reasons.append("the passage about it takes a position")
    if most_frequent and count >= 2:
        score += 0.1
        reasons.append("the main subject")
    if section:
        score += 0.3
        reasons.append("a section about it")
    if count and listed == count:
        score *= 0.4
        reasons.append("only listed among other topics")
    if greeting:
        score = min(score, 0.3)
        reasons.append("a greeting")
    score = round(min(score, 1.0), 2)
    evidence = {
        "title": in_title,
        "lead": in_lead,
        "body": count - in_title,
        "count": count,
        "listed": listed,
        "greeting": greeting,
        "main_subject": bool(most_frequent and count >= 2),
        "section": section,
        "why": ", ".join(reasons) or f"mentioned {count}×",
    }
    return Relevance(score, evidence)
