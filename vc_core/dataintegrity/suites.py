"""The two EdDSA cryptosuites of "Data Integrity EdDSA Cryptosuites v1.0" (W3C REC 2025-05-15).

Each suite turns (unsecured document, proof configuration) into the 64 bytes that Ed25519 signs:
``SHA-256(canonical proof config) ‖ SHA-256(canonical document)``, proof configuration first
(EdDSA §3.2.4 and §3.3.4; the vectors confirm the order). Only :mod:`vc_core.canon` makes the
canonical bytes.
"""

from __future__ import annotations

import hashlib
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from vc_core.canon import LocalContexts, jcs
from vc_core.canon.fast import check_terms_fast, rdfc_fast
from vc_core.dataintegrity.codes import ProofCode
from vc_core.errors import ProofError

DATA_INTEGRITY_PROOF = "DataIntegrityProof"
EDDSA_RDFC_2022 = "eddsa-rdfc-2022"
EDDSA_JCS_2022 = "eddsa-jcs-2022"

Canonicalizer = Callable[[Mapping[str, Any], LocalContexts], str]


def _rdfc() -> Canonicalizer:
    """The RDFC-1.0 implementation in use: the fast path, which defers to the pyld reference for
    anything outside the subset it handles and is differential-tested against it."""
    return rdfc_fast


@dataclass(frozen=True)
class CanonicalForms:
    """The intermediate values of one proof, kept so tests can pin every step to the vectors."""

    proof_config: bytes
    document: bytes
    proof_hash: bytes
    document_hash: bytes

    @property
    def hash_data(self) -> bytes:
        # EdDSA §3.2.4 / §3.3.4: proofConfigHash ‖ transformedDocumentHash.
        return self.proof_hash + self.document_hash


def _check_options(options: Mapping[str, Any], suite: str, code: str) -> None:
    """EdDSA §3.2.5 / §3.3.5 step 1–2: the proof must be a DataIntegrityProof of this suite."""
    if options.get("type") != DATA_INTEGRITY_PROOF:
        raise ProofError(
            f"proof type must be {DATA_INTEGRITY_PROOF}", code=code, field="proof.type"
        )
    if options.get("cryptosuite") != suite:
        raise ProofError(f"proof cryptosuite must be {suite}", code=code, field="proof.cryptosuite")


class _EddsaSuite(ABC):
    """What both EdDSA suites share: hashing the two canonical forms (EdDSA §3.2.4 / §3.3.4)."""

    name: str
    proof_carries_context: bool

    @abstractmethod
    def transform(
        self,
        document: Mapping[str, Any],
        contexts: LocalContexts,
        *,
        canonical: bytes | None = None,
    ) -> bytes: ...

    @abstractmethod
    def proof_configuration(
        self,
        options: Mapping[str, Any],
        document: Mapping[str, Any],
        contexts: LocalContexts,
        *,
        code: str,
    ) -> bytes: ...

    def canonical_forms(
        self,
        options: Mapping[str, Any],
        document: Mapping[str, Any],
        contexts: LocalContexts,
        *,
        code: str,
    ) -> CanonicalForms:
        config = self.proof_configuration(options, document, contexts, code=code)
        doc = self.transform(document, contexts)
        return CanonicalForms(config, doc, _sha256(config), _sha256(doc))


class EddsaRdfc2022(_EddsaSuite):
    """eddsa-rdfc-2022 (EdDSA §3.2): RDFC-1.0 canonical N-Quads of document and proof config."""

    name = EDDSA_RDFC_2022
    proof_carries_context = False

    def __init__(self, canonicalize: Canonicalizer | None = None) -> None:
        self._canonicalize = canonicalize or _rdfc()

    def transform(
        self,
        document: Mapping[str, Any],
        contexts: LocalContexts,
        *,
        canonical: bytes | None = None,
    ) -> bytes:
        """EdDSA §3.2.3 Transformation: RDFC-1.0 canonical N-Quads of the unsecured document.

        ``canonical`` is the JCS suite's; N-Quads are always computed here."""
        if canonical is not None:
            raise ValueError("eddsa-rdfc-2022 computes its canonical form itself")
        return self._canonicalize(document, contexts).encode("utf-8")

    def proof_configuration(
        self,
        options: Mapping[str, Any],
        document: Mapping[str, Any],
        contexts: LocalContexts,
        *,
        code: str,
    ) -> bytes:
        """EdDSA §3.2.5 Proof Configuration: options with the document's @context, canonicalized."""
        _check_options(options, self.name, code)
        config = {k: v for k, v in options.items() if k != "proofValue"}
        config["@context"] = document.get("@context")
        return self._canonicalize(config, contexts).encode("utf-8")


class EddsaJcs2022(_EddsaSuite):
    """eddsa-jcs-2022 (EdDSA §3.3): RFC 8785 JCS of document and proof config; no JSON-LD."""

    name = EDDSA_JCS_2022
    proof_carries_context = True

    def __init__(self, *, check_terms: bool = True) -> None:
        # EdDSA §3.3.3 does no JSON-LD processing. ecert still refuses undefined terms (DESIGN §4)
        # so that a JCS credential means the same thing to a JSON-LD consumer as it does to us.
        self._check_terms = check_terms

    def transform(
        self,
        document: Mapping[str, Any],
        contexts: LocalContexts,
        *,
        canonical: bytes | None = None,
    ) -> bytes:
        """EdDSA §3.3.3 Transformation: JCS of the unsecured document.

        ``canonical``, when given, is that JCS already made by the caller (from the document's
        digest, :func:`vc_core.canon.jcs.jcs_secured`); the terms are checked all the same.
        """
        if self._check_terms:
            check_terms_fast(document, contexts)
        return jcs(dict(document)) if canonical is None else canonical

    def proof_configuration(
        self,
        options: Mapping[str, Any],
        document: Mapping[str, Any],
        contexts: LocalContexts,
        *,
        code: str,
    ) -> bytes:
        """EdDSA §3.3.5 Proof Configuration: JCS of the proof options including ``@context``."""
        _check_options(options, self.name, code)
        return jcs({k: v for k, v in options.items() if k != "proofValue"})


Cryptosuite = EddsaRdfc2022 | EddsaJcs2022


def suite_named(name: object, *, code: str = ProofCode.PROOF_VERIFICATION_ERROR) -> Cryptosuite:
    """The cryptosuite for a name, or an error naming the unknown suite."""
    if name == EDDSA_RDFC_2022:
        return EddsaRdfc2022()
    if name == EDDSA_JCS_2022:
        return EddsaJcs2022()
    raise ProofError(
        f"unknown cryptosuite {name!r}; ecert supports {EDDSA_RDFC_2022} and {EDDSA_JCS_2022}",
        code=code,
        field="proof.cryptosuite",
    )


def _sha256(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()
