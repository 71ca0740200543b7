"""did:web keys, resolved from a DID document the caller already holds (W3C CCG did:web).

A bank may sign its verifier's receipts as ``did:web:bank.example`` rather than as a bare
``did:key``, so that a receipt names the bank. did:web is resolved by fetching
``https://bank.example/.well-known/did.json``, but ecert never fetches anything while it
verifies: whoever checks a receipt supplies the document they trust (saved when the bank
published it, or handed over with the evidence), and a did:web with no document supplied is
"could not check" (``DID_DOCUMENT_MISSING``), never "invalid" and never "valid".

A document is read strictly (DID Core 1.0 §5): its ``id`` is the DID, each verification method a
``Multikey`` with an Ed25519 ``publicKeyMultibase`` and the DID as ``controller``, and a key
counts for a proof purpose only when the document lists it under that relationship (§5.3).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from enum import StrEnum
from typing import Any

from vc_core.errors import MalformedError, ProofError, RegistryError
from vc_core.keys import PublicKey, decode_public_multikey

DID_WEB_PREFIX = "did:web:"
# did:web method-specific id: a host (a port as %3A), then optional colon-separated path parts.
_DID_WEB = re.compile(r"did:web:[A-Za-z0-9.-]+(?:%3A[0-9]{1,5})?(?::[A-Za-z0-9._~%-]+)*")
DID_CONTEXT = "https://www.w3.org/ns/did/v1"
MULTIKEY_CONTEXT = "https://w3id.org/security/multikey/v1"


class DidWebCode(StrEnum):
    """Stable codes of did:web identifiers and documents."""

    INVALID_DID_WEB = "INVALID_DID_WEB"
    INVALID_DID_DOCUMENT = "INVALID_DID_DOCUMENT"
    DID_DOCUMENT_MISSING = "DID_DOCUMENT_MISSING"
    UNKNOWN_VERIFICATION_METHOD = "UNKNOWN_VERIFICATION_METHOD"
    VERIFICATION_METHOD_NOT_AUTHORIZED = "VERIFICATION_METHOD_NOT_AUTHORIZED"


def is_did_web(value: str) -> bool:
    """Whether ``value`` is a well-formed did:web DID (no fragment, no query)."""
    return _DID_WEB.fullmatch(value) is not None


def _bad(message: str) -> MalformedError:
    return MalformedError(message, code=DidWebCode.INVALID_DID_DOCUMENT)


def did_web_document(did: str, public: PublicKey, *, key_id: str | None = None) -> dict[str, Any]:
    """The DID document a bank publishes for ``did`` with one Ed25519 key for assertions.

    The key's fragment is its Multikey unless ``key_id`` is given; the same key may be listed
    under several DIDs.
    """
    if not is_did_web(did):
        raise MalformedError(f"not a did:web DID: {did!r}", code=DidWebCode.INVALID_DID_WEB)
    method = f"{did}#{key_id or public.multibase}"
    return {
        "@context": [DID_CONTEXT, MULTIKEY_CONTEXT],
        "id": did,
        "verificationMethod": [
            {
                "id": method,
                "type": "Multikey",
                "controller": did,
                "publicKeyMultibase": public.multibase,
            }
        ],
        "assertionMethod": [method],
    }


def _absolute(did: str, reference: Any) -> str:
    """A relationship entry as an absolute method id (DID Core allows ``#key`` relative ones)."""
    if not isinstance(reference, str):
        raise _bad("a verification relationship lists method ids (embedded methods are refused)")
    return did + reference if reference.startswith("#") else reference


def _methods(did: str, document: Mapping[str, Any]) -> dict[str, PublicKey]:
    """The document's Ed25519 Multikey methods by absolute id."""
    listed = document.get("verificationMethod")
    if not isinstance(listed, list):
        raise _bad("verificationMethod must be a list")
    methods: dict[str, PublicKey] = {}
    for method in listed:
        if not isinstance(method, dict) or method.get("type") != "Multikey":
            raise _bad("each verification method is a Multikey object")
        if method.get("controller") != did:
            raise _bad(f"a verification method's controller must be {did}")
        method_id = _absolute(did, method.get("id"))
        if not method_id.startswith(did + "#") or method_id in methods:
            raise _bad(f"a verification method id must be {did}#… and listed once")
        encoded = method.get("publicKeyMultibase")
        if not isinstance(encoded, str):
            raise _bad("a verification method needs a publicKeyMultibase")
        methods[method_id] = PublicKey(decode_public_multikey(encoded))
    return methods


def resolve_did_web(vm: str, purpose: str, documents: Mapping[str, Mapping[str, Any]]) -> PublicKey:
    """The key of verification method ``vm`` for ``purpose``, from the supplied documents.

    Raises:
        MalformedError: ``INVALID_DID_WEB`` or ``INVALID_DID_DOCUMENT``.
        RegistryError: ``DID_DOCUMENT_MISSING``: no document for the DID was supplied.
        ProofError: ``UNKNOWN_VERIFICATION_METHOD``, or ``VERIFICATION_METHOD_NOT_AUTHORIZED``
            when the document does not list the method under ``purpose``.
    """
    did, _, fragment = vm.partition("#")
    if not is_did_web(did) or not fragment:
        raise MalformedError(
            f"not a did:web verification method: {vm!r}", code=DidWebCode.INVALID_DID_WEB
        )
    document = documents.get(did)
    if document is None:
        raise RegistryError(
            f"no DID document for {did} was supplied; did:web is never fetched while verifying",
            code=DidWebCode.DID_DOCUMENT_MISSING,
            field="proof.verificationMethod",
        )
    if document.get("id") != did:
        raise _bad(f"the DID document's id is not {did}")
    methods = _methods(did, document)
    if vm not in methods:
        raise ProofError(
            f"{did}'s document has no method {vm}", code=DidWebCode.UNKNOWN_VERIFICATION_METHOD
        )
    granted = document.get(purpose, [])
    if not isinstance(granted, list) or vm not in {_absolute(did, r) for r in granted}:
        raise ProofError(
            f"{did}'s document does not grant {vm} for {purpose}",
            code=DidWebCode.VERIFICATION_METHOD_NOT_AUTHORIZED,
        )
    return methods[vm]


__all__ = [
    "DID_WEB_PREFIX",
    "DidWebCode",
    "did_web_document",
    "is_did_web",
    "resolve_did_web",
]
