"""Step 1's plain reading of the VCDM shape never answers where the pydantic model would not.

``read_credential`` answers from a plain check when it is sure, else from
:class:`~vc_core.models.Credential`. On documents changed in hostile ways (wrong JSON types,
``None``, subclasses, the ``context`` alias, keys that shadow the model's attributes, bad
stamps), whenever the plain check answers the model must accept the document and give the same
issuer and validity period; and ``read_credential`` always reports what the model reports.
"""

from __future__ import annotations

import copy
from collections import OrderedDict
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vc_core.credential_types import CREDENTIAL_TYPES, example_credential
from vc_core.errors import VCError
from vc_core.models import Credential
from vc_core.verification.vcdm import _plain_reading, read_credential


class _Str(str):
    __slots__ = ()


def _signed(name: str) -> dict[str, Any]:
    doc = example_credential(name)
    doc["issuer"] = "did:ecert:test:office"
    doc["proof"] = {
        "type": "DataIntegrityProof",
        "cryptosuite": "eddsa-jcs-2022",
        "created": "2025-01-01T00:00:00Z",
        "verificationMethod": "did:ecert:test:office#z6Mk",
        "proofPurpose": "assertionMethod",
        "@context": list(doc["@context"]),
        "proofValue": "z5Z",
    }
    return doc


KEYS = st.sampled_from(
    [
        "@context", "context", "id", "type", "issuer", "credentialSubject", "validFrom",
        "validUntil", "proof", "credentialStatus", "credentialSchema", "issuer_id", "types",
        "valid_from", "model_fields", "_private", "__dict__", "extra",
    ]
)  # fmt: skip
PROOF_KEYS = st.sampled_from(
    [
        "type", "cryptosuite", "verificationMethod", "proofPurpose", "created", "expires",
        "proofValue", "id", "previousProof", "challenge", "domain", "nonce", "@context",
        "context", "other",
    ]
)  # fmt: skip
VALUES = st.one_of(
    st.sampled_from(
        [
            None, 1, 1.5, True, "", "x", "did:x:y", "https://www.w3.org/ns/credentials/v2",
            "VerifiableCredential", "2025-01-01T00:00:00Z", "2025-02-30T00:00:00Z",
            "2025-01-01T00:00:00", _Str("did:x:y"), [], ["x"], [1], {}, {"id": "did:x:y"},
            {"id": 5}, {1: "x"}, [{}], [{"a": 1}, "x"], ["https://www.w3.org/ns/credentials/v2"],
            ["https://www.w3.org/ns/credentials/v2", {"@vocab": "x"}], ("x",),
            OrderedDict(id="did:x:y"), ["VerifiableCredential", "X"], ["X"],
        ]
    ),
    st.text(max_size=4),
)  # fmt: skip


@st.composite
def hostile(draw: st.DrawFn) -> dict[str, Any]:
    doc = _signed(draw(st.sampled_from(sorted(CREDENTIAL_TYPES))))
    for _ in range(draw(st.integers(min_value=0, max_value=3))):
        where = draw(st.sampled_from(["top", "proof", "drop"]))
        if where == "top":
            doc[draw(KEYS)] = copy.deepcopy(draw(VALUES))
        elif where == "proof" and isinstance(doc.get("proof"), dict):
            doc["proof"][draw(PROOF_KEYS)] = copy.deepcopy(draw(VALUES))
        elif where == "drop":
            doc.pop(draw(KEYS), None)
    if draw(st.booleans()) and isinstance(doc.get("proof"), dict):
        doc["proof"] = [doc["proof"], copy.deepcopy(doc["proof"])]
    return doc


def _model(doc: dict[str, Any]) -> tuple[Any, ...]:
    try:
        credential = Credential.read(doc)
        return ("ok", credential.issuer_id, credential.valid_from, credential.valid_until)
    except VCError as exc:
        return ("error", exc.code, exc.field, exc.message)


def _ours(doc: dict[str, Any]) -> tuple[Any, ...]:
    try:
        return ("ok", *read_credential(doc))
    except VCError as exc:
        return ("error", exc.code, exc.field, exc.message)


@settings(max_examples=600, deadline=None)
@given(hostile())
def test_the_plain_reading_answers_only_as_the_model_does(doc: dict[str, Any]) -> None:
    expected = _model(doc)
    plain = _plain_reading(doc)
    if plain is not None:
        assert expected == ("ok", *plain)
    assert _ours(doc) == expected


@pytest.mark.parametrize("name", sorted(CREDENTIAL_TYPES))
def test_every_example_is_read_plainly(name: str) -> None:
    doc = _signed(name)
    assert _plain_reading(doc) is not None
    assert ("ok", *_plain_reading(doc)) == _model(doc)  # type: ignore[misc]


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("context", ["https://www.w3.org/ns/credentials/v2"]),
        ("issuer", _Str("did:x:y")),
        ("issuer", {"id": "no-colon"}),
        ("validFrom", "2025-02-30T00:00:00Z"),
        ("validUntil", None),
        ("proof", None),
        ("type", ["X"]),
        ("credentialSubject", [{"a": 1}, "x"]),
    ],
    ids=repr,
)
def test_doubtful_documents_go_to_the_model(key: str, value: Any) -> None:
    doc = _signed("PropertyDeedCredential")
    doc[key] = value
    assert _plain_reading(doc) is None
    assert _ours(doc) == _model(doc)
