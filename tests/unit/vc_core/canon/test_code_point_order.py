"""RDFC-1.0 sorts in Unicode code point order, also beyond the Basic Multilingual Plane.

Rare characters of Chinese names (CJK Extension B, e.g. 𠮷 U+20BB7) are real in credentials. In
code point order U+FF01 (！, full-width) sorts before U+20BB7; in UTF-16 code unit order, which
some JavaScript implementations use, U+20BB7 (the pair D842 DFB7) sorts first. ecert keeps code
point order, as RDFC-1.0 §4.4.4 requires, and says when the two would differ.
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from vc_core.canon import beyond_bmp, default_contexts, utf16_order_differs
from vc_core.canon.fast import rdfc_fast, try_rdfc_fast
from vc_core.canon.rdfc import rdfc
from vc_core.errors import VCError

RARE = "\U00020bb7野"  # 𠮷野: a family name written with a CJK Extension B character
FULL_WIDTH = "\uff01"  # ！

DOC = {
    "@context": ["https://www.w3.org/ns/credentials/v2"],
    "type": ["VerifiableCredential"],
    "issuer": "did:example:issuer",
    "name": [RARE, FULL_WIDTH],
    "credentialSubject": {"id": "did:example:subject"},
}
# Derived by hand: one blank node (_:c14n0), credentials v2 terms (name is schema.org/name), and
# the two name lines ordered by code point: U+FF01 < U+20BB7.
EXPECTED = (
    "_:c14n0 <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> "
    "<https://www.w3.org/2018/credentials#VerifiableCredential> .\n"
    f'_:c14n0 <https://schema.org/name> "{FULL_WIDTH}" .\n'
    f'_:c14n0 <https://schema.org/name> "{RARE}" .\n'
    "_:c14n0 <https://www.w3.org/2018/credentials#credentialSubject> <did:example:subject> .\n"
    "_:c14n0 <https://www.w3.org/2018/credentials#issuer> <did:example:issuer> .\n"
)


def test_lines_sort_by_code_point_beyond_the_bmp() -> None:
    ctx = default_contexts()
    assert rdfc(DOC, ctx) == EXPECTED
    assert try_rdfc_fast(DOC, ctx) == EXPECTED


def test_utf16_order_would_differ_and_is_reported() -> None:
    assert beyond_bmp(EXPECTED)
    assert utf16_order_differs(EXPECTED)
    # Sorting by UTF-16 code units puts the rare character first: the disagreement is real.
    lines = EXPECTED.split("\n")
    by_utf16 = sorted(lines, key=lambda line: line.encode("utf-16-be", "surrogatepass"))
    assert by_utf16.index(f'_:c14n0 <https://schema.org/name> "{RARE}" .') < by_utf16.index(
        f'_:c14n0 <https://schema.org/name> "{FULL_WIDTH}" .'
    )


def test_bmp_only_text_never_differs() -> None:
    doc = {**DOC, "name": ["张伟", FULL_WIDTH, "\ue000"]}
    canonical = rdfc(doc, default_contexts())
    assert not beyond_bmp(canonical)
    assert not utf16_order_differs(canonical)


names = st.lists(
    st.text(
        st.one_of(
            st.sampled_from(["\U00020bb7", "\U0002a6a5", "\uff01", "\ue000", "\ufffd", "a", "张"]),
            st.characters(min_codepoint=0x20, max_codepoint=0x2FFFF, exclude_categories=["Cs"]),
        ),
        min_size=1,
        max_size=4,
    ),
    min_size=2,
    max_size=5,
    unique=True,
)


@given(names)
@settings(max_examples=300, deadline=None)
def test_canonical_lines_are_in_code_point_order(values: list[str]) -> None:
    doc = {**DOC, "name": values}
    try:
        canonical = rdfc_fast(doc, default_contexts())
    except VCError:  # control characters and the like are refused; order is not the point
        return
    lines = canonical.split("\n")[:-1]
    assert lines == sorted(lines)
    assert canonical == rdfc(doc, default_contexts())
