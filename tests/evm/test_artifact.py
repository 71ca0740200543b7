"""The committed EcertLog artifact is exactly what the pinned solc-js makes of the source."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from registry.evm.artifact import ARTIFACT_PATH, ecert_log
from tests.evm.anvil import Anvil

REPO = Path(__file__).resolve().parents[2]
SOLC = REPO / "tools/node/node_modules/solc/soljson.js"


def _require_solc() -> str:
    node = shutil.which("node")
    if node is None or not SOLC.exists():
        reason = "node or the pinned solc-js is missing (run tools/setup/30-anvil.sh)"
        if os.environ.get("CI"):
            pytest.fail(reason + "; CI requires it")
        pytest.skip(reason)
    return node


def test_the_artifact_is_the_pinned_compilers_output_byte_for_byte() -> None:
    node = _require_solc()
    out = subprocess.run(
        [node, str(REPO / "registry/evm/compile.js")],
        check=True,
        capture_output=True,
        timeout=120,
    ).stdout
    assert out == ARTIFACT_PATH.read_bytes()
    artifact = json.loads(out)
    lock = json.loads((REPO / "tools/node/package-lock.json").read_text())
    pinned = lock["packages"]["node_modules/solc"]["version"]
    assert artifact["compiler"]["version"].startswith(pinned + "+")
    assert artifact["evmVersion"] == "cancun"
    assert artifact["optimizer"] == {"enabled": True, "runs": 200}


def test_the_size_limit_the_writer_checks_is_the_contracts(anvil: Anvil) -> None:
    from registry.evm import EvmLedger
    from tests.evm.anvil import account
    from tests.evm.chains import genesis

    ledger = EvmLedger.deploy(anvil.chain(), account(1), genesis()[0], confirmations=0)
    assert ledger.chain._uint_call("MAX_TX_BYTES()") == ecert_log().max_tx_bytes
