"""Issuing and reading credentials: plain functions, no FastAPI, the clock passed in.

:func:`issue` runs these steps; each failure raises one typed error with a stable code:

(1) Issuer and id: ``issuer`` is absent or this office's DID (422 ``ISSUER_MISMATCH``); ``id`` is
    absent (a fresh ``urn:uuid:`` is assigned) or a lower-case ``urn:uuid:`` (422); the draft
    carries no proof yet (422 ``ALREADY_SIGNED``).
(2) Structure: VC Data Model 2.0 (:class:`vc_core.models.Credential`, 400 when malformed), before
    anything looks inside the draft.
(3) Type: the draft names exactly one ecert credential type (422 ``CREDENTIAL_TYPE_UNKNOWN``).
(4) Scope: the operator has the ``issuer`` role and the type is in its scope (403).
(4b) Accreditation, when a registry is configured: the office's own replica says the office is
    accredited, active, for this type and the subject's region (403 naming the rule), and the
    replica is fresh enough to say so (503 ``ACCREDITATION_UNCHECKED``); see
    :mod:`issuer.accreditation`.
(5) The id is not used yet (409 ``CREDENTIAL_ID_TAKEN``).
(6) Context: the draft uses the ecert JSON-LD context (422 ``ECERT_CONTEXT_MISSING``), so the
    library call below always applies the type's rules.
(7) Validate and sign with :func:`vc_core.issuance.issue_credential`, the one recipe the CLI
    shares: the type's JSON Schema, identifier check characters and rules (422 listing every
    bad field), a validity period not inverted and not over at ``now`` (422
    ``VALIDITY_PERIOD_INVALID`` / ``VALIDITY_PERIOD_OVER``), then a Data Integrity proof
    (VC-DI 1.0 §4.2) by the office key as ``<office DID>#<key>``, with the type's cryptosuite,
    ``created`` = ``now``, contexts from local copies only.
(6b) Status: with a registry configured, a fresh status index (:mod:`issuer.status`) and two
    ``BitstringStatusListEntry`` objects (revocation, suspension) pointing at the registry's
    lists; a draft that brings its own ``credentialStatus`` is refused (422
    ``CREDENTIAL_STATUS_SET``): the office assigns it.
(8) Store: the credential as handed out, its status index and its anchoring outbox row
    (:func:`issuer.outbox.add_leaf`), committed together (fsync'd on SQLite) before returning;
    two requests racing for one id are told apart by the primary key (409).

"""

from __future__ import annotations

import copy
import json
import re
import uuid
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import Table, bindparam, select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from issuer import outbox, status
from issuer.accreditation import AccreditationGate
from issuer.auth import ISSUE, READ, Operator, authorize
from issuer.clock import stamp
from issuer.commits import GroupWriter
from issuer.errors import ConflictError
from issuer.office import Office
from issuer.schemas import IssueWarning
from issuer.tables import CredentialRow, OutboxRow, StatusIndexRow
from vc_core.canon import (
    ECERT_CONTEXT_URL,
    UTF16_ORDER_RISK,
    LocalContexts,
    utf16_order_warning,
)
from vc_core.credential_types import credential_type_of
from vc_core.errors import NotFoundError, SchemaError, ValidationFailedError
from vc_core.issuance import issue_credential
from vc_core.keys import KeyPair
from vc_core.ledger.did import verification_method_id
from vc_core.models import Credential

_CREDENTIAL_TABLE: Table = CredentialRow.__table__  # type: ignore[attr-defined]
_OUTBOX_TABLE: Table = OutboxRow.__table__  # type: ignore[attr-defined]
_STATUS_TABLE: Table = StatusIndexRow.__table__  # type: ignore[attr-defined]
# Built once: whether a credential id is stored already (step (5)).
_ID_TAKEN = select(_CREDENTIAL_TABLE.c.id).where(_CREDENTIAL_TABLE.c.id == bindparam("id"))
# Fresh status index draws for one credential before giving up (each avoids every stored one).
_INDEX_TRIES = 8
# The one suite whose warning exists (vc_core.canon.utf16_order_warning), and what it looks for.
RDFC_SUITE = "eddsa-rdfc-2022"
_BEYOND_BMP = re.compile("[\U00010000-\U0010ffff]")
_URN_UUID = re.compile(r"urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def _issuer_id(value: Any) -> Any:
    return value.get("id") if isinstance(value, Mapping) else value


def _prepare(draft: dict[str, Any], office: Office, *, owned: bool = False) -> dict[str, Any]:
    """Step (1): the office as issuer, a credential id, and no proof yet.

    The caller's draft is copied first, unless it is ``owned``: made for this call alone (say,
    just parsed from a stored row), so nobody else holds it.
    """
    out = draft if owned else copy.deepcopy(draft)
    if "proof" in out:
        raise ValidationFailedError(
            "the credential to issue must not carry a proof", code="ALREADY_SIGNED", field="proof"
        )
    if "issuer" in out and _issuer_id(out["issuer"]) != office.did:
        raise ValidationFailedError(
            f"issuer must be this office, {office.did}", code="ISSUER_MISMATCH", field="issuer"
        )
    out.setdefault("issuer", office.did)
    if "id" not in out:
        out["id"] = f"urn:uuid:{uuid.uuid4()}"
    elif not isinstance(out["id"], str) or not _URN_UUID.fullmatch(out["id"]):
        raise ValidationFailedError(
            "id must be a lower-case urn:uuid: (or absent, to have one assigned)",
            code="CREDENTIAL_ID_INVALID",
            field="id",
        )
    return out


def check_draft(
    *,
    session: Session,
    office: Office,
    operator: Operator,
    draft: dict[str, Any],
    owned: bool = False,
) -> tuple[dict[str, Any], str]:
    """Steps (1)–(4) and (5) without signing: the prepared draft (its id assigned) and its type.

    Dual control (:mod:`issuer.approvals`) runs these before it holds a request, so a held
    request is not refused later for what could be seen at once.
    """
    prepared = _prepare(draft, office, owned=owned)
    Credential.from_dict(prepared)
    type_name = credential_type_of(prepared)
    authorize(operator, roles=ISSUE, credential_type=type_name)
    if _taken(session, prepared["id"]):
        raise _id_taken(prepared["id"])
    return prepared, type_name


def issue(
    *,
    session: Session,
    office: Office,
    operator: Operator,
    draft: dict[str, Any],
    suite_for: Callable[[str], str],
    contexts: LocalContexts,
    now: datetime,
    registry_base: str | None = None,
    gate: AccreditationGate | None = None,
    before_commit: Callable[[Session, dict[str, Any]], None] | None = None,
    writer: GroupWriter | None = None,
    checked_type: str | None = None,
) -> dict[str, Any]:
    """Validate, sign and store ``draft``; return the verifiable credential (steps (1)–(8)).

    ``registry_base`` is the registry's URL the status lists are served from (no
    ``credentialStatus`` without it). ``before_commit(session, signed)`` adds rows that must
    commit in the same database transaction as the credential (a deed transfer's supersede
    request, an approval's audit entry). Without it, a ``writer`` stores the rows in a group
    commit shared with concurrent requests (:mod:`issuer.commits`), still before returning.
    ``checked_type`` says that ``draft`` is what :func:`check_draft` returned for this
    operator, of that type, so steps (1)–(4) and (5) are not run twice.

    Raises:
        SchemaError, IdentifierError: the type is unknown or the content invalid (422).
        ForbiddenError: role or type scope, or the office's accreditation (403).
        RegistryError: ``ACCREDITATION_UNCHECKED``, the replica is too old to say (503).
        ValidationFailedError: issuer, id or proof not acceptable (422).
        ConflictError: the id is already used (409).
        MalformedError: not a VCDM 2.0 credential (400).
    """
    if checked_type is not None:
        prepared, type_name = draft, checked_type
        if gate is not None:
            gate.check(prepared, now=now)
    else:
        prepared, type_name = precheck(
            office=office, operator=operator, draft=draft, now=now, gate=gate
        )
        if _taken(session, prepared["id"]):
            raise _id_taken(prepared["id"])
    check_context(prepared)
    if registry_base is not None:
        refuse_status(prepared)
    if writer is not None and before_commit is None:
        return _issue_grouped(
            session,
            writer,
            office=office,
            operator=operator,
            prepared=prepared,
            type_name=type_name,
            suite=suite_for(type_name),
            contexts=contexts,
            now=now,
            registry_base=registry_base,
        )
    if registry_base is not None:
        try:
            index = status.allocate_index(session, prepared["id"])
        except IntegrityError:
            # Another request for the same id holds its index row (the id is unique there too).
            session.rollback()
            raise _id_taken(prepared["id"]) from None
        prepared["credentialStatus"] = status.status_entries(registry_base, office.did, index)
    suite = suite_for(type_name)
    # One read of the signing key, chosen for the proof's time: a key rotation may switch it at
    # any moment, and the proof's verification method must name a key active at ``created``.
    signer = office.signer_at(now)
    signed = sign(
        prepared, office_did=office.did, signer=signer, suite=suite, now=now, contexts=contexts
    )
    _store(
        session,
        CredentialRow(
            id=signed["id"],
            credential_type=type_name,
            issuer=office.did,
            suite=suite,
            operator_id=operator.id,
            issued_at=stamp(now),
            document=json.dumps(signed, ensure_ascii=False, separators=(",", ":")),
        ),
        signed,
        now,
        before_commit,
    )
    return signed


def _id_taken(credential_id: str) -> ConflictError:
    return ConflictError(
        f"a credential {credential_id} was already issued", code="CREDENTIAL_ID_TAKEN", field="id"
    )


def _taken(session: Session, credential_id: str) -> bool:
    """Step (5): a credential has this id already (its status index row, when it has one,
    commits with it, so this one read covers both)."""
    return session.connection().execute(_ID_TAKEN, {"id": credential_id}).first() is not None


def _issue_grouped(
    session: Session,
    writer: GroupWriter,
    *,
    office: Office,
    operator: Operator,
    prepared: dict[str, Any],
    type_name: str,
    suite: str,
    contexts: LocalContexts,
    now: datetime,
    registry_base: str | None,
) -> dict[str, Any]:
    """Steps (6b)–(8) through the group commit.

    The status index is drawn among those unused so far but not inserted until the group
    commit, so no write lock is held while signing; if another writer took it meanwhile, the
    primary key refuses the rows and the credential is signed again with a fresh draw (rare:
    the draw avoids every index already stored). Any other refusal means the id was taken.
    """
    credential_id, at = prepared["id"], stamp(now)
    # One read of the signing key, chosen for the proof's time (see issue()).
    signer = office.signer_at(now)
    for _ in range(_INDEX_TRIES):
        draft, rows = prepared, []
        if registry_base is not None:
            index = status.draw_indexes(session, 1)[0]
            entries = status.status_entries(registry_base, office.did, index)
            draft = {**prepared, "credentialStatus": entries}
            rows.append((_STATUS_TABLE, {"index": index, "credential_id": credential_id}))
        signed = sign(
            draft, office_did=office.did, signer=signer, suite=suite, now=now, contexts=contexts
        )
        rows.append(
            (
                _CREDENTIAL_TABLE,
                _credential_row(
                    signed,
                    type_name=type_name,
                    suite=suite,
                    office=office,
                    operator=operator,
                    at=at,
                ),
            )
        )
        rows.append((_OUTBOX_TABLE, outbox.leaf_row(signed, at)))
        # End this session's read transaction before waiting: a snapshot held open meanwhile
        # would keep SQLite from checkpointing its WAL.
        session.rollback()
        try:
            writer.insert(rows)
        except IntegrityError:
            if registry_base is None or _taken(session, credential_id):
                raise _id_taken(credential_id) from None
            session.rollback()
            continue
        return signed
    raise _id_taken(credential_id)  # pragma: no cover — each draw avoids every stored index


def _credential_row(
    signed: Mapping[str, Any],
    *,
    type_name: str,
    suite: str,
    office: Office,
    operator: Operator,
    at: str,
) -> dict[str, Any]:
    return {
        "id": signed["id"],
        "credential_type": type_name,
        "issuer": office.did,
        "suite": suite,
        "operator_id": operator.id,
        "issued_at": at,
        "document": json.dumps(signed, ensure_ascii=False, separators=(",", ":")),
    }


def precheck(
    *,
    office: Office,
    operator: Operator,
    draft: dict[str, Any],
    now: datetime,
    gate: AccreditationGate | None,
    owned: bool = False,
) -> tuple[dict[str, Any], str]:
    """Steps (1)–(4b): the prepared draft and its type (batch issuance runs these too).

    ``owned``: the draft was made for this call alone and may be completed in place.
    """
    prepared = _prepare(draft, office, owned=owned)
    Credential.from_dict(prepared)
    type_name = credential_type_of(prepared)
    authorize(operator, roles=ISSUE, credential_type=type_name)
    if gate is not None:
        gate.check(prepared, now=now)
    return prepared, type_name


def check_context(prepared: Mapping[str, Any]) -> None:
    """Step (6): the draft uses the ecert context, so the type's rules always apply."""
    if ECERT_CONTEXT_URL not in prepared.get("@context", []):
        raise SchemaError(
            f"an ecert credential uses the ecert context {ECERT_CONTEXT_URL}",
            code="ECERT_CONTEXT_MISSING",
            field="@context",
        )


def refuse_status(prepared: Mapping[str, Any]) -> None:
    """Step (6b), first half: the office assigns ``credentialStatus``, never the draft."""
    if "credentialStatus" in prepared:
        raise ValidationFailedError(
            "the office assigns credentialStatus; leave it out",
            code="CREDENTIAL_STATUS_SET",
            field="credentialStatus",
        )


def sign(
    prepared: Mapping[str, Any],
    *,
    office_did: str,
    signer: KeyPair,
    suite: str,
    now: datetime,
    contexts: LocalContexts | None,
) -> dict[str, Any]:
    """Step (7): validate against the type's rules and sign with ``signer``, the office key
    :meth:`Office.signer_at` chose for ``now``, named as ``<office DID>#<key>``."""
    return issue_credential(
        prepared,
        signer,
        suite=suite,
        now=now,
        contexts=contexts,
        verification_method=verification_method_id(office_did, signer.public_multibase),
    )


def warnings_for(signed: dict[str, Any]) -> list[IssueWarning]:
    """What the office should know about a credential it just issued (see :class:`IssueWarning`).

    A credential whose JSON text holds no character beyond U+FFFF (almost every one) cannot
    carry the warning; the C encoder and one regular-expression scan say so far faster than
    walking every string character by character.
    """
    proof = signed.get("proof")
    suite = proof.get("cryptosuite") if isinstance(proof, dict) else None
    if suite != RDFC_SUITE:
        return []
    if not _BEYOND_BMP.search(json.dumps(signed, ensure_ascii=False)):
        return []
    unsigned = {k: v for k, v in signed.items() if k != "proof"}
    message = utf16_order_warning(unsigned, suite)
    return [IssueWarning(code=UTF16_ORDER_RISK, message=message)] if message else []


def _store(
    session: Session,
    row: CredentialRow,
    signed: dict[str, Any],
    now: datetime,
    before_commit: Callable[[Session, dict[str, Any]], None] | None = None,
) -> None:
    """Step (8). Two requests racing for one id both pass the early check; the key decides.

    The credential and its outbox row commit together: a credential the API returned is always
    anchored eventually, and no leaf is ever anchored for a credential that was not stored.
    """
    session.add(row)
    try:
        session.flush()
        outbox.add_leaf(session, signed, now)
        if before_commit is not None:
            before_commit(session, signed)
        session.commit()
    except IntegrityError:
        session.rollback()
        raise ConflictError(
            f"a credential {row.id} was already issued", code="CREDENTIAL_ID_TAKEN", field="id"
        ) from None


def get(*, session: Session, operator: Operator, credential_id: str) -> dict[str, Any]:
    """The credential as it was issued.

    A credential outside the operator's type scope is reported as not found, so an operator
    cannot learn which credentials of other types exist.

    Raises:
        NotFoundError: ``CREDENTIAL_NOT_FOUND`` (404).
        ForbiddenError: no role that may read (403).
    """
    authorize(operator, roles=READ)
    row = session.get(CredentialRow, credential_id)
    if row is None or row.credential_type not in operator.credential_types:
        raise NotFoundError(f"no credential {credential_id}", code="CREDENTIAL_NOT_FOUND")
    document: dict[str, Any] = json.loads(row.document)
    return document
