"""A task goes through the real broker to a real worker process that uses the test database."""

import pytest
from django.db import connection

from portal.tasks import ping

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def test_task_round_trip_through_broker_and_worker(celery_worker):
    result = ping.delay()

    answer = result.get(timeout=30)

    assert answer["pong"] is True
    assert answer["database"] == connection.vendor
    assert answer["database_name"] == str(connection.settings_dict["NAME"])
    assert result.state == "SUCCESS"


def test_department_queue_is_consumed_by_a_plain_worker(celery_worker):
    # `celery -A portal worker` with no -Q must also serve every dept.<code> queue.
    answer = ping.apply_async(queue="dept.customs").get(timeout=30)

    assert answer["pong"] is True


def test_the_worker_keeps_its_database_connection_from_task_to_task(celery_worker):
    # Celery's Django fixup used to close it around every task: a new PostgreSQL backend per delivery (bench/cost).
    if connection.vendor != "postgresql":
        pytest.skip("SQLite connections are opened per use (CONN_MAX_AGE 0); nothing to keep")
    backends = {ping.delay().get(timeout=30)["backend"] for _ in range(3)}

    assert len(backends) == 1
