"""Offline bundles: built from a chain's blocks, they answer key, accreditation and status as of
the checkpoint with no network; reordered, missing or forged facts fail closed with a stable
code; any flipped byte of the checkpoint fails; and the documented limit — a bundle cannot
prove the absence of a fact it omits — is pinned by a test, so it cannot silently change."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.unit.vc_core.anchoring.conftest import (
    CHAIN,
    COUNCIL,
    DRIVING,
    OFFICE,
    OFFICE_KEY,
    PRODUCER,
    SECOND_KEY,
    T0,
    AnchoredChain,
    build_chain,
    credential,
)
from vc_core.anchoring import (
    BundleCode,
    OfflineBundle,
    ReceiptCode,
    TxProof,
    build_bundle,
    credential_digest,
    make_receipt,
    verify_bundle,
)
from vc_core.canon import jcs
from vc_core.errors import MalformedError, RegistryError, VCError
from vc_core.jsonio import parse_json
from vc_core.keys import KeyPair
from vc_core.ledger import (
    AccreditBody,
    AnchorBody,
    Block,
    Checkpoint,
    CouncilUpdateBody,
    Scope,
    council_tx,
    genesis_tx,
    make_block,
    make_checkpoint,
    office_tx,
    replay,
)
from vc_core.transparency import MerkleTree


def _bundle(chain: AnchoredChain, i: int) -> OfflineBundle:
    ledger = chain.ledger
    found = ledger.inclusion(chain.anchor.hash)
    assert found is not None
    receipt = make_receipt(
        ledger.block(found.height), found.position, credential_digest(chain.credentials[i])
    )
    checkpoint = ledger.checkpoint(ledger.head().time + timedelta(seconds=5))
    blocks = [ledger.block(h) for h in range(ledger.head().height + 1)]
    return build_bundle(chain.credentials[i], receipt, checkpoint, blocks)


def _genesis_hash(chain: AnchoredChain) -> str:
    return chain.ledger.block(0).hash


def test_a_bundle_answers_key_accreditation_and_status(anchored: AnchoredChain) -> None:
    bundle = _bundle(anchored, 2)
    types = [f.tx.type for f in bundle.facts]
    assert types == ["genesis", "issuer.accredit", "key.add", "status"], "only what bears on it"
    facts = verify_bundle(bundle, genesis_hash=_genesis_hash(anchored))
    assert facts.office == OFFICE and facts.anchor_key == SECOND_KEY.public_multibase
    key = facts.key(SECOND_KEY.public_multibase)
    assert key is not None and key.state_at(facts.anchored_at) == "active"
    assert facts.key(KeyPair.from_seed(b"\x15" * 32).public_multibase) is None, "other office"
    accreditation = facts.accreditation()
    assert accreditation is not None and accreditation.allows_issuing(facts.anchored_at)
    assert accreditation.covers(DRIVING, "510104")
    assert facts.status().suspended
    assert not facts.status(facts.anchored_at).suspended, "as of the anchor, not yet"
    with pytest.raises(RegistryError) as later:
        facts.status(facts.checkpoint.time + timedelta(seconds=1))
    assert later.value.code == BundleCode.BEYOND_CHECKPOINT and later.value.exit_code == 3

    other = verify_bundle(_bundle(anchored, 3), genesis_hash=_genesis_hash(anchored))
    assert other.status().valid
    assert OfflineBundle.from_json(bundle.to_json()) == bundle


def test_a_bundle_cannot_prove_absence(anchored: AnchoredChain) -> None:
    """The documented limit: a builder that leaves out the suspension is not caught."""
    bundle = _bundle(anchored, 2)
    partial = bundle.model_copy(update={"facts": bundle.facts[:-1]})
    assert verify_bundle(partial, genesis_hash=_genesis_hash(anchored)).status().valid


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ("wrong genesis", BundleCode.GENESIS_MISMATCH),
        ("no genesis", BundleCode.GENESIS_MISMATCH),
        ("reordered", BundleCode.FACTS_OUT_OF_ORDER),
        ("duplicated", BundleCode.FACTS_OUT_OF_ORDER),
        ("no key.add", BundleCode.FACTS_INCONSISTENT),
        ("no accreditation", BundleCode.FACTS_INCONSISTENT),
        ("fact moved to another block", BundleCode.FACT_NOT_IN_BLOCK),
        ("old checkpoint", BundleCode.CHECKPOINT_INVALID),
        ("another credential", ReceiptCode.LEAF_MISMATCH),
    ],
)
def test_broken_bundles_fail_closed(anchored: AnchoredChain, change: str, code: str) -> None:
    bundle = _bundle(anchored, 2)
    facts = list(bundle.facts)
    genesis_hash = _genesis_hash(anchored)
    update: dict[str, object] = {}
    if change == "wrong genesis":
        genesis_hash = "0" * 64
    elif change == "no genesis":
        update["facts"] = facts[1:]
    elif change == "reordered":
        update["facts"] = [facts[0], facts[2], facts[1], facts[3]]
    elif change == "duplicated":
        update["facts"] = [*facts[:2], facts[1], *facts[2:]]
    elif change == "no key.add":
        update["facts"] = [f for f in facts if f.tx.type != "key.add"]
    elif change == "no accreditation":
        update["facts"] = [f for f in facts if f.tx.type != "issuer.accredit"]
    elif change == "fact moved to another block":
        # The status event (block 4) claimed for the anchor's block, at a free place.
        receipt = bundle.receipt
        inclusion = TxProof(index=0, tree_size=2, path=receipt.tx_inclusion.path)
        moved = facts[3].model_copy(
            update={
                "header": receipt.header,
                "signature": receipt.signature,
                "inclusion": inclusion,
            }
        )
        update["facts"] = [*facts[:3], moved]
    elif change == "old checkpoint":
        update["checkpoint"] = make_checkpoint(
            replay(anchored.ledger.block(0), [anchored.ledger.block(1)]), PRODUCER, T0
        )
    elif change == "another credential":
        update["credential"] = credential(3)
    broken = bundle.model_copy(update=update)
    with pytest.raises(VCError) as info:
        verify_bundle(broken, genesis_hash=genesis_hash)
    assert info.value.code == code


def _outcome(bundle: OfflineBundle, raw: bytes, genesis_hash: str) -> str:
    try:
        checkpoint = Checkpoint.from_json(raw)
        verify_bundle(
            bundle.model_copy(update={"checkpoint": checkpoint}), genesis_hash=genesis_hash
        )
    except VCError as exc:
        return exc.code
    return "VALID"


def test_every_flipped_byte_of_the_checkpoint_fails(anchored: AnchoredChain) -> None:
    bundle = _bundle(anchored, 2)
    raw = jcs(bundle.checkpoint.to_dict())
    codes: Counter[str] = Counter()
    for i in range(len(raw)):
        flipped = raw[:i] + bytes([raw[i] ^ 0x01]) + raw[i + 1 :]
        codes[_outcome(bundle, flipped, _genesis_hash(anchored))] += 1
    assert "VALID" not in codes and sum(codes.values()) == len(raw) > 250
    assert codes[BundleCode.CHECKPOINT_INVALID] > len(raw) // 2, codes
    assert set(codes) <= {BundleCode.CHECKPOINT_INVALID, "NOT_JSON", "MALFORMED_BLOCK"}, codes


@settings(max_examples=200, deadline=None)
@given(data=st.data())
def test_any_byte_of_the_bundle_replaced_fails(
    anchored: AnchoredChain, data: st.DataObject
) -> None:
    bundle = _bundle(anchored, 2)
    raw = bundle.to_json().encode("utf-8")
    i = data.draw(st.integers(0, len(raw) - 1), label="position")
    new = data.draw(st.integers(0, 255).filter(lambda b: b != raw[i]), label="byte")
    flipped = raw[:i] + bytes([new]) + raw[i + 1 :]
    with pytest.raises(VCError) as info:
        verify_bundle(OfflineBundle.from_json(flipped), genesis_hash=_genesis_hash(anchored))
    assert info.value.code.isupper() and info.value.exit_code in (1, 2)


def test_a_credential_byte_flipped_inside_the_bundle_fails(anchored: AnchoredChain) -> None:
    bundle = _bundle(anchored, 2)
    raw = jcs(bundle.credential)
    outcomes: Counter[str] = Counter()
    for i in range(len(raw)):
        try:
            changed = parse_json(raw[:i] + bytes([raw[i] ^ 0x01]) + raw[i + 1 :])
            verify_bundle(
                bundle.model_copy(update={"credential": changed}),
                genesis_hash=_genesis_hash(anchored),
            )
        except VCError as exc:
            outcomes[exc.code] += 1
    assert sum(outcomes.values()) == len(raw)
    assert set(outcomes) <= {
        "NOT_JSON",
        "DUPLICATE_KEY",
        "NOT_AN_OBJECT",
        ReceiptCode.LEAF_MISMATCH,
    }


def test_a_producer_change_is_followed_and_cannot_be_left_out() -> None:
    """Block 1 names a new producer; blocks 2 and 3 are signed by it."""
    new_producer = KeyPair.from_seed(b"\x21" * 32)
    office_key = KeyPair.from_seed(b"\x22" * 32)
    t = T0
    genesis = make_block(None, [genesis_tx(CHAIN, [COUNCIL], 1, PRODUCER.public, t)], t, PRODUCER)
    update = CouncilUpdateBody(
        council=(COUNCIL.public_multibase,), threshold=1, producer=new_producer.public_multibase
    )
    t += timedelta(minutes=1)
    b1 = make_block(
        genesis.header,
        [council_tx(CHAIN, "council.update", update, proposer=COUNCIL, seq=2, time=t)],
        t,
        PRODUCER,
    )
    accredit = AccreditBody(
        office=OFFICE,
        name="Traffic police",
        uscc="91350100M000100Y43",
        scopes=(Scope(credential_type=DRIVING, division_prefixes=("51",)),),
        valid_from=T0,
        initial_key=office_key.public_multibase,
    )
    t += timedelta(minutes=1)
    b2 = make_block(
        b1.header,
        [council_tx(CHAIN, "issuer.accredit", accredit, proposer=COUNCIL, seq=3, time=t)],
        t,
        new_producer,
    )
    cred = credential(7)
    leaves = [credential_digest(cred), credential_digest(credential(8))]
    root = MerkleTree([bytes.fromhex(x) for x in leaves]).root.hex()
    anchor = AnchorBody(batch_id="b", batch_root=root, leaf_count=2, leaves=tuple(leaves))
    t += timedelta(minutes=1)
    anchor_tx = office_tx(CHAIN, "anchor", anchor, office=OFFICE, seq=1, time=t, key=office_key)
    b3 = make_block(b2.header, [anchor_tx], t, new_producer)
    blocks: list[Block] = [genesis, b1, b2, b3]
    state = replay(genesis, blocks[1:])  # the hand-made chain is a valid one
    checkpoint = make_checkpoint(state, new_producer, t)
    receipt = make_receipt(b3, 0, leaves[0])
    bundle = build_bundle(cred, receipt, checkpoint, blocks)
    assert [f.tx.type for f in bundle.facts] == ["genesis", "council.update", "issuer.accredit"]
    assert (
        verify_bundle(bundle, genesis_hash=genesis.hash).anchor_key == office_key.public_multibase
    )

    without = bundle.model_copy(update={"facts": (bundle.facts[0], bundle.facts[2])})
    with pytest.raises(VCError) as info:
        verify_bundle(without, genesis_hash=genesis.hash)
    assert info.value.code == ReceiptCode.WRONG_PRODUCER


def test_a_bundle_file_is_its_canonical_bytes_only(anchored: AnchoredChain) -> None:
    bundle = _bundle(anchored, 2)
    with pytest.raises(MalformedError) as info:
        OfflineBundle.from_json(bundle.to_json() + " ")
    assert info.value.code == "NOT_CANONICAL"
    assert build_chain().ledger.block(0).hash == _genesis_hash(anchored), "fixed seeds"
    assert OFFICE_KEY.public_multibase in {f.tx.signers[0] for f in bundle.facts}
