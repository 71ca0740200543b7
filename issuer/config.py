"""Issuer settings, read from ``ISSUER_*`` environment variables.

Nothing is read at import time: :func:`get_settings` is cached, and tests build their own
:class:`Settings`. The database is the SQLite file ``issuer.sqlite`` in the office's data dir
unless ``ISSUER_DATABASE_URL`` names another (``postgresql+psycopg://…``, with its driver
installed). The passphrase that unlocks the office keys is **not** a setting: it is read once, at
start, from ``ISSUER_PASSPHRASE_FILE`` or ``ISSUER_PASSPHRASE`` (see :mod:`issuer.office`), so it
never sits in an object that might be printed.

Example:
    >>> s = Settings(data_dir="/srv/office")
    >>> s.db_url
    'sqlite:////srv/office/issuer.sqlite'
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from vc_core.credential_types import CREDENTIAL_TYPES
from vc_core.dataintegrity import CRYPTOSUITES, EDDSA_RDFC_2022

DB_FILE = "issuer.sqlite"
OFFICE_FILE = "office.json"
KEYS_DIR = "keys"
MAX_APPROVALS = 5
PASSPHRASE_ENV = "ISSUER_PASSPHRASE"  # noqa: S105 (the variable's name, not its value)


class Settings(BaseSettings):
    """Where the office keeps its files, how it signs, and what the API accepts."""

    model_config = SettingsConfigDict(env_prefix="ISSUER_", frozen=True)

    data_dir: Path = Field(default=Path("issuer-data"))
    database_url: str | None = None
    host: str = "127.0.0.1"
    port: int = 8400
    # TLS on this listener (vc_core/tls.py): both files or neither; the key file mode 0600.
    tls_cert_file: Path | None = None
    tls_key_file: Path | None = None
    # Requests larger than this are refused before they are parsed (RFC 9457 problem, 413).
    max_body_bytes: int = Field(default=1024 * 1024, ge=1024)
    # eddsa-rdfc-2022 by default (interoperable); a type may choose eddsa-jcs-2022 (fast).
    default_suite: str = EDDSA_RDFC_2022
    suite_by_type: dict[str, str] = Field(default_factory=dict)
    passphrase_file: Path | None = None
    # The registry node this office anchors on and publishes status to. Without it, no
    # anchoring worker runs and credentials carry no ``credentialStatus`` (unit tests).
    registry_url: str | None = None
    # The anchoring worker: a batch closes at ``batch_max_leaves`` or when its oldest leaf has
    # waited ``batch_max_age_s``; an unreachable registry is retried with backoff up to
    # ``retry_max_s`` between attempts. ``anchor_worker=False`` keeps the outbox filling only.
    anchor_worker: bool = True
    batch_max_leaves: int = Field(default=1024, ge=1, le=65_536)
    batch_max_age_s: float = Field(default=1.0, gt=0)
    retry_max_s: float = Field(default=30.0, gt=0)
    # How long one submission waits for its block (``Prefer: wait``) before resubmitting.
    submit_wait_s: float = Field(default=5.0, gt=0, le=60)
    # Accreditation (issuer/accreditation.py): with a registry, issuance is checked against the
    # office's own replica, trusted from this genesis hash; a replica that could not be synced
    # for ``replica_max_age_s`` makes issuance 503 (never blind). ``accreditation_check=False``
    # turns the check off (tests of other parts only; documented in the README).
    genesis_hash: str | None = Field(default=None, pattern=r"^[0-9a-f]{64}$")
    accreditation_check: bool = True
    replica_max_age_s: float = Field(default=300.0, gt=0)
    replica_sync_s: float = Field(default=2.0, ge=0)
    # How long ``POST /credentials/status`` waits for inclusion before answering 202.
    status_wait_s: float = Field(default=10.0, ge=0, le=120)
    # Dual control (issuer/approvals.py): how many distinct operators must agree before a
    # credential of the type is issued, revoked or transferred (the requester counts as one;
    # 1 = no approval needed). ``ISSUER_APPROVALS_BY_TYPE='{"PropertyDeedCredential": 2}'``.
    approvals_by_type: dict[str, int] = Field(default_factory=lambda: {"PropertyDeedCredential": 2})
    # OpenID4VCI (issuer/oid4vci/): the Credential Issuer Identifier, the URL wallets reach this
    # service at (``https://issuer.example``); key proofs must name it as ``aud``. Unset, the
    # request's own base URL is used, which suits tests on 127.0.0.1 only.
    public_url: str | None = Field(default=None, pattern=r"^https?://[^\s?#]+$")
    # Offers are short-lived and single-use; a wrong tx_code counts, and at ``tx_code_tries``
    # tries the offer is dead. Access tokens and c_nonces live minutes; a key proof's ``iat``
    # may be at most ``proof_iat_window_s`` old (and at most a minute ahead).
    offer_ttl_s: int = Field(default=900, ge=30, le=7 * 24 * 3600)
    tx_code_tries: int = Field(default=3, ge=1, le=10)
    access_token_ttl_s: int = Field(default=300, ge=10, le=3600)
    nonce_ttl_s: int = Field(default=300, ge=10, le=3600)
    proof_iat_window_s: int = Field(default=300, ge=10, le=3600)

    # Batch issuance (issuer/batches.py): whether the runner thread starts (unit tests drive it
    # themselves), the largest ``POST /batches`` body, the rows issued
    # per database transaction, and the processes that sign them (0: the runner's own thread).
    batch_runner: bool = True
    batch_max_body_bytes: int = Field(default=64 * 1024 * 1024, ge=1024)
    batch_chunk: int = Field(default=512, ge=1, le=10_000)
    signing_processes: int = Field(default=0, ge=0, le=64)

    @field_validator("default_suite")
    @classmethod
    def _known_suite(cls, value: str) -> str:
        if value not in CRYPTOSUITES:
            raise ValueError(f"unknown cryptosuite {value!r}; one of {', '.join(CRYPTOSUITES)}")
        return value

    @field_validator("suite_by_type")
    @classmethod
    def _known_types_and_suites(cls, value: dict[str, str]) -> dict[str, str]:
        for type_name, suite in value.items():
            if type_name not in CREDENTIAL_TYPES:
                raise ValueError(f"unknown credential type {type_name!r}")
            if suite not in CRYPTOSUITES:
                raise ValueError(f"unknown cryptosuite {suite!r} for {type_name}")
        return value

    @field_validator("approvals_by_type")
    @classmethod
    def _known_types_and_counts(cls, value: dict[str, int]) -> dict[str, int]:
        for type_name, count in value.items():
            if type_name not in CREDENTIAL_TYPES:
                raise ValueError(f"unknown credential type {type_name!r}")
            if not 1 <= count <= MAX_APPROVALS:
                raise ValueError(f"approvals for {type_name} must be 1 to {MAX_APPROVALS}")
        return value

    def approvals_for(self, type_name: str) -> int:
        """How many distinct operators must agree to issue, revoke or transfer ``type_name``."""
        return self.approvals_by_type.get(type_name, 1)

    @property
    def db_url(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir / DB_FILE}"

    @property
    def office_path(self) -> Path:
        return self.data_dir / OFFICE_FILE

    @property
    def keys_dir(self) -> Path:
        return self.data_dir / KEYS_DIR

    @property
    def registry_base(self) -> str | None:
        return self.registry_url.rstrip("/") if self.registry_url else None

    def suite_for(self, type_name: str) -> str:
        """The cryptosuite credentials of ``type_name`` are signed with."""
        return self.suite_by_type.get(type_name, self.default_suite)


@lru_cache
def get_settings() -> Settings:
    """The process's settings from the environment (cached; tests pass their own)."""
    return Settings()
