"""Each divergence the interop tests found, pinned: what each side does, and what ecert decided.

``vc_core/canon/README.md`` ("Interop with Digital Bazaar") gives the reasoning; each test there
has a test of the same subject here. The peer's side is asserted too, so a change in jsonld.js
(a fix, say) makes a test fail and the decision gets looked at again.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.interop.documents import EXAMPLES_V2, INTEROP_CONTEXT, V2
from tests.interop.harness import (
    ISSUER,
    SEED,
    SUITES,
    ecert_verify,
    proof_of,
    sign_both,
    text_of,
    when,
)
from tests.interop.peer import Peer
from vc_core.canon import LocalContexts, utf16_order_warning
from vc_core.credential_types import example_credential
from vc_core.errors import VCError

RDFC, JCS = SUITES
XSD = "http://www.w3.org/2001/XMLSchema#"


def _credential(subject: dict[str, Any]) -> dict[str, Any]:
    return {
        "@context": [V2, EXAMPLES_V2, INTEROP_CONTEXT],
        "type": ["VerifiableCredential"],
        "issuer": ISSUER,
        "validFrom": "2026-01-01T00:00:00Z",
        "credentialSubject": subject,
    }


def _refusal(text: str, now: str, contexts: LocalContexts) -> str | None:
    """The code ecert's verifier refuses a received credential with, or None if it is valid."""
    try:
        report = ecert_verify(text, now, contexts)
    except VCError as exc:
        return str(exc.code)
    return None if report else str(report.errors[0].code)


def _peer_nquads(peer: Peer, doc: dict[str, Any]) -> str:
    answer = peer.ask({"op": "canon", "suite": RDFC, "text": text_of(doc)})
    assert answer["ok"], answer
    return str(answer["document"])


# --- A fraction below 10^-6 with one significant digit (1e-7) under eddsa-rdfc-2022 ----------


@pytest.mark.parametrize("number", [1e-7, -3e-10, 5e-324], ids=["1e-7", "-3e-10", "5e-324"])
def test_jsonld_js_writes_a_tiny_fraction_as_the_integer_zero(number: float, peer: Peer) -> None:
    """jsonld.js's toRdf takes a number for a double only when its JavaScript string has a "."
    (or it is ≥ 10^21); ``String(1e-7)`` is ``"1e-7"``. JSON-LD 1.1 API §8.6 step 10 makes it
    an ``xsd:double`` ("1.0E-7"), as pyld does: jsonld.js is wrong here."""
    nquads = _peer_nquads(peer, _credential({"xa": number}))
    zero = "-0" if number < 0 else "0"
    assert f'#xa> "{zero}"^^<{XSD}integer> .' in nquads


@pytest.mark.parametrize("number", [1e-7, -3e-10, 5e-324], ids=["1e-7", "-3e-10", "5e-324"])
def test_ecert_refuses_a_tiny_fraction_under_rdfc_both_ways(
    number: float, peer: Peer, interop_contexts: LocalContexts
) -> None:
    """ecert signs nothing jsonld.js would read as another number, and refuses the peer's
    credential with the same code instead of reporting a failed signature."""
    run = sign_both(_credential({"xa": number}), RDFC, peer, interop_contexts)
    assert run.ours is None and run.our_code == "NUMBER_NOT_INTEROPERABLE"
    assert run.theirs is not None
    assert _refusal(run.theirs, run.now, interop_contexts) == "NUMBER_NOT_INTEROPERABLE"


@pytest.mark.parametrize(
    ("suite", "value"),
    [
        (RDFC, 1.5e-7),
        (RDFC, {"@value": 1e-7, "@type": XSD + "double"}),
        (RDFC, {"jsonValue": [1e-7]}),
        (JCS, 1e-7),
    ],
    ids=["two-digits", "typed-double", "json-literal", "jcs"],
)
def test_the_tiny_fractions_jsonld_js_reads_right_still_sign(
    suite: str, value: Any, peer: Peer, interop_contexts: LocalContexts
) -> None:
    """The refusal is exactly as wide as the fault: with a "." in its JavaScript form, typed
    ``xsd:double``, inside an ``@json`` literal (written by JCS), or under JCS, both agree."""
    subject = value if isinstance(value, dict) and "jsonValue" in value else {"xa": value}
    run = sign_both(_credential(subject), suite, peer, interop_contexts)
    assert run.ours is not None and run.theirs is not None, run
    assert proof_of(run.ours) == proof_of(run.theirs)


# --- A whole number in [2^53, 10^21): JavaScript writes it as a long integer literal ----------


@pytest.mark.parametrize("suite", SUITES)
def test_a_large_whole_double_signed_by_javascript_is_refused_at_ecerts_edge(
    suite: str, peer: Peer, interop_contexts: LocalContexts
) -> None:
    """Both sign 1e20 to the same proof, and the peer verifies ecert's credential; but
    JSON.stringify writes the number as ``100000000000000000000``, an integer beyond
    ±(2^53 − 1) that ecert's edge refuses (I-JSON, RFC 7493 §2.2) with NUMBER_OUT_OF_RANGE."""
    run = sign_both(_credential({"xa": 1e20}), suite, peer, interop_contexts)
    assert run.ours is not None and run.theirs is not None
    assert proof_of(run.ours) == proof_of(run.theirs)
    assert '"xa":100000000000000000000' in run.theirs
    answer = peer.ask(
        {"op": "verify", "suite": suite, "text": run.ours, "now": run.now, "api": "jsigs"}
    )
    assert answer["verified"] is True
    assert _refusal(run.theirs, run.now, interop_contexts) == "NUMBER_OUT_OF_RANGE"


# --- Forms ecert refuses under eddsa-jcs-2022, which the peer signs -------------------------


def _deed(**subject: Any) -> dict[str, Any]:
    doc = example_credential("PropertyDeedCredential")
    doc["issuer"] = ISSUER
    doc["credentialSubject"].update(subject)
    return doc


SAFE_MODE = "Safe mode validation error"


@pytest.mark.parametrize(
    ("doc", "code", "peer_rdfc"),
    [
        (_deed(nickname="x"), "DATA_LOSS_DETECTION_ERROR", SAFE_MODE),
        (_deed(area={"@value": "89.56", "@language": "en_US"}), "INVALID_LANGUAGE_TAG", SAFE_MODE),
        (_deed(area={"@value": "89.56", "@direction": "up"}), "INVALID_JSON_LD", "must be"),
        # rdf-canonize escapes U+0001 as \u0001, as RDFC-1.0's canonical N-Quads require; pyld
        # writes it raw, so ecert refuses it (README "control-character") under both suites.
        (_deed(address="x\x01y"), "CONTROL_CHARACTER", None),
    ],
    ids=["undefined-term", "language-tag", "direction", "control-character"],
)
def test_ecert_refuses_with_a_code_what_the_peer_may_sign(
    doc: dict[str, Any],
    code: str,
    peer_rdfc: str | None,
    peer: Peer,
    interop_contexts: LocalContexts,
) -> None:
    """eddsa-jcs-2022 does no JSON-LD processing (EdDSA §3.3.3), so the peer signs these; ecert
    keeps its JSON-LD checks under both suites (a JCS credential must mean to a JSON-LD reader
    what it means to ecert), refusing to sign and to verify with the same code. Under
    eddsa-rdfc-2022 the peer refuses them too (``peer_rdfc`` is part of its message), but for
    the control character."""
    run = sign_both(doc, JCS, peer, interop_contexts)
    assert run.ours is None and run.our_code == code
    assert run.theirs is not None
    assert _refusal(run.theirs, run.now, interop_contexts) == code
    rdfc = sign_both(doc, RDFC, peer, interop_contexts)
    assert rdfc.ours is None and rdfc.our_code == code
    if peer_rdfc is None:
        assert rdfc.theirs is not None
        assert _refusal(rdfc.theirs, rdfc.now, interop_contexts) == code
    else:
        assert rdfc.theirs is None and peer_rdfc in str(rdfc.their_error)


def test_the_peer_signs_with_the_key_ecert_uses(peer: Peer) -> None:
    """The seed both sides sign with gives the issuer's did:key on the peer too."""
    doc = _credential({"xa": "x"})
    created, _ = when(doc)
    answer = peer.ask(
        {
            "op": "sign",
            "suite": JCS,
            "seed": SEED.hex(),
            "created": created,
            "text": text_of(doc),
            "api": "vc",
        }
    )
    assert proof_of(answer["text"])["verificationMethod"].startswith(ISSUER + "#")


# --- A blank node that is both subject and object of one quad --------------------------------

SELF_LOOP = {"id": "_:b0", "link": "_:b0", "decimal": 0, "type": ["xA"]}


def test_a_self_referencing_blank_node_gets_the_same_labels(
    peer: Peer, interop_contexts: LocalContexts
) -> None:
    """``_:b0 <link> _:b0``: pyld listed the quad twice in the blank node's quads (RDFC-1.0
    §4.4.3 step 2), hashing it twice; rdf-canonize keeps "the quads in which they appear"
    (§4.2) as a set. The first-degree hashes then ordered the two blank nodes differently, so
    each side's signature failed on the other. ecert now hashes each quad once (bounded.py,
    fast_c14n.py)."""
    doc = _credential(SELF_LOOP)
    nquads = _peer_nquads(peer, doc)
    assert "_:c14n1 <https://ecert.example/interop#link> _:c14n1 ." in nquads
    run = sign_both(doc, RDFC, peer, interop_contexts)
    assert run.ours is not None and run.theirs is not None
    assert proof_of(run.ours) == proof_of(run.theirs)
    assert _refusal(run.theirs, run.now, interop_contexts) is None


# --- Characters beyond the BMP next to ones from U+E000–U+FFFF --------------------------------


def test_rdf_canonize_sorts_by_utf16_code_units(
    peer: Peer, interop_contexts: LocalContexts
) -> None:
    """RDFC-1.0 §5 sorts the canonical lines "into code point order", which ecert does;
    rdf-canonize uses JavaScript's default sort (UTF-16 code units), which puts "𠮷" (U+20BB7,
    0xD842…) before "！" (U+FF01). Same lines, another order, another hash: the peer rejects
    ecert's signature and ecert the peer's. ecert keeps the spec's order, and its issuer warns
    of such credentials (README "Code point order, and JavaScript")."""
    doc = _credential({"xa": ["𠮷", "！"]})
    nquads = _peer_nquads(peer, doc)
    assert nquads.index('"𠮷"') < nquads.index('"！"')
    run = sign_both(doc, RDFC, peer, interop_contexts)
    assert run.ours is not None and run.theirs is not None
    assert proof_of(run.ours) != proof_of(run.theirs)
    assert utf16_order_warning(doc, RDFC) is not None
    jcs = sign_both(doc, JCS, peer, interop_contexts)
    assert jcs.ours is not None and jcs.theirs is not None
    assert proof_of(jcs.ours) == proof_of(jcs.theirs)
