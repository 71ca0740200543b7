"""The base58btc decoder of ``multibase_decode`` agrees with the ``base58`` package everywhere."""

from __future__ import annotations

import base58
import pytest
from hypothesis import given
from hypothesis import strategies as st

from vc_core.errors import MalformedError
from vc_core.primitives import multibase_decode, multibase_encode

ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"


@given(st.binary(max_size=80))
def test_decodes_what_the_package_encodes(data: bytes) -> None:
    text = base58.b58encode(data).decode("ascii")
    if text:
        assert multibase_decode("z" + text) == data


@given(st.text(alphabet=ALPHABET, min_size=1, max_size=120))
def test_agrees_with_the_package_on_any_digits(text: str) -> None:
    assert multibase_decode("z" + text) == base58.b58decode(text)


@pytest.mark.parametrize("bad", ["z0abc", "zO", "zIl", "zabc+", "z é"])
def test_refuses_characters_outside_the_alphabet(bad: str) -> None:
    with pytest.raises(MalformedError) as info:
        multibase_decode(bad)
    assert "outside the base58btc alphabet" in info.value.message


@given(st.binary(max_size=80))
def test_encodes_as_the_package_does(data: bytes) -> None:
    assert multibase_encode(data) == "z" + base58.b58encode(data).decode("ascii")


@pytest.mark.parametrize(
    "data", [b"", b"\0", b"\0\0\0", b"\0\x01", b"\xff" * 64, bytes(63) + b"\x01", bytes(range(64))]
)
def test_encodes_edges_as_the_package_does(data: bytes) -> None:
    # Leading zero bytes, nothing at all, and a top chunk that is mostly padding.
    assert multibase_encode(data) == "z" + base58.b58encode(data).decode("ascii")
    if data:  # "z" alone is refused: a multibase value holds at least one digit.
        assert multibase_decode(multibase_encode(data)) == data
