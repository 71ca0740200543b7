"""The Bitstring Status List codec: spec examples, round trips, bit order and hostile lists.

Provenance of the encoded lists below:
- ``SPEC_EXAMPLE``: W3C Bitstring Status List v1.0 (Recommendation, 2025-05-15), Examples 3 and 5
  (``credentialSubject.encodedList``); 16 KiB of zeros.
- ``SUITE_OK`` and ``SUITE_SHORT``: w3c/vc-bitstring-status-list-test-suite,
  ``fixtures/status-credentials/single-purpose-ok.jsonld`` and ``short-encoded-list-fail.jsonld``.
  The suite writes them without the Multibase header the Recommendation requires (§2.2), so they
  are refused as they stand and read once ``u`` is prepended. The suite's fixture
  ``should-be-revoked.jsonld`` expects index 201 of ``SUITE_OK`` to be revoked.
"""

from __future__ import annotations

import base64
import gzip
import zlib
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vc_core.errors import MalformedError, VCError
from vc_core.status_list import (
    MIN_ENTRIES,
    MIN_LIST_BYTES,
    StatusListCode,
    StatusListEntry,
    StatusListError,
    decode_list,
    encode_list,
    read_status,
    set_status,
    status_at,
    status_entries,
)

SPEC_EXAMPLE = "uH4sIAAAAAAAAA-3BMQEAAADCoPVPbQwfoAAAAAAAAAAAAAAAAAAAAIC3AYbSVKsAQAAA"
SUITE_OK = (
    "H4sIACbOo2YC_-3QMREAMAgEsGerLPyrQgFjB-4SCUkWHQAAAAAAAOCwpwAAAADgrFIAAAAAAAAAAAAAAAAA"
    "3wxvOeOvqGEAAA"
)
SUITE_SHORT = "H4sIAN7Lo2YC_2NgwAEAjw7P6RkAAAA"
LIST_URL = "https://example.com/credentials/status/3"


def _b64(data: bytes) -> str:
    return "u" + base64.urlsafe_b64encode(data).decode().rstrip("=")


def _bit_text(bits: bytes) -> str:
    """An independent oracle for bit order: the bitstring as '0'/'1', left-most bit first."""
    return "".join(f"{byte:08b}" for byte in bits)


def _code(exc: pytest.ExceptionInfo[VCError]) -> str:
    return exc.value.code


def _entry(**over: Any) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "id": f"{LIST_URL}#94567",
        "type": "BitstringStatusListEntry",
        "statusPurpose": "revocation",
        "statusListIndex": "94567",
        "statusListCredential": LIST_URL,
    }
    entry.update(over)
    return {k: v for k, v in entry.items() if v is not None}


def _list_credential(encoded: str, purpose: Any = "revocation") -> dict[str, Any]:
    return {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "id": LIST_URL,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": "did:example:12345",
        "validFrom": "2021-04-05T14:27:40Z",
        "credentialSubject": {
            "id": "https://example.com/status/3#list",
            "type": "BitstringStatusList",
            "statusPurpose": purpose,
            "encodedList": encoded,
        },
    }


# The specification's and the test suite's own lists -------------------------------------------


def test_spec_example_decodes_to_16_kib_of_unset_entries() -> None:
    bits = decode_list(SPEC_EXAMPLE)
    assert len(bits) == MIN_LIST_BYTES and not any(bits)
    result = read_status(StatusListEntry.from_dict(_entry()), _list_credential(SPEC_EXAMPLE))
    assert (result.status, result.valid, result.message) == (0, True, "unset")


def test_suite_list_reads_index_201_as_revoked() -> None:
    with pytest.raises(StatusListError) as exc:
        decode_list(SUITE_OK)
    assert _code(exc) == StatusListCode.ENCODED_LIST_NOT_MULTIBASE
    bits = decode_list("u" + SUITE_OK)
    assert len(bits) == 25_000
    assert [i for i, b in enumerate(_bit_text(bits)) if b == "1"] == [201, 57444, 94023]
    entry = StatusListEntry.from_dict(_entry(statusListIndex="201"))
    result = read_status(entry, _list_credential("u" + SUITE_OK))
    assert (result.status, result.valid, result.message) == (1, False, "set")


def test_suite_short_list_is_a_length_error() -> None:
    with pytest.raises(StatusListError) as exc:
        decode_list("u" + SUITE_SHORT)
    assert _code(exc) == StatusListCode.STATUS_LIST_LENGTH_ERROR
    assert len(decode_list("u" + SUITE_SHORT, min_entries=8)) == 25


# Round trips and bit order --------------------------------------------------------------------


@settings(max_examples=60, deadline=None)
@given(
    size=st.integers(min_value=1, max_value=4),
    statuses=st.dictionaries(
        st.integers(min_value=0, max_value=MIN_ENTRIES - 1), st.integers(0, 15), max_size=40
    ),
)
def test_round_trip_keeps_every_status(size: int, statuses: dict[int, int]) -> None:
    bits = bytearray(MIN_LIST_BYTES * size)
    expected = {i: v % (1 << size) for i, v in statuses.items()}
    for index, value in expected.items():
        set_status(bits, index, value, size)
    encoded = encode_list(bits, status_size=size)
    assert encoded.startswith("u") and "=" not in encoded
    decoded = decode_list(encoded, status_size=size)
    assert decoded == bytes(bits)
    text = _bit_text(decoded)
    for index in range(0, MIN_ENTRIES, 997):
        want = expected.get(index, 0)
        assert status_at(decoded, index, size) == want
        assert int(text[index * size : (index + 1) * size], 2) == want
    for index, want in expected.items():
        assert status_at(decoded, index, size) == want


@given(st.integers(min_value=0, max_value=MIN_ENTRIES - 1))
def test_index_zero_is_the_left_most_bit(index: int) -> None:
    bits = set_status(bytearray(MIN_LIST_BYTES), index, 1)
    assert _bit_text(bytes(bits)).index("1") == index
    assert bits[index // 8] == 0x80 >> (index % 8)


def test_encoding_is_deterministic_and_refuses_short_lists() -> None:
    bits = set_status(bytearray(MIN_LIST_BYTES), 7, 1)
    assert encode_list(bits) == encode_list(bytes(bits))
    with pytest.raises(StatusListError) as exc:
        encode_list(bytes(MIN_LIST_BYTES - 1))
    assert _code(exc) == StatusListCode.STATUS_LIST_LENGTH_ERROR


@pytest.mark.parametrize("size", [0, -1, 17, True])
def test_a_status_size_out_of_range_is_refused_by_every_call(size: Any) -> None:
    bits = bytearray(MIN_LIST_BYTES)
    calls = [
        lambda: encode_list(bits, status_size=size),
        lambda: decode_list(SPEC_EXAMPLE, status_size=size),
        lambda: status_at(bits, 0, size),
        lambda: set_status(bits, 0, 0, size),
    ]
    for call in calls:
        with pytest.raises(MalformedError) as exc:
            call()
        assert _code(exc) == StatusListCode.INVALID_STATUS_SIZE


def test_set_status_refuses_values_that_do_not_fit() -> None:
    with pytest.raises(MalformedError) as exc:
        set_status(bytearray(MIN_LIST_BYTES), 1, 2, 1)
    assert _code(exc) == StatusListCode.INVALID_STATUS_SIZE
    with pytest.raises(StatusListError) as exc:
        set_status(bytearray(MIN_LIST_BYTES), MIN_ENTRIES, 1)
    assert _code(exc) == StatusListCode.RANGE_ERROR


# Hostile and broken lists ----------------------------------------------------------------------


def test_gzip_bomb_is_refused_without_inflating_it() -> None:
    bomb = _b64(gzip.compress(bytes(MAX := 1 << 20), mtime=0))
    with pytest.raises(StatusListError) as exc:
        decode_list(bomb, max_bytes=MAX - 1)
    assert _code(exc) == StatusListCode.STATUS_LIST_TOO_LARGE
    assert len(decode_list(bomb, max_bytes=MAX)) == MAX
    # The default bound: a 17 MiB list of zeros compresses to a few KiB and is still refused.
    big = _b64(gzip.compress(bytes(17 << 20), mtime=0))
    with pytest.raises(StatusListError) as exc:
        decode_list(big)
    assert _code(exc) == StatusListCode.STATUS_LIST_TOO_LARGE


def test_an_encoding_too_long_for_any_acceptable_list_is_refused_before_decoding() -> None:
    with pytest.raises(StatusListError) as exc:
        decode_list("u" + "A" * 40_000, max_bytes=MIN_LIST_BYTES)
    assert _code(exc) == StatusListCode.STATUS_LIST_TOO_LARGE


_GOOD = gzip.compress(bytes(MIN_LIST_BYTES), mtime=0)


@pytest.mark.parametrize(
    ("encoded", "code"),
    [
        (None, StatusListCode.ENCODED_LIST_NOT_MULTIBASE),
        (12, StatusListCode.ENCODED_LIST_NOT_MULTIBASE),
        ("", StatusListCode.ENCODED_LIST_NOT_MULTIBASE),
        ("z" + SPEC_EXAMPLE[1:], StatusListCode.ENCODED_LIST_NOT_MULTIBASE),
        (SPEC_EXAMPLE + "=", StatusListCode.ENCODED_LIST_NOT_BASE64URL),
        (SPEC_EXAMPLE.replace("-", "+"), StatusListCode.ENCODED_LIST_NOT_BASE64URL),
        (SPEC_EXAMPLE + "A", StatusListCode.ENCODED_LIST_NOT_BASE64URL),
        ("u", StatusListCode.ENCODED_LIST_NOT_GZIP),
        (_b64(_GOOD[:-9]), StatusListCode.ENCODED_LIST_NOT_GZIP),
        (_b64(_GOOD + b"\0"), StatusListCode.ENCODED_LIST_NOT_GZIP),
        (_b64(_GOOD + _GOOD), StatusListCode.ENCODED_LIST_NOT_GZIP),
        (_b64(_GOOD[:-8] + b"\0\0\0\0" + _GOOD[-4:]), StatusListCode.ENCODED_LIST_NOT_GZIP),
        (_b64(zlib.compress(bytes(MIN_LIST_BYTES))), StatusListCode.ENCODED_LIST_NOT_GZIP),
        (_b64(bytes(MIN_LIST_BYTES)), StatusListCode.ENCODED_LIST_NOT_GZIP),
    ],
    ids=[
        "none",
        "number",
        "empty",
        "base58-header",
        "padding",
        "standard-alphabet",
        "impossible-length",
        "no-bytes",
        "truncated",
        "trailing-byte",
        "two-members",
        "bad-crc",
        "zlib-not-gzip",
        "not-compressed",
    ],
)
def test_broken_lists_have_stable_codes(encoded: Any, code: StatusListCode) -> None:
    with pytest.raises(StatusListError) as exc:
        decode_list(encoded)
    assert _code(exc) == code


@settings(max_examples=300, deadline=None)
@given(
    st.one_of(
        st.text(max_size=200).map(lambda s: "u" + s),
        st.binary(max_size=300).map(_b64),
        st.binary(min_size=10, max_size=300).map(lambda b: _b64(_GOOD[:10] + b)),
    )
)
def test_any_input_decodes_or_fails_with_a_status_list_error(encoded: str) -> None:
    try:
        bits = decode_list(encoded, min_entries=0, max_bytes=1 << 16)
    except StatusListError as exc:
        assert exc.code in set(StatusListCode)
    else:
        assert len(bits) <= 1 << 16


# Status entries (spec §2.1) and the Validate Algorithm (spec §3.2) -----------------------------


def test_spec_entry_examples_parse() -> None:
    simple = StatusListEntry.from_dict(_entry())
    assert (simple.purpose, simple.index, simple.size) == ("revocation", 94567, 1)
    messages = [{"status": f"0x{v:x}", "message": m} for v, m in enumerate("abcd")]
    complex_ = StatusListEntry.from_dict(
        _entry(
            statusPurpose="message",
            statusListIndex="492847",
            statusSize=2,
            statusMessage=messages,
            statusReference="https://example.org/status-dictionary/",
        )
    )
    assert complex_.size == 2 and complex_.message_for(2) == "c"
    credential = {"credentialStatus": [_entry(), {"type": "OtherStatus"}, _entry(id=None)]}
    assert len(status_entries(credential)) == 2


_FOUR = [{"status": f"0x{v}", "message": str(v)} for v in range(4)]


@pytest.mark.parametrize(
    ("over", "code"),
    [
        ({"type": "StatusList2021Entry"}, StatusListCode.INVALID_STATUS_ENTRY),
        ({"id": LIST_URL}, StatusListCode.INVALID_STATUS_ENTRY),
        ({"statusPurpose": ""}, StatusListCode.INVALID_STATUS_PURPOSE),
        ({"statusPurpose": ["revocation"]}, StatusListCode.INVALID_STATUS_PURPOSE),
        ({"statusListIndex": 94567}, StatusListCode.INVALID_STATUS_LIST_INDEX),
        ({"statusListIndex": "-1"}, StatusListCode.INVALID_STATUS_LIST_INDEX),
        ({"statusListIndex": "0x10"}, StatusListCode.INVALID_STATUS_LIST_INDEX),
        ({"statusListIndex": "9" * 31}, StatusListCode.INVALID_STATUS_LIST_INDEX),
        ({"statusListCredential": "not a url"}, StatusListCode.INVALID_STATUS_LIST_CREDENTIAL),
        ({"statusListCredential": None}, StatusListCode.INVALID_STATUS_LIST_CREDENTIAL),
        ({"statusSize": 0}, StatusListCode.INVALID_STATUS_SIZE),
        ({"statusSize": True}, StatusListCode.INVALID_STATUS_SIZE),
        ({"statusSize": "2"}, StatusListCode.INVALID_STATUS_SIZE),
        ({"statusSize": 17}, StatusListCode.INVALID_STATUS_SIZE),
        ({"statusSize": 2}, StatusListCode.INVALID_STATUS_MESSAGE),
        ({"statusSize": 2, "statusMessage": _FOUR[:3]}, StatusListCode.INVALID_STATUS_MESSAGE),
        ({"statusSize": 1, "statusMessage": _FOUR}, StatusListCode.INVALID_STATUS_MESSAGE),
        (
            {"statusSize": 2, "statusMessage": [*_FOUR[:3], _FOUR[0]]},
            StatusListCode.INVALID_STATUS_MESSAGE,
        ),
        (
            {"statusSize": 2, "statusMessage": [*_FOUR[:3], {"status": "3", "message": "x"}]},
            StatusListCode.INVALID_STATUS_MESSAGE,
        ),
        (
            {"statusSize": 2, "statusMessage": [*_FOUR[:3], {"status": "0x4", "message": "x"}]},
            StatusListCode.INVALID_STATUS_MESSAGE,
        ),
        (
            {"statusSize": 2, "statusMessage": [*_FOUR[:3], "0x3"]},
            StatusListCode.INVALID_STATUS_MESSAGE,
        ),
        ({"statusReference": []}, StatusListCode.INVALID_STATUS_REFERENCE),
        ({"statusReference": ["https://ok.example", 3]}, StatusListCode.INVALID_STATUS_REFERENCE),
    ],
)
def test_malformed_entries_have_stable_codes(over: dict[str, Any], code: StatusListCode) -> None:
    with pytest.raises(MalformedError) as exc:
        StatusListEntry.from_dict(_entry(**over))  # a None value leaves the property out
    assert _code(exc) == code


def test_a_multi_bit_message_entry_reads_its_message() -> None:
    messages = [{"status": f"0x{v:x}", "message": m} for v, m in enumerate(["ok", "a", "b", "c"])]
    entry = StatusListEntry.from_dict(
        _entry(statusPurpose="message", statusSize=2, statusMessage=messages, statusListIndex="5")
    )
    bits = set_status(bytearray(2 * MIN_LIST_BYTES), 5, 2, 2)
    result = read_status(entry, _list_credential(encode_list(bits, status_size=2), "message"))
    assert (result.status, result.valid, result.message) == (2, False, "b")
    short = encode_list(bytes(MIN_LIST_BYTES), min_entries=MIN_ENTRIES)
    with pytest.raises(StatusListError) as exc:  # 131,072 bits hold only 65,536 2-bit entries
        read_status(entry, _list_credential(short, "message"))
    assert _code(exc) == StatusListCode.STATUS_LIST_LENGTH_ERROR


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda c: c.update(type=["VerifiableCredential"]), "type"),
        (lambda c: c.update(id="https://example.com/credentials/status/4"), "id"),
        (lambda c: c["credentialSubject"].update(type="StatusList2021"), "credentialSubject.type"),
        (
            lambda c: c["credentialSubject"].update(statusPurpose="suspension"),
            "credentialSubject.statusPurpose",
        ),
    ],
)
def test_a_list_for_something_else_is_a_status_verification_error(change: Any, field: str) -> None:
    credential = _list_credential(SPEC_EXAMPLE)
    change(credential)
    with pytest.raises(StatusListError) as exc:
        read_status(StatusListEntry.from_dict(_entry()), credential)
    assert _code(exc) == StatusListCode.STATUS_VERIFICATION_ERROR
    assert exc.value.field == field


def test_a_list_serving_several_purposes_answers_each() -> None:
    bits = set_status(bytearray(MIN_LIST_BYTES), 12345, 1)
    credential = _list_credential(encode_list(bits), ["revocation", "suspension"])
    entry = StatusListEntry.from_dict(_entry(statusPurpose="suspension", statusListIndex="12345"))
    assert read_status(entry, credential).valid is False


def test_an_index_beyond_the_list_is_a_range_error() -> None:
    entry = StatusListEntry.from_dict(_entry(statusListIndex=str(MIN_ENTRIES)))
    with pytest.raises(StatusListError) as exc:
        read_status(entry, _list_credential(SPEC_EXAMPLE))
    assert _code(exc) == StatusListCode.RANGE_ERROR
