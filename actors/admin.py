from django.contrib import admin

from .models import Actor, ActorGroup, Alias, Role


class AliasInline(admin.TabularInline):
    model = Alias
    extra = 1


class RoleInline(admin.TabularInline):
    model = Role
    fk_name = "person"
    extra = 0
    autocomplete_fields = ["institution"]


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


@admin.register(Actor)
class ActorAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "country", "parent", "is_active"]
    list_filter = ["kind", "is_active", "country", ("parent", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["name", "slug", "aliases__text", "wikidata_id"]
    prepopulated_fields = {"slug": ["name"]}
    autocomplete_fields = ["parent"]
    filter_horizontal = ["speaks_for"]
    inlines = [AliasInline, RoleInline, MemberInline]
    list_select_related = ["parent"]
    actions = ["activate", "deactivate"]

    @admin.action(description="Activate selected actors")
    def activate(self, request, queryset):
        queryset.update(is_active=True)

    @admin.action(description="Deactivate selected actors")
    def deactivate(self, request, queryset):
        queryset.update(is_active=False)


@admin.register(ActorGroup)
class ActorGroupAdmin(admin.ModelAdmin):
    list_display = ["name", "slug"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    filter_horizontal = ["members"]
