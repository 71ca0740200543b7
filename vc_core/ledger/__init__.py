"""The pure core of the ecert registry chain (DESIGN §2, §3): transactions, rules, the fold,
blocks, checkpoints, replay, the reader/writer/block-source protocols and an in-memory backend.

Everything here is a pure function of (state, transaction, time); time is always a parameter.
See ``vc_core/ledger/README.md`` for the API at a glance.
"""

from vc_core.ledger.blocks import (
    Block,
    BlockHeader,
    Checkpoint,
    apply_block,
    make_block,
    make_checkpoint,
    tx_root,
    verify_block,
    verify_checkpoint,
)
from vc_core.ledger.bodies import (
    BODY_TYPES,
    AccreditBody,
    AnchorBody,
    CouncilUpdateBody,
    EncumbranceAddEvent,
    EncumbranceReleaseEvent,
    GenesisBody,
    IssuerSuspendBody,
    IssuerWithdrawBody,
    KeyAddBody,
    KeyCompromisedBody,
    KeyRetireBody,
    ReinstateEvent,
    RevokeEvent,
    Scope,
    StatusBody,
    SupersedeEvent,
    SuspendEvent,
)
from vc_core.ledger.builders import council_tx, genesis_tx, office_did, office_tx
from vc_core.ledger.did import did_document
from vc_core.ledger.errors import ChainCode, ChainError, LedgerRuleError, RuleCode
from vc_core.ledger.fold import apply
from vc_core.ledger.interface import BlockPage, BlockSource, Ledger, LedgerReader, LedgerWriter
from vc_core.ledger.memory import MemoryLedger
from vc_core.ledger.records import (
    Accreditation,
    AnchorRecord,
    ChainHead,
    Council,
    CredentialStatus,
    Inclusion,
    KeyRecord,
    LeafAnchor,
    StatusRecord,
)
from vc_core.ledger.replay import extend, replay, replay_steps
from vc_core.ledger.rules import DEFAULT_PARAMS, LedgerParams
from vc_core.ledger.sigpool import preverified
from vc_core.ledger.state import LedgerState
from vc_core.ledger.tx import (
    Transaction,
    TxSignature,
    add_signature,
    sign_tx,
    unsigned_tx,
    verify_signatures,
)

__all__ = [
    "BODY_TYPES",
    "DEFAULT_PARAMS",
    "AccreditBody",
    "Accreditation",
    "AnchorBody",
    "AnchorRecord",
    "Block",
    "BlockHeader",
    "BlockPage",
    "BlockSource",
    "ChainCode",
    "ChainError",
    "ChainHead",
    "Checkpoint",
    "Council",
    "CouncilUpdateBody",
    "CredentialStatus",
    "EncumbranceAddEvent",
    "EncumbranceReleaseEvent",
    "GenesisBody",
    "Inclusion",
    "IssuerSuspendBody",
    "IssuerWithdrawBody",
    "KeyAddBody",
    "KeyCompromisedBody",
    "KeyRecord",
    "KeyRetireBody",
    "LeafAnchor",
    "Ledger",
    "LedgerParams",
    "LedgerReader",
    "LedgerRuleError",
    "LedgerState",
    "LedgerWriter",
    "MemoryLedger",
    "ReinstateEvent",
    "RevokeEvent",
    "RuleCode",
    "Scope",
    "StatusBody",
    "StatusRecord",
    "SupersedeEvent",
    "SuspendEvent",
    "Transaction",
    "TxSignature",
    "add_signature",
    "apply",
    "apply_block",
    "council_tx",
    "did_document",
    "extend",
    "genesis_tx",
    "make_block",
    "make_checkpoint",
    "office_did",
    "office_tx",
    "preverified",
    "replay",
    "replay_steps",
    "sign_tx",
    "tx_root",
    "unsigned_tx",
    "verify_block",
    "verify_checkpoint",
    "verify_signatures",
]
