"""The operator flow with real processes: init, serve, a council accreditation signed one member
at a time, export and verified import for an air-gapped verifier, and a replica that refuses a
registry whose history was rewritten."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from registry.cli import root_app
from registry.setup import read_genesis
from registry.testing import running_node
from vc_core.keys import KeyPair
from vc_core.registry_client import RegistryClient
from vc_core.replica import ChainRewrittenError, HttpSource, Replica

pytestmark = pytest.mark.integration
RUN = CliRunner()


def _cli(*args: str) -> str:
    result = RUN.invoke(root_app(), list(args))
    assert result.exit_code == 0, result.output + repr(result.exception)
    return result.output


def _accredit(node_url: str, data: Path, tmp: Path, office: str) -> Path:
    tx = tmp / f"{office}.json"
    _cli(
        "council",
        "accredit",
        "--office",
        office,
        "--name",
        "Traffic police",
        "--uscc",
        "91350100M000100Y43",
        "--scope",
        "DrivingLicenceCredential=5101",
        "--initial-key",
        KeyPair.generate().public_multibase,
        "--key",
        str(data / "council" / "member-1.json"),
        "--registry",
        node_url,
        "--out",
        str(tx),
    )
    return tx


def test_council_flow_export_import_and_rewrite(tmp_path: Path) -> None:
    data = tmp_path / "node"
    out = _cli(
        "init", "--council", "3", "--threshold", "2", "--chain-id", "cli", "--data-dir", str(data)
    )
    assert "secretKeyMultibase" not in out and "z3u2" not in out, "never print a secret key"
    genesis = read_genesis(data / "genesis.json").hash
    fork = tmp_path / "fork"
    shutil.copytree(data, fork)

    replica = Replica.open(tmp_path / "replica.sqlite", genesis_hash=genesis)
    with running_node(data) as node:
        tx = _accredit(node.url, data, tmp_path, "traffic-police")
        one = RUN.invoke(root_app(), ["council", "submit", str(tx), "--registry", node.url])
        assert one.exit_code != 0
        assert getattr(one.exception, "code", None) == "INSUFFICIENT_COUNCIL_SIGNATURES"
        _cli(
            "council",
            "sign",
            str(tx),
            "--key",
            str(data / "council" / "member-2.json"),
            "--registry",
            node.url,
        )
        assert "included in block 1" in _cli("council", "submit", str(tx), "--registry", node.url)
        issuers = RegistryClient(node.url).get_json("/issuers")["issuers"]
        assert [i["did"] for i in issuers] == ["did:ecert:cli:traffic-police"]
        assert replica.sync([HttpSource(node.url)], now=datetime.now(UTC)).head.height == 1
        _cli("export", "--data-dir", str(data), "--out", str(tmp_path / "snap.jsonl"))

    out = _cli(
        "import",
        str(tmp_path / "snap.jsonl"),
        "--genesis-hash",
        genesis,
        "--replica",
        str(tmp_path / "air-gapped.sqlite"),
    )
    assert "head 1" in out
    tampered = (tmp_path / "snap.jsonl").read_bytes().replace(b"Traffic police", b"Traffic pol1ce")
    (tmp_path / "bad.jsonl").write_bytes(tampered)
    bad = RUN.invoke(
        root_app(),
        [
            "import",
            str(tmp_path / "bad.jsonl"),
            "--genesis-hash",
            genesis,
            "--replica",
            str(tmp_path / "bad.sqlite"),
        ],
    )
    assert bad.exit_code != 0

    with running_node(fork) as other:  # same genesis, a different block 1
        tx = _accredit(other.url, fork, tmp_path, "market-bureau")
        _cli(
            "council",
            "sign",
            str(tx),
            "--key",
            str(fork / "council" / "member-3.json"),
            "--registry",
            other.url,
        )
        _cli("council", "submit", str(tx), "--registry", other.url)
        with pytest.raises(ChainRewrittenError):
            replica.sync([HttpSource(other.url)], now=datetime.now(UTC))
    assert replica.head is not None and replica.head.height == 1
