"""Who said it: the speaker of a statement, from its feed and its title.

A statement belongs to its source's default actor unless the title names
another known actor *as the speaker*. Only the title is read: bodies quote and
mention everyone, while feed titles follow a few stable patterns.

The heuristic, per title:

1. Find every actor named in the title by name or alias (inflected forms
   count, see statements.textmatch; an alias of fewer than three letters never
   matches by itself, "US" or "ЕС" being ordinary words too). Where names
   overlap the longest wins: "Russian Foreign Ministry" names the ministry,
   not also Russia.
2. Decide for each name whether it is in speaker position. The title is cut
   into clauses at ":", ";", "|", dashes, "?", "!" and sentence stops (not at
   the dots of initials: "М.В.Захаровой", "S.V. Lavrov"). Then, in order:

   a. Looking back from the name within its clause, past other names and
      title words, the nearest cue decides:
      - a mention preposition ("with", "to", "about", "for", "against", "on",
        "in", "at", …; "с", "со", "о", "об", "к", "для", "против", "по", "в",
        "на", …) puts the name out of speaker position: "Meeting with Prime
        Minister of India Narendra Modi", "Встреча с Президентом Венесуэлы
        Николасом Мадуро";
      - "by"/"from", or a speech noun ("statement", "remarks", "briefing",
        "interview", "comment", "answers to media questions"; "заявление",
        "выступление", "брифинг", "ответы на вопросы СМИ", …) makes it the
        speaker: "Statement by the Russian Foreign Ministry", "Брифинг
        официального представителя МИД России М.В.Захаровой";
      - a speech verb ("says", "заявил", …) before it makes it what was
        said, not who said it: "Lavrov says Putin will …".
   b. With no cue before it, the name is the speaker when it is possessive
      ("Sergey Lavrov's remarks"), or when a speech verb or noun follows
      within three words before any other name or preposition ("Lavrov
      says", "Захарова заявила", "Russian Foreign Ministry statement"), or
      when it stands in a first clause that ends in a colon ("Peskov: the
      Kremlin …"; a state's name there is read as a topic label, "Venezuela:
      …", so this form needs a person, institution or organisation).
   c. Otherwise the name is only mentioned.
3. When the first clause ends in a colon and names a speaker, the rest of the
   title is what they said, so only that clause's speakers count.
4. Of several speakers the most specific wins: a person over an institution
   over an international organisation over a state, then the one deeper in
   the parent tree (a department under its ministry), then the one named
   first. So "Брифинг официального представителя МИД России М.В.Захаровой"
   is Zakharova's, not the ministry's.

The default actor stands ("feed_default") unless a speaker is found who is
not the default actor itself ("name_match"); a feed with no default actor and
a title naming no speaker gives no actor.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from enum import Enum

from actors.graph import ActorGraph
from actors.models import Actor, Alias, Role
from statements.models import Statement
from statements.text.terms import TermIndex, TermMatch, Token, longest_first, tokenize

MIN_ALIAS_LETTERS = 3

# Higher is more specific (rule 4).
_KIND_SPECIFICITY = {
    Actor.Kind.PERSON: 3,
    Actor.Kind.INSTITUTION: 2,
    Actor.Kind.ORGANIZATION: 1,
    Actor.Kind.STATE: 0,
}

# How far after a name a speech verb or noun still belongs to it (rule 2b).
_FORWARD_REACH = 3


class _Cue(Enum):
    SPEECH_NOUN = "speech noun"
    SPEECH_VERB = "speech verb"
    BY = "by"
    MENTION = "mention preposition"


# Written as plain words and phrases; they are stemmed like any term, so
# "statements", "Заявления", "заявила" are covered by "statement", "заявление", "заявил".
# fmt: off
_CUE_PHRASES: dict[_Cue, tuple[str, ...]] = {
    _Cue.SPEECH_NOUN: (
        "statement", "remarks", "speech", "interview", "briefing", "comment", "commentary",
        "address", "article", "message", "answer", "response", "reply", "declaration",
        "announcement", "op-ed", "letter", "greetings", "news conference", "press conference",
        "answers to questions", "answers to media questions",
        "заявление", "выступление", "брифинг", "интервью", "комментарий", "ответ", "статья",
        "слово", "послание", "обращение", "речь", "сообщение", "приветствие", "реплика",
        "декларация", "пресс-конференция", "ответ на вопрос", "ответы на вопросы",
        "ответ на вопрос СМИ", "ответы на вопросы СМИ",
        # Whose conversation, congratulation or condolence it is: «разговор Лаврова».
        "conversation", "telephone conversation", "talks", "congratulations", "condolences",
        "разговор", "телефонный разговор", "переговоры", "беседа", "поздравление",
        "телеграмма", "соболезнование", "соболезнования",
        "déclaration", "entretien", "discours", "communiqué", "allocution", "interview",
        "declaración", "comunicado", "entrevista", "discurso", "comparecencia",
        "答记者问", "讲话", "声明", "谈话",
        "بيان", "تصريح", "كلمة",
    ),
    _Cue.SPEECH_VERB: (
        # Not "state" or "note": "Head of State Putin", "Note by the Foreign Ministry".
        "say", "says", "said", "tell", "told", "warn", "urge", "call", "called", "comments",
        "commented", "announces", "declares", "stress", "emphasise", "emphasize",
        "answered", "speaks", "spoke", "condemn", "welcome", "reject", "deny", "denies",
        "accuse", "criticise", "criticize", "slam", "expresses", "insists", "vows",
        "believes", "confirms", "explains", "replies", "responds",
        # Action verbs of a press office's headline: the actor named before them acts.
        "visits", "visited", "launches", "launched", "opens", "opened", "chairs", "chaired",
        "holds", "held", "signs", "signed", "meets", "met", "hosts", "hosted", "receives",
        "received", "travels", "attends", "attended", "addresses", "congratulates", "thanks",
        "sends", "offers", "expresses condolences",
        "заявил", "заявляет", "сообщил", "сказал", "отметил", "подчеркнул", "призвал",
        "ответил", "прокомментировал", "предупредил", "назвал", "осудил", "выразил",
        "считает", "выступил", "высказался", "высказалась", "приветствовал", "обвинил",
        "раскритиковал", "пообещал",
        "рассказал", "поручил", "объявил", "открыл", "провел", "провела", "посетил",
        "посетила", "подписал", "встретился", "встретилась", "принял", "приняла",
        "направил", "поздравил", "выразил соболезнования", "констатировал", "указал",
        "напомнил", "добавил", "уточнил", "пояснил", "выступила", "заявила", "сообщила",
        "a déclaré", "déclare", "entretenu", "visite", "reçoit", "condamne", "salue", "appelle",
        "declaró", "afirmó", "visita", "viaja", "recibe", "condena", "anunció", "reúne",
        "se reúne", "mantiene", "participa", "rencontre", "participe",
    ),
    _Cue.BY: ("by", "from", "de", "du", "del", "des", "par", "por",
              # "外交部发言人毛宁": the name after "spokesperson" is the speaker.
              "发言人"),
    _Cue.MENTION: (
        "with", "to", "about", "for", "against", "on", "in", "at", "into", "over", "between",
        "among", "regarding", "concerning", "toward", "towards", "after", "following",
        "с", "со", "о", "об", "обо", "к", "ко", "для", "против", "по", "в", "во", "на",
        "между", "у", "при", "после", "в связи с",
        "avec", "à", "au", "aux", "pour", "sur", "contre", "con", "para", "sobre", "contra",
        "en", "和", "与", "同", "مع",
    ),
}
# fmt: on
_CUES: TermIndex[_Cue] = TermIndex(_CUE_PHRASES.items())
_WITH = frozenset({"with", "с", "со"})
_INTERVIEW = frozenset({"interview", "интервью", "entretien", "entrevista"})
_CUE_PRIORITY = (_Cue.SPEECH_NOUN, _Cue.BY, _Cue.MENTION, _Cue.SPEECH_VERB)

# Text between two words that ends a clause. A "." does too, except after an
# initial or an abbreviation ("М.В.Захаровой", "U.S."), see _TitleReading.
_CLAUSE_BREAKS = frozenset(":;|—–!?")


@dataclass(frozen=True, slots=True)
class _Speaker:
    actor: Actor
    first_token: int
    clause: int


def _letter_count(text: str) -> int:
    # A Chinese character is a syllable, not a letter: «毛宁» is a full name.
    return sum(2 if "\u3400" <= ch <= "\u9fff" else 1 for ch in text if ch.isalpha())


@dataclass(frozen=True, slots=True)
class Decision:
    """Who speaks in one entry, how that was decided, and what editors should look at."""

    actor: Actor | None
    attribution: str
    # In words a reader can check: "by office: President, held by … since …".
    note: str = ""
    # A speaker named from outside the feed's institution (rule: a feed speaks for
    # its own institution): shown to editors, never attributed.
    suggested: Actor | None = None


@dataclass(frozen=True, slots=True)
class _Office:
    role: Role
    label: str


class SpeakerIndex:
    """All active actors' names and aliases, and the offices of their roles, ready to
    read titles (see the module docstring).

    Load once per batch of statements: `SpeakerIndex.load()` costs five queries,
    whatever the number of actors.
    """

    def __init__(
        self,
        *,
        actors: Sequence[Actor],
        aliases: dict[int, list[str]],
        depths: dict[int, int],
        graph: ActorGraph | None = None,
        roles: Sequence[Role] = (),
    ) -> None:
        self._actors = {actor.pk: actor for actor in actors}
        self._depths = depths
        self._graph = graph
        self._families: dict[int, set[int]] = {}
        self._names: TermIndex[int] = TermIndex(
            (
                actor.pk,
                [
                    name
                    for name in (actor.name, *aliases.get(actor.pk, ()))
                    if _letter_count(name) >= MIN_ALIAS_LETTERS
                ],
            )
            for actor in actors
        )
        # Office words → the roles named by them (a role's `terms`, any language).
        self._roles = [role for role in roles if role.person_id in self._actors]
        self._offices: TermIndex[int] = TermIndex(
            (index, [(lang, term) for lang, term in _role_terms(role)])
            for index, role in enumerate(self._roles)
        )

    @classmethod
    def load(cls) -> SpeakerIndex:
        # Inactive actors still count for depth: a parent may be retired while
        # its members speak on.
        everyone = list(Actor.objects.all())
        active = [actor for actor in everyone if actor.is_active]
        aliases: dict[int, list[str]] = {}
        for actor_id, text in Alias.objects.filter(actor__is_active=True).values_list(
            "actor_id", "text"
        ):
            aliases.setdefault(actor_id, []).append(text)
        parents = {actor.pk: actor.parent_id for actor in everyone}
        roles = list(Role.objects.exclude(terms={}).order_by("started_on", "pk"))
        return cls(
            actors=active,
            aliases=aliases,
            depths=_depths(parents),
            graph=ActorGraph.load(),
            roles=roles,
        )

    def attribute(
        self, *, title: str, default_actor: Actor | None, on: date | None = None
    ) -> tuple[Actor | None, Statement.Attribution]:
        """The statement's actor and how it was decided."""
        decision = self.decide(title=title, default_actor=default_actor, on=on)
        return decision.actor, decision.attribution

    def decide(
        self,
        *,
        title: str,
        default_actor: Actor | None,
        on: date | None = None,
        tokens: Sequence[Token] | None = None,
    ) -> Decision:
        """Who speaks: a named person of the feed's institution, else the holder of
        an office named in the title on the day `on`, else a named body of the
        institution, else the feed's default actor."""
        tokens = tokenize(title) if tokens is None else tokens
        named = self.speakers_in(title, tokens=tokens)
        default_id = default_actor.pk if default_actor is not None else None
        inside = [a for a in named if self._speaks_inside(a, default_actor, on)]
        outside = [a for a in named if a not in inside and a.pk != default_id]
        person = next((a for a in inside if a.kind == Actor.Kind.PERSON), None)
        office = None if person is not None else self._office_in(title, tokens, default_actor, on)
        suggested = outside[0] if outside else None
        if person is not None:
            chosen, how, note = person, Statement.Attribution.NAME_MATCH, f"named: {person.name}"
        elif office is not None:
            role = office.role
            chosen = self._actors[role.person_id]
            how = Statement.Attribution.BY_OFFICE
            since = f" since {role.started_on.isoformat()}" if role.started_on else ""
            note = f"by office: {office.label}, held by {chosen.name}{since}"
        elif inside:
            chosen, how = inside[0], Statement.Attribution.NAME_MATCH
            note = f"named: {chosen.name}"
        else:
            chosen, how, note = default_actor, Statement.Attribution.FEED_DEFAULT, ""
        if chosen is not None and default_id is not None and chosen.pk == default_id:
            how = Statement.Attribution.FEED_DEFAULT
            note = note if how == Statement.Attribution.BY_OFFICE else ""
        if how == Statement.Attribution.FEED_DEFAULT:
            note = "feed's default actor" if chosen is not None else ""
            if suggested is not None:
                note += f"; the title names {suggested.name}, outside this feed's institution"
        return Decision(chosen, how, note, suggested)

    def _family(self, default_actor: Actor) -> set[int]:
        """The house a feed speaks for: everyone under the topmost body above its
        default actor (a state's government, an organisation), with their
        spokespeople. A name from another house is only a suggestion."""
        graph = self._graph
        if graph is None:
            return {default_actor.pk}
        cached = self._families.get(default_actor.pk)
        if cached is not None:
            return cached
        chain = graph.ancestors(default_actor.pk)
        root = chain[-1] if chain else default_actor.pk
        family = {default_actor.pk, *graph.own_speakers(root)}
        for member in list(family):
            family |= graph.spokespeople_of(member)
        self._families[default_actor.pk] = family
        return family

    def _speaks_inside(self, actor: Actor, default_actor: Actor | None, on: date | None) -> bool:
        if default_actor is None or self._graph is None:
            return True
        family = self._family(default_actor)
        if actor.pk in family:
            return True
        # A person holding a role in the institution on the day (a new minister
        # not yet placed in the tree) speaks from inside too.
        return any(
            role.person_id == actor.pk
            and role.institution_id in family
            and _held_on(role, on)
            for role in self._roles
        )

    def _office_in(
        self, title: str, tokens: Sequence[Token], default_actor: Actor | None, on: date | None
    ) -> _Office | None:
        """The role whose office the title names in speaker position, held in the feed's
        institution on the day."""
        if not self._offices or default_actor is None:
            return None
        matches = longest_first(self._offices.scan(tokens, title))
        if not matches:
            return None
        family = self._family(default_actor)
        reading = _TitleReading(title, tokens, matches)
        for match in matches:
            if not reading.is_speaker(match, may_lead_with_colon=True):
                continue
            # The same words may name several roles (two presidents, years apart).
            for role in self._roles_named(match):
                if (role.institution_id in family or role.person_id in family) and _held_on(
                    role, on
                ):
                    return _Office(role, match.term)
        return None

    def _roles_named(self, match: TermMatch[int]) -> list[Role]:
        words = match.term
        return [
            role
            for role in self._roles
            if any(term == words for _, term in _role_terms(role))
        ]

    def speaker_in(self, title: str) -> Actor | None:
        """The most specific actor the title names as its speaker, if any."""
        speakers = self.speakers_in(title)
        return speakers[0] if speakers else None

    def speakers_in(self, title: str, *, tokens: Sequence[Token] | None = None) -> list[Actor]:
        """Every actor the title names as a speaker, most specific first."""
        tokens = tokenize(title) if tokens is None else tokens
        names = longest_first(self._names.scan(tokens, title))
        if not names:
            return []
        reading = _TitleReading(title, tokens, names)
        found: list[_Speaker] = []
        for match in names:
            actor = self._actors[match.key]
            if reading.is_speaker(match, may_lead_with_colon=actor.kind != Actor.Kind.STATE):
                found.append(
                    _Speaker(actor, match.first_token, reading.clause_of[match.first_token])
                )
        if reading.colon_after_first and any(s.clause == 0 for s in found):
            found = [s for s in found if s.clause == 0]  # rule 3
        found.sort(key=self._specificity, reverse=True)
        return list({s.actor.pk: s.actor for s in found}.values())

    def _specificity(self, speaker: _Speaker) -> tuple[int, int, int]:
        actor = speaker.actor
        return (
            _KIND_SPECIFICITY.get(actor.kind, 0),
            self._depths.get(actor.pk, 0),
            -speaker.first_token,
        )


def _role_terms(role: Role) -> list[tuple[str, str]]:
    """A role's office words as (language, term); its title counts as an English term."""
    found = [("", role.title)] if role.title else []
    terms = role.terms if isinstance(role.terms, dict) else {}
    for lang, values in terms.items():
        values = [values] if isinstance(values, str) else values
        if isinstance(values, list):
            found.extend((str(lang), v) for v in values if isinstance(v, str) and v.strip())
    return found


def _held_on(role: Role, on: date | None) -> bool:
    if on is None:
        return role.ended_on is None
    return (role.started_on is None or role.started_on <= on) and (
        role.ended_on is None or on <= role.ended_on
    )


def _depths(parents: dict[int, int | None]) -> dict[int, int]:
    """Each actor's distance from the root of its tree; a cycle in bad data ends the walk."""
    depths: dict[int, int] = {}
    for actor_id in parents:
        chain: list[int] = []
        current: int | None = actor_id
        while current is not None and current not in depths and current not in chain:
            chain.append(current)
            current = parents.get(current)
        base = depths.get(current, -1) if current is not None else -1
        for offset, member in enumerate(reversed(chain), start=1):
            depths[member] = base + offset
    return depths


class _TitleReading:
    """One title cut into words, cues and clauses: rule 2 of the module docstring."""

    def __init__(self, title: str, tokens: Sequence[Token], names: Sequence[TermMatch[int]]):
        self.tokens = tokens
        self.title = title
        self.cues = _cue_labels(tokens, title)
        self.name_at = [False] * len(tokens)
        for match in names:
            for position in range(match.first_token, match.end_token):
                self.name_at[position] = True
        # clause_of[i]: the clause of word i; comma_before[i]: a comma separates it from word i-1.
        self.clause_of = [0] * len(tokens)
        self.comma_before = [False] * len(tokens)
        self.colon_after_first = False
        clause = 0
        for position in range(1, len(tokens)):
            previous = tokens[position - 1]
            gap = title[previous.end : tokens[position].start]
            breaks = bool(_CLAUSE_BREAKS.intersection(gap)) or " - " in gap
            if not breaks and "." in gap and len(previous.surface) > 1:
                # "… in Caracas. Lavrov …" ends a sentence; "S.V. Lavrov" and "U.S." do not.
                breaks = any(ch.isspace() for ch in gap)
            if breaks:
                self.colon_after_first |= clause == 0 and ":" in gap
                clause += 1
            self.clause_of[position] = clause
            self.comma_before[position] = "," in gap

    def is_speaker(self, match: TermMatch[int], *, may_lead_with_colon: bool) -> bool:
        last = match.end_token - 1
        follows = self._speech_after(last)
        # "Meeting with Modi, Putin says": a name followed by a speech verb
        # starts its own clause at the comma before it.
        found = self._cue_at_before(match.first_token, stop_at_comma=follows is _Cue.SPEECH_VERB)
        governor = found[0] if found else None
        if governor is _Cue.MENTION and self._interview_with(found[1]):
            return True  # "Interview with X": X was interviewed, X speaks.
        if governor is _Cue.SPEECH_VERB and self._trailing_verb(found[1], match.first_token):
            return True  # «…, — заявил Лавров»: the verb opens a trailing clause.
        if governor is not None:
            return governor in (_Cue.BY, _Cue.SPEECH_NOUN)
        if self.tokens[last].possessive or follows is not None:
            return True
        if self._trailing_name(match):
            return True  # «… — Сергей Лавров»: a signature after a dash.
        return (
            may_lead_with_colon
            and self.colon_after_first
            and self.clause_of[match.first_token] == 0
        )

    def _cue_before(self, first: int, *, stop_at_comma: bool) -> _Cue | None:
        found = self._cue_at_before(first, stop_at_comma=stop_at_comma)
        return found[0] if found else None

    def _cue_at_before(self, first: int, *, stop_at_comma: bool) -> tuple[_Cue, int] | None:
        """The nearest cue before word `first` in its clause, past names and title
        words, and its position."""
        clause = self.clause_of[first]
        for position in range(first - 1, -1, -1):
            if self.clause_of[position] != clause:
                return None
            if stop_at_comma and self.comma_before[position + 1]:
                return None
            cue = self.cues[position]
            if cue is not None and not self.name_at[position]:
                return cue, position
        return None

    def _interview_with(self, position: int) -> bool:
        """The mention cue at `position` is "with"/"с" right after "interview"/«интервью»."""
        return (
            self.tokens[position].norm in _WITH
            and position > 0
            and self.tokens[position - 1].norm in _INTERVIEW
        )

    def _trailing_verb(self, position: int, first: int) -> bool:
        """A speech verb opening a clause after the first, right before the name."""
        clause = self.clause_of[position]
        return (
            clause > 0
            and (position == 0 or self.clause_of[position - 1] != clause)
            and position == first - 1
        )

    def _trailing_name(self, match: TermMatch[int]) -> bool:
        """A name standing alone as the last clause of the title, after a dash."""
        clause = self.clause_of[match.first_token]
        if clause == 0 or match.end_token != len(self.tokens):
            return False
        start = match.first_token
        if start > 0 and self.clause_of[start - 1] == clause:
            # Only a first name (not a known name) may stand before it: «Сергей Лавров».
            if start - 1 > 0 and self.clause_of[start - 2] == clause:
                return False
            start -= 1
        gap = self.title[self.tokens[start - 1].end : self.tokens[start].start]
        return "—" in gap or "–" in gap or " - " in gap

    def _speech_after(self, last: int) -> _Cue | None:
        """A speech verb or noun shortly after word `last`, before any other name or cue."""
        clause = self.clause_of[last]
        for position in range(last + 1, min(last + 1 + _FORWARD_REACH, len(self.tokens))):
            if self.clause_of[position] != clause or self.name_at[position]:
                return None
            cue = self.cues[position]
            if cue is not None:
                return cue if cue in (_Cue.SPEECH_VERB, _Cue.SPEECH_NOUN) else None
        return None


def _cue_labels(tokens: Sequence[Token], title: str) -> list[_Cue | None]:
    labels: list[_Cue | None] = [None] * len(tokens)
    matches = longest_first(_CUES.scan(tokens, title))
    # Some words are both: "comments", "answer", "ответ". Before a name they
    # are the noun ("Comments by …", "Ответ … Захаровой"), after it either
    # reading makes the name the speaker, so the noun wins.
    matches.sort(key=lambda match: _CUE_PRIORITY.index(match.key))
    for match in matches:
        if match.length == 1 and _is_initial(tokens[match.first_token], title):
            continue
        for position in range(match.first_token, match.end_token):
            if labels[position] is None:
                labels[position] = match.key
    return labels


def _is_initial(token: Token, title: str) -> bool:
    """Whether a one-letter word is an initial: "В" in "М.В.Захаровой", not the preposition."""
    return (
        len(token.surface) == 1
        and token.surface.isupper()
        and title[token.end : token.end + 1] == "."
    )
