"""The suite runs on the services the environment names; in CI that must be PostgreSQL and Redis."""

import os

from django.conf import settings
from django.db import connection


def test_database_is_the_one_the_environment_names(db):
    url = os.environ.get("DATABASE_URL", "")
    expected = "postgresql" if url.startswith(("postgres://", "postgresql://")) else "sqlite"
    if os.environ.get("CI") == "true":
        expected = "postgresql"

    assert connection.vendor == expected


def test_broker_is_the_one_the_environment_names():
    redis_url = os.environ.get("CELERY_BROKER_URL") or os.environ.get("REDIS_URL", "")
    expected = "redis://" if redis_url.startswith("redis://") else "portalfs://"
    if os.environ.get("CI") == "true":
        expected = "redis://"

    assert settings.CELERY_BROKER_URL.startswith(expected)
