"""Local contexts only, and undefined terms are errors that name the term (VC-DI 1.0 §2.4.3)."""

from __future__ import annotations

from typing import Any

import pytest

from vc_core.canon import default_contexts, expand_strict, jcs, rdfc
from vc_core.errors import CanonicalizationError, MalformedError

V2 = "https://www.w3.org/ns/credentials/v2"


def _doc(**extra: Any) -> dict[str, Any]:
    return {
        "@context": [V2],
        "type": ["VerifiableCredential"],
        "issuer": "did:key:z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2",
        "credentialSubject": {"id": "did:example:1"},
        **extra,
    }


def test_defined_document_canonicalizes() -> None:
    out = rdfc(_doc(), default_contexts())
    assert "<https://www.w3.org/2018/credentials#issuer>" in out


@pytest.mark.parametrize(
    ("doc", "term"),
    [
        (_doc(favouriteColour="blue"), "favouriteColour"),
        (_doc(credentialSubject={"id": "did:example:1", "licenceNo": "1"}), "licenceNo"),
        (_doc(type=["VerifiableCredential", "MadeUpCredential"]), "MadeUpCredential"),
    ],
)
def test_undefined_terms_are_named(doc: dict[str, Any], term: str) -> None:
    with pytest.raises(CanonicalizationError) as err:
        rdfc(doc, default_contexts())
    assert term in err.value.message
    assert err.value.code == "DATA_LOSS_DETECTION_ERROR"


def test_relative_id_is_data_loss() -> None:
    with pytest.raises(CanonicalizationError, match="relative"):
        expand_strict(_doc(id="relative/path"), default_contexts())


@pytest.mark.parametrize(
    ("context", "code"),
    [
        ([V2, "https://example.com/remote-context"], "CONTEXT_NOT_LOCAL"),
        ([V2, {"foo": "https://example.com/foo"}], "INLINE_CONTEXT"),
        (None, "MISSING_CONTEXT"),
    ],
)
def test_remote_inline_or_missing_contexts_are_refused(context: Any, code: str) -> None:
    doc = _doc()
    if context is None:
        del doc["@context"]
    else:
        doc["@context"] = context
    with pytest.raises(CanonicalizationError) as err:
        rdfc(doc, default_contexts())
    assert err.value.code == code


def test_contexts_are_never_fetched(monkeypatch: pytest.MonkeyPatch) -> None:
    import socket

    def refuse(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("network access attempted")

    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse)
    with pytest.raises(CanonicalizationError):
        rdfc(_doc(**{"@context": [V2, "https://www.w3.org/ns/odrl.jsonld"]}), default_contexts())


def test_invalid_json_ld_is_malformed() -> None:
    with pytest.raises((MalformedError, CanonicalizationError)):
        rdfc(_doc(credentialSubject={"@id": 5}), default_contexts())


def test_jcs_rejects_values_json_cannot_carry() -> None:
    assert jcs({"b": 1, "a": "é"}) == b'{"a":"\xc3\xa9","b":1}'
    with pytest.raises(MalformedError):
        jcs({"a": float("nan")})
    with pytest.raises(MalformedError):
        jcs({"a": 2**60 + 1})  # no double equals it (2**60 itself is a double, and signs)
