"""Transaction builders for tests, CLIs and the issuer's anchoring outbox.

Each returns a signed :class:`~vc_core.ledger.tx.Transaction`. Council transactions can also be
built unsigned with :func:`~vc_core.ledger.tx.unsigned_tx` and passed from member to member, each
calling :func:`~vc_core.ledger.tx.add_signature`.

Example:
    >>> office_did("demo", "traffic-police")
    'did:ecert:demo:traffic-police'
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

# Office DIDs have one builder, in vc_core.did_ecert; the alias re-exports it for mypy.
from vc_core.did_ecert import office_did as office_did  # noqa: PLC0414
from vc_core.keys import KeyPair, PublicKey
from vc_core.ledger.bodies import GenesisBody, TxBody
from vc_core.ledger.tx import Transaction, sign_tx, unsigned_tx


def genesis_tx(
    chain_id: str,
    council: Sequence[KeyPair],
    threshold: int,
    producer: PublicKey,
    time: datetime,
    *,
    members: Sequence[str] | None = None,
) -> Transaction:
    """The genesis transaction, authored by the first of ``council`` and signed by all of them.

    ``members`` lists the council's public Multikeys when it is larger than the signing keys.
    """
    body = GenesisBody(
        council=tuple(members or (k.public_multibase for k in council)),
        threshold=threshold,
        producer=producer.multibase,
    )
    return council_tx(
        chain_id, "genesis", body, proposer=council[0], seq=1, time=time, signers=council[1:]
    )


def council_tx(
    chain_id: str,
    tx_type: str,
    body: TxBody,
    *,
    proposer: KeyPair,
    seq: int,
    time: datetime,
    signers: Sequence[KeyPair] = (),
) -> Transaction:
    """A council transaction proposed by ``proposer`` and signed by it and ``signers``."""
    tx = unsigned_tx(
        chain_id=chain_id,
        tx_type=tx_type,
        author=proposer.public_multibase,
        seq=seq,
        time=time,
        body=body,
    )
    return sign_tx(tx, [proposer, *signers])


def office_tx(
    chain_id: str,
    tx_type: str,
    body: TxBody,
    *,
    office: str,
    seq: int,
    time: datetime,
    key: KeyPair,
) -> Transaction:
    """An office transaction (``key.*``, ``anchor``, ``status``) signed by one office key."""
    tx = unsigned_tx(
        chain_id=chain_id, tx_type=tx_type, author=office, seq=seq, time=time, body=body
    )
    return sign_tx(tx, [key])
