from celery import shared_task
from django.db import connection


@shared_task(name="portal.ping")
def ping() -> dict:
    """A round trip through broker, worker and database: which database does the worker really use?"""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return {"pong": True, "database": connection.vendor, "database_name": str(connection.settings_dict["NAME"])}


@shared_task(name="portal.noop")
def noop() -> None:
    """Does nothing: the baseline of what the broker and workers cost per task (bench/pipeline)."""
