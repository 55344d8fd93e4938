"""/changes/: statements edited or removed after publication, as a page, Atom and CSV."""

from __future__ import annotations

from django.http import HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.views.decorators.http import require_safe

from statements.research import changes
from statements.web.feeds import TrackerFeed
from statements.web.forms.changes import ChangesFilterForm
from statements.web.htmx import render_page_or_fragment


@require_safe
def changes_page(request):
    form = ChangesFilterForm(request.GET)
    selection = form.selection()
    found = changes.recent_changes(**selection)
    if request.GET.get("format") and not form.errors:
        if form.cleaned_data.get("format") == "csv":
            now = timezone.now()
            body = changes.changes_csv(found, generated_at=now, query=request.GET.urlencode())
            response = HttpResponse(body, content_type="text/csv; charset=utf-8")
            response["Content-Disposition"] = (
                f'attachment; filename="changes-{now:%Y%m%d-%H%M}.csv"'
            )
            return response
    status = 400 if form.errors else 200
    query = request.GET.copy()
    query.pop("format", None)
    return render_page_or_fragment(
        request,
        "research/changes.html",
        {"form": form, "changes": found, "query": query.urlencode()},
        fragment="changes",
        status=status,
    )


class ChangesFeed(TrackerFeed):
    title = "Statements edited or removed after publication"
    subtitle = "Edits (with a word-level diff), entries no longer listed, and removals."

    def get_object(self, request):
        form = ChangesFilterForm(request.GET)
        return form.selection()

    def link(self, selection):
        return reverse("changes")

    def items(self, selection):
        return changes.recent_changes(limit=50, **selection)

    def item_title(self, change):
        return f"{change.label}: {change.statement}"

    def item_description(self, change):
        if change.kind == changes.EDITED:
            return format_html(
                "<p>Edited on {} UTC.</p><p>{}</p><p>{}</p>",
                f"{change.at:%Y-%m-%d %H:%M}",
                change.title_diff,
                change.body_diff,
            )
        return format_html(
            "<p>{} on {} UTC. The original text stays in the record.</p>",
            change.label,
            f"{change.at:%Y-%m-%d %H:%M}",
        )

    def item_link(self, change):
        return change.statement.get_absolute_url() + "#changes"

    def item_guid(self, change):
        return f"{change.statement.get_absolute_url()}#{change.kind}-{change.at.isoformat()}"

    item_guid_is_permalink = False

    def item_pubdate(self, change):
        return change.at

    def item_author_name(self, change):
        return change.statement.actor.name if change.statement.actor else None
