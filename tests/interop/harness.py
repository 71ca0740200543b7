"""ecert's side of an interop run: sign, canonicalize and verify as the issuer and verifier do,
with the same key and proof options the peer is given."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from tests.interop.peer import Peer
from vc_core.canon import LocalContexts, default_contexts
from vc_core.dataintegrity import ProofOptions, add_proof, canonical_forms_for_signing
from vc_core.dataintegrity import check_proofs as ecert_check_proofs
from vc_core.dataintegrity.proofs import ProofReport
from vc_core.did import did_key, verification_method_id
from vc_core.errors import VCError
from vc_core.jsonio import parse_json
from vc_core.keys import KeyPair

SUITES = ("eddsa-rdfc-2022", "eddsa-jcs-2022")
SEED = bytes(range(1, 33))
KEY = KeyPair.from_seed(SEED)
ISSUER = did_key(KEY.public)
METHOD = verification_method_id(KEY.public)
CREATED = "2026-01-01T00:00:00Z"


def when(doc: dict[str, Any]) -> tuple[str, str]:
    """(created, now) for a document: its validFrom when it has one, so that both sides accept
    the validity period, and a check a minute later."""
    start = doc.get("validFrom")
    at = datetime.fromisoformat(start if isinstance(start, str) else CREATED).astimezone(UTC)
    later = at + timedelta(minutes=1)
    return at.strftime("%Y-%m-%dT%H:%M:%SZ"), later.strftime("%Y-%m-%dT%H:%M:%SZ")


def text_of(doc: dict[str, Any]) -> str:
    """A document as ecert sends it: JSON text, UTF-8 characters as they are."""
    return json.dumps(doc, ensure_ascii=False, allow_nan=False)


def ecert_sign(
    doc: dict[str, Any], suite: str, created: str, contexts: LocalContexts | None = None
) -> dict[str, Any]:
    return add_proof(
        doc,
        KEY,
        cryptosuite=suite,
        verification_method=METHOD,
        created=created,
        contexts=contexts or default_contexts(),
    )


@dataclass(frozen=True)
class Forms:
    document: str
    proof: str


def ecert_forms(
    doc: dict[str, Any], suite: str, created: str, contexts: LocalContexts | None = None
) -> Forms:
    """ecert's canonical document and proof configuration, as the issuer signs them."""
    options = ProofOptions(cryptosuite=suite, verification_method=METHOD, created=created)
    _, forms = canonical_forms_for_signing(doc, options, contexts=contexts or default_contexts())
    return Forms(forms.document.decode("utf-8"), forms.proof_config.decode("utf-8"))


def ecert_verify(text: str, now: str, contexts: LocalContexts | None = None) -> ProofReport:
    """ecert's verifier on a received text: bounded parse, then every proof at ``now``."""
    doc = parse_json(text)
    return ecert_check_proofs(
        doc, now=datetime.fromisoformat(now), contexts=contexts or default_contexts()
    )


@dataclass(frozen=True)
class Run:
    """Both sides' attempt to sign one document with the same key and options.

    ``ours`` is ecert's signed text or the code it refused with; ``theirs`` is the peer's signed
    text or its error message.
    """

    suite: str
    now: str
    ours: str | None
    our_code: str | None
    theirs: str | None
    their_error: str | None


def sign_both(doc: dict[str, Any], suite: str, peer: Peer, contexts: LocalContexts) -> Run:
    """ecert signs as its issuer does (the JSON text parsed at the edge, then signed); the peer
    signs the same text with jsonld-signatures."""
    created, now = when(doc)
    text = text_of(doc)
    ours: str | None = None
    code: str | None = None
    try:
        ours = text_of(ecert_sign(parse_json(text), suite, created, contexts))
    except VCError as exc:
        code = exc.code
    answer = peer.ask(
        {
            "op": "sign",
            "suite": suite,
            "seed": SEED.hex(),
            "created": created,
            "text": text,
            "api": "jsigs",
        }
    )
    theirs = answer.get("text") if answer["ok"] else None
    return Run(suite, now, ours, code, theirs, None if answer["ok"] else answer["error"])


def proof_of(text: str) -> Any:
    return json.loads(text)["proof"]
