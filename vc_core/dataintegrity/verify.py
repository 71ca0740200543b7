"""Verify every proof of a secured document (VC-DI 1.0 §4.4 Verify Proof, §4.5 Proof Sets/Chains).

The steps for one proof, each raising one typed error with a stable code:

(1) The proof is an object with ``type``, ``verificationMethod`` and ``proofPurpose``
    (VC-DI §4.4 step 2; ``MALFORMED_PROOF_ERROR``).
(2) ``type`` is ``DataIntegrityProof`` and the cryptosuite is one we implement
    (EdDSA §3.2.2/§3.3.2; ``PROOF_VERIFICATION_ERROR``).
(3) The purpose, domain and challenge are the ones the caller expects (VC-DI §4.4 steps 6–8;
    ``MISMATCHED_PROOF_PURPOSE_ERROR``, ``INVALID_DOMAIN_ERROR``, ``INVALID_CHALLENGE_ERROR``),
    and the proof has not expired at ``now``.
(4) ``proofValue`` is ``z`` + base58btc of 64 bytes (EdDSA §2.2.1; ``MALFORMED_PROOF_ERROR``).
(5) For eddsa-jcs-2022 the proof's ``@context`` equals the document's (EdDSA §3.3.2 step 3 asks
    only that the document's *starts with* it; ecert requires equality, because a context
    appended after signing would otherwise go unsigned).
(6) The document to check is the unsecured document, plus for a chained proof exactly the proofs
    its ``previousProof`` names, each of which must exist (VC-DI §4.5 step 3).
(7) Canonicalize and hash (EdDSA §3.2.3–3.2.5 / §3.3.3–3.3.5), resolve the verification method
    for the purpose, and verify the Ed25519 signature (RFC 8032 §5.1.7).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

from vc_core import primitives
from vc_core.canon import LocalContexts, default_contexts
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
    suite_named,
)
from vc_core.did import controller_of
from vc_core.errors import MalformedError, ProofError, VCError
from vc_core.models import parse_datetime_stamp

_REQUIRED = ("type", "verificationMethod", "proofPurpose")


def _sha256(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def _check_shape(proof: Any) -> dict[str, Any]:
    """Step (1)–(2)."""
    if not isinstance(proof, dict):
        raise ProofError(
            "a proof must be a JSON object", code="MALFORMED_PROOF_ERROR", field="proof"
        )
    for name in _REQUIRED:
        if not isinstance(proof.get(name), str):
            raise ProofError(
                f"the proof has no {name}", code="MALFORMED_PROOF_ERROR", field=f"proof.{name}"
            )
    if proof["type"] != DATA_INTEGRITY_PROOF:
        raise ProofError(
            f"proof type {proof['type']!r} is not {DATA_INTEGRITY_PROOF}", field="proof.type"
        )
    return proof


def _check_expectations(proof: Mapping[str, Any], expect: Expectations) -> None:
    """Step (3)."""
    if expect.proof_purpose is not None and proof["proofPurpose"] != expect.proof_purpose:
        raise ProofError(
            f"proof purpose is {proof['proofPurpose']!r}, expected {expect.proof_purpose!r}",
            code="MISMATCHED_PROOF_PURPOSE_ERROR",
            field="proof.proofPurpose",
        )
    if expect.domain is not None:
        domain = proof.get("domain")
        domains = domain if isinstance(domain, list) else [domain]
        if expect.domain not in domains:
            raise ProofError(
                "the proof's domain is not the expected one",
                code="INVALID_DOMAIN_ERROR",
                field="proof.domain",
            )
    if expect.challenge is not None and proof.get("challenge") != expect.challenge:
        raise ProofError(
            "the proof's challenge is not the expected one",
            code="INVALID_CHALLENGE_ERROR",
            field="proof.challenge",
        )
    for name in ("created", "expires"):
        if name in proof:
            try:
                parse_datetime_stamp(proof[name], field=f"proof.{name}")
            except MalformedError as exc:
                raise ProofError(
                    exc.message, code="MALFORMED_PROOF_ERROR", field=exc.field
                ) from exc
    if expect.now is not None and "expires" in proof:  # noqa: SIM102 (the two conditions read apart)
        if parse_datetime_stamp(proof["expires"], field="proof.expires") <= expect.now:
            raise ProofError("the proof has expired", code="PROOF_EXPIRED", field="proof.expires")


def _signature(proof: Mapping[str, Any]) -> bytes:
    """Step (4)."""
    try:
        sig = primitives.multibase_decode(proof.get("proofValue", ""), field="proof.proofValue")
    except MalformedError as exc:
        raise ProofError(
            exc.message, code="MALFORMED_PROOF_ERROR", field="proof.proofValue"
        ) from exc
    if len(sig) != primitives.ED25519_SIG_LENGTH:
        raise ProofError(
            f"proofValue decodes to {len(sig)} bytes; an Ed25519 signature is 64",
            code="MALFORMED_PROOF_ERROR",
            field="proof.proofValue",
        )
    return sig


class _Checker:
    """Verifies the proofs of one document, sharing the unchained document hash between them."""

    def __init__(
        self, document: Mapping[str, Any], contexts: LocalContexts, resolver: Resolver
    ) -> None:
        self.unsecured = {k: v for k, v in document.items() if k != "proof"}
        proof = document.get("proof")
        self.proofs: list[Any] = (
            proof if isinstance(proof, list) else ([] if proof is None else [proof])
        )
        self.contexts = contexts
        self.resolver = resolver
        self._doc_hash: dict[str, tuple[bytes, bytes]] = {}

    def verify_one(self, proof: Any, expect: Expectations) -> None:
        proof = _check_shape(proof)
        suite = suite_named(proof.get("cryptosuite"))
        _check_expectations(proof, expect)
        signature = _signature(proof)
        unsecured = self.unsecured
        # Step (5).
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
                code="MALFORMED_PROOF_ERROR",
                field="proof.previousProof",
            )
        signed_doc = document_to_sign(
            unsecured, self.proofs, previous_ids, code="PROOF_VERIFICATION_ERROR"
        )
        forms = self._forms(suite, proof, signed_doc, chained=bool(previous_ids))
        key = self.resolver(proof["verificationMethod"], proof["proofPurpose"])
        key.verify(forms.hash_data, signature)

    def _forms(
        self, suite: Cryptosuite, proof: Mapping[str, Any], doc: Mapping[str, Any], *, chained: bool
    ) -> CanonicalForms:
        suite_name = suite.name
        config = suite.proof_configuration(
            proof, doc, self.contexts, code="PROOF_VERIFICATION_ERROR"
        )
        if chained or suite_name not in self._doc_hash:
            canonical = suite.transform(doc, self.contexts)
            pair = (canonical, _sha256(canonical))
            if not chained:
                self._doc_hash[suite_name] = pair
        else:
            pair = self._doc_hash[suite_name]
        return CanonicalForms(config, pair[0], _sha256(config), pair[1])


def _controller(document: Mapping[str, Any]) -> str | None:
    for name in ("issuer", "holder"):
        value = document.get(name)
        if isinstance(value, str):
            return value
        if isinstance(value, dict) and isinstance(value.get("id"), str):
            return str(value["id"])
    return None


def check_proofs(
    document: Mapping[str, Any],
    *,
    contexts: LocalContexts | None = None,
    resolver: Resolver = did_key_resolver,
    expect: Expectations | None = None,
) -> ProofReport:
    """Check every proof and return a report; a document with no proof is not verified."""
    # Canonicalization never mutates its input, so the caller's document is read in place.
    checker = _Checker(document, contexts or default_contexts(), resolver)
    expectations = expect or Expectations()
    controller = _controller(document)
    results: list[ProofResult] = []
    errors: list[VCError] = []
    if not checker.proofs:
        error = ProofError("the document has no proof", code="PROOF_MISSING", field="proof")
        return ProofReport(
            (ProofResult(0, None, None, None, False, None, error.to_dict()),), (error,)
        )
    for index, proof in enumerate(checker.proofs):
        p = proof if isinstance(proof, dict) else {}
        vm = p.get("verificationMethod") if isinstance(p.get("verificationMethod"), str) else None
        try:
            checker.verify_one(proof, expectations)
            error_dict = None
        except VCError as exc:
            errors.append(exc)
            error_dict = exc.to_dict()
        results.append(
            ProofResult(
                index=index,
                cryptosuite=p.get("cryptosuite") if isinstance(p.get("cryptosuite"), str) else None,
                verification_method=vm,
                proof_purpose=p.get("proofPurpose")
                if isinstance(p.get("proofPurpose"), str)
                else None,
                verified=error_dict is None,
                issuer_controls_method=(controller_of(vm) == controller)
                if vm and controller
                else None,
                error=error_dict,
            )
        )
    return ProofReport(tuple(results), tuple(errors))


def verify_proofs(
    document: Mapping[str, Any],
    *,
    contexts: LocalContexts | None = None,
    resolver: Resolver = did_key_resolver,
    expect: Expectations | None = None,
) -> ProofReport:
    """Verify every proof; raise the first failure (never returns a falsy report).

    Raises:
        ProofError, CanonicalizationError, MalformedError: as :func:`check_proofs` records them.
        RegistryError: a resolver could not reach what it needed ("could not check").
    """
    report = check_proofs(document, contexts=contexts, resolver=resolver, expect=expect)
    if report.errors:
        raise report.errors[0]
    return report


__all__ = ["ASSERTION_METHOD", "check_proofs", "verify_proofs"]
