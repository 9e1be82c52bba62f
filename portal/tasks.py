from celery import shared_task
from django.db import connection


@shared_task(name="portal.ping")
def ping() -> dict:
    """A round trip through broker, worker and database: which database does the worker really use?"""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()" if connection.vendor == "postgresql" else "SELECT 1")
        (backend,) = cursor.fetchone()
    return {"pong": True, "database": connection.vendor, "database_name": str(connection.settings_dict["NAME"]),
            "backend": backend if connection.vendor == "postgresql" else None}  # fmt: skip


@shared_task(name="portal.noop")
def noop() -> None:
    """Does nothing: the baseline of what the broker and workers cost per task (bench/pipeline)."""
