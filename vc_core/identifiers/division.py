"""Administrative division codes (GB/T 2260 "中华人民共和国行政区划代码"), by shape.

A division code is six digits: two for the province-level division, two for the prefecture level
and two for the county level. The list of codes changes every year, so ecert checks what is stable:
six digits whose first two are one of the province-level prefixes of GB/T 2260 (11–15, 21–23,
31–37, 41–46, 50–54, 61–65, 71, 81, 82). An accreditation covers a *prefix* of 2, 4 or 6 digits:
"51" is Sichuan, "5101" Chengdu, "510104" Jinjiang district.

The unified social credit code (GB 32100-2015) also uses ``100000`` for registration authorities
at national level, which GB/T 2260 itself does not list; callers that accept it say so with
``allow_national=True``.

Example:
    >>> validate_division_code(" 510104 ")
    '510104'
    >>> division_in_prefix("510104", "5101")
    True
    >>> division_in_prefix("350102", "51")
    False
"""

from __future__ import annotations

from vc_core.identifiers._common import IdentifierCode, fail, require_text

PROVINCE_PREFIXES: frozenset[str] = frozenset(
    [str(n) for n in range(11, 16)]
    + [str(n) for n in range(21, 24)]
    + [str(n) for n in range(31, 38)]
    + [str(n) for n in range(41, 47)]
    + [str(n) for n in range(50, 55)]
    + [str(n) for n in range(61, 66)]
    + ["71", "81", "82"]
)
NATIONAL_DIVISION_CODE = "100000"
PREFIX_LENGTHS = (2, 4, 6)
_LABEL = "administrative division code"


def division_problem(code: str, *, allow_national: bool = False, offset: int = 0) -> str | None:
    """What is wrong with ``code`` as a GB/T 2260 division code, or ``None`` if nothing is.

    The answer is a phrase that fits after the code in a message ("… '990100' starts with …").
    ``offset`` shifts the positions it names, for a code embedded in a longer identifier.
    """
    if len(code) != 6:
        return f"has {len(code)} characters; a division code has 6 digits"
    if not (code.isascii() and code.isdigit()):  # for ASCII, isdigit is exactly 0–9
        for position, char in enumerate(code, start=1):
            if not ("0" <= char <= "9"):
                return f"has non-digit {char!r} at position {position + offset}"
    if allow_national and code == NATIONAL_DIVISION_CODE:
        return None
    if code[:2] not in PROVINCE_PREFIXES:
        return f"starts with {code[:2]!r}, which is not a province-level prefix of GB/T 2260"
    return None


def validate_division_code(
    value: object, *, field: str = "divisionCode", allow_national: bool = False
) -> str:
    """Check a six-digit division code and return it without surrounding whitespace.

    Args:
        value: the code as written.
        field: the credential field it came from, named in the error.
        allow_national: also accept ``100000`` (national level, used inside USCCs).

    Raises:
        IdentifierError: ``DIVISION_CODE_INVALID`` with the exact problem.
    """
    code = require_text(value, field, _LABEL, code=IdentifierCode.DIVISION_CODE_INVALID)
    problem = division_problem(code, allow_national=allow_national)
    if problem is not None:
        raise fail(field, _LABEL, code, problem, code=IdentifierCode.DIVISION_CODE_INVALID)
    return code


def validate_division_prefix(value: object, *, field: str = "divisionPrefix") -> str:
    """Check an accreditation prefix: 2, 4 or 6 digits that start a valid division code.

    Raises:
        IdentifierError: ``DIVISION_PREFIX_INVALID`` with the exact problem.
    """
    label = "division code prefix"
    prefix = require_text(value, field, label, code=IdentifierCode.DIVISION_PREFIX_INVALID)
    if len(prefix) not in PREFIX_LENGTHS:
        raise fail(
            field,
            label,
            prefix,
            f"has {len(prefix)} characters; a prefix has 2, 4 or 6 digits",
            code=IdentifierCode.DIVISION_PREFIX_INVALID,
        )
    # A prefix is valid when padding it with zeros gives a valid code (GB/T 2260 uses "00" for
    # "the whole of the level above").
    problem = division_problem(prefix.ljust(6, "0"), allow_national=True)
    if problem is not None:
        raise fail(field, label, prefix, problem, code=IdentifierCode.DIVISION_PREFIX_INVALID)
    return prefix


def division_in_prefix(code: str, prefix: str) -> bool:
    """Whether the division ``code`` lies inside the accredited ``prefix``.

    Raises:
        IdentifierError: either argument is malformed (a malformed prefix is never "no").
    """
    checked_code = validate_division_code(code, field="divisionCode", allow_national=True)
    checked_prefix = validate_division_prefix(prefix)
    return checked_code.startswith(checked_prefix)
