from django.shortcuts import get_object_or_404, render

from .models import Event, Statement


def home(request):
    events = Event.objects.published()[:10]
    statements = Statement.objects.select_related("actor", "source")[:20]
    return render(request, "home.html", {"events": events, "statements": statements})


def statement_detail(request, pk):
    statement = get_object_or_404(Statement.objects.select_related("actor", "source"), pk=pk)
    return render(request, "statements/statement_detail.html", {"statement": statement})


def event_list(request):
    return render(request, "statements/event_list.html", {"events": Event.objects.published()})


def event_detail(request, slug):
    event = get_object_or_404(Event.objects.published(), slug=slug)
    return render(request, "statements/event_detail.html", {"event": event})
