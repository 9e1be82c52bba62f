"""The verification access log under concurrent lookups (issue 18): rows that arrive together are committed
together, and no lookup returns before its own row is committed, or loses it."""

import threading
import time

import pytest
from django.db import connection

from registration import verification
from registration.models import AccessLogEntry
from registration.verification import access_log_write, institution_create

pytestmark = pytest.mark.django_db(transaction=True)


def _in_threads(count: int, work) -> list:
    """Run `work(index)` in `count` threads that start together; what each returned or raised, in order."""
    start, outcomes = threading.Barrier(count), [None] * count

    def run(index: int) -> None:
        start.wait()
        try:
            outcomes[index] = work(index)
        except Exception as error:  # noqa: BLE001 — the test looks at it
            outcomes[index] = error
        finally:
            connection.close()  # each thread had a connection of its own

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return outcomes


def test_lookups_made_together_are_committed_together_and_each_returns_committed(monkeypatch):
    bank, _key = institution_create(name="东莞银行", kind="bank", scopes=["verify"])
    batches = []
    insert = verification._access_log._insert

    def slow_insert(rows):
        batches.append(len(rows))
        if len(batches) == 1:
            time.sleep(0.3)  # the first commit is slow: the lookups that arrive meanwhile queue for the next
        return insert(rows)

    monkeypatch.setattr(verification._access_log, "_insert", slow_insert)

    def lookup(index: int) -> bool:
        access_log_write(institution=bank, uscc=f"91441900MA4UJ8K2{index:02d}", purpose="开户", status=200)
        # Returned: the row is committed, seen from this thread's own connection.
        return AccessLogEntry.objects.filter(uscc=f"91441900MA4UJ8K2{index:02d}").exists()

    outcomes = _in_threads(16, lookup)

    assert outcomes == [True] * 16
    assert AccessLogEntry.objects.count() == 16 and sum(batches) == 16
    assert len(batches) < 16  # some lookups shared a commit


def test_a_failed_commit_fails_every_lookup_in_it_and_the_next_ones_are_written(monkeypatch):
    bank, _key = institution_create(name="东莞银行", kind="bank", scopes=["verify"])
    insert, calls = verification._access_log._insert, []

    def failing_once(rows):
        calls.append(len(rows))
        if len(calls) == 1:
            time.sleep(0.3)
            raise RuntimeError("the database went away")
        return insert(rows)

    monkeypatch.setattr(verification._access_log, "_insert", failing_once)

    def lookup(index: int) -> None:
        access_log_write(institution=bank, uscc=f"91441900MA4UJ8K3{index:02d}", purpose="开户", status=200)

    outcomes = _in_threads(8, lookup)

    failed = [o for o in outcomes if isinstance(o, RuntimeError)]
    assert len(failed) == calls[0] >= 1  # those of the failed commit were told (their answer is an error)
    assert AccessLogEntry.objects.count() == 8 - len(failed)  # the others were written: nothing stuck
    access_log_write(institution=bank, uscc="91441900MA4UJ8K399", purpose="开户", status=200)
    assert AccessLogEntry.objects.filter(uscc="91441900MA4UJ8K399").exists()
    assert not verification._access_log._writing
