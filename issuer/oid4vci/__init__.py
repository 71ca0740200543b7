"""OpenID for Verifiable Credential Issuance 1.0, the pre-authorized code flow, for one office.

The flow (OpenID4VCI 1.0 §3.5, "Pre-Authorized Code Flow"):

1. An operator asks ``POST /offers`` for a credential of one type with the subject's claims; the
   claims are checked now as issuance would check them (:mod:`.offers`). The answer holds the
   ``openid-credential-offer://?credential_offer_uri=…`` URI, its QR code, and a ``tx_code``
   that the office sends to the citizen by another channel.
2. The wallet reads the offer (``GET /credential-offer/{secret}``), the issuer's metadata
   (:mod:`.metadata`) and the authorization server's, and exchanges the pre-authorized code and
   the tx_code at ``POST /token`` for a short-lived access token (limited tries).
3. It gets a ``c_nonce`` from ``POST /nonce`` (:mod:`.nonces`), signs an
   ``openid4vci-proof+jwt`` with its did:key (:mod:`.proof`), and asks ``POST /credential``
   (:mod:`.credential`), which issues through :func:`issuer.service.issue` with the holder's DID
   as ``credentialSubject.id``.

Secrets are stored as hashes only (:mod:`.tokens`); refusals of the token and credential
endpoints are OAuth errors (:mod:`.errors`); the routes are in :mod:`.routes`.
"""
