"""Generic database helpers: fast bulk inserts for generated data (demo history, benchmarks), and inserts that
concurrent requests commit together (the verification access log)."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterable
from typing import Any

from django.db import connections, models, router, transaction


def rows_insert(model: type, rows: list[dict[str, Any]]) -> list[int]:
    """INSERT rows given as column values (attnames) and return their ids, in order, without the per-value work of
    `bulk_create` and the database driver's query rewriting, which took most of the time: PostgreSQL gets COPY,
    SQLite multi-row INSERTs. Ids are drawn first (PostgreSQL: from the sequence; SQLite: after the highest, safe
    because the surrounding transaction holds SQLite's only write lock). Columns not given get their default;
    `auto_now` fields are not touched, so the rows keep the times given."""
    connection = connections[router.db_for_write(model)]
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    table, quote = model._meta.db_table, connection.ops.quote_name
    columns = ", ".join(quote(c) for c in ["id", *(f.column for f in fields)])
    json_fields = {f.attname for f in fields if isinstance(f, models.JSONField)}
    defaults = {f.attname: f.get_default() for f in fields}
    sqlite = connection.vendor == "sqlite"

    def value(field_name: str, row: dict[str, Any]) -> Any:
        found = row[field_name] if field_name in row else defaults[field_name]
        if field_name in json_fields:
            return model._meta.get_field(field_name).get_db_prep_save(found, connection)
        if sqlite and isinstance(found, dt.datetime):
            return str(found.astimezone(dt.UTC).replace(tzinfo=None))  # what Django stores in SQLite: UTC text
        if sqlite and isinstance(found, dt.date):
            return found.isoformat()
        return found

    names = [f.attname for f in fields]
    prepared_defaults = {n: value(n, {}) for n in names}

    def values(row: dict[str, Any]) -> Iterable[Any]:
        return (value(n, row) if n in row else prepared_defaults[n] for n in names)

    with connection.cursor() as cursor:
        if sqlite:
            cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {quote(table)}")  # noqa: S608 — a model's table
            first = cursor.fetchone()[0] + 1
            ids = list(range(first, first + len(rows)))
            batch = 30_000 // (len(names) + 1)  # SQLite allows 32,766 parameters per statement
            placeholders = f"({', '.join(['%s'] * (len(names) + 1))})"
            for start in range(0, len(rows), batch):
                chunk = list(zip(ids[start : start + batch], rows[start : start + batch], strict=True))
                cursor.execute(
                    f"INSERT INTO {quote(table)} ({columns}) VALUES {', '.join([placeholders] * len(chunk))}",  # noqa: S608
                    [v for pk, row in chunk for v in (pk, *values(row))],
                )
            return ids
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)", [table, len(rows)]
        )
        ids = [pk for (pk,) in cursor.fetchall()]
        with cursor.cursor.copy(f"COPY {quote(table)} ({columns}) FROM STDIN") as copy:
            for pk, row in zip(ids, rows, strict=True):
                copy.write_row((pk, *values(row)))
        return ids


class GroupCommit:
    """Durable inserts shared between the threads of a process: each caller returns once its row is committed,
    and rows that arrive while a commit is under way go together in the next one (one INSERT, one commit, one
    write-ahead-log flush for all). The first waiting caller writes the batch on its own connection (a leader,
    as PostgreSQL's group commit works) so no background thread or extra connection is needed, and nothing is
    held in memory that a dying process could lose: a caller whose row is not committed has not answered yet.
    With one request per process (gunicorn sync workers) every batch has one row, as a plain `create` would.

    `write(row)` raises what the insert of its batch raised (every caller of that batch gets the error)."""

    def __init__(self, model: type[models.Model]):
        # No limit on a batch: it holds at most one row per thread of the process, and a caller must always be in
        # the batch it leads.
        self.model = model
        self._turn = threading.Condition()
        self._pending: list[_Waiting] = []
        self._writing = False

    def write(self, row: models.Model) -> None:
        mine = _Waiting(row)
        with self._turn:
            self._pending.append(mine)
            while not mine.done and self._writing:
                self._turn.wait()
            if mine.done:
                return mine.result()
            self._writing = True  # this caller leads: its row and every one queued before the lock was free
            batch, self._pending = self._pending, []
        error: BaseException | None = None
        try:
            self._insert([w.row for w in batch])
        except BaseException as raised:  # noqa: BLE001 — handed to every caller of the batch, then raised
            error = raised
        with self._turn:
            for waiting in batch:
                waiting.done, waiting.error = True, error
            self._writing = False
            self._turn.notify_all()
        return mine.result()

    def _insert(self, rows: list[models.Model]) -> None:
        """Insert and commit `rows`: one alone as a single autocommitted INSERT (one round trip, where a transaction
        would add BEGIN and COMMIT), several in one multi-row INSERT inside a transaction."""
        if len(rows) == 1:
            rows[0].save(force_insert=True)
            return
        with transaction.atomic(using=router.db_for_write(self.model)):
            self.model.objects.bulk_create(rows)  # type: ignore[attr-defined]


class _Waiting:
    __slots__ = ("done", "error", "row")

    def __init__(self, row: models.Model):
        self.row, self.done = row, False
        self.error: BaseException | None = None

    def result(self) -> None:
        if self.error is not None:
            raise self.error
