"""A blank node that fills two positions of one quad is hashed with that quad once.

RDFC-1.0 §4.2: the blank node to quads map relates a blank node to "the quads in which they
appear", a set; §4.4.3 step 2 adds a reference to each quad for each blank node in it. pyld
listed ``_:b <p> _:b`` twice for ``_:b`` (found by tests/interop against rdf-canonize).
"""

from __future__ import annotations

import hashlib

from vc_core.canon import default_contexts
from vc_core.canon.fast import try_rdfc_fast
from vc_core.canon.rdfc import rdfc

V2 = "https://www.w3.org/ns/credentials/v2"
VC = "https://www.w3.org/2018/credentials#"
ISSUER = "did:example:issuer"


def _first_degree(lines: list[str]) -> str:
    return hashlib.sha256("".join(sorted(lines)).encode()).hexdigest()


def test_the_self_loop_is_hashed_once() -> None:
    doc = {
        "@context": [V2],
        "type": ["VerifiableCredential"],
        "issuer": ISSUER,
        "credentialSubject": {"id": "_:b0", "@reverse": {VC + "credentialSubject": {"id": "_:b0"}}},
    }
    # The credential (A) and its subject (B), which is the subject of a credentialSubject quad
    # pointing at itself as well as the object of A's.
    a = [
        f"_:a <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <{VC}VerifiableCredential> .\n",
        f"_:a <{VC}credentialSubject> _:z .\n",
        f"_:a <{VC}issuer> <{ISSUER}> .\n",
    ]
    b = [f"_:a <{VC}credentialSubject> _:a .\n", f"_:z <{VC}credentialSubject> _:a .\n"]
    first, second = ("A", "B") if _first_degree(a) < _first_degree(b) else ("B", "A")
    out = rdfc(doc, default_contexts())
    labels = {"A": "_:c14n0" if first == "A" else "_:c14n1"}
    labels["B"] = "_:c14n1" if second == "B" else "_:c14n0"
    assert f"{labels['B']} <{VC}credentialSubject> {labels['B']} .\n" in out
    assert f"{labels['A']} <{VC}issuer> <{ISSUER}> .\n" in out
    fast = try_rdfc_fast(doc, default_contexts())
    assert fast is None or fast == out
