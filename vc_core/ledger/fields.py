"""Field types shared by the ledger's wire models: UTC times, hashes, Multikeys, DIDs.

Every time on the ledger is UTC and serializes in one form, ``YYYY-MM-DDTHH:MM:SS[.ffffff]Z``
(RFC 3339 §5.6), so the JCS bytes that get signed and hashed are the same on every node. Input may
carry any RFC 3339 offset; it is converted to UTC when parsed.

Example:
    >>> format_time(parse_time("2024-05-01T10:00:00+08:00"))
    '2024-05-01T02:00:00Z'
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from functools import lru_cache
from typing import Annotated

from pydantic import AfterValidator, BeforeValidator, PlainSerializer, StringConstraints

from vc_core.errors import MalformedError
from vc_core.keys import decode_public_multikey

_RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d{1,6})?([Zz]|[+-]\d{2}:\d{2})$")
CHAIN_ID_PATTERN = r"^[a-z0-9][a-z0-9-]{0,62}$"
OFFICE_NAME_PATTERN = r"^[a-z0-9][a-z0-9-]{0,62}$"
OFFICE_DID_PATTERN = r"^did:ecert:[a-z0-9][a-z0-9-]{0,62}:[a-z0-9][a-z0-9-]{0,62}$"
USCC_PATTERN = r"^[0-9A-HJ-NPQRTUWXY]{18}$"
MAX_SAFE_INT = 2**53 - 1
"""The largest integer JCS (RFC 8785 §3.2.2.3, IEEE 754 doubles) carries exactly."""


def parse_time(value: object) -> datetime:
    """An aware UTC ``datetime`` from an RFC 3339 string or an aware ``datetime``.

    Raises:
        ValueError: naive datetimes, other types, or strings that are not RFC 3339 date-times
            (pydantic turns this into a validation error, and ``from_json`` into MalformedError).
    """
    if isinstance(value, datetime):
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError("a time must carry a UTC offset")
        return value.astimezone(UTC)
    if not isinstance(value, str) or not _RFC3339.match(value):
        raise ValueError("a time must be an RFC 3339 date-time with an offset, e.g. …T10:00:00Z")
    return datetime.fromisoformat(value.upper().replace("Z", "+00:00")).astimezone(UTC)


def format_time(value: datetime) -> str:
    """The one serialized form of a ledger time: UTC, ``Z``, microseconds only when non-zero."""
    utc = value.astimezone(UTC)
    spec = "microseconds" if utc.microsecond else "seconds"
    return utc.replace(tzinfo=None).isoformat(timespec=spec) + "Z"


@lru_cache(maxsize=65536)
def _check_multikey(value: str) -> str:
    try:
        decode_public_multikey(value)
    except MalformedError as exc:
        raise ValueError(exc.message) from exc
    return value


UtcTime = Annotated[
    datetime, BeforeValidator(parse_time), PlainSerializer(format_time, return_type=str)
]
"""A UTC time that parses from RFC 3339 and always serializes as ``…Z``."""

Hex32 = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]
"""32 bytes as 64 lower-case hex digits (a SHA-256 digest or a Merkle root)."""

Multikey = Annotated[
    str,
    StringConstraints(pattern=r"^z6Mk[1-9A-HJ-NP-Za-km-z]{40,50}$"),
    AfterValidator(_check_multikey),
]
"""An Ed25519 public key in Multikey form, ``z6Mk…`` (CID 1.0 §2.2.2)."""

ChainId = Annotated[str, StringConstraints(pattern=CHAIN_ID_PATTERN)]
OfficeDid = Annotated[str, StringConstraints(pattern=OFFICE_DID_PATTERN)]
"""``did:ecert:<chain>:<office>`` (DESIGN §4)."""

Uscc = Annotated[str, StringConstraints(pattern=USCC_PATTERN)]
"""A unified social credit code's shape (GB 32100-2015); the check digit is checked by issuers."""

DivisionPrefix = Annotated[str, StringConstraints(pattern=r"^[0-9]{0,6}$")]
"""A GB/T 2260 division-code prefix; ``""`` covers the whole country."""

ShortText = Annotated[str, StringConstraints(max_length=1024)]
Identifier = Annotated[str, StringConstraints(min_length=1, max_length=512)]
