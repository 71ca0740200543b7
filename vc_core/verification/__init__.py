"""Verification of ecert credentials: the numbered steps of DESIGN §5, shared by the verifier
service and the wallet (which runs them offline).

:func:`check_credential` verifies against any :class:`~vc_core.ledger.LedgerReader` (a
replica, the embedded ledger, a memory ledger); :func:`check_bundle` against an offline
bundle's chain facts. Both return a :class:`VerificationReport`: one :class:`StepResult` per
step (0)…(8) and a verdict ``valid`` / ``invalid`` / ``could_not_check``. The steps are listed in
:mod:`vc_core.verification.credential`. Library callers that want an exception rather than a
report pass it to :func:`raise_for_verdict`.

Example:
    >>> from datetime import UTC, datetime
    >>> from vc_core.keys import KeyPair
    >>> from vc_core.ledger import MemoryLedger, genesis_tx
    >>> k, t = KeyPair.generate(), datetime(2025, 1, 1, tzinfo=UTC)
    >>> ledger = MemoryLedger.create(genesis_tx("demo", [k], 1, k.public, t), k, t)
    >>> report = check_credential(b"not json", reader=ledger, now=t)
    >>> report.verdict.value, report.exit_code, report.codes[0]
    ('invalid', 2, 'NOT_JSON')
"""

from vc_core.verification.chain import AnchorFact, BundleView, ChainView, ReaderView, ViewHead
from vc_core.verification.codes import Step, StepCode, StepStatus, Verdict
from vc_core.verification.credential import check_bundle, check_credential, run_steps
from vc_core.verification.report import (
    CouldNotCheckError,
    CredentialInvalidError,
    StepResult,
    VerificationReport,
    raise_for_verdict,
    verdict_of,
)
from vc_core.verification.steps import FreshnessPolicy

__all__ = [
    "AnchorFact",
    "BundleView",
    "ChainView",
    "CouldNotCheckError",
    "CredentialInvalidError",
    "FreshnessPolicy",
    "ReaderView",
    "Step",
    "StepCode",
    "StepResult",
    "StepStatus",
    "Verdict",
    "VerificationReport",
    "ViewHead",
    "check_bundle",
    "check_credential",
    "raise_for_verdict",
    "run_steps",
    "verdict_of",
]
