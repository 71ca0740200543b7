"""``did:ecert:<chain>:<office>`` documents, derived from the chain alone (DESIGN §2, §4).

Resolution reads nothing but the ledger state. Each key the office ever held is a ``Multikey``
verification method (CID 1.0 §2.2.2) whose id is ``<did>#<publicKeyMultibase>``, with its
validity window: ``validFrom`` (when it was added; an ecert extension), ``expires`` (when it was
retired) and ``revoked`` (compromised since), the last two as CID 1.0 defines them. Old keys stay
listed so credentials anchored while they were active still verify (DESIGN §5 step 3).

With ``version_time``, the document is the one the chain held then: keys added later, and
retirements or compromise declarations made later, are left out.

Example:
    >>> from vc_core.ledger.state import LedgerState
    >>> did_document(LedgerState.empty("demo"), "did:ecert:demo:tp")
    Traceback (most recent call last):
    ...
    vc_core.errors.NotFoundError: did:ecert:demo:tp is not an office on this chain
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from vc_core.errors import NotFoundError
from vc_core.ledger.fields import format_time
from vc_core.ledger.records import KeyRecord

if TYPE_CHECKING:
    from vc_core.ledger.state import LedgerState

DID_CONTEXT = ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/multikey/v1"]


def verification_method_id(office: str, key: str) -> str:
    """``<office DID>#<publicKeyMultibase>``."""
    return f"{office}#{key}"


def _method(record: KeyRecord, version_time: datetime | None) -> dict[str, Any]:
    vm: dict[str, Any] = {
        "id": verification_method_id(record.office, record.key),
        "type": "Multikey",
        "controller": record.office,
        "publicKeyMultibase": record.key,
        "validFrom": format_time(record.added_at),
    }
    if record.retired_at is not None and (
        version_time is None or record.retired_at <= version_time
    ):
        vm["expires"] = format_time(record.retired_at)
    declared = record.compromise_declared_at
    if record.compromised_since is not None and (
        version_time is None or (declared is not None and declared <= version_time)
    ):
        vm["revoked"] = format_time(record.compromised_since)
    return vm


def did_document(
    state: LedgerState, office: str, version_time: datetime | None = None
) -> dict[str, Any]:
    """The DID document of ``office`` now, or as the chain held it at ``version_time``.

    Raises:
        NotFoundError: the office was not accredited on this chain (by ``version_time``).
    """
    history = state.accreditation_history(office)
    if not history or (version_time is not None and history[0].time > version_time):
        raise NotFoundError(f"{office} is not an office on this chain", code="DID_NOT_FOUND")
    records = [
        r for r in state.office_keys(office) if version_time is None or r.added_at <= version_time
    ]
    methods = [_method(r, version_time) for r in records]
    ids = [m["id"] for m in methods]
    return {
        "@context": list(DID_CONTEXT),
        "id": office,
        "verificationMethod": methods,
        "assertionMethod": ids,
        "authentication": ids,
    }
