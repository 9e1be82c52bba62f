from django.contrib import admin

from portal.admin_audit import AuditedAdmin

from .models import CertificateAuthority, Department, RoutingRule
from .services import RULE_FIELDS, routing_rule_revise
from .trust import CA_FIELDS, trust_list_revise


class RoutingRuleInline(admin.TabularInline):
    """Read-only here: rules are changed on their own page so every change becomes a new version."""

    model = RoutingRule
    extra = 0
    fields = ("trigger", "industry_codes", "scope_pattern", "due_days", "version", "is_active")
    readonly_fields = fields
    show_change_link = True
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Department)
class DepartmentAdmin(AuditedAdmin, admin.ModelAdmin):
    list_display = ("code", "name", "name_en", "adapter_kind", "sla_hours")
    list_filter = ("adapter_kind",)
    search_fields = ("code", "name", "name_en")
    filter_horizontal = ("prerequisites",)
    exclude = ("hmac_secret",)
    inlines = [RoutingRuleInline]


class VersionedAdmin:
    """A mixin named after AuditedAdmin: saving a change of a versioned row (routing rule, trust list entry)
    retires it and adds the next version through `revise(row, **changes)`; `identity` fields name the row and
    cannot change once it exists."""

    versioned_fields: tuple[str, ...] = ()
    identity: tuple[str, ...] = ()

    def revise(self, row, **changes):
        raise NotImplementedError

    def get_readonly_fields(self, request, obj=None):
        readonly = tuple(self.readonly_fields)  # type: ignore[attr-defined]
        return (*readonly, *self.identity) if obj else readonly

    def save_model(self, request, obj, form, change):
        changes = {f: form.cleaned_data[f] for f in form.changed_data if f in self.versioned_fields}
        if change and changes:
            successor = self.revise(type(obj).objects.get(pk=obj.pk), **changes)
            obj.pk, obj.version = successor.pk, successor.version
        else:
            super().save_model(request, obj, form, change)  # type: ignore[misc]


@admin.register(RoutingRule)
class RoutingRuleAdmin(AuditedAdmin, VersionedAdmin, admin.ModelAdmin):
    list_display = ("department", "trigger", "version", "is_active", "due_days")
    list_filter = ("is_active", "trigger", "department")
    readonly_fields = ("version", "created_at")
    versioned_fields = RULE_FIELDS
    identity = ("department", "trigger")  # changing them would make a different rule

    def revise(self, row, **changes):
        return routing_rule_revise(rule=row, **changes)


@admin.register(CertificateAuthority)
class CertificateAuthorityAdmin(AuditedAdmin, VersionedAdmin, admin.ModelAdmin):
    """The trust list. A change becomes the entry's next version (the old one stays, inactive), so a verified
    signature keeps naming the entry it was checked against; the CRL kept is the platform's, not editable."""

    list_display = ("code", "name", "version", "is_active", "valid_until", "crl_fetched_at")
    list_filter = ("is_active",)
    search_fields = ("code", "name", "name_en")
    readonly_fields = ("version", "created_at", "crl_next_update", "crl_fetched_at")
    versioned_fields = CA_FIELDS
    identity = ("code",)

    def revise(self, row, **changes):
        return trust_list_revise(ca=row, **changes)
