"""Step 1's reading of the VCDM 2.0 shape, without building a pydantic model when it need not.

:class:`~vc_core.models.Credential` checks the shape of a credential (VCDM 2.0 §4: the
``@context`` list starting with the credentials v2 URL, ``type`` with ``VerifiableCredential``,
an ``issuer`` URL, a ``credentialSubject`` object, date-time stamps, well-typed proofs) and words
an error for anything else. A verification only needs its three answers — the issuer's id and
the validity period — when the credential is sound, which is almost always.

:func:`read_credential` first runs :func:`_plain_reading`, a check **at least as strict** as the
model on every field the model types: exact JSON types only (no subclasses, no ``None`` where
the model would allow it), and no key named ``context`` (the model would read it as
``@context``). When that check is sure, its answers are the model's; when it is not, the model
reads the credential and reports exactly as before. ``tests/unit/vc_core/verification/
test_vcdm_fast.py`` checks, on hostile documents, that whenever the plain check answers, the
model accepts the credential and gives the same three answers.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from vc_core.errors import MalformedError
from vc_core.models import CREDENTIALS_V2, Credential
from vc_core.times import parse_instant

Reading = tuple[str, datetime | None, datetime | None]

# The fields of vc_core.models.Proof that must be strings when present (``type`` is required).
_PROOF_TEXT = (
    "cryptosuite",
    "verificationMethod",
    "proofPurpose",
    "created",
    "expires",
    "proofValue",
    "id",
    "challenge",
    "nonce",
)
_PROOF_TEXT_OR_LIST = ("previousProof", "domain")


def read_credential(document: Mapping[str, Any]) -> Reading:
    """The issuer's id, ``validFrom`` and ``validUntil`` of a VCDM 2.0 credential.

    Raises:
        MalformedError: as :meth:`Credential.read <vc_core.models.Credential.read>`.
    """
    plain = _plain_reading(document)
    if plain is not None:
        return plain
    credential = Credential.read(document)
    return credential.issuer_id, credential.valid_from, credential.valid_until


_STR_ONLY = frozenset({str})


def _object(value: Any) -> bool:
    # ``dict[str, Any]``; the names' types are judged in one C-level pass.
    return type(value) is dict and _STR_ONLY.issuperset(map(type, value))


def _objects(value: Any) -> bool:
    # ``dict[str, Any] | list[dict[str, Any]]``.
    return _object(value) or (type(value) is list and all(map(_object, value)))


def _texts(value: Any) -> bool:
    # ``str | list[str]``.
    return type(value) is str or (type(value) is list and all(type(v) is str for v in value))


def _contexts(value: Any) -> bool:
    # ``list[str | dict[str, Any]]``.
    return type(value) is list and all(type(v) is str or _object(v) for v in value)


def _plain_proof(proof: Any) -> bool:
    if type(proof) is not dict or "context" in proof or type(proof.get("type")) is not str:
        return False
    if not _STR_ONLY.issuperset(map(type, proof)):
        return False
    for name in _PROOF_TEXT:
        if name in proof and type(proof[name]) is not str:
            return False
    for name in _PROOF_TEXT_OR_LIST:
        if name in proof and not _texts(proof[name]):
            return False
    if "@context" in proof:
        context = proof["@context"]
        return type(context) is str or _contexts(context)
    return True


def _plain_proofs(value: Any) -> bool:
    if type(value) is list:
        return all(map(_plain_proof, value))
    return _plain_proof(value)


def _issuer_id(issuer: Any) -> str | None:
    ident = issuer if type(issuer) is str else issuer.get("id") if _object(issuer) else None
    # VCDM 2.0 §4.7: a URL (the model's test: a string with a colon).
    return ident if type(ident) is str and ":" in ident else None


def _stamp(document: Mapping[str, Any], name: str) -> tuple[bool, datetime | None]:
    if name not in document:
        return True, None
    value = document[name]
    if type(value) is not str:
        return False, None
    try:
        return True, parse_instant(value, field=name)
    except MalformedError:
        return False, None


def _plain_shape(document: Mapping[str, Any]) -> bool:
    """Every field the model types has exactly a JSON type it accepts (module docstring)."""
    if type(document) is not dict or "context" in document:
        return False
    context: Any = document.get("@context")
    kind = document.get("type")
    return (
        _STR_ONLY.issuperset(map(type, document))
        and _contexts(context)
        and bool(context)
        and context[0] == CREDENTIALS_V2
        and _texts(kind)
        and "VerifiableCredential" in (kind if type(kind) is list else [kind])
        and ("id" not in document or type(document["id"]) is str)
        and ("proof" not in document or _plain_proofs(document["proof"]))
        and _objects(document.get("credentialSubject"))
        and all(
            name not in document or _objects(document[name])
            for name in ("credentialStatus", "credentialSchema")
        )
    )


def _plain_reading(document: Mapping[str, Any]) -> Reading | None:
    """The three answers when the credential is surely sound to the model, else ``None``."""
    if not _plain_shape(document):
        return None
    issuer = _issuer_id(document.get("issuer"))
    (from_ok, valid_from), (until_ok, valid_until) = (
        _stamp(document, "validFrom"),
        _stamp(document, "validUntil"),
    )
    if issuer is None or not from_ok or not until_ok:
        return None
    return issuer, valid_from, valid_until
