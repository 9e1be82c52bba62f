from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from forms_engine.canonical import compact

from .models import User


class CanonicalSearchMixin:
    """Admin search that also finds identifiers typed in another spelling (full width, lower case, spaced): the
    term is tried as typed and in its canonical form (STYLE.md habit 11)."""

    def get_search_results(self, request, queryset, search_term):
        found, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        folded = compact(search_term)
        if folded and folded != search_term.strip():
            more, more_duplicates = super().get_search_results(request, queryset, folded)
            found = found | more
            may_have_duplicates = may_have_duplicates or more_duplicates
        return found, may_have_duplicates


@admin.register(User)
class UserAdmin(CanonicalSearchMixin, BaseUserAdmin):
    list_display = ("username", "full_name", "role", "department", "is_active")
    list_filter = ("role", "department", "is_active")
    search_fields = ("username", "full_name", "mobile")
    fieldsets = (
        *BaseUserAdmin.fieldsets,
        (_("Portal role"), {"fields": ("role", "department", "full_name", "mobile")}),
    )
    add_fieldsets = (
        *BaseUserAdmin.add_fieldsets,
        (_("Portal role"), {"fields": ("role", "department", "full_name", "mobile")}),
    )
