"""What JSON-LD would silently lose, found and refused before anything is signed.

VC Data Integrity 1.0 §2.4.3 makes data loss during transformation an error
(``DATA_LOSS_DETECTION_ERROR``): a part of a credential that does not become a quad is a part the
signature does not cover. ``vc_core/canon/README.md`` lists every input form of the JSON-LD 1.1
toRdf algorithm that does not become a quad and what ecert does with it; this module holds the
checks for the forms that are refused. They mirror the "safe mode" of the reference
implementation (jsonld.js ``safe: true``), which Digital Bazaar's Data Integrity libraries use.

Two walks:

- :func:`check_compact` looks at the document as written, for what expansion drops before any
  later check could see it (a reserved ``@`` key, ``@index``, an explicit ``@graph``, a null
  ``@value``, an object with only ``@language``).
- :func:`check_index`, :func:`check_expanded_value` and :func:`check_graph_member` look at the
  expanded form.

:func:`check_rdf_number` is RDF-specific: JSON-LD writes a number that is not a whole number as
an ``xsd:double`` with 16 significant digits (JSON-LD 1.1 API §8.6 step 10), which cannot tell
every pair of doubles apart, and JavaScript processors read every JSON number as a double.
"""

from __future__ import annotations

import math
import re
from typing import Any

from pyld import jsonld

from vc_core.errors import CanonicalizationError, MalformedError

# JSON-LD 1.1 keywords a document (not a context) may use as a key, and that ecert signs.
# ``@index`` and ``@graph`` are keywords too, but refused below; every other ``@``-word is
# "reserved for future use" and ignored by expansion (JSON-LD 1.1 §9.1), so it is refused.
_SIGNED_KEYWORDS = frozenset(
    [
        "@context",
        "@id",
        "@type",
        "@value",
        "@language",
        "@direction",
        "@list",
        "@set",
        "@json",
        "@reverse",
        "@included",
        "@nest",
        "@none",
    ]
)
_KEYWORD_FORM = re.compile(r"@[A-Za-z]+")

# BCP 47 language tag syntax as the reference implementation checks it (jsonld.js REGEX_BCP47).
# Anything else is written into the N-Quads unescaped, where it could forge the line's structure.
LANGUAGE_TAG = re.compile(r"[a-zA-Z]{1,8}(-[a-zA-Z0-9]{1,8})*")

# A lone surrogate is not a Unicode scalar value: it has no UTF-8 form (RFC 3629 §3), so the
# canonical bytes could not be written, and no two implementations would agree on them.
_SURROGATE = re.compile(r"[\ud800-\udfff]")

DATA_LOSS = "DATA_LOSS_DETECTION_ERROR"
NUMBER_NOT_REPRESENTABLE = "NUMBER_NOT_REPRESENTABLE"
NUMBER_PRECISION_LOSS = "NUMBER_PRECISION_LOSS"
NUMBER_NOT_INTEROPERABLE = "NUMBER_NOT_INTEROPERABLE"
INVALID_LANGUAGE_TAG = "INVALID_LANGUAGE_TAG"


def _refuse(message: str, path: str, code: str = DATA_LOSS) -> CanonicalizationError:
    return CanonicalizationError(message, code=code, field=path or "/")


def check_compact(document: Any) -> None:
    """Refuse forms that JSON-LD expansion (API §5.1.2) drops before they could be signed.

    A null value and an empty array are not refused: in JSON-LD both mean "no value" (JSON-LD
    1.1 §4.3.1 and API §5.1.2 step 13.10), so adding or removing one states nothing; ecert's
    credential schemas refuse null where a value is expected (see ``vc_core/canon/README.md``).

    Raises:
        CanonicalizationError: ``DATA_LOSS_DETECTION_ERROR`` naming the path of the form.
        MalformedError: ``INVALID_UNICODE`` for a string or key with a lone surrogate.
    """
    stack: list[tuple[Any, str]] = [(document, "")]
    while stack:
        node, path = stack.pop()
        if isinstance(node, str):
            _check_text(node, path)
        elif isinstance(node, list):
            stack.extend((item, f"{path}[{i}]") for i, item in enumerate(node))
        elif isinstance(node, dict):
            _check_compact_object(node, path)
            for key, value in node.items():
                _check_text(key, path)
                if key != "@context":
                    stack.append((value, f"{path}/{key}"))


def _check_text(text: Any, path: str) -> None:
    if isinstance(text, str) and _SURROGATE.search(text):
        raise MalformedError(
            f"the text at {path or '/'} holds a lone surrogate, which is not Unicode text",
            code="INVALID_UNICODE",
            field=path or "/",
        )


def _check_compact_object(node: dict[Any, Any], path: str) -> None:
    for key in node:
        if not isinstance(key, str) or not _KEYWORD_FORM.fullmatch(key):
            continue
        if key == "@index":
            raise _refuse(
                f"@index at {path or '/'} is not part of the RDF data and would be left unsigned",
                path,
            )
        if key == "@graph":
            raise _refuse(
                f"an explicit @graph at {path or '/'} is not accepted: expansion drops its "
                "members that are values or bare references, which would be left unsigned",
                path,
            )
        if key not in _SIGNED_KEYWORDS:
            raise _refuse(
                f"{key!r} at {path or '/'} is a reserved keyword that JSON-LD ignores; it would "
                "be left unsigned",
                path,
            )
    if "@value" in node and node["@value"] is None:
        raise _refuse(f"a null @value at {path or '/'} is dropped and would be left unsigned", path)
    if node and "@value" not in node and node.keys() <= {"@language", "@direction"}:
        raise _refuse(
            f"an object with only @language or @direction at {path or '/'} is dropped and "
            "would be left unsigned",
            path,
        )


def check_index(node: dict[str, Any], path: str) -> None:
    """An expanded value or node object carries no ``@index`` (an index map leaves one on each
    member), since toRdf keeps none."""
    if "@index" in node:
        raise _refuse(
            f"an index at {path or '/'} (an @index container) is not part of the RDF data and "
            "would be left unsigned",
            path,
        )


def check_expanded_value(node: dict[str, Any], path: str) -> None:
    """Checks on one expanded value object that every suite needs, beyond :func:`check_index`."""
    language = node.get("@language")
    if language is not None and not (
        isinstance(language, str) and LANGUAGE_TAG.fullmatch(language)
    ):
        raise _refuse(
            f"the language tag {language!r} at {path or '/'} is not a BCP 47 tag",
            path,
            INVALID_LANGUAGE_TAG,
        )


def check_graph_member(member: Any, path: str) -> None:
    """A member of a graph must be a node object that states something (API §7.2.2, §8.1.2).

    Node Map Generation keeps no quad for a value, a list, or a node with nothing but an id at
    the top of a graph (jsonld.js safe mode: "free-floating scalar", "object with only @id").
    """
    if not isinstance(member, dict) or "@value" in member or "@list" in member:
        raise _refuse(
            f"a value at the top of a graph at {path or '/'} is not part of the RDF data and "
            "would be left unsigned",
            path,
        )
    if not [k for k in member if k != "@id"]:
        raise _refuse(
            f"a graph at {path or '/'} holds an object with nothing but an id, which is not part "
            "of the RDF data and would be left unsigned",
            path,
        )


def check_rdf_number(value: Any, path: str, *, as_double: bool = False) -> None:
    """A JSON number must become an RDF literal that means that number and no other.

    JSON-LD 1.1 API §8.6 (Object to RDF Conversion) writes a number with a fraction, or one of
    magnitude ≥ 10^21, as ``xsd:double`` in the form ``d.dddddddddddddddE±n`` (16 significant
    digits), and any other as ``xsd:integer``. JavaScript processors read every JSON number as an
    IEEE 754 double first. A number is accepted when it is such a double exactly and its literal
    reads back as the same double; otherwise two different numbers would share one signature.
    ``as_double`` says the value is typed ``xsd:double``, which writes even a whole number in
    that form (§8.6 step 10).
    """
    if type(value) is bool or not isinstance(value, int | float):
        return
    if isinstance(value, float) and not math.isfinite(value):
        raise _refuse(f"the number at {path or '/'} is not finite", path, NUMBER_NOT_REPRESENTABLE)
    if not as_double and _misread_as_integer(value):
        raise _refuse(
            f"the number at {path or '/'} is a fraction that jsonld.js writes as the integer 0 "
            "(its shortest form has no decimal point), so an eddsa-rdfc-2022 proof over it would "
            "not verify there; write it as a string or as a double-typed value",
            path,
            NUMBER_NOT_INTEROPERABLE,
        )
    if isinstance(value, int) and not _is_exact_double(value):
        raise _refuse(
            f"the integer at {path or '/'} is not exactly a double, so JSON-LD processors would "
            "sign a different number; write it as a string",
            path,
            NUMBER_NOT_REPRESENTABLE,
        )
    if as_double or (isinstance(value, float) and not value.is_integer()) or abs(value) >= 1e21:
        lexical: str = jsonld._canonicalize_double(float(value))
        if float(lexical) != value:
            raise _refuse(
                f"the number at {path or '/'} needs more than the 16 significant digits that "
                "RDF canonicalization keeps (it would share a signature with "
                f"{float(lexical)!r}); write it as a string or round it",
                path,
                NUMBER_PRECISION_LOSS,
            )


def _misread_as_integer(value: int | float) -> bool:
    """A fraction the reference implementation takes for a whole number.

    JSON-LD 1.1 API §8.6 step 10 makes a number with a non-zero fractional part an
    ``xsd:double``. jsonld.js (toRdf.js, types.isDouble) instead looks for a "." in JavaScript's
    shortest form of the number, which has none for a fraction below 10^-6 with one significant
    digit (``1e-7``, ``5e-324``), and writes it as ``toFixed(0)``: ``"0"^^xsd:integer``. Python's
    ``repr`` is the same shortest form, in exponent notation below 10^-4.
    """
    return type(value) is float and value != 0.0 and abs(value) < 1e-6 and "." not in repr(value)


def _is_exact_double(value: int) -> bool:
    try:
        return int(float(value)) == value
    except OverflowError:
        return False


def check_json_numbers(value: Any, path: str) -> None:
    """Every number inside an ``@json`` literal must be exactly a double (RFC 8785 §3.2.2.3)."""
    stack: list[Any] = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
        elif type(item) is int and not _is_exact_double(item):
            raise _refuse(
                f"an integer inside the JSON literal at {path or '/'} is not exactly a double",
                path,
                NUMBER_NOT_REPRESENTABLE,
            )
