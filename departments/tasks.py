from celery import shared_task

from .filings import filing_deliver, filings_sweep


@shared_task(name="departments.deliver_filing", acks_late=True, ignore_result=True)
def deliver_filing(filing_id: int) -> str:
    """Deliver one filing. Retries are scheduled by the filing row (attempts, next_attempt_at), not by Celery."""
    return filing_deliver(filing_id=filing_id)


@shared_task(name="departments.sweep_filings", ignore_result=True)
def sweep_filings() -> int:
    return filings_sweep()
