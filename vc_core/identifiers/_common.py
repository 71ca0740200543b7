"""Shared helpers for the identifier validators: one way to build a precise error."""

from __future__ import annotations

from enum import StrEnum

from vc_core.errors import IdentifierError


class IdentifierCode(StrEnum):
    """Stable codes of :class:`IdentifierError`, one family per identifier."""

    # Administrative division codes and prefixes (GB/T 2260).
    DIVISION_CODE_INVALID = "DIVISION_CODE_INVALID"
    DIVISION_PREFIX_INVALID = "DIVISION_PREFIX_INVALID"
    # Resident ID numbers (GB 11643-1999).
    RESIDENT_ID_INVALID = "RESIDENT_ID_INVALID"
    RESIDENT_ID_INVALID_BIRTH_DATE = "RESIDENT_ID_INVALID_BIRTH_DATE"
    RESIDENT_ID_CHECK_CHARACTER_MISMATCH = "RESIDENT_ID_CHECK_CHARACTER_MISMATCH"
    # Unified social credit codes (GB 32100-2015).
    USCC_INVALID = "USCC_INVALID"
    USCC_CHECK_CHARACTER_MISMATCH = "USCC_CHECK_CHARACTER_MISMATCH"


def fail(field: str, label: str, value: str | None, problem: str, *, code: str) -> IdentifierError:
    """An :class:`IdentifierError` whose message names the field, the identifier and the problem.

    Pass ``value=None`` to keep a personal identifier (a resident ID number) out of the message,
    which ends up in logs and problem reports.

    Example:
        >>> fail("unitNumber", "property unit number", "1", "is too short", code="X").message
        "unitNumber: property unit number '1' is too short"
        >>> fail("idNumber", "resident ID number", None, "is too short", code="X").message
        'idNumber: resident ID number is too short'
    """
    shown = "" if value is None else f" {value!r}"
    return IdentifierError(f"{field}: {label}{shown} {problem}", code=code, field=field)


def require_text(value: object, field: str, label: str, *, code: str) -> str:
    """``value`` with surrounding whitespace removed, or an error if it is not a string."""
    if not isinstance(value, str):
        raise IdentifierError(
            f"{field}: {label} must be a string, not {type(value).__name__}", code=code, field=field
        )
    return value.strip()


def ascii_upper(value: str) -> str:
    """Upper-case ASCII letters only, so a stray non-ASCII character is reported, not rewritten."""
    if value.isascii():
        # For ASCII text str.upper changes exactly a–z, in one C call.
        return value.upper()
    return "".join(c.upper() if "a" <= c <= "z" else c for c in value)
