"""Read pages for actors: resolve, call one selector, render."""

from django.db.models import Count, Prefetch
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.views.decorators.http import require_safe

from statements.models import Statement
from statements.timeline import actor_record

from .models import Actor, Role

RECENT_STATEMENTS = 15
KIND_SECTIONS = [
    (Actor.Kind.STATE, "States"),
    (Actor.Kind.INSTITUTION, "Institutions"),
    (Actor.Kind.PERSON, "People"),
    (Actor.Kind.ORGANIZATION, "International organisations"),
]


@require_safe
def actor_list(request):
    actors = list(
        Actor.objects.select_related("parent")
        .prefetch_related("groups")
        .annotate(statement_count=Count("statements"))
        .order_by("name")
    )
    sections = [(heading, [a for a in actors if a.kind == kind]) for kind, heading in KIND_SECTIONS]
    return render(request, "actors/actor_list.html", {
        "sections": [(heading, members) for heading, members in sections if members],
    })


@require_safe
def actor_detail(request, slug):
    actor = get_object_or_404(
        Actor.objects.select_related("parent").prefetch_related(
            "aliases",
            "members",
            "speaks_for",
            "spokespeople",
            "groups",
            "sources",
            Prefetch("roles", Role.objects.select_related("institution")),
        ),
        slug=slug,
    )
    statements = Statement.objects.filter(actor=actor).select_related("source")
    return render(request, "actors/actor_detail.html", {
        "actor": actor,
        "statements": statements[:RECENT_STATEMENTS],
        "record": actor_record(actor=actor, now=timezone.now()),
    })
