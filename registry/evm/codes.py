"""The stable codes of the EVM backend (``registry.evm``), typed once.

Each names an infrastructure condition: the verifier turns every one of them into "could not
check", never "invalid" (DESIGN §5), and the issuer's worker keeps its rows and tries again.
"""

from __future__ import annotations

from enum import StrEnum

from vc_core.errors import PayloadTooLargeError, RegistryError


class EvmCode(StrEnum):
    """Why the EVM chain could not be used as asked."""

    NODE_UNREACHABLE = "EVM_NODE_UNREACHABLE"
    WRONG_CHAIN_ID = "EVM_WRONG_CHAIN_ID"
    NOT_THE_CONTRACT = "EVM_NOT_THE_CONTRACT"
    GENESIS_MISMATCH = "EVM_GENESIS_MISMATCH"
    LOG_GAP = "EVM_LOG_GAP"
    REORG_BEYOND_CONFIRMATIONS = "EVM_REORG_BEYOND_CONFIRMATIONS"
    TX_REVERTED = "EVM_TX_REVERTED"
    TX_TOO_LARGE = "EVM_TX_TOO_LARGE"
    SEND_REFUSED = "EVM_SEND_REFUSED"
    NOT_A_DEV_CHAIN = "EVM_NOT_A_DEV_CHAIN"
    # The node's own configuration (``serve --backend evm``), not the chain.
    SETTINGS_MISSING = "EVM_SETTINGS_MISSING"
    SENDER_KEY_MISSING = "EVM_SENDER_KEY_MISSING"


class EvmError(RegistryError):
    """The EVM node could not be reached or did not answer as the chain must."""

    default_code = EvmCode.NODE_UNREACHABLE


class ReorgError(EvmError):
    """A block this reader had folded (so, confirmed) is no longer on the node's chain.

    Sticky: the reader that raised it answers nothing more, because its state holds facts the
    chain no longer confirms; an operator must look (a QBFT network never reorganises final
    blocks, so this means a misconfigured or compromised node).
    """

    default_code = EvmCode.REORG_BEYOND_CONFIRMATIONS


class TxTooLargeError(PayloadTooLargeError):
    """An ecert transaction larger than the contract's ``MAX_TX_BYTES`` (bad input, not sent)."""

    default_code = EvmCode.TX_TOO_LARGE
