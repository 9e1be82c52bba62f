from django.contrib import admin

from portal.admin_audit import AuditedAdmin

from .canonical import compact
from .models import DataItem, DepartmentForm, FieldMapping, FormVersion, IndustryCode, Town


@admin.register(Town)
class TownAdmin(AuditedAdmin, admin.ModelAdmin):
    list_display = ("code", "name_zh", "name_en", "kind")
    list_filter = ("kind",)
    search_fields = ("code", "name_zh", "name_en")


@admin.register(IndustryCode)
class IndustryCodeAdmin(AuditedAdmin, admin.ModelAdmin):
    list_display = ("code", "name_zh", "level", "section", "standard")
    list_filter = ("level", "section")
    search_fields = ("code", "name_zh")


@admin.register(DataItem)
class DataItemAdmin(AuditedAdmin, admin.ModelAdmin):
    list_display = ("key", "label", "label_en", "type", "section", "required", "department_specific", "sensitive")
    list_filter = ("type", "section", "department_specific", "sensitive", "issued")
    search_fields = ("key", "label", "label_en")
    readonly_fields = ("key",)
    audit_unredacted_fields = ("key",)  # a data item's key is its public name, not a secret

    def get_readonly_fields(self, request, obj=None):
        # The key is public API: fixed once the item exists.
        return self.readonly_fields if obj else ()


class FieldMappingInline(admin.TabularInline):
    model = FieldMapping
    extra = 0
    fields = ("position", "group", "name", "transform", "args", "required")

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and not (obj and obj.is_published)

    def has_add_permission(self, request, obj=None):
        return super().has_add_permission(request, obj) and not (obj and obj.is_published)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and not (obj and obj.is_published)


@admin.register(FormVersion)
class FormVersionAdmin(AuditedAdmin, admin.ModelAdmin):
    """Read-mostly: drafts are edited and published on the form-mapping pages, which check every mapping."""

    list_display = ("form", "number", "status", "published_at", "note")
    list_filter = ("status", "form")
    readonly_fields = ("form", "number", "status", "created_at", "created_by", "published_at", "published_by")
    inlines = [FieldMappingInline]

    def has_add_permission(self, request):
        return False


@admin.register(DepartmentForm)
class DepartmentFormAdmin(AuditedAdmin, admin.ModelAdmin):
    list_display = ("department_code", "title", "title_en", "sheets")
    search_fields = ("department_code", "title", "title_en")


class CanonicalSearchMixin:
    """Admin search that also finds identifiers typed in another spelling (full width, lower case, spaced): the
    term is tried as typed and in its canonical form (docs/STYLE.md habit 11)."""

    def get_search_results(self, request, queryset, search_term):
        found, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        folded = compact(search_term)
        if folded and folded != search_term.strip():
            more, more_duplicates = super().get_search_results(request, queryset, folded)
            found = found | more
            may_have_duplicates = may_have_duplicates or more_duplicates
        return found, may_have_duplicates
