from importlib import import_module

from django.apps import apps
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.db import router, transaction
from django.utils.module_loading import module_has_submodule
from django.utils.translation import gettext_lazy as _

from forms_engine.admin import CanonicalSearchMixin

from .admin_audit import AuditedAdmin, admins_audited
from .models import User
from .second_factor import second_factor_reset


@admin.register(User)
class UserAdmin(AuditedAdmin, CanonicalSearchMixin, BaseUserAdmin):
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
    actions = ["second_factor_reset_selected"]

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if obj is None:
            return fieldsets
        # Only real-name sign-in writes these: shown, never edited.
        identity = ("identity_subject", "verified_name", "verified_id_number", "identity_verified_at")
        return (*fieldsets, (_("Real-name identity"), {"fields": identity}))

    def get_readonly_fields(self, request, obj=None):
        fields = super().get_readonly_fields(request, obj)
        return (*fields, "identity_subject", "verified_name", "verified_id_number", "identity_verified_at")

    @admin.action(description=_("Reset the second factor (lost phone): enrol again at the next sign-in"))
    def second_factor_reset_selected(self, request, queryset):
        for user in queryset:
            second_factor_reset(user=user, actor=request.user)
        self.message_user(request, _("Second factor reset for %(count)d users.") % {"count": len(queryset)})

    def user_change_password(self, request, id, form_url=""):
        # Django runs the password form outside any transaction: the new password and its audit event commit
        # together or not at all.
        with transaction.atomic(using=router.db_for_write(self.model)):
            return super().user_change_password(request, id, form_url)


# Contrib's and third-party apps' admins (groups, DRF tokens, axes' sign-in records, django-otp devices) change data
# too, and get the audit mixin here. Every app's admin module is imported first (autodiscover, which is importing
# this one, would import the rest a moment later), so all of them are registered before the wrapping.
for _app in apps.get_app_configs():
    if module_has_submodule(_app.module, "admin"):
        import_module(f"{_app.name}.admin")
admins_audited(admin.site)
