"""Verifier settings, read from ``VERIFIER_*`` environment variables.

Nothing is read at import time: :func:`get_settings` is cached, and tests build their own
:class:`Settings`. The verifier trusts exactly one chain, named by its genesis hash; it keeps a
replica of it in ``replica.sqlite`` and its issued challenges in ``verifier.sqlite``, both in the
data dir unless set otherwise. ``VERIFIER_REGISTRY_URLS`` is a JSON list of registry nodes the
replica is synced from, in order of preference (none: the replica is never synced, as for a
verifier fed by snapshots).

Example:
    >>> s = Settings(genesis_hash="ab" * 32, data_dir="/srv/verifier")
    >>> s.replica_file.name, s.db_url
    ('replica.sqlite', 'sqlite:////srv/verifier/verifier.sqlite')
"""

from __future__ import annotations

from datetime import timedelta
from functools import lru_cache
from pathlib import Path

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from vc_core.did_web import is_did_web
from vc_core.verification import FreshnessPolicy

REPLICA_FILE = "replica.sqlite"
DB_FILE = "verifier.sqlite"
RECEIPT_KEY_FILE = "receipt-key.json"


class Settings(BaseSettings):
    """Which chain to trust, where to sync it from, and what the API accepts."""

    model_config = SettingsConfigDict(env_prefix="VERIFIER_", frozen=True)

    genesis_hash: str = Field(pattern=r"^[0-9a-f]{64}$")
    registry_urls: list[str] = Field(default_factory=list)
    data_dir: Path = Field(default=Path("verifier-data"))
    replica_path: Path | None = None
    database_url: str | None = None
    host: str = "127.0.0.1"
    port: int = 8500
    # TLS on this listener (vc_core/tls.py): both files or neither; the key file mode 0600.
    tls_cert_file: Path | None = None
    tls_key_file: Path | None = None
    # The oldest chain view this deployment accepts (DESIGN §5 step 8): older is 503.
    freshness_max_age_s: float = Field(default=900.0, gt=0)
    sync_interval_s: float = Field(default=30.0, gt=0)
    # One registry request may take this long before the sync moves to the next node.
    sync_timeout_s: float = Field(default=10.0, gt=0)
    challenge_ttl_s: float = Field(default=300.0, gt=0)
    # The domain a challenge is bound to when its requester names none (VC-DI §4.4 step 8).
    domain: str = Field(default="verifier.ecert.example", min_length=1)
    # Requests larger than this are refused before they are parsed (RFC 9457 problem, 413).
    max_body_bytes: int = Field(default=1024 * 1024, ge=1024)
    max_batch: int = Field(default=100, ge=1)
    max_presented: int = Field(default=20, ge=1)
    # OpenID4VP (verifier/oid4vp): the URL wallets reach this service at (default from host and
    # port), the SHA-256 hashes of the requesters' API keys (``ecert verifier api-key``), how
    # long a presentation request lives, and the sealed key that signs request objects
    # (passphrase in VERIFIER_REQUEST_KEY_PASSPHRASE or the file; none: a key in memory only).
    public_url: str | None = None
    requester_key_hashes: list[str] = Field(default_factory=list)
    presentation_request_ttl_s: float = Field(default=300.0, gt=0, le=3600)
    request_key_file: Path | None = None
    request_key_passphrase_file: Path | None = None
    # The receipt key (verifier.receipts): sealed in the data dir, its passphrase read from this
    # file or VERIFIER_PASSPHRASE (never a setting); the argon2id strength for a new key.
    receipt_key_path: Path | None = None
    # Receipts name this verifier by its key's did:key, or by the bank's did:web when set
    # (``did:web:bank.example``): the bank then publishes GET /.well-known/did.json's document at
    # https://bank.example/.well-known/did.json, and checkers hold a copy (vc_core/did_web.py).
    receipt_did: str | None = None
    passphrase_file: Path | None = None
    key_kdf: str = "moderate"

    @field_validator("receipt_did")
    @classmethod
    def _did_web(cls, value: str | None) -> str | None:
        # The one did:web grammar (vc_core/did_web.py), so what serves is what receipts check.
        if value is not None and not is_did_web(value):
            raise ValueError(f"not a did:web DID: {value!r}")
        return value

    @property
    def replica_file(self) -> Path:
        return self.replica_path or self.data_dir / REPLICA_FILE

    @property
    def receipt_key_file(self) -> Path:
        return self.receipt_key_path or self.data_dir / RECEIPT_KEY_FILE

    @property
    def db_url(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir / DB_FILE}"

    @property
    def policy(self) -> FreshnessPolicy:
        return FreshnessPolicy(max_age=timedelta(seconds=self.freshness_max_age_s))

    @property
    def base_url(self) -> str:
        scheme = "https" if self.tls_cert_file else "http"
        return (self.public_url or f"{scheme}://{self.host}:{self.port}").rstrip("/")

    @property
    def presentation_request_ttl(self) -> timedelta:
        return timedelta(seconds=self.presentation_request_ttl_s)

    @property
    def challenge_ttl(self) -> timedelta:
        return timedelta(seconds=self.challenge_ttl_s)


@lru_cache
def get_settings() -> Settings:
    """The process's settings from the environment (cached; tests pass their own)."""
    return Settings()
