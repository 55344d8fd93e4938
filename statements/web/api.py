"""The read-only JSON API under /api/: events, actors, statements and the timeline contract.

Built on django-ninja: each operation declares its response schemas (pydantic
models), and the OpenAPI document at /api/openapi.json and the interactive
documentation at /api/docs (Swagger UI from django-ninja's own static files,
never a CDN) are generated from them. The hand-written guide with examples
stays at /api/ (templates/research/api.html).

What the documentation promises, the code does:
- Query parameters are validated by Django forms (the same forms as the pages,
  so a filter means the same thing everywhere); their OpenAPI description is
  generated from those forms, so the two cannot drift apart.
- A parameter the endpoint does not know is a 400, never silently ignored.
- Every error, whatever its cause (bad parameter, unknown slug, bad path), is
  `{"errors": {"<parameter or detail>": ["message", ...]}}` with status 400 or 404.
- Lists are paginated by `limit` and `offset` with `count`, `next` and
  `previous`; an offset beyond MAX_OFFSET is a 400, not a database error.
- Times are ISO 8601 in UTC; statuses are those of DESIGN.md, derived at request time.
- Response schemas allow added fields (DESIGN.md: fields may be added, never
  renamed or removed), so a field added by a serialiser reaches the client.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime, time, timedelta
from functools import wraps
from typing import Any, Literal
from urllib.parse import urlencode

from django import forms
from django.db.models import Prefetch, Q, QuerySet
from django.http import Http404, HttpRequest, JsonResponse
from django.shortcuts import render
from django.urls import path, re_path, reverse
from django.utils import timezone
from django.views.decorators.http import require_safe
from ninja import NinjaAPI, Schema
from ninja import Path as PathParam
from ninja.errors import HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.openapi.docs import Swagger
from ninja.renderers import JSONRenderer
from pydantic import BaseModel, ConfigDict, Field

from actors.models import Actor, ActorGroup, Role
from statements.models import Event, EventLink, Source, Statement, Tag
from statements.research import exports
from statements.research.matrix import record_summary
from statements.research.search import SearchForm, iso_utc, search_statements, statement_row
from statements.responses.statuses import STATUSES, responses_for_events
from statements.timeline.selector import actor_record, event_timeline, hours_between
from statements.web.forms.timeline import TimelineFilterForm

DEFAULT_LIMIT = 50
MAX_LIMIT = 200
# Far beyond any list this API serves, and far below what makes PostgreSQL's
# OFFSET overflow: a larger offset is a mistake worth a 400.
MAX_OFFSET = 1_000_000
SLUG_PATTERN = r"^[-a-zA-Z0-9_]+$"
# The largest id PostgreSQL's bigint holds; a larger one cannot exist.
MAX_ID = 2**63 - 1


# --- errors: one shape for every failure -------------------------------------------


class ApiError(Exception):
    """An answer other than 200: `{"errors": {name: [messages]}}` with this status."""

    def __init__(self, status: int, errors: dict[str, list[str]]):
        super().__init__(errors)
        self.status = status
        self.errors = errors


def _not_found(what: str) -> ApiError:
    return ApiError(404, {"detail": [f"There is no {what}."]})


class ErrorOut(Schema):
    errors: dict[str, list[str]] = Field(
        description="What is wrong, by parameter name; `detail` for the request as a whole.",
        examples=[{"limit": ["limit is at most 200."]}])


ERRORS = {400: ErrorOut, 404: ErrorOut}


# --- the API object ------------------------------------------------------------------


class _Renderer(JSONRenderer):
    json_dumps_params = {"ensure_ascii": False}


class _LocalSwagger(Swagger):
    """Swagger UI from django-ninja's static files ("ninja" is in INSTALLED_APPS), pointed
    at our un-namespaced URL names."""

    def get_openapi_url(self, api, path_params):
        return reverse("api-openapi")


class _ReadAPI(NinjaAPI):
    def get_content_type(self) -> str:
        return "application/json"  # as JsonResponse always said; JSON is UTF-8 by definition

    def get_root_path(self, path_params) -> str:
        return reverse("api-docs")


api = _ReadAPI(
    title="Statement tracker read API",
    version="1",
    description="Who spoke, who stayed silent, and when. Read-only; no key needed while "
                "reading is public. The guide with examples is at /api/.",
    renderer=_Renderer(),
    # No validator badge: Swagger UI would fetch it from validator.swagger.io.
    docs=_LocalSwagger(settings={"validatorUrl": None}),
    urls_namespace="statement-tracker-api",
)


@api.exception_handler(ApiError)
def _api_error(request, exc: ApiError):
    return api.create_response(request, {"errors": exc.errors}, status=exc.status)


@api.exception_handler(NinjaValidationError)
def _invalid_path(request, exc: NinjaValidationError):
    """A path value of the wrong type (`/api/statements/abc/`): nothing by that address."""
    return api.create_response(
        request, {"errors": {"detail": ["There is nothing at this address."]}}, status=404)


@api.exception_handler(HttpError)
def _http_error(request, exc: HttpError):
    """ninja's own refusals (throttling, authentication), in the API's one shape."""
    return api.create_response(request, {"errors": {"detail": [str(exc)]}},
                               status=exc.status_code)


@api.exception_handler(Http404)
def _http_404(request, exc):
    return api.create_response(request, {"errors": {"detail": [str(exc) or "Not found."]}},
                               status=404)


# --- query parameters: validated by forms, documented from the same forms -----------


class PageForm(forms.Form):
    limit = forms.IntegerField(
        min_value=1, max_value=MAX_LIMIT, required=False,
        help_text=f"Items per page (default {DEFAULT_LIMIT}).",
        error_messages={"invalid": "limit must be a whole number.",
                        "min_value": "limit must be at least 1.",
                        "max_value": f"limit is at most {MAX_LIMIT}."})
    offset = forms.IntegerField(
        min_value=0, max_value=MAX_OFFSET, required=False,
        help_text="Items to skip (default 0).",
        error_messages={"invalid": "offset must be a whole number.",
                        "min_value": "offset cannot be negative.",
                        "max_value": f"offset is at most {MAX_OFFSET:,}."})


def _param_names(form_class: type[forms.Form]) -> dict[str, str]:
    """Field name → URL parameter name ("date_from" is "from" in the URL)."""
    names = getattr(form_class, "PARAM_NAMES", {})
    return {field: names.get(field, field) for field in form_class.base_fields}


def _field_schema(field: forms.Field) -> dict[str, Any]:
    if isinstance(field, forms.ModelChoiceField):
        if getattr(field, "to_field_name", None) == "slug":
            return {"type": "string", "pattern": SLUG_PATTERN, "maxLength": 100}
        return {"type": "integer", "minimum": 1, "maximum": MAX_ID}
    if isinstance(field, forms.IntegerField):
        schema: dict[str, Any] = {"type": "integer"}
        if field.min_value is not None:
            schema["minimum"] = field.min_value
        if field.max_value is not None:
            schema["maximum"] = field.max_value
        return schema
    if isinstance(field, forms.DateField):
        return {"type": "string", "format": "date"}
    if isinstance(field, forms.ChoiceField):
        values = [str(value) for value, _label in field.choices if value != ""]
        # Choices filled in per request (a source's languages) are documented as text.
        return {"type": "string", "enum": values} if values else {"type": "string"}
    if isinstance(field, forms.RegexField):
        return {"type": "string", "pattern": field.regex.pattern}
    schema = {"type": "string"}
    if getattr(field, "max_length", None):
        schema["maxLength"] = field.max_length
    return schema


def _query_parameters(*form_classes: type[forms.Form], skip: Iterable[str] = (),
                      docs: dict[str, str] | None = None) -> list[dict[str, Any]]:
    """The OpenAPI `parameters` of an operation, read from the forms that validate them."""
    docs = docs or {}
    parameters = []
    for form_class in form_classes:
        for field_name, param in _param_names(form_class).items():
            if param in skip:
                continue
            field = form_class.base_fields[field_name]
            parameters.append({
                "name": param, "in": "query", "required": False,
                # As in an HTML form, an empty value is no filter at all.
                "allowEmptyValue": True,
                "description": docs.get(param) or str(field.help_text or field.label or ""),
                "schema": _field_schema(field),
            })
    return parameters


def _bind(request: HttpRequest, *form_classes: type[forms.Form],
          skip: Iterable[str] = ()) -> list[forms.Form]:
    """Bound, valid forms for the request's query string; otherwise ApiError(400).

    A parameter none of the forms knows (or one in `skip`, which the pages take
    but the API does not) is an error, so a typo never returns unfiltered data.
    """
    skip = set(skip)
    known = {param for form_class in form_classes
             for param in _param_names(form_class).values()} - skip
    errors: dict[str, list[str]] = {}
    for param in request.GET:
        if param not in known:
            errors[param] = [f"“{param}” is not a parameter of this endpoint (use one of: "
                             + ", ".join(sorted(known)) + ")."]
    bound = [form_class(request.GET) for form_class in form_classes]
    for form in bound:
        if not form.is_valid():
            names = _param_names(type(form))
            for name, messages in form.errors.items():
                errors.setdefault(names.get(name, "detail"), []).extend(messages)
    if errors:
        raise ApiError(400, errors)
    return bound


def _base(request) -> str:
    return request.build_absolute_uri("/").rstrip("/")


def _page(request, queryset: QuerySet, page: PageForm, serialise: Callable[[list], list]):
    """`count`, `limit`, `offset`, `next`, `previous` and the serialised `results`."""
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


def _utc_midnight(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def _day_after(day: date) -> datetime | None:
    """Midnight after `day`, or None for the last day the calendar has (no upper bound)."""
    return None if day == date.max else _utc_midnight(day + timedelta(days=1))


# --- response schemas ------------------------------------------------------------------


class Out(BaseModel):
    # DESIGN.md: fields may be added, never renamed or removed. Extra keys that a
    # serialiser adds pass through (and the OpenAPI document says so). A plain
    # pydantic model, not ninja.Schema: that one reads attributes and drops extras.
    model_config = ConfigDict(extra="allow")


def _time():
    return Field(json_schema_extra={"format": "date-time"},
                 description="ISO 8601 in UTC, to the second (`2026-01-03T06:00:00Z`).")


Status = Literal[tuple(STATUSES)]
Kind = Literal[tuple(Actor.Kind.values)]


class Page(Out):
    count: int = Field(description="Items matching the filters, on every page.")
    limit: int
    offset: int
    next: str | None = Field(description="The next page's URL, null on the last page.")
    previous: str | None = Field(description="The previous page's URL, null on the first.")


class EventSummaryOut(Out):
    expected: int
    responded: int
    via_proxy: int
    responded_late: int
    pending: int
    silent: int
    no_coverage: int


class EventOut(Out):
    slug: str
    title: str
    occurred_at: str = _time()
    window_hours: int
    window_ends_at: str = _time()
    description: str
    tags: list[str]
    url: str
    timeline: str
    feed: str
    summary: EventSummaryOut


class EventDetailOut(EventOut):
    expected_actors: list[str]
    expected_groups: list[str]


class EventPage(Page):
    results: list[EventOut]


class AliasOut(Out):
    text: str
    lang: str


class ActorOut(Out):
    slug: str
    name: str
    kind: Kind
    country: str = Field(description="ISO 3166 alpha-2, or empty for international bodies.")
    parent: str | None
    wikidata_id: str | None
    is_active: bool
    aliases: list[AliasOut]
    groups: list[str]
    url: str
    feed: str


class RoleOut(Out):
    title: str
    institution: str | None
    started_on: str | None = Field(json_schema_extra={"format": "date"})
    ended_on: str | None = Field(json_schema_extra={"format": "date"})
    is_spokesperson: bool


class SourceOut(Out):
    title: str
    url: str
    language: str
    is_active: bool
    is_partial: bool
    last_success_at: str | None = _time()
    last_attempt_at: str | None = _time()
    consecutive_failures: int


class RecordSummaryOut(Out):
    expected_closed: int
    answered: int
    response_rate_percent: int | None
    median_latency_hours: float | None


class IntervalOut(Out):
    start: str = _time()
    end: str = _time()


class EvidenceSourceOut(Out):
    title: str
    url: str
    partial: bool
    covers: bool = Field(description="Whether this feed vouches for the whole window.")
    intervals: list[IntervalOut] = Field(description="What the feed covered in the window.")
    gaps: list[IntervalOut]
    reason: str | None = Field(description="Why the feed does not vouch, when it does not.")


class DecisionOut(Out):
    decision: str
    by: str | None
    at: str | None = _time()
    note: str


class InsteadOut(Out):
    id: int
    actor: str | None
    published_at: str = _time()
    title: str
    url: str
    source: str | None
    permalink: str


class EvidenceOut(Out):
    """What a `silent` or `no_coverage` status rests on, so that it can be checked."""

    sources: list[EvidenceSourceOut]
    decision: DecisionOut | None = Field(description="An editor's decision that still holds.")
    published_in_window: list[InsteadOut] = Field(
        description="What the actor (and its voices) published in the window instead.")


Standing = Literal["confirmed", "suggested", "decision"]


class RecordRowOut(Out):
    event: str
    occurred_at: str = _time()
    expected: bool
    status: Status
    first_statement_at: str | None = _time()
    latency_hours: float | None
    through: str | None
    stance: str | None
    intensity: int | None
    statement_id: int | None
    standing: Standing
    evidence: EvidenceOut | None = Field(description="For `silent` and `no_coverage`.")


class ActorDetailOut(ActorOut):
    description: str
    members: list[str]
    speaks_for: list[str]
    spokespeople: list[str]
    roles: list[RoleOut]
    sources: list[SourceOut]
    record_summary: RecordSummaryOut
    record: list[RecordRowOut]


class ActorPage(Page):
    results: list[ActorOut]


class ActorRef(Out):
    slug: str
    name: str


class SourceRef(Out):
    title: str
    url: str


class LinkOut(Out):
    slug: str
    link_status: str
    stance: str
    intensity: int


class StatementOut(Out):
    id: int
    published_at: str = _time()
    actor: ActorRef | None
    title: str
    url: str
    source: SourceRef | None
    language: str
    attribution: str
    events: list[LinkOut]
    permalink: str = Field(description="This statement's page here, for citation.")


class RankedStatementOut(StatementOut):
    rank: float | None = Field(description="Relevance to `q`; null without words.")


class StatementPage(Page):
    results: list[RankedStatementOut]
    names_widened: dict[str, list[str]] = Field(
        description="Each name typed in `q` and the aliases it was widened to.")


class LinkDetailOut(LinkOut):
    method: str
    cues: list[str]
    matched_terms: list[str]
    offset_hours: float


class StatementDetailOut(StatementOut):
    body_text: str
    published_at_estimated: bool
    fetched_at: str | None = _time()
    is_manual: bool
    events: list[LinkDetailOut]


# The timeline contract of DESIGN.md: these fields are fixed; others may be added.

class TimelineEventOut(Out):
    slug: str
    title: str
    occurred_at: str = _time()
    window_hours: int
    window_ends_at: str = _time()


class TimelineActorOut(Out):
    slug: str
    name: str
    kind: Kind


class TimelineResponderOut(Out):
    actor: TimelineActorOut
    expected: bool
    status: Status
    first_statement_at: str | None = _time()
    latency_hours: float | None
    through: str | None
    statement_count: int
    # Added to the contract (DESIGN.md "added fields to come").
    standing: Standing | None = None
    evidence: EvidenceOut | None = Field(None, description="For `silent` and `no_coverage`: "
                                                           "the sources and their intervals.")


class TimelineStatementOut(Out):
    id: int
    actor: str | None
    published_at: str = _time()
    offset_hours: float
    title: str
    url: str
    source: str | None
    link_status: str
    stance: str
    intensity: int


class TimelineOut(Out):
    event: TimelineEventOut
    responders: list[TimelineResponderOut]
    statements: list[TimelineStatementOut]


def _slug():
    return PathParam(..., pattern=SLUG_PATTERN, max_length=100)


# --- events ---------------------------------------------------------------------------


class EventFilterForm(forms.Form):
    PARAM_NAMES = {"date_from": "from", "date_to": "to"}

    tag = forms.ModelChoiceField(Tag.objects.all(), to_field_name="slug", required=False,
                                 help_text="Events with this tag (slug).",
                                 error_messages={"invalid_choice": "There is no tag "
                                                 "“%(value)s”."})
    expected = forms.ModelChoiceField(
        Actor.objects.all(), to_field_name="slug", required=False,
        help_text="Events this actor (slug) was expected to answer, directly or in a group.",
        error_messages={"invalid_choice": "There is no actor “%(value)s”."})
    q = forms.CharField(max_length=200, required=False, help_text="Words in the title.")
    date_from = forms.DateField(required=False, help_text="T0 on or after this day (UTC).",
                                error_messages={"invalid": "from must be a date (YYYY-MM-DD)."})
    date_to = forms.DateField(required=False, help_text="T0 on or before this day (UTC).",
                              error_messages={"invalid": "to must be a date (YYYY-MM-DD)."})

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
        if data.get("date_to") and (end := _day_after(data["date_to"])) is not None:
            events = events.filter(occurred_at__lt=end)
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


@api.get("/events/", response={200: EventPage, **ERRORS}, url_name="api-events",
         tags=["events"], summary="Published events, newest first",
         openapi_extra={"parameters": _query_parameters(EventFilterForm, PageForm)})
def events(request):
    filters, page = _bind(request, EventFilterForm, PageForm)
    queryset = filters.apply(Event.objects.published()).prefetch_related("tags").order_by(
        "-occurred_at", "-id")
    base = _base(request)

    def serialise(items):
        summaries = _summaries(items)
        return [event_json(e, base=base, summary=summaries[e.pk]) for e in items]

    return _page(request, queryset, page, serialise)


@api.get("/events/{slug:slug}/", response={200: EventDetailOut, **ERRORS},
         url_name="api-event", tags=["events"], summary="One event and whom it expected")
def event(request, slug: str = _slug()):
    _bind(request)
    found = (Event.objects.published().prefetch_related("tags", "expected_actors",
                                                        "expected_groups")
             .filter(slug=slug).first())
    if found is None:
        raise _not_found(f"event “{slug}”")
    data = event_json(found, base=_base(request), summary=_summaries([found])[found.pk])
    data["expected_actors"] = [a.slug for a in found.expected_actors.all()]
    data["expected_groups"] = [g.slug for g in found.expected_groups.all()]
    return data


@api.get("/events/{slug:slug}/timeline.json", response={200: TimelineOut, **ERRORS},
         url_name="event-timeline-json", tags=["events"],
         summary="The timeline: the stable contract of DESIGN.md",
         description="Every responder with its status, first statement, latency and "
                     "`through`, and every linked statement with its offset from T0. "
                     "The fields shown are fixed; fields may be added, never renamed.",
         openapi_extra={"parameters": _query_parameters(TimelineFilterForm)})
def timeline(request, slug: str = _slug()):
    found = Event.objects.published().filter(slug=slug).first()
    if found is None:
        raise _not_found(f"event “{slug}”")
    (form,) = _bind(request, TimelineFilterForm)
    timeline = event_timeline(event=found, now=timezone.now(), filters=form.filters())
    return exports.timeline_json(timeline, base_url=_base(request))


# --- actors ---------------------------------------------------------------------------


class ActorFilterForm(forms.Form):
    kind = forms.ChoiceField(choices=[("", "any"), *Actor.Kind.choices], required=False,
                             help_text="The kind of actor.",
                             error_messages={"invalid_choice": "“%(value)s” is not a kind (use "
                                             + ", ".join(Actor.Kind.values) + ")."})
    country = forms.RegexField(regex=r"^[A-Za-z]{2}$", required=False,
                               help_text="ISO 3166 alpha-2 code, any case.",
                               error_messages={
                                   "invalid": "country is a two-letter ISO 3166 code."})
    group = forms.ModelChoiceField(ActorGroup.objects.all(), to_field_name="slug",
                                   required=False, help_text="Members of a group (slug).",
                                   error_messages={
                                       "invalid_choice": "There is no group “%(value)s”."})
    parent = forms.ModelChoiceField(Actor.objects.all(), to_field_name="slug", required=False,
                                    help_text="Direct members of an actor (slug).",
                                    error_messages={
                                        "invalid_choice": "There is no actor “%(value)s”."})
    q = forms.CharField(max_length=200, required=False,
                        help_text="Words in the name or an alias, any language.")

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


@api.get("/actors/", response={200: ActorPage, **ERRORS}, url_name="api-actors",
         tags=["actors"], summary="Actors by name, with aliases and groups",
         openapi_extra={"parameters": _query_parameters(ActorFilterForm, PageForm)})
def actors(request):
    filters, page = _bind(request, ActorFilterForm, PageForm)
    queryset = (filters.apply(Actor.objects.all()).select_related("parent")
                .prefetch_related("aliases", "groups").order_by("name", "pk"))
    base = _base(request)
    return _page(request, queryset, page,
                 lambda items: [actor_json(a, base=base) for a in items])


@api.get("/actors/{slug:slug}/", response={200: ActorDetailOut, **ERRORS},
         url_name="api-actor", tags=["actors"],
         summary="One actor, its roles and sources, and its record across events")
def actor(request, slug: str = _slug()):
    _bind(request)
    found = (Actor.objects.select_related("parent")
             .prefetch_related("aliases", "groups", "members", "speaks_for", "spokespeople",
                               "sources", Prefetch("roles",
                                                   Role.objects.select_related("institution")))
             .filter(slug=slug).first())
    if found is None:
        raise _not_found(f"actor “{slug}”")
    record = actor_record(actor=found, now=timezone.now(), limit=100)
    summary = record_summary(record)
    base = _base(request)
    data = actor_json(found, base=base)
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
             "statement_id": row.responder.link.statement_id if row.responder.link else None,
             "standing": row.responder.standing,
             "evidence": exports.evidence_json(row.responder, base_url=base)}
            for row in record
        ],
    })
    return data


def _source_json(source: Source) -> dict:
    return {
        "title": source.title, "url": source.url, "language": source.language,
        "is_active": source.is_active, "is_partial": source.is_partial,
        "last_success_at": iso_utc(source.last_success_at),
        "last_attempt_at": iso_utc(source.last_attempt_at),
        "consecutive_failures": source.consecutive_failures,
    }


# --- statements -----------------------------------------------------------------------

# The search page's parameters that make no sense here (the API pages by limit/offset
# and is JSON already).
SEARCH_PAGE_ONLY = ("page", "format")
SEARCH_DOCS = {
    "q": "Words, in English or Russian, inflected or not; \"a phrase\", `or` and `-word` "
         "work as in web search. An actor's name is searched by all its aliases "
         "(`names_widened` says which) unless `names=typed`.",
    "actor": "Statements by an actor (slug) and everyone under it.",
    "group": "Statements by a group's members and everyone under them.",
    "source": "A source id.",
    "language": "A source language: `en`, `ru`, …",
    "from": "Published on or after this day (UTC).",
    "to": "Published on or before this day (UTC).",
    "event": "Linked to an event (slug), rejected links excluded.",
    "stance": "With a link of this stance (on `event`, if given).",
    "sort": "`newest` or `oldest` instead of best match.",
    "names": "`typed` to search names only as typed.",
}


@api.get("/statements/", response={200: StatementPage, **ERRORS}, url_name="api-statements",
         tags=["statements"], summary="The statement search, as data",
         openapi_extra={"parameters": _query_parameters(
             SearchForm, PageForm, skip=SEARCH_PAGE_ONLY, docs=SEARCH_DOCS)})
def statements(request):
    filters, page = _bind(request, SearchForm, PageForm, skip=SEARCH_PAGE_ONLY)
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
    return data


@api.get("/statements/{pk}/", response={200: StatementDetailOut, **ERRORS},
         url_name="api-statement", tags=["statements"],
         summary="One statement, its text and its event links")
def statement(request, pk: int = PathParam(..., ge=1, le=MAX_ID)):
    _bind(request)
    found = (Statement.objects.select_related("actor", "source")
             .prefetch_related(Prefetch(
                 "links", EventLink.objects.filter(event__is_published=True)
                 .select_related("event").order_by("event__occurred_at")))
             .defer("raw", "search_vector").filter(pk=pk).first())
    if found is None:
        raise _not_found(f"statement {pk}")
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
    return data


# --- the guide and the URLs -----------------------------------------------------------


@require_safe
def guide(request):
    example = Event.objects.published().order_by("-occurred_at").first()
    return render(request, "research/api.html", {
        "base": _base(request),
        "example_event": example,
        "statuses": STATUSES,
        "max_limit": MAX_LIMIT,
        "max_offset": f"{MAX_OFFSET:,}",
        "default_limit": DEFAULT_LIMIT,
        "actor_kinds": Actor.Kind.values,
        "query_example": urlencode({"q": "Maduro", "language": "ru", "limit": 10}),
    })


def _head_as_get(view):
    """HEAD answered as GET (HTTP says they differ only by the body, which the server
    drops), as the API's views did before ninja, whose GET operations refuse HEAD."""

    @wraps(view)
    def view_with_head(request, *args, **kwargs):
        if request.method == "HEAD":
            request.method = "GET"
        return view(request, *args, **kwargs)

    return view_with_head


def _named(patterns):
    """ninja's own names for the document and the docs page, made ours."""
    names = {"openapi-json": "api-openapi", "openapi-view": "api-swagger"}
    for pattern in patterns:
        if pattern.name == "api-root":
            continue  # /api/ is the guide
        pattern.name = names.get(pattern.name, pattern.name)
        pattern.callback = _head_as_get(pattern.callback)
        yield pattern


def nothing_here(request, rest=""):
    """Any other address under /api/ (a slug with a space in it…): the API's own 404."""
    return JsonResponse({"errors": {"detail": ["There is nothing at this address."]}},
                        status=404, json_dumps_params={"ensure_ascii": False})


# Mounted under "api/" by statements/web/urls.py. Names stay un-namespaced
# ("api-events", "event-timeline-json"), as templates and clients know them.
urlpatterns = [
    path("", guide, name="api-docs"),
    *_named(api.urls[0]),
    # Last, and only for paths ending in "/": "/api/events" still gets its slash added.
    re_path(r"^(?P<rest>[\s\S]*/)$", nothing_here, name="api-nothing-here"),
]
