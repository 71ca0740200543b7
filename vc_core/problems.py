"""RFC 9457 problem-detail ``type`` URIs, one per stable error code.

The W3C Data Integrity spec defines some error URLs under ``https://w3id.org/security#``; ecert
uses those where they exist and its own ``https://ecert.example/problems/<code>`` otherwise. The
mapping is stable: a code's URI never changes once published.
"""

from __future__ import annotations

from typing import Any

from vc_core.errors import VCError

SECURITY_VOCAB = "https://w3id.org/security#"
ECERT_PROBLEMS = "https://ecert.example/problems/"

# Codes whose meaning the Data Integrity spec fixes (VC-DI 2.4 "Processing Errors").
_W3C_CODES = frozenset(
    {
        "PROOF_GENERATION_ERROR",
        "PROOF_VERIFICATION_ERROR",
        "PROOF_TRANSFORMATION_ERROR",
        "INVALID_DOMAIN_ERROR",
        "INVALID_CHALLENGE_ERROR",
        "DATA_LOSS_DETECTION_ERROR",
        "MALFORMED_PROOF_ERROR",
        "MISMATCHED_PROOF_PURPOSE_ERROR",
    }
)


def problem_type(code: str) -> str:
    """The stable ``type`` URI for an error code."""
    if code in _W3C_CODES:
        return SECURITY_VOCAB + code
    return ECERT_PROBLEMS + code.lower().replace("_", "-")


def problem_details(error: VCError, *, instance: str | None = None) -> dict[str, Any]:
    """An RFC 9457 problem-details object for ``error`` (no traceback, no secrets)."""
    body: dict[str, Any] = {
        "type": problem_type(error.code),
        "title": error.code.replace("_", " ").capitalize(),
        "status": error.http_status,
        "detail": error.message,
        "code": error.code,
    }
    if error.field:
        body["field"] = error.field
    if instance:
        body["instance"] = instance
    if error.details:
        body["details"] = error.details
    return body
