"""Operator commands: ``ecert registry …`` (:data:`app`) and ``ecert council …``.

Commands raise :class:`~vc_core.errors.VCError`; :func:`main` (and the ``ecert`` composition
root) turn it into ``diagnostics()`` and an exit code. Secret keys are read from files and never
printed.
"""

from __future__ import annotations

import os
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from registry.codes import CliCode
from registry.config import Settings
from registry.council_cli import council_app
from registry.office_cli import office_app
from vc_core.errors import NotFoundError, VCError
from vc_core.jsonio import FileCode
from vc_core.tls import TLS_CERT_HELP, TLS_KEY_HELP, server_tls

__all__ = ["app", "council_app", "main", "root_app"]

app = typer.Typer(help="Run and audit an ecert registry node.", no_args_is_help=True)

DataDir = Annotated[Path, typer.Option("--data-dir", help="The node's folder.")]
DEFAULT_DIR = Path("registry-data")


def _settings(data_dir: Path, **extra: object) -> Settings:
    return Settings(data_dir=data_dir, **extra)  # type: ignore[arg-type]


def _evm_options(
    *,
    backend: str | None,
    rpc_url: str | None,
    contract: str | None,
    chain_id: int | None,
    confirmations: int | None,
    sender_key_file: Path | None,
) -> dict[str, object]:
    """The EVM options given on the command line (the others come from ``REGISTRY_*``)."""
    given = {
        "backend": backend,
        "evm_rpc_url": rpc_url,
        "evm_contract": contract,
        "evm_chain_id": chain_id,
        "evm_confirmations": confirmations,
        "evm_sender_key_file": sender_key_file,
    }
    return {name: value for name, value in given.items() if value is not None}


@app.command()
def init(
    council: Annotated[int, typer.Option("--council", min=1, max=64, help="Members (N).")],
    threshold: Annotated[int, typer.Option("--threshold", min=1, help="Signatures needed (M).")],
    chain_id: Annotated[str, typer.Option("--chain-id")] = "ecert",
    data_dir: DataDir = DEFAULT_DIR,
) -> None:
    """Create a chain: council key files, the node key and block 0 (the genesis)."""
    from registry.setup import init_registry

    _writable_dir(data_dir)
    result = init_registry(
        settings=_settings(data_dir),
        chain_id=chain_id,
        council_size=council,
        threshold=threshold,
        now=datetime.now(UTC),
    )
    typer.echo(f"chain id:     {result.chain_id}")
    typer.echo(f"genesis hash: {result.genesis_hash}")
    typer.echo(f"genesis:      {result.genesis_path}")
    typer.echo(f"database:     {result.db_path}")
    typer.echo(f"node key:     {result.node_key_path} (secret, mode 0600)")
    for path in result.council_key_paths:
        typer.echo(f"council key:  {path} (secret, mode 0600: hand to its member)")


@app.command()
def serve(  # noqa: PLR0917 — typer options
    data_dir: DataDir = DEFAULT_DIR,
    host: Annotated[str, typer.Option("--host")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port")] = 8300,
    block_interval_ms: Annotated[int, typer.Option("--block-interval-ms")] = 200,
    max_block_txs: Annotated[int, typer.Option("--max-block-txs")] = 4096,
    backend: Annotated[
        str | None, typer.Option("--backend", help="embedded (default) or evm (docs/besu.md).")
    ] = None,
    rpc_url: Annotated[str | None, typer.Option("--rpc-url", help="EVM JSON-RPC URL.")] = None,
    contract: Annotated[str | None, typer.Option("--contract", help="EcertLog address.")] = None,
    evm_chain_id: Annotated[int | None, typer.Option("--evm-chain-id", min=1)] = None,
    confirmations: Annotated[int | None, typer.Option("--confirmations", min=0)] = None,
    sender_key_file: Annotated[
        Path | None, typer.Option("--sender-key-file", help="EVM account key (hex), 0600.")
    ] = None,
    tls_cert: Annotated[Path | None, typer.Option("--tls-cert", help=TLS_CERT_HELP)] = None,
    tls_key: Annotated[Path | None, typer.Option("--tls-key", help=TLS_KEY_HELP)] = None,
) -> None:
    """Serve the registry API (one process: the block writer is a task inside it).

    With ``--backend evm`` the node appends submissions to an EcertLog contract and serves the
    blocks it derives from the chain's confirmed events (``REGISTRY_EVM_*`` work too).

    The chain is opened and re-verified before the server starts, so a missing folder or a
    tampered database is one line and an exit code; SIGTERM stops it within about a second.
    """
    import uvicorn

    from registry.app import create_app
    from registry.setup import open_ledger

    settings = _settings(
        data_dir,
        host=host,
        port=port,
        block_interval_ms=block_interval_ms,
        max_block_txs=max_block_txs,
        **_evm_options(
            backend=backend,
            rpc_url=rpc_url,
            contract=contract,
            chain_id=evm_chain_id,
            confirmations=confirmations,
            sender_key_file=sender_key_file,
        ),
        **{k: v for k, v in {"tls_cert_file": tls_cert, "tls_key_file": tls_key}.items() if v},
    )
    tls = server_tls(settings.tls_cert_file, settings.tls_key_file)
    ledger = open_ledger(settings)
    head = ledger.head()
    typer.echo(
        f"registry: chain {head.chain_id}, head {head.height}, data {data_dir}; "
        f"listening on {'https' if tls else 'http'}://{host}:{port}",
        err=True,
    )
    uvicorn.run(
        create_app(settings, opened=ledger),
        host=host,
        port=port,
        log_level="warning",
        access_log=False,
        timeout_graceful_shutdown=1,
        **tls,  # type: ignore[arg-type]
    )


@app.command()
def audit(
    data_dir: DataDir = DEFAULT_DIR,
    genesis_hash: Annotated[
        str | None,
        typer.Option("--genesis-hash", help="The genesis you trust (default: genesis.json)."),
    ] = None,
    checkpoint: Annotated[
        Path | None,
        typer.Option("--checkpoint", help="A trusted signed checkpoint (GET /checkpoint)."),
    ] = None,
    from_checkpoint: Annotated[
        Path | None,
        typer.Option("--from-checkpoint", help="Verify only after this saved audit state."),
    ] = None,
    save_checkpoint: Annotated[
        Path | None,
        typer.Option("--save-checkpoint", help="After a clean audit, save its state here."),
    ] = None,
) -> None:
    """Re-verify every block and transaction from genesis (or from a saved audit state); exit 1
    at the first bad height, or when the chain is shorter than or differs from a checkpoint."""
    from registry.audit import audit as run_audit
    from registry.audit_pins import read_audit_state, read_checkpoint, write_audit_state
    from registry.db import make_engine
    from registry.setup import read_genesis
    from registry.txfiles import check_writable

    settings = _settings(data_dir)
    trusted = genesis_hash or read_genesis(settings.genesis_path).hash
    pinned = read_checkpoint(checkpoint) if checkpoint is not None else None
    start = None
    if from_checkpoint is not None:
        start = read_audit_state(from_checkpoint, genesis_hash=trusted).state
    if save_checkpoint is not None:
        check_writable(save_checkpoint)
    if not settings.db_path.is_file():
        raise NotFoundError(f"{settings.db_path} is missing", code=CliCode.NO_DATABASE)
    engine = make_engine(settings.db_path)
    try:
        report = run_audit(engine, genesis_hash=trusted, checkpoint=pinned, start=start)
    finally:
        engine.dispose()
    for line in report.lines():
        typer.echo(line)
    if not report.ok:
        raise typer.Exit(1)
    if save_checkpoint is not None and report.state is not None:
        write_audit_state(save_checkpoint, genesis_hash=trusted, state=report.state)
        typer.echo(f"saved the audit state at height {report.head_height} to {save_checkpoint}")


@app.command("export")
def export_(
    out: Annotated[Path, typer.Option("--out", help="The snapshot file to write.")],
    data_dir: DataDir = DEFAULT_DIR,
) -> None:
    """Write the verified chain to one file, for an air-gapped verifier."""
    from registry.db import make_engine
    from registry.setup import read_genesis, read_key
    from registry.snapshot import export_snapshot
    from registry.txfiles import check_writable

    check_writable(out)
    settings = _settings(data_dir)
    genesis = read_genesis(settings.genesis_path)
    engine = make_engine(settings.db_path)
    try:
        count = export_snapshot(
            engine=engine,
            node_key=read_key(settings.node_key_path),
            genesis_hash=genesis.hash,
            out=out,
            now=datetime.now(UTC),
        )
    finally:
        engine.dispose()
    typer.echo(f"wrote {count} blocks to {out} (genesis {genesis.hash})")


@app.command("import")
def import_(
    snapshot: Path,
    genesis_hash: Annotated[str, typer.Option("--genesis-hash", help="The trusted genesis.")],
    replica: Annotated[Path, typer.Option("--replica", help="The replica's SQLite file.")],
) -> None:
    """Verify a snapshot from the trusted genesis into a replica file."""
    from registry.snapshot import import_snapshot
    from registry.txfiles import check_writable

    if not snapshot.is_file():
        raise NotFoundError(f"no such snapshot file: {snapshot}", code=FileCode.FILE_NOT_FOUND)
    check_writable(replica)
    result = import_snapshot(
        snapshot=snapshot, replica_path=replica, genesis_hash=genesis_hash, now=datetime.now(UTC)
    )
    typer.echo(
        f"verified {result.added_blocks} new blocks ({result.added_transactions} txs); "
        f"head {result.head.height} {result.head.hash}"
    )


def _writable_dir(folder: Path) -> None:
    """Create ``folder`` if needed; refuse one that cannot be made or written (exit 2)."""
    from vc_core.errors import MalformedError

    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise MalformedError(
            f"cannot create {folder}: {exc.strerror or exc}", code=FileCode.UNWRITABLE
        ) from None
    if not os.access(folder, os.W_OK | os.X_OK):
        raise MalformedError(f"cannot write in {folder}", code=FileCode.UNWRITABLE)


def root_app() -> typer.Typer:
    """The registry commands with ``council`` and ``office`` as subgroups
    (``python -m registry``)."""
    root = typer.Typer(no_args_is_help=True)
    root.add_typer(app, name=None)
    root.add_typer(council_app, name="council")
    root.add_typer(office_app, name="office")
    return root


def main() -> None:
    """``python -m registry``: run :func:`root_app`, mapping ``VCError`` to an exit code."""
    try:
        root_app()(standalone_mode=False)
    except VCError as exc:
        typer.echo(exc.diagnostics(), err=True)
        sys.exit(exc.exit_code)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except (typer.Abort, KeyboardInterrupt):
        sys.exit(130)
