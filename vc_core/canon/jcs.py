"""RFC 8785 JSON Canonicalization Scheme: a fast path over orjson or the stdlib encoder, else
``rfc8785``.

JCS (RFC 8785 §3.2) is ECMAScript's ``JSON.stringify`` with object members sorted by the UTF-16
code units of their names. For the values ecert signs — objects whose names lie in the Basic
Multilingual Plane, arrays, strings, booleans, null and integers within ±(2^53 − 1) — that is what
``json.dumps(sort_keys=True, separators=(",", ":"), ensure_ascii=False)`` writes, about four
times faster than the pure-Python ``rfc8785``, and what ``orjson.dumps`` writes with sorted
keys, twenty times faster again (used when installed; see :func:`_dumps_orjson`):

- strings: both escape ``"``, ``\\``, ``\\b \\f \\n \\r \\t`` short and every other control
  character as ``\\u00xx`` (lower-case hex), and write everything else as itself (§3.2.2.2);
- names: within the Basic Multilingual Plane, code-point order is UTF-16 order (§3.2.3);
- integers in that range print the same as the ECMAScript numbers they denote (§3.2.2.3).

Anything else — a float, a name beyond the BMP or not a string, an integer out of range, a tuple
or a subclass of a JSON type — takes the ``rfc8785`` path, as does a string holding a lone
surrogate (its UTF-8 encoding fails), so that ``rfc8785`` raises its own error for it.

Numbers are IEEE 754 doubles in JCS (RFC 8785 §3.2.2.3). ``rfc8785`` refuses every integer beyond
±(2^53 − 1), but many of them are doubles exactly: ``100000000000000000000`` is what the reference
implementation writes for ``1e20``. Such an integer is canonicalized as that double; only an
integer that no double equals (``2**53 + 1``) is refused, with ``NUMBER_NOT_REPRESENTABLE``,
because a JavaScript verifier would read a different number and sign different bytes.
``tests/unit/vc_core/canon/test_jcs_fast.py`` checks both paths give the same bytes.

Example:
    >>> jcs({"b": [1, True, None], "a": "é\\n"}).decode()
    '{"a":"é\\\\n","b":[1,true,null]}'
"""

from __future__ import annotations

import json
import math
from typing import Any

import rfc8785

from vc_core.errors import MalformedError

try:
    import orjson
except ImportError:  # an environment made before orjson was a dependency: the stdlib encoder
    orjson = None  # type: ignore[assignment]

_MAX_SAFE_INT = 2**53 - 1
_encode = json.JSONEncoder(
    ensure_ascii=False,
    sort_keys=True,
    separators=(",", ":"),
    allow_nan=False,
    check_circular=False,
).encode


def _dumps_stdlib(value: Any) -> bytes:
    """The stdlib encoder's UTF-8 bytes (UnicodeEncodeError for a lone surrogate)."""
    return _encode(value).encode("utf-8")


def _dumps_orjson(value: Any) -> bytes:
    """orjson's bytes, with keys sorted: for a plain value the very bytes of the stdlib encoder
    (strings escaped alike, names sorted by code point, integers written alike), in a
    twentieth of its time. What orjson refuses (``JSONEncodeError``, a TypeError: a lone
    surrogate, or nesting past its limit of 255 levels) goes to the stdlib encoder, which
    writes the deep value and refuses the surrogate as before.
    ``tests/unit/vc_core/canon/test_jcs_fast.py`` compares both encoders with each other and
    with ``rfc8785``."""
    try:
        return orjson.dumps(value, option=orjson.OPT_SORT_KEYS)
    except TypeError:
        return _dumps_stdlib(value)


_dumps = _dumps_stdlib if orjson is None else _dumps_orjson
# What the encoders raise for a plain value they cannot write, a lone surrogate, for which
# ``rfc8785`` then raises its own error.
_UNWRITABLE = UnicodeEncodeError


# The first code point beyond the Basic Multilingual Plane. A name made only of code points
# below it is its own UTF-16 code units, so code-point order (Python's, the stdlib encoder's
# sort_keys) is UTF-16 order there (RFC 8785 §3.2.3). Surrogate code points are below it too;
# a name holding one fails the UTF-8 encoding and goes to ``rfc8785``.
_BEYOND_BMP = "\U00010000"


_STR_ONLY = frozenset({str})


def _plain_names(names: dict[Any, Any]) -> bool:
    """Whether every name is exactly a ``str`` within the BMP, judged in C: one pass over the
    names' types, then one over their joined text (a credential has about a hundred)."""
    if not _STR_ONLY.issuperset(map(type, names)):
        return False
    text = "".join(names)
    return text.isascii() or max(text, default="") < _BEYOND_BMP


def _plain(value: Any) -> bool:
    """Whether ``value`` is made only of what the stdlib encoder writes as JCS (see above).

    Scalars are judged in the loop rather than by a call each: a credential has a few dozen.
    """
    kind = type(value)
    if kind is dict:
        if not _plain_names(value):
            return False
        items: Any = value.values()
    elif kind is list:
        items = value
    else:
        return _plain_scalar(value)
    for item in items:
        kind = type(item)
        if kind is str or kind is bool or item is None:
            continue
        if kind is dict or kind is list:
            if not _plain(item):
                return False
        elif not _plain_scalar(item):
            return False
    return True


# What plain_within found: plain and within the depth, not plain (depth not known), too deep.
_PLAIN, _NOT_PLAIN, _TOO_DEEP = 0, 1, 2


def plain_within(value: Any, max_depth: int) -> bool | None:
    """``None`` if ``value`` nests containers deeper than ``max_depth`` (as
    :func:`vc_core.jsonio.deeper_than`), else whether it is plain (as :func:`_plain`), in one
    walk instead of two. ``False`` says nothing about depth: the walk stops at the first thing
    that is not plain, so the caller must still ask ``deeper_than``.
    ``tests/unit/vc_core/canon/test_jcs_fast.py`` compares it with both.
    """
    if max_depth < 0:
        return None
    found = _plain_within(value, max_depth)
    return None if found == _TOO_DEEP else found == _PLAIN


def _plain_within(value: Any, room: int) -> int:
    # ``room`` is how many more levels of containers may open here, this one included.
    kind = type(value)
    if kind is not dict and kind is not list:
        return _PLAIN if _plain_scalar(value) else _NOT_PLAIN
    if room <= 0:
        return _TOO_DEEP
    if kind is dict and not _plain_names(value):
        return _NOT_PLAIN
    items: Any = value.values() if kind is dict else value
    for item in items:
        kind = type(item)
        if kind is str or kind is bool or item is None:
            continue
        if kind is dict or kind is list:
            found = _plain_within(item, room - 1)
            if found != _PLAIN:
                return found
        elif not _plain_scalar(item):
            return _NOT_PLAIN
    return _PLAIN


def _plain_scalar(value: Any) -> bool:
    kind = type(value)
    if kind is int:
        number: int = value
        return -_MAX_SAFE_INT <= number <= _MAX_SAFE_INT
    return kind is str or kind is bool or value is None


def _fast(value: Any) -> bytes | None:
    """The JCS bytes of a plain value (see :func:`_plain`), or ``None`` when it is not one."""
    if not _plain(value):
        return None
    try:
        return _dumps(value)
    except _UNWRITABLE:
        # A lone surrogate: ``rfc8785`` refuses it with its own error.
        return None


def _as_doubles(value: Any) -> Any:
    """``value`` with every integer beyond the safe range replaced by the double equal to it.

    Raises:
        MalformedError: ``NUMBER_NOT_REPRESENTABLE`` for an integer no double equals exactly.
    """
    kind = type(value)
    if kind is dict:
        return {k: _as_doubles(v) for k, v in value.items()}
    if kind is list or kind is tuple:
        return [_as_doubles(v) for v in value]
    if kind is int and not -_MAX_SAFE_INT <= value <= _MAX_SAFE_INT:
        try:
            double = float(value)
        except OverflowError:
            double = math.inf
        if not math.isfinite(double) or int(double) != value:
            raise MalformedError(
                f"the integer {_abbreviated(value)} is not exactly an IEEE 754 double, so "
                "JCS (RFC 8785 §3.2.2.3) cannot carry it; write it as a string",
                code="NUMBER_NOT_REPRESENTABLE",
            )
        return double
    return value


def _abbreviated(number: int) -> str:
    # Integers of any length reach here; a message quotes only their ends and their size.
    text = str(number)
    return text if len(text) <= 40 else f"{text[:16]}…{text[-8:]} ({len(text)} digits)"


def jcs(value: Any) -> bytes:
    """The RFC 8785 canonical UTF-8 bytes of a JSON value.

    Raises:
        MalformedError: the value holds something JSON cannot carry exactly: an integer that is
            not exactly a double (``NUMBER_NOT_REPRESENTABLE``); NaN or an infinity, a
            non-string key, a lone surrogate (``NOT_CANONICALIZABLE``).
    """
    fast = _fast(value)
    if fast is not None:
        return fast
    try:
        return bytes(rfc8785.dumps(_as_doubles(value)))
    except (rfc8785.CanonicalizationError, TypeError, ValueError) as exc:
        raise MalformedError(
            f"value cannot be canonicalized with JCS: {exc}", code="NOT_CANONICALIZABLE"
        ) from exc


def _member(name: str, value: Any) -> bytes:
    """One member of a plain object as the encoders write it: name, colon, value."""
    return _dumps(name) + b":" + _dumps(value)


def jcs_secured(
    document: dict[str, Any], *, known_plain: bool = False
) -> tuple[bytes, bytes | None]:
    """The JCS bytes of a secured document, and of the same document without its ``proof``
    member (the unsecured document of VC-DI 1.0 §4.4 step 1, which ``eddsa-jcs-2022`` signs,
    EdDSA §3.3.3), for the work of about one encoding.

    A verifier needs both: the first is what an issuer anchors, the second what the proof
    signs. On the fast path the unsecured document is encoded once, and the ``proof`` member is
    spliced in where JCS orders it: after the members whose names sort before ``"proof"``,
    before the rest, which are encoded apart to find the place (the JSON encoder writes an
    object as its sorted members joined by commas). The unsecured bytes are ``None`` where the
    fast path does not apply; the caller then canonicalizes the unsecured document itself.
    ``tests/unit/vc_core/canon/test_jcs_fast.py`` checks both results against :func:`jcs`.
    ``known_plain``: the caller has just found ``document`` plain (:func:`plain_within`).

    Raises:
        MalformedError: as :func:`jcs`.
    """
    if type(document) is not dict or not (known_plain or _plain(document)):
        return jcs(document), None
    if "proof" not in document:
        whole = _fast(document)
        return (jcs(document), None) if whole is None else (whole, whole)
    unsecured = {k: v for k, v in document.items() if k != "proof"}
    try:
        text = _dumps(unsecured)
        tail = b",".join(_member(k, unsecured[k]) for k in sorted(unsecured) if k > "proof")
        member = b'"proof":' + _dumps(document["proof"])
    except _UNWRITABLE:
        # A lone surrogate: ``rfc8785`` refuses it with its own error.
        return jcs(document), None
    if tail:
        cut = len(text) - 1 - len(tail)
        whole = text[:cut] + member + b"," + text[cut:]
    elif unsecured:
        whole = text[:-1] + b"," + member + b"}"
    else:
        whole = b"{" + member + b"}"
    return whole, text
