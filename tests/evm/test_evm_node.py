"""The EVM-backed registry node's ledger (``registry.evm.node``), in process, on anvil.

Submissions are pre-checked with the fold and refused unsent; the node's SQLite holds exactly
the blocks the chain confirms; a restart continues from the store; a store the chain no longer
backs (a reset or deep reorg), a wrong genesis, missing settings or a node that is down stop the
node with a clear error — never a start on facts the chain does not have. The CLI says it in
one line.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from registry import store
from registry.config import Settings
from registry.evm import EvmCode, EvmError, EvmLedger
from registry.evm.node import EvmMirrorLedger, open_evm_ledger, read_sender_key
from registry.evm.sender import forget_nonces
from tests.evm.anvil import Anvil, account
from tests.evm.chains import CHAIN, accredit, anchor_tx, genesis, key, leaves, node_folder, wall
from vc_core.errors import MalformedError, NotFoundError
from vc_core.keys import KeyPair
from vc_core.ledger import LedgerRuleError, office_did
from vc_core.ledger.errors import RuleCode


def _settings(env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Settings:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return Settings()


@pytest.fixture
def node_env(anvil: Anvil, tmp_path: Path) -> Iterator[tuple[dict[str, str], EvmLedger]]:
    """A deployed EcertLog (automine, no confirmations needed) and a node folder for it."""
    tx, producer = genesis()
    deployed = EvmLedger.deploy(anvil.chain(), account(0), tx, confirmations=0)
    deployed.producer_key = producer
    deployed.wait_for_genesis(timeout_s=30)
    yield node_folder(tmp_path / "node", deployed, producer, confirmations=0), deployed


def _accredit_one(ledger: EvmMirrorLedger, name: str) -> tuple[str, KeyPair]:
    ((did, office_key),) = accredit(ledger.evm, [name], wall()).items()
    ledger.mirror()
    return did, office_key


def test_the_node_stores_what_the_chain_confirms_and_continues_after_a_restart(
    node_env: tuple[dict[str, str], EvmLedger], monkeypatch: pytest.MonkeyPatch
) -> None:
    env, deployed = node_env
    settings = _settings(env, monkeypatch)
    ledger = open_evm_ledger(settings)
    assert ledger.head().hash == deployed.block(0).hash
    _accredit_one(ledger, "a")
    head = ledger.head()
    assert head.height == 1 and store.head_height(ledger.engine) == 1
    deployed.refresh()  # an independent reader of the same contract derives the same block
    assert ledger.block(1) == deployed.block(1)
    ledger.engine.dispose()

    again = open_evm_ledger(settings)
    assert again.head() == head
    assert office_did(CHAIN, "a") in again.offices()
    assert again.mirror() == 0, "nothing stored twice"
    again.engine.dispose()


def test_a_rule_breaking_submission_is_refused_and_nothing_is_sent(
    node_env: tuple[dict[str, str], EvmLedger], monkeypatch: pytest.MonkeyPatch
) -> None:
    env, _ = node_env
    ledger = open_evm_ledger(_settings(env, monkeypatch))
    did, signer = _accredit_one(ledger, "a")
    events = ledger.evm.chain.count()
    stranger = anchor_tx(office_did(CHAIN, "nobody"), key(50), leaves("x", 2), 1, wall(), "b0")
    with pytest.raises(LedgerRuleError):
        ledger.submit(stranger, wall())
    # A batch with a bad second transaction: none of it is sent.
    good = anchor_tx(did, signer, leaves("y", 2), ledger.next_seq(did), wall(), "b1")
    with pytest.raises(LedgerRuleError) as refused:
        ledger.submit_many([good, stranger], wall())
    assert refused.value.details.get("index") == 1
    assert ledger.evm.chain.count() == events and ledger.pending_count == 0
    assert not ledger.is_pending(good.hash)
    # Alone it is sent (pending), and stored once the chain has it.
    assert ledger.submit(good, wall()) == good.hash and ledger.is_pending(good.hash)
    with pytest.raises(LedgerRuleError) as again:
        ledger.submit(good, wall())
    assert again.value.code == RuleCode.REPLAYED_TRANSACTION
    assert ledger.evm.wait_included(good.hash, timeout_s=30) is not None
    ledger.mirror()
    assert not ledger.is_pending(good.hash) and ledger.inclusion(good.hash) is not None
    ledger.engine.dispose()


def test_a_store_the_chain_no_longer_backs_stops_the_node(
    anvil: Anvil, node_env: tuple[dict[str, str], EvmLedger], monkeypatch: pytest.MonkeyPatch
) -> None:
    env, _ = node_env
    settings = _settings(env, monkeypatch)
    snapshot = anvil.rpc("evm_snapshot", [])
    ledger = open_evm_ledger(settings)
    _accredit_one(ledger, "a")
    assert ledger.head().height == 1
    ledger.engine.dispose()
    # The chain loses the block the node stored (a reset node, or a reorg past the depth).
    anvil.rpc("evm_revert", [snapshot])
    forget_nonces(anvil.url)
    with pytest.raises(EvmError) as stopped:
        open_evm_ledger(settings)
    assert stopped.value.code == EvmCode.GENESIS_MISMATCH
    assert "not the chain's" in str(stopped.value)


def test_a_genesis_file_of_another_chain_is_refused(
    anvil: Anvil, node_env: tuple[dict[str, str], EvmLedger], monkeypatch: pytest.MonkeyPatch
) -> None:
    env, _ = node_env
    tx, producer = genesis(wall() - timedelta(seconds=5))  # another genesis
    other = EvmLedger.deploy(anvil.chain(), account(2), tx, confirmations=0, producer_key=producer)
    other.wait_for_genesis(timeout_s=30)
    # The folder's genesis.json names the first deployment; point it at the second one.
    env = {**env, "REGISTRY_EVM_CONTRACT": str(other.chain.address)}
    with pytest.raises(EvmError) as refused:
        open_evm_ledger(_settings(env, monkeypatch))
    assert refused.value.code == EvmCode.GENESIS_MISMATCH


def test_missing_settings_and_key_files_are_clear_errors(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with pytest.raises(MalformedError):
        open_evm_ledger(Settings(data_dir=tmp_path, backend="evm"))
    with pytest.raises(MalformedError):
        open_evm_ledger(
            Settings(
                data_dir=tmp_path,
                backend="evm",
                evm_rpc_url="http://127.0.0.1:1",
                evm_contract="0x" + "00" * 20,
                evm_chain_id=31337,
            )
        )
    with pytest.raises(NotFoundError):
        read_sender_key(tmp_path / "absent.key")


def test_an_encrypted_keystore_opens_with_its_passphrase_only(tmp_path: Path) -> None:
    from eth_account import Account

    wanted = account(3)
    path = tmp_path / "sender.keystore.json"
    keystore = Account.encrypt(wanted.key, "right passphrase", kdf="pbkdf2", iterations=2)
    path.write_text(json.dumps(keystore), encoding="utf-8")
    assert read_sender_key(path, "right passphrase").address == wanted.address
    for wrong in ("wrong passphrase", None):
        with pytest.raises(MalformedError) as refused:
            read_sender_key(path, wrong)
        assert "passphrase" in str(refused.value) and "right" not in str(refused.value)


@given(text=st.one_of(st.text(max_size=80), st.text(alphabet="0123456789abcdefx \n", max_size=70)))
def test_a_sender_key_file_is_an_account_or_a_clear_error(text: str) -> None:
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "k"
        path.write_text(text, encoding="utf-8")
        try:
            read_sender_key(path)
        except MalformedError as exc:
            assert len(text.strip()) < 8 or text.strip() not in str(exc), "never echo a key"


def test_serve_with_a_node_that_is_down_is_one_line_and_an_exit_code(
    node_env: tuple[dict[str, str], EvmLedger],
) -> None:
    env, _ = node_env
    down = {**env, "REGISTRY_EVM_RPC_URL": "http://127.0.0.1:9"}
    proc = subprocess.run(
        [sys.executable, "-m", "registry", "serve", "--data-dir", env["REGISTRY_DATA_DIR"]],
        check=False,
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, **down},
    )
    assert proc.returncode != 0
    assert "Traceback" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1, proc.stderr
    assert "127.0.0.1:9" in proc.stderr or "EVM" in proc.stderr, proc.stderr
