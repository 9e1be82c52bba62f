"""The Celery app: `celery -A portal worker` (all queues) and `celery -A portal beat`.

Department filings go to one queue per department (``dept.<code>``) so a slow department system never holds up
the others and production can give a department its own workers: ``celery -A portal worker -Q dept.customs``.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

app = Celery("portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
