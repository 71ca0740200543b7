"""``ecert-wallet present``: ``--qr`` for the VC-API mode, and links that cannot be answered.

A presentation that fits in one QR code is drawn on the terminal and written as a PNG that
decodes back to the presentation's bytes' length class; one that does not fit is said so, and
the presentation is written as a file to hand over instead. Links of another scheme or with
missing parameters are one line and exit 2; an unreachable verifier exit 3; the store is
unchanged by all of them.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.unit.wallet_cli.chain import ChainFiles
from tests.unit.wallet_cli.conftest import Run
from vc_core import qr
from vc_core.anchoring import credential_digest


def _import(wallet: Run, path: Path) -> str:
    assert wallet("import", str(path)).exit_code == 0
    return credential_digest(json.loads(path.read_text(encoding="utf-8")))[:12]


def test_qr_of_a_presentation_that_fits_prints_it_and_writes_a_png(
    wallet: Run, chain: ChainFiles, tmp_path: Path
) -> None:
    wallet("init")
    ref = _import(wallet, chain.credential[0])
    out = tmp_path / "vp.json"
    result = wallet(
        "present", ref, "--challenge", "c", "--domain", "d.example", "--qr", "--out", str(out)
    )
    assert result.exit_code == 0, result.stderr
    png = tmp_path / "vp.png"
    assert (
        png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        and f"wrote the QR code to {png}" in result.stderr
    )
    assert "\u2588" in result.stdout  # The code drawn with block characters.
    assert json.loads(out.read_text("utf-8"))["type"] == ["VerifiablePresentation"]


def test_qr_of_a_presentation_too_large_says_so_and_offers_the_file(
    wallet: Run, chain: ChainFiles, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    big = {**chain.deeds[0], "description": "不动产" * 600}  # Import keeps it; present signs it.
    (tmp_path / "big.json").write_text(json.dumps(big, ensure_ascii=False), encoding="utf-8")
    wallet("init")
    ref = _import(wallet, tmp_path / "big.json")
    result = wallet("present", ref, "--challenge", "c", "--domain", "d.example", "--qr")
    assert result.exit_code == 0, result.stderr
    written = tmp_path / "presentation.json"
    compact = json.dumps(
        json.loads(written.read_text("utf-8")), ensure_ascii=False, separators=(",", ":")
    )
    assert len(compact.encode()) > qr.MAX_BYTES
    assert (
        "too large for one QR code" in result.stderr
        and "presentation.json instead" in result.stderr
    )
    assert not (tmp_path / "presentation.png").exists()


@pytest.mark.parametrize(
    ("link", "exit_code", "code"),
    [
        (
            "https://bank.example/?client_id=x&request_uri=https://bank.example/r",
            2,
            "OID4VP_LINK_INVALID",
        ),
        ("openid4vp://?client_id=x", 2, "OID4VP_LINK_INVALID"),
        ("openid4vp://?client_id=x&request_uri=file:///etc/passwd", 2, "OID4VP_LINK_INVALID"),
        ("openid4vp://?client_id=x&request_uri=http://127.0.0.1:9/r", 3, "VERIFIER_UNREACHABLE"),
    ],
)
def test_links_that_cannot_be_answered_are_one_line(
    wallet: Run, chain: ChainFiles, link: str, exit_code: int, code: str
) -> None:
    wallet("init")
    ref = _import(wallet, chain.credential[0])
    result = wallet("present", link, "--yes")
    assert result.exit_code == exit_code, result.stdout + result.stderr
    assert result.stderr.count("\n") == 1 and code in result.stderr
    listed = json.loads(wallet("list", "--json").stdout)
    assert [row["id"] for row in listed] == [ref]
