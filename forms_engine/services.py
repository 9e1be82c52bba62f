"""Writes to the cloud form's tables."""

from django.db import transaction

from . import codetables
from .models import GBT4754, IndustryCode, Town


@transaction.atomic
def codetables_load() -> tuple[int, int]:
    """Load the towns and GB/T 4754-2017 tables from the shipped CSVs into the database. Safe to run again."""
    towns = [Town(code=t.code, name_zh=t.name_zh, name_en=t.name_en, kind=t.kind) for t in codetables.towns().values()]
    Town.objects.bulk_create(
        towns, update_conflicts=True, unique_fields=["code"], update_fields=["name_zh", "name_en", "kind"]
    )
    industries = [
        IndustryCode(standard=GBT4754, code=r.code, level=r.level, section=r.section, name_zh=r.name_zh)
        for r in codetables.industry_codes().values()
    ]
    IndustryCode.objects.bulk_create(
        industries,
        update_conflicts=True,
        unique_fields=["standard", "code"],
        update_fields=["level", "section", "name_zh"],
        batch_size=500,
    )
    return len(towns), len(industries)
