"""Researchers' pages: search, the matrix, alerts. Resolve, call one selector, render."""

from __future__ import annotations

import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse, JsonResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST, require_safe
from django_htmx.http import push_url

from actors.models import Actor
from statements.alerts import delivery as alerts
from statements.models import Event, Subscription
from statements.research import matrix, search
from statements.web.htmx import render_page_or_fragment, wants_fragment


def _bad_request(messages_: list[str], *, as_json: bool) -> HttpResponse:
    if as_json:
        return JsonResponse({"errors": messages_}, status=400)
    return HttpResponse("\n".join(messages_) + "\n", status=400,
                        content_type="text/plain; charset=utf-8")


def _base(request) -> str:
    return request.build_absolute_uri("/").rstrip("/")


def _stamp() -> str:
    return timezone.now().strftime("%Y%m%dT%H%MZ")


# --- search -----------------------------------------------------------------------

MAX_PAGE_NUMBER = 10_000


@require_safe
def statement_search(request):
    form = search.SearchForm(request.GET)
    filters = form.filters()
    found = search.search_statements(filters=filters)
    export = form.export_format or (request.GET.get("format") or "")
    if export:
        # An export never runs on partly understood filters: a script must not
        # receive other data than it asked for.
        if form.errors:
            return _bad_request(form.error_messages_list(), as_json=export == "json")
        return _export(request, found, export)

    if form.page_number > MAX_PAGE_NUMBER:
        # A page just past the end shows the last one; a number no list reaches is refused.
        return _bad_request([f"There is no page {form.page_number}: pages go up to "
                             f"{MAX_PAGE_NUMBER:,} at most."], as_json=False)
    page = found.page(form.page_number)
    response = render_page_or_fragment(request, "research/search.html", {
        "form": form, "search": found, "page": page, "filters": filters,
    }, fragment="results")
    if request.htmx:
        # The address bar gets the canonical query (no empty parameters), so it can be shared.
        query = filters.query_string
        if page.number > 1:
            query += ("&" if query else "") + f"page={page.number}"
        push_url(response, request.path + (f"?{query}" if query else ""))
    return response


def _export(request, found: search.Search, export: str) -> HttpResponse:
    generated_at, base = timezone.now(), _base(request)
    filename = f"statements-{_stamp()}"
    if export == "json":
        body = search.search_json(found, generated_at=generated_at, base_url=base)
        response = HttpResponse(json.dumps(body, ensure_ascii=False, indent=1),
                                content_type="application/json; charset=utf-8")
        response["Content-Disposition"] = f'inline; filename="{filename}.json"'
        return response
    response = StreamingHttpResponse(
        search.search_csv_lines(found, generated_at=generated_at, base_url=base),
        content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'inline; filename="{filename}.csv"'
    return response


# --- the matrix -------------------------------------------------------------------


@require_safe
def matrix_page(request):
    form = matrix.MatrixForm(request.GET)
    group, tag = form.selection()
    grid = matrix.actor_event_matrix(group=group, tag=tag, now=timezone.now())
    if form.cleaned_data.get("format") == "csv" or request.GET.get("format"):
        if form.errors:
            return _bad_request(form.error_messages_list(), as_json=False)
        body = matrix.matrix_csv(grid, generated_at=timezone.now(), base_url=_base(request),
                                 layout=form.cleaned_data.get("layout") or "")
        response = HttpResponse(body, content_type="text/csv; charset=utf-8")
        name = "-".join(filter(None, ["matrix", group and group.slug, tag and tag.slug,
                                      _stamp()]))
        response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
        return response
    return render_page_or_fragment(request, "research/matrix.html",
                                   {"form": form, "matrix": grid}, fragment="grid")


@require_safe
def matrix_cell(request, event_slug, actor_slug):
    event = get_object_or_404(Event.objects.published(), slug=event_slug)
    actor = get_object_or_404(Actor, slug=actor_slug)
    now = timezone.now()
    detail = matrix.cell_detail(event=event, actor=actor, now=now)
    if wants_fragment(request):
        return render_page_or_fragment(request, "research/matrix_cell.html",
                                       {"detail": detail}, fragment="cell")
    # The cell's own URL is its permalink: the grid it was opened from (same group and
    # topic), with this cell open beside it.
    form = matrix.MatrixForm(request.GET)
    group, tag = form.selection()
    grid = matrix.actor_event_matrix(group=group, tag=tag, now=now)
    return render_page_or_fragment(request, "research/matrix.html",
                                   {"form": form, "matrix": grid, "detail": detail},
                                   fragment=None)


# --- alerts -------------------------------------------------------------------------


@login_required
def alert_list(request):
    if request.method == "POST":
        form = alerts.SubscriptionForm(request.POST, user=request.user)
        if form.is_valid():
            subscription = alerts.subscribe(user=request.user, form=form)
            messages.success(request, f"Subscribed: {subscription.describe()}.")
            return redirect("alerts")
    elif request.method in ("GET", "HEAD"):
        # "Alert me" on an actor's or an event's page arrives with it chosen.
        initial = {
            "actor": Actor.objects.filter(slug=request.GET.get("actor", "")).first(),
            "event": Event.objects.published().filter(slug=request.GET.get("event", "")).first(),
        }
        form = alerts.SubscriptionForm(user=request.user,
                                       initial={k: v for k, v in initial.items() if v})
    else:
        return HttpResponse(status=405, headers={"Allow": "GET, HEAD, POST"})
    return render(request, "research/alerts.html", {
        "form": form,
        "subscriptions": alerts.user_subscriptions(request.user),
        "alerts": alerts.user_alerts(request.user),
        "feed_token": alerts.feed_token(request.user),
    })


@login_required
@require_POST
def alert_feed_rotate(request):
    alerts.rotate_feed_token(request.user)
    messages.success(request, "Your feed has a new address; the old one no longer works.")
    return redirect("alerts")


@login_required
@require_POST
def alert_delete(request, pk):
    subscription = get_object_or_404(Subscription, pk=pk, user=request.user)
    description = subscription.describe()
    subscription.delete()
    messages.success(request, f"Unsubscribed: {description}.")
    return redirect("alerts")


@login_required
@require_POST
def alert_toggle(request, pk):
    subscription = get_object_or_404(Subscription, pk=pk, user=request.user)
    subscription.active = not subscription.active
    subscription.save(update_fields=["active"])
    state = "Resumed" if subscription.active else "Paused"
    messages.success(request, f"{state}: {subscription.describe()}.")
    return redirect("alerts")
