"""The admins' pages: feed health, adding a source with a preview, OPML, events.

Each view checks permissions on the server (statements.access), calls one
function of statements.curation, statements.health or statements.opml, and
renders. /sources/ is a reading page (public unless PUBLIC_READING is off);
everything that changes something is a POST refused without the Admin role's
permissions. A preview requested by htmx gets back only its fragment
(`{% partialdef %}` in the page's template), the same HTML the page shows
when the form is posted without JavaScript.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from statements.curation import events as event_curation
from statements.curation import opml, uploads
from statements.curation import sources as source_curation
from statements.curation.health import HISTORY_LENGTH, QUIET_AFTER, source_health
from statements.ingest import preview as feed_preview
from statements.models import Event, Source
from statements.web.access import permission_required_for
from statements.web.forms.curation import EventForm, FeedPreviewForm, SourceForm, StagedUploadForm
from statements.web.htmx import render_page_or_fragment

SOURCE_FORM = "curation/source_form.html"
EVENT_FORM = "curation/event_form.html"
OPML_UPLOAD = "opml"


def _render(request, template_name: str, context: dict, *, fragment: str | None = None):
    return render_page_or_fragment(request, template_name, context, fragment=fragment)


# --- Feed health -------------------------------------------------------------------------


@require_safe
def source_list(request):
    return render(request, "curation/source_list.html", {
        "overview": source_health(now=timezone.now()),
        "history_length": HISTORY_LENGTH,
        "quiet_days": QUIET_AFTER.days,
    })


def _back_to(source: Source):
    return redirect(reverse("source-list") + f"#source-{source.pk}")


@require_POST
@permission_required_for("statements.change_source")
def source_poll(request, pk):
    source = get_object_or_404(Source, pk=pk)
    try:
        source_curation.poll_now(source=source, now=timezone.now())
    except source_curation.CurationError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"Poll of “{source}” queued; its row shows the outcome "
                                  "once it has run.")
    return _back_to(source)


@require_POST
@permission_required_for("statements.change_source")
def source_pause(request, pk):
    source = get_object_or_404(Source, pk=pk)
    source_curation.pause_source(source=source)
    messages.success(request, f"“{source}” is paused: it is not polled until resumed.")
    return _back_to(source)


@require_POST
@permission_required_for("statements.change_source")
def source_resume(request, pk):
    source = get_object_or_404(Source, pk=pk)
    source_curation.resume_source(source=source, now=timezone.now())
    messages.success(request, f"“{source}” is resumed: it is polled at the next round.")
    return _back_to(source)


# --- Adding a source ------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@permission_required_for("statements.add_source")
def source_create(request):
    preview, check, token = None, None, ""
    if request.method == "POST" and request.POST.get("action") == "save":
        form = SourceForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            source = source_curation.create_source(
                url=data["url"], title=data["title"], actor=data["actor"],
                language=data["language"], is_partial=data["is_partial"],
                is_active=data["is_active"])
            messages.success(request, f"Source “{source}” added"
                             + (" and its first poll queued." if source.is_active else "."))
            return _back_to(source)
    elif request.method == "POST":
        form = SourceForm(request.POST)
        check = FeedPreviewForm(request.POST)
        if check.is_valid():
            token = feed_preview.request_feed_preview(
                url=check.cleaned_data["url"], default_actor=check.cleaned_data["actor"],
                language=check.cleaned_data["language"], user_id=request.user.pk)
            _, preview = feed_preview.feed_preview_result(token=token, user_id=request.user.pk)
    else:
        form = SourceForm()
    fragment = "preview" if request.method == "POST" and check is not None else None
    return _render(request, SOURCE_FORM, {"form": form, "check": check, "preview": preview,
                                          "token": token}, fragment=fragment)


@require_safe
@permission_required_for("statements.add_source")
def source_preview(request, token):
    """Where the page polls for a preview a worker is still fetching."""
    known, preview = feed_preview.feed_preview_result(token=token, user_id=request.user.pk)
    return _render(request, SOURCE_FORM, {"form": SourceForm(), "preview": preview,
                                          "token": token if known else "",
                                          "expired": not known}, fragment="preview")


# --- OPML ----------------------------------------------------------------------------------


@require_safe
@permission_required_for("statements.view_source")
def opml_export(request):
    response = HttpResponse(opml.export_opml(), content_type="text/x-opml; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="sources.opml"'
    return response


@require_http_methods(["GET", "POST"])
@permission_required_for("statements.add_source", "statements.change_source")
def opml_import(request):
    form = StagedUploadForm(request.POST or None, request.FILES or None)
    report, token, problem = None, "", ""
    if request.method == "POST" and form.is_valid():
        upload, applying = form.cleaned_data["file"], not form.cleaned_data["file"]
        if applying:
            staged = uploads.take_staged_upload(request.session, kind=OPML_UPLOAD,
                                                 token=form.cleaned_data["token"])
            content = staged[1] if staged else None
            if content is None:
                problem = ("That preview has expired or was replaced by another: "
                           "upload the file again.")
        else:
            content = upload.read(opml.MAX_BYTES + 1)
        if content is not None:
            try:
                report = opml.import_opml(opml.parse_opml(content), dry_run=not applying)
            except opml.OpmlError as exc:
                problem = f"{upload.name if upload else 'The file'}: {exc}. Nothing was imported."
            else:
                if report.applied:
                    messages.success(request, f"OPML imported: {report.summary()}. New sources "
                                              "are polled at the next round.")
                    return redirect("source-list")
                if not applying and report.is_valid:
                    token = uploads.stage_upload(request.session, kind=OPML_UPLOAD,
                                                  name=upload.name, content=content)
    return render(request, "curation/opml_import.html", {
        "form": StagedUploadForm() if report else form,
        "report": report, "token": token, "problem": problem,
    })


# --- Events ----------------------------------------------------------------------------------


@require_safe
@permission_required_for("statements.change_event")
def curation_home(request):
    events = Event.objects.prefetch_related("tags").order_by("-occurred_at")
    return render(request, "curation/home.html", {"events": events})


@require_http_methods(["GET", "POST"])
@permission_required_for("statements.add_event")
def event_create(request):
    return _event_form(request, event=None)


@require_http_methods(["GET", "POST"])
@permission_required_for("statements.change_event")
def event_edit(request, slug):
    event = get_object_or_404(
        Event.objects.prefetch_related("tags", "expected_actors", "expected_groups"), slug=slug)
    return _event_form(request, event=event)


def _event_form(request, *, event: Event | None):
    form = EventForm(request.POST or None, event=event)
    preview = None
    if request.method == "POST" and form.is_valid():
        draft = form.draft()
        if request.POST.get("action") == "save":
            saved, rematch = event_curation.save_event(event=event, draft=draft)
            verb = "created" if event is None else "saved"
            messages.success(request, f"Event “{saved.title}” {verb}"
                             + ("; its statements are being matched again." if rematch else "."))
            return redirect("event-edit", slug=saved.slug)
        preview = event_curation.preview_event_matches(draft=draft, event=event)
    fragment = "preview" if request.method == "POST" and request.POST.get("action") != "save" \
        else None
    return _render(request, EVENT_FORM, {"form": form, "event": event, "preview": preview},
                   fragment=fragment)
