"""One held credential (a :class:`Record`), and reading what ``import`` is given.

A record keeps the secured credential exactly as received, its offline bundle when one came
with it (as the bundle's canonical JSON text, so ``export`` gives back the same bytes the
bundle's signatures and hashes cover), when it was added, and the last verdict ``verify``
reached. A credential received over OpenID4VCI also keeps its Credential Issuer's URL and, once
``sync`` fetched it, its anchor receipt (canonical JSON).

Its local id is the start of the credential's digest (the leaf the issuer anchors), so
the same credential always gets the same id in every wallet.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from vc_core.anchoring import BUNDLE_FORMAT, OfflineBundle, credential_digest
from vc_core.errors import MalformedError
from vc_core.jsonio import parse_object
from vc_core.models import Credential

# Twelve hex digits (48 bits) keep ids short to type while a clash inside one wallet stays
# out of reach; `find` also accepts any unique prefix.
LOCAL_ID_LENGTH = 12


@dataclass
class Record:
    """A credential the wallet holds."""

    local_id: str
    credential: dict[str, Any]
    added: str
    bundle_json: str | None = None
    last_check: dict[str, Any] | None = None
    issuer_url: str | None = None
    receipt_json: str | None = None

    @property
    def credential_id(self) -> str | None:
        value = self.credential.get("id")
        return value if isinstance(value, str) else None

    @property
    def bundle(self) -> OfflineBundle | None:
        return None if self.bundle_json is None else OfflineBundle.from_json(self.bundle_json)

    def to_dict(self) -> dict[str, Any]:
        return {
            "localId": self.local_id,
            "credential": self.credential,
            "added": self.added,
            "bundle": self.bundle_json,
            "lastCheck": self.last_check,
            "issuerUrl": self.issuer_url,
            "receipt": self.receipt_json,
        }

    @classmethod
    def from_dict(cls, data: Any) -> Record:
        if not isinstance(data, dict):
            raise MalformedError("a wallet record is malformed", code="NOT_A_WALLET")
        local_id, credential = data.get("localId"), data.get("credential")
        bundle, check = data.get("bundle"), data.get("lastCheck")
        issuer_url, receipt = data.get("issuerUrl"), data.get("receipt")
        if not (
            isinstance(local_id, str)
            and isinstance(credential, dict)
            and all(v is None or isinstance(v, str) for v in (bundle, issuer_url, receipt))
            and (check is None or isinstance(check, dict))
        ):
            raise MalformedError("a wallet record is malformed", code="NOT_A_WALLET")
        added = str(data.get("added", ""))
        return cls(local_id, credential, added, bundle, check, issuer_url, receipt)


@dataclass(frozen=True)
class Incoming:
    """What an imported file holds: a credential, and its bundle when the file was one."""

    credential: dict[str, Any]
    bundle_json: str | None

    @property
    def local_id(self) -> str:
        return credential_digest(self.credential)[:LOCAL_ID_LENGTH]


def read_incoming(data: bytes) -> Incoming:
    """Parse an imported file: an offline bundle (``ecert-offline-bundle/1``) or a credential.

    Both go through the bounded I-JSON parser. A bundle must be its canonical form and well
    shaped; whether its chain facts hold is for ``verify``, not ``import``, to say.

    Raises:
        MalformedError: not JSON, not a credential (VCDM 2.0 shape, with a proof), not a bundle.
    """
    value = parse_object(data, max_bytes=OfflineBundle.max_bytes)
    if value.get("format") == BUNDLE_FORMAT:
        bundle = OfflineBundle.from_json(data)
        Credential.from_dict(bundle.credential)
        return Incoming(credential=dict(bundle.credential), bundle_json=bundle.to_json())
    # The VCDM 2.0 model refuses a document whose type lacks VerifiableCredential.
    parsed = Credential.from_dict(value)
    if parsed.proof is None:
        raise MalformedError(
            "the credential has no proof; a wallet keeps only secured credentials",
            code="CREDENTIAL_UNSECURED",
        )
    return Incoming(credential=value, bundle_json=None)


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def credential_type(credential: dict[str, Any]) -> str:
    """The most specific type: the last one that is not ``VerifiableCredential``."""
    types = [t for t in _as_list(credential.get("type")) if isinstance(t, str)]
    specific = [t for t in types if t != "VerifiableCredential"]
    return specific[-1] if specific else "VerifiableCredential"


def issuer_name(credential: dict[str, Any]) -> str:
    """The issuer's name when the credential gives one, else its DID."""
    issuer = credential.get("issuer")
    if isinstance(issuer, dict):
        name, ident = issuer.get("name"), issuer.get("id")
        return str(name if isinstance(name, str) else ident)
    return str(issuer)


def subject_summary(credential: dict[str, Any], *, width: int = 48) -> str:
    """The subject's first few plain claims, ``name=value``, cut to ``width`` characters."""
    subjects = _as_list(credential.get("credentialSubject"))
    subject = subjects[0] if subjects and isinstance(subjects[0], dict) else {}
    parts = [
        f"{k}={v}"
        for k, v in subject.items()
        if k != "id" and isinstance(v, str | int | float) and not isinstance(v, bool)
    ]
    text = ", ".join(parts[:3]) or str(subject.get("id", ""))
    return text if len(text) <= width else text[: width - 1] + "…"


def valid_until(credential: dict[str, Any]) -> str:
    value = credential.get("validUntil")
    return value if isinstance(value, str) else "—"
