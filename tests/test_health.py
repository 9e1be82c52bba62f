"""`GET /healthz`: 200 when database, broker and cache answer; 503 naming the component that does not."""

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import database_url_for_tests

ROOT = Path(__file__).resolve().parent.parent
DEAD_REDIS = "redis://127.0.0.1:1/0"  # nothing listens on port 1: what a killed Redis looks like


def test_healthy_portal_reports_ok(client, db):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "broker": "ok", "cache": "ok"}


def test_unreachable_broker_gives_503_naming_the_broker(client, db, settings):
    settings.CELERY_BROKER_URL = DEAD_REDIS
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {}

    response = client.get("/healthz")

    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "error"
    assert body["database"] == "ok"
    assert body["broker"].startswith("error:")


def test_production_with_redis_killed_gives_503(db, tmp_path):
    # The real production settings in a separate process: Redis is broker and cache there.
    code = (
        "import django, json; django.setup(); from django.test import Client; "
        "r = Client().get('/healthz', HTTP_HOST='portal.example'); print(r.status_code, r.content.decode())"
    )
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "portal.settings",
        "DJANGO_ENV": "production",
        "SECRET_KEY": "k3H9s-2vQ_8zXpLw7RnT4yBcJ6mDfG1aU5eYhN0iKoPqSr-7Wx9Zt2Lm",
        "ALLOWED_HOSTS": "portal.example",
        "DATABASE_URL": database_url_for_tests(),
        "REDIS_URL": DEAD_REDIS,
        "PORTAL_VAR_DIR": str(tmp_path),
    }
    env.pop("CELERY_BROKER_URL", None)

    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)

    status, body = result.stdout.strip().split(" ", 1)
    assert status == "503", result.stderr
    report = json.loads(body)
    assert report["database"] == "ok"
    assert report["broker"].startswith("error:")
    assert report["cache"].startswith("error:")


def test_healthz_is_not_cached(client, db):
    response = client.get("/healthz")

    assert "no-cache" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]
