"""The wallet's side of OpenID4VCI 1.0, pre-authorized code flow: redeem an offer URI.

:func:`receive` runs these steps; each failure raises one typed error whose message says what
to do, and nothing is written to the store (the caller stores only what this returns):

(0) The URI: ``openid-credential-offer://`` with exactly one of ``credential_offer`` (by value)
    or ``credential_offer_uri`` (by reference, OpenID4VCI 1.0 §4.1); another scheme is
    ``UNKNOWN_URI_SCHEME``.
(1) The offer: fetched by reference (``OFFER_EXPIRED`` / ``OFFER_USED`` when the office says
    so), with one configuration and the pre-authorized grant.
(2) Metadata: the Credential Issuer Metadata at the path-inserted well-known URL (§12.2.2);
    its ``credential_issuer`` must equal the offer's exactly (§12.2.3). The authorization
    server is the issuer itself unless ``authorization_servers`` names one; its RFC 8414
    metadata gives the token endpoint.
(3) Token: the pre-authorized code and the tx_code (asked for only now, checked against the
    offer's ``input_mode`` and ``length`` first so a typo costs no try) → an access token
    (``TX_CODE_REFUSED`` for the office's ``invalid_grant``).
(4) Nonce and key proof: a ``c_nonce`` from the nonce endpoint; an ``openid4vci-proof+jwt``
    (Appendix F.1: ``typ``, ``alg`` EdDSA, ``kid`` the holder's did:key method; ``aud`` the
    issuer, ``iat``, ``nonce``) signed by the holder key with jwcrypto.
(5) Credential: ``{"credential_configuration_id", "proofs": {"jwt": [proof]}}`` → §8.3's
    ``{"credentials": [{"credential": …}]}``; an ``invalid_nonce`` answer is retried once with a
    new nonce.
(6) Check before keeping: an ``ldp_vc`` object of the VCDM 2.0 shape, of the offered type, its
    subject the holder's DID, and its Data Integrity proof valid for the key its verification
    method names (``vc_core.dataintegrity``; offline). Whether that key is the office's on the
    registry is for ``verify`` against the chain.

Only ``https`` URLs are followed, and ``http`` to the loopback address for local tests.
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any
from urllib.parse import parse_qs, urlsplit, urlunsplit

import httpx
from jwcrypto import jwk, jws

from vc_core.dataintegrity import verify_proofs
from vc_core.did import did_key, verification_method_id
from vc_core.errors import (
    MalformedError,
    ProofError,
    RegistryError,
    VCError,
    VerificationError,
)
from vc_core.jsonio import parse_object
from vc_core.keys import KeyPair, PublicKey
from vc_core.models import Credential
from wallet_cli import bounded
from wallet_cli.records import credential_type

OFFER_SCHEME = "openid-credential-offer"
PRE_AUTHORIZED_GRANT = "urn:ietf:params:oauth:grant-type:pre-authorized_code"
PROOF_TYP = "openid4vci-proof+jwt"
MAX_ANSWER_BYTES = 4 * 1024 * 1024
TIMEOUT_S = 20.0
TOTAL_S = 60.0  # the longest one exchange with the office may take, however it trickles
_LOOPBACK = {"127.0.0.1", "::1", "localhost"}


class ReceiveCode(StrEnum):
    """Stable codes of what can go wrong while receiving a credential."""

    UNKNOWN_URI_SCHEME = "UNKNOWN_URI_SCHEME"
    OFFER_MALFORMED = "OFFER_MALFORMED"
    OFFER_EXPIRED = "OFFER_EXPIRED"
    OFFER_USED = "OFFER_USED"
    OFFER_PENDING_APPROVAL = "OFFER_PENDING_APPROVAL"
    INSECURE_URL = "INSECURE_URL"
    ISSUER_UNREACHABLE = "ISSUER_UNREACHABLE"
    ISSUER_ANSWER_MALFORMED = "ISSUER_ANSWER_MALFORMED"
    ISSUER_MISMATCH = "ISSUER_MISMATCH"
    TX_CODE_MALFORMED = "TX_CODE_MALFORMED"
    TX_CODE_REFUSED = "TX_CODE_REFUSED"
    ISSUER_REFUSED = "ISSUER_REFUSED"
    CREDENTIAL_NOT_BOUND = "CREDENTIAL_NOT_BOUND"


@dataclass(frozen=True)
class TxCodeSpec:
    """What the offer says of its tx_code (OpenID4VCI 1.0 §4.1.1)."""

    input_mode: str
    length: int | None
    description: str | None

    def check(self, value: str) -> str:
        """``value`` stripped, if it has the offer's form (else ``TX_CODE_MALFORMED``)."""
        value = value.strip()
        numeric_ok = self.input_mode != "numeric" or value.isdigit()
        length_ok = self.length is None or len(value) == self.length
        if not value or not numeric_ok or not length_ok:
            unit = "digits" if self.input_mode == "numeric" else "characters"
            shape = f"{self.length or 'some'} {unit}"
            raise MalformedError(
                f"the transaction code should be {shape}; nothing was sent to the office",
                code=ReceiveCode.TX_CODE_MALFORMED,
            )
        return value


@dataclass(frozen=True)
class Offer:
    """A parsed Credential Offer with the pre-authorized grant."""

    credential_issuer: str
    configuration_id: str
    code: str
    tx_code: TxCodeSpec | None


@dataclass(frozen=True)
class Received:
    """A credential received and checked, and the issuer it came from (for ``sync``)."""

    credential: dict[str, Any]
    credential_issuer: str


def _malformed(message: str) -> MalformedError:
    return MalformedError(message, code=ReceiveCode.OFFER_MALFORMED)


def checked_url(url: str, what: str) -> str:
    """``url`` if it is https, or http to the loopback address (tests), else ``INSECURE_URL``."""
    parts = urlsplit(url)
    if parts.scheme == "https" and parts.hostname:
        return url
    if parts.scheme == "http" and parts.hostname in _LOOPBACK:
        return url
    raise MalformedError(
        f"{what} must be an https URL, not {url[:80]!r}", code=ReceiveCode.INSECURE_URL
    )


def parse_offer_uri(uri: str) -> tuple[dict[str, Any] | None, str | None]:
    """Step (0): ``(offer by value, None)`` or ``(None, offer URL)``."""
    parts = urlsplit(uri.strip())
    if parts.scheme != OFFER_SCHEME:
        shown = parts.scheme or uri.strip()[:40]
        raise MalformedError(
            f"not a credential offer: the URI scheme is {shown!r}, expected "
            f"{OFFER_SCHEME}:// (scan or paste the offer the office gave you)",
            code=ReceiveCode.UNKNOWN_URI_SCHEME,
        )
    query = parse_qs(parts.query, keep_blank_values=True)
    by_value, by_reference = query.get("credential_offer"), query.get("credential_offer_uri")
    if (by_value is None) == (by_reference is None) or len(by_value or by_reference or []) != 1:
        raise _malformed("the offer URI needs exactly one credential_offer or credential_offer_uri")
    if by_value is not None:
        return parse_object(by_value[0].encode("utf-8")), None
    return None, checked_url((by_reference or [""])[0], "credential_offer_uri")


def parse_offer(document: dict[str, Any]) -> Offer:
    """Step (1): the offer's issuer, its one configuration, the code and the tx_code form."""
    issuer = document.get("credential_issuer")
    ids = document.get("credential_configuration_ids")
    grants = document.get("grants")
    grant = grants.get(PRE_AUTHORIZED_GRANT) if isinstance(grants, dict) else None
    if not isinstance(issuer, str) or not isinstance(ids, list) or not ids:
        raise _malformed("the offer lacks credential_issuer or credential_configuration_ids")
    if not isinstance(grant, dict) or not isinstance(grant.get("pre-authorized_code"), str):
        raise _malformed("the offer has no pre-authorized code (only that flow is supported)")
    if len(ids) != 1 or not isinstance(ids[0], str):
        raise _malformed("the offer must name one credential configuration")
    spec = grant.get("tx_code")
    tx: TxCodeSpec | None = None
    if isinstance(spec, dict):
        length = spec.get("length")
        description = spec.get("description")
        tx = TxCodeSpec(
            input_mode="text" if spec.get("input_mode") == "text" else "numeric",
            length=length if isinstance(length, int) and 0 < length <= 64 else None,
            description=description[:300] if isinstance(description, str) else None,
        )
    return Offer(checked_url(issuer, "credential_issuer"), ids[0], grant["pre-authorized_code"], tx)


def well_known(identifier: str, suffix: str) -> str:
    """The well-known URL inserted between host and path (RFC 8414 §3.1, OpenID4VCI §12.2.2)."""
    parts = urlsplit(identifier)
    path = "/.well-known/" + suffix + parts.path.rstrip("/")
    return urlunsplit((parts.scheme, parts.netloc, path, "", ""))


class Session:
    """One HTTP client for the flow, with the wallet's error mapping."""

    def __init__(self, client: httpx.Client | None = None) -> None:
        self.http = client or httpx.Client(timeout=TIMEOUT_S, follow_redirects=False)

    def close(self) -> None:
        self.http.close()

    def send(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        try:
            return bounded.request(
                self.http, method, url, max_bytes=MAX_ANSWER_BYTES, total_s=TOTAL_S, **kwargs
            )
        except httpx.HTTPError as exc:
            host = urlsplit(url).netloc
            raise RegistryError(
                f"could not reach the office at {host} ({type(exc).__name__}); check the "
                "network and try again — the offer is still valid until it expires",
                code=ReceiveCode.ISSUER_UNREACHABLE,
            ) from None

    def json_of(self, response: httpx.Response, what: str) -> dict[str, Any]:
        try:
            return parse_object(response.content, max_bytes=MAX_ANSWER_BYTES)
        except MalformedError:
            raise MalformedError(
                f"the office's {what} answer is not JSON (HTTP {response.status_code})",
                code=ReceiveCode.ISSUER_ANSWER_MALFORMED,
            ) from None


def _oauth_error(body: dict[str, Any]) -> tuple[str, str]:
    error = body.get("error")
    description = body.get("error_description")
    text = " ".join(str(description).split())[:200] if isinstance(description, str) else ""
    return (error if isinstance(error, str) else "unknown"), text


def fetch_offer(session: Session, url: str) -> dict[str, Any]:
    """Step (1) by reference: 404/410 become ``OFFER_EXPIRED`` / ``OFFER_USED``."""
    answer = session.send("GET", url, headers={"Accept": "application/json"})
    if answer.status_code in (404, 410):
        code = session.json_of(answer, "offer").get("code") if answer.content else None
        used = code == ReceiveCode.OFFER_USED
        raise MalformedError(
            "this offer was already used; ask the office for a new offer"
            if used
            else "this offer has expired or does not exist; ask the office for a new offer",
            code=ReceiveCode.OFFER_USED if used else ReceiveCode.OFFER_EXPIRED,
        )
    if answer.status_code == 409:
        code = session.json_of(answer, "offer").get("code") if answer.content else None
        if code == ReceiveCode.OFFER_PENDING_APPROVAL:
            # A type under dual control (a deed): the office's second operator has not yet
            # approved the offer. Nothing is spent; the same URI works once it is approved.
            raise MalformedError(
                "the office has not yet approved this offer; try again later",
                code=ReceiveCode.OFFER_PENDING_APPROVAL,
            )
    if answer.status_code != 200:
        raise _refused(f"the office answered HTTP {answer.status_code} for the offer")
    return session.json_of(answer, "offer")


def _refused(message: str) -> MalformedError:
    return MalformedError(message, code=ReceiveCode.ISSUER_REFUSED)


def endpoints(session: Session, offer: Offer) -> tuple[str, str, str | None]:
    """Step (2): ``(token endpoint, credential endpoint, nonce endpoint)``."""
    url = well_known(offer.credential_issuer, "openid-credential-issuer")
    meta = session.json_of(session.send("GET", url), "issuer metadata")
    if meta.get("credential_issuer") != offer.credential_issuer:
        raise MalformedError(
            "the office's metadata names another credential issuer than the offer; refused",
            code=ReceiveCode.ISSUER_MISMATCH,
        )
    configurations = meta.get("credential_configurations_supported")
    if not isinstance(configurations, dict) or offer.configuration_id not in configurations:
        raise _refused(f"the office does not describe {offer.configuration_id}")
    credential = meta.get("credential_endpoint")
    nonce = meta.get("nonce_endpoint")
    servers = meta.get("authorization_servers")
    server = servers[0] if isinstance(servers, list) and servers else offer.credential_issuer
    as_url = well_known(
        checked_url(str(server), "authorization server"), "oauth-authorization-server"
    )
    token = session.json_of(session.send("GET", as_url), "authorization server").get(
        "token_endpoint"
    )
    if not isinstance(credential, str) or not isinstance(token, str):
        raise _refused("the office's metadata lacks its credential or token endpoint")
    return (
        checked_url(token, "token_endpoint"),
        checked_url(credential, "credential_endpoint"),
        checked_url(nonce, "nonce_endpoint") if isinstance(nonce, str) else None,
    )


def request_token(session: Session, url: str, offer: Offer, tx_code: str | None) -> str:
    """Step (3)."""
    form = {"grant_type": PRE_AUTHORIZED_GRANT, "pre-authorized_code": offer.code}
    if tx_code is not None:
        form["tx_code"] = tx_code
    answer = session.send("POST", url, data=form)
    body = session.json_of(answer, "token")
    if answer.status_code != 200:
        error, text = _oauth_error(body)
        if error == "invalid_grant":
            raise MalformedError(
                f"the office refused the code ({text or error}); check the transaction code, "
                "or ask the office for a new offer",
                code=ReceiveCode.TX_CODE_REFUSED,
            )
        raise _refused(f"the office refused the token request: {error}: {text}")
    token = body.get("access_token")
    if not isinstance(token, str) or not token:
        raise MalformedError(
            "the token answer has no access_token", code=ReceiveCode.ISSUER_ANSWER_MALFORMED
        )
    return token


def request_nonce(session: Session, url: str) -> str:
    body = session.json_of(session.send("POST", url), "nonce")
    nonce = body.get("c_nonce")
    if not isinstance(nonce, str) or not nonce:
        raise MalformedError(
            "the nonce answer has no c_nonce", code=ReceiveCode.ISSUER_ANSWER_MALFORMED
        )
    return nonce


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def key_proof(holder: KeyPair, *, audience: str, nonce: str | None, now: datetime) -> str:
    """Step (4): an ``openid4vci-proof+jwt`` by ``holder`` (OpenID4VCI 1.0 Appendix F.1)."""
    key = jwk.JWK(kty="OKP", crv="Ed25519", x=_b64url(holder.public.raw), d=_b64url(holder.seed))
    claims: dict[str, Any] = {"aud": audience, "iat": int(now.timestamp())}
    if nonce is not None:
        claims["nonce"] = nonce
    token = jws.JWS(json.dumps(claims, separators=(",", ":")).encode("utf-8"))
    header = {"alg": "EdDSA", "typ": PROOF_TYP, "kid": verification_method_id(holder.public)}
    token.add_signature(key, alg="EdDSA", protected=json.dumps(header))
    compact: str = token.serialize(compact=True)
    return compact


def request_credential(
    session: Session, url: str, *, token: str, configuration_id: str, proof: str
) -> tuple[int, dict[str, Any]]:
    """Step (5), one attempt: the HTTP status and the JSON answer."""
    body = {"credential_configuration_id": configuration_id, "proofs": {"jwt": [proof]}}
    answer = session.send("POST", url, json=body, headers={"Authorization": f"Bearer {token}"})
    return answer.status_code, session.json_of(answer, "credential")


def _credential_of(body: dict[str, Any]) -> dict[str, Any]:
    items = body.get("credentials")
    first = items[0] if isinstance(items, list) and len(items) == 1 else None
    credential = first.get("credential") if isinstance(first, dict) else None
    if not isinstance(credential, dict):
        raise MalformedError(
            "the credential answer is not one ldp_vc credential",
            code=ReceiveCode.ISSUER_ANSWER_MALFORMED,
        )
    return credential


def _named_key(vm: str, purpose: str) -> PublicKey:
    """The key a verification method names in its fragment (did:key and did:ecert both do)."""
    fragment = vm.partition("#")[2]
    try:
        return PublicKey.from_multibase(fragment)
    except VCError:
        raise ProofError(f"the verification method {vm} names no Ed25519 key") from None


def check_received(
    credential: dict[str, Any], *, holder: KeyPair, offer: Offer, now: datetime
) -> None:
    """Step (6)."""
    Credential.from_dict(credential)
    if credential_type(credential) != offer.configuration_id:
        raise VerificationError(
            f"the office sent a {credential_type(credential)}, not the offered "
            f"{offer.configuration_id}",
            code=ReceiveCode.ISSUER_MISMATCH,
        )
    subject = credential.get("credentialSubject")
    if not isinstance(subject, dict) or subject.get("id") != did_key(holder.public):
        raise VerificationError(
            "the credential is not bound to this wallet's DID; refused",
            code=ReceiveCode.CREDENTIAL_NOT_BOUND,
        )
    verify_proofs(credential, now=now, resolver=_named_key)


def receive(
    uri: str,
    *,
    holder: KeyPair,
    tx_code: Callable[[TxCodeSpec], str],
    now: Callable[[], datetime],
    session: Session | None = None,
) -> Received:
    """Steps (0)–(6): redeem ``uri`` and return the checked credential (not stored)."""
    own = session is None
    http = session or Session()
    try:
        by_value, url = parse_offer_uri(uri)
        offer = parse_offer(by_value if by_value is not None else fetch_offer(http, url or ""))
        token_url, credential_url, nonce_url = endpoints(http, offer)
        code = offer.tx_code.check(tx_code(offer.tx_code)) if offer.tx_code else None
        token = request_token(http, token_url, offer, code)
        for attempt in range(2):
            nonce = request_nonce(http, nonce_url) if nonce_url else None
            proof = key_proof(holder, audience=offer.credential_issuer, nonce=nonce, now=now())
            status, body = request_credential(
                http,
                credential_url,
                token=token,
                configuration_id=offer.configuration_id,
                proof=proof,
            )
            error, text = _oauth_error(body)
            if status == 200 or error != "invalid_nonce" or attempt:
                break
            time.sleep(0.1)
        if status != 200:
            raise _refused(f"the office refused the credential request: {error}: {text}")
        credential = _credential_of(body)
        check_received(credential, holder=holder, offer=offer, now=now())
        return Received(credential=credential, credential_issuer=offer.credential_issuer)
    finally:
        if own:
            http.close()


__all__ = ["ReceiveCode", "Received", "TxCodeSpec", "key_proof", "parse_offer_uri", "receive"]
