"""An admin starts a backfill of a source's archive pages and watches it (htmx polling)."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from statements.ingest import backfill
from statements.models import BackfillCheckpoint, Source
from statements.web.access import permission_required_for
from statements.web.forms.changes import BackfillForm
from statements.web.htmx import render_page_or_fragment


@require_http_methods(["GET", "HEAD", "POST"])
@permission_required_for("statements.change_source")
def source_backfill(request, pk):
    source = get_object_or_404(Source, pk=pk)
    form = BackfillForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            backfill.queue_backfill(
                source=source,
                until=form.until_at(),
                max_pages=form.cleaned_data["max_pages"],
                now=timezone.now(),
            )
        except backfill.BackfillBusy as exc:
            messages.error(request, str(exc))
        else:
            messages.success(
                request, f"Backfill of “{source}” queued; this page shows its progress."
            )
        return redirect(reverse("source-backfill", args=[source.pk]))
    checkpoint = BackfillCheckpoint.objects.filter(source=source).first()
    active = checkpoint is not None and checkpoint.state in (
        BackfillCheckpoint.State.QUEUED,
        BackfillCheckpoint.State.RUNNING,
    )
    return render_page_or_fragment(
        request,
        "curation/source_backfill.html",
        {
            "source": source,
            "form": form,
            "checkpoint": checkpoint,
            "active": active,
            "progress": backfill.describe(checkpoint) if checkpoint else "",
        },
        fragment="progress",
        status=400 if form.errors else 200,
    )
