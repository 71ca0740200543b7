"""The one stored form of a time: UTC, fixed width, so that text order is time order.

Example:
    >>> from datetime import UTC, datetime
    >>> stamp(datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC))
    '2026-01-02T03:04:05.000000Z'
    >>> unstamp(stamp(datetime(2026, 1, 2, tzinfo=UTC))).isoformat()
    '2026-01-02T00:00:00+00:00'
"""

from __future__ import annotations

from datetime import UTC, datetime

_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"


def stamp(value: datetime) -> str:
    """``value`` (timezone-aware) as fixed-width UTC text."""
    if value.tzinfo is None:
        raise ValueError("times must be timezone-aware")
    return value.astimezone(UTC).strftime(_FORMAT)


def unstamp(value: str) -> datetime:
    """The aware UTC datetime of a :func:`stamp`."""
    return datetime.strptime(value, _FORMAT).replace(tzinfo=UTC)
