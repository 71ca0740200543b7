"""JSON numbers under eddsa-jcs-2022: doubles, as RFC 8785 §3.2.2.3 says, and nothing else.

An integer literal that a double represents exactly (``100000000000000000000`` is what the
reference implementation writes for ``1e20``) canonicalizes as that double; an integer no double
equals is refused with ``NUMBER_NOT_REPRESENTABLE``, because a JavaScript verifier would read a
different number. Everything is checked against the ``rfc8785`` package and against the number
table of RFC 8785 Appendix B.
"""

from __future__ import annotations

import json
import struct
from datetime import UTC, datetime
from typing import Any

import pytest
import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st

from vc_core.canon import default_contexts, jcs
from vc_core.dataintegrity import add_proof, check_proofs
from vc_core.did import did_key, verification_method_id
from vc_core.errors import MalformedError
from vc_core.keys import KeyPair

NOW = datetime(2026, 6, 1, tzinfo=UTC)

# RFC 8785 Appendix B: IEEE 754 bit patterns and the JSON text JCS must write for them.
APPENDIX_B = [
    ("0000000000000000", "0"),
    ("8000000000000000", "0"),
    ("0000000000000001", "5e-324"),
    ("8000000000000001", "-5e-324"),
    ("7fefffffffffffff", "1.7976931348623157e+308"),
    ("ffefffffffffffff", "-1.7976931348623157e+308"),
    ("4340000000000000", "9007199254740992"),
    ("c340000000000000", "-9007199254740992"),
    ("4430000000000000", "295147905179352830000"),
    ("44b52d02c7e14af5", "9.999999999999997e+22"),
    ("44b52d02c7e14af6", "1e+23"),
    ("44b52d02c7e14af7", "1.0000000000000001e+23"),
    ("444b1ae4d6e2ef4e", "999999999999999700000"),
    ("444b1ae4d6e2ef4f", "999999999999999900000"),
    ("444b1ae4d6e2ef50", "1e+21"),
    ("3eb0c6f7a0b5ed8c", "9.999999999999997e-7"),
    ("3eb0c6f7a0b5ed8d", "0.000001"),
    ("41b3de4355555553", "333333333.3333332"),
    ("41b3de4355555554", "333333333.33333325"),
    ("41b3de4355555555", "333333333.3333333"),
    ("41b3de4355555556", "333333333.3333334"),
    ("41b3de4355555557", "333333333.33333343"),
    ("becbf647612f3696", "-0.0000033333333333333333"),
    ("43143ff3c1cb0959", "1424953923781206.2"),
]
NOT_NUMBERS = ["7fffffffffffffff", "7ff0000000000000"]  # NaN and Infinity: errors in JCS


def _double(bits: str) -> float:
    value: float = struct.unpack(">d", bytes.fromhex(bits))[0]
    return value


@pytest.mark.parametrize(("bits", "expected"), APPENDIX_B)
def test_rfc8785_appendix_b_numbers(bits: str, expected: str) -> None:
    value = _double(bits)
    assert jcs(value) == expected.encode()
    if value.is_integer():
        # The same number written as an integer literal, however long, means the same double.
        assert jcs(int(value)) == expected.encode()
        assert jcs(json.loads(str(int(value)))) == expected.encode()


@pytest.mark.parametrize("bits", NOT_NUMBERS)
def test_nan_and_infinity_are_refused(bits: str) -> None:
    with pytest.raises(MalformedError):
        jcs(_double(bits))


def test_the_reference_writing_of_1e20_canonicalizes() -> None:
    assert jcs(json.loads("100000000000000000000")) == b"100000000000000000000"
    assert jcs({"n": 10**20}) == b'{"n":100000000000000000000}'


@pytest.mark.parametrize("number", [2**53 + 1, -(2**53) - 1, 10**20 + 1, 10**400, -(10**309)])
def test_integers_no_double_equals_are_refused_with_a_code(number: int) -> None:
    with pytest.raises(MalformedError) as raised:
        jcs({"a": [number]})
    assert raised.value.code == "NUMBER_NOT_REPRESENTABLE"
    assert len(raised.value.message) < 300  # long numbers are abbreviated, not echoed


@given(st.floats(allow_nan=False, allow_infinity=False))
@settings(max_examples=2000, deadline=None)
def test_any_double_is_what_rfc8785_writes(value: float) -> None:
    assert jcs(value) == rfc8785.dumps(value)
    assert jcs({"x": [value]}) == rfc8785.dumps({"x": [value]})


big_integers = st.one_of(
    st.integers(min_value=-(2**1100), max_value=2**1100),
    st.integers(min_value=0, max_value=1023).map(lambda e: 2**e),
    st.integers(min_value=0, max_value=308).map(lambda e: 10**e),
    st.floats(allow_nan=False, allow_infinity=False).filter(float.is_integer).map(int),
)


@given(big_integers)
@settings(max_examples=2000, deadline=None)
def test_any_integer_is_its_double_or_refused(value: int) -> None:
    try:
        double = float(value)
    except OverflowError:
        double = None
    if double is not None and int(double) == value:
        assert jcs(value) == rfc8785.dumps(double)
    else:
        with pytest.raises(MalformedError) as raised:
            jcs(value)
        assert raised.value.code == "NUMBER_NOT_REPRESENTABLE"


NUMBERS_CONTEXT = "https://ecert.example/test/numbers/v1"


def _contexts() -> Any:
    document = {"@context": {"amountInFen": "https://ex.example/#amountInFen"}}
    return default_contexts().with_documents({NUMBERS_CONTEXT: document})


def _signed_with(number: Any) -> dict[str, Any]:
    key = KeyPair.from_seed(bytes(32))
    doc = {
        "@context": ["https://www.w3.org/ns/credentials/v2", NUMBERS_CONTEXT],
        "type": ["VerifiableCredential"],
        "issuer": did_key(key.public),
        "credentialSubject": {"id": "did:example:s", "amountInFen": number},
    }
    return add_proof(
        doc,
        key,
        cryptosuite="eddsa-jcs-2022",
        verification_method=verification_method_id(key.public),
        created=datetime(2026, 1, 1, tzinfo=UTC),
        contexts=_contexts(),
    )


def _with_number(signed: dict[str, Any], literal: str) -> dict[str, Any]:
    text = json.dumps(signed).replace("100000000000000000000", literal)
    parsed: dict[str, Any] = json.loads(text)
    return parsed


def test_a_large_exact_integer_signs_and_only_that_number_verifies() -> None:
    signed = _signed_with(10**20)
    assert check_proofs(
        _with_number(signed, "100000000000000000000"), now=NOW, contexts=_contexts()
    )
    # The signature covers the number as the double it is, however the JSON writes it.
    assert check_proofs(_with_number(signed, "1e20"), now=NOW, contexts=_contexts())
    # The next double up is a different number.
    assert not check_proofs(
        _with_number(signed, "100000000000000016384"), now=NOW, contexts=_contexts()
    )


def test_signing_an_integer_no_double_equals_is_refused() -> None:
    with pytest.raises(MalformedError) as raised:
        _signed_with(10**20 + 1)
    assert raised.value.code == "NUMBER_NOT_REPRESENTABLE"
