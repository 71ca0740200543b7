"""W3C Bitstring Status List v1.0: encode, decode (bounded) and read status entries.

The registry publishes lists with :func:`encode_list`; verifiers and wallets read them with
:func:`decode_list` and :func:`read_status`. Everything here is pure: fetching a list and
verifying its proof are the caller's steps (spec §3.2 step 4), so that a list which could not
be fetched is reported as "could not check" by the caller, never as "valid" or "revoked".

Format (spec §2.2 ``encodedList``, §3.3, §3.4): the bitstring is GZIP-compressed (RFC 1952),
then Multibase-encoded as base64url without padding (header ``u``). Index ``i`` of a list with
``statusSize`` ``s`` is the ``s`` bits starting at bit ``i·s``, counted from the left-most bit of
the first byte (spec §2.2, §7.1); a multi-bit status reads as a big-endian number.

Decoding is bounded, because a list comes from outside: a list that inflates beyond
``max_bytes`` (a GZIP bomb), holds fewer than ``min_entries`` entries (spec §3.2 step 9) or is not
exactly one well-formed GZIP member is refused with a stable :class:`StatusListCode`.

Errors: a malformed ``credentialStatus`` entry is the caller's input, so it raises
:class:`~vc_core.errors.MalformedError`; a status list that fails a check raises
:class:`StatusListError` (a :class:`~vc_core.errors.VerificationError`), which a verifier may
report as "could not check" with the reason.

Example:
    >>> bits = set_status(bytearray(MIN_LIST_BYTES), 94567, 1)
    >>> encoded = encode_list(bits)
    >>> encoded[0], status_at(decode_list(encoded), 94567), status_at(decode_list(encoded), 1)
    ('u', 1, 0)
"""

from __future__ import annotations

import base64
import gzip
import re
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any
from urllib.parse import urlsplit

from vc_core.errors import MalformedError, VerificationError

MIN_ENTRIES = 131_072  # spec §3.2 step 2: minimumNumberOfEntries, for group privacy
# The size of every list an ecert registry publishes (list n covers indexes n·LIST_SIZE …
# (n+1)·LIST_SIZE − 1): the minimum, 16 KiB. The registry builds lists of it and the issuer
# allocates indexes by it, so both read it here.
LIST_SIZE = MIN_ENTRIES
MIN_LIST_BYTES = MIN_ENTRIES // 8  # 16 KiB of one-bit entries
MAX_LIST_BYTES = 16 * 1024 * 1024  # the largest inflated list a reader accepts (GZIP bombs)
MAX_STATUS_SIZE = 16  # statusMessage must then list 2^16 messages; larger sizes are refused
ENTRY_TYPE = "BitstringStatusListEntry"
LIST_CREDENTIAL_TYPE = "BitstringStatusListCredential"
LIST_TYPE = "BitstringStatusList"
_MULTIBASE_BASE64URL = "u"
_BASE64URL = re.compile(r"[A-Za-z0-9_-]*")
_INDEX = re.compile(r"[0-9]{1,30}")
_STATUS_VALUE = re.compile(r"0x[0-9a-fA-F]{1,8}")


class StatusPurpose(StrEnum):
    """The purposes the specification reserves (§2.1); any other string is allowed too."""

    REFRESH = "refresh"
    REVOCATION = "revocation"
    SUSPENSION = "suspension"
    MESSAGE = "message"


class StatusListCode(StrEnum):
    """Stable codes of the errors this module raises (the spec's own names where it has one)."""

    # A credentialStatus entry (spec §2.1): MalformedError.
    INVALID_STATUS_ENTRY = "INVALID_STATUS_ENTRY"
    INVALID_STATUS_PURPOSE = "INVALID_STATUS_PURPOSE"
    INVALID_STATUS_LIST_INDEX = "INVALID_STATUS_LIST_INDEX"
    INVALID_STATUS_LIST_CREDENTIAL = "INVALID_STATUS_LIST_CREDENTIAL"
    INVALID_STATUS_SIZE = "INVALID_STATUS_SIZE"
    INVALID_STATUS_MESSAGE = "INVALID_STATUS_MESSAGE"
    INVALID_STATUS_REFERENCE = "INVALID_STATUS_REFERENCE"
    # The encoded list and its credential (spec §2.2, §3.2, §3.5): StatusListError.
    ENCODED_LIST_NOT_MULTIBASE = "ENCODED_LIST_NOT_MULTIBASE"
    ENCODED_LIST_NOT_BASE64URL = "ENCODED_LIST_NOT_BASE64URL"
    ENCODED_LIST_NOT_GZIP = "ENCODED_LIST_NOT_GZIP"
    STATUS_LIST_TOO_LARGE = "STATUS_LIST_TOO_LARGE"
    STATUS_LIST_LENGTH_ERROR = "STATUS_LIST_LENGTH_ERROR"
    STATUS_VERIFICATION_ERROR = "STATUS_VERIFICATION_ERROR"
    RANGE_ERROR = "RANGE_ERROR"


class StatusListError(VerificationError):
    """A status list (or its credential) failed a check of Bitstring Status List v1.0."""

    default_code = StatusListCode.STATUS_VERIFICATION_ERROR


def _entry_error(message: str, code: StatusListCode, field: str) -> MalformedError:
    return MalformedError(message, code=code, field=f"credentialStatus.{field}")


# Encoding and decoding (spec §3.3, §3.4) -------------------------------------------------------


def _check_size(status_size: int) -> None:
    """A caller's ``status_size`` obeys the same rule as an entry's ``statusSize``."""
    if isinstance(status_size, bool) or not isinstance(status_size, int):
        status_size = 0
    if not 0 < status_size <= MAX_STATUS_SIZE:
        raise MalformedError(
            f"status size must be an integer from 1 to {MAX_STATUS_SIZE}",
            code=StatusListCode.INVALID_STATUS_SIZE,
        )


def _check_length(size: int, status_size: int, min_entries: int) -> None:
    """Spec §3.2 step 9: the list must hold at least ``min_entries`` entries."""
    _check_size(status_size)
    if size * 8 // status_size < min_entries:
        raise StatusListError(
            f"the status list holds {size * 8 // status_size} entries of {status_size} bit(s); "
            f"the minimum is {min_entries}",
            code=StatusListCode.STATUS_LIST_LENGTH_ERROR,
            field="encodedList",
        )


def encode_list(
    bits: bytes | bytearray, *, status_size: int = 1, min_entries: int = MIN_ENTRIES
) -> str:
    """Spec §3.3 steps 3–4: GZIP the bitstring, then Multibase base64url (``u``, no padding).

    The GZIP header carries no time (``mtime=0``), so the same bits always encode the same way.

    Raises:
        StatusListError: ``STATUS_LIST_LENGTH_ERROR`` when the list is below the minimum.
    """
    _check_length(len(bits), status_size, min_entries)
    packed = gzip.compress(bytes(bits), mtime=0)
    return _MULTIBASE_BASE64URL + base64.urlsafe_b64encode(packed).decode("ascii").rstrip("=")


def _list_error(message: str, code: StatusListCode) -> StatusListError:
    return StatusListError(message, code=code, field="encodedList")


def _base64url_body(encoded: Any, max_bytes: int) -> bytes:
    """Multibase-decode (CID 1.0 §2.4): header ``u``, then base64url without padding."""
    if not isinstance(encoded, str) or not encoded.startswith(_MULTIBASE_BASE64URL):
        raise _list_error(
            "encodedList must be a Multibase base64url string starting with 'u'",
            StatusListCode.ENCODED_LIST_NOT_MULTIBASE,
        )
    body = encoded[1:]
    # GZIP adds at most ~0.1% plus a small header to incompressible data; anything longer
    # cannot inflate to an acceptable list, so it is refused before any decoding work.
    if len(body) > 4 * (max_bytes + max_bytes // 512 + 1024) // 3:
        raise _list_error(
            f"encodedList is longer than a list of {max_bytes} bytes can encode to",
            StatusListCode.STATUS_LIST_TOO_LARGE,
        )
    if _BASE64URL.fullmatch(body) is None or len(body) % 4 == 1:
        raise _list_error(
            "encodedList is not base64url without padding (RFC 4648 §5)",
            StatusListCode.ENCODED_LIST_NOT_BASE64URL,
        )
    # The alphabet and length checks above leave nothing the decoder could refuse.
    return base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))


def _gunzip_bounded(packed: bytes, max_bytes: int) -> bytes:
    """Inflate exactly one GZIP member (RFC 1952), never producing more than ``max_bytes``."""
    inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)  # 16+: GZIP header and trailer
    try:
        bits = inflater.decompress(packed, max_bytes + 1)
        if len(bits) > max_bytes:
            raise _list_error(
                f"the status list inflates beyond {max_bytes} bytes",
                StatusListCode.STATUS_LIST_TOO_LARGE,
            )
        if not inflater.eof:
            # The output stayed within the bound, so the input ran out: a truncated stream.
            raise _list_error(
                "encodedList is a truncated GZIP stream", StatusListCode.ENCODED_LIST_NOT_GZIP
            )
    except zlib.error as exc:
        raise _list_error(
            f"encodedList is not GZIP data: {exc}", StatusListCode.ENCODED_LIST_NOT_GZIP
        ) from exc
    if inflater.unused_data:
        raise _list_error(
            "encodedList has data after its GZIP stream", StatusListCode.ENCODED_LIST_NOT_GZIP
        )
    return bits


def decode_list(
    encoded: Any,
    *,
    status_size: int = 1,
    min_entries: int = MIN_ENTRIES,
    max_bytes: int = MAX_LIST_BYTES,
) -> bytes:
    """Spec §3.4 (Bitstring Expansion) with bounds, then §3.2 step 9 (minimum length).

    Raises:
        StatusListError: ``ENCODED_LIST_NOT_MULTIBASE``, ``ENCODED_LIST_NOT_BASE64URL``,
            ``ENCODED_LIST_NOT_GZIP``, ``STATUS_LIST_TOO_LARGE`` or ``STATUS_LIST_LENGTH_ERROR``.
    """
    bits = _gunzip_bounded(_base64url_body(encoded, max_bytes), max_bytes)
    _check_length(len(bits), status_size, min_entries)
    return bits


def _check_index(bits_len: int, index: int, status_size: int) -> None:
    """Spec §3.2 step 10: an entry outside the bitstring is a ``RANGE_ERROR``."""
    _check_size(status_size)
    if index < 0 or (index + 1) * status_size > bits_len * 8:
        raise StatusListError(
            f"status list index {index} is outside a list of {bits_len * 8 // status_size} entries",
            code=StatusListCode.RANGE_ERROR,
            field="statusListIndex",
        )


def status_at(bits: bytes | bytearray, index: int, status_size: int = 1) -> int:
    """The status value at ``index``: its ``status_size`` bits, left-most first (§2.2, §7.1).

    Raises:
        StatusListError: ``RANGE_ERROR`` when the entry lies outside the list.
    """
    _check_index(len(bits), index, status_size)
    value = 0
    for position in range(index * status_size, (index + 1) * status_size):
        bit = (bits[position // 8] >> (7 - position % 8)) & 1
        value = value << 1 | bit
    return value


def set_status(bits: bytearray, index: int, value: int, status_size: int = 1) -> bytearray:
    """Write ``value`` into entry ``index`` (spec §3.3 step 2) and return ``bits``.

    Raises:
        StatusListError: ``RANGE_ERROR`` for an entry outside the list.
        MalformedError: ``INVALID_STATUS_SIZE`` when ``value`` does not fit ``status_size`` bits.
    """
    _check_index(len(bits), index, status_size)
    if not 0 <= value < 1 << status_size:
        raise MalformedError(
            f"status {value} does not fit in {status_size} bit(s)",
            code=StatusListCode.INVALID_STATUS_SIZE,
        )
    for offset in range(status_size):
        position = index * status_size + offset
        mask = 0x80 >> (position % 8)
        if value >> (status_size - 1 - offset) & 1:
            bits[position // 8] |= mask
        else:
            bits[position // 8] &= ~mask & 0xFF
    return bits


# The credentialStatus entry (spec §2.1) -------------------------------------------------------


@dataclass(frozen=True)
class StatusMessage:
    """One ``statusMessage`` element: a status value and its (developer-facing) message."""

    status: int
    message: str


def _is_url(value: Any) -> bool:
    if not isinstance(value, str) or not value or value != value.strip():
        return False
    parts = urlsplit(value)
    return bool(parts.scheme) and bool(parts.netloc or parts.path)


def _parse_index(value: Any) -> int:
    """``statusListIndex``: an integer ≥ 0 written as a base-10 string."""
    if not isinstance(value, str) or _INDEX.fullmatch(value) is None:
        raise _entry_error(
            "statusListIndex must be a base-10 integer written as a string",
            StatusListCode.INVALID_STATUS_LIST_INDEX,
            "statusListIndex",
        )
    return int(value)


def _parse_size(value: Any) -> int:
    """``statusSize``: an integer greater than zero; absent means 1."""
    if value is None:
        return 1
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= MAX_STATUS_SIZE:
        raise _entry_error(
            f"statusSize must be an integer from 1 to {MAX_STATUS_SIZE}",
            StatusListCode.INVALID_STATUS_SIZE,
            "statusSize",
        )
    return value


def _parse_message(item: Any, size: int, seen: set[int]) -> StatusMessage:
    if not isinstance(item, dict) or not isinstance(item.get("message"), str):
        raise _entry_error(
            "each statusMessage element must be an object with status and message strings",
            StatusListCode.INVALID_STATUS_MESSAGE,
            "statusMessage",
        )
    status = item.get("status")
    if not isinstance(status, str) or _STATUS_VALUE.fullmatch(status) is None:
        raise _entry_error(
            "a statusMessage status must be a hexadecimal string prefixed with 0x",
            StatusListCode.INVALID_STATUS_MESSAGE,
            "statusMessage",
        )
    value = int(status, 16)
    if value >= 1 << size or value in seen:
        raise _entry_error(
            f"statusMessage status {status} is out of range for statusSize {size} or repeated",
            StatusListCode.INVALID_STATUS_MESSAGE,
            "statusMessage",
        )
    seen.add(value)
    return StatusMessage(value, item["message"])


def _parse_messages(value: Any, size: int) -> tuple[StatusMessage, ...]:
    """``statusMessage``: required when statusSize > 1, with exactly 2^statusSize elements."""
    if value is None:
        if size > 1:
            raise _entry_error(
                "statusMessage is required when statusSize is greater than 1",
                StatusListCode.INVALID_STATUS_MESSAGE,
                "statusMessage",
            )
        return ()
    if not isinstance(value, list) or len(value) != 1 << size:
        raise _entry_error(
            f"statusMessage must be an array of {1 << size} elements for statusSize {size}",
            StatusListCode.INVALID_STATUS_MESSAGE,
            "statusMessage",
        )
    seen: set[int] = set()
    return tuple(_parse_message(item, size, seen) for item in value)


def _parse_reference(value: Any) -> tuple[str, ...]:
    """``statusReference``: a URL or an array of URLs."""
    if value is None:
        return ()
    refs = value if isinstance(value, list) else [value]
    if not refs or not all(_is_url(r) for r in refs):
        raise _entry_error(
            "statusReference must be a URL or an array of URLs",
            StatusListCode.INVALID_STATUS_REFERENCE,
            "statusReference",
        )
    return tuple(refs)


@dataclass(frozen=True)
class StatusListEntry:
    """A ``BitstringStatusListEntry`` (spec §2.1), parsed and checked."""

    purpose: str
    index: int
    list_credential: str
    size: int = 1
    messages: tuple[StatusMessage, ...] = ()
    reference: tuple[str, ...] = ()
    id: str | None = None

    @classmethod
    def from_dict(cls, value: Any) -> StatusListEntry:
        """Parse one ``credentialStatus`` object.

        Raises:
            MalformedError: the entry breaks a MUST of spec §2.1 (its own ``INVALID_…`` code).
        """
        if not isinstance(value, dict) or value.get("type") != ENTRY_TYPE:
            raise _entry_error(
                f"a status entry must be an object of type {ENTRY_TYPE}",
                StatusListCode.INVALID_STATUS_ENTRY,
                "type",
            )
        purpose = value.get("statusPurpose")
        if not isinstance(purpose, str) or not purpose:
            raise _entry_error(
                "statusPurpose must be a non-empty string",
                StatusListCode.INVALID_STATUS_PURPOSE,
                "statusPurpose",
            )
        list_credential = value.get("statusListCredential")
        if not isinstance(list_credential, str) or not _is_url(list_credential):
            raise _entry_error(
                "statusListCredential must be a URL",
                StatusListCode.INVALID_STATUS_LIST_CREDENTIAL,
                "statusListCredential",
            )
        entry_id = value.get("id")
        if entry_id is not None and (not _is_url(entry_id) or entry_id == list_credential):
            raise _entry_error(
                "a status entry's id must be a URL other than the status list's",
                StatusListCode.INVALID_STATUS_ENTRY,
                "id",
            )
        size = _parse_size(value.get("statusSize"))
        return cls(
            purpose=purpose,
            index=_parse_index(value.get("statusListIndex")),
            list_credential=list_credential,
            size=size,
            messages=_parse_messages(value.get("statusMessage"), size),
            reference=_parse_reference(value.get("statusReference")),
            id=entry_id,
        )

    def message_for(self, status: int) -> str:
        """The message of a status value; without statusMessage, 1 is "set" and 0 "unset"."""
        for m in self.messages:
            if m.status == status:
                return m.message
        return "set" if status else "unset"


def status_entries(credential: Mapping[str, Any]) -> tuple[StatusListEntry, ...]:
    """Every ``BitstringStatusListEntry`` of a credential's ``credentialStatus`` (one or many).

    Raises:
        MalformedError: an entry of that type is malformed. Entries of other types are skipped.
    """
    status = credential.get("credentialStatus")
    items = status if isinstance(status, list) else ([] if status is None else [status])
    return tuple(
        StatusListEntry.from_dict(item)
        for item in items
        if isinstance(item, dict) and item.get("type") == ENTRY_TYPE
    )


# The Validate Algorithm (spec §3.2, steps 5–14) -----------------------------------------------


@dataclass(frozen=True)
class StatusResult:
    """Spec §3.2 steps 11–14: the status value, its purpose, whether it is 0, and its message."""

    purpose: str
    status: int
    valid: bool
    message: str


def _types(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _list_subject(list_credential: Any, entry: StatusListEntry) -> Mapping[str, Any]:
    """Spec §2.1 (the dereferenced credential's type), §2.2 and §3.2 step 5 (its purposes)."""
    if not isinstance(list_credential, dict) or LIST_CREDENTIAL_TYPE not in _types(
        list_credential.get("type")
    ):
        raise StatusListError(f"the status list is not a {LIST_CREDENTIAL_TYPE}", field="type")
    list_id = list_credential.get("id")
    if list_id is not None and list_id != entry.list_credential:
        raise StatusListError(
            f"the status list is {list_id!r}, not the {entry.list_credential!r} the entry names",
            field="id",
        )
    subject = list_credential.get("credentialSubject")
    if not isinstance(subject, dict) or subject.get("type") != LIST_TYPE:
        raise StatusListError(
            f"the status list's credentialSubject must be of type {LIST_TYPE}",
            field="credentialSubject.type",
        )
    if entry.purpose not in _types(subject.get("statusPurpose")):
        raise StatusListError(
            f"the status list does not serve statusPurpose {entry.purpose!r}",
            field="credentialSubject.statusPurpose",
        )
    return subject


def read_status(
    entry: StatusListEntry,
    list_credential: Mapping[str, Any],
    *,
    min_entries: int = MIN_ENTRIES,
    max_bytes: int = MAX_LIST_BYTES,
) -> StatusResult:
    """The status of ``entry`` in an already fetched and verified status list credential.

    The caller has dereferenced ``entry.list_credential`` and verified the list's proof and
    validity period (spec §3.2 step 4); this function does the rest of the Validate Algorithm.

    Raises:
        StatusListError: the list is not for this entry, is malformed, too large or too short,
            or the index is out of range (codes in :class:`StatusListCode`).
    """
    subject = _list_subject(list_credential, entry)
    bits = decode_list(
        subject.get("encodedList"),
        status_size=entry.size,
        min_entries=min_entries,
        max_bytes=max_bytes,
    )
    status = status_at(bits, entry.index, entry.size)
    return StatusResult(
        purpose=entry.purpose,
        status=status,
        valid=status == 0,
        message=entry.message_for(status),
    )
