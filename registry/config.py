"""Registry node settings, read from ``REGISTRY_*`` environment variables.

Nothing is read at import time: :func:`get_settings` is cached and tests pass their own
:class:`Settings` to :func:`registry.app.create_app`.

Example:
    >>> s = Settings(data_dir="/tmp/node")
    >>> s.db_path.name
    'registry.sqlite'
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

GENESIS_FILE = "genesis.json"
NODE_KEY_FILE = "node-key.json"
DB_FILE = "registry.sqlite"


class Settings(BaseSettings):
    """Where the node keeps its files and how it produces blocks."""

    model_config = SettingsConfigDict(env_prefix="REGISTRY_", frozen=True)

    data_dir: Path = Field(default=Path("registry-data"))
    host: str = "127.0.0.1"
    port: int = 8300
    # TLS on this listener (vc_core/tls.py): both files or neither; the key file mode 0600.
    tls_cert_file: Path | None = None
    tls_key_file: Path | None = None
    # The writer seals a block every ``block_interval_ms`` or as soon as ``max_block_txs`` wait.
    block_interval_ms: int = Field(default=200, ge=1, le=60_000)
    max_block_txs: int = Field(default=4096, ge=1, le=100_000)
    # Requests larger than this are refused before they are parsed (RFC 9457 problem, 413).
    max_body_bytes: int = Field(default=2 * 1024 * 1024, ge=1024)
    # How long ``Prefer: wait=N`` may hold a submission open waiting for its block.
    max_wait_s: float = Field(default=30.0, ge=0)
    # ``evm``: the chain's order comes from an EcertLog contract (docs/besu.md); the node
    # follows it (every ``block_interval_ms``) and stores the derived blocks it confirms.
    backend: Literal["embedded", "evm"] = "embedded"
    evm_rpc_url: str = ""
    evm_contract: str = ""
    evm_chain_id: int = Field(default=0, ge=0)
    evm_confirmations: int = Field(default=2, ge=0)
    # A file holding the hex private key of the EVM account this node sends from (mode 0600).
    evm_sender_key_file: Path | None = None
    # Opens the sender key file when it is an encrypted Ethereum keystore (never logged).
    evm_sender_passphrase: SecretStr | None = None
    # How long one JSON-RPC request to the EVM node may take before it is "try again" (503).
    evm_timeout_s: float = Field(default=10.0, gt=0, le=600)

    @property
    def db_path(self) -> Path:
        return self.data_dir / DB_FILE

    @property
    def genesis_path(self) -> Path:
        return self.data_dir / GENESIS_FILE

    @property
    def node_key_path(self) -> Path:
        return self.data_dir / NODE_KEY_FILE


@lru_cache
def get_settings() -> Settings:
    """The process's settings from the environment (cached; override in tests)."""
    return Settings()
