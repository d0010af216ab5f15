"""How times are shown: ISO 8601 with offset, everywhere.

The product exists because a customer misread "19.03.".  Every time that
leaves the tool (CLI text, JSON, report, CSV) goes through these helpers, so
no DD.MM or MM/DD form can appear.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from forensics.errors import ForensicsError

UTC = dt.timezone.utc


def zone(name: str | None) -> dt.tzinfo | None:
    """Resolve an IANA zone name ("Europe/Berlin"), with a clear error."""
    if not name:
        return None
    if name.upper() == "UTC":
        return UTC
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ForensicsError(f"unknown time zone {name!r} (use an IANA name such as Europe/Berlin)") from None


def as_utc(value) -> dt.datetime | None:
    """A datetime (or pandas Timestamp) as an aware UTC datetime."""
    if value is None:
        return None
    if hasattr(value, "to_pydatetime"):
        value = value.to_pydatetime()
    if value.tzinfo is None:  # DuckDB TIMESTAMP columns come back naive UTC
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def iso(value, tz: str | dt.tzinfo | None = None, *, seconds: bool = True) -> str:
    """`2025-03-22T14:03:11+00:00`, or in `tz` with its offset."""
    value = as_utc(value)
    if value is None:
        return ""
    if tz is not None:
        value = value.astimezone(zone(tz) if isinstance(tz, str) else tz)
    return value.isoformat(timespec="seconds" if seconds else "microseconds")


def iso_date(value) -> str:
    """`2025-03-22` for a date or datetime."""
    if isinstance(value, dt.datetime):
        return as_utc(value).date().isoformat()
    return value.isoformat()
