"""Citizen identity number, 公民身份号码 (GB 11643-1999), the number on the resident ID card.

Eighteen characters: positions 1–6 are the division code of the place of household registration
(GB/T 2260), positions 7–14 the date of birth as ``YYYYMMDD``, positions 15–17 a sequence code
(odd for men, even for women) and position 18 a check character (ISO 7064 MOD 11-2): with weights
``7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2`` over the first 17 digits, ``Σ mod 11`` indexes the string
``10X98765432``. A lower-case ``x`` is accepted and normalized to ``X``.

Error messages never repeat the number itself (it is personal information that would end up in
logs); they name the field, the position and the problem.

Time is a parameter: pass ``today`` to refuse a date of birth in the future; nothing here reads
the clock.

Example:
    >>> validate_resident_id("11010519491231002x")
    '11010519491231002X'
    >>> resident_id_check_character("11010519491231002")
    'X'
    >>> resident_id_birth_date("11010519491231002X")
    datetime.date(1949, 12, 31)
"""

from __future__ import annotations

from datetime import date
from operator import mul

from vc_core.identifiers._common import IdentifierCode, ascii_upper, fail, require_text
from vc_core.identifiers.division import division_problem

RESIDENT_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
RESIDENT_ID_CHECK_CHARACTERS = "10X98765432"
RESIDENT_ID_LENGTH = 18
_LABEL = "resident ID number"


def resident_id_check_character(first17: str, *, field: str = "idNumber") -> str:
    """The check character (position 18) for the first 17 digits of a resident ID number.

    Raises:
        IdentifierError: ``RESIDENT_ID_INVALID``: not exactly 17 ASCII digits.
    """
    if len(first17) != RESIDENT_ID_LENGTH - 1:
        raise fail(
            field,
            "resident ID body",
            None,
            f"has {len(first17)} characters; the check character is computed over 17 digits",
            code=IdentifierCode.RESIDENT_ID_INVALID,
        )
    _check_digits(first17, field)
    total = sum(map(mul, map(int, first17), RESIDENT_ID_WEIGHTS))  # both 17 long
    return RESIDENT_ID_CHECK_CHARACTERS[total % 11]


def validate_resident_id(
    value: object, *, field: str = "idNumber", today: date | None = None
) -> str:
    """Check a resident ID number and return it normalized (stripped, ``x`` → ``X``).

    Args:
        value: the number as written.
        field: the credential field it came from, named in the error.
        today: when given, a date of birth after this day is refused.

    Raises:
        IdentifierError: naming the length, the first bad character and its position, the
            division code, the date of birth that is not a real date (or is in the future), or the
            expected and actual check characters.
    """
    number = ascii_upper(
        require_text(value, field, _LABEL, code=IdentifierCode.RESIDENT_ID_INVALID)
    )
    if len(number) != RESIDENT_ID_LENGTH:
        raise fail(
            field,
            _LABEL,
            None,
            f"has {len(number)} characters; a resident ID number has {RESIDENT_ID_LENGTH}",
            code=IdentifierCode.RESIDENT_ID_INVALID,
        )
    _check_digits(number[:17], field)
    if number[17] not in "0123456789X":
        raise fail(
            field,
            _LABEL,
            None,
            f"has check character {number[17]!r}; it must be a digit or X",
            code=IdentifierCode.RESIDENT_ID_INVALID,
        )
    problem = division_problem(number[:6])
    if problem is not None:
        raise fail(
            field,
            _LABEL,
            None,
            f"should start with a division code, but {number[:6]!r} {problem}",
            code=IdentifierCode.RESIDENT_ID_INVALID,
        )
    _birth_date(number, field, today)
    expected = resident_id_check_character(number[:17], field=field)
    if number[17] != expected:
        raise fail(
            field,
            _LABEL,
            None,
            f"has a wrong check character: it should be {expected!r} but is {number[17]!r}",
            code=IdentifierCode.RESIDENT_ID_CHECK_CHARACTER_MISMATCH,
        )
    return number


def resident_id_birth_date(value: str, *, field: str = "idNumber") -> date:
    """The date of birth (positions 7–14) of a valid resident ID number."""
    return _birth_date(validate_resident_id(value, field=field), field, None)


def _birth_date(number: str, field: str, today: date | None) -> date:
    text = number[6:14]
    try:
        born = date(int(text[:4]), int(text[4:6]), int(text[6:8]))
    except ValueError:
        raise fail(
            field,
            _LABEL,
            None,
            f"has date of birth {text} (positions 7–14), which is not a real date",
            code=IdentifierCode.RESIDENT_ID_INVALID_BIRTH_DATE,
        ) from None
    if today is not None and born > today:
        raise fail(
            field,
            _LABEL,
            None,
            f"has date of birth {text} (positions 7–14), which is after today, {today.isoformat()}",
            code=IdentifierCode.RESIDENT_ID_INVALID_BIRTH_DATE,
        )
    return born


def _check_digits(text: str, field: str) -> None:
    if text.isascii() and text.isdigit():
        return  # for ASCII, isdigit is exactly 0–9; otherwise find the first bad character
    for position, char in enumerate(text, start=1):
        if not ("0" <= char <= "9"):
            raise fail(
                field,
                _LABEL,
                None,
                f"has {char!r} at position {position}; positions 1–17 must be digits",
                code=IdentifierCode.RESIDENT_ID_INVALID,
            )
