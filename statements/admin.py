from django.contrib import admin
from django.db import models
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from statements.curation import events as event_curation
from statements.curation import sources as source_curation
from statements.models import (
    ArchiveImport,
    BackfillCheckpoint,
    Event,
    EventLink,
    Source,
    Statement,
    StatementRevision,
    Tag,
)
from statements.timeline.labels import utc_label

RECENT_ATTEMPTS = 20
# A URL typed without a scheme means https (Django 6's default, taken now).
URL_FORMFIELDS = {models.URLField: {"assume_scheme": "https"}}


@admin.register(Source)
class SourceAdmin(admin.ModelAdmin):
    list_display = [
        "__str__",
        "actor",
        "language",
        "is_active",
        "is_partial",
        "last_success_at",
        "consecutive_failures",
        "next_poll_at",
    ]
    list_filter = ["is_active", "is_partial", "language"]
    search_fields = ["title", "url"]
    autocomplete_fields = ["actor"]
    list_select_related = ["actor"]
    readonly_fields = [
        "etag",
        "last_modified",
        "body_hash",
        "last_attempt_at",
        "last_success_at",
        "consecutive_failures",
        "recent_attempts",
    ]
    actions = ["poll_now", "pause", "resume"]
    formfield_overrides = URL_FORMFIELDS

    # Not an inline: a source polled every 15 minutes logs 35,000 attempts a
    # year, and an inline formset cannot be sliced. The whole log is on /sources/.
    @admin.display(description=f"Last {RECENT_ATTEMPTS} attempts")
    def recent_attempts(self, source):
        attempts = source.attempts.order_by("-started_at")[:RECENT_ATTEMPTS]
        rows = format_html_join(
            "", "<tr><td>{}</td><td>{}</td><td>{}</td><td>{} seen, {} new</td><td>{}</td></tr>",
            ((utc_label(a.started_at), a.get_outcome_display(),
              a.http_status or "", a.entries_seen, a.entries_new, a.error or a.warning)
             for a in attempts),
        )
        if not rows:
            return "No attempt yet."
        return format_html(
            "<table><thead><tr><th>Started</th><th>Outcome</th><th>HTTP</th>"
            "<th>Entries</th><th>Error or warning</th></tr></thead><tbody>{}</tbody></table>",
            rows,
        )

    @admin.action(description="Poll selected sources now", permissions=["change"])
    def poll_now(self, request, queryset):
        now, queued = timezone.now(), 0
        for source in queryset.filter(is_active=True):
            source_curation.poll_now(source=source, now=now)
            queued += 1
        self.message_user(request, f"{queued} poll{'s' if queued != 1 else ''} queued "
                                   "(paused sources are skipped); see the feed health page.")

    @admin.action(description="Pause selected sources", permissions=["change"])
    def pause(self, request, queryset):
        for source in queryset:
            source_curation.pause_source(source=source)
        self.message_user(request, f"{queryset.count()} source(s) paused.")

    @admin.action(description="Resume selected sources", permissions=["change"])
    def resume(self, request, queryset):
        now = timezone.now()
        for source in queryset:
            source_curation.resume_source(source=source, now=now)
        self.message_user(request, f"{queryset.count()} source(s) resumed.")


@admin.register(Statement)
class StatementAdmin(admin.ModelAdmin):
    list_display = ["__str__", "actor", "attribution", "published_at", "source", "language"]
    list_filter = ["attribution", "language", "is_manual", "published_at_estimated"]
    search_fields = ["title", "body_text", "url", "entry_id"]
    formfield_overrides = URL_FORMFIELDS
    autocomplete_fields = ["actor", "source"]
    list_select_related = ["actor", "source"]
    date_hierarchy = "published_at"
    readonly_fields = ["entry_id", "content_hash", "fetched_at", "raw"]


class EventLinkInline(admin.TabularInline):
    model = EventLink
    fields = ["statement", "status", "method", "stance", "intensity", "matched_terms", "cues"]
    readonly_fields = ["matched_terms", "cues"]
    raw_id_fields = ["statement"]
    extra = 0
    # EventLink has no default ordering (it joined two tables into every query).
    ordering = ["statement__published_at", "pk"]


@admin.register(Event)
class EventAdmin(admin.ModelAdmin):
    list_display = ["title", "occurred_at", "window_hours", "is_published"]
    list_filter = ["is_published", "tags"]
    search_fields = ["title", "slug", "description"]
    prepopulated_fields = {"slug": ["title"]}
    filter_horizontal = ["expected_actors", "expected_groups", "tags"]
    date_hierarchy = "occurred_at"
    inlines = [EventLinkInline]

    def save_model(self, request, obj, form, change):
        matched_on = ("terms", "occurred_at", "window_hours")
        before = Event.objects.filter(pk=obj.pk).values_list(*matched_on).first()
        super().save_model(request, obj, form, change)
        # As from the site: new terms, time or window re-match the stored statements.
        if before != tuple(getattr(obj, name) for name in matched_on):
            event_curation.queue_rematch(obj)
            self.message_user(request, "Its statements are being matched again.")


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    search_fields = ["slug"]


# History (issue 13): read-only records of what feeds and archives did over time.
class _ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(StatementRevision)
class StatementRevisionAdmin(_ReadOnly):
    list_display = ["statement", "seen_at", "title"]
    list_select_related = ["statement"]
    search_fields = ["title", "body_text", "statement__entry_id"]
    date_hierarchy = "seen_at"


@admin.register(BackfillCheckpoint)
class BackfillCheckpointAdmin(_ReadOnly):
    list_display = ["source", "state", "mode", "pages_done", "entries_new", "reached_at",
                    "updated_at"]
    list_filter = ["state"]
    list_select_related = ["source"]


@admin.register(ArchiveImport)
class ArchiveImportAdmin(_ReadOnly):
    list_display = ["file_name", "source", "complete_from", "complete_to", "rows_read",
                    "rows_new", "rows_rejected", "started_at"]
    list_select_related = ["source"]
