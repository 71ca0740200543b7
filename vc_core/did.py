"""did:key for Ed25519, created and resolved offline (W3C CCG did:key v0.7, §3).

``did:key:<mb>`` where ``<mb>`` is the ``z6Mk…`` Multikey; its one verification method is
``did:key:<mb>#<mb>``. Resolution decodes the identifier itself: no network, ever.

Example:
    >>> from vc_core.keys import KeyPair
    >>> kp = KeyPair.generate()
    >>> resolve_verification_method(verification_method_id(kp.public)).raw == kp.public.raw
    True
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from vc_core.did_ecert import DidCode
from vc_core.errors import MalformedError
from vc_core.keys import PublicKey, decode_public_multikey

DID_KEY_PREFIX = "did:key:"


def did_key(public: PublicKey) -> str:
    """The did:key DID of an Ed25519 public key."""
    return DID_KEY_PREFIX + public.multibase


def verification_method_id(public: PublicKey) -> str:
    """The id of the did:key's single verification method, ``did:key:<mb>#<mb>``."""
    mb = public.multibase
    return f"{DID_KEY_PREFIX}{mb}#{mb}"


def controller_of(verification_method: str) -> str:
    """The DID part of a verification-method URL (everything before ``#``)."""
    return verification_method.split("#", 1)[0]


@lru_cache(maxsize=4096)
def resolve_verification_method(vm: str) -> PublicKey:
    """Resolve a did:key verification method to its public key, offline.

    Raises:
        MalformedError: not a did:key URL, a fragment that names another key, or a bad Multikey.
    """
    if not isinstance(vm, str) or not vm.startswith(DID_KEY_PREFIX):
        raise MalformedError(
            f"not a did:key verification method: {vm!r}",
            code=DidCode.UNSUPPORTED_DID_METHOD,
            field="verificationMethod",
        )
    did, _, fragment = vm.partition("#")
    mb = did[len(DID_KEY_PREFIX) :]
    if fragment and fragment != mb:
        raise MalformedError(
            "a did:key verification method's fragment must repeat its key",
            code=DidCode.INVALID_VERIFICATION_METHOD,
            field="verificationMethod",
        )
    return PublicKey(decode_public_multikey(mb, field="verificationMethod"))


def resolve_did_key(did: str) -> dict[str, Any]:
    """The DID document of a did:key (did:key spec §3.1.2, Multikey form)."""
    public = resolve_verification_method(did)
    did = controller_of(did)
    vm_id = verification_method_id(public)
    return {
        "@context": ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/multikey/v1"],
        "id": did,
        "verificationMethod": [
            {
                "id": vm_id,
                "type": "Multikey",
                "controller": did,
                "publicKeyMultibase": public.multibase,
            }
        ],
        "authentication": [vm_id],
        "assertionMethod": [vm_id],
        "capabilityInvocation": [vm_id],
        "capabilityDelegation": [vm_id],
    }
