"""Alias hygiene: names that would make attribution guess wrong, or not match at all.

Attribution (statements.attribution) reads every active actor's name and
aliases, inflected forms included. Two kinds of alias deserve a curator's eye:

- shared: the same name or alias (as attribution sees it: "Путин" and
  "Путина" are one) belongs to two or more active actors, so a title naming it
  cannot say which of them spoke;
- too short: fewer letters than attribution's minimum (MIN_ALIAS_LETTERS),
  so it never matches by itself ("US", "ЕС" are ordinary words too).

Both are computed from one query over the whole actor table, because a
collision is a property of the table, not of one actor.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from actors.models import Actor
from statements.ingest.attribution import MIN_ALIAS_LETTERS
from statements.text.terms import tokenize

SHARED = "shared"
TOO_SHORT = "too_short"


@dataclass(frozen=True)
class AliasWarning:
    actor_id: int
    text: str
    lang: str
    problem: str  # SHARED or TOO_SHORT
    # For SHARED: the other active actors (slug, name) that carry the same name.
    others: tuple[tuple[str, str], ...] = ()

    def short(self) -> str:
        """For a list column: "“UN” too short", "“Putin” also Vladimir Putin Jr"."""
        if self.problem == TOO_SHORT:
            return f"“{self.text}” too short"
        return f"“{self.text}” also {', '.join(name for _slug, name in self.others)}"

    def __str__(self) -> str:
        shown = f"“{self.text}”" + (f" ({self.lang})" if self.lang else "")
        if self.problem == TOO_SHORT:
            return (f"{shown} has fewer than {MIN_ALIAS_LETTERS} letters: "
                    "attribution ignores it")
        names = ", ".join(name for _slug, name in self.others)
        return f"{shown} is also a name of {names}: a title naming it cannot tell them apart"


def _letters(text: str) -> int:
    return sum(ch.isalpha() for ch in text)


def _match_key(text: str) -> tuple[str, ...]:
    """What attribution compares: the sequence of word stems."""
    return tuple(token.stem for token in tokenize(text))


def alias_warnings(*, actor_ids: set[int] | None = None) -> dict[int, list[AliasWarning]]:
    """Warnings per actor id, for every active actor (or only `actor_ids`); one query."""
    rows = Actor.objects.filter(is_active=True).values_list(
        "pk", "slug", "name", "aliases__text", "aliases__lang"
    )
    actors: dict[int, tuple[str, str]] = {}
    # One entry per (actor, spelling): the name, then each alias.
    spellings: list[tuple[int, str, str, bool]] = []
    for pk, slug, name, alias_text, alias_lang in rows.order_by("pk", "aliases__text"):
        if pk not in actors:
            actors[pk] = (slug, name)
            spellings.append((pk, name, "", False))
        if alias_text is not None:
            spellings.append((pk, alias_text, alias_lang or "", True))

    owners: dict[tuple[str, ...], set[int]] = defaultdict(set)
    keyed: list[tuple[int, str, str, bool, tuple[str, ...]]] = []
    for pk, text, lang, is_alias in spellings:
        if _letters(text) < MIN_ALIAS_LETTERS:
            keyed.append((pk, text, lang, is_alias, ()))
            continue
        key = _match_key(text)
        if key:
            owners[key].add(pk)
        keyed.append((pk, text, lang, is_alias, key))

    found: dict[int, list[AliasWarning]] = defaultdict(list)
    reported: set[tuple[int, tuple[str, ...]]] = set()
    for pk, text, lang, is_alias, key in keyed:
        if actor_ids is not None and pk not in actor_ids:
            continue
        if not key:
            if is_alias:  # A short *name* ("EU") is the curator's choice; it needs an alias.
                found[pk].append(AliasWarning(pk, text, lang, TOO_SHORT))
            continue
        others = owners[key] - {pk}
        if others and (pk, key) not in reported:
            reported.add((pk, key))
            found[pk].append(AliasWarning(
                pk, text, lang, SHARED, tuple(sorted(actors[o] for o in others))
            ))
    return dict(found)
