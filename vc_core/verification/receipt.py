"""Signed verification receipts: a verifier's report, signed with its own key, as evidence.

A bank keeps a receipt to show later what its verifier answered, when, and against which chain
view. The receipt is a VCDM 2.0 credential issued by the verifier's ``did:key``, secured with a
Data Integrity proof of the ``eddsa-jcs-2022`` suite (EdDSA Cryptosuites v1.0 §3.3), so anyone
can check it offline with this module alone: no registry, no network, no JSON-LD fetch::

    {"@context": ["https://www.w3.org/ns/credentials/v2", "https://ecert.example/receipts/v1"],
     "id": "urn:uuid:…", "type": ["VerifiableCredential", "VerificationReceipt"],
     "issuer": "did:key:z6Mk…", "validFrom": "2026-11-27T09:00:00Z",
     "credentialSubject": {"type": "VerificationReport", "verdict": "valid",
        "asOf": "…" (when asked), "checkpoint": {"chainId", "genesisHash", "height",
        "headHash", "time"} (the chain view the report used), "report": {…the report…}},
     "proof": {"type": "DataIntegrityProof", "cryptosuite": "eddsa-jcs-2022", …}}

The receipt context (:data:`RECEIPT_CONTEXT`) is held here, never fetched: it types
``checkpoint`` and ``report`` as ``@json`` literals, so the report's own members need no
JSON-LD terms and nothing in it is left unsigned.

:func:`check_receipt` fails closed, in this order:

1. the document is a JSON object of exactly this shape (else ``MalformedError``, exit 2);
2. its one proof verifies at ``now``, has the purpose ``assertionMethod`` and a key the issuer
   controls, resolved offline (else :class:`ReceiptInvalidError`, exit 1): a ``did:key`` from
   the identifier itself, a bank's ``did:web`` from the DID document the caller supplies
   (:mod:`vc_core.did_web`; none supplied is "could not check", exit 3);
3. when an expected verifier is named, the issuer is that DID (else ``RECEIPT_WRONG_VERIFIER``).

Example:
    >>> from datetime import UTC, datetime
    >>> from vc_core.keys import KeyPair, PublicKey
    >>> key, t = KeyPair.generate(), datetime(2026, 1, 1, tzinfo=UTC)
    >>> signed = sign_receipt({"verdict": "valid", "steps": []}, key=key, checkpoint=None,
    ...                       as_of=None, now=t, receipt_id="urn:uuid:0")
    >>> check_receipt(signed, now=t).verdict.value
    'valid'
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from functools import lru_cache
from typing import Any

from vc_core import primitives
from vc_core.canon.contexts import CREDENTIALS_V2_URL, LocalContexts, default_contexts
from vc_core.dataintegrity import (
    ASSERTION_METHOD,
    DATA_INTEGRITY_PROOF,
    EDDSA_JCS_2022,
    Expectations,
    ProofCode,
    ProofOptions,
    Resolver,
    did_key_resolver,
    format_created,
    verify_proofs,
)
from vc_core.dataintegrity.suites import EddsaJcs2022
from vc_core.did import DID_KEY_PREFIX, did_key, verification_method_id
from vc_core.did_web import DID_WEB_PREFIX, DidWebCode, is_did_web, resolve_did_web
from vc_core.errors import MalformedError, VCError, VerificationError
from vc_core.jsonio import parse_object
from vc_core.keys import KeyPair, PublicKey
from vc_core.times import parse_instant
from vc_core.verification.codes import Verdict

RECEIPT_CONTEXT_URL = "https://ecert.example/receipts/v1"
RECEIPT_TYPE = "VerificationReceipt"
REPORT_TYPE = "VerificationReport"
_VOCAB = "https://ecert.example/vocab#"
_XSD_DATETIME = "http://www.w3.org/2001/XMLSchema#dateTime"

RECEIPT_CONTEXT: dict[str, Any] = {
    "@context": {
        "@version": 1.1,
        "@protected": True,
        RECEIPT_TYPE: _VOCAB + RECEIPT_TYPE,
        REPORT_TYPE: _VOCAB + REPORT_TYPE,
        "verdict": _VOCAB + "verdict",
        "asOf": {"@id": _VOCAB + "asOf", "@type": _XSD_DATETIME},
        # Opaque JSON literals (JSON-LD 1.1 §4.2.2): signed as they stand, whatever members the
        # report carries.
        "checkpoint": {"@id": _VOCAB + "checkpoint", "@type": "@json"},
        "report": {"@id": _VOCAB + "verificationReport", "@type": "@json"},
    }
}
CONTEXT = [CREDENTIALS_V2_URL, RECEIPT_CONTEXT_URL]
TYPES = ["VerifiableCredential", RECEIPT_TYPE]
_SUBJECT_KEYS = frozenset({"type", "verdict", "asOf", "checkpoint", "report"})
_RECEIPT_KEYS = frozenset(
    {"@context", "id", "type", "issuer", "validFrom", "credentialSubject", "proof"}
)
_VERDICTS = frozenset(v.value for v in Verdict)
# A receipt carries one report, a few kilobytes; a batch's largest is far below this.
MAX_RECEIPT_BYTES = 1024 * 1024


class ReceiptCode(StrEnum):
    """Stable codes of receipts that cannot be read or do not verify."""

    RECEIPT_MALFORMED = "RECEIPT_MALFORMED"
    RECEIPT_SIGNATURE_INVALID = "RECEIPT_SIGNATURE_INVALID"
    RECEIPT_KEY_NOT_VERIFIERS = "RECEIPT_KEY_NOT_VERIFIERS"
    RECEIPT_WRONG_VERIFIER = "RECEIPT_WRONG_VERIFIER"


class ReceiptInvalidError(VerificationError):
    """The receipt's signature does not hold, or it is not by the verifier it names (exit 1)."""

    default_code = ReceiptCode.RECEIPT_SIGNATURE_INVALID


@lru_cache(maxsize=1)
def receipt_contexts() -> LocalContexts:
    """The default local contexts plus the receipt context (never fetched)."""
    return default_contexts().with_documents({RECEIPT_CONTEXT_URL: RECEIPT_CONTEXT})


@dataclass(frozen=True)
class Checkpoint:
    """The chain view a report was judged against: which chain, and its head then."""

    chain_id: str
    genesis_hash: str
    height: int | None
    head_hash: str
    time: datetime

    def to_dict(self) -> dict[str, Any]:
        return {
            "chainId": self.chain_id,
            "genesisHash": self.genesis_hash,
            "height": self.height,
            "headHash": self.head_hash,
            "time": format_created(self.time),
        }

    @classmethod
    def from_dict(cls, data: Any) -> Checkpoint:
        if not isinstance(data, dict) or set(data) != {
            "chainId",
            "genesisHash",
            "height",
            "headHash",
            "time",
        }:
            raise _malformed("checkpoint must name chainId, genesisHash, height, headHash, time")
        height = data["height"]
        texts = (data["chainId"], data["genesisHash"], data["headHash"])
        if not all(isinstance(t, str) and t for t in texts):
            raise _malformed("checkpoint chainId, genesisHash and headHash must be strings")
        if height is not None and (type(height) is not int or height < 0):
            raise _malformed("checkpoint height must be a whole number")
        return cls(
            chain_id=data["chainId"],
            genesis_hash=data["genesisHash"],
            height=height,
            head_hash=data["headHash"],
            time=_instant(data["time"], "checkpoint.time"),
        )


@dataclass(frozen=True)
class CheckedReceipt:
    """A receipt whose signature verified: who signed what, when, against which chain view."""

    receipt_id: str
    verifier: str
    issued_at: datetime
    verdict: Verdict
    as_of: datetime | None
    checkpoint: Checkpoint | None
    report: dict[str, Any]

    def summary(self) -> dict[str, Any]:
        """What a person reads first: the verdict, the verifier, the chain view, the dates."""
        out: dict[str, Any] = {
            "receipt": self.receipt_id,
            "verifier": self.verifier,
            "issued": format_created(self.issued_at),
            "verdict": self.verdict.value,
            "asOf": format_created(self.as_of) if self.as_of else None,
            "checkpoint": self.checkpoint.to_dict() if self.checkpoint else None,
        }
        for member in ("credential_id", "credential_type"):
            if isinstance(self.report.get(member), str):
                out[member] = self.report[member]
        return out


def _is_verdict(value: Any) -> bool:
    return isinstance(value, str) and value in _VERDICTS


def _malformed(message: str) -> MalformedError:
    return MalformedError(message, code=ReceiptCode.RECEIPT_MALFORMED)


def _instant(value: Any, field: str) -> datetime:
    try:
        return parse_instant(value, field=field)
    except MalformedError as exc:
        raise _malformed(exc.message) from None


@lru_cache(maxsize=8)
def _names(public: PublicKey) -> tuple[str, str]:
    """The ``did:key`` of a verifier's key and its verification method (base58 is not free, and
    a verifier signs with one key)."""
    return did_key(public), verification_method_id(public)


def sign_receipt(
    report: Mapping[str, Any],
    *,
    key: KeyPair,
    checkpoint: Checkpoint | None,
    as_of: datetime | None,
    now: datetime,
    receipt_id: str,
    issuer_did: str | None = None,
) -> dict[str, Any]:
    """The signed receipt of ``report`` (a report's JSON, with its ``verdict``), issued at
    ``now`` by the ``did:key`` of ``key``, or by ``issuer_did`` (a bank's ``did:web``, whose
    published document lists ``key`` as ``<did>#<key multibase>``).

    Raises:
        MalformedError: ``RECEIPT_MALFORMED`` when the report names no known verdict, or the
            issuer is not a did:web.
    """
    verdict = report.get("verdict")
    if not _is_verdict(verdict):
        raise _malformed("the report names no verdict")
    subject: dict[str, Any] = {"type": REPORT_TYPE, "verdict": verdict}
    if as_of is not None:
        subject["asOf"] = format_created(as_of)
    if checkpoint is not None:
        subject["checkpoint"] = checkpoint.to_dict()
    subject["report"] = dict(report)
    if issuer_did is None:
        issuer, method = _names(key.public)
    elif is_did_web(issuer_did):
        issuer, method = issuer_did, f"{issuer_did}#{key.public.multibase}"
    else:
        raise _malformed(f"a receipt's issuer is a did:key or a did:web, not {issuer_did!r}")
    document = {
        "@context": list(CONTEXT),
        "id": receipt_id,
        "type": list(TYPES),
        "issuer": issuer,
        "validFrom": format_created(now),
        "credentialSubject": subject,
    }
    proof = ProofOptions(
        cryptosuite=EDDSA_JCS_2022,
        verification_method=method,
        proof_purpose=ASSERTION_METHOD,
        created=format_created(now),
    ).as_dict()
    # EdDSA Cryptosuites v1.0 §3.3.1 (Create Proof, eddsa-jcs-2022): the proof carries the
    # document's @context, and Ed25519 signs SHA-256(JCS(proof config)) ‖ SHA-256(JCS(document)).
    # The suite runs without ecert's JSON-LD term walk here: this document is built above from
    # fixed members whose free-form parts are @json literals, so the walk could find nothing, and
    # it would cost milliseconds per request. check_receipt runs the full check, walk included.
    proof["@context"] = list(CONTEXT)
    forms = EddsaJcs2022(check_terms=False).canonical_forms(
        proof, document, receipt_contexts(), code=ProofCode.PROOF_GENERATION_ERROR
    )
    proof["proofValue"] = primitives.multibase_encode(key.sign(forms.hash_data))
    return {**document, "proof": proof}


def _shape(document: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
    """Step 1 (module docstring): the issuer and the subject of a receipt-shaped document."""
    if set(document) != _RECEIPT_KEYS:
        raise _malformed(f"a receipt has exactly the members {', '.join(sorted(_RECEIPT_KEYS))}")
    if document["@context"] != CONTEXT:
        raise _malformed(f"a receipt's @context is exactly {CONTEXT}")
    if document["type"] != TYPES:
        raise _malformed(f"a receipt's type is exactly {TYPES}")
    if not isinstance(document["id"], str) or not document["id"]:
        raise _malformed("a receipt's id is a string")
    issuer = document["issuer"]
    if not isinstance(issuer, str) or not (issuer.startswith(DID_KEY_PREFIX) or is_did_web(issuer)):
        raise _malformed("a receipt's issuer is the verifier's did:key or did:web")
    subject = document["credentialSubject"]
    if not isinstance(subject, dict) or not {"type", "verdict", "report"} <= set(subject):
        raise _malformed("credentialSubject must hold type, verdict and report")
    if set(subject) - _SUBJECT_KEYS or subject["type"] != REPORT_TYPE:
        raise _malformed(f"credentialSubject is a {REPORT_TYPE} with no other members")
    if not _is_verdict(subject["verdict"]):
        raise _malformed("verdict is one of valid, invalid, could_not_check")
    report = subject["report"]
    if not isinstance(report, dict) or report.get("verdict") != subject["verdict"]:
        raise _malformed("report must be an object whose verdict is the receipt's")
    proof = document["proof"]
    if not isinstance(proof, dict) or proof.get("type") != DATA_INTEGRITY_PROOF:
        raise _malformed("a receipt has one DataIntegrityProof")
    if proof.get("cryptosuite") != EDDSA_JCS_2022:
        raise _malformed(f"a receipt's proof uses {EDDSA_JCS_2022}")
    return issuer, subject


def _resolver(documents: Mapping[str, Mapping[str, Any]]) -> Resolver:
    """did:key offline; did:web from the documents the caller supplied, never fetched."""

    def resolve(vm: str, purpose: str) -> PublicKey:
        if isinstance(vm, str) and vm.startswith(DID_WEB_PREFIX):
            return resolve_did_web(vm, purpose, documents)
        return did_key_resolver(vm, purpose)

    return resolve


def _signature(
    document: Mapping[str, Any], now: datetime, documents: Mapping[str, Mapping[str, Any]]
) -> None:
    """Step 2 (module docstring): VC-DI 1.0 §4.4 Verify Proof, with the default expectations:
    purpose ``assertionMethod``, a key the issuer controls, ``created`` not in the future.

    A did:web whose document was not supplied could not be checked: that ``RegistryError``
    passes through (exit 3), never a verdict on the signature."""
    try:
        verify_proofs(
            document,
            now=now,
            contexts=receipt_contexts(),
            resolver=_resolver(documents),
            expect=Expectations(),
        )
    except VCError as exc:
        # The caller supplied no document for the receipt's did:web (could not check), or one
        # that is not a DID document (their input, exit 2): no verdict on the receipt either way.
        if exc.code in {DidWebCode.DID_DOCUMENT_MISSING, DidWebCode.INVALID_DID_DOCUMENT}:
            raise
        raise _invalid(exc) from None


def _invalid(exc: VCError) -> ReceiptInvalidError:
    code = ReceiptCode.RECEIPT_SIGNATURE_INVALID
    if exc.code == ProofCode.VERIFICATION_METHOD_NOT_CONTROLLED or exc.field == (
        "proof.verificationMethod"
    ):
        code = ReceiptCode.RECEIPT_KEY_NOT_VERIFIERS
    return ReceiptInvalidError(
        f"the receipt's proof does not verify: {exc.message}",
        code=code,
        details={"cause": exc.code},
    )


def check_receipt(
    receipt: Mapping[str, Any] | str | bytes,
    *,
    now: datetime,
    verifier: str | None = None,
    did_documents: Mapping[str, Mapping[str, Any]] | None = None,
) -> CheckedReceipt:
    """Check a receipt offline (module docstring) and return what it says. A receipt issued by a
    ``did:web`` is checked against ``did_documents[did]``, the document the caller trusts.

    Raises:
        MalformedError: ``RECEIPT_MALFORMED`` (or a JSON parse code): not a receipt; or
            ``INVALID_DID_DOCUMENT``.
        ReceiptInvalidError: the signature, the key, or the expected verifier does not hold.
        RegistryError: ``DID_DOCUMENT_MISSING``: a did:web receipt and no document for it.
    """
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    document = (
        receipt
        if isinstance(receipt, Mapping)
        else parse_object(receipt, max_bytes=MAX_RECEIPT_BYTES)
    )
    issuer, subject = _shape(document)
    issued_at = _instant(document["validFrom"], "validFrom")
    as_of = _instant(subject["asOf"], "asOf") if "asOf" in subject else None
    checkpoint = Checkpoint.from_dict(subject["checkpoint"]) if "checkpoint" in subject else None
    _signature(document, now, did_documents or {})
    if verifier is not None and issuer != verifier:
        raise ReceiptInvalidError(
            f"the receipt was signed by {issuer}, not by the expected verifier {verifier}",
            code=ReceiptCode.RECEIPT_WRONG_VERIFIER,
        )
    return CheckedReceipt(
        receipt_id=document["id"],
        verifier=issuer,
        issued_at=issued_at,
        verdict=Verdict(subject["verdict"]),
        as_of=as_of,
        checkpoint=checkpoint,
        report=subject["report"],
    )


__all__ = [
    "RECEIPT_CONTEXT",
    "RECEIPT_CONTEXT_URL",
    "CheckedReceipt",
    "Checkpoint",
    "ReceiptCode",
    "ReceiptInvalidError",
    "check_receipt",
    "receipt_contexts",
    "sign_receipt",
]
