"""The stable names of verification (DESIGN §5): steps, step outcomes, verdicts and failure codes.

Every code a report can carry is spelled once, here or in the module whose check raises it
(the proof and structure steps pass on the codes of :mod:`vc_core.dataintegrity` and
:mod:`vc_core.credential_types` as they are). Codes never change meaning.

Example:
    >>> StepCode.REVOKED.value, Verdict.COULD_NOT_CHECK.value
    ('REVOKED', 'could_not_check')
"""

from __future__ import annotations

from enum import IntEnum, StrEnum


class Step(IntEnum):
    """The numbered steps of DESIGN §5, in the order a report lists them."""

    PARSE = 0
    STRUCTURE = 1
    PROOF = 2
    ISSUER_KEY = 3
    ACCREDITATION = 4
    ANCHOR = 5
    STATUS = 6
    VALIDITY_PERIOD = 7
    FRESHNESS = 8

    @property
    def title(self) -> str:
        """The step's name as a report shows it (``issuer key``)."""
        return self.name.lower().replace("_", " ")


CHAIN_STEPS = frozenset({Step.PROOF, Step.ISSUER_KEY, Step.ACCREDITATION, Step.ANCHOR, Step.STATUS})
"""Steps whose answer rests on chain facts: a newer chain could change a failure of theirs, so
when the chain view is older than the freshness policy allows, their failures are not final."""


class StepStatus(StrEnum):
    """How one step ended."""

    OK = "ok"
    FAILED = "failed"
    COULD_NOT_CHECK = "could_not_check"
    SKIPPED = "skipped"


class Verdict(StrEnum):
    """The overall answer: never ``invalid`` for an infrastructure fault, never ``valid`` when
    a check could not run."""

    VALID = "valid"
    INVALID = "invalid"
    COULD_NOT_CHECK = "could_not_check"


class StepCode(StrEnum):
    """Failure codes of the steps that are verification's own (DESIGN §5)."""

    # (0) Parse.
    NOT_AN_OBJECT = "NOT_AN_OBJECT"
    # (3) Issuer key.
    KEY_NOT_ON_CHAIN = "KEY_NOT_ON_CHAIN"
    KEY_NOT_OF_ISSUER = "KEY_NOT_OF_ISSUER"
    KEY_NOT_ACTIVE_AT_ANCHOR_TIME = "KEY_NOT_ACTIVE_AT_ANCHOR_TIME"
    # (4) Accreditation.
    ISSUER_NOT_ACCREDITED = "ISSUER_NOT_ACCREDITED"
    ISSUER_NOT_ACCREDITED_FOR_TYPE = "ISSUER_NOT_ACCREDITED_FOR_TYPE"
    ISSUER_OUT_OF_JURISDICTION = "ISSUER_OUT_OF_JURISDICTION"
    ISSUER_SUSPENDED = "ISSUER_SUSPENDED"
    # (5) Anchor.
    ISSUER_ON_OTHER_CHAIN = "ISSUER_ON_OTHER_CHAIN"
    ANCHOR_NOT_FOUND = "ANCHOR_NOT_FOUND"
    ANCHOR_NOT_BY_ISSUER = "ANCHOR_NOT_BY_ISSUER"
    ANCHORED_AFTER_AS_OF = "ANCHORED_AFTER_AS_OF"
    # (6) Status.
    REVOKED = "REVOKED"
    SUSPENDED = "SUSPENDED"
    SUPERSEDED = "SUPERSEDED"
    # (7) Validity period.
    EXPIRED = "EXPIRED"
    NOT_YET_VALID = "NOT_YET_VALID"
    # (8) Freshness.
    REPLICA_TOO_OLD = "REPLICA_TOO_OLD"
    # Any chain step: the reader could not answer.
    REGISTRY_UNAVAILABLE = "REGISTRY_UNAVAILABLE"
