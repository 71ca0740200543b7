"""Answering an OpenID4VP 1.0 request link: the wallet's side of the cross-device flow.

1. Read the ``openid4vp://?client_id=…&request_uri=…`` link (§5.10); another scheme is refused.
2. GET ``request_uri`` and check the signed Request Object against the client_id's DID
   (:func:`vc_core.oid4vp.read_request_object`): the verifier named in the link signed it, for
   this client_id, unexpired, ``direct_post`` with a ``response_uri``, a nonce and a state.
3. Read its DCQL query (:func:`vc_core.dcql.read_query`) and pick the stored credential that
   answers it: the type asked, every claim asked, and bound to this wallet's holder (its
   subject is the holder's DID).
4. The caller shows who asks and what, and asks for consent (:class:`Plan`).
5. Sign a presentation of that credential by the holder (:func:`wallet_cli.present
   .build_presentation`, purpose ``authentication``) with challenge = nonce and domain = the
   full client_id (Appendix B.1.3.2.5), and POST ``vp_token`` = ``{"<query id>": [vp]}`` and
   ``state`` form-encoded to ``response_uri`` (§8.2). Declining posts ``error=access_denied``.

Nothing here writes the store. A verifier that cannot be reached is "could not check" (exit 3);
a link, a request or an answer that is wrong is bad input (exit 2); a presentation the
verifier refused is exit 1.
"""

from __future__ import annotations

import contextlib
import json
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any
from urllib.parse import urlsplit

import httpx
import typer

from vc_core import dcql
from vc_core.did import did_key
from vc_core.errors import MalformedError, RegistryError, VerificationError
from vc_core.oid4vp import parse_link, read_request_object
from wallet_cli import bounded
from wallet_cli.present import build_presentation
from wallet_cli.records import Record, credential_type
from wallet_cli.store import Wallet

TIMEOUT_S = 15.0
TOTAL_S = 60.0  # the longest one exchange with the verifier may take, however it trickles
MAX_ANSWER = 64 * 1024


class AnswerCode(StrEnum):
    """Why the wallet could not answer a request."""

    VERIFIER_UNREACHABLE = "VERIFIER_UNREACHABLE"
    VERIFIER_REFUSED = "VERIFIER_REFUSED"
    REQUEST_NOT_SERVED = "REQUEST_NOT_SERVED"
    NO_MATCHING_CREDENTIAL = "NO_MATCHING_CREDENTIAL"


@dataclass(frozen=True)
class Plan:
    """A request read and a credential chosen: what the holder is asked to agree to."""

    client_id: str
    response_uri: str
    nonce: str
    state: str
    query_id: str
    claims: tuple[str, ...]
    record: Record

    @property
    def verifier_host(self) -> str:
        return urlsplit(self.response_uri).netloc


def _host(url: str) -> str:
    return urlsplit(url).netloc or url[:80]


def _get(client: httpx.Client, url: str) -> httpx.Response:
    try:
        headers = {"Accept": "application/oauth-authz-req+jwt"}
        return bounded.request(
            client, "GET", url, max_bytes=MAX_ANSWER, total_s=TOTAL_S, headers=headers
        )
    except httpx.HTTPError as exc:
        raise RegistryError(
            f"could not reach the verifier at {_host(url)} ({type(exc).__name__}); check the "
            "network and try again, or ask for a new request",
            code=AnswerCode.VERIFIER_UNREACHABLE,
        ) from None


def _detail(answer: httpx.Response) -> str:
    try:
        body = answer.json()
    except ValueError:
        return f"HTTP {answer.status_code}"
    if not isinstance(body, dict):
        return f"HTTP {answer.status_code}"
    text = body.get("error_description") or body.get("detail") or body.get("error") or ""
    return " ".join(str(text).split())[:300] or f"HTTP {answer.status_code}"


def fetch_request(client: httpx.Client, link: str, *, now: datetime) -> dict[str, Any]:
    """Steps 1–2: the checked Request Object of ``link``."""
    client_id, request_uri = parse_link(link)
    answer = _get(client, request_uri)
    if answer.status_code != 200:
        raise MalformedError(
            f"the verifier did not serve the request: {_detail(answer)}",
            code=AnswerCode.REQUEST_NOT_SERVED,
        )
    if len(answer.content) > MAX_ANSWER:
        raise MalformedError("the request object is too large", code=AnswerCode.REQUEST_NOT_SERVED)
    return read_request_object(answer.text, client_id=client_id, now=now)


def _bound(record: Record, holder: str) -> bool:
    subject = record.credential.get("credentialSubject")
    subjects = subject if isinstance(subject, list) else [subject]
    return any(isinstance(s, dict) and s.get("id") == holder for s in subjects)


def plan(wallet: Wallet, request: dict[str, Any], *, choose: str | None = None) -> Plan:
    """Step 3: the credential that answers the request's query.

    Raises:
        MalformedError: the query is not of the subset, or no held credential answers it.
    """
    query = dcql.read_query(request.get("dcql_query"))
    if len(query.credentials) != 1:
        raise MalformedError(
            "the request asks for several credentials at once; this wallet answers one",
            code=dcql.DcqlCode.DCQL_UNSUPPORTED,
        )
    (wanted,) = query.credentials
    holder = did_key(wallet.holder.public)
    pool = [wallet.find(choose)] if choose else wallet.records
    fits = [r for r in pool if not dcql.unmet(r.credential, wanted) and _bound(r, holder)]
    if not fits:
        asked = " | ".join("+".join(s) for s in wanted.type_values)
        raise MalformedError(
            f"no credential in this wallet answers the request ({asked}, with the claims asked, "
            "issued to this wallet's holder)",
            code=AnswerCode.NO_MATCHING_CREDENTIAL,
        )
    return Plan(
        client_id=str(request["client_id"]),
        response_uri=str(request["response_uri"]),
        nonce=str(request["nonce"]),
        state=str(request["state"]),
        query_id=wanted.id,
        claims=tuple(dcql.show_path(p) for p in wanted.claims),
        record=fits[-1],
    )


def _post(client: httpx.Client, url: str, form: dict[str, str]) -> httpx.Response:
    try:
        return bounded.request(
            client, "POST", url, max_bytes=MAX_ANSWER, total_s=TOTAL_S, data=form
        )
    except httpx.HTTPError as exc:
        raise RegistryError(
            f"could not reach the verifier at {_host(url)} ({type(exc).__name__}); nothing "
            "was presented",
            code=AnswerCode.VERIFIER_UNREACHABLE,
        ) from None


def send(
    client: httpx.Client,
    wallet: Wallet,
    chosen: Plan,
    *,
    now: datetime,
    cryptosuite: str,
) -> dict[str, Any]:
    """Step 5: sign and post the presentation; the verifier's 200 body.

    Raises:
        VerificationError: ``VERIFIER_REFUSED``, the verifier's code and reason (exit 1).
        RegistryError: unreachable, or the verifier could not check (exit 3).
    """
    vp = build_presentation(
        [chosen.record.credential],
        wallet.holder,
        challenge=chosen.nonce,
        domain=chosen.client_id,
        now=now,
        cryptosuite=cryptosuite,
    )
    token = json.dumps({chosen.query_id: [vp]}, ensure_ascii=False, separators=(",", ":"))
    answer = _post(client, chosen.response_uri, {"vp_token": token, "state": chosen.state})
    if answer.status_code == 200:
        try:
            body = answer.json()
        except ValueError:
            body = {}
        return body if isinstance(body, dict) else {}
    if answer.status_code >= 500:
        raise RegistryError(
            f"the verifier could not check the presentation: {_detail(answer)}",
            code=AnswerCode.VERIFIER_UNREACHABLE,
        )
    raise VerificationError(
        f"the verifier refused the presentation: {_detail(answer)}",
        code=AnswerCode.VERIFIER_REFUSED,
    )


def decline(client: httpx.Client, chosen: Plan) -> None:
    """Tell the verifier the holder said no (§8.5 ``access_denied``); best effort."""
    form = {"error": "access_denied", "state": chosen.state}
    with contextlib.suppress(httpx.HTTPError):
        client.post(chosen.response_uri, data=form)


def answer_link(
    wallet: Wallet,
    link: str,
    *,
    now: datetime,
    yes: bool,
    choose: str | None,
    cryptosuite: str,
    client: httpx.Client | None = None,
) -> bool:
    """The whole exchange for ``ecert-wallet present LINK``: whether the holder agreed (and the
    verifier accepted; a refusal raises)."""
    with client or httpx.Client(timeout=TIMEOUT_S, follow_redirects=False) as http:
        request = fetch_request(http, link, now=now)
        chosen = plan(wallet, request, choose=choose)
        typer.echo(f"verifier: {chosen.client_id}")
        typer.echo(f"answers go to: {chosen.response_uri}")
        typer.echo(f"asks for: {credential_type(chosen.record.credential)}")
        for claim in chosen.claims:
            typer.echo(f"  - {claim}")
        typer.echo(
            f"credential {chosen.record.local_id} answers it; the whole credential is shown to "
            "the verifier, signed by this wallet's holder key"
        )
        if not yes and not typer.confirm("present it?", default=False):
            decline(http, chosen)
            typer.echo("declined; the verifier was told, nothing was presented")
            return False
        send(http, wallet, chosen, now=now, cryptosuite=cryptosuite)
    typer.echo(f"presented {chosen.record.local_id}: the verifier accepted it")
    return True
