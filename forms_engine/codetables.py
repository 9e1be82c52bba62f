"""The code tables shipped as data files (docs/DOMAIN.md "Code tables"): Dongguan towns and GB/T 4754-2017.

Read straight from the CSVs so validation stays a pure function; `seed_demo` also loads them into the database
for pickers and dashboard joins.
"""

import csv
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

DATA_DIR = Path(__file__).resolve().parent / "data"
TOWNS_CSV = DATA_DIR / "dongguan-towns.csv"
INDUSTRY_CSV = DATA_DIR / "gbt4754-2017.csv"


@dataclass(frozen=True)
class TownRow:
    code: str
    name_zh: str
    name_en: str
    kind: str


@dataclass(frozen=True)
class IndustryRow:
    level: str
    code: str
    section: str
    name_zh: str


def _read(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


@lru_cache(maxsize=1)
def towns() -> dict[str, TownRow]:
    return {row["code"]: TownRow(**row) for row in _read(TOWNS_CSV)}


@lru_cache(maxsize=1)
def industry_codes() -> dict[str, IndustryRow]:
    return {row["code"]: IndustryRow(**row) for row in _read(INDUSTRY_CSV)}


@lru_cache(maxsize=1)  # read-only like the table it filters; every industry-code check asks for it
def industry_classes() -> dict[str, IndustryRow]:
    """Only the 4-digit classes: the level an applicant picks."""
    return {code: row for code, row in industry_codes().items() if row.level == "class"}


@dataclass(frozen=True)
class CountryRow:
    code: str  # ISO 3166-1 alpha-3, what the forms store
    name_zh: str
    name_en: str


@lru_cache(maxsize=1)
def countries() -> tuple[CountryRow, ...]:
    """ISO 3166-1 countries and regions with their names in Chinese and English, from pycountry (its own
    translations of the ISO names, not a table of ours); China first, then by code."""
    import gettext

    import pycountry

    chinese = gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=["zh_CN"], fallback=True)
    rows = [
        CountryRow(c.alpha_3, chinese.gettext(c.name), getattr(c, "common_name", None) or c.name)
        for c in pycountry.countries
    ]
    return tuple(sorted(rows, key=lambda r: (r.code != "CHN", r.code)))
