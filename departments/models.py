import re

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _


class AdapterKind(models.TextChoices):
    CLERK_QUEUE = "clerk_queue", _("Clerk queue (decided in the workbench)")
    HTTP = "http", _("HTTP to the department's system")


class Department(models.Model):
    """A government department that receives filings (办件) from the one-stop portal. Codes are public API."""

    code = models.CharField(_("code"), max_length=16, unique=True)
    name = models.CharField(_("name (Chinese)"), max_length=100)
    name_en = models.CharField(_("name (English)"), max_length=200)
    filing_name = models.CharField(_("filing (Chinese)"), max_length=200)
    filing_name_en = models.CharField(_("filing (English)"), max_length=200)
    routed_when = models.CharField(_("routed when (Chinese)"), max_length=300)
    routed_when_en = models.CharField(_("routed when (English)"), max_length=300)
    sort_order = models.PositiveSmallIntegerField(_("order"), default=0)
    adapter_kind = models.CharField(
        _("delivery"), max_length=16, choices=AdapterKind.choices, default=AdapterKind.CLERK_QUEUE
    )
    adapter_config = models.JSONField(_("delivery settings"), default=dict, blank=True)
    # Shared secret for HMAC signatures: on requests we send (HTTP adapter) and callbacks we receive.
    hmac_secret = models.CharField(_("signing key"), max_length=128, blank=True)
    sla_hours = models.PositiveIntegerField(
        _("decision time limit (hours)"), default=24, help_text=_("A filing undecided after this is overdue.")
    )
    prerequisites = models.ManyToManyField(
        "self",
        symmetrical=False,
        blank=True,
        related_name="dependents",
        verbose_name=_("must be approved first"),
        help_text=_("Filings of this department wait until these departments have approved theirs."),
    )

    class Meta:
        ordering = ["sort_order", "code"]
        verbose_name = _("department")
        verbose_name_plural = _("departments")

    def __str__(self) -> str:
        return f"{self.code} {self.display_name}"

    @property
    def queue(self) -> str:
        """The Celery queue this department's deliveries run on."""
        return f"dept.{self.code.lower()}"

    @property
    def prerequisite_codes(self) -> list[str]:
        return sorted(d.code for d in self.prerequisites.all())

    @property
    def display_name(self) -> str:
        return self.name_en if (get_language() or "").startswith("en") else self.name

    @property
    def display_filing_name(self) -> str:
        return self.filing_name_en if (get_language() or "").startswith("en") else self.filing_name

    @property
    def display_routed_when(self) -> str:
        return self.routed_when_en if (get_language() or "").startswith("en") else self.routed_when


class RuleTrigger(models.TextChoices):
    ALWAYS = "always", _("Always")
    NEW_COMPANY = "new_company", _("New company (no licence yet)")
    FOREIGN_TRADE = "foreign_trade", _("Foreign trade: import/export declared or scope matches")
    INDUSTRY = "industry", _("Industry class in the listed codes")
    SCOPE = "scope", _("Business scope matches the keywords")


def validate_industry_codes(value: str) -> None:
    for entry in (part.strip() for part in value.split(",")):
        if not entry:
            continue
        bounds = entry.split("-")
        if len(bounds) > 2 or not all(b.isdigit() for b in bounds) or len({len(b) for b in bounds}) != 1:
            raise ValidationError(
                _("“%(entry)s” is not a code or a range of codes of equal length such as 8111-8113."),
                params={"entry": entry},
            )


def validate_scope_pattern(value: str) -> None:
    try:
        re.compile(value)
    except re.error as exc:
        raise ValidationError(_("Not a valid keyword pattern: %(error)s"), params={"error": str(exc)}) from None


class RoutingRule(models.Model):
    """One reason to route a department (路由规则). A department is routed when any of its active rules matches.

    Rules are data so admins can add or change them without a deploy; a change creates a new version and the
    old row stays (inactive) so todos and filings can name the exact rule version that produced them.
    """

    department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="routing_rules")
    trigger = models.CharField(_("trigger"), max_length=16, choices=RuleTrigger.choices)
    industry_codes = models.CharField(
        _("industry codes"),
        max_length=500,
        blank=True,
        validators=[validate_industry_codes],
        help_text=_("GB/T 4754 codes or prefixes, comma-separated; ranges like 13-43 or 8111-8113."),
    )
    scope_pattern = models.CharField(
        _("scope keywords"),
        max_length=1000,
        blank=True,
        validators=[validate_scope_pattern],
        help_text=_("Keywords separated by | (a regular expression), matched in the business scope."),
    )
    todo_text = models.TextField(_("what the enterprise must do (Chinese)"), blank=True)
    todo_text_en = models.TextField(_("what the enterprise must do (English)"), blank=True)
    due_days = models.PositiveSmallIntegerField(_("due within (days)"), null=True, blank=True)
    version = models.PositiveIntegerField(_("version"), default=1)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["department__sort_order", "trigger", "id"]
        verbose_name = _("routing rule")
        verbose_name_plural = _("routing rules")

    def __str__(self) -> str:
        return f"{self.department.code}: {self.get_trigger_display()} (v{self.version})"

    def clean(self) -> None:
        if self.trigger == RuleTrigger.INDUSTRY and not self.industry_codes.strip():
            raise ValidationError({"industry_codes": _("An industry rule needs at least one code.")})
        if self.trigger == RuleTrigger.SCOPE and not self.scope_pattern.strip():
            raise ValidationError({"scope_pattern": _("A scope rule needs keywords.")})
