"""Add and verify Data Integrity proofs, proof sets and proof chains (W3C VC-DI 1.0 §4).

Two flavours, as everywhere in ecert: :func:`verify_proofs` raises the first failure and never
returns a bool; :func:`check_proofs` returns a :class:`ProofReport` with one entry per proof.

Example:
    >>> from vc_core.keys import KeyPair
    >>> from vc_core.did import did_key, verification_method_id
    >>> kp = KeyPair.generate()
    >>> doc = {"@context": ["https://www.w3.org/ns/credentials/v2"],
    ...        "type": ["VerifiableCredential"], "issuer": did_key(kp.public),
    ...        "credentialSubject": {"id": "did:example:1"}}
    >>> signed = add_proof(doc, kp, cryptosuite="eddsa-jcs-2022",
    ...                    verification_method=verification_method_id(kp.public))
    >>> from datetime import UTC, datetime
    >>> bool(check_proofs(signed, now=datetime.now(UTC)))
    True
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from vc_core import primitives
from vc_core.canon import LocalContexts, default_contexts
from vc_core.dataintegrity.codes import ProofCode
from vc_core.dataintegrity.suites import DATA_INTEGRITY_PROOF, CanonicalForms, suite_named
from vc_core.did import resolve_verification_method
from vc_core.errors import MalformedError, ProofError, RegistryError, VCError
from vc_core.keys import KeyPair, PublicKey
from vc_core.times import TimeCode, parse_instant

ASSERTION_METHOD = "assertionMethod"
AUTHENTICATION = "authentication"

# A proof's ``created`` may run ahead of the verifier's clock by this much (clocks drift).
CLOCK_SKEW = timedelta(minutes=5)
DID_ECERT_PREFIX = "did:ecert:"

# Resolves a verification-method URL, for a proof purpose, to its public key. The default
# resolves did:key offline; the verifier service plugs in did:ecert resolution from its replica.
# A resolver raises RegistryError when it cannot reach what it needs: that is "could not check",
# never "invalid".
Resolver = Callable[[str, str], PublicKey]


def did_key_resolver(vm: str, purpose: str) -> PublicKey:
    """Offline did:key resolution: every did:key method is valid for every purpose.

    Raises:
        RegistryError: ``DID_NOT_RESOLVABLE_OFFLINE`` for a did:ecert method, whose keys only a
            registry replica knows: without one the proof could not be checked, which is not the
            same as invalid.
        MalformedError: any other DID method, or a malformed did:key.
    """
    if isinstance(vm, str) and vm.startswith(DID_ECERT_PREFIX):
        raise RegistryError(
            f"{vm} is a did:ecert key: resolving it needs a registry replica, and none is set",
            code=ProofCode.DID_NOT_RESOLVABLE_OFFLINE,
            field="proof.verificationMethod",
        )
    return resolve_verification_method(vm)


def format_created(value: datetime) -> str:
    """An XML Schema dateTimeStamp in UTC with second precision, as the vectors write it."""
    if value.tzinfo is None:
        raise MalformedError(
            "created must be timezone-aware", code=TimeCode.INVALID_DATETIME, field="created"
        )
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class ProofOptions:
    """Proof options (VC-DI 1.0 §2.1) for :func:`add_proof`."""

    cryptosuite: str
    verification_method: str
    proof_purpose: str = ASSERTION_METHOD
    created: str | None = None
    expires: str | None = None
    challenge: str | None = None
    domain: str | None = None
    proof_id: str | None = None
    previous_proof: str | list[str] | None = None

    @classmethod
    def from_dict(cls, options: Mapping[str, Any]) -> ProofOptions:
        """Options as the vectors write them (a proof object without proofValue)."""
        return cls(
            cryptosuite=options["cryptosuite"],
            verification_method=options["verificationMethod"],
            proof_purpose=options.get("proofPurpose", ASSERTION_METHOD),
            created=options.get("created"),
            expires=options.get("expires"),
            challenge=options.get("challenge"),
            domain=options.get("domain"),
            proof_id=options.get("id"),
            previous_proof=options.get("previousProof"),
        )

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": DATA_INTEGRITY_PROOF}
        if self.proof_id is not None:
            out["id"] = self.proof_id
        out["cryptosuite"] = self.cryptosuite
        if self.created is not None:
            parse_instant(self.created, field="created")
            out["created"] = self.created
        if self.expires is not None:
            parse_instant(self.expires, field="expires")
            out["expires"] = self.expires
        out["verificationMethod"] = self.verification_method
        out["proofPurpose"] = self.proof_purpose
        for key, value in (
            ("previousProof", self.previous_proof),
            ("challenge", self.challenge),
            ("domain", self.domain),
        ):
            if value is not None:
                out[key] = value
        return out


def _existing_proofs(document: Mapping[str, Any]) -> list[dict[str, Any]]:
    proof = document.get("proof")
    if proof is None:
        return []
    proofs = proof if isinstance(proof, list) else [proof]
    if not all(isinstance(p, dict) for p in proofs):
        raise MalformedError(
            "every proof must be a JSON object", code=ProofCode.MALFORMED_PROOF_ERROR, field="proof"
        )
    return [dict(p) for p in proofs]


def document_to_sign(
    unsecured: Mapping[str, Any],
    proofs: Sequence[Mapping[str, Any]],
    previous: list[str],
    *,
    code: str,
) -> dict[str, Any]:
    """VC-DI §4.3 step 5 / §4.5 step 3.1: a chained proof signs the document plus only the proofs
    its ``previousProof`` names; a proof without ``previousProof`` signs the document alone."""
    doc = dict(unsecured)
    if not previous:
        return doc
    by_id = {p.get("id"): p for p in proofs if p.get("id") is not None}
    missing = [pid for pid in previous if pid not in by_id]
    if missing:
        raise ProofError(
            f"previousProof names proofs that are not present: {', '.join(missing)}",
            code=code,
            field="proof.previousProof",
        )
    doc["proof"] = [copy.deepcopy(by_id[pid]) for pid in previous]
    return doc


def canonical_forms_for_signing(
    document: Mapping[str, Any], options: ProofOptions, *, contexts: LocalContexts | None = None
) -> tuple[dict[str, Any], CanonicalForms]:
    """The proof object (without proofValue) and the canonical forms it will sign."""
    ctx = contexts or default_contexts()
    suite = suite_named(options.cryptosuite, code=ProofCode.PROOF_GENERATION_ERROR)
    unsecured = {k: v for k, v in document.items() if k != "proof"}
    previous = (
        [options.previous_proof]
        if isinstance(options.previous_proof, str)
        else list(options.previous_proof or [])
    )
    signed_doc = document_to_sign(
        unsecured, _existing_proofs(document), previous, code=ProofCode.PROOF_GENERATION_ERROR
    )
    proof = options.as_dict()
    if suite.proof_carries_context and "@context" in document:
        # EdDSA §3.3.1 step 2: the JCS proof carries the document's @context.
        proof["@context"] = copy.deepcopy(document["@context"])
    forms = suite.canonical_forms(proof, signed_doc, ctx, code=ProofCode.PROOF_GENERATION_ERROR)
    return proof, forms


def add_proof(
    document: Mapping[str, Any],
    key: KeyPair,
    *,
    cryptosuite: str,
    verification_method: str,
    proof_purpose: str = ASSERTION_METHOD,
    created: datetime | str | None = None,
    expires: datetime | str | None = None,
    challenge: str | None = None,
    domain: str | None = None,
    proof_id: str | None = None,
    previous_proof: str | list[str] | None = None,
    contexts: LocalContexts | None = None,
) -> dict[str, Any]:
    """Add a proof to ``document`` (VC-DI §4.2 Add Proof, §4.3 Add Proof Set/Chain).

    An existing proof stays and the new one joins the set; with ``previous_proof`` the new
    proof also signs the named proofs (a chain).

    Raises:
        ProofError: ``PROOF_GENERATION_ERROR`` for bad options, ``DATA_LOSS_DETECTION_ERROR``
            (a :class:`~vc_core.errors.CanonicalizationError`) for undefined terms.
    """
    options = ProofOptions(
        cryptosuite=cryptosuite,
        verification_method=verification_method,
        proof_purpose=proof_purpose,
        created=format_created(created) if isinstance(created, datetime) else created,
        expires=format_created(expires) if isinstance(expires, datetime) else expires,
        challenge=challenge,
        domain=domain,
        proof_id=proof_id,
        previous_proof=previous_proof,
    )
    proof, forms = canonical_forms_for_signing(document, options, contexts=contexts)
    # EdDSA §3.2.6 / §3.3.6 Proof Serialization: Ed25519 over hashData, then
    # proofValue = "z" + base58btc(signature).
    proof["proofValue"] = primitives.multibase_encode(key.sign(forms.hash_data))
    existing = _existing_proofs(document)
    out = copy.deepcopy(dict(document))
    out["proof"] = proof if not existing else [*existing, proof]
    return out


@dataclass(frozen=True)
class ProofResult:
    """The outcome for one proof of a document."""

    index: int
    cryptosuite: str | None
    verification_method: str | None
    proof_purpose: str | None
    verified: bool
    issuer_controls_method: bool | None
    error: dict[str, Any] | None = None


VALID = "valid"
INVALID = "invalid"
COULD_NOT_CHECK = "could not check"


@dataclass(frozen=True)
class ProofReport:
    """One :class:`ProofResult` per proof; true only when there is a proof and all verified.

    ``document_error`` is set when the document itself breaks a rule checked before any proof
    (VCDM 2.0 structure); then no proof is checked and ``results`` is empty.
    """

    results: tuple[ProofResult, ...]
    errors: tuple[VCError, ...] = field(default=(), repr=False, compare=False)
    document_error: dict[str, Any] | None = None

    def __bool__(self) -> bool:
        return (
            self.document_error is None
            and bool(self.results)
            and all(r.verified for r in self.results)
        )

    @property
    def verdict(self) -> str:
        """``valid``, ``invalid`` or ``could not check`` (DESIGN §5).

        One proof that definitely failed makes the document invalid; when every failure was an
        infrastructure fault (a resolver that could not reach the registry), the answer is
        "could not check" and never "invalid".
        """
        if self:
            return VALID
        if self.errors and all(isinstance(e, RegistryError) for e in self.errors):
            return COULD_NOT_CHECK
        return INVALID

    @property
    def exit_code(self) -> int:
        """The CLI exit code of the verdict: 0 valid, 1 invalid, 3 could not check."""
        return {VALID: 0, INVALID: 1, COULD_NOT_CHECK: RegistryError.exit_code}[self.verdict]

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "verified": bool(self),
            "verdict": self.verdict,
            "proofs": [
                {
                    "index": r.index,
                    "cryptosuite": r.cryptosuite,
                    "verificationMethod": r.verification_method,
                    "proofPurpose": r.proof_purpose,
                    "verified": r.verified,
                    "issuerControlsVerificationMethod": r.issuer_controls_method,
                    **({"error": r.error} if r.error else {}),
                }
                for r in self.results
            ],
        }
        if self.document_error is not None:
            out["error"] = self.document_error
        return out


@dataclass(frozen=True)
class Expectations:
    """What the caller requires of every proof (VC-DI §4.4 steps 6–8, and ecert policy).

    The defaults fail closed: the proof purpose must be ``assertionMethod`` for a credential and
    ``authentication`` for a presentation; the verification method must belong to the issuer
    (for a presentation, the holder); ``created`` may not be later than ``now`` plus
    ``clock_skew``; and ``expires`` must be after ``now``. Each ``allow_*``/``any_*`` flag
    relaxes exactly one of these, and a caller sets it on purpose (the W3C vectors, for one, are
    signed by a key their issuer does not control).

    Attributes:
        proof_purpose: the purpose to require; ``None`` means the default for the document kind.
        challenge, domain: required values, when set (VC-DI §4.4 steps 7–8).
        clock_skew: how far ``created`` may be ahead of ``now``.
        any_purpose: accept any purpose (only when ``proof_purpose`` is ``None``).
        allow_uncontrolled_key: accept a key that is not the issuer's (or holder's).
        allow_future_created: accept ``created`` later than ``now + clock_skew``.
        allow_expired: accept a proof whose ``expires`` has passed.
    """

    proof_purpose: str | None = None
    challenge: str | None = None
    domain: str | None = None
    clock_skew: timedelta = CLOCK_SKEW
    any_purpose: bool = False
    allow_uncontrolled_key: bool = False
    allow_future_created: bool = False
    allow_expired: bool = False

    def purpose_for(self, *, presentation: bool) -> str | None:
        """The purpose every proof must have, or ``None`` when any purpose is accepted."""
        if self.proof_purpose is not None:
            return self.proof_purpose
        if self.any_purpose:
            return None
        return AUTHENTICATION if presentation else ASSERTION_METHOD
