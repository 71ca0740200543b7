"""The fast RDFC path on every W3C eddsa-rdfc-2022 vector: byte-identical, and really taken.

Sources: ../shared/conformance/README.md (w3c/vc-di-eddsa TestVectors, EdDSA Appendix B.1,
B.2 and the proof-set-chain folder). Each document and each proof configuration (the proof
options with the document's ``@context``, EdDSA §3.2.5) must take the fast path, give exactly
the reference's N-Quads, and, where the vector publishes them, exactly the published bytes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from vc_core.canon import LocalContexts
from vc_core.canon.fast import rdfc_fast, try_rdfc_fast
from vc_core.canon.rdfc import rdfc

Vector = Callable[[str], Any]

RDFC = "eddsa-rdfc-2022"
PSC = f"{RDFC}/proof-set-chain"

# Documents: unsigned, signed (proof in its @graph container) and the proof-chain temporary
# documents, each with the canonical file the vector publishes for it, if any.
DOCUMENTS = [
    (f"{RDFC}/unsigned.json", f"{RDFC}/canonDocDataInt.txt"),
    (f"{RDFC}/signedDataInt.json", None),
    (f"{RDFC}/employ/employmentAuth.json", f"{RDFC}/employ/canonDocDataInt.txt"),
    (f"{RDFC}/employ/signedDataInt.json", None),
    (f"{PSC}/unsigned.json", None),
    (f"{PSC}/proofChainTempDoc1.json", None),
    (f"{PSC}/proofChainTempDoc2.json", None),
    (f"{PSC}/signedProofChain1.json", None),
    (f"{PSC}/signedProofChain2.json", None),
    (f"{PSC}/signedProofSet1.json", None),
    (f"{PSC}/signedProofSet2.json", None),
]

# Proof configurations, with the document whose @context they take when they lack one.
PROOF_CONFIGS = [
    (f"{RDFC}/proofConfigDataInt.json", f"{RDFC}/unsigned.json", f"{RDFC}/proofCanonDataInt.txt"),
    (
        f"{RDFC}/employ/proofConfigDataInt.json",
        f"{RDFC}/employ/employmentAuth.json",
        f"{RDFC}/employ/proofCanonDataInt.txt",
    ),
    *[
        (f"{PSC}/{name}.json", f"{PSC}/unsigned.json", None)
        for name in (
            "proofSetConfig1",
            "proofSetConfig2",
            "proofSetConfigSigned1",
            "proofSetConfigSigned2",
            "proofChainConfig1",
            "proofChainConfig2",
            "proofChainConfigSigned1",
            "proofChainConfigSigned2",
        )
    ],
]


def _check(doc: dict[str, Any], ctx: LocalContexts, published: str | None) -> None:
    reference = rdfc(doc, ctx)
    fast = try_rdfc_fast(doc, ctx)
    assert fast is not None, "the fast path declined a W3C vector"
    assert fast == reference
    assert rdfc_fast(doc, ctx) == reference
    if published is not None:
        assert fast == published


@pytest.mark.parametrize(("name", "canonical"), DOCUMENTS)
def test_documents(
    vector: Vector, w3c_contexts: LocalContexts, name: str, canonical: str | None
) -> None:
    _check(vector(name), w3c_contexts, vector(canonical) if canonical else None)


@pytest.mark.parametrize(("name", "document", "canonical"), PROOF_CONFIGS)
def test_proof_configurations(
    vector: Vector, w3c_contexts: LocalContexts, name: str, document: str, canonical: str | None
) -> None:
    config = dict(vector(name))
    # EdDSA §3.2.5 step 2: the proof configuration carries the document's @context.
    config["@context"] = vector(document)["@context"]
    _check(config, w3c_contexts, vector(canonical) if canonical else None)


def test_jcs_vector_with_embedded_proof_context_goes_to_the_reference(
    vector: Vector, w3c_contexts: LocalContexts
) -> None:
    # The eddsa-jcs-2022 signed proof carries its own @context, an embedded context that the
    # fast walk does not process; the reference must answer, with the same result.
    doc = vector("eddsa-jcs-2022/signedJCS.json")
    assert try_rdfc_fast(doc, w3c_contexts) is None
    assert rdfc_fast(doc, w3c_contexts) == rdfc(doc, w3c_contexts)
