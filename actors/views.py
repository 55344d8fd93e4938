from django.shortcuts import get_object_or_404, render

from .models import Actor


def actor_list(request):
    actors = Actor.objects.select_related("parent").order_by("name")
    return render(request, "actors/actor_list.html", {"actors": actors})


def actor_detail(request, slug):
    actor = get_object_or_404(Actor.objects.select_related("parent"), slug=slug)
    return render(request, "actors/actor_detail.html", {"actor": actor})
