"""One error hierarchy for all of ecert, split by who is at fault.

Every error carries a stable ``code`` (an upper-case identifier that never changes meaning), a
human message, and optionally the ``field`` it concerns. The edges map these once: the HTTP edge
turns them into RFC 9457 problem details (see :mod:`vc_core.problems`), the CLI edge into a
message and an exit code.

- :class:`MalformedError`: the caller's input cannot be parsed or is out of bounds
  (exit 2, HTTP 400).
- :class:`VerificationError`: untrusted data was parsed but failed a check (exit 1); one
  subclass per step (:class:`StructureError`, :class:`ProofError`, …).
- :class:`TrustError`: the data is sound, but policy does not trust it (exit 1).
- :class:`RegistryError`: transport or infrastructure failed; the answer is "could not check",
  never "invalid" and never "valid" (exit 3).

Example:
    >>> try:
    ...     raise MalformedError("not JSON", code="NOT_JSON")
    ... except VCError as e:
    ...     e.diagnostics()
    'NOT_JSON: not JSON'
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any, ClassVar


class UsageCode(StrEnum):
    """Stable codes of a command line that the CLI edges refuse before doing anything."""

    BAD_OPTION = "BAD_OPTION"


class VCError(Exception):
    """Base of every error ecert raises on purpose."""

    default_code: ClassVar[str] = "VC_ERROR"
    exit_code: ClassVar[int] = 1
    http_status: ClassVar[int] = 400

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        field: str | None = None,
        details: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code or self.default_code
        self.field = field
        self.details: dict[str, Any] = dict(details or {})

    def diagnostics(self) -> str:
        """A one-line explanation for a person: code, field (if any) and message."""
        # Messages often open with the field already; naming it twice reads as noise.
        named = self.field is None or self.message.startswith(self.field)
        where = "" if named else f" [{self.field}]"
        return f"{self.code}{where}: {self.message}"

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form used in reports and problem details."""
        out: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.field:
            out["field"] = self.field
        if self.details:
            out["details"] = self.details
        return out


class MalformedError(VCError):
    """The caller's input is not well formed: not JSON, too large, missing fields, bad encoding."""

    default_code = "MALFORMED"
    exit_code = 2
    http_status = 400


class NotFoundError(MalformedError):
    """The thing asked for does not exist (HTTP 404)."""

    default_code = "NOT_FOUND"
    http_status = 404


class PayloadTooLargeError(MalformedError):
    """A request body is larger than the service accepts (HTTP 413)."""

    default_code = "PAYLOAD_TOO_LARGE"
    http_status = 413


class UnsupportedMediaTypeError(MalformedError):
    """A request body is not in a media type the endpoint reads (HTTP 415)."""

    default_code = "UNSUPPORTED_MEDIA_TYPE"
    http_status = 415


class ClientDisconnectedError(MalformedError):
    """The client closed its connection before its request arrived whole: nobody is left to
    answer, and nothing went wrong on the service's side (never an internal error)."""

    default_code = "CLIENT_DISCONNECTED"


class ValidationFailedError(MalformedError):
    """A request did not match the endpoint's parameters or body model (HTTP 422)."""

    default_code = "REQUEST_INVALID"
    http_status = 422


class InternalError(VCError):
    """A bug: a service failed in a way it did not plan for. No details leave the process."""

    default_code = "INTERNAL_ERROR"
    exit_code = 70  # EX_SOFTWARE (sysexits.h): not the caller's fault, nor the data's.
    http_status = 500


class VerificationError(VCError):
    """Untrusted data was well formed but failed a check (a signature, a rule, a status)."""

    default_code = "VERIFICATION_FAILED"
    exit_code = 1
    http_status = 422


class StructureError(VerificationError):
    """A document breaks a VC Data Model 2.0 rule that its proof alone does not catch (DESIGN §5
    step 1): the first ``@context``, the ``type``, the ``issuer``."""

    default_code = "VCDM_INVALID"


class ProofError(VerificationError):
    """A Data Integrity proof failed to verify (W3C VC-DI 4.4 "Verify Proof")."""

    default_code = "PROOF_VERIFICATION_ERROR"


class CanonicalizationError(VerificationError):
    """JSON-LD processing would lose data or refer outside the local contexts (VC-DI 2.4.3)."""

    default_code = "DATA_LOSS_DETECTION_ERROR"


class SchemaError(VerificationError):
    """A credential does not satisfy its type's JSON Schema or identifier rules."""

    default_code = "SCHEMA_INVALID"


class IdentifierError(SchemaError):
    """An identifier (USCC, resident ID, division code, property number) is invalid."""

    default_code = "IDENTIFIER_INVALID"


class TrustError(VCError):
    """The data verified, but policy or the trust store does not trust its author."""

    default_code = "NOT_TRUSTED"
    exit_code = 1
    http_status = 403


class RegistryError(VCError):
    """Transport or infrastructure failure: the check could not run ("could not check")."""

    default_code = "REGISTRY_UNAVAILABLE"
    exit_code = 3
    http_status = 503
