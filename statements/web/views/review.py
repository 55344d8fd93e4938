"""The editors' pages and actions: resolve the object with its access check,
call one function of statements.editorial, render.

Every change is a POST checked against the role's permissions. An htmx request
gets back the fragment it swaps in place (templates/review/fragments.html,
the same fragments the pages render); any other request is redirected back to
the page it came from, so everything also works without JavaScript.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.html import format_html
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from statements.editorial import decisions as editorial
from statements.models import EventLink, Flag, SilenceReview, Statement
from statements.web.access import permission_required_for
from statements.web.forms.review import (
    BatchLinksForm,
    CloseFlagForm,
    ConfirmForm,
    FlagFilterForm,
    FlagForm,
    FoundResponseForm,
    LinkFilterForm,
    ManualStatementForm,
    ReasonForm,
    ReattributeForm,
    SilenceDecisionForm,
    StanceForm,
    ThrottledAuthenticationForm,
    UndoForm,
)
from statements.web.htmx import render_page_or_fragment, wants_fragment

FRAGMENTS = "review/fragments.html"
QUEUE = "review/queue.html"
# The queue's sections, by the id htmx targets when paging or filtering one.
QUEUE_SECTIONS = {"review-links": "links-section", "review-silences": "silences-section",
                  "review-flags": "flags-section", "review-manual": "manual-section"}


# --- login ------------------------------------------------------------------------------


class LoginView(auth_views.LoginView):
    form_class = ThrottledAuthenticationForm
    redirect_authenticated_user = True

    def form_invalid(self, form):
        response = super().form_invalid(form)
        if any(e.code == "throttled" for e in form.non_field_errors().as_data()):
            response.status_code = 429
        return response


login = LoginView.as_view()
logout = auth_views.LogoutView.as_view()


# --- helpers ------------------------------------------------------------------------------


def _next_url(request, default: str) -> str:
    """Where to send a non-htmx request after a change: back to its page, if that is ours."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                       require_https=request.is_secure()):
        return target
    return default


def _problem(request, message: str, *, status: int = 400, back: str = "") -> HttpResponse:
    return render(request, "review/problem.html",
                  {"message": message, "back": back or _next_url(request, reverse("review"))},
                  status=status)


def _fragment(request, name: str, context: dict, *, status: int = 200) -> HttpResponse:
    context.setdefault("next", _next_url(request, reverse("review")))
    return render(request, f"{FRAGMENTS}#{name}", context, status=status)


def _form_error(form) -> str:
    return " ".join(m for errors in form.errors.values() for m in errors)


def _decide(request, form, act, *, fragment: str, context: dict, anchor: str) -> HttpResponse:
    """Validate `form` and run `act(cleaned_data)`; answer htmx with the item's fragment
    (errors shown inside it), anything else with a redirect back, or the problem."""
    error = ""
    if not form.is_valid():
        error = _form_error(form)
    else:
        try:
            act(form.cleaned_data)
        except editorial.EditorialError as problem:
            error = str(problem)
    if request.htmx:
        return _fragment(request, fragment, {**context, "error": error})
    if error:
        return _problem(request, error, status=409 if form.is_valid() else 400)
    return redirect(_next_url(request, reverse("review") + anchor))


# --- the queue ------------------------------------------------------------------------------


@require_safe
@permission_required_for("statements.change_eventlink")
def queue(request):
    filter_form = FlagFilterForm(request.GET)
    link_filter_form = LinkFilterForm(request.GET)
    queue = editorial.review_queue(
        filters=filter_form.filters(),
        link_filters=link_filter_form.filters(),
        links_page=request.GET.get("links_page", 1),
        silences_page=request.GET.get("silences_page", 1),
        flags_page=request.GET.get("flags_page", 1),
        manual_page=request.GET.get("manual_page", 1),
    )
    context = {
        "queue": queue,
        "filter_form": filter_form,
        "link_filter_form": link_filter_form,
        "pagers": {
            "links": _page_urls(request, queue.links, "links_page"),
            "silences": _page_urls(request, queue.silences, "silences_page"),
            "flags": _page_urls(request, queue.flags, "flags_page"),
            "manual": _page_urls(request, queue.manual, "manual_page"),
        },
        "next": request.get_full_path(),
    }
    section = QUEUE_SECTIONS.get(request.htmx.target) if request.htmx else None
    return render_page_or_fragment(request, QUEUE, context, fragment=section,
                                   vary=("HX-Request", "HX-Target"))


def _page_urls(request, page, param: str) -> dict[str, str]:
    """Previous/next links of one section, keeping the other sections' pages and the filters."""

    def url(number: int) -> str:
        query = request.GET.copy()
        query[param] = str(number)
        return f"{reverse('review')}?{query.urlencode()}"

    return {"prev": url(page.previous_page_number()) if page.has_previous() else "",
            "next": url(page.next_page_number()) if page.has_next() else ""}


# --- links ----------------------------------------------------------------------------------


@require_POST
@permission_required_for("statements.change_eventlink")
def links_batch(request):
    """Confirm or reject a selection of suggested links at once."""
    form = BatchLinksForm(request.POST)
    if not form.is_valid():
        return _problem(request, _form_error(form), back=reverse("review") + "#review-links")
    try:
        done = editorial.decide_links(links=form.cleaned_data["link"],
                                      status=form.cleaned_data["action"], user=request.user)
    except editorial.EditorialError as error:
        return _problem(request, str(error), status=409, back=reverse("review"))
    messages.success(request, f"{done} link{'s' if done != 1 else ''} "
                     f"{form.cleaned_data['action']}.")
    return redirect(_next_url(request, reverse("review") + "#review-links"))


def _link(pk: int) -> EventLink:
    return get_object_or_404(EventLink.objects.select_related("event", "statement"), pk=pk)


def _link_done(request, link: EventLink, *, error: str = "", undo: bool = True):
    if request.htmx:
        return _fragment(request, "link-decision", {
            "link": link,
            "undo_version": editorial.version_before_last(link) if undo and not error else None,
            "error": error,
        })
    if error:
        return _problem(request, error)
    return redirect(_next_url(request, reverse("review")))


@require_POST
@permission_required_for("statements.change_eventlink")
def link_confirm(request, pk):
    link = _link(pk)
    editorial.confirm_link(link=link, user=request.user)
    return _link_done(request, link)


@require_POST
@permission_required_for("statements.change_eventlink")
def link_reject(request, pk):
    link = _link(pk)
    editorial.reject_link(link=link, user=request.user)
    return _link_done(request, link)


@require_POST
@permission_required_for("statements.change_eventlink")
def link_stance(request, pk):
    link = _link(pk)
    form = StanceForm(request.POST)
    if not form.is_valid():
        return _link_done(request, link, error=_form_error(form))
    editorial.set_stance(link=link, stance=form.cleaned_data["stance"],
                         intensity=form.cleaned_data["intensity"], user=request.user)
    return _link_done(request, link)


@require_POST
@permission_required_for("statements.change_eventlink")
def link_undo(request, pk):
    link = _link(pk)
    form = UndoForm(request.POST)
    if not form.is_valid():
        return _link_done(request, link, error="Nothing to undo.")
    try:
        editorial.undo_link_decision(link=link, user=request.user,
                                     version=form.cleaned_data["version"])
    except editorial.EditorialError as error:
        return _link_done(request, link, error=str(error))
    return _link_done(request, link, undo=False)


# --- flags ----------------------------------------------------------------------------------


def _flag_target_context(*, event, actor, statement) -> dict:
    """The notes shown where a flag was made: beside an actor on a timeline, or on a statement."""
    if statement is not None:
        return {"statement": statement, "event": event,
                "statement_flags": list(statement.flags.filter(status=Flag.Status.OPEN)
                                        .select_related("created_by"))}
    flags = list(Flag.objects.filter(event=event, actor=actor, statement__isnull=True,
                                     status=Flag.Status.OPEN).select_related("created_by"))
    notable = SilenceReview.objects.filter(
        event=event, actor=actor, decision=SilenceReview.Decision.NOTABLE).first()
    return {"event": event, "actor": actor, "flags": flags, "notable_silence": notable}


@require_POST
@permission_required_for("statements.add_flag")
def flag_create(request):
    form = FlagForm(request.POST)
    valid = form.is_valid()
    data = form.cleaned_data
    if valid:
        editorial.flag(kind=data["kind"], note=data["note"], user=request.user,
                       event=data["event"], actor=None if data["statement"] else data["actor"],
                       statement=data["statement"])
        if not request.htmx:
            return redirect(_next_url(request, reverse("review")))
    has_target = data.get("statement") or (data.get("event") and data.get("actor"))
    if not request.htmx or not has_target:
        return _problem(request, _form_error(form))
    context = _flag_target_context(event=data.get("event"), actor=data.get("actor"),
                                   statement=data.get("statement"))
    if valid:
        context["flagged"] = True
    else:
        context["flag_error"] = _form_error(form)
    return _fragment(request, _notes_fragment(context), context)


def _notes_fragment(context: dict) -> str:
    return "statement-notes" if context.get("statement") else "actor-notes"


def _queue_flags():
    return Flag.objects.select_related("event", "actor", "statement__actor", "created_by",
                                       "closed_by")


@require_POST
@permission_required_for("statements.change_flag")
def flag_close(request, pk):
    item = get_object_or_404(_queue_flags(), pk=pk)
    return _decide(
        request, CloseFlagForm(request.POST),
        lambda data: editorial.close_flag(flag=item, status=data["status"], note=data["note"],
                                          user=request.user),
        fragment="flag-item", context={"flag": item}, anchor="#review-flags",
    )


@require_POST
@permission_required_for("statements.change_flag")
def flag_reopen(request, pk):
    item = get_object_or_404(_queue_flags(), pk=pk)
    return _decide(
        request, ReasonForm(request.POST),
        lambda data: editorial.reopen_flag(flag=item, user=request.user, reason=data["reason"]),
        fragment="flag-item", context={"flag": item}, anchor="#review-flags",
    )


# --- silences --------------------------------------------------------------------------------


def _review(pk: int) -> SilenceReview:
    return get_object_or_404(SilenceReview.objects.select_related("event", "actor"), pk=pk)


@require_POST
@permission_required_for("statements.change_silencereview")
def silence_decide(request, pk):
    review = _review(pk)
    editorial.with_current_status([review])  # what the answer's fragment may offer
    return _decide(
        request, SilenceDecisionForm(request.POST),
        lambda data: editorial.decide_silence(review=review, decision=data["decision"],
                                              note=data["note"], user=request.user),
        fragment="silence-item", context={"review": review}, anchor="#review-silences",
    )


@require_POST
@permission_required_for("statements.change_silencereview")
def silence_undo(request, pk):
    review = _review(pk)

    def undo(data):
        editorial.undo_silence_decision(review=review, user=request.user, reason=data["reason"])
        editorial.with_current_status([review])

    return _decide(request, ReasonForm(request.POST), undo, fragment="silence-item",
                   context={"review": review}, anchor="#review-silences")


@require_http_methods(["GET", "HEAD", "POST"])
@permission_required_for("statements.change_silencereview", "statements.add_statement")
def silence_response(request, pk):
    """The form for a response found elsewhere, and its submission."""
    review = _review(pk)
    if review.decision != SilenceReview.Decision.PENDING:
        return _problem(request, "This silence was already reviewed: "
                        f"{review.get_decision_display().lower()}.", status=409,
                        back=reverse("review"))
    form = FoundResponseForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            statement = editorial.record_found_response(
                review=review, user=request.user, note=form.cleaned_data["note"],
                **form.statement_fields())
        except editorial.EditorialError as error:
            form.add_error(None, error_message(error))
        else:
            return redirect(statement.get_absolute_url())
    return render(request, "review/statement_form.html",
                  {"form": form, "review": review, "event": review.event, "actor": review.actor},
                  status=400 if form.is_bound else 200)


def error_message(error: editorial.EditorialError):
    if isinstance(error, editorial.DuplicateStatement):
        return format_html('{} <a href="{}">See statement {}</a>.', str(error),
                           error.existing.get_absolute_url(), error.existing.pk)
    return str(error)


# --- statements --------------------------------------------------------------------------------


@require_http_methods(["GET", "HEAD", "POST"])
@permission_required_for("statements.add_statement", "statements.add_eventlink")
def statement_create(request):
    """Add a statement by hand, linked to its event as confirmed."""
    if request.method == "POST":
        form = ManualStatementForm(request.POST)
    else:
        form = ManualStatementForm(initial={k: request.GET[k] for k in ("event", "actor")
                                            if k in request.GET})
    if form.is_bound and form.is_valid():
        try:
            statement = editorial.add_manual_statement(
                actor=form.cleaned_data["actor"], event=form.cleaned_data["event"],
                user=request.user, **form.statement_fields())
        except editorial.EditorialError as error:
            form.add_error(None, error_message(error))
        else:
            return redirect(statement.get_absolute_url())
    return render(request, "review/statement_form.html", {"form": form},
                  status=400 if form.is_bound else 200)


@require_http_methods(["GET", "HEAD", "POST"])
@permission_required_for("statements.change_statement")
def statement_reattribute(request, pk):
    """The re-attribution form (loaded into the statement page) and its submission."""
    statement = get_object_or_404(Statement.objects.select_related("actor"), pk=pk)
    if request.method == "POST":
        form = ReattributeForm(request.POST)
        if form.is_valid():
            editorial.reattribute(statement=statement, actor=form.cleaned_data["actor"],
                                  user=request.user)
            return redirect(statement.get_absolute_url())
    else:
        form = ReattributeForm(initial={"actor": statement.actor.slug if statement.actor else None})
    return render_page_or_fragment(request, "review/reattribute.html",
                                   {"statement": statement, "form": form},
                                   fragment="reattribute-form",
                                   status=400 if form.is_bound else 200)


def _manual(pk: int) -> Statement:
    return get_object_or_404(
        Statement.objects.filter(is_manual=True).select_related("actor", "added_by")
        .prefetch_related("links__event"), pk=pk)


@require_POST
@permission_required_for("statements.change_statement")
def statement_confirm(request, pk):
    """A second editor confirms a hand-added statement: from now on it counts."""
    statement = _manual(pk)
    return _decide(
        request, ConfirmForm(request.POST),
        lambda data: editorial.confirm_manual_statement(statement=statement, user=request.user),
        fragment="manual-item", context={"statement": statement}, anchor="#review-manual",
    )


@require_POST
@permission_required_for("statements.change_statement")
def statement_withdraw(request, pk):
    statement = _manual(pk)
    return _decide(
        request, ReasonForm(request.POST),
        lambda data: editorial.withdraw_manual_statement(statement=statement, user=request.user,
                                                         reason=data["reason"]),
        fragment="manual-item", context={"statement": statement}, anchor="#review-manual",
    )


@require_POST
@permission_required_for("statements.change_statement")
def statement_undo_reattribution(request, pk):
    statement = get_object_or_404(Statement, pk=pk)
    form = ReasonForm(request.POST)
    if not form.is_valid():
        return _problem(request, _form_error(form), back=statement.get_absolute_url())
    try:
        editorial.undo_reattribution(statement=statement, user=request.user,
                                     reason=form.cleaned_data["reason"])
    except editorial.EditorialError as error:
        return _problem(request, str(error), status=409, back=statement.get_absolute_url())
    return redirect(statement.get_absolute_url())


# --- history ---------------------------------------------------------------------------

HISTORY_KINDS = {
    "link": (EventLink, "statements.view_eventlink"),
    "flag": (Flag, "statements.view_flag"),
    "silence": (SilenceReview, "statements.view_silencereview"),
    "statement": (Statement, "statements.view_statement"),
}


@require_safe
def history(request, kind, pk):
    """Who changed what, and when: shown to the roles, since editors' names are not public."""
    if kind not in HISTORY_KINDS:
        raise Http404
    model, perm = HISTORY_KINDS[kind]
    return permission_required_for(perm)(_history)(request, model=model, kind=kind, pk=pk)


def _history(request, *, model, kind, pk):
    obj = get_object_or_404(model, pk=pk)
    context = {"object": obj, "kind": kind, "entries": editorial.object_history(obj)}
    # The history fragment lives in the fragments library, the page in its own template.
    if wants_fragment(request):
        return render_page_or_fragment(request, FRAGMENTS, context, fragment="history")
    return render_page_or_fragment(request, "review/history.html", context, fragment=None)
