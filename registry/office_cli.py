"""``ecert office …``: an office prepares, signs and submits its own transactions (DESIGN §3).

Every command builds one office transaction (``anchor``, ``status``, ``key.*``), fetches the
office's next sequence number (``GET /accounts/{office}``) and the chain id from the node,
signs it with the office key file, submits it, resubmits until the node reports it
``included`` (pending is not durable: ``docs/adr/0001-pending-durability.md``) and prints the
inclusion: block, position and RFC 6962 audit path to the block's ``tx_root``.

``--out FILE`` writes the signed transaction instead, for an air-gapped signer; with
``--chain-id`` and ``--seq`` too, nothing is fetched at all. ``ecert office submit FILE`` then
sends it from a connected machine. Key files are read, never printed. Errors are
:class:`~vc_core.errors.VCError` and reach the user as one line and an exit code.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import BaseModel, ValidationError

from registry.codes import CliCode
from registry.office_leaves import MAX_FILE_BYTES, parse_leaves
from registry.setup import read_key
from registry.txfiles import (
    check_writable,
    inclusion_line,
    read_text,
    read_tx,
    submit_until_included,
    write_tx,
)
from vc_core.errors import MalformedError
from vc_core.keys import KeyPair
from vc_core.ledger import (
    AnchorBody,
    KeyAddBody,
    KeyCompromisedBody,
    KeyRetireBody,
    StatusBody,
    Transaction,
    add_signature,
    office_did,
    office_tx,
)
from vc_core.ledger.bodies import (
    EncumbranceAddEvent,
    EncumbranceReleaseEvent,
    ReinstateEvent,
    RevokeEvent,
    SupersedeEvent,
    SuspendEvent,
    TxBody,
)
from vc_core.registry_client import RegistryClient
from vc_core.times import parse_instant
from vc_core.transparency.merkle import MerkleTree

office_app = typer.Typer(help="An office's own transactions: anchor, status, keys.")
status_app = typer.Typer(help="Status events about one of the office's credentials.")
encumbrance_app = typer.Typer(help="Record or release an encumbrance on a credential.")
key_app = typer.Typer(help="The office's keys: add, retire, declare compromised.")
office_app.add_typer(status_app, name="status")
office_app.add_typer(key_app, name="key")
status_app.add_typer(encumbrance_app, name="encumbrance")
for _group in (office_app, status_app, encumbrance_app, key_app):
    _group.info.no_args_is_help = True

Office = Annotated[str, typer.Option("--office", help="Office name (or its did:ecert DID).")]
KeyFile = Annotated[Path, typer.Option("--key", help="The office key file (never printed).")]
Registry = Annotated[str | None, typer.Option("--registry", help="Registry node URL.")]
Out = Annotated[
    Path | None, typer.Option("--out", help="Write the signed transaction here; do not submit.")
]
ChainId = Annotated[str | None, typer.Option("--chain-id", help="With --out: no network.")]
Seq = Annotated[int | None, typer.Option("--seq", min=1, help="With --out: the seq to use.")]
CredentialId = Annotated[str | None, typer.Option("--credential-id", help="The credential id.")]
Index = Annotated[int | None, typer.Option("--index", min=0, help="Its status-list index.")]
Reason = Annotated[str, typer.Option("--reason")]
Wait = Annotated[float, typer.Option("--wait", min=1, help="Seconds to wait for the block.")]


@dataclass(frozen=True)
class _Signer:
    """Who signs, where it goes, and how (the options every office command shares)."""

    office: str
    key: Path
    registry: str | None
    out: Path | None
    chain_id: str | None
    seq: int | None
    wait_s: float = 60.0


def _time(value: str, option: str) -> datetime:
    return parse_instant(value, field=option)


def _build(model: type[BaseModel], **fields: Any) -> Any:
    """A body or event model, its validation errors turned into one-line ``MalformedError``."""
    try:
        return model.model_validate({k: v for k, v in fields.items() if v is not None})
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise MalformedError(
            f"invalid {model.__name__}{' ' + where if where else ''}: {first['msg']}",
            code=CliCode.INVALID_INPUT,
        ) from None


def _act(signer: _Signer, tx_type: str, body: TxBody, *, co_signer: KeyPair | None = None) -> None:
    """Sign ``body`` as the office and submit it (or write it with ``--out``)."""
    key = read_key(signer.key)
    if signer.out is not None:
        check_writable(signer.out)
    now = datetime.now(UTC)
    if signer.out is not None and signer.chain_id is not None and signer.seq is not None:
        tx = _sign(signer, signer.chain_id, signer.seq, tx_type, body, key, co_signer, now)
        _write(signer.out, tx)
        return
    if signer.registry is None:
        raise MalformedError(
            "--registry is needed (or --out with --chain-id and --seq)", code=CliCode.NO_REGISTRY
        )
    with RegistryClient(signer.registry, timeout_s=30) as client:
        chain_id = signer.chain_id or client.checkpoint().chain_id
        author = _did(chain_id, signer.office)
        seq = signer.seq or client.next_seq(author)
        tx = _sign(signer, chain_id, seq, tx_type, body, key, co_signer, now)
        if signer.out is not None:
            _write(signer.out, tx)
            return
        typer.echo(inclusion_line(submit_until_included(client, tx, wait_s=signer.wait_s)))


def _sign(  # noqa: PLR0917 — one private step of _act
    signer: _Signer,
    chain_id: str,
    seq: int,
    tx_type: str,
    body: TxBody,
    key: KeyPair,
    co_signer: KeyPair | None,
    now: datetime,
) -> Transaction:
    author = _did(chain_id, signer.office)
    tx = office_tx(chain_id, tx_type, body, office=author, seq=seq, time=now, key=key)
    return add_signature(tx, co_signer) if co_signer is not None else tx


def _did(chain_id: str, office: str) -> str:
    return office if office.startswith("did:") else office_did(chain_id, office)


def _write(out: Path, tx: Transaction) -> None:
    write_tx(out, tx)
    typer.echo(f"wrote {out}: {tx.type} by {tx.author}, seq {tx.seq}, hash {tx.hash}")


@office_app.command()
def anchor(  # noqa: PLR0917 — typer options
    file: Annotated[Path, typer.Argument(help="Hex digests, one a line, or signed credentials.")],
    office: Office,
    key: KeyFile,
    registry: Registry = None,
    batch_id: Annotated[str | None, typer.Option("--batch-id", help="Default: from root.")] = None,
    out: Out = None,
    chain_id: ChainId = None,
    seq: Seq = None,
    wait: Wait = 60.0,
) -> None:
    """Anchor a batch: RFC 6962 root over the leaves, every leaf published on chain."""
    leaves = parse_leaves(read_text(file, max_bytes=MAX_FILE_BYTES))
    root = MerkleTree([bytes.fromhex(leaf) for leaf in leaves]).root.hex()
    body = _build(
        AnchorBody,
        batch_id=batch_id or f"batch-{root[:16]}",
        batch_root=root,
        leaf_count=len(leaves),
        leaves=tuple(leaves),
    )
    typer.echo(f"batch {body.batch_id}: {len(leaves)} leaves, root {root}")
    _act(_Signer(office, key, registry, out, chain_id, seq, wait), "anchor", body)


def _status(
    signer: _Signer, credential_id: str | None, index: int | None, event: BaseModel
) -> None:
    if credential_id is None and index is None:
        raise MalformedError(
            "name the credential: --credential-id or --index", code=CliCode.NO_TARGET
        )
    body = _build(StatusBody, credential_id=credential_id, status_index=index, event=event)
    _act(signer, "status", body)


@status_app.command()
def revoke(  # noqa: PLR0917 — typer options
    office: Office,
    key: KeyFile,
    reason: Reason,
    credential_id: CredentialId = None,
    index: Index = None,
    registry: Registry = None,
    out: Out = None,
    chain_id: ChainId = None,
    seq: Seq = None,
) -> None:
    """Revoke a credential for good."""
    event = _build(RevokeEvent, reason=reason)
    _status(_Signer(office, key, registry, out, chain_id, seq), credential_id, index, event)


@status_app.command()
def suspend(  # noqa: PLR0917 — typer options
    office: Office,
    key: KeyFile,
    reason: Reason,
    until: Annotated[str | None, typer.Option("--until", help="RFC 3339; open if absent.")] = None,
    from_: Annotated[str | None, typer.Option("--from", help="RFC 3339; default now.")] = None,
    credential_id: CredentialId = None,
    index: Index = None,
    registry: Registry = None,
    out: Out = None,
    chain_id: ChainId = None,
    seq: Seq = None,
) -> None:
    """Suspend a credential from ``--from`` (default now) until ``--until``."""
    start = _time(from_, "--from") if from_ is not None else datetime.now(UTC)
    end = _time(until, "--until") if until is not None else None
    event = _build(SuspendEvent, **{"from": start, "until": end, "reason": reason})
    _status(_Signer(office, key, registry, out, chain_id, seq), credential_id, index, event)


@status_app.command()
def reinstate(  # noqa: PLR0917 — typer options
    office: Office,
    key: KeyFile,
    reason: Reason = "",
    credential_id: CredentialId = None,
    index: Index = None,
    registry: Registry = None,
    out: Out = None,
    chain_id: ChainId = None,
    seq: Seq = None,
) -> None:
    """End a suspension."""
    event = _build(ReinstateEvent, reason=reason)
    _status(_Signer(office, key, registry, out, chain_id, seq), credential_id, index, event)


@status_app.command()
def supersede(  # noqa: PLR0917 — typer options
    office: Office,
    key: KeyFile,
    by: Annotated[str, typer.Option("--by", help="The id of the credential replacing it.")],
    reason: Reason = "",
    credential_id: CredentialId = None,
    index: Index = None,
    registry: Registry = None,
    out: Out = None,
    chain_id: ChainId = None,
    seq: Seq = None,
) -> None:
    """Replace a credential by another."""
    event = _build(SupersedeEvent, by=by, reason=reason)
    _status(_Signer(office, key, registry, out, chain_id, seq), credential_id, index, event)


@encumbrance_app.command("add")
def encumbrance_add(  # noqa: PLR0917 — typer options
    office: Office,
    key: KeyFile,
    encumbrance_id: Annotated[str, typer.Option("--id", help="The encumbrance's id.")],
    kind: Annotated[str, typer.Option("--kind", help="mortgage, seizure, …")],
    holder: Annotated[str | None, typer.Option("--holder")] = None,
    description: Annotated[str, typer.Option("--description")] = "",
    credential_id: CredentialId = None,
    index: Index = None,
    registry: Registry = None,
    out: Out = None,
    chain_id: ChainId = None,
    seq: Seq = None,
) -> None:
    """Record an encumbrance on a credential."""
    event = _build(
        EncumbranceAddEvent,
        encumbrance_id=encumbrance_id,
        kind=kind,
        holder=holder,
        description=description,
    )
    _status(_Signer(office, key, registry, out, chain_id, seq), credential_id, index, event)


@encumbrance_app.command("release")
def encumbrance_release(  # noqa: PLR0917 — typer options
    office: Office,
    key: KeyFile,
    encumbrance_id: Annotated[str, typer.Option("--id", help="The encumbrance's id.")],
    reason: Reason = "",
    credential_id: CredentialId = None,
    index: Index = None,
    registry: Registry = None,
    out: Out = None,
    chain_id: ChainId = None,
    seq: Seq = None,
) -> None:
    """Release an encumbrance recorded earlier."""
    event = _build(EncumbranceReleaseEvent, encumbrance_id=encumbrance_id, reason=reason)
    _status(_Signer(office, key, registry, out, chain_id, seq), credential_id, index, event)


@key_app.command("add")
def key_add(  # noqa: PLR0917 — typer options
    office: Office,
    key: KeyFile,
    new_key: Annotated[Path, typer.Option("--new-key", help="The new key's file (it co-signs).")],
    registry: Registry = None,
    out: Out = None,
    chain_id: ChainId = None,
    seq: Seq = None,
) -> None:
    """Add a key, signed by a current key and by the new one (proof of possession)."""
    new = read_key(new_key)
    body = _build(KeyAddBody, key=new.public_multibase)
    _act(_Signer(office, key, registry, out, chain_id, seq), "key.add", body, co_signer=new)


@key_app.command("retire")
def key_retire(  # noqa: PLR0917 — typer options
    office: Office,
    key: KeyFile,
    retire: Annotated[str, typer.Option("--retire", help="The Multikey (z6Mk…) to retire.")],
    registry: Registry = None,
    out: Out = None,
    chain_id: ChainId = None,
    seq: Seq = None,
) -> None:
    """Retire a key from now on (what it signed before stays valid)."""
    body = _build(KeyRetireBody, key=retire)
    _act(_Signer(office, key, registry, out, chain_id, seq), "key.retire", body)


@key_app.command("compromised")
def key_compromised(  # noqa: PLR0917 — typer options
    office: Office,
    key: KeyFile,
    compromised: Annotated[str, typer.Option("--compromised", help="The Multikey (z6Mk…).")],
    since: Annotated[str, typer.Option("--since", help="RFC 3339: untrusted from then on.")],
    reason: Reason = "",
    registry: Registry = None,
    out: Out = None,
    chain_id: ChainId = None,
    seq: Seq = None,
) -> None:
    """Declare a key compromised since a time (signed by an active key, or the key itself)."""
    read_key(key)  # a missing key file is reported before any network call
    # The body names the office DID, so the chain id is needed before signing.
    chain = chain_id
    if chain is None and registry is not None:
        with RegistryClient(registry, timeout_s=30) as client:
            chain = client.checkpoint().chain_id
    if chain is None:
        raise MalformedError("--registry or --chain-id is needed", code=CliCode.NO_REGISTRY)
    body = _build(
        KeyCompromisedBody,
        office=_did(chain, office),
        key=compromised,
        since=_time(since, "--since"),
        reason=reason,
    )
    _act(_Signer(office, key, registry, out, chain, seq), "key.compromised", body)


@office_app.command()
def submit(
    file: Annotated[Path, typer.Argument(help="A signed office transaction (from --out).")],
    registry: Annotated[str, typer.Option("--registry", help="Registry node URL.")],
    wait: Wait = 60.0,
) -> None:
    """Submit a signed transaction file, resubmitting until it is included."""
    tx = read_tx(file)
    with RegistryClient(registry, timeout_s=30) as client:
        typer.echo(inclusion_line(submit_until_included(client, tx, wait_s=wait)))
