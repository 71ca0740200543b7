"""Real-estate identifiers: the property certificate number and the property unit number.

**Certificate number** (不动产权证书号), as printed on the 不动产权证书 under the Interim Regulation
on Real Estate Registration (不动产登记暂行条例) and its implementing rules:
``<province>(<year>)<city or county>不动产权第<7 digits>号``, for example
``川(2023)成都市不动产权第0123456号``. The province is the one-character abbreviation of one of the
34 province-level divisions; the parentheses may be full-width or ASCII (normalized to ASCII).

**Unit number** (不动产单元号, GB/T 37346-2019 "不动产单元设定与代码编制规则"), 28 characters:

========  ===================================================================================
1–6       county-level administrative division code (GB/T 2260)
7–9       cadastral zone (地籍区), 3 digits
10–12     cadastral subzone (地籍子区), 3 digits
13–14     parcel feature code (宗地/宗海特征码): ownership G (state) / J (collective) /
          Z (undetermined or disputed), then the right type A B C D E F G H S W X Y
15–19     parcel sequence number (宗地顺序号), 00001–99999
20        fixture feature code (定着物特征码): F building, L forest or trees, Q other, W none
21–28     fixture unit number (定着物单元编号), 8 digits; ``00000000`` when the code is W
========  ===================================================================================

Example:
    >>> validate_property_certificate_number("川（2023）成都市不动产权第0123456号")
    '川(2023)成都市不动产权第0123456号'
    >>> unit = parse_property_unit_number("510104003002GB00012F00010023")
    >>> unit.division_code, unit.parcel_feature, unit.fixture_feature
    ('510104', 'GB', 'F')
"""

from __future__ import annotations

from dataclasses import dataclass

from vc_core.identifiers._common import ascii_upper, fail, require_text
from vc_core.identifiers.division import division_problem

PROVINCE_ABBREVIATIONS = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼港澳台"
CERTIFICATE_MARKER = "不动产权第"
PARCEL_OWNERSHIP_CODES = "GJZ"
PARCEL_RIGHT_CODES = "ABCDEFGHSWXY"
FIXTURE_FEATURE_CODES = "FLQW"
UNIT_NUMBER_LENGTH = 28
_CERT = "property certificate number"
_UNIT = "property unit number"
_CERT_CODE = "PROPERTY_CERTIFICATE_NUMBER_INVALID"
_UNIT_CODE = "PROPERTY_UNIT_NUMBER_INVALID"


@dataclass(frozen=True)
class PropertyUnitNumber:
    """The parts of a valid property unit number (GB/T 37346-2019 §8.1)."""

    division_code: str
    cadastral_zone: str
    cadastral_subzone: str
    parcel_feature: str
    parcel_sequence: str
    fixture_feature: str
    fixture_number: str

    def __str__(self) -> str:
        return "".join(
            (
                self.division_code,
                self.cadastral_zone,
                self.cadastral_subzone,
                self.parcel_feature,
                self.parcel_sequence,
                self.fixture_feature,
                self.fixture_number,
            )
        )


def validate_property_certificate_number(value: object, *, field: str = "certificateNumber") -> str:
    """Check a certificate number and return it with ASCII parentheses.

    Raises:
        IdentifierError: ``PROPERTY_CERTIFICATE_NUMBER_INVALID`` naming the part that is wrong.
    """
    text = require_text(value, field, _CERT, code=_CERT_CODE)
    problem = _certificate_problem(text)
    if problem is not None:
        raise fail(field, _CERT, text, problem, code=_CERT_CODE)
    place, _, rest = text[7:].partition(CERTIFICATE_MARKER)
    return f"{text[0]}({text[2:6]}){place}{CERTIFICATE_MARKER}{rest}"


def parse_property_unit_number(value: object, *, field: str = "unitNumber") -> PropertyUnitNumber:
    """Split a unit number into its GB/T 37346-2019 parts, checking each one.

    Raises:
        IdentifierError: ``PROPERTY_UNIT_NUMBER_INVALID`` naming the positions and the part.
    """
    text = ascii_upper(require_text(value, field, _UNIT, code=_UNIT_CODE))
    problem = _unit_problem(text)
    if problem is not None:
        raise fail(field, _UNIT, text, problem, code=_UNIT_CODE)
    return PropertyUnitNumber(
        division_code=text[:6],
        cadastral_zone=text[6:9],
        cadastral_subzone=text[9:12],
        parcel_feature=text[12:14],
        parcel_sequence=text[14:19],
        fixture_feature=text[19],
        fixture_number=text[20:],
    )


def validate_property_unit_number(value: object, *, field: str = "unitNumber") -> str:
    """Check a unit number and return it normalized (stripped, ASCII letters upper-cased).

    Raises:
        IdentifierError: ``PROPERTY_UNIT_NUMBER_INVALID`` naming the positions and the part.
    """
    return str(parse_property_unit_number(value, field=field))


def _digits(text: str) -> bool:
    return text.isascii() and text.isdigit()


def _certificate_problem(text: str) -> str | None:
    # Each check returns a phrase naming the wrong part, or None; the first problem is reported.
    if len(text) < 7:
        return "is too short; expected e.g. 川(2023)成都市不动产权第0123456号"
    if text[0] not in PROVINCE_ABBREVIATIONS:
        return f"starts with {text[0]!r}, which is not a province-level abbreviation"
    if text[1] not in "(（" or text[6] not in ")）":
        return "must have the year in parentheses right after the province, as in 川(2023)"
    if not _digits(text[2:6]):
        return f"has year {text[2:6]!r}; the year must be 4 digits"
    return _certificate_tail_problem(text[7:])


def _certificate_tail_problem(tail: str) -> str | None:
    place, marker, rest = tail.partition(CERTIFICATE_MARKER)
    if not marker:
        return f"must contain {CERTIFICATE_MARKER!r} after the city or county name"
    if not place:
        return f"has no city or county name before {CERTIFICATE_MARKER!r}"
    if not all("\u4e00" <= c <= "\u9fff" for c in place):
        return f"has city or county name {place!r}; it must be Chinese characters"
    if len(rest) != 8 or not _digits(rest[:7]) or rest[7] != "号":
        return f"must end with 7 digits and 号 after {CERTIFICATE_MARKER!r}, but ends with {rest!r}"
    return None


def _unit_problem(text: str) -> str | None:
    # The parts are checked left to right (GB/T 37346-2019 §8.1), and the first problem is reported.
    if len(text) != UNIT_NUMBER_LENGTH:
        return f"has {len(text)} characters; a unit number has {UNIT_NUMBER_LENGTH}"
    problem = division_problem(text[:6])
    if problem is not None:
        return f"should start with a county-level division code, but {text[:6]!r} {problem}"
    if not _digits(text[6:12]):
        return f"has {text[6:12]!r} at positions 7–12; cadastral zone and subzone are 6 digits"
    return (
        _parcel_feature_problem(text[12:14])
        or _parcel_sequence_problem(text[14:19])
        or _fixture_problem(text[19], text[20:])
    )


def _parcel_feature_problem(code: str) -> str | None:
    # GB/T 37346-2019 §8.2: the first letter is the land ownership, the second the right type.
    where = f"has parcel feature code {code!r} at positions 13–14"
    if code[0] not in PARCEL_OWNERSHIP_CODES:
        return (
            f"{where}: the ownership letter {code[0]!r} must be one of "
            "G (state), J (collective), Z (undetermined or disputed)"
        )
    if code[1] not in PARCEL_RIGHT_CODES:
        return (
            f"{where}: the right-type letter {code[1]!r} must be one of "
            f"{' '.join(PARCEL_RIGHT_CODES)}"
        )
    return None


def _parcel_sequence_problem(sequence: str) -> str | None:
    if not _digits(sequence) or sequence == "00000":
        return f"has parcel sequence number {sequence!r} at positions 15–19; expected 00001–99999"
    return None


def _fixture_problem(feature: str, number: str) -> str | None:
    if feature not in FIXTURE_FEATURE_CODES:
        return (
            f"has fixture feature code {feature!r} at position 20; it must be "
            "F (building), L (forest or trees), Q (other) or W (no fixture)"
        )
    if not _digits(number):
        return f"has fixture unit number {number!r} at positions 21–28; it must be 8 digits"
    if feature == "W" and number != "00000000":
        return (
            f"has fixture code W (no fixture), so positions 21–28 must be 00000000, not {number!r}"
        )
    return None
