"""Comparison pages: resolve, validate the chosen events, call one selector, render.

Both pages are their own permalink: the events are in the URL
(`?events=a,b`), so a comparison can be cited and shared as it is.
"""

from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.views.decorators.http import require_safe

from actors.models import Actor
from statements.models import Event
from statements.research import citations
from statements.research.compare import actor_across_events, events_side_by_side
from statements.web.forms.compare import CompareForm

RECENT_FOR_PICKER = 40


def _picker():
    return Event.objects.published().order_by("-occurred_at")[:RECENT_FOR_PICKER]


@require_safe
def compare_events(request):
    form = CompareForm(request.GET)
    events = form.chosen()
    cite = citations.comparison_citation(
        "Responses compared: " + "; ".join(e.title for e in events), key="comparison",
        permalink=request.build_absolute_uri(), accessed=timezone.now()) if events else None
    return render(request, "research/compare.html", {
        "cite": cite,
        "form": form,
        "comparison": events_side_by_side(events=events, now=timezone.now()) if events else None,
        "picker": _picker(),
        "chosen": {e.slug for e in events},
    })


@require_safe
def actor_compare(request, slug):
    actor = get_object_or_404(Actor, slug=slug)
    form = CompareForm(request.GET)
    events = form.chosen()
    cite = citations.comparison_citation(
        f"{actor.name} across events: " + "; ".join(e.title for e in events),
        key=f"{actor.slug}-comparison", permalink=request.build_absolute_uri(),
        accessed=timezone.now()) if events else None
    return render(request, "actors/actor_compare.html", {
        "cite": cite,
        "actor": actor,
        "form": form,
        "comparison": actor_across_events(actor=actor, events=events, now=timezone.now())
        if events else None,
        "picker": _picker(),
        "chosen": {e.slug for e in events},
    })
