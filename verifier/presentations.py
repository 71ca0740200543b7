"""Verify a holder's presentation for ``POST /presentations/verify``: plain functions.

The body is ``{"verifiablePresentation": {...}, "options": {"challenge", "domain", "asOf"}}``
(W3C VC-API). The steps, each failure with a stable code:

1. The presentation is an object (else 400), of type ``VerifiablePresentation``
   (``NOT_A_PRESENTATION``), naming its ``holder`` (``HOLDER_MISSING``), with at most
   ``max_presented`` credentials (``TOO_MANY_CREDENTIALS``, 400).
2. Its proofs carry one challenge (``CHALLENGE_MISSING``); the one in ``options``, if given,
   is the same (``INVALID_CHALLENGE_ERROR``).
3. The challenge is one this verifier issued (``CHALLENGE_UNKNOWN``), not used
   (``CHALLENGE_USED``) and not expired (``CHALLENGE_EXPIRED``); the domain in ``options``, if
   given, is the challenge's (``INVALID_DOMAIN_ERROR``).
4. Every proof verifies with purpose ``authentication`` and the challenge's challenge and domain
   (VC-DI 1.0 §4.4 steps 6–8), by a key the holder controls
   (``VERIFICATION_METHOD_NOT_CONTROLLED``): the holder is the signer. Holder keys are ``did:key``
   and resolve offline.
5. The challenge is consumed atomically (:func:`verifier.challenges.consume`); a presentation
   that lost a race for it is ``CHALLENGE_USED``.
6. It presents at least one credential (``PRESENTATION_EMPTY``), each a credential object, not
   a presentation (``NESTED_PRESENTATION``) nor anything else (``NOT_A_CREDENTIAL``); one whose
   subject names a DID names the holder's (``HOLDER_NOT_SUBJECT``).
7. Every credential is fully verified against the replica (DESIGN §5).

The verdict is ``invalid`` on any failure of steps 1–6 or any credential found invalid;
``could_not_check`` when a proof's key or a credential could not be checked; else ``valid``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlmodel import Session

from vc_core.dataintegrity import COULD_NOT_CHECK, Expectations, ProofCode, check_proofs
from vc_core.errors import MalformedError, RegistryError
from vc_core.verification import Verdict, VerificationReport
from verifier import challenges
from verifier.challenges import ChallengeCode
from verifier.service import Checker, as_of_of, headline, options_of, report_json

PRESENTATION = "verifiablePresentation"
VP_TYPE = "VerifiablePresentation"
VC_TYPE = "VerifiableCredential"


@dataclass(frozen=True)
class PresentationReport:
    """The answer about one presentation: its own checks, then one report per credential."""

    verdict: Verdict
    code: str | None
    message: str
    holder: str | None = None
    challenge: str | None = None
    domain: str | None = None
    proof: dict[str, Any] | None = None
    credentials: tuple[VerificationReport, ...] = field(default=())

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "verified": self.verdict is Verdict.VALID,
            "verdict": self.verdict.value,
            "message": self.message,
            "holder": self.holder,
            "challenge": self.challenge,
            "domain": self.domain,
            "proof": self.proof,
            "credentials": [report_json(r) for r in self.credentials],
        }
        if self.code is not None:
            out["code"] = self.code
        return out


def _types(document: Mapping[str, Any]) -> list[Any]:
    kind = document.get("type")
    return kind if isinstance(kind, list) else [kind]


def _id_of(value: Any) -> str | None:
    if isinstance(value, dict):
        value = value.get("id")
    return value if isinstance(value, str) and value else None


def _presented(vp: Mapping[str, Any], max_presented: int) -> list[Any]:
    value = vp.get("verifiableCredential", [])
    items = value if isinstance(value, list) else [value]
    if len(items) > max_presented:
        raise MalformedError(
            f"at most {max_presented} credentials per presentation; got {len(items)}",
            code="TOO_MANY_CREDENTIALS",
            field="verifiablePresentation.verifiableCredential",
        )
    return items


def _challenge_of(vp: Mapping[str, Any]) -> str | None:
    proof = vp.get("proof")
    proofs = proof if isinstance(proof, list) else [proof]
    values = {p.get("challenge") if isinstance(p, dict) else None for p in proofs}
    if len(values) != 1:
        return None
    (value,) = values
    return value if isinstance(value, str) and value else None


def _refused(code: str, message: str, **about: Any) -> PresentationReport:
    return PresentationReport(verdict=Verdict.INVALID, code=code, message=message, **about)


def _item_refusal(item: Any, holder: str) -> tuple[str, str] | None:
    if not isinstance(item, dict):
        return "NOT_A_CREDENTIAL", "a presented credential must be a JSON object"
    if VP_TYPE in _types(item):
        return "NESTED_PRESENTATION", "a presentation may not be presented inside another"
    if VC_TYPE not in _types(item):
        return "NOT_A_CREDENTIAL", "a presented item is not a VerifiableCredential"
    subject = item.get("credentialSubject")
    subjects = subject if isinstance(subject, list) else [subject]
    dids = [s for s in (_id_of(x) for x in subjects) if s is not None and s.startswith("did:")]
    if dids and holder not in dids:
        return "HOLDER_NOT_SUBJECT", "the credential's subject is not the presentation's holder"
    return None


def verify_presentation(
    checker: Checker,
    session: Session,
    body: Mapping[str, Any],
    *,
    now: datetime,
    max_presented: int,
) -> PresentationReport:
    """Run the module's steps over a ``POST /presentations/verify`` body.

    Raises:
        MalformedError: the presentation is missing or not an object, too many credentials,
            bad options (400).
    """
    vp = body.get(PRESENTATION)
    if not isinstance(vp, dict):
        raise MalformedError(
            f"{PRESENTATION} must be a JSON object", code="PRESENTATION_MISSING", field=PRESENTATION
        )
    options = options_of(body)
    as_of = as_of_of(options)
    items = _presented(vp, max_presented)
    if VP_TYPE not in _types(vp):
        return _refused("NOT_A_PRESENTATION", f"type must include {VP_TYPE}")
    holder = _id_of(vp.get("holder"))
    if holder is None:
        return _refused("HOLDER_MISSING", "the presentation names no holder")
    about: dict[str, Any] = {"holder": holder}
    refused = (
        _items_step(items, about)
        or _challenge_step(session, vp, options, about, now=now)
        or _proof_step(vp, about, now=now)
    )
    if refused is not None:
        return refused
    if not challenges.consume(session, about["challenge"], now=now):
        return _refused(ChallengeCode.CHALLENGE_USED, _WHY[ChallengeCode.CHALLENGE_USED], **about)
    return _credentials(checker, items, about, now=now, as_of=as_of)


def _items_step(items: list[Any], about: dict[str, Any]) -> PresentationReport | None:
    """Step 6, before the challenge is looked at: a presentation refused for its shape does not
    use the challenge up."""
    if not items:
        return _refused("PRESENTATION_EMPTY", "the presentation holds no credential", **about)
    for index, item in enumerate(items):
        refused = _item_refusal(item, about["holder"])
        if refused is not None:
            return _refused(refused[0], f"credential {index}: {refused[1]}", **about)
    return None


def _challenge_step(
    session: Session,
    vp: Mapping[str, Any],
    options: Mapping[str, Any],
    about: dict[str, Any],
    *,
    now: datetime,
) -> PresentationReport | None:
    """Steps 2–3; fills ``about`` with the challenge and its domain."""
    value = _challenge_of(vp)
    if value is None:
        return _refused(ChallengeCode.CHALLENGE_MISSING, "the proof carries no challenge", **about)
    about["challenge"] = value
    if options.get("challenge", value) != value:
        message = "the proof's challenge is not the one in options"
        return _refused(ProofCode.INVALID_CHALLENGE_ERROR, message, **about)
    stored, refusal = challenges.refusal(session, value, now=now)
    if stored is None or refusal is not None:
        return _refused(refusal or ChallengeCode.CHALLENGE_UNKNOWN, _WHY[refusal], **about)
    about["domain"] = stored.domain
    if options.get("domain", stored.domain) != stored.domain:
        message = "the domain in options is not the one the challenge was issued for"
        return _refused(ProofCode.INVALID_DOMAIN_ERROR, message, **about)
    return None


def _proof_step(
    vp: Mapping[str, Any], about: dict[str, Any], *, now: datetime
) -> PresentationReport | None:
    """Step 4: the holder signed this presentation for this challenge and domain."""
    expect = Expectations(challenge=about["challenge"], domain=about["domain"])
    proofs = check_proofs(vp, now=now, expect=expect)
    about["proof"] = proofs.to_dict()
    if proofs:
        return None
    # A definite failure explains the verdict better than a key that could not be resolved.
    definite = [e for e in proofs.errors if not isinstance(e, RegistryError)]
    errors = definite or list(proofs.errors)
    code = errors[0].code if errors else ProofCode.PROOF_VERIFICATION_ERROR
    message = errors[0].message if errors else "the presentation's proof failed"
    verdict = Verdict.COULD_NOT_CHECK if proofs.verdict == COULD_NOT_CHECK else Verdict.INVALID
    return PresentationReport(verdict=verdict, code=code, message=message, **about)


_WHY: dict[ChallengeCode | None, str] = {
    None: "the challenge was not issued by this verifier",
    ChallengeCode.CHALLENGE_UNKNOWN: "the challenge was not issued by this verifier",
    ChallengeCode.CHALLENGE_USED: "the challenge was already used by another presentation",
    ChallengeCode.CHALLENGE_EXPIRED: "the challenge has expired; ask for a new one",
}


def _credentials(
    checker: Checker,
    items: list[Any],
    about: dict[str, Any],
    *,
    now: datetime,
    as_of: datetime | None,
) -> PresentationReport:
    reports = tuple(checker.credential(item, now=now, as_of=as_of) for item in items)
    for verdict in (Verdict.INVALID, Verdict.COULD_NOT_CHECK):
        for index, report in enumerate(reports):
            if report.verdict is verdict:
                code, message = headline(report)
                return PresentationReport(
                    verdict=verdict,
                    code=code,
                    message=f"credential {index}: {message}",
                    credentials=reports,
                    **about,
                )
    return PresentationReport(
        verdict=Verdict.VALID, code=None, message="verified", credentials=reports, **about
    )
