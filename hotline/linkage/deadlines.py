"""Working days by China's official calendar (holidays and the adjusted workdays around them).

`chinese-calendar` carries each year once the State Council publishes it (in the autumn before);
for a year it does not know yet, Monday to Friday are taken as working days and a warning is logged.
"""

from __future__ import annotations

import logging
import math
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import chinese_calendar

log = logging.getLogger("hotline.linkage")


@lru_cache(maxsize=4096)
def is_working_day(d: date) -> bool:
    try:
        return chinese_calendar.is_workday(d)
    except NotImplementedError:
        _warn_unknown_year(d.year)
        return d.weekday() < 5


@lru_cache(maxsize=32)
def _warn_unknown_year(year: int) -> None:
    log.warning("the official calendar of %d is not known to chinese-calendar yet: Monday-Friday used", year)


def add_working_days(start: datetime, days: float, tz: str) -> datetime:
    """The end (24:00 site time) of the `days`-th working day after the day of `start`.

    "Reply within 5 working days" of an order received on Thursday 2026-09-24 ends with Friday 2026-10-09
    (Mid-Autumn Festival on the 25th, the National Day week); 2 working days from Thursday 2026-10-08 end
    with Saturday 2026-10-10, an adjusted workday.
    """
    zone = ZoneInfo(tz)
    day = start.astimezone(zone).date()
    left = max(1, math.ceil(days))
    while left:
        day += timedelta(days=1)
        if is_working_day(day):
            left -= 1
    return datetime.combine(day + timedelta(days=1), time(0), zone).astimezone(UTC)


def working_days_between(start: datetime, end: datetime, tz: str) -> int:
    """Working days after the day of `start` up to and including the day of `end` (site time)."""
    zone = ZoneInfo(tz)
    a, b = start.astimezone(zone).date(), end.astimezone(zone).date()
    n = 0
    while a < b:
        a += timedelta(days=1)
        n += is_working_day(a)
    return n
