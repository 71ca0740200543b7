"""The sealed key store: round trip, wrong passphrase, tampering, and no key material in clear."""

from __future__ import annotations

import base64
import json
import stat
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vc_core.errors import MalformedError
from vc_core.keys import KeyPair
from vc_core.keystore import (
    KdfLimits,
    KeystoreUnlockError,
    Sealed,
    SealedKey,
    read_passphrase,
)

FAST = KdfLimits.minimum()
PASSPHRASE = "amber-otter-quartz-ledger"


def _secret_forms(pair: KeyPair) -> list[bytes]:
    """Every spelling of the secret a careless writer could leave in a file."""
    seed = pair.seed
    return [
        seed,
        seed.hex().encode(),
        base64.b64encode(seed),
        base64.urlsafe_b64encode(seed),
        base64.b64encode(seed).rstrip(b"="),
        pair.secret_multibase.encode(),
    ]


def test_round_trip_through_a_file(tmp_path: Path) -> None:
    pair = KeyPair.generate()
    path = tmp_path / "keys" / "office.json"
    SealedKey.seal(pair, PASSPHRASE, limits=FAST).write(path)
    back = SealedKey.read(path).unseal(PASSPHRASE)
    assert back.seed == pair.seed and back.public == pair.public
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_file_holds_no_key_material_nor_passphrase(tmp_path: Path) -> None:
    pair = KeyPair.generate()
    path = tmp_path / "office.json"
    SealedKey.seal(pair, PASSPHRASE, limits=FAST).write(path)
    raw = path.read_bytes()
    for form in _secret_forms(pair):
        assert form not in raw
    assert PASSPHRASE.encode() not in raw
    # The public key is there on purpose: it names the key without unlocking it.
    assert pair.public_multibase.encode() in raw


def test_each_seal_uses_a_fresh_salt_and_nonce() -> None:
    pair = KeyPair.generate()
    one = SealedKey.seal(pair, PASSPHRASE, limits=FAST).sealed
    two = SealedKey.seal(pair, PASSPHRASE, limits=FAST).sealed
    assert one.salt != two.salt
    assert one.box[:24] != two.box[:24]


def test_wrong_passphrase_is_a_clear_error_that_does_not_repeat_it() -> None:
    sealed = SealedKey.seal(KeyPair.generate(), PASSPHRASE, limits=FAST)
    with pytest.raises(KeystoreUnlockError) as info:
        sealed.unseal("amber-otter-quartz-ledgeR")
    assert info.value.code == "KEYSTORE_UNLOCK_FAILED"
    assert info.value.exit_code == 2
    assert "ledgeR" not in info.value.diagnostics()


@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_any_flipped_bit_in_the_box_or_salt_is_refused(data: st.DataObject) -> None:
    sealed = SealedKey.seal(KeyPair.generate(), PASSPHRASE, limits=FAST).sealed
    target = data.draw(st.sampled_from(["box", "salt"]))
    raw = bytearray(getattr(sealed, target))
    position = data.draw(st.integers(0, len(raw) * 8 - 1))
    raw[position // 8] ^= 1 << (position % 8)
    changed = Sealed(
        salt=bytes(raw) if target == "salt" else sealed.salt,
        limits=sealed.limits,
        box=bytes(raw) if target == "box" else sealed.box,
        label=sealed.label,
    )
    with pytest.raises(KeystoreUnlockError):
        SealedKey(changed).unseal(PASSPHRASE)


def test_a_label_swapped_for_another_key_is_refused() -> None:
    sealed = SealedKey.seal(KeyPair.generate(), PASSPHRASE, limits=FAST)
    data = json.loads(sealed.to_json())
    data["label"]["publicKeyMultibase"] = KeyPair.generate().public_multibase
    with pytest.raises(KeystoreUnlockError, match="altered"):
        SealedKey.from_json(json.dumps(data)).unseal(PASSPHRASE)


@pytest.mark.parametrize(
    "change",
    [
        {"format": "ecert-sealed/0"},
        {"cipher": "aes-128-ecb"},
        {"kdf": {"alg": "pbkdf2", "opslimit": 1, "memlimit": 8192, "salt": "AAAA"}},
        {"kdf": {"alg": "argon2id13", "opslimit": 1, "memlimit": 1 << 40, "salt": "A" * 24}},
        {"kdf": {"alg": "argon2id13", "opslimit": 0, "memlimit": 8192, "salt": "A" * 24}},
        {"kdf": {"alg": "argon2id13", "opslimit": 1, "memlimit": 8192, "salt": "short"}},
        {"box": 42},
        {"box": "not base64 !!"},
        {"label": []},
    ],
    ids=lambda change: next(iter(change)),
)
def test_malformed_files_are_refused_before_any_work(change: dict[str, object]) -> None:
    data = json.loads(SealedKey.seal(KeyPair.generate(), PASSPHRASE, limits=FAST).to_json())
    data.update(change)
    with pytest.raises(MalformedError) as info:
        SealedKey.from_json(json.dumps(data)).unseal(PASSPHRASE)
    assert info.value.code == "SEALED_FILE_INVALID"


def test_not_json_and_missing_files(tmp_path: Path) -> None:
    with pytest.raises(MalformedError, match="JSON"):
        SealedKey.from_json(b"\xff\xfe")
    with pytest.raises(MalformedError) as info:
        SealedKey.read(tmp_path / "absent.json")
    assert info.value.code == "FILE_NOT_FOUND"


def test_an_empty_passphrase_cannot_seal() -> None:
    with pytest.raises(MalformedError) as info:
        SealedKey.seal(KeyPair.generate(), "", limits=FAST)
    assert info.value.code == "PASSPHRASE_EMPTY"


def test_presets_and_unknown_strength() -> None:
    assert KdfLimits.preset("moderate").memlimit == 256 * 1024 * 1024
    with pytest.raises(MalformedError):
        KdfLimits.preset("weak")


def test_passphrase_from_file_wins_over_environment(tmp_path: Path) -> None:
    secret = tmp_path / "passphrase"
    secret.write_text("from-file\n", encoding="utf-8")
    env = {"ISSUER_PASSPHRASE": "from-env"}
    assert read_passphrase(env_var="ISSUER_PASSPHRASE", file=secret, environ=env) == "from-file"
    assert read_passphrase(env_var="ISSUER_PASSPHRASE", file=None, environ=env) == "from-env"
    with pytest.raises(MalformedError) as info:
        read_passphrase(env_var="ISSUER_PASSPHRASE", file=None, environ={})
    assert info.value.code == "PASSPHRASE_MISSING"
    with pytest.raises(MalformedError) as missing:
        read_passphrase(env_var="X", file=tmp_path / "absent", environ=env)
    assert "absent" in missing.value.message
