"""Loading the existing register (docs/register-feed.md "Bulk load"): rows of enterprises that market supervision
licensed before the portal, read as a stream from CSV or JSON Lines, checked exactly as a pushed licence is, and
inserted in batches. A row whose code the register already holds is skipped, so a rerun adds nothing; a refused row
is reported with its reasons and the others load.

A row: `uscc`, `established_on` (ISO date), `version` (the register's version, default 1), `status` (`active`,
`revoked`, `deregistered`; default active) and the register items by key. In CSV, objects and lists are spelled
as dotted columns (`legal_rep.name`, `investors.0.subscribed_amount`); in JSON Lines, as JSON.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from django.db import transaction
from django.utils.translation import gettext as _

from forms_engine.canonical import compact
from forms_engine.identity import uscc_problem
from portal.audit import audit_record
from portal.errors import PortalError

from .models import Enterprise
from .names import name_key
from .register_feed import FEED_USERNAME, register_data_clean, register_items

BATCH = 1000
STATUSES = {s.value for s in Enterprise.Status}
ROW_FIELDS = ("uscc", "established_on", "version", "status")


@dataclass
class ImportReport:
    rows: int = 0
    loaded: int = 0
    present: int = 0
    refused: list[tuple[int, str, dict[str, list[str]]]] = field(default_factory=list)


def _unflatten(row: dict[str, str]) -> dict[str, Any]:
    """CSV cells by dotted column → nested objects and lists; empty cells are absent."""
    out: dict[str, Any] = {}
    for column, value in row.items():
        if column is None or value is None or value == "":
            continue
        parts = column.strip().split(".")
        node: Any = out
        for here, nxt in zip(parts, parts[1:], strict=False):
            key: Any = int(here) if here.isdigit() else here
            child: list | dict = [] if nxt.isdigit() else {}
            if isinstance(node, list):
                while len(node) <= key:
                    node.append(None)
                node[key] = node[key] if node[key] is not None else child
                node = node[key]
            else:
                node = node.setdefault(key, child)
        last: Any = int(parts[-1]) if parts[-1].isdigit() else parts[-1]
        if isinstance(node, list):
            while len(node) <= last:
                node.append(None)
        node[last] = value
    return out


def rows_read(path: Path, stream: TextIO) -> Iterator[tuple[int, dict[str, Any] | None, str]]:
    """(line number, row or None, why it could not be read) for each row of a CSV or JSON Lines file."""
    if path.suffix.lower() in (".jsonl", ".ndjson", ".json"):
        for number, line in enumerate(stream, start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except ValueError as exc:
                yield number, None, _("Not a JSON object: %(error)s") % {"error": exc}
                continue
            yield (number, row, "") if isinstance(row, dict) else (number, None, _("Not a JSON object."))
        return
    for number, row in enumerate(csv.DictReader(stream), start=2):
        yield number, _unflatten(row), ""


def row_check(row: dict[str, Any], items: dict) -> tuple[dict[str, Any] | None, dict[str, list[str]]]:
    """The enterprise fields of one row, canonical, or the problems by column (`items`: `register_items()`, read
    once per import)."""
    errors: dict[str, list[str]] = {}
    code = compact(row.get("uscc") or "")
    problem = uscc_problem(code) if code else _("This field is required.")
    if problem:
        errors["uscc"] = [problem]
    try:
        established = dt.date.fromisoformat(str(row.get("established_on") or ""))
    except ValueError:
        errors["established_on"] = [_("Enter a date as YYYY-MM-DD.")]
    version = str(row.get("version") or "1")
    if not version.isdigit() or not 1 <= int(version) < 2**63:
        errors["version"] = [_("Enter a whole number of at least 1.")]
    status = str(row.get("status") or Enterprise.Status.ACTIVE)
    if status not in STATUSES:
        errors["status"] = [_("Use one of: %(choices)s.") % {"choices": ", ".join(sorted(STATUSES))}]
    try:
        data = register_data_clean({k: v for k, v in row.items() if k not in ROW_FIELDS}, licence=True, items=items)
    except PortalError as refused:
        errors.update({path.removeprefix("data."): messages for path, messages in refused.errors.items()})
    if errors:
        return None, errors
    return {
        "uscc": code, "established_on": established, "register_version": int(version), "status": status,
        "name_zh": data["name_zh"], "name_key": name_key(data["name_zh"]), "entity_type": data["entity_type"],
        "data": data,
    }, {}  # fmt: skip


def register_import(
    rows: Iterable[tuple[int, dict[str, Any] | None, str]],
    *,
    source: str,
    progress: Callable[[ImportReport], None] | None = None,
) -> ImportReport:
    """Load the rows in batches of `BATCH`, each batch in one transaction with one audit event; codes the register
    holds (or that appear twice in the file) are skipped. Returns what was loaded, skipped and refused."""
    report = ImportReport()
    items = register_items()
    batch: list[tuple[int, dict[str, Any]]] = []
    for number, row, unreadable in rows:
        report.rows += 1
        if row is None:
            report.refused.append((number, "", {"row": [unreadable]}))
            continue
        fields, errors = row_check(row, items)
        if fields is None:
            report.refused.append((number, str(row.get("uscc") or ""), errors))
            continue
        batch.append((number, fields))
        if len(batch) >= BATCH:
            _batch_load(batch, report, source)
            batch = []
            if progress:
                progress(report)
    if batch:
        _batch_load(batch, report, source)
    if progress:
        progress(report)
    return report


@transaction.atomic
def _batch_load(batch: list[tuple[int, dict[str, Any]]], report: ImportReport, source: str) -> None:
    codes = [fields["uscc"] for _n, fields in batch]
    held = set(Enterprise.objects.filter(uscc__in=codes).values_list("uscc", flat=True))
    new: dict[str, Enterprise] = {}
    for _number, fields in batch:
        if fields["uscc"] in held or fields["uscc"] in new:
            report.present += 1
            continue
        new[fields["uscc"]] = Enterprise(**fields)
    # ignore_conflicts: a code another process loaded meanwhile stays as that process wrote it.
    Enterprise.objects.bulk_create(new.values(), batch_size=BATCH, ignore_conflicts=True)
    report.loaded += len(new)
    if new:
        audit_record(
            action="register.imported", obj_type="register_import", obj_id=source[-40:], actor_label=FEED_USERNAME,
            after={"loaded": len(new), "first": min(new), "last": max(new)},
        )  # fmt: skip
