"""The actor tree and the spokesperson relation, and the rules read from them.

Leaf domain code: it reads the actors app only. Responses, the timeline, alerts,
search and the profile all ask these methods, so each rule is written once:

- ``own_speakers(A)``      whose words count as A's own: A, and for a body
                           (institution, state, organisation) every actor under it.
- ``spokespeople_of(A)``   who speaks for A (see below for the one truth).
- ``voices(A)``            whose words are shown for A on an event: its own speakers
                           and, for a person, its spokespeople (the via_proxy rule).
- ``source_owners(A)``     whose feeds can speak for A: A, every actor under it and
                           every body above it (the evidence behind "silent").

One truth for spokespeople. P is a spokesperson of A when P ``speaks_for`` A, or
when P holds a Role in A (``Role.institution`` is A) marked ``is_spokesperson``
that is held on the day asked about (open-ended dates count as held). The profile
shows both, the API exports both, and via_proxy and the ladder read both through
``spokespeople_of`` / ``is_spokesperson``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from django.db.models import DateField, Value

from actors.models import Actor, Role


@dataclass(frozen=True)
class SpokespersonRole:
    """A dated 'P speaks for A' taken from a Role marked is_spokesperson."""

    person_id: int
    principal_id: int
    started_on: date | None = None
    ended_on: date | None = None

    def held_on(self, day: date | None) -> bool:
        if day is None:
            return True
        return (self.started_on is None or self.started_on <= day) and (
            self.ended_on is None or day <= self.ended_on
        )


class ActorGraph:
    """The whole actor tree and spokesperson relations, loaded in two queries."""

    def __init__(
        self,
        actors: Iterable[Actor],
        speaks_for: Iterable[tuple[int, int]],
        spokesperson_roles: Iterable[SpokespersonRole] = (),
    ):
        self.by_id: dict[int, Actor] = {a.pk: a for a in actors}
        self.children: dict[int, list[int]] = defaultdict(list)
        for actor in self.by_id.values():
            if actor.parent_id:
                self.children[actor.parent_id].append(actor.pk)
        # spokesperson id -> ids they speak for, and the reverse (undated speaks_for).
        self.spokespeople: dict[int, list[int]] = defaultdict(list)
        self.speaks_for: dict[int, list[int]] = defaultdict(list)
        for spokesperson_id, principal_id in speaks_for:
            self.spokespeople[principal_id].append(spokesperson_id)
            self.speaks_for[spokesperson_id].append(principal_id)
        self.roles_by_principal: dict[int, list[SpokespersonRole]] = defaultdict(list)
        self.roles_by_person: dict[int, list[SpokespersonRole]] = defaultdict(list)
        for role in spokesperson_roles:
            self.roles_by_principal[role.principal_id].append(role)
            self.roles_by_person[role.person_id].append(role)

    @classmethod
    def load(cls) -> ActorGraph:
        actors = Actor.objects.only("name", "slug", "kind", "country", "parent_id", "is_active")
        # speaks_for pairs and spokesperson roles in one UNION query, so every page
        # that loads the graph keeps its query count.
        no_date = Value(None, output_field=DateField())
        # order_by(): Role's default ordering is not allowed inside a UNION on SQLite.
        pairs = Actor.speaks_for.through.objects.order_by().values_list(
            "from_actor_id", "to_actor_id", no_date, no_date, Value(False)
        )
        roles = (
            Role.objects.filter(is_spokesperson=True, institution__isnull=False)
            .order_by()
            .values_list("person_id", "institution_id", "started_on", "ended_on", Value(True))
        )
        speaks_for, spokesperson_roles = [], []
        for person_id, principal_id, started, ended, from_role in pairs.union(roles, all=True):
            if from_role:
                spokesperson_roles.append(SpokespersonRole(person_id, principal_id, started, ended))
            else:
                speaks_for.append((person_id, principal_id))
        return cls(actors, speaks_for, spokesperson_roles)

    # --- the tree -------------------------------------------------------------

    def descendants(self, actor_id: int) -> list[int]:
        found, stack = [], list(self.children.get(actor_id, ()))
        while stack:
            current = stack.pop()
            if current in found:  # a cycle in bad data must not hang a page
                continue
            found.append(current)
            stack.extend(self.children.get(current, ()))
        return found

    def ancestors(self, actor_id: int) -> list[int]:
        found = []
        current = self.by_id[actor_id].parent_id if actor_id in self.by_id else None
        while current and current not in found:
            found.append(current)
            current = self.by_id[current].parent_id if current in self.by_id else None
        return found

    # --- the named rules ------------------------------------------------------

    def own_speakers(self, actor_id: int) -> set[int]:
        """Whose words count as A's own: A, and for a body, all its members.

        An id the graph does not know (an actor added since it was loaded) speaks
        only for itself.
        """
        actor = self.by_id.get(actor_id)
        if actor is None or actor.kind == Actor.Kind.PERSON:
            return {actor_id}
        return {actor_id, *self.descendants(actor_id)}

    def spokespeople_of(self, actor_id: int, *, on: date | None = None) -> set[int]:
        """Who speaks for A: whoever ``speaks_for`` A, and whoever holds a spokesperson
        Role in A on the day ``on`` (any day, when ``on`` is None)."""
        found = set(self.spokespeople.get(actor_id, ()))
        found |= {r.person_id for r in self.roles_by_principal.get(actor_id, ()) if r.held_on(on)}
        found.discard(actor_id)
        return found

    def is_spokesperson(self, actor_id: int, *, on: date | None = None) -> bool:
        """Whether the actor speaks for anyone (on the day, for dated roles)."""
        return bool(self.speaks_for.get(actor_id)) or any(
            r.held_on(on) for r in self.roles_by_person.get(actor_id, ())
        )

    def voices(self, actor_id: int, *, on: date | None = None) -> set[int]:
        """Whose words are shown for A on an event: its own speakers, and for a person
        its spokespeople too (their words make A 'via proxy')."""
        speakers = self.own_speakers(actor_id)
        actor = self.by_id.get(actor_id)
        if actor is not None and actor.kind == Actor.Kind.PERSON:
            speakers |= self.spokespeople_of(actor_id, on=on)
        return speakers

    def source_owners(self, actor_id: int) -> set[int]:
        """Whose feeds can speak for A: A's own, its members', and the bodies' above it.

        A feed of the Kremlin covers Putin; Putin's own feed covers the Kremlin's
        members only through the Kremlin. These are the feeds whose coverage backs
        a "silent" and that the profile lists.
        """
        return {actor_id, *self.descendants(actor_id), *self.ancestors(actor_id)}

    def is_leader(self, actor_id: int) -> bool:
        # In this model the head of a state or government is the person others
        # speak for (a press secretary); that is what puts them on the top rung.
        return self.by_id[actor_id].kind == Actor.Kind.PERSON and bool(
            self.spokespeople_of(actor_id)
        )
