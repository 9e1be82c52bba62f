from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from forms_engine.admin import CanonicalSearchMixin

from .models import User


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
