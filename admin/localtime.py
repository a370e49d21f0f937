"""The site's local time: the database keeps aware UTC; pages, filters, days and file names use the
site's zone (Config.timezone, zoneinfo)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import current_app


def zone() -> ZoneInfo:
    return current_app.extensions["hotline_zone"]


def now() -> datetime:
    return datetime.now(zone())


def today() -> date:
    return now().date()


def local(dt: datetime | None) -> datetime | None:
    """An instant in the site's zone (naive values from older writers are UTC)."""
    if dt is None:
        return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.astimezone(zone())


def fmt(dt: datetime | None, pattern: str = "%Y-%m-%d %H:%M:%S") -> str:
    d = local(dt)
    return d.strftime(pattern) if d else ""


def iso(dt: datetime | None, timespec: str = "seconds") -> str | None:
    """ISO 8601 with the site's offset, e.g. 2026-11-25T01:32:05+08:00 (for the API)."""
    d = local(dt)
    return d.isoformat(timespec=timespec) if d else None


def start_of_day(d: date) -> datetime:
    """The first instant of a local day, as aware UTC (a day is not always 24 h where DST applies)."""
    return datetime.combine(d, time(0), zone()).astimezone(UTC)


def day_span(first: date, last: date) -> tuple[datetime, datetime]:
    """[first 00:00, the day after last 00:00) in the site's zone, as aware UTC instants."""
    return start_of_day(first), start_of_day(last + timedelta(days=1))


def local_minute(d: date, hh: int, mm: int) -> datetime:
    return datetime.combine(d, time(hh, mm), zone()).astimezone(UTC)


def zone_label() -> str:
    """e.g. '北京时间' for Asia/Shanghai, else the zone's name and offset."""
    name = zone().key
    if name in ("Asia/Shanghai", "Asia/Chongqing", "Asia/Harbin", "PRC"):
        return "北京时间"
    return f"{name}，UTC{now().strftime('%z')}"
