"""Hypothesis strategies of varied credentials for the interop tests.

Two families. ``credentials()`` builds free-form credentials under credentials v2, examples v2
(whose ``@vocab`` makes any word a term) and a test context (``interop-context.jsonld``, only for
these tests) that defines ``@json``, dateTime, date, decimal, ``@id``, ``@vocab``, ``@list``,
``@set``, ``@graph``, ``@language``, ``@reverse``, ``@nest``, ``@included``, property-valued
``@index``, lists of lists, and ``xsd:double``/``integer``/``boolean`` terms, a default language
and a default direction. Values
are text in every script (beyond U+FFFF, combining marks, right-to-left, noncharacters, line
separators), empty strings, numbers of every kind (big integers, -0, exponents, subnormals, 17
significant digits), booleans, language- and direction-tagged values, typed literals, IRIs with
odd characters, nested and blank nodes, arrays, lists and repeated values. ``mutated_examples()``
keeps an ecert example credential and replaces its values, under the real ecert context.
A few draws are forms ecert refuses (control characters, lone surrogates, invalid language tags,
relative IRIs, undefined terms), so the refusal path is compared too.
"""

from __future__ import annotations

import string
from typing import Any

from hypothesis import strategies as st

from vc_core.credential_types import CREDENTIAL_TYPES, example_credential

V2 = "https://www.w3.org/ns/credentials/v2"
EXAMPLES_V2 = "https://www.w3.org/ns/credentials/examples/v2"
INTEROP_CONTEXT = "https://ecert.example/interop-test/v1"
XSD = "http://www.w3.org/2001/XMLSchema#"

# Hostile forms are drawn when an integer draw hits this value: rarely, and not at 0, towards
# which hypothesis leans.
RARE = 37

# Characters chosen to stress canonical forms: beyond the BMP (CJK Extension B, emoji, a ZWJ
# sequence), E000–FFFF (full-width punctuation, private use, noncharacters, BOM, replacement),
# combining marks and decomposed forms, right-to-left scripts and marks, separators, escapes.
SPECIAL = [
    "𠮷",
    "😀",
    "👩\u200d👩\u200d👧",
    "𝄞",
    "\U0010fffd",
    "！",
    "\ue000",
    "\uffff",
    "\ufffe",
    "\ufeff",
    "\ufffd",
    "e\u0301",
    "é",
    "\u0915\u094d\u0937",
    "مرحبا",
    "שלום",
    "\u200f",
    "\u202e",
    "\u2028",
    "\u2029",
    "\u00a0",
    "\u3000",
    '"',
    "\\",
    "/",
    "<",
    "\t",
    "\n",
    "\r",
    "\x85",
]
# Control characters other than tab, LF and CR: ecert refuses them (README "control-character").
CONTROL = ["\x00", "\x01", "\x08", "\x0b", "\x0c", "\x1f", "\x7f"]
BEYOND_BMP = ["𠮷", "😀", "𝄞", "\U0010fffd"]
HIGH_BMP = ["！", "\ue000", "\uffff", "\ufeff", "\ufffd"]
_ANY_CHAR = st.characters(exclude_categories=("Cs", "Cc"))
texts = st.one_of(
    st.just(""),
    st.text(_ANY_CHAR, max_size=8),
    st.lists(st.sampled_from(SPECIAL) | st.text(_ANY_CHAR, max_size=2), max_size=5).map("".join),
    st.tuples(st.integers(0, 200), st.sampled_from(CONTROL)).map(
        lambda p: "x" + p[1] * (p[0] == RARE)
    ),
)
# A lone surrogate: refused by ecert (no UTF-8 form), drawn rarely.
lone_surrogates = st.integers(0xD800, 0xDFFF).map(lambda c: "x" + chr(c))

numbers = st.one_of(
    st.integers(-1000, 1000),
    st.integers(-(2**53), 2**53),
    st.integers(-(2**70), 2**70),
    st.sampled_from([2**53, 2**53 + 1, 2**60, 10**20, 10**21, 10**22, -(2**63), 2**64]),
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from(
        [
            -0.0,
            0.0,
            1.0,
            0.5,
            1e21,
            1e20,
            1.5e21,
            1e-7,
            1e-6,
            123456789012345678.0,
            5e-324,
            2.2250738585072014e-308,
            1.7976931348623157e308,
            0.1 + 0.2,
            0.1,
            1 / 3,
            9007199254740993.0,
            -1e-300,
            4.35,
            100.0,
        ]
    ),
)
scalars = st.one_of(texts, numbers, st.booleans(), st.none())

LANGUAGES = ["en", "EN-gb", "zh-Hans-CN", "ar-EG", "he", "x-private", "i-klingon", "de-CH-1901"]
BAD_LANGUAGES = ["en_US", "", "e n", "en-", "123456789"]
languages = st.sampled_from(LANGUAGES) | st.sampled_from(BAD_LANGUAGES)
IRIS = [
    "https://example.org/a",
    "https://例え.jp/パス?q=ü#frag",
    "https://example.org/%E2%82%AC?x=1&y=2",
    "https://example.org/a%zz",
    "urn:uuid:9a4e7c21-0d3b-4f6a-8e15-b2c7d9f04a68",
    "did:example:ü𠮷",
    "mailto:a@example.org",
    "tag:example.org,2026:x",
    "https://example.org/a b",
    "https://example.org/<x>",
    'https://example.org/"q"',
    "https://example.org/{x}|^`\\",
    "relative/path",
    "_:b0",
    "ex:term",
]
# A small pool of blank node labels, so nodes refer to each other and to themselves: cycles and
# look-alike nodes drive RDFC-1.0 into Hash N-Degree Quads (§4.8).
BLANK = ["_:b0", "_:b1", "_:b2"]
iris = st.sampled_from(IRIS) | st.sampled_from(BLANK)
words = st.one_of(
    st.text(alphabet=string.ascii_letters, min_size=1, max_size=6).map(lambda w: "x" + w),
    st.sampled_from(["名前", "ñame", "a-b", "a.b", "a_b", "x1", "Ünïcode"]),
)
datetimes = st.sampled_from(
    [
        "2026-01-01T00:00:00Z",
        "2026-01-01T00:00:00.123456789+08:00",
        "2026-13-45T99:00:00Z",
        "not a date",
        "2026-01-01",
        "-0001-01-01T00:00:00Z",
    ]
)
dates = st.sampled_from(["2026-01-01", "2026-02-30", "2026-01-01Z", "２０２６-01-01"])


def value_objects() -> st.SearchStrategy[dict[str, Any]]:
    tagged = st.builds(lambda v, lang: {"@value": v, "@language": lang}, texts, languages)
    directed = st.builds(
        lambda v, d, lang: {"@value": v, "@direction": d, **({"@language": lang} if lang else {})},
        texts,
        st.sampled_from(["ltr", "rtl", "up"]),
        st.none() | languages,
    )
    typed = st.one_of(
        st.builds(lambda v: {"@value": v, "@type": "xsd:dateTime"}, datetimes),
        st.builds(lambda v: {"@value": v, "@type": XSD + "date"}, dates),
        st.builds(lambda v: {"@value": v, "@type": "https://example.org/type#ü"}, texts),
        st.builds(lambda v: {"@value": v, "@type": XSD + "string"}, texts),
    )
    return st.one_of(tagged, directed, typed, st.builds(lambda v: {"@value": v}, scalars))


json_literals = st.one_of(
    scalars,
    st.lists(scalars, max_size=3),
    st.dictionaries(texts, scalars | st.lists(scalars, max_size=2), max_size=3),
)


def defined_terms(node: st.SearchStrategy[Any]) -> dict[str, st.SearchStrategy[Any]]:
    """Values for each term of the test context."""
    return {
        "jsonValue": json_literals,
        "when": datetimes,
        "day": dates,
        "decimal": st.sampled_from(["1.50", "-0", "1e3", "0.1"]) | numbers,
        "link": iris | st.lists(iris, max_size=3),
        "kind": st.sampled_from(["VerifiableCredential", "xThing", "https://example.org/T"]),
        "ordered": st.lists(scalars | node, max_size=4),
        "bag": st.lists(scalars, max_size=4),
        "tagged": texts,
        "rtl": texts,
        "langMap": st.dictionaries(st.sampled_from(LANGUAGES), texts | st.lists(texts), max_size=3),
        "graphed": node,
        "reversed": node,
        "nested": st.dictionaries(words, scalars, min_size=1, max_size=2),
        "included": st.lists(node, max_size=2),
        "lists": st.lists(st.lists(scalars, max_size=2), max_size=3),
        "byName": st.dictionaries(words, node, max_size=2),
        "dbl": numbers,
        "int": numbers,
        "bool": st.booleans() | numbers | texts,
    }


def _values(node: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    one = st.one_of(scalars, value_objects(), node)
    # Repeated values are drawn on purpose: the same literal twice is one RDF statement.
    repeated = one.map(lambda v: [v, v])
    # Sibling values that differ at one position by characters from different planes, where
    # code point order and UTF-16 order disagree.
    siblings = st.tuples(st.sampled_from(BEYOND_BMP), st.sampled_from(HIGH_BMP), texts).map(
        lambda t: [t[2] + t[0], t[2] + t[1]]
    )
    return st.one_of(one, st.lists(one, max_size=4), repeated, siblings)


@st.composite
def nodes(draw: st.DrawFn, depth: int = 0) -> dict[str, Any]:
    """A node object: @vocab words, test-context terms, maybe an id and types, nested nodes."""
    inner = nodes(depth + 1) if depth < 2 else st.just({})
    out: dict[str, Any] = draw(st.dictionaries(words, _values(inner), max_size=4))
    terms = defined_terms(inner)
    for term in draw(st.lists(st.sampled_from(sorted(terms)), max_size=3, unique=True)):
        out[term] = draw(terms[term])
    if draw(st.integers(0, 3)) == 0:
        out["id"] = draw(iris)
    if draw(st.integers(0, 3)) == 0:
        out["type"] = draw(st.lists(words, min_size=1, max_size=2))
    if draw(st.integers(0, 60)) == RARE:
        out[draw(st.sampled_from(["@unknown", "_:b1", "ex:x"]))] = "x"
    if draw(st.integers(0, 200)) == RARE:
        out["x"] = draw(lone_surrogates)
    return out


@st.composite
def credentials(draw: st.DrawFn, issuer: str) -> dict[str, Any]:
    subject = draw(nodes())
    doc: dict[str, Any] = {
        "@context": [V2, EXAMPLES_V2, INTEROP_CONTEXT],
        "type": ["VerifiableCredential", *draw(st.lists(words, max_size=1))],
        "issuer": issuer,
        "validFrom": "2026-01-01T00:00:00Z",
        "credentialSubject": subject,
    }
    if draw(st.booleans()):
        doc["name"] = draw(texts | value_objects())
    if draw(st.booleans()):
        doc["id"] = draw(st.uuids().map(lambda u: f"urn:uuid:{u}"))
    return doc


def _replace_leaves(draw: st.DrawFn, value: Any) -> Any:
    if isinstance(value, dict):
        return {k: v if k in ("type", "id") else _replace_leaves(draw, v) for k, v in value.items()}
    if isinstance(value, list):
        return [_replace_leaves(draw, v) for v in value]
    if isinstance(value, str) and draw(st.booleans()):
        return draw(texts)
    return value


@st.composite
def mutated_examples(draw: st.DrawFn, issuer: str) -> dict[str, Any]:
    """An ecert example credential, its subject's text replaced, under the ecert context."""
    doc = example_credential(draw(st.sampled_from(sorted(CREDENTIAL_TYPES))))
    doc["credentialSubject"] = _replace_leaves(draw, doc["credentialSubject"])
    doc["issuer"] = issuer
    return doc
