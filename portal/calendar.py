"""One calendar: every calendar date the portal shows, stores or sends is a Beijing date (UTC+8, no daylight
saving), whatever the server's clock zone or the zone a request activated.

A due date, an established-on date, a licence date or a statistics day read off a UTC instant with `.date()`
is the previous day between 00:00 and 08:00 in Beijing; these helpers are the only way dates are made.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from django.utils import timezone

BEIJING = ZoneInfo("Asia/Shanghai")


def beijing_now() -> dt.datetime:
    """The current instant, as an aware datetime in Beijing time."""
    return timezone.now().astimezone(BEIJING)


def beijing_today() -> dt.date:
    """Today's date in Beijing."""
    return beijing_now().date()


def beijing_date(moment: dt.datetime | dt.date) -> dt.date:
    """The Beijing calendar date of an instant (an aware datetime; a naive one is taken as Beijing time). A date
    is returned as it is."""
    if not isinstance(moment, dt.datetime):
        return moment
    if timezone.is_naive(moment):
        return moment.date()
    return moment.astimezone(BEIJING).date()


def beijing_days_after(days: int, start: dt.date | None = None) -> dt.date:
    """The date `days` calendar days after `start` (default: today in Beijing), e.g. a due date."""
    return (start or beijing_today()) + dt.timedelta(days=days)


def beijing_start_of_day(day: dt.date) -> dt.datetime:
    """00:00 Beijing time on `day`, as an aware datetime (for filtering instants by a Beijing date)."""
    return dt.datetime.combine(day, dt.time.min, tzinfo=BEIJING)
