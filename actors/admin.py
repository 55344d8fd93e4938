"""The actor admin a curator can live in.

The list shows the hierarchy (parent, member count), filters by kind,
country, parent, activity and alias problems, and searches names and
aliases. Bulk actions activate, deactivate, add to a group (after choosing
the group) and merge two actors (after choosing the survivor). Saving an
actor warns about its aliases that attribution cannot use safely
(actors.hygiene). Actor lists are imported (upload, dry run, apply) and
exported as CSV or JSON from the list's own buttons (actors.importing).
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.http import HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join

from actors.models import Actor, ActorGroup, Alias, Role
from statements.curation import actor_lists as importing
from statements.curation import hygiene, merging
from statements.curation.uploads import stage_upload, take_staged_upload

ACTOR_LIST_UPLOAD = "actor-list"
MAX_IMPORT_BYTES = 10 * 2**20  # some 50,000 actors: far beyond any real list


def _alias_warnings(request) -> dict[int, list[hygiene.AliasWarning]]:
    """The whole table's alias warnings, computed once per request (one query)."""
    if not hasattr(request, "_alias_warnings"):
        request._alias_warnings = hygiene.alias_warnings()
    return request._alias_warnings


class AliasInline(admin.TabularInline):
    model = Alias
    extra = 1


class RoleInline(admin.TabularInline):
    model = Role
    fk_name = "person"
    extra = 0
    autocomplete_fields = ["institution"]
    verbose_name_plural = "roles held"


class PositionInline(admin.TabularInline):
    """The roles held *in* this institution, seen from the institution."""

    model = Role
    fk_name = "institution"
    fields = ["person", "title", "started_on", "ended_on", "is_spokesperson"]
    extra = 0
    autocomplete_fields = ["person"]
    verbose_name = "position in this institution"
    verbose_name_plural = "positions in this institution"


class MemberInline(admin.TabularInline):
    """The hierarchy seen from above: who sits under this actor."""

    model = Actor
    fk_name = "parent"
    fields = ["name", "kind", "is_active"]
    readonly_fields = ["name", "kind", "is_active"]
    extra = 0
    can_delete = False
    show_change_link = True
    verbose_name_plural = "members"

    def has_add_permission(self, request, obj=None):
        return False


class AliasWarningFilter(admin.SimpleListFilter):
    title = "alias warnings"
    parameter_name = "alias_warnings"

    def lookups(self, request, model_admin):
        return [("any", "Any warning"), (hygiene.SHARED, "Shared with another actor"),
                (hygiene.TOO_SHORT, "Too short to match")]

    def queryset(self, request, queryset):
        if self.value() is None:
            return queryset
        warnings = _alias_warnings(request)
        wanted = [pk for pk, found in warnings.items()
                  if self.value() == "any" or any(w.problem == self.value() for w in found)]
        return queryset.filter(pk__in=wanted)


class GroupChoiceForm(forms.Form):
    group = forms.ModelChoiceField(queryset=ActorGroup.objects.order_by("name"),
                                   empty_label=None)


class SurvivorForm(forms.Form):
    survivor = forms.TypedChoiceField(coerce=int, widget=forms.RadioSelect)

    def __init__(self, *args, actors, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["survivor"].choices = [(a.pk, f"{a.name} ({a.slug})") for a in actors]


class ImportForm(forms.Form):
    file = forms.FileField(required=False, label="Actor list (.csv or .json)")
    token = forms.CharField(required=False, widget=forms.HiddenInput)


@admin.register(Actor)
class ActorAdmin(admin.ModelAdmin):
    list_display = ["name_and_slug", "kind", "country", "parent", "member_count", "is_active"]
    list_display_links = ["name_and_slug"]
    list_filter = ["kind", "is_active", "country", ("parent", admin.RelatedOnlyFieldListFilter),
                   "groups", AliasWarningFilter]
    search_fields = ["name", "slug", "aliases__text", "wikidata_id"]
    prepopulated_fields = {"slug": ["name"]}
    autocomplete_fields = ["parent"]
    filter_horizontal = ["speaks_for"]
    inlines = [AliasInline, RoleInline, PositionInline, MemberInline]
    list_select_related = ["parent"]
    list_per_page = 100
    actions = ["activate", "deactivate", "add_to_group", "merge"]
    change_list_template = "admin/actors/actor/change_list.html"

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(
            member_total=Count("members", distinct=True))

    @admin.display(description="name", ordering="name")
    def name_and_slug(self, obj):
        return format_html('{}<br><small class="quiet">{}</small>', obj.name, obj.slug)

    @admin.display(description="members", ordering="member_total")
    def member_count(self, obj):
        if not obj.member_total:
            return "—"
        url = reverse("admin:actors_actor_changelist") + f"?parent__id__exact={obj.pk}"
        return format_html('<a href="{}">{}</a>', url, obj.member_total)

    def get_list_display(self, request):
        warnings = _alias_warnings(request)

        @admin.display(description="alias warnings")
        def alias_warnings(obj):
            found = warnings.get(obj.pk)
            if not found:
                return ""
            return format_html('<ul class="alias-warnings">{}</ul>', format_html_join(
                "", '<li title="{}">{}</li>', ((str(w), w.short()) for w in found)))

        return [*super().get_list_display(request), alias_warnings]

    # --- saving: warn about the aliases just saved ---------------------------------------

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        found = hygiene.alias_warnings(actor_ids={form.instance.pk}).get(form.instance.pk, [])
        for warning in found:
            self.message_user(request, f"Alias warning for {form.instance}: {warning}",
                              messages.WARNING)

    # --- bulk actions -----------------------------------------------------------------------

    @admin.action(description="Activate selected actors", permissions=["change"])
    def activate(self, request, queryset):
        count = queryset.update(is_active=True)
        self.message_user(request, f"{count} actor{'s' if count != 1 else ''} activated.")

    @admin.action(description="Deactivate selected actors", permissions=["change"])
    def deactivate(self, request, queryset):
        count = queryset.update(is_active=False)
        self.message_user(request, f"{count} actor{'s' if count != 1 else ''} deactivated: "
                                   "attribution no longer names them.")

    @admin.action(description="Add selected actors to a group…", permissions=["change"])
    def add_to_group(self, request, queryset):
        if not request.user.has_perm("actors.change_actorgroup"):
            raise PermissionDenied
        form = GroupChoiceForm(request.POST if "apply" in request.POST else None)
        if form.is_valid():
            group = form.cleaned_data["group"]
            before = group.members.count()
            group.members.add(*queryset)
            added = group.members.count() - before
            self.message_user(request, f"{added} actor{'s' if added != 1 else ''} added to "
                                       f"“{group}” ({queryset.count() - added} already in it).")
            return None
        return TemplateResponse(request, "admin/actors/actor/add_to_group.html", {
            **self.admin_site.each_context(request),
            "title": "Add actors to a group",
            "opts": self.model._meta,
            "actors": queryset,
            "form": form,
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
        })

    @admin.action(description="Merge two selected actors…", permissions=["change", "delete"])
    def merge(self, request, queryset):
        actors = list(queryset.order_by("name")[:3])
        if len(actors) != 2:
            self.message_user(request, "Select exactly two actors to merge.", messages.ERROR)
            return None
        form = SurvivorForm(request.POST if "apply" in request.POST else None, actors=actors)
        if form.is_valid():
            survivor = next(a for a in actors if a.pk == form.cleaned_data["survivor"])
            duplicate = next(a for a in actors if a.pk != survivor.pk)
            try:
                report = merging.merge_actors(survivor=survivor, duplicate=duplicate,
                                              user=request.user)
            except merging.MergeError as exc:
                self.message_user(request, str(exc), messages.ERROR)
            else:
                self.message_user(request, report.summary() + ".", messages.SUCCESS)
            return None
        return TemplateResponse(request, "admin/actors/actor/merge.html", {
            **self.admin_site.each_context(request),
            "title": "Merge two actors",
            "opts": self.model._meta,
            "actors": [(a, merging.relation_counts(a)) for a in actors],
            "form": form,
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
        })

    # --- import and export --------------------------------------------------------------------

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("import/", wrap(self.import_view), name="actors_actor_import"),
            path("export/", wrap(self.export_view), name="actors_actor_export"),
            *super().get_urls(),
        ]

    def export_view(self, request):
        if not self.has_view_permission(request):
            raise PermissionDenied
        fmt = request.GET.get("format", "csv")
        if fmt not in importing.FORMATS:
            return HttpResponse("format must be csv or json\n", status=400,
                                content_type="text/plain; charset=utf-8")
        content_type = "text/csv" if fmt == "csv" else "application/json"
        response = HttpResponse(importing.export_actors(fmt),
                                content_type=f"{content_type}; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="actors.{fmt}"'
        return response

    def import_view(self, request):
        if not (self.has_add_permission(request) and self.has_change_permission(request)
                and request.user.has_perm("actors.add_actorgroup")):
            raise PermissionDenied
        form = ImportForm(request.POST or None, request.FILES or None)
        report, token, problem, file_name = None, "", "", ""
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            if upload and upload.size > MAX_IMPORT_BYTES:
                file_name, content = upload.name, None
                problem = (f"{upload.name} is larger than {MAX_IMPORT_BYTES // 2**20} MB; "
                           "split it into several files.")
            elif upload:
                file_name, content = upload.name, upload.read()
            else:
                staged = take_staged_upload(request.session, kind=ACTOR_LIST_UPLOAD,
                                            token=form.cleaned_data["token"])
                file_name, content = staged or ("", None)
                if content is None:
                    problem = ("That preview has expired or was replaced by another one: "
                               "upload the file again.")
            if content is not None:
                try:
                    records = importing.read_actor_file(name=file_name, content=content)
                except importing.ActorFileError as exc:
                    problem = f"{file_name}: {exc}. Nothing was imported."
                else:
                    report = importing.import_actors(records, dry_run=bool(upload),
                                                     user=request.user, file_name=file_name)
                    if report.applied or (not upload and report.is_valid):
                        self.message_user(request, f"Imported {file_name}: {report.summary()}.")
                        return HttpResponseRedirect(reverse("admin:actors_actor_changelist"))
                    if upload and report.is_valid and (report.changed or report.new_groups):
                        token = stage_upload(request.session, kind=ACTOR_LIST_UPLOAD,
                                             name=file_name, content=content)
        elif request.method == "POST":
            problem = "Choose a file to upload."
        return TemplateResponse(request, "admin/actors/actor/import.html", {
            **self.admin_site.each_context(request),
            "title": "Import actors",
            "opts": self.model._meta,
            "form": ImportForm(),
            "report": report,
            "token": token,
            "problem": problem,
            "file_name": file_name,
            "columns": importing.COLUMNS,
        })


class MembershipInline(admin.TabularInline):
    model = ActorGroup.members.through
    autocomplete_fields = ["actor"]
    extra = 1
    verbose_name = "member"
    verbose_name_plural = "members"


@admin.register(ActorGroup)
class ActorGroupAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "member_count"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    exclude = ["members"]
    inlines = [MembershipInline]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(member_total=Count("members"))

    @admin.display(description="members", ordering="member_total")
    def member_count(self, obj):
        url = reverse("admin:actors_actor_changelist") + f"?groups__id__exact={obj.pk}"
        return format_html('<a href="{}">{}</a>', url, obj.member_total)
