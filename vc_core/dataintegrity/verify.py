"""Verify every proof of a secured document (VC-DI 1.0 §4.4 Verify Proof, §4.5 Proof Sets/Chains).

First the document, once (each step raising one typed error with a stable code):

(0) It is a VCDM 2.0 credential or presentation: ``@context`` is a list whose first item is the
    credentials v2 URL (VCDM 2.0 §4.3; ``VCDM_CONTEXT_INVALID``), ``type`` includes
    ``VerifiableCredential`` or ``VerifiablePresentation`` (§4.5, §4.13; ``VCDM_TYPE_INVALID``),
    and a credential names its ``issuer`` (§4.7; ``VCDM_ISSUER_INVALID``). The proof alone does
    not catch these: a proof signs whatever document it is given.

Then each proof:

(1) The proof is an object with ``type``, ``verificationMethod`` and ``proofPurpose``
    (VC-DI §4.4 step 2; ``MALFORMED_PROOF_ERROR``).
(2) ``type`` is ``DataIntegrityProof`` and the cryptosuite is one we implement
    (EdDSA §3.2.2/§3.3.2; ``PROOF_VERIFICATION_ERROR``).
(3) The purpose is the one required: by default ``assertionMethod`` for a credential and
    ``authentication`` for a presentation (VC-DI §4.4 step 6; ``MISMATCHED_PROOF_PURPOSE_ERROR``);
    domain and challenge are the expected ones (steps 7–8; ``INVALID_DOMAIN_ERROR``,
    ``INVALID_CHALLENGE_ERROR``).
(4) At ``now``: ``created`` is not later than ``now`` plus a small clock skew
    (``PROOF_CREATED_IN_FUTURE``) and ``expires`` has not passed (VC-DI §2.1;
    ``PROOF_EXPIRED``).
(5) The verification method belongs to the issuer (for a presentation, the holder): its DID is
    the issuer's DID (VCDM 2.0 §4.12 / CID 1.0 §3.3; ``VERIFICATION_METHOD_NOT_CONTROLLED``).
(6) ``proofValue`` is ``z`` + base58btc of 64 bytes (EdDSA §2.2.1; ``MALFORMED_PROOF_ERROR``).
(7) For eddsa-jcs-2022 the proof's ``@context`` equals the document's (EdDSA §3.3.2 step 3 asks
    only that the document's *starts with* it; ecert requires equality, because a context
    appended after signing would otherwise go unsigned).
(8) The document to check is the unsecured document, plus for a chained proof exactly the proofs
    its ``previousProof`` names, each of which must exist (VC-DI §4.5 step 3).
(9) Canonicalize and hash (EdDSA §3.2.3–3.2.5 / §3.3.3–3.3.5), resolve the verification method
    for the purpose, and verify the Ed25519 signature (RFC 8032 §5.1.7). A resolver that cannot
    reach its source raises :class:`~vc_core.errors.RegistryError`: "could not check".

Steps (3)–(5) are policy, and fail closed; :class:`~vc_core.dataintegrity.Expectations` relaxes
each one only by an explicit flag.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from vc_core import primitives
from vc_core.canon import LocalContexts, default_contexts
from vc_core.dataintegrity.codes import ProofCode
from vc_core.dataintegrity.proofs import (
    ASSERTION_METHOD,
    Expectations,
    ProofReport,
    ProofResult,
    Resolver,
    did_key_resolver,
    document_to_sign,
)
from vc_core.dataintegrity.suites import (
    DATA_INTEGRITY_PROOF,
    CanonicalForms,
    Cryptosuite,
    EddsaJcs2022,
    suite_named,
)
from vc_core.did import controller_of
from vc_core.errors import MalformedError, ProofError, RegistryError, StructureError, VCError
from vc_core.models import CREDENTIALS_V2
from vc_core.times import parse_instant

_REQUIRED = ("type", "verificationMethod", "proofPurpose")
VERIFIABLE_CREDENTIAL = "VerifiableCredential"
VERIFIABLE_PRESENTATION = "VerifiablePresentation"


def _sha256(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


@dataclass(frozen=True)
class _Subject:
    """What step (0) learns about the document: its kind and who must control its keys."""

    presentation: bool
    controller: str | None

    @property
    def role(self) -> str:
        return "holder" if self.presentation else "issuer"

    @property
    def kind(self) -> str:
        return "presentation" if self.presentation else "credential"


def _id_of(value: Any) -> str | None:
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and isinstance(value.get("id"), str):
        return str(value["id"])
    return None


def _check_document(document: Mapping[str, Any]) -> _Subject:
    """Step (0)."""
    context = document.get("@context")
    if not isinstance(context, list) or not context or context[0] != CREDENTIALS_V2:
        raise StructureError(
            f"the first @context must be {CREDENTIALS_V2} (VCDM 2.0 §4.3)",
            code=ProofCode.VCDM_CONTEXT_INVALID,
            field="@context",
        )
    kind = document.get("type")
    types = kind if isinstance(kind, list) else [kind]
    presentation = VERIFIABLE_PRESENTATION in types
    if not presentation and VERIFIABLE_CREDENTIAL not in types:
        raise StructureError(
            f"type must include {VERIFIABLE_CREDENTIAL} or {VERIFIABLE_PRESENTATION}",
            code=ProofCode.VCDM_TYPE_INVALID,
            field="type",
        )
    controller = _id_of(document.get("holder" if presentation else "issuer"))
    if not presentation and (controller is None or ":" not in controller):
        raise StructureError(
            "issuer must be a URL or an object with a URL id (VCDM 2.0 §4.7)",
            code=ProofCode.VCDM_ISSUER_INVALID,
            field="issuer",
        )
    return _Subject(presentation=presentation, controller=controller)


def _check_shape(proof: Any) -> dict[str, Any]:
    """Step (1)–(2)."""
    if not isinstance(proof, dict):
        raise ProofError(
            "a proof must be a JSON object", code=ProofCode.MALFORMED_PROOF_ERROR, field="proof"
        )
    for name in _REQUIRED:
        if not isinstance(proof.get(name), str):
            raise ProofError(
                f"the proof has no {name}",
                code=ProofCode.MALFORMED_PROOF_ERROR,
                field=f"proof.{name}",
            )
    if proof["type"] != DATA_INTEGRITY_PROOF:
        raise ProofError(
            f"proof type {proof['type']!r} is not {DATA_INTEGRITY_PROOF}", field="proof.type"
        )
    return proof


def _check_purpose(proof: Mapping[str, Any], expect: Expectations, subject: _Subject) -> None:
    """Step (3)."""
    wanted = expect.purpose_for(presentation=subject.presentation)
    if wanted is not None and proof["proofPurpose"] != wanted:
        raise ProofError(
            f"proof purpose is {proof['proofPurpose']!r}, expected {wanted!r}",
            code=ProofCode.MISMATCHED_PROOF_PURPOSE_ERROR,
            field="proof.proofPurpose",
        )
    if expect.domain is not None:
        domain = proof.get("domain")
        domains = domain if isinstance(domain, list) else [domain]
        if expect.domain not in domains:
            raise ProofError(
                "the proof's domain is not the expected one",
                code=ProofCode.INVALID_DOMAIN_ERROR,
                field="proof.domain",
            )
    if expect.challenge is not None and proof.get("challenge") != expect.challenge:
        raise ProofError(
            "the proof's challenge is not the expected one",
            code=ProofCode.INVALID_CHALLENGE_ERROR,
            field="proof.challenge",
        )


def _proof_time(proof: Mapping[str, Any], name: str) -> datetime | None:
    if name not in proof:
        return None
    try:
        return parse_instant(proof[name], field=f"proof.{name}")
    except MalformedError as exc:
        raise ProofError(
            exc.message, code=ProofCode.MALFORMED_PROOF_ERROR, field=exc.field
        ) from exc


def _check_times(proof: Mapping[str, Any], expect: Expectations, now: datetime) -> None:
    """Step (4)."""
    created = _proof_time(proof, "created")
    expires = _proof_time(proof, "expires")
    if created is not None and not expect.allow_future_created:  # noqa: SIM102 (reads apart)
        if created > now + expect.clock_skew:
            raise ProofError(
                f"the proof was created at {proof['created']}, after {now.isoformat()} "
                f"(allowing {int(expect.clock_skew.total_seconds())} s of clock skew)",
                code=ProofCode.PROOF_CREATED_IN_FUTURE,
                field="proof.created",
            )
    if expires is not None and not expect.allow_expired and expires <= now:
        raise ProofError(
            f"the proof expired at {proof['expires']}",
            code=ProofCode.PROOF_EXPIRED,
            field="proof.expires",
        )


def _check_controller(proof: Mapping[str, Any], expect: Expectations, subject: _Subject) -> None:
    """Step (5)."""
    if expect.allow_uncontrolled_key:
        return
    vm = proof["verificationMethod"]
    if subject.controller is None:
        raise ProofError(
            f"the {subject.kind} names no {subject.role}, so no key can be shown to be theirs",
            code=ProofCode.VERIFICATION_METHOD_NOT_CONTROLLED,
            field=subject.role,
        )
    if controller_of(vm) != subject.controller:
        raise ProofError(
            f"the verification method {vm} does not belong to the {subject.role} "
            f"{subject.controller}",
            code=ProofCode.VERIFICATION_METHOD_NOT_CONTROLLED,
            field="proof.verificationMethod",
        )


def _signature(proof: Mapping[str, Any]) -> bytes:
    """Step (6)."""
    try:
        sig = primitives.multibase_decode(proof.get("proofValue", ""), field="proof.proofValue")
    except MalformedError as exc:
        raise ProofError(
            exc.message, code=ProofCode.MALFORMED_PROOF_ERROR, field="proof.proofValue"
        ) from exc
    if len(sig) != primitives.ED25519_SIG_LENGTH:
        raise ProofError(
            f"proofValue decodes to {len(sig)} bytes; an Ed25519 signature is 64",
            code=ProofCode.MALFORMED_PROOF_ERROR,
            field="proof.proofValue",
        )
    return sig


class _Checker:
    """Verifies the proofs of one document, sharing the unchained document hash between them."""

    def __init__(
        self,
        document: Mapping[str, Any],
        contexts: LocalContexts,
        resolver: Resolver,
        unsecured_jcs: bytes | None = None,
    ) -> None:
        self.unsecured = {k: v for k, v in document.items() if k != "proof"}
        self.unsecured_jcs = unsecured_jcs
        proof = document.get("proof")
        self.proofs: list[Any] = (
            proof if isinstance(proof, list) else ([] if proof is None else [proof])
        )
        self.contexts = contexts
        self.resolver = resolver
        self._doc_hash: dict[str, tuple[bytes, bytes]] = {}

    def verify_one(
        self, proof: Any, expect: Expectations, subject: _Subject, now: datetime
    ) -> None:
        proof = _check_shape(proof)
        suite = suite_named(proof.get("cryptosuite"))
        _check_purpose(proof, expect, subject)
        _check_times(proof, expect, now)
        _check_controller(proof, expect, subject)
        signature = _signature(proof)
        unsecured = self.unsecured
        # Step (7).
        if suite.proof_carries_context and proof.get(
            "@context", unsecured.get("@context")
        ) != unsecured.get("@context"):
            raise ProofError(
                "the proof's @context differs from the document's", field="proof.@context"
            )
        previous = proof.get("previousProof")
        previous_ids = [previous] if isinstance(previous, str) else list(previous or [])
        if not all(isinstance(p, str) for p in previous_ids):
            raise ProofError(
                "previousProof must be a string or strings",
                code=ProofCode.MALFORMED_PROOF_ERROR,
                field="proof.previousProof",
            )
        # Step (8).
        signed_doc = document_to_sign(
            unsecured, self.proofs, previous_ids, code=ProofCode.PROOF_VERIFICATION_ERROR
        )
        # Step (9).
        forms = self._forms(suite, proof, signed_doc, chained=bool(previous_ids))
        key = self.resolver(proof["verificationMethod"], proof["proofPurpose"])
        key.verify(forms.hash_data, signature)

    def _forms(
        self, suite: Cryptosuite, proof: Mapping[str, Any], doc: Mapping[str, Any], *, chained: bool
    ) -> CanonicalForms:
        suite_name = suite.name
        config = suite.proof_configuration(
            proof, doc, self.contexts, code=ProofCode.PROOF_VERIFICATION_ERROR
        )
        if chained or suite_name not in self._doc_hash:
            # The caller's JCS of the unsecured document serves an unchained JCS proof only.
            given = self.unsecured_jcs if isinstance(suite, EddsaJcs2022) and not chained else None
            canonical = suite.transform(doc, self.contexts, canonical=given)
            pair = (canonical, _sha256(canonical))
            if not chained:
                self._doc_hash[suite_name] = pair
        else:
            pair = self._doc_hash[suite_name]
        return CanonicalForms(config, pair[0], _sha256(config), pair[1])


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _result(index: int, proof: Any, subject: _Subject, error: VCError | None) -> ProofResult:
    p = proof if isinstance(proof, dict) else {}
    vm = _text(p.get("verificationMethod"))
    return ProofResult(
        index=index,
        cryptosuite=_text(p.get("cryptosuite")),
        verification_method=vm,
        proof_purpose=_text(p.get("proofPurpose")),
        verified=error is None,
        issuer_controls_method=(controller_of(vm) == subject.controller)
        if vm and subject.controller
        else None,
        error=error.to_dict() if error is not None else None,
    )


def check_proofs(
    document: Mapping[str, Any],
    *,
    now: datetime,
    contexts: LocalContexts | None = None,
    resolver: Resolver = did_key_resolver,
    expect: Expectations | None = None,
    unsecured_jcs: bytes | None = None,
) -> ProofReport:
    """Check the document and every proof at ``now``; return a report (see the module steps).

    A document with no proof is not verified. ``expect`` relaxes the default policy only where
    a flag says so; without it every policy check of steps (3)–(5) applies.

    ``unsecured_jcs``, when given, must be the JCS bytes of ``document`` without its ``proof``
    member, as :func:`vc_core.canon.jcs.jcs_secured` makes them with the document's digest; an
    unchained ``eddsa-jcs-2022`` proof is then checked over them rather than over a second
    canonicalization (its terms are still checked). A caller that has no such bytes passes
    nothing.
    """
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    try:
        subject = _check_document(document)
    except StructureError as exc:
        return ProofReport((), (exc,), document_error=exc.to_dict())
    # Canonicalization never mutates its input, so the caller's document is read in place.
    checker = _Checker(document, contexts or default_contexts(), resolver, unsecured_jcs)
    expectations = expect or Expectations()
    if not checker.proofs:
        error = ProofError("the document has no proof", code=ProofCode.PROOF_MISSING, field="proof")
        return ProofReport((_result(0, None, subject, error),), (error,))
    results: list[ProofResult] = []
    errors: list[VCError] = []
    for index, proof in enumerate(checker.proofs):
        failure: VCError | None = None
        try:
            checker.verify_one(proof, expectations, subject, now)
        except VCError as exc:
            failure = exc
            errors.append(exc)
        results.append(_result(index, proof, subject, failure))
    return ProofReport(tuple(results), tuple(errors))


def verify_proofs(
    document: Mapping[str, Any],
    *,
    now: datetime,
    contexts: LocalContexts | None = None,
    resolver: Resolver = did_key_resolver,
    expect: Expectations | None = None,
) -> ProofReport:
    """Verify the document and every proof at ``now``; raise the first failure (never returns a
    falsy report).

    Raises:
        StructureError: the document breaks a VCDM 2.0 rule (step 0).
        ProofError, CanonicalizationError, MalformedError: as :func:`check_proofs` records them.
        RegistryError: a resolver could not reach what it needed ("could not check"), and no
            proof failed for any other reason.
    """
    report = check_proofs(document, now=now, contexts=contexts, resolver=resolver, expect=expect)
    if report.errors:
        # A definite failure outranks "could not check", as in ProofReport.verdict.
        definite = [e for e in report.errors if not isinstance(e, RegistryError)]
        raise (definite or list(report.errors))[0]
    return report


__all__ = ["ASSERTION_METHOD", "check_proofs", "verify_proofs"]
