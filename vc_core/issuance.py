"""Issue a credential: validate it, then sign it — the one recipe the CLI and the issuer call.

:func:`issue_credential` runs these steps at ``now`` and raises the first problem:

(0) The inputs: ``now`` is timezone-aware, the cryptosuite is one ecert implements.
(1) Issuer and key: the verification method defaults to the key's ``did:key`` method and the
    issuer to that method's DID; the method must belong to the issuer and name the signing key
    (its fragment is the key's ``publicKeyMultibase``, as in ``did:key`` and ``did:ecert``), or
    the proof would fail verification at once (VC-DI 1.0 §4.4, the controller check).
(2) Structure: VCDM 2.0 (:class:`~vc_core.models.Credential`).
(3) For an ecert credential type (the document uses ecert's context): its JSON Schema and
    identifier check digits (:func:`~vc_core.credential_types.validate_credential`).
(4) Validity period (VCDM 2.0 §4.9): ``validUntil`` must be after ``validFrom`` and after
    ``now``; a credential already expired when issued is refused (DESIGN §4).
(5) Sign: a Data Integrity proof created at ``now`` (:func:`~vc_core.dataintegrity.add_proof`),
    which also refuses undefined terms (VC-DI 1.0 §2.4.3).

Example:
    >>> from datetime import UTC, datetime
    >>> from vc_core.keys import KeyPair
    >>> draft = {"@context": ["https://www.w3.org/ns/credentials/v2"],
    ...          "type": ["VerifiableCredential"],
    ...          "validUntil": "2024-01-01T00:00:00Z",
    ...          "credentialSubject": {"id": "did:example:holder"}}
    >>> now = datetime(2025, 1, 1, tzinfo=UTC)
    >>> try:
    ...     issue_credential(draft, KeyPair.generate(), suite="eddsa-jcs-2022", now=now)
    ... except SchemaError as e:
    ...     print(e.code)
    VALIDITY_PERIOD_OVER
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from enum import StrEnum
from typing import Any

from vc_core.canon import ECERT_CONTEXT_URL, LocalContexts
from vc_core.dataintegrity import CRYPTOSUITES, add_proof
from vc_core.did import controller_of, verification_method_id
from vc_core.errors import MalformedError, SchemaError
from vc_core.keys import KeyPair
from vc_core.models import Credential


class IssuanceCode(StrEnum):
    """Stable codes of the refusals :func:`issue_credential` adds to the validators' own."""

    UNKNOWN_CRYPTOSUITE = "UNKNOWN_CRYPTOSUITE"
    INVALID_DATETIME = "INVALID_DATETIME"
    ISSUER_KEY_MISMATCH = "ISSUER_KEY_MISMATCH"
    # The same code validate_credential gives an ecert type's inverted validity period.
    VALIDITY_PERIOD_INVALID = "VALIDITY_PERIOD_INVALID"
    VALIDITY_PERIOD_OVER = "VALIDITY_PERIOD_OVER"


def _check_inputs(suite: str, now: datetime) -> None:
    """Step (0)."""
    if now.tzinfo is None:
        raise MalformedError(
            "the issuance time must be timezone-aware", code=IssuanceCode.INVALID_DATETIME
        )
    if suite not in CRYPTOSUITES:
        raise MalformedError(
            f"unknown suite {suite!r}; choose one of {', '.join(CRYPTOSUITES)}",
            code=IssuanceCode.UNKNOWN_CRYPTOSUITE,
        )


def _with_issuer(credential: Mapping[str, Any], key: KeyPair, vm: str) -> dict[str, Any]:
    """Step (1): the draft with its issuer, which must control ``vm``, which must name ``key``."""
    draft = dict(credential)
    controller = controller_of(vm)
    draft.setdefault("issuer", controller)
    issuer = draft["issuer"]
    issuer_id = issuer.get("id") if isinstance(issuer, dict) else issuer
    if issuer_id != controller:
        raise MalformedError(
            f"the verification method {vm} belongs to {controller}, not to the issuer "
            f"{issuer_id!r}",
            code=IssuanceCode.ISSUER_KEY_MISMATCH,
            field="issuer",
        )
    if vm.partition("#")[2] != key.public.multibase:
        raise MalformedError(
            f"the verification method {vm} does not name the signing key {key.public.multibase}",
            code=IssuanceCode.ISSUER_KEY_MISMATCH,
            field="verificationMethod",
        )
    return draft


def _check_validity(credential: Credential, now: datetime) -> None:
    """Step (4), VCDM 2.0 §4.9."""
    valid_from, valid_until = credential.valid_from, credential.valid_until
    if valid_until is None:
        return
    if valid_from is not None and valid_until <= valid_from:
        raise SchemaError(
            f"validUntil must be after validFrom ({credential.validFrom})",
            code=IssuanceCode.VALIDITY_PERIOD_INVALID,
            field="validUntil",
        )
    if valid_until <= now:
        raise SchemaError(
            f"validUntil {credential.validUntil} has already passed at {now.isoformat()}: "
            "the credential would be expired when issued",
            code=IssuanceCode.VALIDITY_PERIOD_OVER,
            field="validUntil",
        )


def issue_credential(
    credential: Mapping[str, Any],
    key: KeyPair,
    *,
    suite: str,
    now: datetime,
    contexts: LocalContexts | None = None,
    verification_method: str | None = None,
) -> dict[str, Any]:
    """Validate ``credential`` at ``now`` and return it signed with ``key`` (steps (0)–(5)).

    Args:
        credential: the unsigned credential as parsed JSON; ``issuer`` may be left out.
        key: the issuer's signing key.
        suite: ``eddsa-rdfc-2022`` or ``eddsa-jcs-2022``.
        now: the issuance time (UTC-aware): the proof's ``created``, and the time the validity
            period must not have ended by.
        contexts: the local JSON-LD contexts (the defaults when ``None``); never fetched.
        verification_method: the key's method URL, e.g. ``did:ecert:<chain>:<office>#<key>``
            for an office; the key's ``did:key`` method when ``None``.

    Raises:
        MalformedError: bad inputs (``UNKNOWN_CRYPTOSUITE``, ``INVALID_DATETIME``,
            ``ISSUER_KEY_MISMATCH``) or a credential that is not VCDM 2.0.
        SchemaError: the type's schema, an identifier (``IdentifierError``), or the validity
            period (``VALIDITY_PERIOD_INVALID``, ``VALIDITY_PERIOD_OVER``).
        CanonicalizationError: a term the contexts do not define (``DATA_LOSS_DETECTION_ERROR``).
    """
    from vc_core.credential_types import validate_credential  # loads the schemas on first use

    _check_inputs(suite, now)
    vm = verification_method or verification_method_id(key.public)
    draft = _with_issuer(credential, key, vm)
    parsed = Credential.from_dict(draft)
    if ECERT_CONTEXT_URL in draft.get("@context", []):
        validate_credential(draft, require_issuer=True, today=now.date())
    _check_validity(parsed, now)
    return add_proof(
        draft, key, cryptosuite=suite, verification_method=vm, created=now, contexts=contexts
    )
