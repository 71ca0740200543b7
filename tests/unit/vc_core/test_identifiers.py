"""Identifier validators: valid and invalid cases, messages that name the problem, properties."""

from __future__ import annotations

import doctest
import importlib
from collections.abc import Callable
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from vc_core.errors import IdentifierError
from vc_core.identifiers import (
    PROVINCE_PREFIXES,
    USCC_ALPHABET,
    division_in_prefix,
    parse_property_unit_number,
    resident_id_birth_date,
    resident_id_check_character,
    uscc_check_character,
    uscc_division_code,
    validate_division_code,
    validate_division_prefix,
    validate_property_certificate_number,
    validate_property_unit_number,
    validate_resident_id,
    validate_uscc,
)


@pytest.mark.parametrize(
    "module",
    ["__init__", "_common", "division", "property", "resident_id", "uscc"],
)
def test_docstring_examples_run(module: str) -> None:
    name = "vc_core.identifiers" if module == "__init__" else f"vc_core.identifiers.{module}"
    result = doctest.testmod(importlib.import_module(name))
    assert result.failed == 0


def _rejects(
    call: Callable[[], object], *, code: str, field: str, says: list[str]
) -> IdentifierError:
    """Run ``call`` and check the error's code, field and message fragments."""
    with pytest.raises(IdentifierError) as info:
        call()
    error = info.value
    assert error.code == code
    assert error.field == field
    assert error.message.startswith(f"{field}: ")
    for fragment in says:
        assert fragment in error.message, error.message
    return error


# Unified social credit code (GB 32100-2015).


def test_uscc_known_valid_example() -> None:
    assert validate_uscc("91350100M000100Y43") == "91350100M000100Y43"
    assert uscc_check_character("91350100M000100Y4") == "3"
    assert uscc_division_code("91350100M000100Y43") == "350100"


def test_uscc_is_normalized() -> None:
    assert validate_uscc("  91350100m000100y43 ") == "91350100M000100Y43"


def test_uscc_accepts_the_national_division_code() -> None:
    body = "11100000MB0123456"[:17]
    code = body + uscc_check_character(body)
    assert uscc_division_code(code) == "100000"


USCC_INVALID = [
    ("91350100M000100Y44", "USCC_CHECK_CHARACTER_MISMATCH", ["should be '3' but is '4'"]),
    ("91350100M00010OY43", "USCC_INVALID", ["character 'O' at position 15", "not allowed"]),
    ("91350I00M000100Y43", "USCC_INVALID", ["character 'I' at position 6"]),
    ("9135010OM000100Y43", "USCC_INVALID", ["character 'O' at position 8"]),
    ("91350100M000100Y4", "USCC_INVALID", ["has 17 characters", "has 18"]),
    ("91350100M000100Y431", "USCC_INVALID", ["has 19 characters"]),
    ("", "USCC_INVALID", ["has 0 characters"]),
    ("91990100M000100Y43", "USCC_INVALID", ["positions 3–8", "'990100'", "province-level"]),
    ("9135A100M000100Y43", "USCC_INVALID", ["positions 3–8", "non-digit 'A' at position 5"]),
    ("９1350100M000100Y43", "USCC_INVALID", ["character '９' at position 1"]),
]


@pytest.mark.parametrize(("value", "code", "says"), USCC_INVALID)
def test_uscc_rejects(value: str, code: str, says: list[str]) -> None:
    field = "credentialSubject.unifiedSocialCreditCode"
    _rejects(lambda: validate_uscc(value, field=field), code=code, field=field, says=says)


def test_uscc_rejects_a_non_string() -> None:
    _rejects(
        lambda: validate_uscc(123),
        code="USCC_INVALID",
        field="unifiedSocialCreditCode",
        says=["must be a string"],
    )  # type: ignore[arg-type]


def test_uscc_check_character_needs_17_characters() -> None:
    _rejects(
        lambda: uscc_check_character("9135"),
        code="USCC_INVALID",
        field="unifiedSocialCreditCode",
        says=["has 4 characters"],
    )


_USCC_CHARS = st.sampled_from(USCC_ALPHABET)


@st.composite
def valid_usccs(draw: st.DrawFn) -> str:
    head = draw(st.text(_USCC_CHARS, min_size=2, max_size=2))
    division = draw(st.sampled_from(sorted(PROVINCE_PREFIXES))) + draw(
        st.from_regex(r"[0-9]{4}", fullmatch=True)
    )
    body = head + division + draw(st.text(_USCC_CHARS, min_size=9, max_size=9))
    return body + uscc_check_character(body)


@given(valid_usccs())
def test_generated_uscc_validates(code: str) -> None:
    assert validate_uscc(code) == code


@given(valid_usccs(), st.integers(0, 17), _USCC_CHARS)
def test_any_single_character_change_breaks_a_uscc(code: str, position: int, char: str) -> None:
    # The weights are non-zero modulo the prime 31, so every substitution changes the check value.
    if code[position] == char:
        char = USCC_ALPHABET[(USCC_ALPHABET.index(char) + 1) % len(USCC_ALPHABET)]
    changed = code[:position] + char + code[position + 1 :]
    with pytest.raises(IdentifierError):
        validate_uscc(changed)


# Resident ID number (GB 11643-1999).


def test_resident_id_standard_example() -> None:
    # The example number printed in GB 11643-1999.
    assert validate_resident_id("11010519491231002X") == "11010519491231002X"
    assert validate_resident_id(" 11010519491231002x ") == "11010519491231002X"
    assert resident_id_check_character("11010519491231002") == "X"
    assert resident_id_birth_date("11010519491231002X") == date(1949, 12, 31)


def test_resident_id_leap_day_is_real() -> None:
    body = "51010420000229123"
    assert validate_resident_id(body + resident_id_check_character(body))


RESIDENT_ID_INVALID = [
    ("110105194912310021", "RESIDENT_ID_CHECK_CHARACTER_MISMATCH", ["should be 'X' but is '1'"]),
    (
        "510104199902301239",
        "RESIDENT_ID_INVALID_BIRTH_DATE",
        ["date of birth 19990230", "not a real date"],
    ),
    ("510104190002291234", "RESIDENT_ID_INVALID_BIRTH_DATE", ["19000229", "not a real date"]),
    ("510104199913011234", "RESIDENT_ID_INVALID_BIRTH_DATE", ["19991301"]),
    ("11010519491231002Y", "RESIDENT_ID_INVALID", ["check character 'Y'", "digit or X"]),
    ("1101051949123100X2", "RESIDENT_ID_INVALID", ["'X' at position 17", "must be digits"]),
    ("11010519491231002", "RESIDENT_ID_INVALID", ["has 17 characters", "has 18"]),
    ("99010519491231002X", "RESIDENT_ID_INVALID", ["'990105'", "province-level"]),
    ("01010519491231002X", "RESIDENT_ID_INVALID", ["'010105'"]),
]


@pytest.mark.parametrize(("value", "code", "says"), RESIDENT_ID_INVALID)
def test_resident_id_rejects(value: str, code: str, says: list[str]) -> None:
    field = "credentialSubject.owners[1].idNumber"
    error = _rejects(
        lambda: validate_resident_id(value, field=field), code=code, field=field, says=says
    )
    # A resident ID number is personal information: messages never repeat it.
    assert value not in error.message


def test_resident_id_birth_date_after_today_is_refused_only_when_today_is_given() -> None:
    body = "51010420300101123"
    number = body + resident_id_check_character(body)
    assert validate_resident_id(number) == number
    _rejects(
        lambda: validate_resident_id(number, today=date(2029, 12, 31)),
        code="RESIDENT_ID_INVALID_BIRTH_DATE",
        field="idNumber",
        says=["20300101", "after today, 2029-12-31"],
    )
    assert validate_resident_id(number, today=date(2030, 1, 1)) == number


@st.composite
def valid_resident_ids(draw: st.DrawFn) -> str:
    division = draw(st.sampled_from(sorted(PROVINCE_PREFIXES))) + draw(
        st.from_regex(r"[0-9]{4}", fullmatch=True)
    )
    born = draw(st.dates(min_value=date(1900, 1, 1), max_value=date(2024, 12, 31)))
    body = division + born.strftime("%Y%m%d") + draw(st.from_regex(r"[0-9]{3}", fullmatch=True))
    return body + resident_id_check_character(body)


@given(valid_resident_ids())
def test_generated_resident_id_validates(number: str) -> None:
    assert validate_resident_id(number, today=date(2025, 1, 1)) == number


@given(valid_resident_ids(), st.integers(0, 17), st.sampled_from("0123456789X"))
def test_any_single_character_change_breaks_a_resident_id(
    number: str, position: int, char: str
) -> None:
    # The weights are non-zero modulo the prime 11, so every substitution changes the check value.
    if number[position] == char:
        char = "0123456789X"[("0123456789X".index(char) + 1) % 11]
    changed = number[:position] + char + number[position + 1 :]
    with pytest.raises(IdentifierError):
        validate_resident_id(changed)


# Administrative division codes (GB/T 2260).


@pytest.mark.parametrize(
    "code", ["110101", "510104", "350102", "650100", "710000", "810000", "820000"]
)
def test_division_code_valid(code: str) -> None:
    assert validate_division_code(code) == code


DIVISION_INVALID = [
    ("5101", ["has 4 characters", "6 digits"]),
    ("5101040", ["has 7 characters"]),
    ("51A104", ["non-digit 'A' at position 3"]),
    ("160100", ["starts with '16'", "province-level"]),
    ("720000", ["starts with '72'"]),
    ("830000", ["starts with '83'"]),
    ("100000", ["starts with '10'"]),
]


@pytest.mark.parametrize(("code", "says"), DIVISION_INVALID)
def test_division_code_rejects(code: str, says: list[str]) -> None:
    field = "credentialSubject.divisionCode"
    _rejects(
        lambda: validate_division_code(code, field=field),
        code="DIVISION_CODE_INVALID",
        field=field,
        says=says,
    )


def test_national_code_only_when_allowed() -> None:
    assert validate_division_code("100000", allow_national=True) == "100000"


@pytest.mark.parametrize(
    ("code", "prefix", "inside"),
    [
        ("510104", "51", True),
        ("510104", "5101", True),
        ("510104", "510104", True),
        ("510104", "5102", False),
        ("350102", "51", False),
        ("510104", "510105", False),
        ("100000", "10", True),
    ],
)
def test_division_in_prefix(code: str, prefix: str, inside: bool) -> None:
    assert division_in_prefix(code, prefix) is inside


@pytest.mark.parametrize(
    ("prefix", "says"),
    [
        ("5", ["has 1 characters", "2, 4 or 6"]),
        ("510", ["has 3 characters"]),
        ("99", ["'99'"]),
        ("5x", ["non-digit 'x'"]),
    ],
)
def test_division_prefix_rejects(prefix: str, says: list[str]) -> None:
    _rejects(
        lambda: validate_division_prefix(prefix),
        code="DIVISION_PREFIX_INVALID",
        field="divisionPrefix",
        says=says,
    )


def test_division_in_prefix_refuses_a_bad_code_rather_than_answering_no() -> None:
    with pytest.raises(IdentifierError):
        division_in_prefix("99", "51")


# Property certificate number and unit number.


@pytest.mark.parametrize(
    ("value", "normalized"),
    [
        ("川(2023)成都市不动产权第0123456号", "川(2023)成都市不动产权第0123456号"),
        ("川（2023）成都市不动产权第0123456号", "川(2023)成都市不动产权第0123456号"),
        ("京(2017)朝阳区不动产权第0012345号", "京(2017)朝阳区不动产权第0012345号"),
        (" 闽(2020)福州市不动产权第7654321号 ", "闽(2020)福州市不动产权第7654321号"),
    ],
)
def test_certificate_number_valid(value: str, normalized: str) -> None:
    assert validate_property_certificate_number(value) == normalized


CERTIFICATE_INVALID = [
    ("X(2023)成都市不动产权第0123456号", ["starts with 'X'", "province-level abbreviation"]),
    ("川[2023]成都市不动产权第0123456号", ["year in parentheses"]),
    ("川(20a3)成都市不动产权第0123456号", ["year '20a3'", "4 digits"]),
    ("川(2023)成都市不动产第0123456号", ["must contain '不动产权第'"]),
    ("川(2023)不动产权第0123456号", ["no city or county name"]),
    ("川(2023)chengdu不动产权第0123456号", ["city or county name 'chengdu'"]),
    ("川(2023)成都市不动产权第012345号", ["7 digits and 号", "'012345号'"]),
    ("川(2023)成都市不动产权第01234567号", ["7 digits and 号"]),
    ("川(2023)成都市不动产权第0123456", ["7 digits and 号"]),
    ("川(20", ["too short"]),
]


@pytest.mark.parametrize(("value", "says"), CERTIFICATE_INVALID)
def test_certificate_number_rejects(value: str, says: list[str]) -> None:
    field = "credentialSubject.certificateNumber"
    _rejects(
        lambda: validate_property_certificate_number(value, field=field),
        code="PROPERTY_CERTIFICATE_NUMBER_INVALID",
        field=field,
        says=says,
    )


def test_unit_number_parts() -> None:
    unit = parse_property_unit_number("510104003002gb00012f00010023")
    assert (unit.division_code, unit.cadastral_zone, unit.cadastral_subzone) == (
        "510104",
        "003",
        "002",
    )
    assert (unit.parcel_feature, unit.parcel_sequence) == ("GB", "00012")
    assert (unit.fixture_feature, unit.fixture_number) == ("F", "00010023")
    assert str(unit) == "510104003002GB00012F00010023"


@pytest.mark.parametrize(
    "value",
    [
        "510104003002GB00012F00010023",
        "340123002004JC00011W00000000",
        "340123002004ZW99999L00000001",
    ],
)
def test_unit_number_valid(value: str) -> None:
    assert validate_property_unit_number(value) == value


UNIT_INVALID = [
    ("510104003002GB00012F0001002", ["has 27 characters", "28"]),
    ("990104003002GB00012F00010023", ["county-level division code", "'990104'"]),
    ("5101040030A2GB00012F00010023", ["'0030A2' at positions 7–12", "cadastral zone"]),
    ("510104003002KB00012F00010023", ["'KB' at positions 13–14", "ownership letter 'K'"]),
    ("510104003002GK00012F00010023", ["'GK'", "right-type letter 'K'"]),
    ("510104003002GB00000F00010023", ["parcel sequence number '00000'", "00001–99999"]),
    ("510104003002GB0001AF00010023", ["parcel sequence number '0001A'"]),
    ("510104003002GB00012K00010023", ["fixture feature code 'K' at position 20"]),
    ("510104003002GB00012F0001002A", ["fixture unit number '0001002A'", "8 digits"]),
    ("510104003002GB00012W00010023", ["W (no fixture)", "00000000"]),
]


@pytest.mark.parametrize(("value", "says"), UNIT_INVALID)
def test_unit_number_rejects(value: str, says: list[str]) -> None:
    field = "credentialSubject.unitNumber"
    _rejects(
        lambda: validate_property_unit_number(value, field=field),
        code="PROPERTY_UNIT_NUMBER_INVALID",
        field=field,
        says=says,
    )


@given(st.text(st.one_of(st.characters(max_codepoint=127), st.sampled_from("ßﬁıİäÄéǅ"))))
def test_ascii_upper_changes_only_ascii_letters(text: str) -> None:
    from vc_core.identifiers._common import ascii_upper

    expected = "".join(c.upper() if "a" <= c <= "z" else c for c in text)
    assert ascii_upper(text) == expected


DIGITISH = st.text(st.sampled_from("0123456789٣²１Xa "), max_size=19)


@given(DIGITISH)
def test_digit_checks_refuse_every_non_ascii_digit(text: str) -> None:
    # The checks skip their per-character loop when str.isdigit says ASCII digits only; other
    # scripts' digits (٣, ², full-width １) must still be refused, naming the first of them.
    from vc_core.identifiers.division import division_problem
    from vc_core.identifiers.resident_id import _check_digits

    first_bad = next((i for i, c in enumerate(text, start=1) if not ("0" <= c <= "9")), None)
    if first_bad is None:
        _check_digits(text, "f")
    else:
        with pytest.raises(IdentifierError, match=f"at position {first_bad};"):
            _check_digits(text, "f")
    problem = division_problem(text)
    if len(text) == 6 and first_bad is not None:
        assert problem == f"has non-digit {text[first_bad - 1]!r} at position {first_bad}"
    elif len(text) == 6:
        assert problem is None or "province" in problem


@given(st.text(st.sampled_from("0123456789"), min_size=17, max_size=17))
def test_the_check_character_is_the_weighted_sum(first17: str) -> None:
    from vc_core.identifiers.resident_id import (
        RESIDENT_ID_CHECK_CHARACTERS,
        RESIDENT_ID_WEIGHTS,
        resident_id_check_character,
    )

    total = sum(int(c) * w for c, w in zip(first17, RESIDENT_ID_WEIGHTS, strict=True))
    assert resident_id_check_character(first17) == RESIDENT_ID_CHECK_CHARACTERS[total % 11]
