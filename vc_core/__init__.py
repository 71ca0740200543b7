"""ecert's shared library: models, errors, canonicalization, keys and DIDs, proof suites,
Merkle proofs, ledger transactions and verification steps.

It imports nothing else of ecert's, and neither FastAPI nor SQLModel (checked by import-linter).
Service code uses the recipes (:mod:`vc_core.dataintegrity`, :mod:`vc_core.keys`,
:mod:`vc_core.did`); :mod:`vc_core.primitives` is the raw layer under them.
"""
