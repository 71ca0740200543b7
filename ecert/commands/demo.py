"""``ecert demo``: the embedded default run. Signs each bundled example with both suites and
verifies it, offline, and prints what happened (DESIGN §4). Grows as the services land."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from importlib import resources

import typer

from vc_core.canon import default_contexts
from vc_core.dataintegrity import CRYPTOSUITES, verify_proofs
from vc_core.issuance import issue_credential
from vc_core.keys import KeyPair

# Issuance refuses a credential whose validity period is over, and the bundled examples' periods
# end as early as 2024-06-01; the demo issues them as of a day when every one was still current.
EXAMPLES_ISSUED_AT = datetime(2024, 5, 1, tzinfo=UTC)


def demo() -> None:
    """Issue (validate and sign) and verify every example credential with both suites, offline."""
    key = KeyPair.generate()
    now, checked_at = EXAMPLES_ISSUED_AT, datetime.now(UTC)
    contexts = default_contexts()
    folder = resources.files("schemas").joinpath("examples")
    examples = sorted(
        (p for p in folder.iterdir() if p.name.endswith(".json")), key=lambda p: p.name
    )
    for example in examples:
        document = json.loads(example.read_text(encoding="utf-8"))
        for suite in CRYPTOSUITES:
            signed = issue_credential(document, key, suite=suite, now=now, contexts=contexts)
            verify_proofs(signed, now=checked_at, contexts=contexts)
            typer.echo(f"signed and verified  {example.name:<28} {suite}")
    typer.echo(f"{len(examples) * len(CRYPTOSUITES)} credentials signed and verified offline.")
