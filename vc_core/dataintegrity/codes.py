"""The stable codes of Data Integrity errors, typed once.

The first group is VC-DI 1.0 §2.4 "Processing Errors" (their problem ``type`` is under
``https://w3id.org/security#``); the second is ecert's fail-closed policy and document checks
(:mod:`vc_core.dataintegrity.verify`).
"""

from __future__ import annotations

from enum import StrEnum


class ProofCode(StrEnum):
    """Codes that a proof's creation or verification fails with."""

    # VC-DI 1.0 §2.4.
    PROOF_GENERATION_ERROR = "PROOF_GENERATION_ERROR"
    PROOF_VERIFICATION_ERROR = "PROOF_VERIFICATION_ERROR"
    MALFORMED_PROOF_ERROR = "MALFORMED_PROOF_ERROR"
    MISMATCHED_PROOF_PURPOSE_ERROR = "MISMATCHED_PROOF_PURPOSE_ERROR"
    INVALID_DOMAIN_ERROR = "INVALID_DOMAIN_ERROR"
    INVALID_CHALLENGE_ERROR = "INVALID_CHALLENGE_ERROR"
    # ecert: the document, the policy, and resolution offline.
    VCDM_CONTEXT_INVALID = "VCDM_CONTEXT_INVALID"
    VCDM_TYPE_INVALID = "VCDM_TYPE_INVALID"
    VCDM_ISSUER_INVALID = "VCDM_ISSUER_INVALID"
    PROOF_MISSING = "PROOF_MISSING"
    PROOF_EXPIRED = "PROOF_EXPIRED"
    PROOF_CREATED_IN_FUTURE = "PROOF_CREATED_IN_FUTURE"
    VERIFICATION_METHOD_NOT_CONTROLLED = "VERIFICATION_METHOD_NOT_CONTROLLED"
    DID_NOT_RESOLVABLE_OFFLINE = "DID_NOT_RESOLVABLE_OFFLINE"
