"""Column types of the call log. UTCDateTime: every timestamp is stored as UTC and read back aware."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import DateTime
from sqlalchemy.types import TypeDecorator


class UTCDateTime(TypeDecorator):
    """An instant in time: written as UTC, read back as an aware UTC datetime.

    Naive values are taken as UTC, so writers that still pass `datetime.now(UTC).replace(tzinfo=None)`
    keep working. On PostgreSQL the column is `timestamptz`; SQLite has no time zones, so it stores the
    UTC wall time and this type adds the zone back when reading.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if not isinstance(value, datetime):
            raise TypeError(f"UTCDateTime needs a datetime, got {type(value).__name__}")
        value = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
        # SQLite's DATETIME keeps no offset: store the UTC wall time (what older rows hold too)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def utcnow() -> datetime:
    """Now, aware UTC."""
    return datetime.now(UTC)
