"""The Celery app: `celery -A portal worker` (all queues) and `celery -A portal beat`.

Department filings go to one queue per department (``dept.<code>``) so a slow department system never holds up
the others and production can give a department its own workers: ``celery -A portal worker -Q dept.customs``.
"""

import os

from celery import Celery, signals

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

app = Celery("portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@signals.task_prerun.connect
@signals.task_postrun.connect
def _database_connections_as_for_requests(task=None, **_kwargs) -> None:
    """Celery's Django fixup closes every database connection before and after each task unless CELERY_DB_REUSE_MAX
    is set (settings: it is), which cost a new PostgreSQL backend per task (bench/cost). Connections are treated as
    Django treats them around a request instead: closed when unusable or older than CONN_MAX_AGE."""
    from django.db import close_old_connections

    if task is not None and getattr(task.request, "is_eager", False):
        return  # run inline by its caller, maybe inside the caller's transaction: its connection is not ours
    close_old_connections()
