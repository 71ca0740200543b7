"""Data Integrity proofs with the EdDSA cryptosuites: the safe, top-level calls.

``add_proof`` signs; ``verify_proofs`` raises on the first failure; ``check_proofs`` returns a
report. Both take the time to check at (``now``) and fail closed: purpose, the issuer's control
of the key, ``created`` and ``expires`` are checked unless :class:`Expectations` relaxes them.
Proof sets and chains follow VC-DI 1.0 §4.3 and §4.5.
"""

from vc_core.dataintegrity.codes import ProofCode
from vc_core.dataintegrity.proofs import (
    ASSERTION_METHOD,
    AUTHENTICATION,
    CLOCK_SKEW,
    COULD_NOT_CHECK,
    INVALID,
    VALID,
    Expectations,
    ProofOptions,
    ProofReport,
    ProofResult,
    Resolver,
    add_proof,
    canonical_forms_for_signing,
    did_key_resolver,
    format_created,
)
from vc_core.dataintegrity.suites import (
    DATA_INTEGRITY_PROOF,
    EDDSA_JCS_2022,
    EDDSA_RDFC_2022,
    CanonicalForms,
    suite_named,
)
from vc_core.dataintegrity.verify import check_proofs, verify_proofs

CRYPTOSUITES = (EDDSA_RDFC_2022, EDDSA_JCS_2022)

__all__ = [
    "ASSERTION_METHOD",
    "AUTHENTICATION",
    "CLOCK_SKEW",
    "COULD_NOT_CHECK",
    "CRYPTOSUITES",
    "DATA_INTEGRITY_PROOF",
    "EDDSA_JCS_2022",
    "EDDSA_RDFC_2022",
    "INVALID",
    "VALID",
    "CanonicalForms",
    "Expectations",
    "ProofCode",
    "ProofOptions",
    "ProofReport",
    "ProofResult",
    "Resolver",
    "add_proof",
    "canonical_forms_for_signing",
    "check_proofs",
    "did_key_resolver",
    "format_created",
    "suite_named",
    "verify_proofs",
]
