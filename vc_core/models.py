"""Frozen wire models for credentials, presentations and proofs (VCDM 2.0 §4, VC-DI 1.0 §2.1).

``Credential.from_json`` / ``from_dict`` is the only way in and raises
:class:`~vc_core.errors.MalformedError`. Values keep their JSON form exactly (a ``type`` given as
a string stays a string, dates stay strings) and unknown properties survive a round trip,
because the proof signs the document as it was written: ``Credential.from_dict(d).to_dict() == d``.

Example:
    >>> c = Credential.from_dict({
    ...     "@context": ["https://www.w3.org/ns/credentials/v2"],
    ...     "type": ["VerifiableCredential"], "issuer": "did:key:z6Mk",
    ...     "credentialSubject": {"name": "张三"}, "extra": 1})
    >>> c.to_dict()["extra"], c.issuer_id
    (1, 'did:key:z6Mk')
"""

from __future__ import annotations

import copy
from datetime import datetime
from typing import Any, Self

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from vc_core.errors import MalformedError
from vc_core.jsonio import JsonCode, parse_object
from vc_core.times import is_datetime_stamp, parse_instant

CREDENTIALS_V2 = "https://www.w3.org/ns/credentials/v2"

# XML Schema dateTimeStamp as VCDM 2.0 §4.9 requires for validFrom/validUntil: a timezone is
# mandatory. Data Integrity §2.1 uses the same lexical form for created/expires. The grammar and
# its parser live in vc_core.times, the one place times are read.


def parse_datetime_stamp(value: str, *, field: str) -> datetime:
    """Parse an XML Schema dateTimeStamp into an aware UTC datetime, or raise naming the field
    (:func:`vc_core.times.parse_instant`, under the name older callers use)."""
    return parse_instant(value, field=field)


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


class _Wire(BaseModel):
    """Base of the wire models: frozen, extra properties kept, JSON aliases (``@context``)."""

    model_config = ConfigDict(frozen=True, extra="allow", populate_by_name=True, strict=True)

    @classmethod
    def from_dict(cls, data: Any) -> Self:
        return cls._validate(data, copied=True)

    @classmethod
    def read(cls, data: Any) -> Self:
        """:meth:`from_dict` without its defensive deep copy (a third of its time).

        The model then shares the input's nested values (the extra properties), so it is for a
        caller that reads it and drops it while the input stays unchanged: a verification step.
        """
        return cls._validate(data, copied=False)

    @classmethod
    def _validate(cls, data: Any, *, copied: bool) -> Self:
        if not isinstance(data, dict):
            raise MalformedError(
                f"{cls.__name__} must be a JSON object", code=JsonCode.NOT_AN_OBJECT
            )
        try:
            return cls.model_validate(copy.deepcopy(data) if copied else data)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"]) or cls.__name__
            raise MalformedError(
                f"{cls.__name__}.{where}: {first['msg']}",
                code="MALFORMED_" + cls.__name__.upper(),
                field=where,
            ) from exc

    @classmethod
    def from_json(cls, data: str | bytes) -> Self:
        return cls.from_dict(parse_object(data))

    def to_dict(self) -> dict[str, Any]:
        """The JSON form exactly as parsed (aliases restored, nothing added)."""
        out: dict[str, Any] = self.model_dump(by_alias=True, exclude_unset=True, mode="python")
        return copy.deepcopy(out)


class Proof(_Wire):
    """A Data Integrity proof (VC-DI 1.0 §2.1)."""

    type: str
    cryptosuite: str | None = None
    verificationMethod: str | None = None
    proofPurpose: str | None = None
    created: str | None = None
    expires: str | None = None
    proofValue: str | None = None
    id: str | None = None
    previousProof: str | list[str] | None = None
    challenge: str | None = None
    domain: str | list[str] | None = None
    nonce: str | None = None
    context: str | list[str | dict[str, Any]] | None = Field(default=None, alias="@context")

    @property
    def previous_proofs(self) -> list[str]:
        return _as_list(self.previousProof)


class _Secured(_Wire):
    """Common shape of credentials and presentations: contexts, types, proofs."""

    context: list[str | dict[str, Any]] = Field(alias="@context")
    id: str | None = None
    type: str | list[str]
    proof: Proof | list[Proof] | None = None

    @field_validator("context")
    @classmethod
    def _v2_first(cls, value: list[str | dict[str, Any]]) -> list[str | dict[str, Any]]:
        # VCDM 2.0 §4.3: the first item MUST be the credentials v2 context URL.
        if not value or value[0] != CREDENTIALS_V2:
            raise ValueError(f"the first @context must be {CREDENTIALS_V2}")
        return value

    @property
    def types(self) -> list[str]:
        return _as_list(self.type)

    @property
    def proofs(self) -> list[Proof]:
        return _as_list(self.proof)

    def unsecured(self) -> dict[str, Any]:
        """The document without ``proof`` (VC-DI 4.4 step 1)."""
        out = self.to_dict()
        out.pop("proof", None)
        return out


class Credential(_Secured):
    """A verifiable credential (VCDM 2.0 §4)."""

    issuer: str | dict[str, Any]
    credentialSubject: dict[str, Any] | list[dict[str, Any]]
    validFrom: str | None = None
    validUntil: str | None = None
    credentialStatus: dict[str, Any] | list[dict[str, Any]] | None = None
    credentialSchema: dict[str, Any] | list[dict[str, Any]] | None = None

    @field_validator("type")
    @classmethod
    def _is_vc(cls, value: str | list[str]) -> str | list[str]:
        if "VerifiableCredential" not in _as_list(value):
            raise ValueError("type must include VerifiableCredential")
        return value

    @field_validator("issuer")
    @classmethod
    def _issuer_id(cls, value: str | dict[str, Any]) -> str | dict[str, Any]:
        # VCDM 2.0 §4.7: issuer is a URL, or an object whose id is a URL.
        ident = value if isinstance(value, str) else value.get("id")
        if not isinstance(ident, str) or ":" not in ident:
            raise ValueError("issuer must be a URL or an object with a URL id")
        return value

    @field_validator("validFrom", "validUntil")
    @classmethod
    def _stamp(cls, value: str | None) -> str | None:
        if value is not None and not is_datetime_stamp(value):
            raise ValueError("must be an XML Schema dateTimeStamp with a timezone, of a real date")
        return value

    @property
    def issuer_id(self) -> str:
        return self.issuer if isinstance(self.issuer, str) else str(self.issuer["id"])

    @property
    def subjects(self) -> list[dict[str, Any]]:
        return _as_list(self.credentialSubject)

    @property
    def valid_from(self) -> datetime | None:
        return parse_datetime_stamp(self.validFrom, field="validFrom") if self.validFrom else None

    @property
    def valid_until(self) -> datetime | None:
        return (
            parse_datetime_stamp(self.validUntil, field="validUntil") if self.validUntil else None
        )


class Presentation(_Secured):
    """A verifiable presentation (VCDM 2.0 §4.13), signed by its holder."""

    holder: str | dict[str, Any] | None = None
    verifiableCredential: dict[str, Any] | list[dict[str, Any]] | None = None

    @field_validator("type")
    @classmethod
    def _is_vp(cls, value: str | list[str]) -> str | list[str]:
        if "VerifiablePresentation" not in _as_list(value):
            raise ValueError("type must include VerifiablePresentation")
        return value

    @property
    def credentials(self) -> list[Credential]:
        return [Credential.from_dict(c) for c in _as_list(self.verifiableCredential)]
