"""Settings come from the environment (docs/CONTRACT.md) and production settings pass `check --deploy`."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHOW = (
    "import json, django; django.setup(); from django.conf import settings as s; "
    "print(json.dumps({'db': s.DATABASES['default']['ENGINE'], 'name': str(s.DATABASES['default']['NAME']), "
    "'broker': s.CELERY_BROKER_URL, 'debug': s.DEBUG, 'hosts': s.ALLOWED_HOSTS, "
    "'cache': s.CACHES['default']['BACKEND']}))"
)
REAL_SECRET = "k3H9s-2vQ_8zXpLw7RnT4yBcJ6mDfG1aU5eYhN0iKoPqSr-7Wx9Zt2Lm"


def run(code_or_args, **env_changes):
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL", "CI"}}
    env.update({"DJANGO_SETTINGS_MODULE": "portal.settings", **env_changes})
    args = code_or_args if isinstance(code_or_args, list) else ["-c", code_or_args]
    return subprocess.run([sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)


def test_defaults_are_embedded_sqlite_and_filesystem_broker(tmp_path):
    result = run(SHOW, PORTAL_VAR_DIR=str(tmp_path))

    shown = json.loads(result.stdout)
    assert shown["db"] == "django.db.backends.sqlite3"
    assert shown["name"].startswith(str(tmp_path))
    assert shown["broker"] == "portalfs://"
    assert shown["debug"] is True
    assert (tmp_path / "broker" / "queue").is_dir()


def test_urls_from_environment_are_used(tmp_path):
    result = run(
        SHOW,
        PORTAL_VAR_DIR=str(tmp_path),
        DATABASE_URL="postgres://portal@db.internal:5432/portal",
        REDIS_URL="redis://cache.internal:6379/2",
        DEBUG="false",
        ALLOWED_HOSTS="portal.example, www.portal.example",
    )

    shown = json.loads(result.stdout)
    assert shown["db"] == "django.db.backends.postgresql"
    assert shown["name"] == "portal"
    assert shown["broker"] == "redis://cache.internal:6379/2"
    assert shown["cache"] == "django.core.cache.backends.redis.RedisCache"
    assert shown["debug"] is False
    assert shown["hosts"] == ["portal.example", "www.portal.example"]


def test_celery_broker_url_wins_over_redis_url(tmp_path):
    result = run(SHOW, PORTAL_VAR_DIR=str(tmp_path), REDIS_URL="redis://a:6379/0", CELERY_BROKER_URL="redis://b:6379/1")

    assert json.loads(result.stdout)["broker"] == "redis://b:6379/1"


def test_production_passes_check_deploy_with_no_warnings(tmp_path):
    result = run(
        ["manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        PORTAL_VAR_DIR=str(tmp_path),
        DJANGO_ENV="production",
        SECRET_KEY=REAL_SECRET,
        ALLOWED_HOSTS="portal.example",
    )

    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


def test_production_refuses_to_start_without_secret(tmp_path):
    result = run(SHOW, PORTAL_VAR_DIR=str(tmp_path), DJANGO_ENV="production", ALLOWED_HOSTS="portal.example")

    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_production_refuses_to_start_without_hosts(tmp_path):
    result = run(SHOW, PORTAL_VAR_DIR=str(tmp_path), DJANGO_ENV="production", SECRET_KEY=REAL_SECRET)

    assert result.returncode != 0
    assert "ALLOWED_HOSTS" in result.stderr


def test_a_mistyped_boolean_fails_loudly(tmp_path):
    result = run(SHOW, PORTAL_VAR_DIR=str(tmp_path), DEBUG="ture")

    assert result.returncode != 0
    assert "DEBUG='ture' is not a boolean" in result.stderr


def test_unknown_environment_name_fails_loudly(tmp_path):
    result = run(SHOW, PORTAL_VAR_DIR=str(tmp_path), DJANGO_ENV="prod")

    assert result.returncode != 0
    assert "DJANGO_ENV='prod'" in result.stderr


def test_server_side_cursors_can_be_turned_off_for_a_pooler_in_transaction_mode(tmp_path):
    code = "import django; django.setup(); from django.conf import settings as s; " \
        "print(s.DATABASES['default']['DISABLE_SERVER_SIDE_CURSORS'])"  # fmt: skip
    url = "postgres://portal@pgbouncer.internal:6432/portal"

    assert run(code, PORTAL_VAR_DIR=str(tmp_path), DATABASE_URL=url).stdout.strip() == "False"
    turned_off = run(code, PORTAL_VAR_DIR=str(tmp_path), DATABASE_URL=url, DB_DISABLE_SERVER_SIDE_CURSORS="true")
    assert turned_off.stdout.strip() == "True", turned_off.stderr
