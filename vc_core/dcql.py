"""The Digital Credentials Query Language subset ecert speaks (OpenID4VP 1.0 §6, Appendix B.1).

A verifier asks for one credential: ``{"credentials": [{"id", "format": "ldp_vc", "meta":
{"type_values": [[<type IRI>]]}, "claims": [{"path": [...]}, ...]}]}``. For W3C credentials
``type_values`` holds *expanded* type IRIs (Appendix B.1.1), so a credential matches when its
``type`` terms, expanded with the contexts ecert knows (offline: the VCDM 2.0 context and
ecert's own), include every IRI of one of the sets. A claim path (§7) is a list of object keys,
array indices and ``null`` (every element of an array); a claim is present when the path leads
to at least one value.

The verifier builds queries with :func:`credential_query`, reads a wallet's answer with
:func:`unmet`; the wallet reads a request with :func:`read_query` and picks its credential with
:func:`unmet` too, so both sides judge a match the same way.

Example:
    >>> q = credential_query("PropertyDeedCredential", [["credentialSubject", "address"]])
    >>> q["credentials"][0]["meta"]["type_values"]
    [['https://ecert.example/vocab#PropertyDeedCredential']]
    >>> vc = {"@context": [CREDENTIALS_V2, ECERT_CONTEXT],
    ...       "type": ["VerifiableCredential", "PropertyDeedCredential"],
    ...       "credentialSubject": {"address": "x"}}
    >>> unmet(vc, read_query(q).credentials[0])
    []
    >>> unmet({**vc, "credentialSubject": {}}, read_query(q).credentials[0])
    ['claim credentialSubject.address is missing']
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache
from importlib import resources
from typing import Any

from vc_core.errors import MalformedError
from vc_core.models import CREDENTIALS_V2

LDP_VC = "ldp_vc"
ECERT_CONTEXT = "https://ecert.example/credentials/v1"
# VCDM 2.0 §B.1 (the v2 context): its types, and the @vocab every undefined term falls into.
_VC_V2_TERMS = {
    "VerifiableCredential": "https://www.w3.org/2018/credentials#VerifiableCredential",
    "VerifiablePresentation": "https://www.w3.org/2018/credentials#VerifiablePresentation",
}
_VC_V2_VOCAB = "https://www.w3.org/ns/credentials/issuer-dependent#"
_QUERY_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
MAX_CLAIMS = 32
MAX_PATH = 16
Path = tuple[str | int | None, ...]


class DcqlCode(StrEnum):
    """Why a DCQL query cannot be used (malformed, 400) or asks what ecert cannot give."""

    DCQL_INVALID = "DCQL_INVALID"
    DCQL_UNSUPPORTED = "DCQL_UNSUPPORTED"


@dataclass(frozen=True)
class CredentialQuery:
    """One credential query: its id, the type IRI sets accepted, the claim paths required."""

    id: str
    type_values: tuple[tuple[str, ...], ...]
    claims: tuple[Path, ...]


@dataclass(frozen=True)
class Query:
    """A DCQL query of the subset: credential queries, each to be answered."""

    credentials: tuple[CredentialQuery, ...]


@lru_cache(maxsize=1)
def _ecert_terms() -> dict[str, str]:
    text = resources.files("schemas").joinpath("context.jsonld").read_text("utf-8")
    context = json.loads(text)["@context"]
    return {
        term: value["@id"]
        for term, value in context.items()
        if isinstance(value, dict) and isinstance(value.get("@id"), str)
    }


def type_iri(term: str, contexts: Sequence[Any] = (CREDENTIALS_V2, ECERT_CONTEXT)) -> str:
    """The IRI a ``type`` term expands to under ``contexts`` (offline: only the two ecert knows).

    An absolute IRI stays as it is; an ecert term expands by ecert's context only when the
    credential names that context; anything else falls into the v2 context's ``@vocab``.
    """
    if ":" in term:
        return term
    if term in _VC_V2_TERMS:
        return _VC_V2_TERMS[term]
    if ECERT_CONTEXT in contexts and term in _ecert_terms():
        return _ecert_terms()[term]
    return _VC_V2_VOCAB + term


def expanded_types(credential: dict[str, Any]) -> set[str]:
    """The credential's types as IRIs (see :func:`type_iri`)."""
    raw_contexts = credential.get("@context")
    contexts = raw_contexts if isinstance(raw_contexts, list) else [raw_contexts]
    kinds = credential.get("type")
    kinds = kinds if isinstance(kinds, list) else [kinds]
    return {type_iri(k, contexts) for k in kinds if isinstance(k, str)}


def credential_query(
    credential_type: str, claims: Sequence[Sequence[str | int | None]], *, query_id: str = "ecert"
) -> dict[str, Any]:
    """A DCQL query for one ``ldp_vc`` credential of ``credential_type`` with ``claims``."""
    return {
        "credentials": [
            {
                "id": query_id,
                "format": LDP_VC,
                "meta": {"type_values": [[type_iri(credential_type)]]},
                "claims": [{"path": list(path)} for path in claims],
            }
        ]
    }


def _bad(message: str, code: DcqlCode = DcqlCode.DCQL_INVALID) -> MalformedError:
    return MalformedError(message, code=code, field="dcql_query")


def read_path(value: Any) -> Path:
    """A claim path (OpenID4VP 1.0 §7): a non-empty list of keys, indices >= 0 and ``null``."""
    if not isinstance(value, list) or not 0 < len(value) <= MAX_PATH:
        raise _bad(f"a claim path is a list of 1 to {MAX_PATH} components")
    out: list[str | int | None] = []
    for part in value:
        ok_int = isinstance(part, int) and not isinstance(part, bool) and part >= 0
        if not (part is None or ok_int or (isinstance(part, str) and 0 < len(part) <= 128)):
            raise _bad("a claim path component is a key, an index >= 0, or null")
        out.append(part)
    return tuple(out)


def _read_credential_query(item: Any) -> CredentialQuery:
    if not isinstance(item, dict):
        raise _bad("each credential query is an object")
    query_id = item.get("id")
    if not isinstance(query_id, str) or not _QUERY_ID.match(query_id):
        raise _bad("a credential query id is 1 to 64 letters, digits, '_' or '-'")
    if item.get("format") != LDP_VC:
        raise _bad(f"only format {LDP_VC} is supported", DcqlCode.DCQL_UNSUPPORTED)
    if item.get("multiple", False) is not False or "claim_sets" in item:
        raise _bad("multiple and claim_sets are not supported", DcqlCode.DCQL_UNSUPPORTED)
    meta = item.get("meta")
    sets = meta.get("type_values") if isinstance(meta, dict) else None
    if not isinstance(sets, list) or not sets or len(sets) > 8:
        raise _bad("meta.type_values must list 1 to 8 sets of type IRIs")
    type_values = []
    for entry in sets:
        if not isinstance(entry, list) or not entry or not all(isinstance(t, str) for t in entry):
            raise _bad("each meta.type_values entry is a non-empty list of strings")
        type_values.append(tuple(entry))
    claims = item.get("claims", [])
    if not isinstance(claims, list) or len(claims) > MAX_CLAIMS:
        raise _bad(f"claims must be a list of at most {MAX_CLAIMS}")
    paths = []
    for claim in claims:
        if not isinstance(claim, dict) or "values" in claim:
            raise _bad("a claim is {path}; values are not supported", DcqlCode.DCQL_UNSUPPORTED)
        paths.append(read_path(claim.get("path")))
    return CredentialQuery(query_id, tuple(type_values), tuple(paths))


def read_query(value: Any) -> Query:
    """A DCQL query of ecert's subset, checked.

    Raises:
        MalformedError: ``DCQL_INVALID`` for a query that is not DCQL, ``DCQL_UNSUPPORTED`` for
            one that asks for another format, several credentials of a kind, claim sets,
            values or credential sets.
    """
    if not isinstance(value, dict):
        raise _bad("dcql_query must be an object")
    if "credential_sets" in value:
        raise _bad("credential_sets are not supported", DcqlCode.DCQL_UNSUPPORTED)
    items = value.get("credentials")
    if not isinstance(items, list) or not 0 < len(items) <= 4:
        raise _bad("dcql_query.credentials must list 1 to 4 credential queries")
    queries = tuple(_read_credential_query(item) for item in items)
    if len({q.id for q in queries}) != len(queries):
        raise _bad("credential query ids must be unique")
    return Query(queries)


def select(value: Any, path: Path) -> Iterator[Any]:
    """The values ``path`` leads to in ``value`` (OpenID4VP 1.0 §7.1, processing in order)."""
    if not path:
        yield value
        return
    head, rest = path[0], path[1:]
    if head is None:
        if isinstance(value, list):
            for item in value:
                yield from select(item, rest)
    elif isinstance(head, int):
        if isinstance(value, list) and head < len(value):
            yield from select(value[head], rest)
    elif isinstance(value, dict) and head in value:
        yield from select(value[head], rest)


def show_path(path: Path) -> str:
    """A path as people read it: ``credentialSubject.owners[*].name``."""
    out = ""
    for part in path:
        if part is None:
            out += "[*]"
        elif isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + part
    return out


def unmet(credential: Any, query: CredentialQuery) -> list[str]:
    """What ``credential`` lacks to answer ``query`` (empty: it matches)."""
    if not isinstance(credential, dict):
        return ["not a credential object"]
    missing = []
    types = expanded_types(credential)
    if not any(set(wanted) <= types for wanted in query.type_values):
        missing.append("type is not one of " + " | ".join("+".join(s) for s in query.type_values))
    for path in query.claims:
        if next(select(credential, path), None) is None:
            missing.append(f"claim {show_path(path)} is missing")
    return missing
