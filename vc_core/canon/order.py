"""Code point order, which RDFC-1.0 requires, and where UTF-16 order would differ.

RDFC-1.0 sorts N-Quads lines (§4.4.3 step 8, §4.4.4) and the quads it hashes (§4.6.3 step 4) in
Unicode code point order, which is what Python compares strings by. Some JavaScript
implementations compare by UTF-16 code units instead, and the two orders differ exactly when a
character beyond the Basic Multilingual Plane (U+10000 and up, written as a surrogate pair in
UTF-16, so from 0xD800) meets one between U+E000 and U+FFFF at the same position. Rare characters
of Chinese names (CJK Extension B, U+20000…) are such characters, and full-width forms
(U+FF01…) are common in Chinese text.

An issuer should tell an office when a credential it signs with ``eddsa-rdfc-2022`` contains such
characters, so the office can choose ``eddsa-jcs-2022`` instead: :func:`utf16_order_warning`
gives the sentence to show, with the code :data:`UTF16_ORDER_RISK`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from vc_core.jsonio import iter_strings


def beyond_bmp(text: str) -> bool:
    """Whether ``text`` holds any character beyond U+FFFF (a UTF-16 surrogate pair)."""
    return any(ord(ch) > 0xFFFF for ch in text)


def utf16_order_differs(nquads: str) -> bool:
    """Whether sorting these N-Quads lines by UTF-16 code units gives a different order."""
    # Split on "\n" only: str.splitlines() also breaks at U+2028 and others inside literals.
    lines = nquads.split("\n")
    if not beyond_bmp(nquads):
        return False
    by_code_point = sorted(lines)
    by_utf16 = sorted(lines, key=lambda line: line.encode("utf-16-be", "surrogatepass"))
    return by_code_point != by_utf16


UTF16_ORDER_RISK = "RDFC_UTF16_ORDER_RISK"


def utf16_order_warning(document: Mapping[str, Any], cryptosuite: str) -> str | None:
    """A sentence for the office when an ``eddsa-rdfc-2022`` credential may not verify elsewhere.

    None for other suites, and for credentials whose text stays within the BMP.
    """
    if cryptosuite != "eddsa-rdfc-2022" or not any(map(beyond_bmp, iter_strings(document))):
        return None
    return (
        "this credential holds characters beyond U+FFFF (such as rare CJK name characters); "
        "eddsa-rdfc-2022 sorts by code point as RDFC-1.0 requires, but some JavaScript "
        "implementations sort by UTF-16 code units and may fail to verify it; "
        "eddsa-jcs-2022 avoids the difference"
    )
