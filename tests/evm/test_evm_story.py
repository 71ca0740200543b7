"""The story on the EVM backend: issue → anchor → verify → revoke → verify (DESIGN §4, §5).

The office anchors through :class:`~registry.evm.EvmLedger` (a raw transaction to EcertLog on
anvil); the bank verifies with :func:`vc_core.verification.check_credential` against two
readers: its own :class:`~registry.evm.EvmFollower` on the node's JSON-RPC (trusting only the
genesis hash), and a :class:`vc_core.replica.Replica` synced from the registry node's signed
derived blocks (:class:`~registry.evm.EvmBlockSource`). Both must say the same.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from ecert.story.chain import CHAIN_ID, Council, Registry, cosign, demo_key, propose_accreditations
from ecert.story.office import Office
from registry.evm import EvmBlockSource, EvmChain, EvmFollower, EvmLedger
from tests.evm.anvil import Anvil, account
from tests.evm.chains import wall
from vc_core.canon import default_contexts
from vc_core.ledger import genesis_tx
from vc_core.replica import Replica
from vc_core.verification import check_credential
from vc_core.verification.codes import Verdict

SPEC_NAME = "traffic-police"


def _verdicts(readers: list[Any], credential: dict[str, Any]) -> list[tuple[Verdict, list[str]]]:
    out = []
    for reader in readers:
        report = check_credential(credential, reader=reader, now=wall())
        codes = [str(step.code) for step in report.steps if step.code]
        out.append((report.verdict, codes))
    return out


def test_issue_anchor_verify_revoke_verify_on_the_evm_backend(anvil: Anvil, tmp_path: Path) -> None:
    from ecert.story.cast import OFFICES

    now = wall()
    council = Council.of(3, 2)
    producer = demo_key("registry node")
    genesis = genesis_tx(CHAIN_ID, council.members, 2, producer.public, now)
    ledger = EvmLedger.deploy(
        anvil.chain(), account(1), genesis, confirmations=0, producer_key=producer
    )
    registry = Registry(ledger=ledger, producer=producer, genesis=ledger.block(0))  # type: ignore[arg-type]
    office = Office.of(next(spec for spec in OFFICES if spec.name == SPEC_NAME))

    # The council accredits the office (2 of 3, one at a time); the office adds its signing key.
    (proposal,) = propose_accreditations(
        registry,
        council,
        [(office.spec, office.first_key)],
        valid_from=now - timedelta(days=1),
        proposed_at=now,
        expires=now + timedelta(days=3),
    )
    accredit = ledger.submit(cosign(proposal, council.members[1]), wall())
    assert ledger.wait_included(accredit, timeout_s=30) is not None
    key_add = ledger.submit(office.add_signing_key(registry, wall()), wall())
    assert ledger.wait_included(key_add, timeout_s=30) is not None

    # Issue, then anchor asynchronously: the credential exists before its anchor does.
    credential = office.issue("eddsa-jcs-2022", wall(), default_contexts())
    chain = EvmChain.connect(anvil.url, chain_id=anvil.chain_id, address=ledger.chain.address or "")
    bank = EvmFollower(chain, confirmations=0, genesis_hash=registry.genesis_hash)
    bank.sync()
    replica = Replica.open(tmp_path / "bank.sqlite", genesis_hash=registry.genesis_hash)
    source = EvmBlockSource(ledger, wall)
    replica.sync([source], now=wall())
    before = _verdicts([bank, replica], credential)
    assert [v for v, _ in before] == [Verdict.INVALID] * 2
    assert all("ANCHOR_NOT_FOUND" in codes for _, codes in before), before

    anchor = ledger.submit(office.anchor(registry, [credential], "batch-1", wall()), wall())
    assert ledger.wait_included(anchor, timeout_s=30) is not None
    bank.sync()
    replica.sync([source], now=wall())
    assert [v for v, _ in _verdicts([bank, replica], credential)] == [Verdict.VALID] * 2

    revoke = ledger.submit(office.revoke(registry, credential, "licence withdrawn", wall()), wall())
    assert ledger.wait_included(revoke, timeout_s=30) is not None
    bank.sync()
    replica.sync([source], now=wall())
    after = _verdicts([bank, replica], credential)
    assert [v for v, _ in after] == [Verdict.INVALID] * 2
    assert all("REVOKED" in codes for _, codes in after), after
    # The bank's own reader and the replica hold the same chain: same head, same hashes.
    assert bank.chain_head() == replica.chain_head() == ledger.chain_head()
    replica.close()
