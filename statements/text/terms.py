"""Language-aware tokenising and term matching: the one place for it.

Attribution (actor aliases), event matching (event terms) and the stance
lexicon all ask the same question — "which of these many phrases occur in this
text, whatever their inflection?" — and all answer it here.

Normalisation of a word, in order:

1. Lowercase; Russian "ё" becomes "е" (the two are used interchangeably).
   Latin words also lose their diacritics ("Nicolás" → "nicolas"); Cyrillic
   words keep them, since "й" is a letter of its own, not "и" with a breve.
2. Words are runs of letters and digits; everything else separates them, so
   "М.В.Захаровой" gives м, в, захаровой. Apostrophes are read the English way:
   "Lavrov's" is the word lavrov marked possessive, "don't"/"can't" is the word
   "not", "we'll" is "we"; any other apostrophe separates ("O'Brien").
3. Each word is stemmed with Snowball: the Russian stemmer when it contains a
   Cyrillic letter, the English one when it contains a Latin letter, none
   otherwise (numbers).
4. Russian surnames in -ов/-ев: Snowball reads the nominative "Лавров" as a
   genitive plural and strips it to "лавр", while "Лаврова", "Лавровым",
   "Захаровой" keep "лавров"/"захаров". So a Russian stem still ending in
   -ов/-ев loses it too, when a vowel stays before it (as Snowball's own rule
   requires), and every form meets at "лавр", "захар", "песк", "медвед".
   Surnames in -ин ("Путин", "Путина", "Путиным") already meet at "путин".
   The price is rare conflations of unrelated words ("готов"/"гот"), harmless
   for matching names and event terms.
5. English demonyms: a capitalised Latin word ending in -an, -ian or -i
   ("Venezuelan", "Iranian", "Israeli", plural "Venezuelans" too) also matches
   as its country ("Venezuela", "Iran", "Israel"): events are about places, and
   "the Venezuelan president" is about Venezuela. It is one-way: the term
   "Venezuelan" does not match the text "Venezuela". Russian adjectives
   ("венесуэльский") are not guessed; write a prefix term instead.

Terms are phrases of one or more words, normalised the same way and matched
as consecutive words. A word written with a trailing "*", "…" or "..."
("Венесуэл…", "Iran*") is a prefix: it matches any word whose lowercased form
starts with it (at least three letters), so it also catches adjectives and
compounds the stemmer keeps apart.

`TermIndex` holds the terms of many keys (actors, events, lexicon entries) in
a trie over stems and scans a text once for all of them: the work per word is
a few dictionary look-ups, whatever the number of keys.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from collections.abc import Hashable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Generic, TypeVar

import snowballstemmer
from snowballstemmer.basestemmer import BaseStemmer

K = TypeVar("K", bound=Hashable)

# Letters and digits, optionally joined by apostrophes ("Lavrov's", "don't").
_WORD = re.compile(r"[^\W_]+(?:['’ʼ][^\W_]+)*")
_APOSTROPHES = re.compile(r"['’ʼ]")
_CYRILLIC = re.compile(r"[\u0400-\u04ff]")
_LATIN = re.compile(r"[a-z]")
# English clitics that carry nothing for matching: "we'll", "they're", "I'm".
_DROPPED_CLITICS = frozenset({"ll", "re", "ve", "d", "m"})
_PREFIX_MARKERS = ("...", "…", "*")
MIN_PREFIX_LETTERS = 3
_RUSSIAN_VOWELS = frozenset("аеиоуыэюя")


@dataclass(frozen=True, slots=True)
class Token:
    """One word of a text: what it matches as, and where it came from."""

    stem: str
    # The word as written, and its span in the text (text[start:end] == surface).
    surface: str
    start: int
    end: int
    # Lowercased, "ё"→"е", Latin diacritics removed: what prefix terms compare against.
    norm: str
    # Other stems the word also matches as (the country of an English demonym).
    alternates: tuple[str, ...] = ()
    # Written "X's": attribution reads it as "X's statement".
    possessive: bool = False

    @property
    def stems(self) -> tuple[str, ...]:
        return (self.stem, *self.alternates)


# --- Words -------------------------------------------------------------------

# Snowball stemmers keep state while stemming a word, so each thread has its own.
_stemmers = threading.local()


def _stemmer(language: str) -> BaseStemmer:
    stemmer = getattr(_stemmers, language, None)
    if stemmer is None:
        stemmer = snowballstemmer.stemmer(language)
        setattr(_stemmers, language, stemmer)
    return stemmer


def normalise(word: str) -> str:
    """Lowercase, "ё"→"е", and Latin diacritics removed (see the module docstring)."""
    lowered = word.lower().replace("ё", "е")
    if _CYRILLIC.search(lowered):
        return lowered
    decomposed = unicodedata.normalize("NFKD", lowered)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


@lru_cache(maxsize=200_000)
def stem(norm: str) -> str:
    """The stem of one normalised word (see `normalise`)."""
    if _CYRILLIC.search(norm):
        stemmed = _stemmer("russian").stemWord(norm)
        if stemmed.endswith(("ов", "ев")) and _RUSSIAN_VOWELS.intersection(stemmed[:-2]):
            stemmed = stemmed[:-2]
        return stemmed
    if _LATIN.search(norm):
        return _stemmer("english").stemWord(norm)
    return norm


@lru_cache(maxsize=50_000)
def _demonym_bases(norm: str) -> tuple[str, ...]:
    """Stems of the countries an English demonym may name: venezuelan → venezuela."""
    word = norm[:-1] if norm.endswith(("ans", "is")) else norm
    if word.endswith("ian"):
        bases = (word[:-1], word[:-3])  # syrian → syria, iranian → iran
    elif word.endswith("an"):
        bases = (word[:-1],)  # venezuelan → venezuela, cuban → cuba
    elif word.endswith("i"):
        bases = (word[:-1],)  # israeli → israel, iraqi → iraq
    else:
        return ()
    own = stem(norm)
    return tuple(dict.fromkeys(s for base in bases if len(base) >= 4 and (s := stem(base)) != own))


def _make_token(text: str, start: int, end: int, *, possessive: bool = False) -> Token:
    surface = text[start:end]
    norm = normalise(surface)
    alternates: tuple[str, ...] = ()
    if surface[:1].isupper() and _LATIN.search(norm):
        alternates = _demonym_bases(norm)
    return Token(
        stem=stem(norm),
        surface=surface,
        start=start,
        end=end,
        norm=norm,
        alternates=alternates,
        possessive=possessive,
    )


def _split_apostrophes(text: str, match: re.Match[str]) -> Iterator[Token]:
    word_start = match.start()
    parts: list[tuple[int, int]] = []
    position = word_start
    for piece in _APOSTROPHES.split(match.group()):
        parts.append((position, position + len(piece)))
        position += len(piece) + 1
    *head, (last_start, last_end) = parts
    last = text[last_start:last_end].lower()
    if last == "t" and len(head) == 1 and text[head[0][0] : head[0][1]].lower().endswith("n"):
        # don't, can't, won't, isn't: the word that matters is the negation.
        yield Token(
            stem="not", surface=match.group(), start=word_start, end=match.end(), norm="not"
        )
        return
    if len(head) == 1 and last in ("s", *_DROPPED_CLITICS):
        yield _make_token(text, head[0][0], head[0][1], possessive=last == "s")
        return
    for start, end in parts:
        yield _make_token(text, start, end)


def tokenize(text: str) -> list[Token]:
    """Split `text` into normalised, stemmed words (see the module docstring)."""
    tokens: list[Token] = []
    for match in _WORD.finditer(text):
        if _APOSTROPHES.search(match.group()):
            tokens.extend(_split_apostrophes(text, match))
        else:
            tokens.append(_make_token(text, match.start(), match.end()))
    return tokens


def stems_of(words: Iterable[str]) -> frozenset[str]:
    """The stems of some words, for cue lists written as plain words."""
    return frozenset(token.stem for word in words for token in tokenize(word))


# --- Phrases -----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Word:
    """One word of a term: an exact stem, or a prefix of the normalised word."""

    text: str
    is_prefix: bool


def _parse_term(phrase: str) -> tuple[_Word, ...]:
    """The words of a term; a word followed by "*", "…" or "..." is a prefix.

    A prefix shorter than MIN_PREFIX_LETTERS would match nearly everything, so
    it counts as an ordinary word.
    """
    words = []
    for token in tokenize(phrase):
        marked = phrase.startswith(_PREFIX_MARKERS, token.end)
        if marked and len(token.norm) >= MIN_PREFIX_LETTERS:
            words.append(_Word(token.norm, is_prefix=True))
        else:
            words.append(_Word(token.stem, is_prefix=False))
    return tuple(words)


@dataclass(frozen=True, slots=True)
class TermMatch(Generic[K]):
    """One occurrence of a term in a text."""

    key: K
    # The term as it was given to the index ("Венесуэла") …
    term: str
    # … and the words of the text that matched it ("Венесуэлы").
    surface: str
    start: int
    end: int
    # Token positions in the scanned sequence: tokens[first_token:end_token].
    first_token: int
    end_token: int

    @property
    def length(self) -> int:
        return self.end_token - self.first_token


@dataclass(slots=True)
class _Node(Generic[K]):
    by_stem: dict[str, _Node[K]] = field(default_factory=dict)
    by_prefix: dict[str, _Node[K]] = field(default_factory=dict)
    # The distinct prefix lengths under by_prefix, so a word is checked with a
    # handful of slices rather than against every prefix.
    prefix_lengths: set[int] = field(default_factory=set)
    # Terms that end here: key → the first term given for it. Spellings that
    # normalise alike ("call for", "calls for") are one term of that key.
    ends: dict[K, str] = field(default_factory=dict)

    def child(self, word: _Word) -> _Node[K]:
        table = self.by_prefix if word.is_prefix else self.by_stem
        node = table.get(word.text)
        if node is None:
            node = table[word.text] = _Node()
            if word.is_prefix:
                self.prefix_lengths.add(len(word.text))
        return node

    def next_nodes(self, token: Token) -> Iterator[_Node[K]]:
        for token_stem in token.stems:
            node = self.by_stem.get(token_stem)
            if node is not None:
                yield node
        for length in self.prefix_lengths:
            if len(token.norm) >= length:
                node = self.by_prefix.get(token.norm[:length])
                if node is not None:
                    yield node


class TermIndex(Generic[K]):
    """Many keys' phrases, matched against a text in one pass.

    >>> index = TermIndex([("lavrov", ["Лавров", "Sergey Lavrov"]), ("ven", ["Венесуэл…"])])
    >>> index.find("Выступление С.В.Лаврова о Венесуэльском кризисе")
    {'lavrov': ['Лаврова'], 'ven': ['Венесуэльском']}
    """

    def __init__(self, items: Iterable[tuple[K, Iterable[str]]]) -> None:
        self._root: _Node[K] = _Node()
        self.phrase_count = 0
        for key, phrases in items:
            for phrase in phrases:
                self.add(key, phrase)

    def add(self, key: K, phrase: str) -> bool:
        """Index one phrase under `key`; False when it has no words to match.

        A phrase that normalises like one already under `key` adds nothing.
        """
        words = _parse_term(phrase)
        if not words:
            return False
        node = self._root
        for word in words:
            node = node.child(word)
        if key not in node.ends:
            node.ends[key] = phrase
            self.phrase_count += 1
        return True

    def __bool__(self) -> bool:
        return self.phrase_count > 0

    def scan(self, tokens: Sequence[Token], text: str) -> list[TermMatch[K]]:
        """Every occurrence of every term in `tokens` (from `tokenize(text)`).

        Ordered by position, longer matches first; overlapping matches are all
        reported (see `longest_first` to keep one per word).
        """
        found: list[TermMatch[K]] = []
        for first in range(len(tokens)):
            frontier = [self._root]
            position = first
            while frontier and position < len(tokens):
                frontier = [nxt for node in frontier for nxt in node.next_nodes(tokens[position])]
                position += 1
                for node in frontier:
                    if node.ends:
                        start, end = tokens[first].start, tokens[position - 1].end
                        found.extend(
                            TermMatch(key, term, text[start:end], start, end, first, position)
                            for key, term in node.ends.items()
                        )
        found.sort(key=lambda m: (m.first_token, -m.length))
        return found

    def matches(self, text: str) -> list[TermMatch[K]]:
        return self.scan(tokenize(text), text)

    def find(self, text: str) -> dict[K, list[str]]:
        """For each key found in `text`: the surface phrases that matched, in order, once each."""
        found: dict[K, list[str]] = {}
        for match in self.matches(text):
            surfaces = found.setdefault(match.key, [])
            if match.surface not in surfaces:
                surfaces.append(match.surface)
        return found


def longest_first(matches: Iterable[TermMatch[K]]) -> list[TermMatch[K]]:
    """Keep at most one match per word: the longest, then the earliest.

    "act of armed aggression" then stands alone instead of also counting
    "armed aggression" and "aggression"; "Russian Foreign Ministry" stands
    instead of also naming Russia.
    """
    kept: list[TermMatch[K]] = []
    kept_spans: set[tuple[int, int]] = set()
    taken: set[int] = set()
    for match in sorted(matches, key=lambda m: (-m.length, m.first_token)):
        span = (match.first_token, match.end_token)
        # Matches of exactly the same words all stay: an alias two actors share
        # is ambiguous, and the caller decides between them.
        if span in kept_spans or taken.isdisjoint(range(*span)):
            kept.append(match)
            kept_spans.add(span)
            taken.update(range(*span))
    kept.sort(key=lambda m: m.first_token)
    return kept
