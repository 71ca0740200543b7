"""ecert's side of an interop run: sign, canonicalize and verify as the issuer and verifier do,
with the same key and proof options the peer is given."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from vc_core.canon import default_contexts
from vc_core.dataintegrity import ProofOptions, add_proof, canonical_forms_for_signing
from vc_core.dataintegrity import check_proofs as ecert_check_proofs
from vc_core.dataintegrity.proofs import ProofReport
from vc_core.did import did_key, verification_method_id
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
    at = (
        datetime.fromisoformat(start) if isinstance(start, str) else datetime.fromisoformat(CREATED)
    )
    at = at.astimezone(UTC)
    later = at + timedelta(minutes=1)
    return at.strftime("%Y-%m-%dT%H:%M:%SZ"), later.strftime("%Y-%m-%dT%H:%M:%SZ")


def text_of(doc: dict[str, Any]) -> str:
    """A document as ecert sends it: JSON text, UTF-8 characters as they are."""
    return json.dumps(doc, ensure_ascii=False, allow_nan=False)


def ecert_sign(doc: dict[str, Any], suite: str, created: str) -> dict[str, Any]:
    return add_proof(doc, KEY, cryptosuite=suite, verification_method=METHOD, created=created)


@dataclass(frozen=True)
class Forms:
    document: str
    proof: str


def ecert_forms(doc: dict[str, Any], suite: str, created: str) -> Forms:
    """ecert's canonical document and proof configuration, as the issuer signs them."""
    options = ProofOptions(cryptosuite=suite, verification_method=METHOD, created=created)
    _, forms = canonical_forms_for_signing(doc, options, contexts=default_contexts())
    return Forms(forms.document.decode("utf-8"), forms.proof_config.decode("utf-8"))


def ecert_verify(text: str, now: str) -> ProofReport:
    """ecert's verifier on a received text: bounded parse, then every proof at ``now``."""
    doc = parse_json(text)
    return ecert_check_proofs(doc, now=datetime.fromisoformat(now))
