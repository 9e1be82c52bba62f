import json

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

GBT4754 = "GB/T 4754-2017"


class Town(models.Model):
    """A Dongguan subdistrict, town or special area (镇街) with its 9-digit statistical division code."""

    class Kind(models.TextChoices):
        STREET = "street", _("Subdistrict")
        TOWN = "town", _("Town")
        SPECIAL = "special", _("Special area")

    code = models.CharField(_("code"), max_length=9, unique=True)
    name_zh = models.CharField(_("name (Chinese)"), max_length=50)
    name_en = models.CharField(_("name (English)"), max_length=100)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)

    class Meta:
        ordering = ["code"]
        verbose_name = _("town")
        verbose_name_plural = _("towns")

    def __str__(self) -> str:
        return f"{self.code} {self.name_zh}"


class IndustryCode(models.Model):
    """A GB/T 4754 industry code (行业代码) at any level: section letter, division, group or class."""

    class Level(models.TextChoices):
        SECTION = "section", _("Section")
        DIVISION = "division", _("Division")
        GROUP = "group", _("Group")
        CLASS = "class", _("Class")

    standard = models.CharField(_("classification"), max_length=20, default=GBT4754)
    code = models.CharField(_("code"), max_length=4)
    level = models.CharField(_("level"), max_length=10, choices=Level.choices)
    section = models.CharField(_("section"), max_length=1)
    name_zh = models.CharField(_("name (Chinese)"), max_length=100)

    class Meta:
        ordering = ["standard", "code"]
        verbose_name = _("industry code")
        verbose_name_plural = _("industry codes")
        constraints = [models.UniqueConstraint(fields=["standard", "code"], name="industry_code_unique")]

    def __str__(self) -> str:
        return f"{self.code} {self.name_zh}"


class DataItem(models.Model):
    """A canonical data item of the cloud form (数据项): typed once, delivered to every department that needs it.

    Keys and enum values are public API: once published they never change (new choices may be added).
    """

    class Type(models.TextChoices):
        STRING = "string", _("Text (one line)")
        TEXT = "text", _("Text (several lines)")
        INTEGER = "integer", _("Whole number")
        DECIMAL = "decimal", _("Decimal number")
        DATE = "date", _("Date")
        MONTH = "month", _("Month")
        BOOLEAN = "boolean", _("Yes / no")
        ENUM = "enum", _("Choice")
        PERSON = "person", _("Person")
        LIST = "list", _("List of entries")

    key = models.SlugField(_("key"), max_length=40, unique=True)
    label = models.CharField(_("label (Chinese)"), max_length=100)
    label_en = models.CharField(_("label (English)"), max_length=150)
    help = models.CharField(_("help (Chinese)"), max_length=300, blank=True)
    help_en = models.CharField(_("help (English)"), max_length=300, blank=True)
    type = models.CharField(_("type"), max_length=10, choices=Type.choices)
    section = models.CharField(_("section"), max_length=20, default="entity")
    position = models.PositiveIntegerField(_("position"), default=0)
    required = models.BooleanField(_("required when asked"), default=False)
    sensitive = models.BooleanField(
        _("sensitive"), default=False, help_text=_("ID numbers, mobiles: masked in lists and never verified publicly.")
    )
    department_specific = models.BooleanField(
        _("department-specific"), default=False, help_text=_("Asked only when a routed department's form uses it.")
    )
    issued = models.BooleanField(_("issued by the platform"), default=False)
    multiple = models.BooleanField(_("several choices"), default=False)
    choices = models.JSONField(_("choices"), default=list, blank=True)
    fields = models.JSONField(_("sub-fields"), default=list, blank=True)
    validators = models.JSONField(_("validators"), default=list, blank=True)
    default = models.JSONField(_("default"), null=True, blank=True)
    constraints = models.JSONField(
        _("limits"), default=dict, blank=True, help_text=_("max_length, min_value, max_value, decimal_places, …")
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["position", "key"]
        verbose_name = _("data item")
        verbose_name_plural = _("data items")

    def __str__(self) -> str:
        return f"{self.key} {self.label}"

    SPEC_COLUMNS = (
        "key", "label", "label_en", "help", "help_en", "type", "section", "position", "required", "sensitive",
        "department_specific", "issued", "multiple", "choices", "fields", "validators", "default",
    )  # fmt: skip

    def clean(self) -> None:
        # Clients match on enum values (docs/CONTRACT.md): once published a value may gain a label change, never vanish.
        if self.pk is None:
            return
        before = DataItem.objects.filter(pk=self.pk).values_list("choices", flat=True).first() or []
        kept = {c.get("value") for c in self.choices or [] if isinstance(c, dict)}
        removed = [c["value"] for c in before if c.get("value") not in kept]
        if removed:
            raise ValidationError(
                {
                    "choices": _("Published choice values cannot be removed or renamed: %(values)s")
                    % {"values": ", ".join(removed)}
                }
            )

    def as_dict(self) -> dict:
        return {**{name: getattr(self, name) for name in self.SPEC_COLUMNS}, **(self.constraints or {})}


class DepartmentForm(models.Model):
    """A department's own form (e.g. 税务登记信息确认表). Its fields live in immutable versions."""

    department_code = models.CharField(_("department"), max_length=16, unique=True)
    title = models.CharField(_("title (Chinese)"), max_length=200)
    title_en = models.CharField(_("title (English)"), max_length=200)
    sheets = models.PositiveSmallIntegerField(
        _("paper sheets"), default=1, help_text=_("Sheets the paper form took: counted as paper saved.")
    )

    class Meta:
        ordering = ["id"]
        verbose_name = _("department form")
        verbose_name_plural = _("department forms")

    def __str__(self) -> str:
        return f"{self.department_code} {self.title}"


class FormVersion(models.Model):
    """One version of a department form. A draft is edited; publishing freezes it for good, so a filing made with
    version n keeps showing version n after version n+1 is published."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published")

    form = models.ForeignKey(DepartmentForm, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField(_("version"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.DRAFT)
    note = models.CharField(_("what changed"), max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    published_at = models.DateTimeField(null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["form", "-number"]
        verbose_name = _("form version")
        verbose_name_plural = _("form versions")
        constraints = [
            models.UniqueConstraint(fields=["form", "number"], name="form_version_number_unique"),
            # At most one draft per form: two admins editing two drafts would lose one's work on publish.
            models.UniqueConstraint(fields=["form"], condition=models.Q(status="draft"), name="form_single_draft"),
        ]

    def __str__(self) -> str:
        return f"{self.form.department_code} v{self.number} ({self.get_status_display()})"

    @property
    def is_published(self) -> bool:
        return self.status == self.Status.PUBLISHED


class PublishedVersionError(Exception):
    """A published form version was about to change."""


class FieldMapping(models.Model):
    """One field of a department form version and how it is filled: a named transform with arguments."""

    version = models.ForeignKey(FormVersion, on_delete=models.CASCADE, related_name="mappings")
    position = models.PositiveIntegerField(_("position"), default=0)
    name = models.CharField(_("department's field name"), max_length=100)
    group = models.CharField(_("block"), max_length=100, blank=True)
    transform = models.CharField(_("transform"), max_length=40)
    args = models.JSONField(_("arguments"), default=dict, blank=True)
    required = models.BooleanField(_("required"), default=False)

    class Meta:
        ordering = ["version", "position", "id"]
        verbose_name = _("field mapping")
        verbose_name_plural = _("field mappings")

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        if FormVersion.objects.filter(pk=self.version_id, status=FormVersion.Status.PUBLISHED).exists():
            raise PublishedVersionError("a published form version cannot change")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        if FormVersion.objects.filter(pk=self.version_id, status=FormVersion.Status.PUBLISHED).exists():
            raise PublishedVersionError("a published form version cannot change")
        return super().delete(*args, **kwargs)

    @property
    def args_json(self) -> str:
        return json.dumps(self.args, ensure_ascii=False)
