"""Creating and opening a node's files: genesis, council keys, node key, SQLite database.

``init_registry`` makes a new chain: N council key files, the node (block producer) key, block 0
holding the genesis transaction signed by the whole council, and ``genesis.json`` (block 0 as
JSON) whose hash is what every verifier configures. Secret keys are written with mode 0600 and
never printed.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from registry.config import Settings
from registry.db import make_engine
from registry.ledger import EmbeddedLedger
from vc_core.errors import MalformedError, NotFoundError
from vc_core.jsonio import read_object_file
from vc_core.keys import KeyPair
from vc_core.ledger import Block, genesis_tx
from vc_core.ledger.errors import RuleCode

COUNCIL_DIR = "council"


@dataclass(frozen=True)
class InitResult:
    genesis_hash: str
    chain_id: str
    council_key_paths: tuple[Path, ...]
    node_key_path: Path
    genesis_path: Path
    db_path: Path


def write_secret(path: Path, text: str) -> None:
    """Write a secret file readable by its owner only (created 0600, never world-readable)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(text)


def init_registry(
    *, settings: Settings, chain_id: str, council_size: int, threshold: int, now: datetime
) -> InitResult:
    """Create a new chain in ``settings.data_dir``.

    Raises:
        MalformedError: bad sizes, or the folder already holds a chain.
    """
    if not 1 <= threshold <= council_size:
        raise MalformedError("need 1 ≤ threshold ≤ council size", code=RuleCode.INVALID_COUNCIL)
    if settings.db_path.exists() or settings.genesis_path.exists():
        raise MalformedError(f"{settings.data_dir} already holds a chain", code="ALREADY_INIT")
    council = [KeyPair.generate() for _ in range(council_size)]
    producer = KeyPair.generate()
    genesis = genesis_tx(chain_id, council, threshold, producer.public, now)
    ledger = EmbeddedLedger.create(make_engine(settings.db_path), genesis, producer, now)
    block0 = ledger.block(0)
    ledger.engine.dispose()
    paths = []
    for i, member in enumerate(council, start=1):
        path = settings.data_dir / COUNCIL_DIR / f"member-{i}.json"
        write_secret(path, member.to_json())
        paths.append(path)
    write_secret(settings.node_key_path, producer.to_json())
    settings.genesis_path.write_text(block0.to_json(), encoding="utf-8")
    return InitResult(
        genesis_hash=block0.hash,
        chain_id=chain_id,
        council_key_paths=tuple(paths),
        node_key_path=settings.node_key_path,
        genesis_path=settings.genesis_path,
        db_path=settings.db_path,
    )


def read_genesis(path: Path) -> Block:
    """Block 0 from ``genesis.json``.

    Raises:
        NotFoundError: the file is missing (run ``ecert registry init``).
    """
    if not path.is_file():
        raise NotFoundError(f"{path} is missing; run `ecert registry init`", code="NO_GENESIS")
    return Block.from_json(path.read_bytes())


def read_key(path: Path) -> KeyPair:
    """A key file (the secret is never echoed, even in errors)."""
    if not path.is_file():
        raise NotFoundError(f"key file {path} is missing", code="NO_KEY_FILE")
    return KeyPair.from_dict(read_object_file(path))


def open_ledger(settings: Settings) -> EmbeddedLedger:
    """Open the node's chain, re-verified from the genesis in ``genesis.json``."""
    if settings.backend == "evm":
        from registry.evm.node import open_evm_ledger

        return open_evm_ledger(settings)
    genesis = read_genesis(settings.genesis_path)
    key = read_key(settings.node_key_path)
    engine = make_engine(settings.db_path)
    return EmbeddedLedger.open(engine, key, genesis_hash=genesis.hash)
