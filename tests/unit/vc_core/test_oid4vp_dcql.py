"""The OpenID4VP pieces both sides share: links, signed Request Objects, DCQL.

Adversarial cases are written out (a request signed by another key, for another client_id, of
another typ, expired, with redirect_uri; type IRIs that only look alike; claim paths through
arrays), and fuzzers feed arbitrary input to every reader: each answers or raises a
:class:`~vc_core.errors.MalformedError`, nothing else.
"""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vc_core import dcql
from vc_core.errors import MalformedError
from vc_core.keys import KeyPair
from vc_core.oid4vp import (
    Oid4vpCode,
    client_id_of,
    parse_link,
    read_request_object,
    sign_request_object,
)

KEY = KeyPair.from_seed(b"\x71" * 32)
OTHER = KeyPair.from_seed(b"\x72" * 32)
NOW = datetime(2026, 11, 27, 12, tzinfo=UTC)
CID = client_id_of(KEY)
PARAMS: dict[str, Any] = {
    "response_type": "vp_token",
    "response_mode": "direct_post",
    "response_uri": "https://verifier.example/oid4vp/response",
    "nonce": "n" * 43,
    "state": "s" * 43,
    "dcql_query": dcql.credential_query("PropertyDeedCredential", [["credentialSubject", "area"]]),
}


def _b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def _code(token: str, *, client_id: str = CID, now: datetime = NOW) -> str:
    with pytest.raises(MalformedError) as caught:
        read_request_object(token, client_id=client_id, now=now)
    return caught.value.code


def test_a_signed_request_reads_back_and_every_tampering_is_refused() -> None:
    token = sign_request_object(PARAMS, KEY, client_id=CID, now=NOW, ttl_s=300)
    read = read_request_object(token, client_id=CID, now=NOW)
    assert read["state"] == "s" * 43
    # No iss: @openid4vc wallets refuse a prefixed client_id there (sign_request_object).
    assert "iss" not in read and read["client_id"] == CID
    # Signed by another key, but claiming this verifier's client_id and kid.
    forged = sign_request_object(PARAMS, OTHER, client_id=CID, now=NOW, ttl_s=300)
    head, body, _ = forged.split(".")
    header = json.loads(base64.urlsafe_b64decode(head + "=="))
    header["kid"] = f"{CID.split(':', 1)[1]}#{KEY.public_multibase}"
    assert (
        _code(f"{_b64(header)}.{body}.{forged.split('.')[2]}")
        == Oid4vpCode.OID4VP_REQUEST_SIGNATURE
    )
    # Another verifier's genuine request, shown under this client_id.
    assert _code(forged) == Oid4vpCode.OID4VP_REQUEST_INVALID
    # The payload changed after signing.
    head, body, sig = token.split(".")
    changed = {**json.loads(base64.urlsafe_b64decode(body + "==")), "nonce": "x" * 43}
    assert _code(f"{head}.{_b64(changed)}.{sig}") == Oid4vpCode.OID4VP_REQUEST_SIGNATURE
    # Unsigned (alg none), expired, other client_id prefix.
    none = _b64({"alg": "none", "typ": "oauth-authz-req+jwt"})
    assert _code(f"{none}.{body}.") == Oid4vpCode.OID4VP_REQUEST_INVALID
    assert _code(token, now=NOW + timedelta(seconds=301)) == Oid4vpCode.OID4VP_REQUEST_EXPIRED
    assert _code(token, client_id="redirect_uri:https://verifier.example/cb") == (
        Oid4vpCode.OID4VP_REQUEST_INVALID
    )


@pytest.mark.parametrize(
    "change",
    [
        {"response_mode": "fragment"},
        {"response_type": "id_token"},
        {"redirect_uri": "https://verifier.example/cb"},
        {"nonce": ""},
        {"response_uri": "javascript:alert(1)"},
    ],
)
def test_requests_outside_the_subset_are_refused(change: dict[str, Any]) -> None:
    token = sign_request_object({**PARAMS, **change}, KEY, client_id=CID, now=NOW, ttl_s=60)
    assert _code(token) == Oid4vpCode.OID4VP_REQUEST_INVALID


def test_type_values_are_expanded_iris_and_only_the_ecert_context_defines_ecert_terms() -> None:
    query = dcql.read_query(PARAMS["dcql_query"]).credentials[0]
    deed = {
        "@context": ["https://www.w3.org/ns/credentials/v2", dcql.ECERT_CONTEXT],
        "type": ["VerifiableCredential", "PropertyDeedCredential"],
        "credentialSubject": {"area": "89.56"},
    }
    assert dcql.unmet(deed, query) == []
    # The same term under the v2 context alone is an issuer-dependent IRI: not the ecert type.
    lookalike = {**deed, "@context": ["https://www.w3.org/ns/credentials/v2"]}
    assert dcql.unmet(lookalike, query) and "type" in dcql.unmet(lookalike, query)[0]
    wanted = dcql.read_query(
        dcql.credential_query(
            "PropertyDeedCredential", [["credentialSubject", "owners", None, "name"]]
        )
    ).credentials[0]
    owners = {**deed, "credentialSubject": {"owners": [{"name": "张伟"}, {"share": "1"}]}}
    assert dcql.unmet(owners, wanted) == []
    assert dcql.unmet({**deed, "credentialSubject": {"owners": []}}, wanted) != []


@pytest.mark.parametrize(
    "query",
    [
        {"credentials": []},
        {"credentials": [{"id": "x", "format": "dc+sd-jwt", "meta": {"vct_values": ["a"]}}]},
        {"credentials": [{"id": "a b", "format": "ldp_vc", "meta": {"type_values": [["t"]]}}]},
        {"credentials": [{"id": "x", "format": "ldp_vc", "meta": {}}]},
        {
            "credentials": [
                {"id": "x", "format": "ldp_vc", "meta": {"type_values": [["t"]]}, "multiple": True}
            ]
        },
        {"credentials": [{"id": "x", "format": "ldp_vc", "meta": {"type_values": [["t"]]}}] * 2},
        {
            "credentials": [{"id": "x", "format": "ldp_vc", "meta": {"type_values": [["t"]]}}],
            "credential_sets": [],
        },
    ],
)
def test_queries_outside_the_subset_are_refused(query: dict[str, Any]) -> None:
    with pytest.raises(MalformedError) as caught:
        dcql.read_query(query)
    assert caught.value.code in {dcql.DcqlCode.DCQL_INVALID, dcql.DcqlCode.DCQL_UNSUPPORTED}


JSONISH = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=12),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=20,
)


@settings(max_examples=300, deadline=None)
@given(value=JSONISH, credential=JSONISH)
def test_fuzz_dcql_readers_raise_only_malformed(value: Any, credential: Any) -> None:
    try:
        query = dcql.read_query(value)
    except MalformedError:
        query = dcql.read_query(PARAMS["dcql_query"])
    for wanted in query.credentials:
        assert isinstance(dcql.unmet(credential, wanted), list)


@settings(max_examples=300, deadline=None)
@given(link=st.text(max_size=200) | st.builds(lambda q: "openid4vp://?" + q, st.text(max_size=120)))
def test_fuzz_links_raise_only_malformed(link: str) -> None:
    try:
        client_id, request_uri = parse_link(link)
    except MalformedError:
        return
    assert client_id and request_uri.startswith(("http://", "https://"))


@settings(max_examples=200, deadline=None)
@given(
    token=st.text(max_size=300)
    | st.lists(st.text(max_size=60), min_size=3, max_size=3).map(".".join)
)
def test_fuzz_request_objects_raise_only_malformed(token: str) -> None:
    with pytest.raises(MalformedError):
        read_request_object(token, client_id=CID, now=NOW)
