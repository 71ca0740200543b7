"""The five ecert credential types: their registry, and validation against schema and rules.

:func:`validate_credential` runs these steps and raises the first problem, in a fixed order, with
every problem listed in ``details["errors"]``:

(1) Type: the credential has exactly one ecert type (:func:`credential_type_of`).
(2) Schema: the JSON Schema 2020-12 of that type (``schemas/<Type>.schema.json``), with the
    ``date``, ``date-time`` and ``uri`` formats checked; ``issuer`` is required only when asked.
(3) Identifiers: check characters and structure of the USCC, resident ID, division code and
    property numbers (:mod:`vc_core.identifiers`). An identifier error replaces the schema's
    pattern error on the same field, because it says precisely what is wrong. Values must be
    written in their normalized form, so that one identifier is always spelled one way.
(4) Rules, once the structure is sound: ``validUntil`` after ``validFrom`` (VCDM 2.0 §4.9), a
    property term that ends after it starts, and owners' shares that sum to exactly 1.

Errors are :class:`~vc_core.errors.SchemaError` or :class:`~vc_core.errors.IdentifierError`
whose ``field`` is a path such as ``credentialSubject.owners[1].idNumber``.

Example:
    >>> import json
    >>> from importlib import resources
    >>> text = resources.files("schemas").joinpath("examples/property-deed.json").read_text("utf-8")
    >>> doc = json.loads(text)
    >>> validate_credential(doc)
    'PropertyDeedCredential'
    >>> subject_region(doc)
    '510104'
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum
from functools import lru_cache
from importlib import resources
from types import MappingProxyType
from typing import Any, NoReturn

import jsonschema_rs
from jsonschema import Draft202012Validator, FormatChecker

from vc_core.errors import IdentifierError, SchemaError, VCError
from vc_core.identifiers import (
    validate_division_code,
    validate_property_certificate_number,
    validate_property_unit_number,
    validate_resident_id,
    validate_uscc,
)
from vc_core.jsonio import JsonCode, iter_strings
from vc_core.times import is_datetime_stamp, parse_instant


class CredentialTypeCode(StrEnum):
    """Stable codes of a credential that does not fit its type: which type, and which field."""

    CREDENTIAL_TYPE_UNKNOWN = "CREDENTIAL_TYPE_UNKNOWN"
    CREDENTIAL_TYPE_AMBIGUOUS = "CREDENTIAL_TYPE_AMBIGUOUS"
    SCHEMA_FIELD_MISSING = "SCHEMA_FIELD_MISSING"
    SCHEMA_FIELD_NOT_ALLOWED = "SCHEMA_FIELD_NOT_ALLOWED"
    SCHEMA_FIELD_INVALID = "SCHEMA_FIELD_INVALID"
    IDENTIFIER_NOT_NORMALIZED = "IDENTIFIER_NOT_NORMALIZED"
    VALIDITY_PERIOD_INVALID = "VALIDITY_PERIOD_INVALID"
    TERM_INVALID = "TERM_INVALID"
    OWNER_SHARES_INVALID = "OWNER_SHARES_INVALID"


# An identifier check takes the value, the field path and the reference day, and returns the
# normalized value or raises IdentifierError.
_Check = Callable[[str, str, date | None], str]
_CHECKS: Mapping[str, _Check] = {
    "resident-id": lambda value, field, today: validate_resident_id(
        value, field=field, today=today
    ),
    "uscc": lambda value, field, _: validate_uscc(value, field=field),
    "division": lambda value, field, _: validate_division_code(value, field=field),
    "certificate": lambda value, field, _: validate_property_certificate_number(value, field=field),
    "unit": lambda value, field, _: validate_property_unit_number(value, field=field),
}
# Identity documents whose numbers have a check character; other idTypes are checked by shape.
_PARTY_ID_TYPES = ("resident-id", "uscc")


@dataclass(frozen=True)
class CredentialType:
    """One ecert credential type: its files, its identifier fields and its subject's region.

    ``identifiers`` maps a ``credentialSubject`` field to the check it gets; ``region_field`` is
    the identifier field that holds the subject's division code.
    """

    name: str
    title: str
    example_file: str
    identifiers: Mapping[str, str]
    region_field: str

    @property
    def schema_file(self) -> str:
        return f"{self.name}.schema.json"


# fmt: off
CREDENTIAL_TYPES: Mapping[str, CredentialType] = MappingProxyType({t.name: t for t in (
    CredentialType("DriverLicenceCredential", "机动车驾驶证", "driver-licence.json",
                   {"licenceNumber": "resident-id", "divisionCode": "division"}, "divisionCode"),
    CredentialType("BusinessLicenceCredential", "营业执照", "business-licence.json",
                   {"unifiedSocialCreditCode": "uscc"}, "unifiedSocialCreditCode"),
    CredentialType("ProfessionalLicenceCredential", "执业资格证书", "professional-licence.json",
                   {"divisionCode": "division"}, "divisionCode"),
    CredentialType("PropertyDeedCredential", "不动产权证书", "property-deed.json",
                   {"certificateNumber": "certificate", "unitNumber": "unit"}, "unitNumber"),
    CredentialType("SocialCreditRecordCredential", "法人和其他组织信用记录",
                   "social-credit-record.json",
                   {"unifiedSocialCreditCode": "uscc"}, "unifiedSocialCreditCode"),
)})
# fmt: on
# Where the division code starts in each kind of identifier: positions 3–8 of a USCC
# (GB 32100-2015), positions 1–6 of a unit number (GB/T 37346-2019) or the whole division code.
_REGION_START = {"uscc": 2, "unit": 0, "division": 0}


def credential_type_of(doc: Mapping[str, Any]) -> str:
    """The one ecert type named in the credential's ``type``.

    Raises:
        SchemaError: ``CREDENTIAL_TYPE_UNKNOWN`` (no ecert type) or ``CREDENTIAL_TYPE_AMBIGUOUS``.
    """
    found = _type_of(doc)
    if isinstance(found, SchemaError):
        raise found
    return found


def _type_of(doc: object) -> str | SchemaError:
    # Parsed JSON is a dict: asking that first skips the ABC's isinstance, which costs more than
    # the rest of such a check (here and below); other Mappings still pass.
    if type(doc) is not dict and not isinstance(doc, Mapping):
        return SchemaError("the credential must be a JSON object", code=JsonCode.NOT_AN_OBJECT)
    declared = doc.get("type")
    names = [declared] if isinstance(declared, str) else declared
    # A type list may hold anything (untrusted JSON): only strings can name an ecert type.
    found = (
        sorted({n for n in names if isinstance(n, str) and n in CREDENTIAL_TYPES})
        if isinstance(names, list)
        else []
    )
    if len(found) == 1:
        return str(found[0])
    if not found:
        message = f"type: {declared!r} names no ecert credential type"
        expected = f" (expected one of {', '.join(CREDENTIAL_TYPES)})"
        return SchemaError(
            message + expected, code=CredentialTypeCode.CREDENTIAL_TYPE_UNKNOWN, field="type"
        )
    message = f"type: names several ecert credential types ({', '.join(found)}); one is allowed"
    return SchemaError(message, code=CredentialTypeCode.CREDENTIAL_TYPE_AMBIGUOUS, field="type")


def validate_credential(
    doc: Mapping[str, Any],
    *,
    require_issuer: bool = False,
    today: date | None = None,
    canonical: bytes | None = None,
) -> str:
    """Validate a credential of one of the ecert types and return the type's name.

    Args:
        doc: the credential as parsed JSON; an unsigned draft or a signed credential.
        require_issuer: refuse a credential without ``issuer`` (a signed one must have it).
        today: when given, a resident ID whose date of birth is after this day is refused.
        canonical: the JCS bytes of ``doc`` when the caller has them (a verifier does, from
            the digest); they let the schema step search one text instead of every string.

    Raises:
        SchemaError: the first problem; ``details["errors"]`` lists them all.
        IdentifierError: the same, when the first problem is an identifier.
    """
    type_name = _type_of(doc)
    if isinstance(type_name, SchemaError):
        _raise_first([type_name])
    errors = _schema_errors(doc, type_name, canonical)
    if require_issuer and "issuer" not in doc:
        errors.append(
            SchemaError(
                "issuer is required", code=CredentialTypeCode.SCHEMA_FIELD_MISSING, field="issuer"
            )
        )
    identifier_errors = _identifier_errors(doc, type_name, today)
    replaced = {e.field for e in identifier_errors}
    errors = [e for e in errors if e.field not in replaced] + identifier_errors
    if not errors:
        errors = _rule_errors(doc)
    if errors:
        _raise_first(errors)
    return type_name


def _raise_first(errors: list[VCError]) -> NoReturn:
    # A fixed order (by field, then code and message), so the same credential always reports
    # the same first problem whatever the order of its keys.
    errors.sort(key=lambda e: (e.field or "", e.code, e.message))
    first = errors[0]
    first.details["errors"] = [e.to_dict() for e in errors]
    raise first


def subject_region(doc: Mapping[str, Any]) -> str:
    """The 6-digit division code of the credential subject, which accreditations must cover.

    It is ``divisionCode`` for licences issued to persons, positions 3–8 of the USCC for business
    licences and social credit records, and positions 1–6 of the unit number for property deeds.

    Raises:
        SchemaError: the field is missing; IdentifierError: it is malformed.
    """
    entry = CREDENTIAL_TYPES[credential_type_of(doc)]
    name = entry.region_field
    kind = entry.identifiers[name]
    subject = doc.get("credentialSubject")
    field = f"credentialSubject.{name}"
    value = subject.get(name) if type(subject) is dict or isinstance(subject, Mapping) else None
    if not isinstance(value, str):
        raise SchemaError(
            f"{field} is required to find the subject's region",
            code=CredentialTypeCode.SCHEMA_FIELD_MISSING,
            field=field,
        )
    start = _REGION_START[kind]
    return _CHECKS[kind](value, field, None)[start : start + 6]


def validated_region(doc: Mapping[str, Any], type_name: str) -> str:
    """:func:`subject_region` of a credential that :func:`validate_credential` has just accepted
    as ``type_name``, without checking its region field again: that check ran among the
    identifiers (step 3), which also required the value to be written normalized, so the
    division code is a slice of it. ``tests/unit/vc_core/test_credential_types.py`` compares
    the two.
    """
    entry = CREDENTIAL_TYPES[type_name]
    value: str = doc["credentialSubject"][entry.region_field]
    start = _REGION_START[entry.identifiers[entry.region_field]]
    return value[start : start + 6]


def credential_schema(type_name: str) -> dict[str, Any]:
    """A fresh copy of the JSON Schema of ``type_name``, read from the ``schemas`` package."""
    return _load_json(CREDENTIAL_TYPES[type_name].schema_file)


def example_credential(type_name: str) -> dict[str, Any]:
    """A fresh copy of the unsigned example of ``type_name`` (``schemas/examples/``)."""
    return _load_json(f"examples/{CREDENTIAL_TYPES[type_name].example_file}")


def _load_json(name: str) -> dict[str, Any]:
    text = resources.files("schemas").joinpath(name).read_text(encoding="utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


# Step (2): the schema.

_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_URI = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:\S+")
_MISSING_NAME = re.compile(
    r"^'(?P<name>[^']+)' is a (required property|dependency of '(?P<of>[^']+)')"
)


def _is_date(value: object) -> bool:
    if not isinstance(value, str):
        return True
    if not _DATE.fullmatch(value):
        return False
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return True


# The formats the schemas use, checked here so that no optional package changes the result:
# a calendar date, the one time grammar of vc_core.times (RFC 3339 date-time ∩ XML Schema
# dateTimeStamp), and an absolute URI. A value that is not a string conforms (JSON Schema
# 2020-12 §7.1: a format applies to strings only).
_FORMATS: Mapping[str, Callable[[object], bool]] = MappingProxyType(
    {
        "date": _is_date,
        "date-time": lambda v: not isinstance(v, str) or is_datetime_stamp(v),
        "uri": lambda v: not isinstance(v, str) or bool(_URI.fullmatch(v)),
    }
)


def _format_checker() -> FormatChecker:
    checker = FormatChecker(formats=())
    for name, conforms in _FORMATS.items():
        checker.checks(name)(conforms)
    return checker


@lru_cache(maxsize=len(CREDENTIAL_TYPES))
def _validator(type_name: str) -> Any:
    schema = credential_schema(type_name)
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema, format_checker=_format_checker())


def _path(parts: Any) -> str:
    out = ""
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


# Characters Python's ``\s`` counts as white space and ECMAScript's does not (str.isspace is
# true for U+001C–U+001F and U+0085). jsonschema-rs reads the schemas' patterns as ECMAScript
# regular expressions, as JSON Schema says, and ``jsonschema`` as Python ones; where a pattern's
# ``[^\s]`` meets these, the fast validator alone could accept what the reference refuses.
_PATTERN_DIALECT_GAP = re.compile(r"[\x1c-\x1f\x85]")


@lru_cache(maxsize=len(CREDENTIAL_TYPES))
def _fast_validator(type_name: str) -> Any:
    """The type's schema compiled by jsonschema-rs, with the same format checks as the reference.

    ``jsonschema`` (the reference, which words the errors) takes about 0.2–0.5 ms per credential
    and jsonschema-rs about 2 µs. The fast one only ever says "valid": any credential it does not
    accept, and any that holds a character of :data:`_PATTERN_DIALECT_GAP`, goes to the reference.
    ``tests/unit/vc_core/test_credential_types_fast.py`` checks that it never accepts what the
    reference refuses.
    """
    return jsonschema_rs.validator_for(
        credential_schema(type_name), formats=dict(_FORMATS), validate_formats=True
    )


# The same characters as they appear in JSON text: JCS (RFC 8785 §3.2.2.2) and the stdlib
# encoder write U+001C–U+001F as \u001c–\u001f and U+0085 as itself; an escaped U+0085 and
# upper-case hex are searched too. A backslash written as \\ before such letters matches as
# well, which only sends that credential to the reference: the search may over-find, never miss.
_PATTERN_DIALECT_GAP_IN_JSON = re.compile(rb"\\u001[c-fC-F]|\\u0085|\xc2\x85")


def _schema_errors(
    doc: Mapping[str, Any], type_name: str, canonical: bytes | None = None
) -> list[VCError]:
    if canonical is None:
        within_dialects = not any(map(_PATTERN_DIALECT_GAP.search, iter_strings(doc)))
    else:
        within_dialects = not _PATTERN_DIALECT_GAP_IN_JSON.search(canonical)
    if within_dialects and _fast_validator(type_name).is_valid(doc):
        return []
    return [_from_jsonschema(error) for error in _validator(type_name).iter_errors(doc)]


def _from_jsonschema(error: Any) -> VCError:
    # Turn one jsonschema error into a SchemaError whose field is the property concerned.
    field = _path(error.absolute_path)
    missing = _MISSING_NAME.match(error.message)
    if error.validator in ("required", "dependentRequired") and missing:
        name = _path([*error.absolute_path, missing["name"]])
        when = f" when {missing['of']} is given" if missing["of"] else ""
        return SchemaError(
            f"{name} is required{when}", code=CredentialTypeCode.SCHEMA_FIELD_MISSING, field=name
        )
    if error.validator == "additionalProperties":
        allowed = error.schema.get("properties", {})
        extra = sorted(k for k in error.instance if k not in allowed)
        name = _path([*error.absolute_path, extra[0]]) if extra else field
        message = f"{name} is not a property of this credential type"
        return SchemaError(message, code=CredentialTypeCode.SCHEMA_FIELD_NOT_ALLOWED, field=name)
    return SchemaError(
        _invalid_message(error, field), code=CredentialTypeCode.SCHEMA_FIELD_INVALID, field=field
    )


def _invalid_message(error: Any, field: str) -> str:
    if error.validator == "contains" and "const" in error.validator_value:
        return f"{field} must include {error.validator_value['const']!r}"
    if error.validator in ("pattern", "format") and "description" in error.schema:
        form = error.schema["description"].rstrip(".")
        return f"{field}: {error.instance!r} is not in the expected form ({form})"
    return f"{field or 'credential'}: {error.message}"


# Step (3): identifiers.


def _identifier_errors(doc: Mapping[str, Any], type_name: str, today: date | None) -> list[VCError]:
    subject = doc.get("credentialSubject")
    if type(subject) is not dict and not isinstance(subject, Mapping):
        return []
    checks = [
        (f"credentialSubject.{name}", subject.get(name), kind)
        for name, kind in CREDENTIAL_TYPES[type_name].identifiers.items()
    ]
    for path, party in _parties(subject, type_name):
        if party.get("idType") in _PARTY_ID_TYPES:
            checks.append((f"{path}.idNumber", party.get("idNumber"), party["idType"]))
    errors = [_run(_CHECKS[kind], value, path, today) for path, value, kind in checks]
    return [e for e in errors if e is not None]


def _parties(subject: Mapping[str, Any], type_name: str) -> list[tuple[str, Mapping[str, Any]]]:
    if type_name == "ProfessionalLicenceCredential":
        return [("credentialSubject", subject)]
    owners = subject.get("owners") if type_name == "PropertyDeedCredential" else None
    if not isinstance(owners, list):
        return []
    return [
        (f"credentialSubject.owners[{i}]", o)
        for i, o in enumerate(owners)
        if type(o) is dict or isinstance(o, Mapping)
    ]


def _run(check: _Check, value: object, field: str, today: date | None) -> VCError | None:
    if not isinstance(value, str):
        return None  # The schema reports a missing value or a value of the wrong type.
    try:
        normalized = check(value, field, today)
    except IdentifierError as error:
        return error
    if normalized != value:
        return IdentifierError(
            f"{field}: must be written in normalized form {normalized!r}",
            code=CredentialTypeCode.IDENTIFIER_NOT_NORMALIZED,
            field=field,
        )
    return None


# Step (4): rules across fields, run only on a structurally valid credential.


def _rule_errors(doc: Mapping[str, Any]) -> list[VCError]:
    subject: Mapping[str, Any] = doc["credentialSubject"]
    found = (
        _validity_rule(doc),
        _term_rule(subject.get("term")),
        _shares_rule(subject.get("owners")),
    )
    return [error for error in found if error is not None]


def _validity_rule(doc: Mapping[str, Any]) -> SchemaError | None:
    # VCDM 2.0 §4.9: the validity period must not end before it begins (an empty one is useless).
    if "validUntil" not in doc:
        return None
    until = parse_instant(doc["validUntil"], field="validUntil")
    if until > parse_instant(doc["validFrom"], field="validFrom"):
        return None
    problem = f"must be after validFrom ({doc['validFrom']})"
    return SchemaError(
        f"validUntil {problem}", code=CredentialTypeCode.VALIDITY_PERIOD_INVALID, field="validUntil"
    )


def _term_rule(term: Mapping[str, str] | None) -> SchemaError | None:
    if term is None or date.fromisoformat(term["until"]) > date.fromisoformat(term["from"]):
        return None
    field = "credentialSubject.term.until"
    return SchemaError(
        f"{field} must be after term.from ({term['from']})",
        code=CredentialTypeCode.TERM_INVALID,
        field=field,
    )


def _shares_rule(owners: list[Mapping[str, str]] | None) -> SchemaError | None:
    # Shares are decimal fractions (按份共有); exact Decimal arithmetic, never binary floats.
    if owners is None:
        return None
    total = sum((Decimal(owner["share"]) for owner in owners), Decimal(0))
    if total == 1:
        return None
    field = "credentialSubject.owners"
    shares = " + ".join(owner["share"] for owner in owners)
    message = f"{field}: shares must sum to exactly 1, but {shares} = {total}"
    return SchemaError(message, code=CredentialTypeCode.OWNER_SHARES_INVALID, field=field)
