"""``ecert demo``: the embedded default run. Signs each bundled example with both suites and
verifies it, offline, and prints what happened (DESIGN §4). Grows as the services land."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from importlib import resources

import typer

from vc_core.canon import default_contexts
from vc_core.dataintegrity import CRYPTOSUITES, verify_proofs
from vc_core.keys import KeyPair


def demo() -> None:
    """Sign and verify every example credential with both cryptosuites, offline."""
    from ecert.commands.credential import sign_document

    key = KeyPair.generate()
    now = datetime.now(UTC)
    contexts = default_contexts()
    folder = resources.files("schemas").joinpath("examples")
    examples = sorted(
        (p for p in folder.iterdir() if p.name.endswith(".json")), key=lambda p: p.name
    )
    for example in examples:
        document = json.loads(example.read_text(encoding="utf-8"))
        for suite in CRYPTOSUITES:
            signed = sign_document(document, key, suite=suite, created=now, contexts=contexts)
            verify_proofs(signed, now=now, contexts=contexts)
            typer.echo(f"signed and verified  {example.name:<28} {suite}")
    typer.echo(f"{len(examples) * len(CRYPTOSUITES)} credentials signed and verified offline.")
