"""Multikey encoding, key files and did:key resolution (CID 1.0 §2.2.2; did:key §3)."""

from __future__ import annotations

import json

import pytest

from vc_core import primitives
from vc_core.did import (
    controller_of,
    did_key,
    resolve_did_key,
    resolve_verification_method,
    verification_method_id,
)
from vc_core.errors import MalformedError, ProofError
from vc_core.keys import (
    KeyPair,
    decode_public_multikey,
    decode_secret_multikey,
    encode_public_multikey,
)

SEED = bytes(range(32))


def test_public_multikey_starts_z6mk_and_round_trips() -> None:
    kp = KeyPair.from_seed(SEED)
    assert kp.public_multibase.startswith("z6Mk")
    assert kp.secret_multibase.startswith("z3u2")
    assert decode_public_multikey(kp.public_multibase) == kp.public.raw
    assert decode_secret_multikey(kp.secret_multibase) == SEED


def test_key_file_round_trip_and_secret_not_in_repr() -> None:
    kp = KeyPair.from_seed(SEED)
    again = KeyPair.from_json(kp.to_json())
    assert again.public == kp.public
    assert kp.secret_multibase not in repr(kp)
    assert SEED.hex() not in repr(kp)


def test_w3c_spelling_private_key_multibase_is_accepted() -> None:
    kp = KeyPair.from_seed(SEED)
    data = {"publicKeyMultibase": kp.public_multibase, "privateKeyMultibase": kp.secret_multibase}
    assert KeyPair.from_dict(data).public == kp.public


@pytest.mark.parametrize(
    ("data", "code"),
    [
        ("[]", "INVALID_KEY_FILE"),
        ("{}", "INVALID_KEY_FILE"),
        ("not json", "INVALID_KEY_FILE"),
        ('{"secretKeyMultibase": "abc"}', "INVALID_MULTIBASE"),
        ('{"secretKeyMultibase": "z0OIl"}', "INVALID_MULTIBASE"),
    ],
)
def test_bad_key_files(data: str, code: str) -> None:
    with pytest.raises(MalformedError) as err:
        KeyPair.from_json(data)
    assert err.value.code == code


def test_key_file_with_mismatched_public_key() -> None:
    a, b = KeyPair.from_seed(SEED), KeyPair.generate()
    data = json.dumps(
        {"publicKeyMultibase": b.public_multibase, "secretKeyMultibase": a.secret_multibase}
    )
    with pytest.raises(MalformedError, match="does not match"):
        KeyPair.from_json(data)


@pytest.mark.parametrize("length", [31, 33, 0])
def test_wrong_key_lengths(length: int) -> None:
    encoded = primitives.multibase_encode(primitives.ED25519_PUB_PREFIX + b"\x01" * length)
    with pytest.raises(MalformedError) as err:
        decode_public_multikey(encoded)
    assert err.value.code == "INVALID_KEY_LENGTH"
    secret = primitives.multibase_encode(primitives.ED25519_PRIV_PREFIX + b"\x01" * length)
    with pytest.raises(MalformedError):
        decode_secret_multikey(secret)


def test_other_multicodec_is_rejected() -> None:
    p256 = primitives.multibase_encode(b"\x80\x24" + b"\x02" * 33)
    with pytest.raises(MalformedError, match="0xed01"):
        decode_public_multikey(p256)


def test_did_key_resolves_offline() -> None:
    kp = KeyPair.from_seed(SEED)
    vm = verification_method_id(kp.public)
    assert vm == f"{did_key(kp.public)}#{kp.public_multibase}"
    assert resolve_verification_method(vm) == kp.public
    assert controller_of(vm) == did_key(kp.public)
    doc = resolve_did_key(did_key(kp.public))
    assert doc["assertionMethod"] == [vm]
    assert doc["verificationMethod"][0]["publicKeyMultibase"] == kp.public_multibase


@pytest.mark.parametrize(
    "vm",
    ["did:web:example.com#key-1", "https://example.com/key", "did:key:zNotAKey#zNotAKey", ""],
)
def test_unresolvable_verification_methods(vm: str) -> None:
    with pytest.raises(MalformedError):
        resolve_verification_method(vm)


def test_did_key_fragment_must_repeat_the_key() -> None:
    a, b = KeyPair.from_seed(SEED), KeyPair.generate()
    with pytest.raises(MalformedError, match="fragment"):
        resolve_verification_method(f"{did_key(a.public)}#{b.public_multibase}")


def test_raw_signature_checks() -> None:
    kp = KeyPair.from_seed(SEED)
    sig = kp.sign(b"msg")
    kp.public.verify(b"msg", sig)
    with pytest.raises(ProofError):
        kp.public.verify(b"msh", sig)
    with pytest.raises(ProofError):
        kp.public.verify(b"msg", sig[:-1])
    assert encode_public_multikey(kp.public.raw) == kp.public_multibase
