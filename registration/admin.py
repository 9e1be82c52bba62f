from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from forms_engine.admin import CanonicalSearchMixin
from portal.admin_audit import AuditedAdmin

from .models import AccessLogEntry, Application, Enterprise, Institution, IssuedDocument, SigningRule, Todo
from .verification import institution_revoke, new_key


@admin.register(Institution)
class InstitutionAdmin(AuditedAdmin, admin.ModelAdmin):
    """Issue and revoke institutions' API keys. A new key is shown once, in the confirmation message."""

    list_display = ("name", "kind", "key_prefix", "scopes", "purpose_required", "created_at", "revoked_at")
    list_filter = ("kind", "revoked_at")
    search_fields = ("name",)
    fields = ("name", "kind", "scopes", "purpose_required", "key_prefix", "created_at", "revoked_at")
    readonly_fields = ("key_prefix", "created_at", "revoked_at")
    actions = ["revoke"]

    def save_model(self, request, obj, form, change):
        if not change:
            key, obj.key_prefix, obj.key_hash = new_key()
            obj.scopes = obj.scopes or ["verify"]
            super().save_model(request, obj, form, change)
            messages.warning(request, _("The new API key (shown only now): %(key)s") % {"key": key})
            return
        super().save_model(request, obj, form, change)

    @admin.action(description=_("Revoke the selected keys"))
    def revoke(self, request, queryset):
        # institution_revoke writes no audit event of its own: the action records the revocation.
        for institution in queryset:
            with self.audited_action(request, institution, "admin.revoke"):
                institution_revoke(institution=institution)


@admin.register(AccessLogEntry)
class AccessLogAdmin(AuditedAdmin, CanonicalSearchMixin, admin.ModelAdmin):
    list_display = ("at", "institution", "uscc", "purpose", "status")
    list_filter = ("institution", "status")
    search_fields = ("uscc", "purpose")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Enterprise)
class EnterpriseAdmin(AuditedAdmin, CanonicalSearchMixin, admin.ModelAdmin):
    """Read-only: the register changes only through registrations (a licence, or a change registration that
    market supervision reviews), never by editing a row here."""

    list_display = ("uscc", "name_zh", "entity_type", "status", "established_on")
    search_fields = ("uscc", "name_zh")
    readonly_fields = [f.name for f in Enterprise._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Application)
class ApplicationAdmin(AuditedAdmin, admin.ModelAdmin):
    """Read-only: applications change only through their workflow (no editable state here)."""

    list_display = ("id", "kind", "state", "applicant", "enterprise", "created_at")
    list_filter = ("state", "kind")
    readonly_fields = [f.name for f in Application._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(IssuedDocument)
class IssuedDocumentAdmin(AuditedAdmin, CanonicalSearchMixin, admin.ModelAdmin):
    list_display = ("number", "kind", "enterprise", "issued_at", "superseded_at")
    search_fields = ("number",)

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Todo)
class TodoAdmin(AuditedAdmin, CanonicalSearchMixin, admin.ModelAdmin):
    """Read-only: todos come from routing rules on a change and close when the department approves."""

    list_display = ("enterprise", "department", "title", "rule_version", "due_date", "status")
    list_filter = ("status", "department")
    search_fields = ("enterprise__uscc", "enterprise__name_zh", "title")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(SigningRule)
class SigningRuleAdmin(AuditedAdmin, admin.ModelAdmin):
    """Who signs an application of an entity type; without a rule, the legal representative and every
    natural-person investor."""

    list_display = ("entity_type", "signers")
