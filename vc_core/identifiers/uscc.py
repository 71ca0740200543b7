"""Unified social credit code, 统一社会信用代码 (GB 32100-2015).

Eighteen characters over ``0123456789ABCDEFGHJKLMNPQRTUWXY`` (the digits and the upper-case
letters without I, O, S, V and Z), in five parts:

- position 1: registration department code (登记管理部门代码);
- position 2: organisation category code (机构类别代码);
- positions 3–8: administrative division code of the registration authority (GB/T 2260), or
  ``100000`` for an authority at national level;
- positions 9–17: entity identifier (主体标识码, the GB 11714 organisation code);
- position 18: check character (GB/T 17710, ISO 7064 MOD 31-3 style): with weights
  ``3^(i-1) mod 31`` for positions 1–17 and character values given by their index in the
  alphabet, the check value is ``31 − (Σ mod 31)``, where 31 becomes 0.

Example:
    >>> validate_uscc("91350100m000100y43")
    '91350100M000100Y43'
    >>> uscc_check_character("91350100M000100Y4")
    '3'
    >>> uscc_division_code("91350100M000100Y43")
    '350100'
"""

from __future__ import annotations

from vc_core.identifiers._common import IdentifierCode, ascii_upper, fail, require_text
from vc_core.identifiers.division import division_problem

USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
USCC_LENGTH = 18
_LABEL = "unified social credit code"


def uscc_check_character(first17: str, *, field: str = "unifiedSocialCreditCode") -> str:
    """The check character (position 18) for the first 17 characters of a USCC.

    Raises:
        IdentifierError: ``USCC_INVALID``: not 17 characters, or a character outside the alphabet.
    """
    body = ascii_upper(first17)
    if len(body) != USCC_LENGTH - 1:
        raise fail(
            field,
            "USCC body",
            first17,
            f"has {len(body)} characters; the check character is computed over 17",
            code=IdentifierCode.USCC_INVALID,
        )
    _check_alphabet(body, field)
    total = sum(USCC_ALPHABET.index(c) * w for c, w in zip(body, USCC_WEIGHTS, strict=True))
    return USCC_ALPHABET[(31 - total % 31) % 31]


def validate_uscc(value: object, *, field: str = "unifiedSocialCreditCode") -> str:
    """Check a USCC and return it normalized (stripped, ASCII letters upper-cased).

    Raises:
        IdentifierError: ``USCC_INVALID`` naming the length, the first bad character and its
            position, the bad division code, or the expected and actual check characters.
    """
    code = ascii_upper(require_text(value, field, _LABEL, code=IdentifierCode.USCC_INVALID))
    if len(code) != USCC_LENGTH:
        raise fail(
            field,
            _LABEL,
            code,
            f"has {len(code)} characters; a USCC has {USCC_LENGTH}",
            code=IdentifierCode.USCC_INVALID,
        )
    _check_alphabet(code, field, whole=code)
    problem = division_problem(code[2:8], allow_national=True, offset=2)
    if problem is not None:
        raise fail(
            field,
            _LABEL,
            code,
            f"should have a division code at positions 3–8, but {code[2:8]!r} {problem}",
            code=IdentifierCode.USCC_INVALID,
        )
    expected = uscc_check_character(code[:17])
    if code[17] != expected:
        raise fail(
            field,
            _LABEL,
            code,
            f"has a wrong check character: it should be {expected!r} but is {code[17]!r}",
            code=IdentifierCode.USCC_CHECK_CHARACTER_MISMATCH,
        )
    return code


def uscc_division_code(value: str, *, field: str = "unifiedSocialCreditCode") -> str:
    """The registration authority's division code (positions 3–8) of a valid USCC."""
    return validate_uscc(value, field=field)[2:8]


def _check_alphabet(code: str, field: str, *, whole: str | None = None) -> None:
    for position, char in enumerate(code, start=1):
        if char not in USCC_ALPHABET:
            raise fail(
                field,
                _LABEL,
                whole if whole is not None else code,
                f"has character {char!r} at position {position}, which is not allowed "
                f"(allowed: {USCC_ALPHABET})",
                code=IdentifierCode.USCC_INVALID,
            )
