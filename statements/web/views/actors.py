"""Read pages for actors: resolve, call one selector, render."""

from django.db.models import Count, Prefetch
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.views.decorators.http import require_safe

from actors.graph import ActorGraph
from actors.models import Actor, Role
from statements.curation.health import source_health
from statements.models import Source, Statement
from statements.research.compare import telling_pairs
from statements.research.matrix import record_summary
from statements.timeline.selector import actor_attention, actor_record

RECENT_STATEMENTS = 15
RECORD_EVENTS = 60
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
            Prefetch("members", Actor.objects.order_by("kind", "name")),
            "speaks_for",
            "spokespeople",
            "groups",
            Prefetch("roles", Role.objects.select_related("institution")),
        ),
        slug=slug,
    )
    now = timezone.now()
    # The feeds that can speak for it — its own, its members', the bodies' it belongs
    # to: the same sources whose coverage backs each "silent" (statements.responses).
    graph = ActorGraph.load()
    related = graph.source_owners(actor.pk)
    sources = source_health(now=now, sources=Source.objects.filter(actor_id__in=related))
    statements = (Statement.objects.filter(actor=actor).select_related("source")
                  .defer("raw", "body_html", "search_vector"))
    record = actor_record(actor=actor, now=now, limit=RECORD_EVENTS)
    return render(request, "actors/actor_detail.html", {
        "actor": actor,
        "statements": statements[:RECENT_STATEMENTS],
        "statement_count": statements.count(),
        "record": record,
        "summary": record_summary(record),
        "pairs": telling_pairs(record=record),
        "attention": actor_attention(actor=actor),
        "sources": sources.rows,
    })
