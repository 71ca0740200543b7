"""Who and when: the story's offices and its fixed timeline (every step's ``now``).

The five offices are the real issuers named in the bundled examples (``schemas/examples``), one
per credential type, each accredited for the region its example's subject lives in. Their USCCs
are made up, with valid check characters (GB 32100-2015).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from ecert.story.chain import OfficeSpec
from vc_core.credential_types import CREDENTIAL_TYPES

OFFICES = (
    OfficeSpec("traffic-police", "成都市公安局交通警察支队", "11510100MB0000001Y",
               "DriverLicenceCredential", "5101"),
    OfficeSpec("fuzhou-market", "福州市市场监督管理局", "11350100MB00000025",
               "BusinessLicenceCredential", "3501"),
    OfficeSpec("sichuan-justice", "四川省司法厅", "11510000MB00000030",
               "ProfessionalLicenceCredential", "51"),
    OfficeSpec("chengdu-real-estate", "成都市不动产登记中心", "12510100MB00000045",
               "PropertyDeedCredential", "5101"),
    OfficeSpec("jinjiang-market", "成都市锦江区市场监督管理局", "11510104MB00000055",
               "SocialCreditRecordCredential", "510104"),
)  # fmt: skip
LABELS = {
    spec.name: CREDENTIAL_TYPES[spec.credential_type].example_file.removesuffix(".json")
    for spec in OFFICES
}
"""Office name -> the short name of the credential it issues (its example's file name)."""

COUNCIL_SIZE, THRESHOLD = 3, 2
REVOKED_OFFICE = "traffic-police"
REVOCATION_REASON = "licence revoked for drunk driving (吊销)"
TAMPERED_OFFICE = "fuzhou-market"

GENESIS_AT = datetime(2024, 4, 29, 1, 0, tzinfo=UTC)
PROPOSED_AT = datetime(2024, 4, 29, 2, 0, tzinfo=UTC)
PROPOSAL_EXPIRES = PROPOSED_AT + timedelta(days=7)
ACCREDITED_AT = datetime(2024, 4, 30, 1, 0, tzinfo=UTC)  # the second member signs and submits
KEYS_AT = datetime(2024, 4, 30, 2, 0, tzinfo=UTC)
# Issuance refuses a credential whose validity period is over, and the bundled examples' periods
# end as early as 2024-06-01; the offices issue them as of a day when every one was current.
EXAMPLES_ISSUED_AT = datetime(2024, 5, 1, tzinfo=UTC)
ANCHORED_AT = datetime(2024, 5, 1, 0, 10, tzinfo=UTC)
CHECKPOINT_AT = ANCHORED_AT + timedelta(minutes=1)
# The bank checks within its freshness policy (15 minutes) of the chain's last block.
BANK_AT = ANCHORED_AT + timedelta(minutes=10)
BANK_STALE_AT = BANK_AT + timedelta(days=1)
LOAN_SIGNED_AT = datetime(2024, 5, 6, 2, 0, tzinfo=UTC)  # a day the bank asks about later
REVOKED_AT = datetime(2024, 5, 10, 2, 0, tzinfo=UTC)
BANK_AGAIN_AT = REVOKED_AT + timedelta(minutes=10)
# A citizen receives a new driving licence into a wallet (OpenID4VCI), the office anchors it, and
# the citizen presents it to the bank (OpenID4VP) within the bank's freshness policy.
WALLET_RECEIVES_AT = datetime(2024, 5, 11, 1, 0, tzinfo=UTC)
WALLET_ANCHORED_AT = WALLET_RECEIVES_AT + timedelta(minutes=5)
WALLET_PRESENTS_AT = WALLET_ANCHORED_AT + timedelta(minutes=5)
WALLET_OFFICE = "traffic-police"
SEALED = timedelta(seconds=5)
"""The node seals each block a few seconds after its transactions (within the ledger's window)."""
