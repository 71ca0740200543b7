"""``ecert-wallet receive`` and ``sync`` on bad input, in process: every case is one line on
stderr with the CLI's exit code, nothing is written, and (where the input is refused before any
request) no connection is even tried. The live flow is in
``tests/integration/test_oid4vci_live.py``.
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
import qrcode

from tests.unit.wallet_cli.conftest import Run
from wallet_cli.oid4vci import TxCodeSpec, parse_offer, parse_offer_uri, well_known


def _png(text: str) -> bytes:
    buffer = io.BytesIO()
    qrcode.make(text).save(buffer, format="PNG")
    return buffer.getvalue()


def _by_value(offer: dict[str, Any]) -> str:
    return "openid-credential-offer://?credential_offer=" + quote(json.dumps(offer))


OFFER = {
    "credential_issuer": "https://issuer.example",
    "credential_configuration_ids": ["DriverLicenceCredential"],
    "grants": {
        "urn:ietf:params:oauth:grant-type:pre-authorized_code": {
            "pre-authorized_code": "c",
            "tx_code": {"input_mode": "numeric", "length": 6},
        }
    },
}


def _case(name: str, tmp: Path) -> tuple[list[str], int, str]:
    tx = tmp / "tx"
    tx.write_text("123456\n", encoding="utf-8")
    not_image = tmp / "not-image.png"
    not_image.write_bytes(b"\x89PNG but not really")
    blank = tmp / "blank.png"
    blank.write_bytes(_blank_png())
    other_qr = tmp / "other.png"
    other_qr.write_bytes(_png("https://example.org/not-an-offer"))
    insecure = "openid-credential-offer://?credential_offer_uri=" + quote(
        "http://issuer.example/credential-offer/x", safe=""
    )
    cases: dict[str, tuple[list[str], int, str]] = {
        "unknown scheme": (["receive", "openid4vp://?request_uri=x"], 2, "UNKNOWN_URI_SCHEME"),
        "a web page": (["receive", "https://issuer.example/offer"], 2, "UNKNOWN_URI_SCHEME"),
        "no offer in the URI": (["receive", "openid-credential-offer://?x=1"], 2,
                                "OFFER_MALFORMED"),
        "both forms": ([ "receive", _by_value(OFFER) + "&credential_offer_uri=https%3A%2F%2Fa"],
                       2, "OFFER_MALFORMED"),
        "plain http": (["receive", insecure], 2, "INSECURE_URL"),
        "URI and image": (["receive", "x", "--qr-image", str(other_qr)], 2, "USAGE"),
        "neither": (["receive"], 2, "USAGE"),
        "missing image": (["receive", "--qr-image", str(tmp / "nope.png")], 2, "FILE_NOT_FOUND"),
        "not an image": (["receive", "--qr-image", str(not_image)], 2, "QR_IMAGE_UNREADABLE"),
        "no QR in the image": (["receive", "--qr-image", str(blank)], 2, "QR_NOT_FOUND"),
        "a QR of something else": (["receive", "--qr-image", str(other_qr)], 2,
                                   "UNKNOWN_URI_SCHEME"),
        "missing tx-code file": (["receive", _by_value(OFFER), "--tx-code-file",
                                  str(tmp / "nope")], 2, "FILE_NOT_FOUND"),
        "sync --replica without --genesis": (["sync", "--replica", str(tx)], 2, "USAGE"),
    }  # fmt: skip
    return cases[name]


def _blank_png() -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("L", (64, 64), 255).save(buffer, format="PNG")
    return buffer.getvalue()


NAMES = [
    "unknown scheme",
    "a web page",
    "no offer in the URI",
    "both forms",
    "plain http",
    "URI and image",
    "neither",
    "missing image",
    "not an image",
    "no QR in the image",
    "a QR of something else",
    "missing tx-code file",
    "sync --replica without --genesis",
]


@pytest.mark.parametrize("name", NAMES)
def test_bad_input_is_one_line_and_changes_nothing(
    name: str, wallet: Run, home: Path, tmp_path: Path, no_network: list[Any]
) -> None:
    assert wallet("init").exit_code == 0
    before = (home / "wallet.sealed").read_bytes()
    args, exit_code, code = _case(name, tmp_path)
    result = wallet(*args)
    assert result.exit_code == exit_code, (name, result.stdout, result.stderr)
    assert result.stderr.count("\n") == 1 and result.stderr.startswith(f"error: {code}"), (
        result.stderr
    )
    assert (home / "wallet.sealed").read_bytes() == before
    assert not no_network, "refused before any connection"


def test_an_unreachable_issuer_is_exit_3(wallet: Run, home: Path, no_network: list[Any]) -> None:
    assert wallet("init").exit_code == 0
    uri = "openid-credential-offer://?credential_offer_uri=" + quote(
        "http://127.0.0.1:9/credential-offer/x", safe=""
    )
    result = wallet("receive", uri)
    assert result.exit_code == 3, result.stderr
    assert result.stderr.startswith("error: ISSUER_UNREACHABLE") and result.stderr.count("\n") == 1
    assert no_network, "a connection was tried"


def test_no_wallet_is_refused_before_any_request(
    wallet: Run, home: Path, no_network: list[Any]
) -> None:
    result = wallet("receive", _by_value(OFFER), "--tx-code-file", "/dev/null")
    assert result.exit_code == 2 and result.stderr.startswith("error: WALLET_NOT_FOUND")
    assert not no_network


def test_offer_parsing_and_well_known_urls() -> None:
    by_value, url = parse_offer_uri(_by_value(OFFER))
    assert url is None and by_value == OFFER
    offer = parse_offer(OFFER)
    assert offer.tx_code == TxCodeSpec(input_mode="numeric", length=6, description=None)
    assert offer.tx_code.check(" 123456 ") == "123456"
    for bad in ("12345", "12345a", "", "1234567"):
        with pytest.raises(Exception, match="transaction code"):
            offer.tx_code.check(bad)
    # OpenID4VCI 1.0 §12.2.2: the well-known part goes between host and path.
    assert (
        well_known("https://h.example/tenant", "openid-credential-issuer")
        == "https://h.example/.well-known/openid-credential-issuer/tenant"
    )
    assert well_known("https://h.example", "oauth-authorization-server") == (
        "https://h.example/.well-known/oauth-authorization-server"
    )
    for broken in ({}, {**OFFER, "grants": {}}, {**OFFER, "credential_configuration_ids": []}):
        with pytest.raises(Exception, match="offer"):
            parse_offer(broken)
