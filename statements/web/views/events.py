"""Read pages for events and statements: resolve the object, call one selector, render."""

from django.db.models import Prefetch
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.views.decorators.http import require_safe

from statements.editorial import decisions as editorial
from statements.models import Event, EventLink, Statement
from statements.research import changes, citations, datapackage, exports
from statements.timeline.selector import event_summaries, event_timeline, statement_links
from statements.timeline.story import event_page
from statements.web.forms.timeline import TimelineFilterForm
from statements.web.htmx import render_page_or_fragment

RECENT_EVENTS = 8
LATEST_STATEMENTS = 15


@require_safe
def home(request):
    events = Event.objects.published().prefetch_related("tags")[:RECENT_EVENTS]
    statements = Statement.objects.select_related("actor", "source")[:LATEST_STATEMENTS]
    return render(request, "home.html", {
        "summaries": event_summaries(events=events, now=timezone.now()),
        "statements": statements,
        "queue_size": (sum(editorial.queue_counts().values())
                       if request.user.has_perm("statements.change_eventlink") else None),
    })


@require_safe
def event_list(request):
    events = Event.objects.published().prefetch_related("tags")
    return render(request, "statements/event_list.html", {
        "summaries": event_summaries(events=events, now=timezone.now()),
    })


@require_safe
def event_detail(request, slug):
    event = get_object_or_404(Event.objects.published().prefetch_related("tags"), slug=slug)
    form = TimelineFilterForm(request.GET)
    now = timezone.now()
    page = event_page(event=event, now=now, filters=form.filters())
    cite = citations.timeline_citation(event, permalink=request.build_absolute_uri(), accessed=now)
    return render_page_or_fragment(request, "statements/event_detail.html",
                                   {"event": event, "form": form, "page": page, "cite": cite},
                                   fragment="timeline")


def _export_timeline(request, slug):
    """The timeline an export serialises; bad filters are an error here, not ignored,
    so that a script never receives unfiltered data believing it filtered."""
    event = get_object_or_404(Event.objects.published(), slug=slug)
    form = TimelineFilterForm(request.GET)
    if not form.is_valid():
        return None, form
    return event_timeline(event=event, now=timezone.now(), filters=form.filters()), form


def _bad_filters(form):
    # The timeline JSON is an API operation (statements/web/api.py), with the API's errors.
    messages = form.error_messages_list()
    return HttpResponse("\n".join(messages) + "\n", status=400,
                        content_type="text/plain; charset=utf-8")


def _csv_response(body: str, filename: str, *, bom: bool = False) -> HttpResponse:
    response = HttpResponse(datapackage.with_bom(body) if bom else body,
                            content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    return response


@require_safe
def timeline_csv(request, slug):
    timeline, form = _export_timeline(request, slug)
    if timeline is None:
        return _bad_filters(form)
    body = exports.timeline_csv(timeline, generated_at=timezone.now(),
                                base_url=request.build_absolute_uri("/").rstrip("/"))
    return _csv_response(body, f"{slug}-timeline.csv", bom=form.cleaned_data["bom"])


@require_safe
def responders_csv(request, slug):
    timeline, form = _export_timeline(request, slug)
    if timeline is None:
        return _bad_filters(form)
    body = exports.responders_csv(timeline, generated_at=timezone.now())
    return _csv_response(body, f"{slug}-responders.csv", bom=form.cleaned_data["bom"])


@require_safe
def timeline_package(request, slug):
    timeline, form = _export_timeline(request, slug)
    if timeline is None:
        return _bad_filters(form)
    query = f"?{timeline.filters.query}" if timeline.filters.query else ""
    body = datapackage.timeline_package(
        timeline, generated_at=timezone.now(),
        base_url=request.build_absolute_uri("/").rstrip("/"),
        view_url=request.build_absolute_uri(timeline.event.get_absolute_url() + query))
    response = HttpResponse(body, content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="{slug}-timeline.zip"'
    return response


@require_safe
def statement_detail(request, pk):
    statement = get_object_or_404(
        Statement.objects.select_related("actor", "source").prefetch_related(
            Prefetch("links", EventLink.objects.filter(event__is_published=True)
                     .select_related("event").order_by("event__occurred_at"))
        ),
        pk=pk,
    )
    return render(request, "statements/statement_detail.html", {
        "statement": statement,
        "links": statement_links(statement=statement),
        "cite": citations.statement_citation(
            statement, permalink=request.build_absolute_uri(statement.get_absolute_url()),
            accessed=timezone.now()),
        # Edits and removals after publication: no query unless the statement changed.
        "changes": changes.statement_history(statement),
    })
