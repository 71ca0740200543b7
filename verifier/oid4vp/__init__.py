"""OpenID for Verifiable Presentations 1.0, the verifier's side (cross-device, ``direct_post``).

A requester (a bank's system, the clerk's page) creates a presentation request with its API key
(:mod:`.auth`, :mod:`.requests`); the wallet fetches the signed Request Object by ``request_uri``
and posts its ``vp_token`` to the ``response_uri`` (:mod:`.responses`), where it is verified by
the very steps of ``POST /presentations/verify``; the requester polls the verdict. The request
signing key is :mod:`.signer`; the stored requests are :mod:`.tables`.
"""
