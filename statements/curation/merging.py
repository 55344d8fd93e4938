"""Merging two actors that turned out to be the same.

Everything that points at the duplicate moves to the survivor: statements,
aliases, roles (as person and as institution), flags, silence reviews, group
memberships, the events that expect it, speaks_for in both directions, its
members (children) and its sources. The duplicate's name becomes an alias of
the survivor, blank details of the survivor (Wikidata id, country,
description) are filled from the duplicate, and the duplicate is deleted.

Where the survivor already has the same thing, the duplicate's copy is dropped
rather than doubled: an alias with the same text and language, a role with the
same title, institution and dates, a membership, a silence review of the same
event (the one an editor decided wins over one still pending; the survivor's
wins a tie). Every count is reported.

It is one transaction. The edit history keeps both sides: the statements,
flags, reviews and members that moved get a history record with the reason,
the survivor one saying what was merged into it, and the duplicate its
deletion. Relations added to the schema later are moved too (each model
pointing at Actor is found from the model registry), and the delete is
checked beforehand never to cascade to anything: no row is lost or orphaned.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from django.db import IntegrityError, models, transaction
from django.db.models.deletion import Collector
from simple_history.utils import bulk_update_with_history

from actors.models import Actor, ActorGroup, Alias, Role
from statements.models import Event, Flag, SilenceReview, Source, Statement


class MergeError(ValueError):
    """Two actors that cannot be merged; the message says why."""


@dataclass
class MergeReport:
    survivor: Actor
    duplicate_slug: str
    duplicate_name: str
    moved: Counter = field(default_factory=Counter)
    # What the survivor already had, so the duplicate's copy was dropped.
    dropped: Counter = field(default_factory=Counter)

    def summary(self) -> str:
        moved = ", ".join(f"{count} {what}" for what, count in self.moved.items() if count)
        dropped = ", ".join(f"{count} {what}" for what, count in self.dropped.items() if count)
        text = f"Merged {self.duplicate_name} ({self.duplicate_slug}) into {self.survivor.name}"
        if moved:
            text += f"; moved {moved}"
        if dropped:
            text += f"; dropped as already present: {dropped}"
        return text


# The relations this module moves by name; anything else pointing at Actor is
# moved by the generic sweep.
_HANDLED = {
    (Actor, "parent"), (Actor, "speaks_for"), (Alias, "actor"), (Role, "person"),
    (Role, "institution"), (ActorGroup, "members"), (Source, "actor"), (Statement, "actor"),
    (Event, "expected_actors"), (Flag, "actor"), (SilenceReview, "actor"),
}


def relation_counts(actor: Actor) -> dict[str, int]:
    """What hangs on an actor, for the page that asks which one survives."""
    return {
        "statements": Statement.objects.filter(actor=actor).count(),
        "aliases": Alias.objects.filter(actor=actor).count(),
        "roles": Role.objects.filter(models.Q(person=actor) | models.Q(institution=actor)).count(),
        "members": Actor.objects.filter(parent=actor).count(),
        "sources": Source.objects.filter(actor=actor).count(),
        "groups": actor.groups.count(),
        "expected in events": actor.expected_in.count(),
        "flags": Flag.objects.filter(actor=actor).count(),
        "silence reviews": SilenceReview.objects.filter(actor=actor).count(),
    }


def merge_actors(*, survivor: Actor, duplicate: Actor, user=None) -> MergeReport:
    """Move everything of `duplicate` to `survivor` and delete `duplicate`; one transaction."""
    if survivor.pk == duplicate.pk:
        raise MergeError("An actor cannot be merged with itself.")
    with transaction.atomic():
        locked = {a.pk: a for a in Actor.objects.select_for_update().filter(
            pk__in=[survivor.pk, duplicate.pk])}
        if len(locked) != 2:
            raise MergeError("One of the two actors no longer exists.")
        keep, gone = locked[survivor.pk], locked[duplicate.pk]
        _check_hierarchy(keep, gone)
        report = MergeReport(survivor=keep, duplicate_slug=gone.slug, duplicate_name=gone.name)
        reason = f"Merged {gone.slug} into {keep.slug}"
        history = {"default_user": user, "default_change_reason": reason}

        _move_aliases(keep, gone, report)
        _move_history_tracked(Statement.objects.filter(actor=gone).defer(
            "raw", "body_html", "body_text"), "actor", keep, "statements", report, history)
        _move_history_tracked(Flag.objects.filter(actor=gone), "actor", keep, "flags",
                              report, history)
        _move_silence_reviews(keep, gone, report, history)
        _move_roles(keep, gone, report)
        _move_through(ActorGroup.members.through, "actor", "actorgroup", keep, gone,
                      "group memberships", report)
        _move_through(Event.expected_actors.through, "actor", "event", keep, gone,
                      "expected in events", report)
        _move_speaks_for(keep, gone, report)
        if keep.parent_id == gone.pk:
            keep.parent_id = gone.parent_id  # the survivor takes the duplicate's place
        _move_history_tracked(Actor.objects.filter(parent=gone).exclude(pk=keep.pk), "parent",
                              keep, "members", report, history)
        report.moved["sources"] += Source.objects.filter(actor=gone).update(actor=keep)
        _sweep_other_relations(keep, gone, report)

        for attr in ("wikidata_id", "country", "description"):
            if not getattr(keep, attr) and getattr(gone, attr):
                setattr(keep, attr, getattr(gone, attr))
        keep._change_reason = f"Merged {gone.name} ({gone.slug}) into this actor"
        if user is not None:
            keep._history_user = user
        keep.save()

        _check_nothing_cascades(gone)
        gone._change_reason = f"Merged into {keep.name} ({keep.slug})"
        if user is not None:
            gone._history_user = user
        gone.delete()
    return report


def _check_hierarchy(keep: Actor, gone: Actor) -> None:
    parents = dict(Actor.objects.values_list("pk", "parent_id"))
    ancestors, current = [], parents.get(keep.pk)
    while current is not None and current not in ancestors:
        ancestors.append(current)
        current = parents.get(current)
    # The duplicate as the survivor's parent is fine (the survivor takes its
    # place); higher up, its members would become the survivor's ancestors
    # and its members at once.
    if gone.pk in ancestors[1:]:
        raise MergeError(f"{gone.name} is an ancestor of {keep.name} (above its parent): "
                         "merge the actors in between first, or choose the other survivor.")


def _move_aliases(keep: Actor, gone: Actor, report: MergeReport) -> None:
    kept = {(a.text.casefold(), a.lang) for a in keep.aliases.all()}
    kept_texts = {text for text, _lang in kept} | {keep.name.casefold()}
    move, drop = [], []
    for alias in gone.aliases.all():
        key = (alias.text.casefold(), alias.lang)
        (drop if key in kept else move).append(alias.pk)
        kept.add(key)
        kept_texts.add(key[0])
    Alias.objects.filter(pk__in=drop).delete()
    report.dropped["aliases"] += len(drop)
    report.moved["aliases"] += Alias.objects.filter(pk__in=move).update(actor=keep)
    if gone.name.casefold() not in kept_texts:
        Alias.objects.create(actor=keep, text=gone.name, lang="")
        report.moved["names kept as aliases"] += 1


def _move_history_tracked(queryset, field_name: str, keep: Actor, label: str,
                          report: MergeReport, history: dict) -> None:
    rows = list(queryset)
    for row in rows:
        setattr(row, field_name, keep)
    if rows:
        bulk_update_with_history(rows, queryset.model, [field_name], **history)
    report.moved[label] += len(rows)


def _move_silence_reviews(keep: Actor, gone: Actor, report: MergeReport, history: dict) -> None:
    pending = SilenceReview.Decision.PENDING
    kept = {r.event_id: r for r in SilenceReview.objects.filter(actor=keep)}
    move, drop = [], []
    for review in SilenceReview.objects.filter(actor=gone):
        other = kept.get(review.event_id)
        if other is None:
            move.append(review)
        elif other.decision == pending and review.decision != pending:
            drop.append(other)  # an editor's decision outranks a review still waiting
            move.append(review)
        else:
            drop.append(review)
    for review in drop:
        review._change_reason = history["default_change_reason"]
        review.delete()
    report.dropped["silence reviews"] += len(drop)
    for review in move:
        review.actor = keep
    if move:
        bulk_update_with_history(move, SilenceReview, ["actor"], **history)
    report.moved["silence reviews"] += len(move)


def _move_roles(keep: Actor, gone: Actor, report: MergeReport) -> None:
    moved = Role.objects.filter(person=gone).update(person=keep)
    moved += Role.objects.filter(institution=gone).update(institution=keep)
    # A role the survivor held in itself means nothing; an identical role twice is one.
    dropped, _ = Role.objects.filter(person=keep, institution=keep).delete()
    seen, twins = set(), []
    for role in Role.objects.filter(models.Q(person=keep) | models.Q(institution=keep)) \
            .order_by("pk"):
        key = (role.person_id, role.institution_id, role.title.casefold(), role.started_on,
               role.ended_on, role.is_spokesperson)
        if key in seen:
            twins.append(role.pk)
        seen.add(key)
    if twins:
        Role.objects.filter(pk__in=twins).delete()
    report.moved["roles"] += moved - dropped - len(twins)
    report.dropped["roles"] += dropped + len(twins)


def _move_through(through, actor_field: str, other_field: str, keep: Actor, gone: Actor,
                  label: str, report: MergeReport) -> None:
    """Re-point a many-to-many's rows from `gone` to `keep`, without doubling any."""
    other_id = f"{other_field}_id"
    has = set(through.objects.filter(**{actor_field: keep}).values_list(other_id, flat=True))
    moving = set(through.objects.filter(**{actor_field: gone}).values_list(other_id, flat=True))
    through.objects.bulk_create(
        [through(**{f"{actor_field}_id": keep.pk, other_id: other}) for other in moving - has])
    through.objects.filter(**{actor_field: gone}).delete()
    report.moved[label] += len(moving - has)
    report.dropped[label] += len(moving & has)


def _move_speaks_for(keep: Actor, gone: Actor, report: MergeReport) -> None:
    through = Actor.speaks_for.through
    principals = set(keep.speaks_for.values_list("pk", flat=True))
    spokespeople = set(keep.spokespeople.values_list("pk", flat=True))
    new_principals = set(gone.speaks_for.values_list("pk", flat=True)) - principals - {keep.pk}
    new_spokespeople = (set(gone.spokespeople.values_list("pk", flat=True)) - spokespeople
                        - {keep.pk})
    through.objects.bulk_create(
        [through(from_actor_id=keep.pk, to_actor_id=pk) for pk in new_principals]
        + [through(from_actor_id=pk, to_actor_id=keep.pk) for pk in new_spokespeople])
    through.objects.filter(models.Q(from_actor=gone) | models.Q(to_actor=gone)).delete()
    report.moved["speaks for"] += len(new_principals)
    report.moved["spokespeople"] += len(new_spokespeople)


def _other_relations():
    """(model, field) pairs pointing at Actor that this module does not name."""
    for relation in Actor._meta.get_fields(include_hidden=True):
        if not (relation.is_relation and relation.auto_created and not relation.concrete):
            continue
        model = relation.related_model
        if hasattr(model, "instance_type") or model._meta.auto_created:
            continue  # history rows keep the old id on purpose; through rows go with their m2m
        if (model, relation.field.name) in _HANDLED:
            continue
        yield model, relation.field


def _sweep_other_relations(keep: Actor, gone: Actor, report: MergeReport) -> None:
    for model, field_ in _other_relations():
        label = f"{model._meta.verbose_name_plural} ({field_.name})"
        if field_.many_to_many:
            through = field_.remote_field.through
            _move_through(through, field_.m2m_reverse_field_name(), field_.m2m_field_name(),
                          keep, gone, label, report)
            continue
        rows = model._default_manager.filter(**{field_.name: gone})
        try:
            with transaction.atomic():
                report.moved[label] += rows.update(**{field_.name: keep})
        except IntegrityError:
            # A uniqueness the survivor already fills: move row by row, dropping the twins.
            for pk in rows.values_list("pk", flat=True):
                try:
                    with transaction.atomic():
                        model._default_manager.filter(pk=pk).update(**{field_.name: keep})
                    report.moved[label] += 1
                except IntegrityError:
                    model._default_manager.filter(pk=pk).delete()
                    report.dropped[label] += 1


def _check_nothing_cascades(gone: Actor) -> None:
    collector = Collector(using=gone._state.db)
    collector.collect([gone])
    extra = [model._meta.label for model, instances in collector.data.items()
             if model is not Actor and instances]
    extra += [qs.model._meta.label for qs in collector.fast_deletes
              if not qs.model._meta.auto_created and qs.exists()]
    if extra:
        raise MergeError("Deleting the duplicate would also delete rows of "
                         + ", ".join(sorted(set(extra))) + "; nothing was merged.")
