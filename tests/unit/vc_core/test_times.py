"""One grammar for every time ecert reads (vc_core.times), with its stable code."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vc_core.errors import MalformedError
from vc_core.times import TimeCode, is_datetime_stamp, parse_instant, parse_instant_afresh

ACCEPTED = [
    ("2025-03-01T09:00:00Z", datetime(2025, 3, 1, 9, tzinfo=UTC)),
    ("2025-03-01T17:00:00+08:00", datetime(2025, 3, 1, 9, tzinfo=UTC)),
    ("2025-03-01T04:00:00-05:00", datetime(2025, 3, 1, 9, tzinfo=UTC)),
    ("2025-03-01T09:00:00.25Z", datetime(2025, 3, 1, 9, 0, 0, 250_000, tzinfo=UTC)),
    ("2025-03-01T09:00:00.123456789Z", datetime(2025, 3, 1, 9, 0, 0, 123_456, tzinfo=UTC)),
    ("2024-02-29T00:00:00Z", datetime(2024, 2, 29, tzinfo=UTC)),
]


@pytest.mark.parametrize(("text", "instant"), ACCEPTED)
def test_the_grammar_reads_instants_in_utc(text: str, instant: datetime) -> None:
    parsed = parse_instant(text, field="t")
    assert parsed == instant and parsed.tzinfo is UTC
    assert is_datetime_stamp(text)


REFUSED = [
    "2025-03-01T09:00:00",  # no offset: no instant
    "2025-03-01",  # a date is not a time
    "2025-03-01 09:00:00Z",  # a space is not T
    "2025-03-01t09:00:00z",  # lower case: not an XML Schema dateTimeStamp
    "2025-03-01T09:00Z",  # seconds are required
    "2025-02-30T09:00:00Z",  # no such day
    "2025-03-01T24:00:00Z",  # no such hour
    "10000-01-01T00:00:00Z",  # lexically fine, beyond what is held
    "0001-01-01T00:00:00+01:00",  # before year 1 in UTC
    "yesterday",
    "",
    "2025-03-01T09:00:00Z" + "0" * 100,
]


@pytest.mark.parametrize("text", REFUSED)
def test_everything_else_is_invalid_datetime_naming_the_field(text: str) -> None:
    with pytest.raises(MalformedError) as err:
        parse_instant(text, field="validFrom")
    assert err.value.code == TimeCode.INVALID_DATETIME
    assert err.value.field == "validFrom" and "validFrom" in err.value.message
    assert not is_datetime_stamp(text)


@pytest.mark.parametrize("value", [None, 1_700_000_000, datetime(2025, 1, 1, tzinfo=UTC)])
def test_only_text_is_read(value: object) -> None:
    assert not is_datetime_stamp(value)


@given(
    instant=st.datetimes(
        min_value=datetime(1900, 1, 2), max_value=datetime(9998, 12, 30), timezones=st.just(UTC)
    ),
    minutes=st.integers(-14 * 60, 14 * 60),
)
def test_any_instant_written_with_any_offset_reads_back(instant: datetime, minutes: int) -> None:
    local = instant.astimezone(timezone(timedelta(minutes=minutes)))
    text = local.isoformat().replace("+00:00", "Z")
    assert parse_instant(text, field="t") == instant


@given(text=st.text(max_size=40))
def test_any_text_parses_or_is_invalid_datetime(text: str) -> None:
    try:
        parse_instant(text, field="t")
    except MalformedError as exc:
        assert exc.code == TimeCode.INVALID_DATETIME


def _parse_as_before(value: str) -> datetime | None:
    """parse_instant as it was written before its rewrites were skipped when not needed."""
    from vc_core.times import _FRACTION, _STAMP

    if not _STAMP.match(value):
        return None
    try:
        return datetime.fromisoformat(
            _FRACTION.sub(r".\1", value.replace("Z", "+00:00"))
        ).astimezone(UTC)
    except (ValueError, OverflowError):
        return None


STAMP_PIECES = st.sampled_from(
    ["2024-05-01T10:00:00", ".1", ".1234567", "Z", "+08:00", "-00:00", "\n", "z", "Z\n", "9"]
)


@given(st.lists(STAMP_PIECES, min_size=1, max_size=5).map("".join))
def test_the_skipped_rewrites_change_nothing(text: str) -> None:
    try:
        ours: datetime | None = parse_instant(text, field="t")
    except MalformedError:
        ours = None
    assert ours == _parse_as_before(text)


_STAMP_PIECES = st.sampled_from(
    ["2024", "-", "02", "30", "29", "T", "24", ":", "00", "59", "60", ".", "123456789", "Z", "z",
     "+08:00", "-00:00", "+24:00", " ", "0", "9", "t", "\u0661"]
)  # fmt: skip


def _outcome(parse: Any, value: object) -> str:
    try:
        found = parse(value, field="f")
    except MalformedError as exc:
        return f"raised {exc.code} {exc.field} {exc.message}"
    return f"{found!r} {found.tzinfo!r}"


@settings(max_examples=400, deadline=None)
@given(st.lists(_STAMP_PIECES, max_size=12).map("".join))
def test_remembered_instants_equal_fresh_ones(text: str) -> None:
    # Twice: the second answer may come from memory, and must be the same (errors included).
    for _ in range(2):
        assert _outcome(parse_instant, text) == _outcome(parse_instant_afresh, text)


def test_remembered_instants_of_known_stamps() -> None:
    for text in ["2024-05-01T10:00:00+08:00", "2024-02-30T00:00:00Z", "x" * 50, "2024-05-01"]:
        for _ in range(2):
            assert _outcome(parse_instant, text) == _outcome(parse_instant_afresh, text)

    class Text(str):
        __slots__ = ()

    for _ in range(2):
        assert _outcome(parse_instant, Text("2024-05-01T10:00:00Z")) == _outcome(
            parse_instant_afresh, Text("2024-05-01T10:00:00Z")
        )
