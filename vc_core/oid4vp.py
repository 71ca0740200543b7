"""OpenID for Verifiable Presentations 1.0, the cross-device subset both sides share.

The verifier shows ``openid4vp://?client_id=…&request_uri=…`` (§5.10, "Passing Authorization
Request Across Devices"); the wallet GETs ``request_uri`` and receives a Request Object (RFC 9101
JAR), a JWS of type ``oauth-authz-req+jwt`` (§5.10.1). ecert's verifier identifies itself with
the ``decentralized_identifier:`` Client Identifier Prefix (§5.9.3) and a ``did:key``: the
Request Object is signed by that DID's key (``kid`` a verification method of it), so the wallet
checks the signature offline, from the client_id alone. The unsigned alternative,
``redirect_uri:``, must not be signed and gives the wallet nothing to check, and independent
wallets refuse unsigned requests passed by ``request_uri``.

:func:`sign_request_object` is the verifier's step, :func:`read_request_object` the wallet's:
signature by the client_id's DID, ``typ``, ``client_id`` equal to the URI's (§5.10.1: "MUST be
identical"), unexpired, and the parameters of §5.1/§8.2 this subset needs (``response_type =
vp_token``, ``response_mode = direct_post`` with a ``response_uri`` and no ``redirect_uri``, a
``nonce``, a ``state``, a ``dcql_query``).

Example:
    >>> from datetime import UTC, datetime
    >>> from vc_core.keys import KeyPair
    >>> key, now = KeyPair.generate(), datetime(2026, 1, 1, tzinfo=UTC)
    >>> cid = client_id_of(key)
    >>> params = {"response_type": "vp_token", "response_mode": "direct_post",
    ...           "response_uri": "https://v.example/r", "nonce": "n" * 22, "state": "s" * 22,
    ...           "dcql_query": {"credentials": []}}
    >>> jws = sign_request_object(params, key, client_id=cid, now=now, ttl_s=60)
    >>> read_request_object(jws, client_id=cid, now=now)["nonce"] == "n" * 22
    True
    >>> uri = request_uri_link(cid, "https://v.example/q/1")
    >>> parse_link(uri) == (cid, "https://v.example/q/1")
    True
"""

from __future__ import annotations

import base64
import json
from datetime import datetime
from enum import StrEnum
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from jwcrypto import jwk, jws
from jwcrypto.common import JWException

from vc_core.did import did_key, resolve_verification_method, verification_method_id
from vc_core.errors import MalformedError
from vc_core.jsonio import parse_object
from vc_core.keys import KeyPair, PublicKey

SCHEME = "openid4vp"
DID_PREFIX = "decentralized_identifier:"
REQUEST_TYP = "oauth-authz-req+jwt"
REQUEST_MEDIA_TYPE = "application/oauth-authz-req+jwt"
# §5.8 / SIOPv2: the audience of a Request Object whose wallet was not discovered.
STATIC_AUDIENCE = "https://self-issued.me/v2"
MAX_REQUEST_OBJECT = 64 * 1024
MAX_LINK = 4096
# §5.9.3 and the Data Integrity metadata a wallet needs to pick a suite (§11.1, Appendix B.1.3.2).
VP_FORMATS = {
    "ldp_vc": {
        "proof_type_values": ["DataIntegrityProof"],
        "cryptosuite_values": ["eddsa-rdfc-2022", "eddsa-jcs-2022"],
    }
}


class Oid4vpCode(StrEnum):
    """Why an OpenID4VP link or Request Object is refused (the wallet's side; exit 2)."""

    OID4VP_LINK_INVALID = "OID4VP_LINK_INVALID"
    OID4VP_REQUEST_INVALID = "OID4VP_REQUEST_INVALID"
    OID4VP_REQUEST_SIGNATURE = "OID4VP_REQUEST_SIGNATURE"
    OID4VP_REQUEST_EXPIRED = "OID4VP_REQUEST_EXPIRED"


def client_id_of(key: KeyPair) -> str:
    """The verifier's client_id: ``decentralized_identifier:did:key:…`` (§5.9.3)."""
    return DID_PREFIX + did_key(key.public)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _jwk(public: PublicKey, seed: bytes | None = None) -> jwk.JWK:
    # RFC 8037 §2: an Ed25519 key as an OKP JWK.
    fields = {"kty": "OKP", "crv": "Ed25519", "x": _b64(public.raw)}
    if seed is not None:
        fields["d"] = _b64(seed)
    return jwk.JWK(**fields)


def sign_request_object(
    params: dict[str, Any], key: KeyPair, *, client_id: str, now: datetime, ttl_s: int
) -> str:
    """The compact JWS of a Request Object carrying ``params`` (RFC 9101 §4; §5.10.1).

    No ``iss``: OpenID4VP 1.0 names the signer by ``client_id`` and the header's ``kid``
    (§5.9.3), and its own example Request Object has none. RFC 9101's "SHOULD be the client_id"
    would put the prefixed ``decentralized_identifier:did:…`` there, which wallets built on the
    OpenWallet Foundation's ``@openid4vc/openid4vp`` refuse: for a ``did:`` ``kid`` they require
    an ``iss`` to be the bare DID the ``kid`` starts with.
    """
    claims = {
        **params,
        "client_id": client_id,
        "aud": STATIC_AUDIENCE,
        "iat": int(now.timestamp()),
        "exp": int(now.timestamp()) + ttl_s,
    }
    header = {"alg": "EdDSA", "typ": REQUEST_TYP, "kid": verification_method_id(key.public)}
    token = jws.JWS(json.dumps(claims, ensure_ascii=False).encode("utf-8"))
    token.add_signature(_jwk(key.public, key.seed), alg="EdDSA", protected=json.dumps(header))
    compact: str = token.serialize(compact=True)
    return compact


def _invalid(message: str, code: Oid4vpCode = Oid4vpCode.OID4VP_REQUEST_INVALID) -> MalformedError:
    return MalformedError(message, code=code)


def _verified_payload(token: str, client_id: str) -> tuple[dict[str, Any], dict[str, Any]]:
    did = client_id[len(DID_PREFIX) :]
    parsed = jws.JWS()
    try:
        parsed.deserialize(token)
        header = parsed.jose_header
    except (JWException, ValueError, TypeError):
        raise _invalid("the request object is not a compact JWS") from None
    kid = header.get("kid") if isinstance(header, dict) else None
    if not isinstance(kid, str) or kid.split("#", 1)[0] != did:
        raise _invalid("the request object's kid is not a key of its client_id's DID")
    if header.get("alg") != "EdDSA" or header.get("typ") != REQUEST_TYP:
        raise _invalid(f"the request object must be an EdDSA JWS of typ {REQUEST_TYP}")
    public = resolve_verification_method(kid)
    try:
        parsed.verify(_jwk(public), alg="EdDSA")
    except (JWException, ValueError, TypeError):
        raise _invalid(
            "the request object's signature does not verify with its client_id's key",
            Oid4vpCode.OID4VP_REQUEST_SIGNATURE,
        ) from None
    return header, parse_object(parsed.payload, max_bytes=MAX_REQUEST_OBJECT)


def read_request_object(token: str, *, client_id: str, now: datetime) -> dict[str, Any]:
    """The parameters of a signed Request Object, checked (module docstring).

    Raises:
        MalformedError: ``OID4VP_REQUEST_INVALID``, ``OID4VP_REQUEST_SIGNATURE`` or
            ``OID4VP_REQUEST_EXPIRED``.
    """
    if not client_id.startswith(DID_PREFIX + "did:key:"):
        raise _invalid("only decentralized_identifier:did:key client ids are supported")
    if len(token) > MAX_REQUEST_OBJECT:
        raise _invalid("the request object is too large")
    _, claims = _verified_payload(token.strip(), client_id)
    if claims.get("client_id") != client_id:
        raise _invalid("the request object's client_id is not the one in the link (§5.10.1)")
    exp = claims.get("exp")
    if not isinstance(exp, int) or isinstance(exp, bool) or exp <= now.timestamp():
        raise _invalid(
            "the request has expired; ask for a new one", Oid4vpCode.OID4VP_REQUEST_EXPIRED
        )
    wanted = {"response_type": "vp_token", "response_mode": "direct_post"}
    for name, value in wanted.items():
        if claims.get(name) != value:
            raise _invalid(f"{name} must be {value}")
    if "redirect_uri" in claims:
        raise _invalid("redirect_uri must not be present with direct_post (§8.2)")
    for name in ("response_uri", "nonce", "state"):
        if not isinstance(claims.get(name), str) or not claims[name]:
            raise _invalid(f"the request has no {name}")
    if urlsplit(claims["response_uri"]).scheme not in ("https", "http"):
        raise _invalid("response_uri must be an http(s) URL")
    return claims


def request_uri_link(client_id: str, request_uri: str) -> str:
    """``openid4vp://?client_id=…&request_uri=…`` (§5.10)."""
    return f"{SCHEME}://?" + urlencode({"client_id": client_id, "request_uri": request_uri})


def parse_link(link: str) -> tuple[str, str]:
    """``(client_id, request_uri)`` of an ``openid4vp://`` link.

    Raises:
        MalformedError: ``OID4VP_LINK_INVALID``: another scheme, a missing or repeated
            parameter, a request_uri that is not http(s).
    """
    link = link.strip()
    if len(link) > MAX_LINK:
        raise _invalid("the link is too long", Oid4vpCode.OID4VP_LINK_INVALID)
    parts = urlsplit(link)
    if parts.scheme != SCHEME:
        raise _invalid(
            f"not an {SCHEME}:// request link (scheme {parts.scheme or 'none'!r})",
            Oid4vpCode.OID4VP_LINK_INVALID,
        )
    query = parse_qs(parts.query, keep_blank_values=True)
    values = {name: query.get(name, []) for name in ("client_id", "request_uri")}
    if any(len(v) != 1 or not v[0] for v in values.values()):
        raise _invalid(
            "the link must carry one client_id and one request_uri",
            Oid4vpCode.OID4VP_LINK_INVALID,
        )
    request_uri = values["request_uri"][0]
    if urlsplit(request_uri).scheme not in ("https", "http"):
        raise _invalid("request_uri must be an http(s) URL", Oid4vpCode.OID4VP_LINK_INVALID)
    return values["client_id"][0], request_uri
