"""Validators for the identifiers on Chinese government certificates.

Each validator is a pure function: it takes the value and the credential ``field`` it came from,
returns the normalized value, and raises :class:`vc_core.errors.IdentifierError` with a stable
``code``, the ``field``, and a message that says exactly what is wrong. Nothing here reads the
clock; the resident ID check takes ``today`` as a parameter.

- :mod:`~vc_core.identifiers.uscc`: unified social credit code (GB 32100-2015).
- :mod:`~vc_core.identifiers.resident_id`: citizen identity number (GB 11643-1999).
- :mod:`~vc_core.identifiers.division`: administrative division codes (GB/T 2260) and prefixes.
- :mod:`~vc_core.identifiers.property`: property certificate and unit numbers (GB/T 37346-2019).

Example:
    >>> from vc_core.identifiers import validate_uscc, division_in_prefix
    >>> division_in_prefix(validate_uscc("91350100M000100Y43")[2:8], "35")
    True
"""

from vc_core.identifiers.division import (
    NATIONAL_DIVISION_CODE,
    PROVINCE_PREFIXES,
    division_in_prefix,
    validate_division_code,
    validate_division_prefix,
)
from vc_core.identifiers.property import (
    PROVINCE_ABBREVIATIONS,
    PropertyUnitNumber,
    parse_property_unit_number,
    validate_property_certificate_number,
    validate_property_unit_number,
)
from vc_core.identifiers.resident_id import (
    resident_id_birth_date,
    resident_id_check_character,
    validate_resident_id,
)
from vc_core.identifiers.uscc import (
    USCC_ALPHABET,
    uscc_check_character,
    uscc_division_code,
    validate_uscc,
)

__all__ = [
    "NATIONAL_DIVISION_CODE",
    "PROVINCE_ABBREVIATIONS",
    "PROVINCE_PREFIXES",
    "USCC_ALPHABET",
    "PropertyUnitNumber",
    "division_in_prefix",
    "parse_property_unit_number",
    "resident_id_birth_date",
    "resident_id_check_character",
    "uscc_check_character",
    "uscc_division_code",
    "validate_division_code",
    "validate_division_prefix",
    "validate_property_certificate_number",
    "validate_property_unit_number",
    "validate_resident_id",
    "validate_uscc",
]
