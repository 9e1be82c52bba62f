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
