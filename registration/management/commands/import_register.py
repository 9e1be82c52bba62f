"""`python manage.py import_register FILE [--report REFUSED.csv]` — load the existing register from CSV or JSON
Lines (format: docs/register-feed.md). Prints progress and a summary; refused rows and their reasons go to the
report (default: FILE with `.refused.csv`). Rerunning the same file adds nothing."""

from __future__ import annotations

import csv
import json
import sys
import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from registration.register_import import ImportReport, register_import, rows_read


class Command(BaseCommand):
    help = "Load enterprises licensed outside the portal into its register (CSV or JSON Lines)."

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument("--report", type=Path, default=None, help="where refused rows are written (CSV)")
        parser.add_argument("--quiet", action="store_true", help="no progress line")

    def handle(self, *args, file: Path, report: Path | None, quiet: bool, **options):
        if not file.is_file():
            raise CommandError(f"{file}: no such file")
        started = time.monotonic()

        def progress(done: ImportReport) -> None:
            if quiet:
                return
            rate = done.rows / max(time.monotonic() - started, 1e-6)
            sys.stderr.write(f"\r{done.rows:,} rows read, {done.loaded:,} loaded, {len(done.refused):,} refused "
                             f"({rate:,.0f} rows/s)")  # fmt: skip
            sys.stderr.flush()

        with file.open(encoding="utf-8-sig", newline="") as stream:
            result = register_import(rows_read(file, stream), source=file.name, progress=progress)
        if not quiet:
            sys.stderr.write("\n")
        seconds = time.monotonic() - started
        report_path = report or file.with_suffix(file.suffix + ".refused.csv")
        if result.refused:
            with report_path.open("w", encoding="utf-8", newline="") as out:
                writer = csv.writer(out)
                writer.writerow(["line", "uscc", "problems"])
                for number, code, errors in result.refused:
                    writer.writerow([number, code, json.dumps(errors, ensure_ascii=False)])
        self.stdout.write(
            f"{result.rows} rows: {result.loaded} loaded, {result.present} already in the register, "
            f"{len(result.refused)} refused"
            + (f" (see {report_path})" if result.refused else "")
            + f"; {seconds:.1f} s, {result.rows / max(seconds, 1e-6):,.0f} rows/s"
        )
