"""The steps that read the credential alone: (0) parse and bound, (1) structure, (7) validity.

Each step is a small function ``step(inputs…, now) -> StepResult`` (DESIGN §5) that never reads
a clock and never raises for untrusted data: a failure is a ``failed`` result with a stable code.
What steps 0 and 1 learn about the credential — its digest, issuer, type, subject region, status
keys and validity period — is a :class:`Subject`, which the chain steps read.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from vc_core.anchoring.bundle import credential_status_keys
from vc_core.canon.jcs import jcs_secured, plain_within
from vc_core.credential_types import validate_credential, validated_region
from vc_core.errors import MalformedError, VCError
from vc_core.jsonio import MAX_BYTES, MAX_DEPTH, JsonCode, deeper_than, parse_object
from vc_core.verification.codes import Step, StepCode
from vc_core.verification.report import StepResult
from vc_core.verification.vcdm import read_credential


@dataclass(frozen=True, slots=True)
class Parsed:
    """Step 0's product: the credential as a JSON object and its anchored digest.

    ``unsecured_jcs`` is the JCS of the document without its ``proof`` member, made with the
    digest's for little more work (:func:`~vc_core.canon.jcs.jcs_secured`): what an
    ``eddsa-jcs-2022`` proof signs, so the proof step need not canonicalize again. ``None``
    where the fast path does not apply. ``canonical`` is the JCS of the whole document, whose
    hash is the digest.
    """

    document: dict[str, Any]
    digest: str
    unsecured_jcs: bytes | None = None
    canonical: bytes | None = None


@dataclass(frozen=True)
class Subject:
    """Step 1's product: what the chain steps need to know about the credential."""

    issuer: str
    credential_type: str | None
    region: str | None
    credential_id: str | None
    status_index: int | None
    valid_from: datetime | None
    valid_until: datetime | None


def parse_step(
    credential: Mapping[str, Any] | str | bytes,
) -> tuple[StepResult, Parsed | None]:
    """(0) Parse and bound the input: a JSON object within :data:`~vc_core.jsonio.MAX_BYTES`
    and :data:`~vc_core.jsonio.MAX_DEPTH`, with no duplicate keys.

    The digest is the one an issuer anchors (:func:`vc_core.anchoring.credential_digest`: SHA-256
    of the RFC 8785 JCS of the secured credential); the JCS bytes also give the size bound.
    """
    plain: bool | None = False
    try:
        if isinstance(credential, str | bytes):
            document = parse_object(credential)
        elif type(credential) is dict or isinstance(credential, Mapping):
            document = dict(credential)
            # One walk finds both the depth and whether the fast JCS encoder may write it.
            plain = plain_within(document, MAX_DEPTH)
            if plain is None or (not plain and deeper_than(document, MAX_DEPTH)):
                raise MalformedError(
                    f"input nests deeper than {MAX_DEPTH} levels", code=JsonCode.TOO_DEEP
                )
        else:
            raise MalformedError("a credential is a JSON object", code=StepCode.NOT_AN_OBJECT)
        canonical, unsecured = jcs_secured(document, known_plain=plain is True)
    except VCError as exc:
        return StepResult.from_error(Step.PARSE, exc), None
    if len(canonical) > MAX_BYTES:
        return (
            StepResult.failed(
                Step.PARSE,
                "TOO_LARGE",
                f"the credential is {len(canonical)} bytes; the limit is {MAX_BYTES}",
            ),
            None,
        )
    digest = hashlib.sha256(canonical).hexdigest()
    result = StepResult.ok(Step.PARSE, "a bounded JSON object", digest=digest)
    return result, Parsed(
        document=document, digest=digest, unsecured_jcs=unsecured, canonical=canonical
    )


def structure_step(
    document: Mapping[str, Any], at: datetime, *, canonical: bytes | None = None
) -> tuple[StepResult, Subject | None]:
    """(1) Structure: VCDM 2.0 (:class:`~vc_core.models.Credential`), then the JSON Schema of the
    credential's ecert type and its identifiers' check digits
    (:func:`~vc_core.credential_types.validate_credential`), and the subject's region.

    ``at`` is the day a resident ID's date of birth must not be after. ``canonical`` is step
    0's JCS of ``document`` (:attr:`Parsed.canonical`), when there is one.
    """
    try:
        # The model's answers, from a plain check when it is sure (vc_core.verification.vcdm).
        issuer, valid_from, valid_until = read_credential(document)
    except VCError as exc:
        return StepResult.from_error(Step.STRUCTURE, exc), None
    credential_id, status_index = credential_status_keys(document)
    failure: VCError | None = None
    type_name: str | None = None
    region: str | None = None
    try:
        type_name = validate_credential(
            document, require_issuer=True, today=at.date(), canonical=canonical
        )
        region = validated_region(document, type_name)
    except VCError as exc:
        # What was learnt before the failure still serves the later steps (issuer, status).
        failure, type_name, region = exc, None, None
    subject = Subject(
        issuer=issuer,
        credential_type=type_name,
        region=region,
        credential_id=credential_id,
        status_index=status_index,
        valid_from=valid_from,
        valid_until=valid_until,
    )
    if failure is not None:
        return StepResult.from_error(Step.STRUCTURE, failure), subject
    result = StepResult.ok(
        Step.STRUCTURE,
        f"a VCDM 2.0 {type_name} whose schema and identifiers check",
        credential_type=type_name,
        region=region,
    )
    return result, subject


def validity_step(subject: Subject, at: datetime) -> StepResult:
    """(7) Validity period at ``at`` (VCDM 2.0 §4.9): ``validFrom ≤ at < validUntil``."""
    if subject.valid_from is not None and at < subject.valid_from:
        return StepResult.failed(
            Step.VALIDITY_PERIOD,
            StepCode.NOT_YET_VALID,
            f"valid from {subject.valid_from.isoformat()}, after {at.isoformat()}",
            valid_from=subject.valid_from,
        )
    if subject.valid_until is not None and at >= subject.valid_until:
        return StepResult.failed(
            Step.VALIDITY_PERIOD,
            StepCode.EXPIRED,
            f"expired at {subject.valid_until.isoformat()}",
            valid_until=subject.valid_until,
        )
    return StepResult.ok(
        Step.VALIDITY_PERIOD,
        f"within its validity period at {at.isoformat()}",
        valid_from=subject.valid_from,
        valid_until=subject.valid_until,
    )
