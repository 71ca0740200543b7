"""Credential Issuer Metadata (OpenID4VCI 1.0 §12.2) and Authorization Server Metadata
(RFC 8414, with OpenID4VCI 1.0 §12.3's ``pre-authorized_grant_anonymous_access_supported``).

The office is its own authorization server (no ``authorization_servers`` member, §12.2.4), so a
wallet finds the token endpoint at ``/.well-known/oauth-authorization-server``. Every ecert
credential type is one ``ldp_vc`` configuration (Appendix A.1.2), named by the type; its
``credential_signing_alg_values_supported`` is the type's cryptosuite, and holder binding is by
``did:key`` with ``jwt`` key proofs signed ``EdDSA``. Each configuration carries
``credential_metadata.display``: independent wallets take its absence as a pre-1.0 issuer
(``shared/PROTOCOLS.md`` §6).

Example:
    >>> meta = issuer_metadata("https://i.example", office_name="TP", suite_for=lambda t: "x")
    >>> meta["nonce_endpoint"]
    'https://i.example/nonce'
    >>> sorted(meta["credential_configurations_supported"])[0]
    'BusinessLicenceCredential'
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from issuer.oid4vci.offers import PRE_AUTHORIZED_GRANT
from issuer.oid4vci.proof import PROOF_ALG
from vc_core.canon import ECERT_CONTEXT_URL
from vc_core.credential_types import CREDENTIAL_TYPES, credential_schema
from vc_core.models import CREDENTIALS_V2

CREDENTIAL_PATH, NONCE_PATH, TOKEN_PATH = "/credential", "/nonce", "/token"
ISSUER_WELL_KNOWN = "/.well-known/openid-credential-issuer"
AS_WELL_KNOWN = "/.well-known/oauth-authorization-server"
OFFER_PATH = "/credential-offer"


def _display_name(type_name: str) -> str:
    title = credential_schema(type_name).get("title")
    return title if isinstance(title, str) else type_name


def configuration(type_name: str, suite: str) -> dict[str, Any]:
    """The ``ldp_vc`` credential configuration of one ecert type."""
    return {
        "format": "ldp_vc",
        "scope": type_name,
        "cryptographic_binding_methods_supported": ["did:key"],
        "credential_signing_alg_values_supported": [suite],
        "proof_types_supported": {"jwt": {"proof_signing_alg_values_supported": [PROOF_ALG]}},
        "credential_definition": {
            "@context": [CREDENTIALS_V2, ECERT_CONTEXT_URL],
            "type": ["VerifiableCredential", type_name],
        },
        "credential_metadata": {"display": [{"name": _display_name(type_name), "locale": "zh"}]},
    }


def issuer_metadata(
    issuer_id: str, *, office_name: str, suite_for: Callable[[str], str]
) -> dict[str, Any]:
    """``GET /.well-known/openid-credential-issuer``."""
    return {
        "credential_issuer": issuer_id,
        "credential_endpoint": issuer_id + CREDENTIAL_PATH,
        "nonce_endpoint": issuer_id + NONCE_PATH,
        "display": [{"name": office_name}],
        "credential_configurations_supported": {
            name: configuration(name, suite_for(name)) for name in sorted(CREDENTIAL_TYPES)
        },
    }


def authorization_server_metadata(issuer_id: str) -> dict[str, Any]:
    """``GET /.well-known/oauth-authorization-server`` (RFC 8414 §2)."""
    return {
        "issuer": issuer_id,
        "token_endpoint": issuer_id + TOKEN_PATH,
        "grant_types_supported": [PRE_AUTHORIZED_GRANT],
        "token_endpoint_auth_methods_supported": ["none"],
        "response_types_supported": [],
        "pre-authorized_grant_anonymous_access_supported": True,
    }
