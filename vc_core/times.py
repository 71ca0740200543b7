"""The one parser of points in time: ISO 8601 date-times with a mandatory offset.

Every time ecert reads from outside (a credential's ``validFrom``/``validUntil``, a proof's
``created``/``expires``, a ``--created``/``--now`` option, a ``versionTime`` query) is parsed
here, so one grammar holds everywhere: the intersection of RFC 3339 §5.6 ``date-time`` and XML
Schema ``dateTimeStamp`` (which VCDM 2.0 §4.9 and VC-DI §2.1 require),

    YYYY-MM-DDThh:mm:ss[.fraction](Z|±hh:mm)

with an upper-case ``T`` and ``Z`` and a required offset (a time without one names no instant).
Digits of the fraction past microseconds are dropped (Python keeps six). The result is a
timezone-aware ``datetime`` in UTC; anything else is a :class:`~vc_core.errors.MalformedError`
with the code ``INVALID_DATETIME`` naming the field.

Example:
    >>> parse_instant("2024-05-01T10:00:00+08:00", field="validFrom").isoformat()
    '2024-05-01T02:00:00+00:00'
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from functools import lru_cache

from vc_core.errors import MalformedError, UsageCode

DATETIME_STAMP = r"^-?\d{4,}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$"
"""The lexical form (a regular expression), for validators that check a string's shape only."""

_STAMP = re.compile(DATETIME_STAMP)
_FRACTION = re.compile(r"\.(\d{6})\d+")


class TimeCode(StrEnum):
    """The stable code of a time that cannot be read."""

    INVALID_DATETIME = "INVALID_DATETIME"


def is_datetime_stamp(value: object) -> bool:
    """Whether ``value`` is a string of the one grammar that names a real instant."""
    try:
        parse_instant(value, field="value")
    except MalformedError:
        return False
    return True


# Stamps longer than this are parsed afresh every time (the remembered ones stay small).
_REMEMBERED_LENGTH = 40


def parse_instant(value: object, *, field: str) -> datetime:
    """The aware UTC instant that ``value`` names (see the module docstring for the grammar).

    Raises:
        MalformedError: ``INVALID_DATETIME``, naming ``field``: not a string of the grammar, or
            no real date and time (30 February, hour 24, a year Python cannot hold).
    """
    if type(value) is str and len(value) <= _REMEMBERED_LENGTH:
        # A verification reads validFrom and validUntil three times each; the answer depends on
        # the string alone (a datetime is immutable). Errors are not remembered: they name the
        # field, so they are raised afresh below.
        found = _remembered_instant(value)
        if found is not None:
            return found
    return parse_instant_afresh(value, field=field)


@lru_cache(maxsize=1024)
def _remembered_instant(value: str) -> datetime | None:
    try:
        return parse_instant_afresh(value, field="value")
    except MalformedError:
        return None


def parse_instant_afresh(value: object, *, field: str) -> datetime:
    """:func:`parse_instant` without its memory (``tests/unit/vc_core/test_times.py`` compares
    the two)."""
    if not isinstance(value, str) or not _STAMP.match(value):
        shown = repr(value) if not isinstance(value, str) or len(value) <= 60 else "a long string"
        raise MalformedError(
            f"{field} must be a date-time with a timezone, e.g. 2025-03-01T09:00:00Z; got {shown}",
            code=TimeCode.INVALID_DATETIME,
            field=field,
        )
    # The grammar allows "Z" only as the offset and "." only before a fraction, so these two
    # rewrites need not run on the many stamps without them (a verification reads nine).
    text = value[:-1] + "+00:00" if value[-1] == "Z" else value
    if "." in text:
        text = _FRACTION.sub(r".\1", text)
    try:
        return datetime.fromisoformat(text).astimezone(UTC)
    except (ValueError, OverflowError) as exc:
        raise MalformedError(
            f"{field} is not a real date and time: {value!r}",
            code=TimeCode.INVALID_DATETIME,
            field=field,
        ) from exc


_DURATION = re.compile(r"(\d+)([smhd])")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}


def parse_date_or_instant(value: str, *, field: str) -> datetime:
    """A command-line time: an instant of the one grammar, or a date alone (its first instant, UTC).

    Raises:
        MalformedError: ``INVALID_DATETIME`` for a bad instant, ``BAD_OPTION`` for a bad date.
    """
    if "T" in value:
        return parse_instant(value, field=field)
    try:
        return datetime.combine(date.fromisoformat(value), datetime.min.time(), tzinfo=UTC)
    except ValueError:
        raise MalformedError(
            f"{field} takes a date (2025-03-01) or a time with zone (2025-03-01T09:00:00Z)",
            code=UsageCode.BAD_OPTION,
            field=field,
        ) from None


def parse_duration(value: str, *, field: str) -> timedelta:
    """A command-line duration: a number and a unit, ``90s``, ``15m``, ``2h`` or ``7d``.

    Raises:
        MalformedError: ``BAD_OPTION``.
    """
    found = _DURATION.fullmatch(value)
    if found is None:
        raise MalformedError(
            f"{field} takes a number and a unit (90s, 15m, 2h, 7d), got {value!r}",
            code=UsageCode.BAD_OPTION,
            field=field,
        )
    return timedelta(**{_UNITS[found[2]]: int(found[1])})
