"""The read-only JSON API under /api/: events, actors and statements.

Every list is filtered by validated GET parameters (a bad one is a 400 with
the reasons, never a silently unfiltered answer) and paginated by `limit` and
`offset`, with `count`, `next` and `previous` as in most JSON APIs. Times are
ISO 8601 in UTC. Statuses are the ones of DESIGN.md, derived at request time.
The documentation is the /api/ page (templates/research/api.html); the
timeline of one event keeps its own fixed contract at
/api/events/<slug>/timeline.json.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, time, timedelta
from urllib.parse import urlencode

from django import forms
from django.db.models import Prefetch, Q, QuerySet
from django.http import JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_safe

from actors.models import Actor, ActorGroup, Role
from statements.models import Event, EventLink, Source, Statement, Tag
from statements.research.matrix import record_summary
from statements.research.search import SearchForm, iso_utc, search_statements, statement_row
from statements.responses.statuses import STATUSES, responses_for_events
from statements.timeline.selector import actor_record, hours_between

DEFAULT_LIMIT = 50
MAX_LIMIT = 200


# --- plumbing ------------------------------------------------------------------------


class PageForm(forms.Form):
    limit = forms.IntegerField(min_value=1, max_value=MAX_LIMIT, required=False,
                               error_messages={"invalid": "limit must be a whole number.",
                                               "min_value": "limit must be at least 1.",
                                               "max_value": f"limit is at most {MAX_LIMIT}."})
    offset = forms.IntegerField(min_value=0, required=False,
                                error_messages={"invalid": "offset must be a whole number.",
                                                "min_value": "offset cannot be negative."})


def _json(data, status=200) -> JsonResponse:
    return JsonResponse(data, status=status, json_dumps_params={"ensure_ascii": False})


def _errors(*forms_) -> JsonResponse:
    errors = {}
    for form in forms_:
        for name, messages in form.errors.items():
            param = getattr(form, "PARAM_NAMES", {}).get(name, name)
            errors[param] = list(messages)
    return _json({"errors": errors}, status=400)


def _not_found(what: str) -> JsonResponse:
    return _json({"errors": {"detail": [f"There is no {what}."]}}, status=404)


def _base(request) -> str:
    return request.build_absolute_uri("/").rstrip("/")


def _page(request, queryset: QuerySet, page: PageForm, serialise: Callable[[list], list]):
    """`count`, `next`, `previous` and the serialised `results` of one page."""
    limit = page.cleaned_data.get("limit") or DEFAULT_LIMIT
    offset = page.cleaned_data.get("offset") or 0
    count = queryset.count()
    items = list(queryset[offset:offset + limit])

    def link(new_offset: int) -> str:
        params = request.GET.copy()
        params["limit"] = str(limit)
        params["offset"] = str(new_offset)
        return request.build_absolute_uri(request.path) + "?" + params.urlencode()

    return {
        "count": count,
        "limit": limit,
        "offset": offset,
        "next": link(offset + limit) if offset + limit < count else None,
        "previous": link(max(0, offset - limit)) if offset > 0 and count else None,
        "results": serialise(items),
    }


def _utc_midnight(day) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


# --- events ---------------------------------------------------------------------------


class EventFilterForm(forms.Form):
    PARAM_NAMES = {"date_from": "from", "date_to": "to"}

    tag = forms.ModelChoiceField(Tag.objects.all(), to_field_name="slug", required=False,
                                 error_messages={"invalid_choice": "There is no tag "
                                                 "“%(value)s”."})
    expected = forms.ModelChoiceField(
        Actor.objects.all(), to_field_name="slug", required=False,
        error_messages={"invalid_choice": "There is no actor “%(value)s”."})
    q = forms.CharField(max_length=200, required=False)
    date_from = forms.DateField(required=False, error_messages={
        "invalid": "from must be a date (YYYY-MM-DD)."})
    date_to = forms.DateField(required=False, error_messages={
        "invalid": "to must be a date (YYYY-MM-DD)."})

    def add_prefix(self, field_name):
        return self.PARAM_NAMES.get(field_name, field_name)

    def apply(self, events: QuerySet[Event]) -> QuerySet[Event]:
        data = self.cleaned_data
        if data.get("tag"):
            events = events.filter(tags=data["tag"])
        if data.get("expected"):
            actor = data["expected"]
            events = events.filter(Q(expected_actors=actor)
                                   | Q(expected_groups__members=actor)).distinct()
        if data.get("q"):
            events = events.filter(title__icontains=data["q"])
        if data.get("date_from"):
            events = events.filter(occurred_at__gte=_utc_midnight(data["date_from"]))
        if data.get("date_to"):
            events = events.filter(
                occurred_at__lt=_utc_midnight(data["date_to"] + timedelta(days=1)))
        return events


def event_json(event: Event, *, base: str, summary: dict | None = None) -> dict:
    data = {
        "slug": event.slug,
        "title": event.title,
        "occurred_at": iso_utc(event.occurred_at),
        "window_hours": event.window_hours,
        "window_ends_at": iso_utc(event.window_ends_at),
        "description": event.description,
        "tags": [tag.slug for tag in event.tags.all()],
        "url": base + event.get_absolute_url(),
        "timeline": base + reverse("event-timeline-json", args=[event.slug]),
        "feed": base + reverse("event-feed", args=[event.slug]),
    }
    if summary is not None:
        data["summary"] = summary
    return data


def _summaries(events: list[Event]) -> dict[int, dict]:
    """Counts of each status among each event's expected actors (one batched derivation)."""
    responses = responses_for_events(events=events, now=timezone.now())
    return {e.pk: {"expected": responses[e.pk].expected_count, **responses[e.pk].counts}
            for e in events}


@require_safe
def events(request):
    filters, page = EventFilterForm(request.GET), PageForm(request.GET)
    if not (filters.is_valid() & page.is_valid()):
        return _errors(filters, page)
    queryset = filters.apply(Event.objects.published()).prefetch_related("tags").order_by(
        "-occurred_at", "-id")
    base = _base(request)

    def serialise(items):
        summaries = _summaries(items)
        return [event_json(e, base=base, summary=summaries[e.pk]) for e in items]

    return _json(_page(request, queryset, page, serialise))


@require_safe
def event(request, slug):
    found = (Event.objects.published().prefetch_related("tags", "expected_actors",
                                                        "expected_groups")
             .filter(slug=slug).first())
    if found is None:
        return _not_found(f"event “{slug}”")
    data = event_json(found, base=_base(request), summary=_summaries([found])[found.pk])
    data["expected_actors"] = [a.slug for a in found.expected_actors.all()]
    data["expected_groups"] = [g.slug for g in found.expected_groups.all()]
    return _json(data)


# --- actors ---------------------------------------------------------------------------


class ActorFilterForm(forms.Form):
    kind = forms.ChoiceField(choices=[("", "any"), *Actor.Kind.choices], required=False,
                             error_messages={"invalid_choice": "“%(value)s” is not a kind (use "
                                             + ", ".join(Actor.Kind.values) + ")."})
    country = forms.RegexField(regex=r"^[A-Za-z]{2}$", required=False, error_messages={
        "invalid": "country is a two-letter ISO 3166 code."})
    group = forms.ModelChoiceField(ActorGroup.objects.all(), to_field_name="slug",
                                   required=False, error_messages={
                                       "invalid_choice": "There is no group “%(value)s”."})
    parent = forms.ModelChoiceField(Actor.objects.all(), to_field_name="slug", required=False,
                                    error_messages={
                                        "invalid_choice": "There is no actor “%(value)s”."})
    q = forms.CharField(max_length=200, required=False)

    def apply(self, actors: QuerySet[Actor]) -> QuerySet[Actor]:
        data = self.cleaned_data
        if data.get("kind"):
            actors = actors.filter(kind=data["kind"])
        if data.get("country"):
            actors = actors.filter(country__iexact=data["country"])
        if data.get("group"):
            actors = actors.filter(groups=data["group"])
        if data.get("parent"):
            actors = actors.filter(parent=data["parent"])
        if data.get("q"):
            named = Q(name__icontains=data["q"]) | Q(aliases__text__icontains=data["q"])
            actors = actors.filter(pk__in=Actor.objects.filter(named).values("pk"))
        return actors


def actor_json(actor: Actor, *, base: str) -> dict:
    return {
        "slug": actor.slug,
        "name": actor.name,
        "kind": actor.kind,
        "country": actor.country,
        "parent": actor.parent.slug if actor.parent_id else None,
        "wikidata_id": actor.wikidata_id or None,
        "is_active": actor.is_active,
        "aliases": [{"text": a.text, "lang": a.lang} for a in actor.aliases.all()],
        "groups": [g.slug for g in actor.groups.all()],
        "url": base + actor.get_absolute_url(),
        "feed": base + reverse("actor-feed", args=[actor.slug]),
    }


@require_safe
def actors(request):
    filters, page = ActorFilterForm(request.GET), PageForm(request.GET)
    if not (filters.is_valid() & page.is_valid()):
        return _errors(filters, page)
    queryset = (filters.apply(Actor.objects.all()).select_related("parent")
                .prefetch_related("aliases", "groups").order_by("name", "pk"))
    base = _base(request)
    return _json(_page(request, queryset, page,
                       lambda items: [actor_json(a, base=base) for a in items]))


@require_safe
def actor(request, slug):
    found = (Actor.objects.select_related("parent")
             .prefetch_related("aliases", "groups", "members", "speaks_for", "spokespeople",
                               "sources", Prefetch("roles",
                                                   Role.objects.select_related("institution")))
             .filter(slug=slug).first())
    if found is None:
        return _not_found(f"actor “{slug}”")
    record = actor_record(actor=found, now=timezone.now(), limit=100)
    summary = record_summary(record)
    data = actor_json(found, base=_base(request))
    data.update({
        "description": found.description,
        "members": [m.slug for m in found.members.all()],
        "speaks_for": [a.slug for a in found.speaks_for.all()],
        "spokespeople": [a.slug for a in found.spokespeople.all()],
        "roles": [
            {"title": r.title, "institution": r.institution.slug if r.institution_id else None,
             "started_on": r.started_on.isoformat() if r.started_on else None,
             "ended_on": r.ended_on.isoformat() if r.ended_on else None,
             "is_spokesperson": r.is_spokesperson}
            for r in found.roles.all()
        ],
        "sources": [_source_json(s) for s in found.sources.all()],
        "record_summary": {
            "expected_closed": summary.expected,
            "answered": summary.answered,
            "response_rate_percent": summary.response_rate,
            "median_latency_hours": summary.median_latency_hours,
        },
        "record": [
            {"event": row.event.slug, "occurred_at": iso_utc(row.event.occurred_at),
             "expected": row.responder.expected, "status": row.responder.status,
             "first_statement_at": iso_utc(row.responder.first_statement_at),
             "latency_hours": row.latency_hours,
             "through": row.responder.through.slug if row.responder.through else None,
             "stance": row.responder.link.stance if row.responder.link else None,
             "intensity": row.responder.link.intensity if row.responder.link else None,
             "statement_id": row.responder.link.statement_id if row.responder.link else None}
            for row in record
        ],
    })
    return _json(data)


def _source_json(source: Source) -> dict:
    return {
        "title": source.title, "url": source.url, "language": source.language,
        "is_active": source.is_active, "is_partial": source.is_partial,
        "last_success_at": iso_utc(source.last_success_at),
        "last_attempt_at": iso_utc(source.last_attempt_at),
        "consecutive_failures": source.consecutive_failures,
    }


# --- statements -----------------------------------------------------------------------


@require_safe
def statements(request):
    filters, page = SearchForm(request.GET), PageForm(request.GET)
    if not (filters.is_valid() & page.is_valid()):
        return _errors(filters, page)
    search = search_statements(filters=filters.filters())
    base = _base(request)

    def serialise(items):
        rows = []
        for statement in items:
            row = statement_row(statement, base_url=base)
            rank = getattr(statement, "rank", None)
            row["rank"] = None if rank is None else round(float(rank), 6)
            rows.append(row)
        return rows

    data = _page(request, search.queryset, page, serialise)
    data["names_widened"] = {t.typed: list(t.widened) for t in search.widened_terms}
    return _json(data)


@require_safe
def statement(request, pk):
    found = (Statement.objects.select_related("actor", "source")
             .prefetch_related(Prefetch(
                 "links", EventLink.objects.filter(event__is_published=True)
                 .select_related("event").order_by("event__occurred_at")))
             .defer("raw", "search_vector").filter(pk=pk).first())
    if found is None:
        return _not_found(f"statement {pk}")
    data = statement_row(found, base_url=_base(request))
    data.update({
        "body_text": found.body_text,
        "published_at_estimated": found.published_at_estimated,
        "fetched_at": iso_utc(found.fetched_at),
        "is_manual": found.is_manual,
        "events": [
            {"slug": link.event.slug, "link_status": link.status, "method": link.method,
             "stance": link.stance, "intensity": link.intensity, "cues": link.cues,
             "matched_terms": link.matched_terms,
             "offset_hours": hours_between(link.event.occurred_at, found.published_at)}
            for link in found.links.all()
        ],
    })
    return _json(data)


# --- the documentation ------------------------------------------------------------------


@require_safe
def docs(request):
    example = Event.objects.published().order_by("-occurred_at").first()
    return render(request, "research/api.html", {
        "base": _base(request),
        "example_event": example,
        "statuses": STATUSES,
        "max_limit": MAX_LIMIT,
        "default_limit": DEFAULT_LIMIT,
        "actor_kinds": Actor.Kind.values,
        "query_example": urlencode({"q": "Maduro", "language": "ru", "limit": 10}),
    })
