"""An office's folder: laid out once, unlocked by its passphrase only, no secret in clear."""

from __future__ import annotations

import base64
import json
import stat
from datetime import UTC, datetime
from pathlib import Path

import pytest

from issuer.config import Settings
from issuer.office import init_office, unlock_office
from vc_core.errors import MalformedError
from vc_core.keystore import KdfLimits, KeystoreUnlockError

NOW = datetime(2026, 6, 1, tzinfo=UTC)
PASSPHRASE = "office passphrase for tests"


def _init(settings: Settings, did: str = "did:ecert:unit:tp") -> None:
    init_office(
        settings=settings,
        did=did,
        name="Traffic police",
        passphrase=PASSPHRASE,
        limits=KdfLimits.minimum(),
        now=NOW,
    )


def _all_bytes(folder: Path) -> bytes:
    return b"".join(p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file())


def test_init_then_unlock(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "office")
    _init(settings)
    office = unlock_office(settings=settings, passphrase=PASSPHRASE)
    assert office.did == "did:ecert:unit:tp"
    assert office.verification_method == f"did:ecert:unit:tp#{office.signer.public_multibase}"
    assert stat.S_IMODE(settings.data_dir.stat().st_mode) == 0o700
    assert "seed" not in repr(office) and office.signer.secret_multibase not in repr(office)


def test_the_folder_holds_no_key_material_nor_passphrase(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "office")
    _init(settings)
    seed = unlock_office(settings=settings, passphrase=PASSPHRASE).signer
    raw = _all_bytes(settings.data_dir)
    for form in (
        seed.seed,
        seed.seed.hex().encode(),
        base64.b64encode(seed.seed),
        base64.urlsafe_b64encode(seed.seed),
        seed.secret_multibase.encode(),
        PASSPHRASE.encode(),
    ):
        assert form not in raw


def test_wrong_passphrase(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "office")
    _init(settings)
    with pytest.raises(KeystoreUnlockError) as info:
        unlock_office(settings=settings, passphrase="not the passphrase")
    assert info.value.exit_code == 2
    assert "not the passphrase" not in info.value.diagnostics()


def test_init_refuses_an_existing_office_and_a_bad_did(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "office")
    _init(settings)
    before = _all_bytes(settings.data_dir / "keys")
    with pytest.raises(MalformedError) as exists:
        _init(settings)
    assert exists.value.code == "OFFICE_EXISTS"
    assert _all_bytes(settings.data_dir / "keys") == before
    with pytest.raises(MalformedError) as bad:
        _init(Settings(data_dir=tmp_path / "other"), did="did:key:z6Mk")
    assert bad.value.code == "OFFICE_DID_INVALID"


def test_unlock_without_an_office(tmp_path: Path) -> None:
    with pytest.raises(MalformedError) as info:
        unlock_office(settings=Settings(data_dir=tmp_path / "none"), passphrase=PASSPHRASE)
    assert info.value.code == "OFFICE_NOT_INITIALIZED"


def test_office_json_cannot_point_outside_the_keys_folder(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "office")
    _init(settings)
    description = json.loads(settings.office_path.read_text())
    description["current"] = "../../etc/passwd"
    settings.office_path.write_text(json.dumps(description))
    with pytest.raises(MalformedError):
        unlock_office(settings=settings, passphrase=PASSPHRASE)
