"""Celery tasks of the departments app: each fetches by id and calls its service (HackSoft's rule); services
enqueue them with `transaction.on_commit`."""

from celery import shared_task


@shared_task(name="departments.deliver_filing", acks_late=True, ignore_result=True)
def deliver_filing(filing_id: int) -> str:
    """Deliver one filing. Retries are scheduled by the filing row (attempts, next_attempt_at), not by Celery."""
    from .filings import filing_deliver  # the service enqueues this task: it is imported when the task runs

    return filing_deliver(filing_id=filing_id)


@shared_task(name="departments.sweep_filings", ignore_result=True)
def sweep_filings() -> int:
    from .filings import filings_sweep  # as above

    return filings_sweep()
