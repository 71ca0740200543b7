"""The issuing office's service: keys sealed at rest, operator tokens, VC-API issuance.

``ecert issuer init`` creates an office's folder (:mod:`issuer.office`), ``ecert issuer operator``
manages bearer tokens (:mod:`issuer.auth`), and ``ecert issuer serve`` runs the HTTP API
(:func:`issuer.app.create_app`). Routes call :mod:`issuer.service`, which never imports FastAPI.
What exists and what does not yet is listed in ``issuer/README.md``.
"""
