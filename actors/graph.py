"""The actor tree and the spokesperson relation, and the rules read from them.

Leaf domain code: it reads the actors app only. Responses, the timeline, alerts,
search and the profile all ask these methods, so each rule is written once.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from actors.models import Actor


class ActorGraph:
    """The whole actor tree and spokesperson relations, loaded in two queries."""

    def __init__(self, actors: Iterable[Actor], speaks_for: Iterable[tuple[int, int]]):
        self.by_id: dict[int, Actor] = {a.pk: a for a in actors}
        self.children: dict[int, list[int]] = defaultdict(list)
        for actor in self.by_id.values():
            if actor.parent_id:
                self.children[actor.parent_id].append(actor.pk)
        # spokesperson id -> ids they speak for, and the reverse.
        self.spokespeople: dict[int, list[int]] = defaultdict(list)
        self.speaks_for: dict[int, list[int]] = defaultdict(list)
        for spokesperson_id, principal_id in speaks_for:
            self.spokespeople[principal_id].append(spokesperson_id)
            self.speaks_for[spokesperson_id].append(principal_id)

    @classmethod
    def load(cls) -> ActorGraph:
        actors = Actor.objects.only("name", "slug", "kind", "country", "parent_id", "is_active")
        pairs = Actor.speaks_for.through.objects.values_list("from_actor_id", "to_actor_id")
        return cls(actors, pairs)

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

    def speakers_for(self, actor_id: int) -> set[int]:
        """Whose statements count as A's own: A, and for a body, all its members."""
        actor = self.by_id[actor_id]
        if actor.kind == Actor.Kind.PERSON:
            return {actor_id}
        return {actor_id, *self.descendants(actor_id)}

    def is_leader(self, actor_id: int) -> bool:
        # In this model the head of a state or government is the person others
        # speak for (a press secretary); that is what puts them on the top rung.
        return self.by_id[actor_id].kind == Actor.Kind.PERSON and bool(
            self.spokespeople.get(actor_id)
        )
