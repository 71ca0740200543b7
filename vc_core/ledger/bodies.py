"""The typed body of each transaction type (DESIGN §3).

A transaction's ``type`` selects exactly one body model here (:data:`BODY_TYPES`). Offices act
as the transaction's ``author`` (``did:ecert:<chain>:<office>``), so office-signed bodies do not
repeat the DID; council bodies name the office they govern.

Example:
    >>> Scope(credential_type="DrivingLicenceCredential", division_prefixes=("5101",)).covers(
    ...     "DrivingLicenceCredential", "510104")
    True
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from vc_core.ledger.fields import (
    MAX_SAFE_INT,
    DivisionPrefix,
    Hex32,
    Identifier,
    Multikey,
    OfficeDid,
    ShortText,
    Uscc,
    UtcTime,
)

MAX_LEAVES_PER_ANCHOR = 1_000_000


class _Body(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)


class GenesisBody(_Body):
    """``genesis``: the first council (M of N) and the block producer's key."""

    council: tuple[Multikey, ...] = Field(min_length=1, max_length=64)
    threshold: int = Field(ge=1, le=64, strict=True)
    producer: Multikey


class CouncilUpdateBody(_Body):
    """``council.update``: the new member set and threshold; optionally a new block producer."""

    council: tuple[Multikey, ...] = Field(min_length=1, max_length=64)
    threshold: int = Field(ge=1, le=64, strict=True)
    producer: Multikey | None = None


class Scope(_Body):
    """One credential type an office may issue, for subjects in these division-code prefixes."""

    credential_type: Identifier
    division_prefixes: tuple[DivisionPrefix, ...] = Field(min_length=1)

    def covers(self, credential_type: str, division_code: str) -> bool:
        """Whether this scope allows ``credential_type`` for a subject in ``division_code``."""
        return credential_type == self.credential_type and any(
            division_code.startswith(p) for p in self.division_prefixes
        )


class AccreditBody(_Body):
    """``issuer.accredit``: accredit an office, or replace its terms (council M-of-N).

    ``initial_key`` is required the first time an office is accredited; on a re-accreditation it
    adds one more office key (the council's way back in after an office lost its keys).
    """

    office: OfficeDid
    name: ShortText
    uscc: Uscc
    scopes: tuple[Scope, ...] = Field(min_length=1)
    valid_from: UtcTime
    valid_until: UtcTime | None = None
    initial_key: Multikey | None = None

    @model_validator(mode="after")
    def _window(self) -> AccreditBody:
        if self.valid_until is not None and self.valid_until <= self.valid_from:
            raise ValueError("valid_until must be after valid_from")
        return self


class IssuerSuspendBody(_Body):
    """``issuer.suspend``: stop an office from anchoring until it is accredited again."""

    office: OfficeDid
    reason: ShortText


class IssuerWithdrawBody(_Body):
    """``issuer.withdraw``: end an office's accreditation."""

    office: OfficeDid
    reason: ShortText


class KeyAddBody(_Body):
    """``key.add``: a new office key, signed by a key of the office active now."""

    key: Multikey


class KeyRetireBody(_Body):
    """``key.retire``: the key stops being active at the transaction's time."""

    key: Multikey


class KeyCompromisedBody(_Body):
    """``key.compromised``: the key is untrusted from ``since`` on (office or council)."""

    office: OfficeDid
    key: Multikey
    since: UtcTime
    reason: ShortText = ""


class AnchorBody(_Body):
    """``anchor``: a batch Merkle root (RFC 6962) of credential digests, by the author office.

    ``leaves``, when given, are the batch's 32-byte digests in order; the ledger checks them
    against ``batch_root`` and refuses a digest anchored before, anywhere on the chain.
    """

    batch_id: Identifier
    batch_root: Hex32
    leaf_count: int = Field(ge=1, le=MAX_LEAVES_PER_ANCHOR, strict=True)
    leaves: tuple[Hex32, ...] | None = None


class SuspendEvent(_Body):
    """Suspend a credential from ``from`` until ``until`` (open-ended when absent)."""

    event: Literal["suspend"] = "suspend"
    from_: UtcTime = Field(alias="from")
    until: UtcTime | None = None
    reason: ShortText

    @model_validator(mode="after")
    def _window(self) -> SuspendEvent:
        if self.until is not None and self.until <= self.from_:
            raise ValueError("until must be after from")
        return self


class ReinstateEvent(_Body):
    """End a suspension."""

    event: Literal["reinstate"] = "reinstate"
    reason: ShortText = ""


class RevokeEvent(_Body):
    """Revoke a credential for good."""

    event: Literal["revoke"] = "revoke"
    reason: ShortText


class SupersedeEvent(_Body):
    """Replace a credential by another (e.g. a property transfer issues a new deed)."""

    event: Literal["supersede"] = "supersede"
    by: Identifier
    reason: ShortText = ""


class EncumbranceAddEvent(_Body):
    """Record an encumbrance (mortgage, seizure, …) on a credential."""

    event: Literal["encumbrance.add"] = "encumbrance.add"
    encumbrance_id: Identifier
    kind: Identifier
    holder: ShortText | None = None
    description: ShortText = ""


class EncumbranceReleaseEvent(_Body):
    """Release an encumbrance recorded earlier."""

    event: Literal["encumbrance.release"] = "encumbrance.release"
    encumbrance_id: Identifier
    reason: ShortText = ""


StatusEvent = Annotated[
    SuspendEvent
    | ReinstateEvent
    | RevokeEvent
    | SupersedeEvent
    | EncumbranceAddEvent
    | EncumbranceReleaseEvent,
    Field(discriminator="event"),
]


class StatusBody(_Body):
    """``status``: one event about a credential of the author office.

    The credential is named by ``credential_id``, its Bitstring Status List ``status_index``, or
    both; queries find it by either.
    """

    credential_id: Identifier | None = None
    status_index: int | None = Field(default=None, ge=0, le=MAX_SAFE_INT, strict=True)
    event: StatusEvent

    @model_validator(mode="after")
    def _named(self) -> StatusBody:
        if self.credential_id is None and self.status_index is None:
            raise ValueError("a status event names a credential_id or a status_index")
        return self


TxBody = (
    GenesisBody
    | CouncilUpdateBody
    | AccreditBody
    | IssuerSuspendBody
    | IssuerWithdrawBody
    | KeyAddBody
    | KeyRetireBody
    | KeyCompromisedBody
    | AnchorBody
    | StatusBody
)

BODY_TYPES: dict[str, type[_Body]] = {
    "genesis": GenesisBody,
    "council.update": CouncilUpdateBody,
    "issuer.accredit": AccreditBody,
    "issuer.suspend": IssuerSuspendBody,
    "issuer.withdraw": IssuerWithdrawBody,
    "key.add": KeyAddBody,
    "key.retire": KeyRetireBody,
    "key.compromised": KeyCompromisedBody,
    "anchor": AnchorBody,
    "status": StatusBody,
}
"""Transaction ``type`` → its body model."""

TxType = Literal[
    "genesis",
    "council.update",
    "issuer.accredit",
    "issuer.suspend",
    "issuer.withdraw",
    "key.add",
    "key.retire",
    "key.compromised",
    "anchor",
    "status",
]
COUNCIL_TYPES = frozenset(
    {"genesis", "council.update", "issuer.accredit", "issuer.suspend", "issuer.withdraw"}
)
"""Types that need M-of-N council signatures (``key.compromised`` may be either)."""
