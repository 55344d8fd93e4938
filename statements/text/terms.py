"""Language-aware tokenising and term matching: the one normaliser of the project.

Attribution (actor aliases and office words), event terms, the stance
lexicon, highlighting and the search index all ask the same question — "do
these two words mean the same word, whatever their inflection?" — and all
answer it here, through the *keys* of a word: two words match when they share
a key.

Normalisation of a word, in order:

1. Lowercase; "ё" becomes "е". Latin words also lose their diacritics
   ("Nicolás" → "nicolas"); Cyrillic words keep them ("й" is a letter).
2. Words are runs of letters and digits; everything else separates them, so
   "М.В.Захаровой" gives м, в, захаровой. Apostrophes are read the English way:
   "Lavrov's" is the word lavrov marked possessive, "don't"/"can't" is the word
   "not", "we'll" is "we"; any other apostrophe separates ("O'Brien"). A run of
   Chinese characters is cut into words by jieba.
3. The keys of a word depend on its script and the text's language:
   - Cyrillic: every plausible lemma from pymorphy3's Russian dictionary, so a
     form that is ambiguous keeps all its readings («Песков» is a surname and a
     form of «песок»). A capitalised word that has a proper-name reading keeps
     only those (surname, place, organisation, abbreviation first, then first
     names): «Лавров» is the surname, not the plural of «Лавр». A word the
     dictionary does not know (a transliterated name) is read by pymorphy3's
     predictor, plus its Snowball stem, plus — when capitalised — the base of
     a Russian surname paradigm (-ов/-ев/-ин/-ский …), so «Рябкову», «Рябкова»
     and «Рябков» meet.
   - Latin: the Snowball stem for the text's language where Snowball has one
     (French is stemmed as French), the English stem otherwise — and the
     English stem as a second key, so an English term still meets a French or
     Spanish text. English demonyms ("Venezuelan", "Iranian", "Israeli")
     capitalised also match as their country; one-way.
   - Arabic: Snowball's Arabic stemmer. Chinese: the word itself.
   - Digits and anything else: the word itself.

Terms are phrases of one or more words, normalised the same way (in the
language they are written in) and matched as consecutive words. A word written
with a trailing "*", "…" or "..." is a prefix: it matches any word whose
normalised form starts with it (at least three letters).

`TermIndex` holds the terms of many keys (actors, events, lexicon entries) in
a trie and scans a text once for all of them. `tokenize` is cached per word,
and a text tokenised once can be scanned by every index (`Tokens`).
"""

from __future__ import annotations

import logging
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
_ARABIC = re.compile(r"[\u0600-\u06ff]")
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
# English clitics that carry nothing for matching: "we'll", "they're", "I'm".
_DROPPED_CLITICS = frozenset({"ll", "re", "ve", "d", "m"})
_PREFIX_MARKERS = ("...", "…", "*")
MIN_PREFIX_LETTERS = 3

# ISO 639-1 → Snowball's name, for the Latin-script languages it covers.
_SNOWBALL_LATIN = {
    "en": "english", "fr": "french", "es": "spanish", "de": "german", "it": "italian",
    "pt": "portuguese", "nl": "dutch", "sv": "swedish", "no": "norwegian", "nb": "norwegian",
    "da": "danish", "fi": "finnish", "hu": "hungarian", "ro": "romanian", "tr": "turkish",
    "ca": "catalan", "eu": "basque", "et": "estonian", "lt": "lithuanian", "id": "indonesian",
    "ga": "irish", "cs": "czech", "pl": "polish",
}  # fmt: skip
# The languages a statement may be detected as (py3langid over these only).
DETECTABLE = ("en", "ru", "fr", "es", "ar", "zh", "de", "it", "pt", "uk", "tr", "pl", "fa")

# pymorphy3 grammemes of proper names, strongest first: a capitalised word
# with such a reading keeps only the readings of the first group it has.
_PROPER_GROUPS = (frozenset({"Surn", "Geox", "Orgn", "Abbr", "Trad"}), frozenset({"Name", "Patr"}))
# Russian surname paradigms: ending → the base the nominative has.
_SURNAME_ENDINGS = (
    ("ского", "ский"), ("скому", "ский"), ("ским", "ский"), ("ском", "ский"),
    ("ская", "ский"), ("ской", "ский"), ("скую", "ский"),
    ("ова", "ов"), ("ову", "ов"), ("овым", "ов"), ("ове", "ов"), ("овой", "ов"),
    ("ева", "ев"), ("еву", "ев"), ("евым", "ев"), ("еве", "ев"), ("евой", "ев"),
    ("ина", "ин"), ("ину", "ин"), ("иным", "ин"), ("ине", "ин"), ("иной", "ин"),
)  # fmt: skip


class Token:
    """One word of a text: the keys it matches as, and where it came from.

    A plain __slots__ class: texts have thousands of words and this is built
    once per word.
    """

    __slots__ = ("keys", "surface", "start", "end", "norm", "possessive")

    def __init__(
        self,
        keys: tuple[str, ...],
        surface: str,
        start: int,
        end: int,
        norm: str,
        possessive: bool = False,
    ) -> None:
        self.keys = keys
        # The word as written, and its span in the text (text[start:end] == surface).
        self.surface = surface
        self.start = start
        self.end = end
        # Lowercased, "ё"→"е", Latin diacritics removed: what prefix terms compare against.
        self.norm = norm
        # Written "X's": attribution reads it as "X's statement".
        self.possessive = possessive

    @property
    def stem(self) -> str:
        """The first key: what a word is shown as in tests and logs."""
        return self.keys[0]

    @property
    def stems(self) -> tuple[str, ...]:
        return self.keys

    def __repr__(self) -> str:
        return f"Token({self.surface!r}, keys={self.keys!r})"


# --- Words -------------------------------------------------------------------

# Snowball stemmers keep state while stemming a word, so each thread has its own.
_local = threading.local()


def _stemmer(language: str) -> BaseStemmer:
    stemmer = getattr(_local, language, None)
    if stemmer is None:
        stemmer = snowballstemmer.stemmer(language)
        setattr(_local, language, stemmer)
    return stemmer


# pymorphy3 and jieba announce their dictionaries at INFO on every process start.
logging.getLogger("pymorphy3").setLevel(logging.WARNING)
logging.getLogger("jieba").setLevel(logging.WARNING)

_morph_lock = threading.Lock()
_morph = None


def _morphology():
    """pymorphy3's Russian analyser, loaded once (its dictionaries ship in the package)."""
    global _morph
    if _morph is None:
        with _morph_lock:
            if _morph is None:
                import pymorphy3  # noqa: PLC0415 - 40 ms and 15 MB, only once Cyrillic appears

                _morph = pymorphy3.MorphAnalyzer(lang="ru")
    return _morph


def language_of(code: str | None) -> str:
    """The primary subtag of a BCP 47 tag, lowercased: "en-GB" → "en"; "" when unknown."""
    return (code or "").strip().lower().replace("_", "-").split("-")[0]


def normalise(word: str) -> str:
    """Lowercase, "ё"→"е", and Latin diacritics removed (see the module docstring)."""
    lowered = word.lower().replace("ё", "е")
    if _CYRILLIC.search(lowered) or lowered.isascii():
        return lowered
    decomposed = unicodedata.normalize("NFKD", lowered)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


@lru_cache(maxsize=300_000)
def _russian_keys(norm: str, capitalised: bool) -> tuple[str, ...]:
    parses = _morphology().parse(norm)
    known = [p for p in parses if p.is_known]
    chosen = known or parses
    if capitalised:
        for group in _PROPER_GROUPS:
            proper = [p for p in chosen if group & p.tag.grammemes]
            if proper:
                chosen = proper
                break
    keys = dict.fromkeys(p.normal_form.replace("ё", "е") for p in chosen)
    if not known:
        # Out of the dictionary: the predictor's guesses may miss the word's
        # other forms, so the Snowball stem and a surname's base join them.
        keys[_stemmer("russian").stemWord(norm)] = None
    if capitalised and (not known or chosen is known):
        # A capitalised word with no proper-name reading may be a surname the
        # dictionary lacks («Рябков» reads as «рябок»): its paradigm's base joins.
        for ending, base in _SURNAME_ENDINGS:
            if norm.endswith(ending) and len(norm) > len(ending) + 2:
                keys[norm[: -len(ending)] + base] = None
                break
        else:
            if norm.endswith(("ов", "ев", "ин", "ский")) and len(norm) > 4:
                keys[norm] = None
    return tuple(keys)


@lru_cache(maxsize=300_000)
def _latin_keys(norm: str, language: str, capitalised: bool) -> tuple[str, ...]:
    own = _stemmer(_SNOWBALL_LATIN.get(language, "english")).stemWord(norm)
    keys = dict.fromkeys([own])
    if language not in ("en", ""):
        keys[_stemmer("english").stemWord(norm)] = None
    if capitalised:
        keys.update(dict.fromkeys(_demonym_bases(norm)))
    return tuple(keys)


@lru_cache(maxsize=100_000)
def _arabic_keys(norm: str) -> tuple[str, ...]:
    return (_stemmer("arabic").stemWord(norm),)


def word_keys(norm: str, *, language: str = "", capitalised: bool = False) -> tuple[str, ...]:
    """The keys of one normalised word (see the module docstring)."""
    if _CYRILLIC.search(norm):
        return _russian_keys(norm, capitalised)
    if _LATIN.search(norm):
        return _latin_keys(norm, language, capitalised)
    if _ARABIC.search(norm):
        return _arabic_keys(norm)
    return (norm,)


def stem(norm: str) -> str:
    """The first key of one normalised word."""
    return word_keys(norm)[0]


def _demonym_bases(norm: str) -> tuple[str, ...]:
    """English stems of the countries an English demonym may name: venezuelan → venezuela."""
    word = norm[:-1] if norm.endswith(("ans", "is")) else norm
    if word.endswith("ian"):
        bases = (word[:-1], word[:-3])  # syrian → syria, iranian → iran
    elif word.endswith("an"):
        bases = (word[:-1],)  # venezuelan → venezuela, cuban → cuba
    elif word.endswith("i"):
        bases = (word[:-1],)  # israeli → israel, iraqi → iraq
    else:
        return ()
    english = _stemmer("english")
    own = english.stemWord(norm)
    return tuple(
        dict.fromkeys(
            s for base in bases if len(base) >= 4 and (s := english.stemWord(base)) != own
        )
    )


# (word as written, language) → (keys, norm): a text is mostly words seen before,
# so a word costs one dictionary look-up. Bounded: cleared when full.
_ANALYSED: dict[tuple[str, str], tuple[tuple[str, ...], str]] = {}
_ANALYSED_MAX = 400_000


def _analyse(surface: str, language: str) -> tuple[tuple[str, ...], str]:
    norm = normalise(surface)
    keys = word_keys(norm, language=language, capitalised=surface[:1].isupper())
    return keys, norm


def _make_token(
    text: str, start: int, end: int, language: str, *, possessive: bool = False
) -> Token:
    surface = text[start:end]
    if _DEMONYMS_OFF.flag:
        norm = normalise(surface)
        # A term's own word: "Venezuelan" as a term does not match "Venezuela".
        keys = word_keys(norm, language=language,
                         capitalised=surface[:1].isupper() and not _LATIN.search(norm))
        return Token(keys, surface, start, end, norm, possessive)
    found = _ANALYSED.get((surface, language))
    if found is None:
        if len(_ANALYSED) >= _ANALYSED_MAX:
            _ANALYSED.clear()
        found = _ANALYSED[(surface, language)] = _analyse(surface, language)
    return Token(found[0], surface, start, end, found[1], possessive)


class _Flag(threading.local):
    flag = False


_DEMONYMS_OFF = _Flag()


def _split_apostrophes(text: str, match: re.Match[str], language: str) -> Iterator[Token]:
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
        yield Token(("not",), match.group(), word_start, match.end(), "not")
        return
    if len(head) == 1 and last in ("s", *_DROPPED_CLITICS):
        yield _make_token(text, head[0][0], head[0][1], language, possessive=last == "s")
        return
    for start, end in parts:
        yield _make_token(text, start, end, language)


class _Jieba:
    """jieba, imported on the first Chinese text (its dictionary loads in about a second)."""

    ready = False
    # Terms given before jieba was loaded: taught to it as soon as it is, before
    # it cuts any text, so terms and texts are cut alike.
    words: list[str] = []

    def load(self):
        import jieba  # noqa: PLC0415 - only for Chinese

        if not self.ready:
            jieba.setLogLevel(logging.WARNING)  # its own logger, set to DEBUG on import
            jieba.initialize()
            _JIEBA.ready = True
            for phrase in self.words:
                _teach_segmenter(phrase)
            self.words.clear()
        return jieba


_JIEBA = _Jieba()


def _han_words(text: str, start: int, end: int) -> Iterator[tuple[int, int]]:
    jieba = _JIEBA.load()
    position = start
    for word in jieba.cut(text[start:end], HMM=False):
        yield position, position + len(word)
        position += len(word)


def _teach_segmenter(phrase: str) -> None:
    """Make jieba keep a Chinese term (a name, an event's place) as one word, so the
    term and the texts that contain it are cut alike."""
    jieba = _JIEBA.load()
    for run in re.findall(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+", phrase):
        if len(run) > 1 and run not in _TAUGHT:
            jieba.add_word(run, freq=200_000)
            _TAUGHT.add(run)


_TAUGHT: set[str] = set()

_HAN_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")


def tokenize(text: str, language: str | None = "") -> list[Token]:
    """Split `text` into normalised words with their keys (see the module docstring).

    `language` is the text's language tag ("fr", "ru-RU"); it chooses the
    stemmer for Latin words. Cyrillic, Arabic and Chinese are read by script.
    """
    language = language_of(language)
    tokens: list[Token] = []
    analysed = _ANALYSED
    for match in _WORD.finditer(text):
        word = match.group()
        if not word.isascii() and max(word) >= "\u3400" and _HAN.search(word):
            tokens.extend(_han_tokens(text, match.start(), match.end(), language))
        elif "'" in word or "’" in word or "ʼ" in word:
            tokens.extend(_split_apostrophes(text, match, language))
        else:
            found = None if _DEMONYMS_OFF.flag else analysed.get((word, language))
            if found is None:
                tokens.append(_make_token(text, match.start(), match.end(), language))
            else:
                tokens.append(Token(found[0], word, match.start(), match.end(), found[1]))
    return tokens


def _han_tokens(text: str, start: int, end: int, language: str) -> Iterator[Token]:
    """A run mixing Chinese characters with other letters ("G20峰会"): each part by its script."""
    position = start
    for run in _HAN_RUN.finditer(text, start, end):
        if run.start() > position:
            yield _make_token(text, position, run.start(), language)
        for word_start, word_end in _han_words(text, run.start(), run.end()):
            surface = text[word_start:word_end]
            yield Token((surface,), surface, word_start, word_end, surface)
        position = run.end()
    if position < end:
        yield _make_token(text, position, end, language)


class LazyKeys:
    """Every key of some words, for cue lists written as plain words; worked out on
    first use, so importing a module with such lists loads no dictionary."""

    __slots__ = ("_words", "_language", "_keys")

    def __init__(self, words: Iterable[str], language: str = "") -> None:
        self._words, self._language, self._keys = tuple(words), language, None

    @property
    def keys(self) -> frozenset[str]:
        if self._keys is None:
            self._keys = frozenset(key for word in self._words
                                   for token in tokenize(word, self._language)
                                   for key in token.keys)
        return self._keys

    def __contains__(self, key: object) -> bool:
        return key in self.keys

    def __iter__(self):
        return iter(self.keys)

    def intersection(self, other: Iterable[str]) -> frozenset[str]:
        return self.keys.intersection(other)

    def isdisjoint(self, other: Iterable[str]) -> bool:
        return self.keys.isdisjoint(other)


def stems_of(words: Iterable[str], language: str = "") -> LazyKeys:
    """Every key of some words (see LazyKeys)."""
    return LazyKeys(words, language)


def detect_language(text: str) -> str:
    """The language of a text, by py3langid over DETECTABLE; "" for a text too short to tell."""
    sample = text[:2000]
    letters = sum(ch.isalpha() for ch in sample)
    if letters < 12:
        return ""
    if _HAN.search(sample) and len(_HAN.findall(sample)) * 3 > letters:
        return "zh"
    return _identifier().classify(sample)[0]


_identifier_lock = threading.Lock()
_langid = None


def _identifier():
    global _langid
    if _langid is None:
        with _identifier_lock:
            if _langid is None:
                from py3langid.langid import MODEL_FILE, LanguageIdentifier  # noqa: PLC0415

                identifier = LanguageIdentifier.from_model_file(MODEL_FILE)
                identifier.set_languages(list(DETECTABLE))
                _langid = identifier
    return _langid


# --- Phrases -----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Word:
    """One word of a term: exact keys (any of them), or a prefix of the normalised word."""

    keys: tuple[str, ...]
    is_prefix: bool


def _parse_term(phrase: str, language: str = "") -> tuple[_Word, ...]:
    """The words of a term; a word followed by "*", "…" or "..." is a prefix.

    A prefix shorter than MIN_PREFIX_LETTERS would match nearly everything, so
    it counts as an ordinary word.
    """
    words = []
    _DEMONYMS_OFF.flag = True
    try:
        tokens = tokenize(phrase, language)
    finally:
        _DEMONYMS_OFF.flag = False
    for token in tokens:
        marked = phrase.startswith(_PREFIX_MARKERS, token.end)
        if marked and len(token.norm) >= MIN_PREFIX_LETTERS:
            words.append(_Word((token.norm,), is_prefix=True))
        else:
            words.append(_Word(token.keys, is_prefix=False))
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


@dataclass(slots=True, eq=False)
class _Node(Generic[K]):
    by_key: dict[str, _Node[K]] = field(default_factory=dict)
    by_prefix: dict[str, _Node[K]] = field(default_factory=dict)
    # The distinct prefix lengths under by_prefix, so a word is checked with a
    # handful of slices rather than against every prefix.
    prefix_lengths: set[int] = field(default_factory=set)
    # Terms that end here: key → the first term given for it. Spellings that
    # normalise alike ("call for", "calls for") are one term of that key.
    ends: dict[K, str] = field(default_factory=dict)

    def child(self, text: str, *, is_prefix: bool) -> _Node[K]:
        table = self.by_prefix if is_prefix else self.by_key
        node = table.get(text)
        if node is None:
            node = table[text] = _Node()
            if is_prefix:
                self.prefix_lengths.add(len(text))
        return node

    def next_nodes(self, token: Token) -> list[_Node[K]]:
        found = []
        by_key = self.by_key
        if by_key:
            for key in token.keys:
                node = by_key.get(key)
                if node is not None and node not in found:
                    found.append(node)
        for length in self.prefix_lengths:
            if len(token.norm) >= length:
                node = self.by_prefix.get(token.norm[:length])
                if node is not None:
                    found.append(node)
        return found


class TermIndex(Generic[K]):
    """Many keys' phrases, matched against a text in one pass.

    Phrases are (key, [phrase, …]); a phrase may also be given as a
    (language, phrase) pair, so "chat" in a French list is stemmed as French.

    >>> index = TermIndex([("lavrov", ["Лавров", "Sergey Lavrov"]), ("ven", ["Венесуэл…"])])
    >>> index.find("Выступление С.В.Лаврова о Венесуэльском кризисе")
    {'lavrov': ['Лаврова'], 'ven': ['Венесуэльском']}
    """

    def __init__(self, items: Iterable[tuple[K, Iterable[str | tuple[str, str]]]]) -> None:
        self._root: _Node[K] = _Node()
        self._phrase_count = 0
        self._pending: list[tuple[K, str, str]] = []
        # Built on first use: a module-level index (the stance lexicon, the speech
        # cues) costs nothing at import, and no dictionary loads before a text comes.
        self._items: list | None = [(key, list(phrases)) for key, phrases in items]
        # jieba must know Chinese terms before it cuts a text (see _JIEBA.words).
        for _, phrases in self._items:
            for phrase in phrases:
                text = phrase[1] if isinstance(phrase, tuple) else phrase
                if _HAN.search(text):
                    if _JIEBA.ready:
                        _teach_segmenter(text)
                    else:
                        _JIEBA.words.append(text)

    def _build(self) -> None:
        items, self._items = self._items, None
        for key, phrases in items or ():
            for phrase in phrases:
                if isinstance(phrase, tuple):
                    self.add(key, phrase[1], language=phrase[0])
                else:
                    self.add(key, phrase)

    @property
    def phrase_count(self) -> int:
        if self._items is not None:
            self._build()
        return self._phrase_count

    def add(self, key: K, phrase: str, *, language: str = "") -> bool:
        """Index one phrase under `key`; False when it has no words to match.

        A phrase that normalises like one already under `key` adds nothing. A
        word with several keys (readings) branches the trie: any reading matches.
        """
        if self._items is not None:
            self._build()
        if _HAN.search(phrase):
            if not _JIEBA.ready:
                # Chinese terms wait for the first Chinese text: loading jieba's
                # dictionary costs a second, which no other text should pay.
                self._pending.append((key, phrase, language))
                _JIEBA.words.append(phrase)
                return True
            _teach_segmenter(phrase)
        words = _parse_term(phrase, language)
        if not words:
            return False
        added = False
        nodes = [self._root]
        for word in words:
            nodes = list(
                {
                    id(child): child
                    for node in nodes
                    for text in word.keys
                    for child in [node.child(text, is_prefix=word.is_prefix)]
                }.values()
            )
        for node in nodes:
            if key not in node.ends:
                node.ends[key] = phrase
                added = True
        if added:
            self._phrase_count += 1
        return True

    def __bool__(self) -> bool:
        return self.phrase_count > 0 or bool(self._pending)

    def _add_pending(self, tokens: Sequence[Token]) -> None:
        if not _JIEBA.ready and not any(_HAN.match(t.surface) for t in tokens):
            return
        _JIEBA.load()
        pending, self._pending = self._pending, []
        for key, phrase, language in pending:
            self.add(key, phrase, language=language)

    def scan(self, tokens: Sequence[Token], text: str) -> list[TermMatch[K]]:
        """Every occurrence of every term in `tokens` (from `tokenize(text)`).

        Ordered by position, longer matches first; overlapping matches are all
        reported (see `longest_first` to keep one per word).
        """
        if self._items is not None:
            self._build()
        if self._pending:
            self._add_pending(tokens)
        found: list[TermMatch[K]] = []
        root = self._root
        count = len(tokens)
        for first in range(count):
            frontier = root.next_nodes(tokens[first])
            position = first + 1
            while frontier:
                for node in frontier:
                    if node.ends:
                        start, end = tokens[first].start, tokens[position - 1].end
                        found.extend(
                            TermMatch(key, term, text[start:end], start, end, first, position)
                            for key, term in node.ends.items()
                        )
                if position >= count:
                    break
                token = tokens[position]
                frontier = [nxt for node in frontier for nxt in node.next_nodes(token)]
                position += 1
        found.sort(key=lambda m: (m.first_token, -m.length))
        return found

    def matches(self, text: str, language: str = "") -> list[TermMatch[K]]:
        return self.scan(tokenize(text, language), text)

    def find(self, text: str, language: str = "") -> dict[K, list[str]]:
        """For each key found in `text`: the surface phrases that matched, in order, once each."""
        found: dict[K, list[str]] = {}
        for match in self.matches(text, language):
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


# --- Search index ------------------------------------------------------------

# A tsvector holds positions up to 16,383; later words share the last one.
_MAX_POSITION = 16_383
# PostgreSQL refuses a lexeme over 2 KB (a base64 blob in a body): such a "word"
# is not indexed, as to_tsvector would skip it, rather than failing the insert.
_MAX_LEXEME = 500


def _lexeme(key: str) -> str:
    return "'" + key.replace("\\", "\\\\").replace("'", "''") + "'"


def search_vector_literal(title: str, body: str, language: str = "") -> str:
    """A PostgreSQL tsvector literal of the keys of `title` (weight A) and `body` (weight B).

    Every reading of a word is indexed at its position, so a query for any
    form meets every form (see `search_query_keys`). Built in the same pass as
    the tokens; PostgreSQL stores it as given (the 'simple' configuration, no
    re-parsing).
    """
    positions: dict[str, list[str]] = {}
    position = 0
    for text, weight in ((title, "A"), (body[:200_000], "B")):
        for token in tokenize(text, language):
            position = min(position + 1, _MAX_POSITION)
            for key in token.keys:
                if len(key) > _MAX_LEXEME:
                    continue
                entries = positions.setdefault(key, [])
                if len(entries) < 256:  # PostgreSQL keeps at most 256 positions per lexeme
                    entries.append(f"{position}{weight}")
    return " ".join(f"{_lexeme(key)}:{','.join(entries)}" for key, entries in positions.items())


def search_vector_from_tokens(tokens: Sequence[Token], title_end: int) -> str:
    """`search_vector_literal` from tokens already made: words ending by `title_end` weigh A."""
    positions: dict[str, list[str]] = {}
    position = 0
    for token in tokens:
        if position < _MAX_POSITION:
            position += 1
        weight = "A" if token.end <= title_end else "B"
        for key in token.keys:
            if len(key) > _MAX_LEXEME:
                continue
            entries = positions.setdefault(key, [])
            if len(entries) < 256:
                entries.append(f"{position}{weight}")
    return " ".join(f"{_lexeme(key)}:{','.join(entries)}" for key, entries in positions.items())


_FUNCTION_WORDS_LATIN = frozenset(
    "a an the of in on at to by for from with and or as is are was were be de la le les des "
    "du et en el los las y del al".split()
)
_FUNCTION_TAGS = frozenset({"PREP", "CONJ", "PRCL", "INTJ"})


@lru_cache(maxsize=20_000)
def _is_function_norm(norm: str) -> bool:
    if _CYRILLIC.search(norm):
        parses = _morphology().parse(norm)
        # The likeliest reading decides: «в» is also the abbreviation of «вольт».
        return bool(parses) and bool(_FUNCTION_TAGS & parses[0].tag.grammemes)
    return norm in _FUNCTION_WORDS_LATIN


def is_function_word(token: Token) -> bool:
    """A preposition, conjunction, particle or article: no meaning of its own in a query."""
    return _is_function_norm(token.norm)


def content_words(tokens: Sequence[Token]) -> list[Token]:
    """The words of a query that carry its meaning: «в Тегеране» is «Тегеране».
    A query of function words only is kept whole."""
    kept = [t for t in tokens if not _is_function_norm(t.norm)]
    return kept or list(tokens)


def search_query_keys(words: str) -> list[tuple[str, ...]]:
    """The keys of each word of a query: AND over the words, OR over a word's keys."""
    return [token.keys for token in tokenize(words)]
