"""``did:ecert:<chain>:<office>`` documents, derived from the chain alone (DESIGN §2, §4).

Resolution reads nothing but what the chain says, through any reader that answers an office's
accreditation and keys (every :class:`~vc_core.ledger.interface.LedgerReader`, or a
:class:`~vc_core.ledger.state.LedgerState`). Each key the office ever held is a ``Multikey``
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

from datetime import UTC, datetime
from typing import Any, Protocol

from vc_core.did_ecert import DidCode
from vc_core.errors import NotFoundError
from vc_core.ledger.fields import format_time
from vc_core.ledger.records import Accreditation, KeyRecord

DID_CONTEXT = ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/multikey/v1"]


_END_OF_TIME = datetime.max.replace(tzinfo=UTC)


class OfficeFacts(Protocol):
    """The two reader queries a DID document needs."""

    def accreditation(self, office: str, at: datetime) -> Accreditation | None: ...

    def office_keys(self, office: str) -> tuple[KeyRecord, ...]: ...


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
    reader: OfficeFacts, office: str, version_time: datetime | None = None
) -> dict[str, Any]:
    """The DID document of ``office`` now, or as the chain held it at ``version_time``.

    Raises:
        NotFoundError: the office was not accredited on this chain (by ``version_time``).
    """
    # Any accreditation change (suspension, withdrawal) follows an accreditation, so an office
    # had been accredited by T exactly when it has an accreditation, in any state, at T.
    if reader.accreditation(office, version_time or _END_OF_TIME) is None:
        raise NotFoundError(f"{office} is not an office on this chain", code=DidCode.DID_NOT_FOUND)
    records = [
        r for r in reader.office_keys(office) if version_time is None or r.added_at <= version_time
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
