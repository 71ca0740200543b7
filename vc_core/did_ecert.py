"""``did:ecert:<chain>:<office>``: the one place office DIDs are built and taken apart (DESIGN §4).

Every office DID in ecert comes from :func:`office_did` (the ledger's transaction builders, the
registry's routes and the council CLI call it), and every one read from outside goes through
:func:`parse_office_did`. Both parts are lower-case names of 1–63 characters: ``[a-z0-9]``
then ``[a-z0-9-]``, the grammar :data:`vc_core.ledger.fields.OFFICE_DID_PATTERN` checks on
chain. Resolving an office DID to its DID document at a time T is
:mod:`vc_core.did_resolver`'s job; this module reads no chain.

Example:
    >>> office_did("demo", "traffic-police")
    'did:ecert:demo:traffic-police'
    >>> parse_office_did("did:ecert:demo:traffic-police")
    OfficeDid(chain_id='demo', office='traffic-police')
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from vc_core.errors import MalformedError

DID_ECERT_PREFIX = "did:ecert:"
NAME_PATTERN = r"[a-z0-9][a-z0-9-]{0,62}"
_NAME = re.compile(NAME_PATTERN)
_DID = re.compile(rf"did:ecert:({NAME_PATTERN}):({NAME_PATTERN})")


class DidCode(StrEnum):
    """Stable codes for office DIDs and their resolution (see :mod:`vc_core.did_resolver`)."""

    INVALID_DID = "INVALID_DID"
    INVALID_VERIFICATION_METHOD = "INVALID_VERIFICATION_METHOD"
    UNSUPPORTED_DID_METHOD = "UNSUPPORTED_DID_METHOD"
    DID_NOT_FOUND = "DID_NOT_FOUND"
    DID_OTHER_CHAIN = "DID_OTHER_CHAIN"
    UNKNOWN_VERIFICATION_METHOD = "UNKNOWN_VERIFICATION_METHOD"
    KEY_NOT_ACTIVE_AT_TIME = "KEY_NOT_ACTIVE_AT_TIME"
    VERIFICATION_METHOD_NOT_AUTHORIZED = "VERIFICATION_METHOD_NOT_AUTHORIZED"


@dataclass(frozen=True)
class OfficeDid:
    """The two parts of an office DID."""

    chain_id: str
    office: str

    def __str__(self) -> str:
        return office_did(self.chain_id, self.office)


def office_did(chain_id: str, office: str) -> str:
    """``did:ecert:<chain_id>:<office>``, the one way an office DID is made.

    Raises:
        MalformedError: ``INVALID_DID`` when either part is not a lower-case name.
    """
    for label, value in (("chain id", chain_id), ("office name", office)):
        if not isinstance(value, str) or _NAME.fullmatch(value) is None:
            raise MalformedError(
                f"{value!r} is not a valid {label}: 1-63 of [a-z0-9-], not starting with '-'",
                code=DidCode.INVALID_DID,
            )
    return f"{DID_ECERT_PREFIX}{chain_id}:{office}"


def parse_office_did(did: object) -> OfficeDid:
    """The chain id and office name of ``did:ecert:<chain>:<office>`` (no path, query or fragment).

    Raises:
        MalformedError: ``INVALID_DID`` for anything else.
    """
    match = _DID.fullmatch(did) if isinstance(did, str) else None
    if match is None:
        raise MalformedError(
            f"{did!r} is not a did:ecert:<chain>:<office> DID", code=DidCode.INVALID_DID
        )
    return OfficeDid(match.group(1), match.group(2))


def office_did_from(chain_id: str, name_or_did: str) -> str:
    """An office DID from a bare office name (on ``chain_id``) or from a whole office DID.

    A whole DID is checked, not rewritten: one of another chain stays what it is, so a lookup
    of it on this chain finds nothing.

    Raises:
        MalformedError: ``INVALID_DID`` when it is neither.
    """
    if name_or_did.startswith("did:"):
        return str(parse_office_did(name_or_did))
    return office_did(chain_id, name_or_did)
