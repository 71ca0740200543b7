"""Building a verifiable presentation the holder signs (VCDM 2.0 §4.13; VC-DI 1.0 §4.2).

This is the VC-API form a verifier's ``POST /presentations/verify`` takes: the credential as
received, inside a ``VerifiablePresentation`` whose ``holder`` is the wallet's did:key, with one
Data Integrity proof of purpose ``authentication`` that signs the verifier's ``challenge`` and
``domain`` (VC-DI 1.0 §2.1, and §4.4 steps 7–8 on the verifier's side), so the presentation
cannot be replayed to another verifier or in another session.

The OpenID4VP flow (:mod:`wallet_cli.oid4vp`) calls :func:`build_presentation` with the nonce
and client id of the verifier's request as challenge and domain, and posts the result as the
``vp_token``. :func:`show_qr` draws a presentation as a QR code, when it fits in one.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import typer

from vc_core import qr
from vc_core.dataintegrity import AUTHENTICATION, EDDSA_RDFC_2022, add_proof
from vc_core.did import did_key, verification_method_id
from vc_core.errors import MalformedError
from vc_core.keys import KeyPair
from vc_core.models import CREDENTIALS_V2
from wallet_cli.store import atomic_write


def build_presentation(
    credentials: Sequence[dict[str, Any]],
    holder: KeyPair,
    *,
    challenge: str,
    domain: str,
    now: datetime,
    cryptosuite: str = EDDSA_RDFC_2022,
) -> dict[str, Any]:
    """A presentation of ``credentials`` signed by ``holder`` for one verifier and session.

    Raises:
        MalformedError: ``BAD_OPTION`` for an empty challenge or domain.
    """
    if not challenge or not domain:
        raise MalformedError(
            "a presentation needs the verifier's --challenge and --domain", code="BAD_OPTION"
        )
    unsigned = {
        "@context": [CREDENTIALS_V2],
        "type": ["VerifiablePresentation"],
        "holder": did_key(holder.public),
        "verifiableCredential": list(credentials),
    }
    return add_proof(
        unsigned,
        holder,
        cryptosuite=cryptosuite,
        verification_method=verification_method_id(holder.public),
        proof_purpose=AUTHENTICATION,
        created=now,
        challenge=challenge,
        domain=domain,
    )


def show_qr(text: str, png: Path) -> bool:
    """Print ``text`` as a QR code on the terminal and write it as a PNG; ``False`` (and
    nothing written) when it does not fit in one code."""
    try:
        drawing = qr.terminal_text(text)
        image = qr.png_bytes(text)
    except qr.QrTooLargeError:
        return False
    atomic_write(png, image)
    typer.echo(drawing)
    return True
