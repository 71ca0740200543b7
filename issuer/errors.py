"""The issuer's own conditions, as children of the one hierarchy in :mod:`vc_core.errors`.

They exist only at the issuer's HTTP edge (authentication, conflicts), so they live here rather
than in the core; a body that is not JSON is the core's
:class:`~vc_core.errors.UnsupportedMediaTypeError`, as in every service. The edge maps them like
every other ``VCError``, with stable codes and ``type`` URIs from :mod:`vc_core.problems`.
"""

from __future__ import annotations

from vc_core.errors import MalformedError, TrustError


class NotAuthenticatedError(TrustError):
    """No valid operator token (RFC 6750 §3.1 ``invalid_token``): HTTP 401."""

    default_code = "NOT_AUTHENTICATED"
    http_status = 401


class ForbiddenError(TrustError):
    """A valid operator whose role or credential-type scope does not allow this: HTTP 403."""

    default_code = "FORBIDDEN"
    http_status = 403


class ConflictError(MalformedError):
    """The request clashes with what is stored (a credential id already used): HTTP 409."""

    default_code = "CONFLICT"
    http_status = 409
