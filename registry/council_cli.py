"""``ecert council …``: prepare a council transaction, sign it member by member, submit it.

The ceremony (registry/README.md): a member *prepares* one council transaction —
``accredit``, ``suspend``, ``withdraw``, ``change`` (council members and threshold) or
``key-compromised`` — which writes it to a file signed by them as the proposer, with an
``expires`` they choose (``--expires-in``, default 7 days). The file goes from member to member;
each runs ``sign`` (one signature more; members sign the same bytes, in any order, any day
before it expires), and anyone runs ``submit`` once M have signed. The block time decides its
effect: the ledger dates it at its block, and refuses it after ``expires``.

``sign`` refuses, naming the rule and leaving the file unchanged, a key that is not on the
council now (``NOT_A_COUNCIL_MEMBER``, asked of the node's ``GET /council``), a proposal past
its expiry (``PROPOSAL_EXPIRED``) and a file edited after it was signed (``BAD_SIGNATURE``).
Key files are read, never printed. The registry is reached only through
:class:`~vc_core.registry_client.RegistryClient`, so an unreachable node is exit 3 ("could not
check") and a refusal carries the node's rule code.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated

import typer

from registry.codes import CliCode
from registry.setup import read_key
from registry.txfiles import (
    check_writable,
    inclusion_line,
    read_tx,
    submit_until_included,
    write_tx,
)
from vc_core.errors import MalformedError
from vc_core.keys import KeyPair
from vc_core.ledger import (
    AccreditBody,
    CouncilUpdateBody,
    IssuerSuspendBody,
    IssuerWithdrawBody,
    KeyCompromisedBody,
    LedgerRuleError,
    RuleCode,
    Scope,
    add_signature,
    office_did,
    unsigned_tx,
)
from vc_core.ledger.bodies import TxBody
from vc_core.ledger.errors import LookupCode
from vc_core.registry_client import RegistryClient
from vc_core.times import parse_instant

council_app = typer.Typer(
    help="Prepare, sign and submit council transactions.", no_args_is_help=True
)
KeyOpt = Annotated[Path, typer.Option("--key", help="Your council key file (never printed).")]
RegistryOpt = Annotated[str, typer.Option("--registry", help="Registry node URL.")]
OutOpt = Annotated[Path, typer.Option("--out", help="Where to write the transaction.")]
ExpiresOpt = Annotated[
    str, typer.Option("--expires-in", help="How long members may sign: 7d, 36h, 90m.")
]
OfficeOpt = Annotated[str, typer.Option("--office", help="Office name or its did:ecert DID.")]
ReasonOpt = Annotated[str, typer.Option("--reason")]
DEFAULT_EXPIRY = "7d"
_DURATION = re.compile(r"(\d+)([dhm])")
_UNITS = {"d": "days", "h": "hours", "m": "minutes"}


def _scope(text: str) -> Scope:
    kind, _, prefixes = text.partition("=")
    if not kind or not prefixes:
        raise MalformedError("a scope is TYPE=PREFIX[,PREFIX…]", code="INVALID_SCOPE")
    return Scope(credential_type=kind, division_prefixes=tuple(prefixes.split(",")))


def _time(value: str | None, default: datetime | None, option: str) -> datetime | None:
    if value is None:
        return default
    return parse_instant(value, field=option)


def _duration(text: str) -> timedelta:
    match = _DURATION.fullmatch(text.strip())
    if match is None or int(match.group(1)) == 0:
        raise MalformedError(
            f"--expires-in takes a duration like 7d, 36h or 90m, not {text!r}",
            code="INVALID_DURATION",
        )
    return timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})


def _did(chain_id: str, office: str) -> str:
    return office if office.startswith("did:") else office_did(chain_id, office)


def _prepare(  # noqa: PLR0917 — the options every prepare command shares
    key: Path, registry: str, out: Path, tx_type: str, expires_in: str, body_for: _BodyFor
) -> None:
    """Write a council transaction, signed by the proposer, expiring ``expires_in`` from now."""
    proposer = read_key(key)
    life = _duration(expires_in)
    check_writable(out)
    now = datetime.now(UTC)
    author = proposer.public_multibase
    with RegistryClient(registry, timeout_s=30) as client:
        chain_id = client.checkpoint().chain_id
        seq = client.next_seq(author)
    body = body_for(chain_id, now)
    tx = unsigned_tx(
        chain_id=chain_id,
        tx_type=tx_type,
        author=author,
        seq=seq,
        time=now,
        body=body,
        expires=now + life,
    )
    write_tx(out, add_signature(tx, proposer))
    typer.echo(f"wrote {out}: {tx_type}, seq {seq}, 1 signature, expires {tx.expires}")


class _BodyFor:
    """A body built once the chain id and the proposal time are known."""

    def __init__(self, build: type[TxBody], **fields: object) -> None:
        self._build, self._fields = build, fields

    def __call__(self, chain_id: str, now: datetime) -> TxBody:
        fields = {
            k: (_did(chain_id, v) if k == "office" and isinstance(v, str) else v)
            for k, v in self._fields.items()
        }
        if fields.get("valid_from", "") is None:
            fields["valid_from"] = now
        try:
            return self._build.model_validate(fields)
        except ValueError as exc:
            raise MalformedError(
                f"invalid {self._build.__name__}: {exc}".splitlines()[0], code=CliCode.INVALID_INPUT
            ) from None


@council_app.command()
def accredit(  # noqa: PLR0917 — typer options
    office: OfficeOpt,
    name: Annotated[str, typer.Option(help="The office's legal name.")],
    uscc: Annotated[str, typer.Option(help="Unified social credit code.")],
    scope: Annotated[list[str], typer.Option(help="TYPE=PREFIX[,PREFIX…], repeatable.")],
    key: KeyOpt,
    registry: RegistryOpt,
    out: OutOpt,
    initial_key: Annotated[str | None, typer.Option(help="The office's first key.")] = None,
    valid_from: Annotated[str | None, typer.Option(help="RFC 3339; default now.")] = None,
    valid_until: Annotated[str | None, typer.Option(help="RFC 3339.")] = None,
    expires_in: ExpiresOpt = DEFAULT_EXPIRY,
) -> None:
    """Prepare ``issuer.accredit`` (new terms for an office), signed by you as the proposer."""
    body = _BodyFor(
        AccreditBody,
        office=office,
        name=name,
        uscc=uscc,
        scopes=tuple(_scope(s) for s in scope),
        valid_from=_time(valid_from, None, "--valid-from"),
        valid_until=_time(valid_until, None, "--valid-until"),
        initial_key=initial_key,
    )
    _prepare(key, registry, out, "issuer.accredit", expires_in, body)


@council_app.command()
def suspend(  # noqa: PLR0917 — typer options
    office: OfficeOpt,
    reason: ReasonOpt,
    key: KeyOpt,
    registry: RegistryOpt,
    out: OutOpt,
    expires_in: ExpiresOpt = DEFAULT_EXPIRY,
) -> None:
    """Prepare ``issuer.suspend``: the office may not anchor until accredited again."""
    body = _BodyFor(IssuerSuspendBody, office=office, reason=reason)
    _prepare(key, registry, out, "issuer.suspend", expires_in, body)


@council_app.command()
def withdraw(  # noqa: PLR0917 — typer options
    office: OfficeOpt,
    reason: ReasonOpt,
    key: KeyOpt,
    registry: RegistryOpt,
    out: OutOpt,
    expires_in: ExpiresOpt = DEFAULT_EXPIRY,
) -> None:
    """Prepare ``issuer.withdraw``: end the office's accreditation."""
    body = _BodyFor(IssuerWithdrawBody, office=office, reason=reason)
    _prepare(key, registry, out, "issuer.withdraw", expires_in, body)


@council_app.command()
def change(  # noqa: PLR0917 — typer options
    member: Annotated[list[str], typer.Option("--member", help="A member's Multikey; repeat.")],
    threshold: Annotated[int, typer.Option("--threshold", min=1, help="Signatures needed.")],
    key: KeyOpt,
    registry: RegistryOpt,
    out: OutOpt,
    producer: Annotated[str | None, typer.Option("--producer", help="A new node key.")] = None,
    expires_in: ExpiresOpt = DEFAULT_EXPIRY,
) -> None:
    """Prepare ``council.update``: the new members and threshold (signed by the current ones)."""
    body = _BodyFor(
        CouncilUpdateBody, council=tuple(member), threshold=threshold, producer=producer
    )
    _prepare(key, registry, out, "council.update", expires_in, body)


@council_app.command("key-compromised")
def key_compromised(  # noqa: PLR0917 — typer options
    office: OfficeOpt,
    compromised: Annotated[str, typer.Option("--compromised", help="The office Multikey.")],
    since: Annotated[str, typer.Option("--since", help="RFC 3339: untrusted from then on.")],
    key: KeyOpt,
    registry: RegistryOpt,
    out: OutOpt,
    reason: ReasonOpt = "",
    expires_in: ExpiresOpt = DEFAULT_EXPIRY,
) -> None:
    """Prepare ``key.compromised`` by the council (an office that lost all its keys)."""
    body = _BodyFor(
        KeyCompromisedBody,
        office=office,
        key=compromised,
        since=_time(since, None, "--since"),
        reason=reason,
    )
    _prepare(key, registry, out, "key.compromised", expires_in, body)


@council_app.command()
def sign(
    file: Path,
    key: KeyOpt,
    registry: Annotated[
        str | None, typer.Option("--registry", help="Node URL: who is on the council now.")
    ] = None,
    at: Annotated[
        str | None, typer.Option("--at", help="RFC 3339 signing time; default now.")
    ] = None,
) -> None:
    """Add your signature to a council transaction file (only a current member may)."""
    tx = read_tx(file)
    member = read_key(key)
    check_writable(file)
    now = _time(at, datetime.now(UTC), "--at") or datetime.now(UTC)
    if tx.expires is not None and now > tx.expires:
        raise LedgerRuleError(
            f"rule PROPOSAL_EXPIRED: the proposal expired at {tx.expires}; nothing signed",
            code=RuleCode.PROPOSAL_EXPIRED,
        )
    if registry is None:
        raise MalformedError(
            "--registry is needed: only a current council member may sign", code=CliCode.NO_REGISTRY
        )
    _check_member(registry, member)
    signed = add_signature(tx, member)
    write_tx(file, signed)
    typer.echo(f"{file}: {len(signed.signatures)} signatures ({', '.join(signed.signers)})")


def _check_member(registry: str, member: KeyPair) -> None:
    with RegistryClient(registry, timeout_s=30) as client:
        council = client.get_json("/council")
    members = council.get("members") if isinstance(council, dict) else None
    if not isinstance(members, list):
        raise MalformedError(
            f"{registry}/council answered no member list", code=LookupCode.NO_COUNCIL
        )
    if member.public_multibase not in members:
        raise LedgerRuleError(
            f"rule NOT_A_COUNCIL_MEMBER: {member.public_multibase} is not a current council "
            "member; the file is unchanged",
            code=RuleCode.NOT_A_COUNCIL_MEMBER,
        )


@council_app.command()
def submit(
    file: Path,
    registry: RegistryOpt,
    wait: Annotated[float, typer.Option("--wait", min=1, help="Seconds to wait.")] = 60.0,
) -> None:
    """Submit a council transaction, resubmitting until it is included."""
    tx = read_tx(file)
    with RegistryClient(registry, timeout_s=30) as client:
        typer.echo(inclusion_line(submit_until_included(client, tx, wait_s=wait)))
