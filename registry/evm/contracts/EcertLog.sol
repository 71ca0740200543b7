// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

/// @title EcertLog: the ordering and availability layer of an ecert registry (docs/adr/0002).
/// @notice Appends ecert ledger transactions (canonical JSON with their Ed25519 signatures) as
/// events, numbered without gaps. The contract judges nothing but size: every reader runs the
/// same vc_core fold over the events in chain order and ignores, identically, what it rejects.
/// The genesis transaction is emitted by the constructor, so the deployment block is block 0
/// of the ecert chain and a reader knows where to start.
contract EcertLog {
    /// @notice The largest transaction accepted, in bytes (geth's pool refuses transactions
    /// over 128 KiB; this keeps an append with its ABI framing and signature below that).
    uint256 public constant MAX_TX_BYTES = 120_000;

    /// @notice The EVM block the log starts in (where a reader begins eth_getLogs).
    uint256 public immutable deployedAt;

    /// @notice How many transactions were appended (the next event's seq).
    uint256 public count;

    /// @notice One appended ecert transaction; seq counts from 0 (the genesis) without gaps,
    /// so a reader detects a node that leaves events out.
    event Tx(uint256 indexed seq, bytes data);

    error EmptyTransaction();
    error TransactionTooLarge(uint256 size, uint256 limit);

    constructor(bytes memory genesis) {
        deployedAt = block.number;
        _append(genesis);
    }

    /// @notice Append one ecert transaction; returns its seq.
    function append(bytes calldata data) external returns (uint256 seq) {
        return _append(data);
    }

    function _append(bytes memory data) private returns (uint256 seq) {
        if (data.length == 0) revert EmptyTransaction();
        if (data.length > MAX_TX_BYTES) revert TransactionTooLarge(data.length, MAX_TX_BYTES);
        seq = count;
        count = seq + 1;
        emit Tx(seq, data);
    }
}
